#!/usr/bin/env python3
"""The project's own captures (pcaps/) against pcaps/expected.json.

expected.json states, by construction of each capture (craft.py) or from
tshark (sessions.pcap), every flow with its client/server, VLAN, tunnel and
per-direction packets and bytes, and every frame that belongs to no flow
with the decoder reason it must be counted under. The probe's flow records
(interim records of one flow summed) must match exactly - no missing, no
extra flow - and the decoder's error counters must equal the reasons listed.
Runs with 1 and 2 workers.
"""
import hashlib
import json
import os
import sys
import tempfile
from collections import Counter, defaultdict

sys.path.insert(0, os.path.dirname(__file__))
import common  # noqa: E402

PCAPS = os.path.join(common.ROOT, 'pcaps')
PROTO = {'tcp': 'TCP', 'udp': 'UDP', 'icmp': 'ICMP', 'icmpv6': 'IPv6-ICMP', 'ipv6-icmp': 'IPv6-ICMP'}


def ts_of(s):
    # "2023-11-14T22:13:20.004000+0000" -> float seconds (UTC)
    import calendar
    import time
    base = calendar.timegm(time.strptime(s[:19], '%Y-%m-%dT%H:%M:%S'))
    return base + int(s[20:26]) / 1e6


def probe_flows(path, workers):
    out = tempfile.mkdtemp(prefix='mdrpcap')
    common.run_probe(['-r', path, '--workers', str(workers)], outdir=out)
    flows = defaultdict(lambda: None)
    for o in common.read_eve(os.path.join(out, 'eve.json')):
        f = flows[o['flow_id']]
        if f is None:
            flows[o['flow_id']] = f = dict(o, pkts=[0, 0], bytes=[0, 0], records=0)
        f['pkts'][0] += o['flow']['pkts_toserver']
        f['pkts'][1] += o['flow']['pkts_toclient']
        f['bytes'][0] += o['flow']['bytes_toserver']
        f['bytes'][1] += o['flow']['bytes_toclient']
        f['records'] += 1
        f['last'] = o['flow']['end']
    stats = [json.loads(l) for l in open(os.path.join(out, 'stats.json'))][-1]['stats']
    return list(flows.values()), stats


def key_expected(e):
    icmp = e['proto'] in ('icmp', 'icmpv6', 'ipv6-icmp')
    return (PROTO[e['proto']], e['client_ip'], None if icmp else e['client_port'],
            e['server_ip'], None if icmp else e['server_port'], e.get('vlan', 0) or 0,
            round(e['first_ts'], 6))


def key_probe(o):
    return (o['proto'], o['src_ip'], o.get('src_port'), o['dest_ip'], o.get('dest_port'),
            (o.get('vlan') or [0])[0], round(ts_of(o['flow']['start']), 6))


def check_flow(name, e, o, errs):
    want = ([e['pkts_toserver'], e['pkts_toclient']], [e['bytes_toserver'], e['bytes_toclient']])
    if (o['pkts'], o['bytes']) != want:
        errs.append(f"{name} {e['label']}: pkts/bytes {o['pkts']}/{o['bytes']} expected {want[0]}/{want[1]}")
    if abs(ts_of(o['last']) - e['last_ts']) > 1e-6:
        errs.append(f"{name} {e['label']}: end {o['last']} expected {e['last_ts']}")
    if e.get('conn_state') and o.get('conn_state') != e['conn_state']:
        errs.append(f"{name} {e['label']}: conn_state {o.get('conn_state')} expected {e['conn_state']}")
    t = e.get('tunnel')
    if t:
        ot = o.get('tunnel') or {}
        if ot.get('type') != t['type'] or ot.get('src_ip') != t['outer_src'] or \
           ot.get('dest_ip') != t['outer_dst'] or (t.get('id') or 0) != ot.get('vni', 0):
            errs.append(f"{name} {e['label']}: tunnel {ot} expected {t}")
    if 'icmp_type' in e and o.get('icmp_type') != e['icmp_type']:
        errs.append(f"{name} {e['label']}: icmp_type {o.get('icmp_type')} expected {e['icmp_type']}")


def check_reasons(name, spec, stats, errs):
    """Decoder reasons must equal the listed ones. Fragments of a datagram
    that never completes are one frag_timeout event per datagram (at expiry or
    shutdown) and count one by one in decoder.frag_dropped."""
    want, datagrams, frag_frames = Counter(), set(), 0
    for fr in spec.get('no_flow_frames', []):
        if fr['reason'] == 'frag_incomplete':
            datagrams.add(fr['what'].split('datagram ')[1].split()[0])
            frag_frames += 1
        else:
            want[fr['reason']] += 1
    if datagrams:
        want['frag_timeout'] = len(datagrams)
    got = Counter(stats['decoder']['event'])
    if +want != +got:
        errs.append(f'{name}: decoder reasons {dict(got)} expected {dict(want)}')
    if stats['decoder']['frag_dropped'] != frag_frames:
        errs.append(f"{name}: frag_dropped {stats['decoder']['frag_dropped']} expected {frag_frames}")


def check_file(name, spec, workers):
    path = os.path.join(PCAPS, name)
    errs = []
    if hashlib.sha256(open(path, 'rb').read()).hexdigest() != spec['sha256']:
        return [f'{name}: expected.json is stale (sha256 differs): regenerate it']
    flows, stats = probe_flows(path, workers)
    got = {key_probe(o): o for o in flows}
    for e in spec['flows']:
        o = got.pop(key_expected(e), None)
        if o is None:
            errs.append(f"{name} {e['label']}: flow {key_expected(e)} missing")
        else:
            check_flow(name, e, o, errs)
    for k in got:
        errs.append(f'{name}: unexpected flow {k}')
    if stats['decoder']['pkts'] != spec['frames']:
        errs.append(f"{name}: decoder saw {stats['decoder']['pkts']} frames, file has {spec['frames']}")
    check_reasons(name, spec, stats, errs)
    return errs


def main():
    exp = json.load(open(os.path.join(PCAPS, 'expected.json')))
    bad = n = 0
    for workers in (1, 2):
        for name, spec in sorted(exp['files'].items()):
            n += 1
            errs = check_file(name, spec, workers)
            bad += bool(errs)
            for e in errs:
                print(f'[workers={workers}] {e}')
    print(f'pcaps: {n - bad}/{n} capture runs match expected.json')
    return 1 if bad else 0


if __name__ == '__main__':
    sys.exit(main())
