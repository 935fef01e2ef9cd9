#!/usr/bin/env python3
"""The same capture through `-r` (libpcap) and `--dpdk` (net_pcap PMD) must
give byte-identical flow events (timestamps included).

Uses the project's own captures and a sample of the shared corpora (when
present). Frames larger than an mbuf chain can carry are not expected here.
"""
import glob
import os
import sys
import tempfile

sys.path.insert(0, os.path.dirname(__file__))
import common  # noqa: E402


def flows(args):
    out = tempfile.mkdtemp(prefix='mdrid')
    common.run_probe(args + ['--set', 'outputs.stats.enabled=no'], outdir=out)
    lines = sorted(common.eve_lines(os.path.join(out, 'eve.json')))
    return lines


def pcap_linktype_ethernet(path):
    with open(path, 'rb') as f:
        h = f.read(24)
    if len(h) < 24:
        return False
    if h[:4] in (b'\xd4\xc3\xb2\xa1', b'\x4d\x3c\xb2\xa1'):
        return int.from_bytes(h[20:24], 'little') == 1
    if h[:4] in (b'\xa1\xb2\xc3\xd4', b'\xa1\xb2\x3c\x4d'):
        return int.from_bytes(h[20:24], 'big') == 1
    return False


def main():
    pcaps = sorted(glob.glob(os.path.join(common.ROOT, 'pcaps', '*.pcap')))
    if os.path.isdir(common.SHARED):
        sample = common.corpus_pcaps('corpus/ndpi-4.2/tests/pcap')[::8]
        pcaps += [p for p in sample if os.path.getsize(p) < 4 << 20]
    else:
        print('note: ../shared absent, using only pcaps/')
    pcaps = [p for p in pcaps if pcap_linktype_ethernet(p)]  # net_pcap gives Ethernet
    if not pcaps:
        print('SKIP: no Ethernet pcap found')
        return common.SKIP
    fails = checked = 0
    for p in pcaps:
        a = flows(['-r', p])
        b = flows(['--dpdk', f'--no-huge --no-pci -m 512 --log-level=lib.*:error --vdev=net_pcap0,rx_pcap={p}'])
        checked += 1
        if a != b:
            fails += 1
            print(f'DIFFERENT: {p}: -r {len(a)} flow events, --dpdk {len(b)}')
            for la, lb in zip(a, b):
                if la != lb:
                    print('  -r    ', la.strip()[:400])
                    print('  --dpdk', lb.strip()[:400])
                    break
        elif not a:
            print(f'note: {p}: no flows')
    print(f'dpdk identity: {checked - fails}/{checked} captures byte-identical')
    return 1 if fails else 0


if __name__ == '__main__':
    sys.exit(main())
