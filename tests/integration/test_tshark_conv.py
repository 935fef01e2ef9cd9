#!/usr/bin/env python3
"""Per-conversation packets and bytes of the probe against tshark's conv tables.

For every capture of the shared corpora (nDPI 4.2 and suricata-verify) run
`mdrprobe -r` and `tshark -q -z conv,tcp -z conv,udp`, then compare each
tshark conversation with the sum of the probe's flow records of the same
address/port pair (tshark has no timeouts and ignores VLANs, so records of
one 5-tuple are summed). Frames must be equal per direction; bytes must be
equal where tshark prints exact bytes, and within its rounding where it
prints kB/MB. Passes at >= 99 % of conversations; prints every difference.
"""
import concurrent.futures as cf
import os
import re
import subprocess
import sys
import tempfile
from collections import defaultdict

sys.path.insert(0, os.path.dirname(__file__))
import common  # noqa: E402

THRESHOLD = 99.0
UNIT = {'bytes': 1, 'kB': 1000, 'MB': 1000 ** 2, 'GB': 1000 ** 3}
LINE = re.compile(r'^(\S+)\s+<->\s+(\S+)\s+(\d+)\s+(\d+)\s+(\w+)\s+(\d+)\s+(\d+)\s+(\w+)\s+(\d+)')


def split_ep(ep):
    addr, port = ep.rsplit(':', 1)
    return addr, int(port)


def tshark_convs(pcap):
    cp = subprocess.run(['tshark', '-n', '-r', pcap, '-q', '-z', 'conv,tcp', '-z', 'conv,udp'],
                        capture_output=True, text=True, timeout=300)
    convs, proto = [], None
    for line in cp.stdout.splitlines():
        if line.startswith('TCP Conversations'):
            proto = 'TCP'
        elif line.startswith('UDP Conversations'):
            proto = 'UDP'
        m = LINE.match(line)
        if m and proto:
            a, b = split_ep(m.group(1)), split_ep(m.group(2))
            # columns: "<-" is B->A, "->" is A->B
            convs.append({'proto': proto, 'a': a, 'b': b,
                          'fr_ba': int(m.group(3)), 'by_ba': (int(m.group(4)), m.group(5)),
                          'fr_ab': int(m.group(6)), 'by_ab': (int(m.group(7)), m.group(8))})
    return convs


def bytes_ok(ours, shown):
    val, unit = shown
    mult = UNIT.get(unit, 1)
    if mult == 1:
        return ours == val
    return abs(ours - val * mult) <= mult  # tshark rounds to the unit


def probe_convs(pcap):
    out = tempfile.mkdtemp(prefix='mdrconv')
    _, cp = common.run_probe(['-r', pcap, '--set', 'outputs.stats.enabled=no'], outdir=out, check=False)
    if cp.returncode != 0:
        print(f'{pcap}: probe exit {cp.returncode}: {cp.stderr.strip()[-300:]}')
        return None
    sums = defaultdict(lambda: defaultdict(int))
    for o in common.read_eve(os.path.join(out, 'eve.json')):
        if o['proto'] not in ('TCP', 'UDP'):
            continue
        a = (o['src_ip'], o['src_port'])
        b = (o['dest_ip'], o['dest_port'])
        s = sums[(o['proto'],) + tuple(sorted([a, b]))]
        f = o['flow']
        s[(a, b, 'fr')] += f['pkts_toserver']
        s[(b, a, 'fr')] += f['pkts_toclient']
        s[(a, b, 'by')] += f['bytes_toserver']
        s[(b, a, 'by')] += f['bytes_toclient']
    subprocess.run(['rm', '-rf', out])
    return sums


def compare(pcap):
    convs = tshark_convs(pcap)
    ours = probe_convs(pcap)
    diffs = []
    if ours is None:  # libpcap could not open it: fine only if tshark found nothing
        return pcap, len(convs), [f'probe failed, tshark has {len(convs)} conversations'] if convs else []
    for c in convs:
        key = (c['proto'],) + tuple(sorted([c['a'], c['b']]))
        s = ours.get(key)
        a, b = c['a'], c['b']
        if s is None:
            diffs.append(f"{c['proto']} {a} <-> {b}: not in probe output")
            continue
        got = (s[(a, b, 'fr')], s[(b, a, 'fr')])
        if got != (c['fr_ab'], c['fr_ba']):
            diffs.append(f"{c['proto']} {a} <-> {b}: frames probe {got} tshark {(c['fr_ab'], c['fr_ba'])}")
        elif not (bytes_ok(s[(a, b, 'by')], c['by_ab']) and bytes_ok(s[(b, a, 'by')], c['by_ba'])):
            diffs.append(f"{c['proto']} {a} <-> {b}: bytes probe {(s[(a, b, 'by')], s[(b, a, 'by')])} "
                         f"tshark {(c['by_ab'], c['by_ba'])}")
    return pcap, len(convs), diffs


def main():
    common.need_shared('corpus')
    pcaps = common.corpus_pcaps('corpus/ndpi-4.2/tests/pcap', 'corpus/suricata-verify/tests')
    total = bad = 0
    with cf.ThreadPoolExecutor(max_workers=os.cpu_count() or 2) as ex:
        for pcap, n, diffs in ex.map(compare, pcaps):
            total += n
            bad += len(diffs)
            for d in diffs:
                print(f'{os.path.relpath(pcap, common.SHARED)}: {d}')
    pct = 100.0 * (total - bad) / total if total else 0.0
    print(f'tshark conversations: {total}, agreeing: {total - bad} ({pct:.2f} %), '
          f'differing: {bad}; threshold {THRESHOLD} %; {len(pcaps)} captures')
    return 0 if pct >= THRESHOLD else 1


if __name__ == '__main__':
    sys.exit(main())
