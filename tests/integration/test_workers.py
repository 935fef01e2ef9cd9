#!/usr/bin/env python3
"""Results must not depend on the number of workers: N=1 and N=2 give the
same set of flow events (the order of lines may differ, nothing else)."""
import glob
import os
import sys
import tempfile

sys.path.insert(0, os.path.dirname(__file__))
import common  # noqa: E402


def flows(pcap, n):
    out = tempfile.mkdtemp(prefix='mdrw')
    common.run_probe(['-r', pcap, '--workers', str(n), '--set', 'outputs.stats.enabled=no'], outdir=out)
    return sorted(common.eve_lines(os.path.join(out, 'eve.json')))


def main():
    pcaps = sorted(glob.glob(os.path.join(common.ROOT, 'pcaps', '*.pcap')))
    if os.path.isdir(common.SHARED):
        pcaps += common.corpus_pcaps('corpus/ndpi-4.2/tests/pcap')[::4]
    fails = total_flows = 0
    for p in pcaps:
        one, two = flows(p, 1), flows(p, 2)
        total_flows += len(one)
        if one != two:
            fails += 1
            print(f'DIFFERENT: {p}: N=1 {len(one)} flows, N=2 {len(two)} flows')
            print('  only N=1:', sorted(set(one) - set(two))[:2])
            print('  only N=2:', sorted(set(two) - set(one))[:2])
    print(f'workers: {len(pcaps) - fails}/{len(pcaps)} captures identical with N=1 and N=2 '
          f'({total_flows} flows)')
    return 1 if fails else 0


if __name__ == '__main__':
    sys.exit(main())
