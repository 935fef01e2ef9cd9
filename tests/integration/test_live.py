#!/usr/bin/env python3
"""Live capture: libpcap `-i IFACE` and DPDK `net_af_packet` on a real
interface, fed by tcpreplay.

A private network namespace holds a veth pair (the replayed frames never
leave it; IPv6 is off on both ends so the kernel adds no traffic of its
own). The probe captures on one end while tcpreplay sends pcaps/sessions.pcap
on the other; then SIGINT stops it. Every flow of the -r run must appear
with the same packet and byte counts, and no frame may be lost.
"""
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(__file__))
import common  # noqa: E402

NS = f'mdrlive{os.getpid()}'
PCAP = os.path.join(common.ROOT, 'pcaps', 'sessions.pcap')


def sh(*cmd, check=True):
    return subprocess.run(cmd, check=check, capture_output=True, text=True)


def netns_up():
    sh('ip', 'netns', 'add', NS)
    ex = ['ip', 'netns', 'exec', NS]
    sh(*ex, 'ip', 'link', 'add', 'mdra', 'type', 'veth', 'peer', 'name', 'mdrb')
    for i in ('mdra', 'mdrb'):
        sh(*ex, 'sysctl', '-qw', f'net.ipv6.conf.{i}.disable_ipv6=1')
        sh(*ex, 'ip', 'link', 'set', i, 'up')
    return ex


def summary(o):
    f = o['flow']
    return (o['proto'], o['src_ip'], o.get('src_port'), o['dest_ip'], o.get('dest_port'),
            f['pkts_toserver'], f['pkts_toclient'], f['bytes_toserver'], f['bytes_toclient'])


def capture(ex, args):
    out = tempfile.mkdtemp(prefix='mdrlive')
    cmd = ex + [common.probe_bin()] + args + ['-l', out]
    p = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    time.sleep(3)  # capture ready (DPDK EAL init takes a moment)
    if p.poll() is not None:
        print('probe exited early:', p.communicate())
        return None, None
    r = sh(*ex, 'tcpreplay', '-q', '-i', 'mdra', '--mbps', '50', PCAP, check=False)
    if r.returncode != 0:
        print('tcpreplay failed:', r.stderr)
    time.sleep(2)
    p.send_signal(signal.SIGINT)
    stdout, stderr = p.communicate(timeout=60)
    if p.returncode != 0:
        print('probe failed:', stdout, stderr)
        return None, None
    flows = sorted(summary(o) for o in common.read_eve(os.path.join(out, 'eve.json')))
    stats = [json.loads(l) for l in open(os.path.join(out, 'stats.json'))][-1]['stats']
    shutil.rmtree(out)
    return flows, stats


def main():
    if os.geteuid() != 0 or not shutil.which('tcpreplay') or not shutil.which('ip'):
        print('SKIP: needs root, iproute2 and tcpreplay')
        return common.SKIP
    out = tempfile.mkdtemp(prefix='mdrref')
    common.run_probe(['-r', PCAP], outdir=out)
    want = sorted(summary(o) for o in common.read_eve(os.path.join(out, 'eve.json')))
    try:
        ex = netns_up()
    except subprocess.CalledProcessError as e:
        print('SKIP: cannot create a network namespace:', e.stderr)
        return common.SKIP
    bad = 0
    try:
        for name, args in [('libpcap -i', ['-i', 'mdrb']),
                           ('dpdk net_af_packet', ['--dpdk', '--no-huge --no-pci -m 512 --log-level=lib.*:error '
                                                   '--vdev=net_af_packet0,iface=mdrb', '--workers', '2'])]:
            got, stats = capture(ex, args)
            if got is None:
                bad += 1
                continue
            drops = stats['capture']['kernel_drops'] + stats['capture']['ring_full_drops']
            ok = got == want and drops == 0
            bad += not ok
            print(f"{name}: {len(got)} flows, {stats['decoder']['pkts']} packets, drops {drops}: "
                  f"{'same flows as -r' if ok else 'DIFFERENT from -r'}")
            if not ok:
                print('  only live:', sorted(set(got) - set(want))[:3])
                print('  only -r:  ', sorted(set(want) - set(got))[:3])
    finally:
        sh('ip', 'netns', 'del', NS, check=False)
    return 1 if bad else 0


if __name__ == '__main__':
    sys.exit(main())
