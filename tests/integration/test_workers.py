#!/usr/bin/env python3
"""Results must not depend on the number of workers: N=1 and N=2 give the
same set of flow events and application-layer events (the order of lines
may differ, nothing else).

One exception, measured and bounded: nDPI keeps a few caches across flows
(STUN/Signal, Zoom, Teams, Ookla, BitTorrent, TLS certificates), and each
worker owns its own nDPI module (nDPI is not thread-safe), so an answer
that nDPI derives from another flow can differ when that flow went to the
other worker. The flow events are compared without their "ndpi" and
"app_proto" fields (everything else must be identical), those two fields
are compared separately, and the flows whose nDPI answer differs must stay
under 1 % (the figure is printed)."""
import glob
import json
import os
import sys
import tempfile

sys.path.insert(0, os.path.dirname(__file__))
import common  # noqa: E402


NDPI_MAX_PCT = 1.0
APP_EVENTS = ('dns', 'http', 'tls', 'ssh')


def flows(pcap, n):
    """(flow lines without ndpi/app_proto, {that line: ndpi answer}, app event lines)"""
    out = tempfile.mkdtemp(prefix='mdrw')
    common.run_probe(['-r', pcap, '--workers', str(n), '--set', 'outputs.stats.enabled=no',
                      '--set', 'geoip.city-db=', '--set', 'geoip.asn-db='], outdir=out)
    eve = os.path.join(out, 'eve.json')
    lines, answers = [], {}
    for line in common.eve_lines(eve):
        o = json.loads(line)
        answer = json.dumps([o.pop('ndpi', None), o.pop('app_proto', None)], sort_keys=True)
        rest = json.dumps(o, sort_keys=True)
        lines.append(rest)
        answers[rest] = answer
    apps = sorted(l for t in APP_EVENTS for l in common.eve_lines(eve, t))
    return sorted(lines), answers, apps


def main():
    pcaps = sorted(glob.glob(os.path.join(common.ROOT, 'pcaps', '*.pcap')))
    if os.path.isdir(common.SHARED):
        pcaps += common.corpus_pcaps('corpus/ndpi-4.2/tests/pcap')[::4]
    fails = total_flows = ndpi_diff = 0
    for p in pcaps:
        (one, a1, e1), (two, a2, e2) = flows(p, 1), flows(p, 2)
        total_flows += len(one)
        if one != two or e1 != e2:
            fails += 1
            print(f'DIFFERENT: {p}: N=1 {len(one)} flows, N=2 {len(two)} flows')
            print('  only N=1:', sorted(set(one + e1) - set(two + e2))[:2])
            print('  only N=2:', sorted(set(two + e2) - set(one + e1))[:2])
            continue
        for line in one:
            if a1[line] != a2[line]:
                ndpi_diff += 1
                print(f'nDPI answer differs (cross-flow cache): {os.path.basename(p)}: '
                      f'N=1 {a1[line]} N=2 {a2[line]}')
    pct = 100.0 * ndpi_diff / total_flows if total_flows else 0.0
    print(f'workers: {len(pcaps) - fails}/{len(pcaps)} captures identical with N=1 and N=2 '
          f'({total_flows} flows); nDPI answers differing: {ndpi_diff} ({pct:.2f} %, '
          f'limit {NDPI_MAX_PCT} %)')
    return 1 if fails or pct >= NDPI_MAX_PCT else 0


if __name__ == '__main__':
    sys.exit(main())
