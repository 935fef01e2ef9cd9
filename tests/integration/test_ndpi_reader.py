#!/usr/bin/env python3
"""L7 classification of the probe against Debian's ndpiReader 4.2.

For every capture of ../shared/corpus/ndpi-4.2/tests/pcap/ run, with the
same lists (../shared/corpus/ndpi-4.2/example/, as nDPI's tests/do.sh does):

  ndpiReader -p protos.txt -c categories.txt -r risky_domains.txt
             -j ja3_fingerprints.csv -S sha1_fingerprints.csv
             -q -t -i X.pcap -w out -v 2
  mdrprobe -r X.pcap  (classify.*-file = the same lists; timeouts long
             enough that, like ndpiReader on a file, one 5-tuple is one flow)

and match flows by 5-tuple (protocol number, unordered address/port pairs;
ports 0 for protocols without ports). A flow agrees when the probe's
ndpi.protocol equals the name ndpiReader prints after "proto: N/". When the
probe has several records for one 5-tuple (ndpiReader keeps one flow across
a reused TCP port, the probe starts a new one at the new SYN), the first
record that carried data is compared: that is where ndpiReader's answer
comes from. ndpiReader
flows with no probe record at all (tunnels ndpiReader opens and the probe
does not, see docs/app-metadata.md) count as disagreements.

JA3 (client and server) is checked on the same runs: every JA3 ndpiReader
prints for a flow must equal the probe's ja3/ja3s of that flow. So is the
certificate (issuer, subject, SHA-1) nDPI prints, against the probe's tls
event of the flow: an informational figure, printed with its differences.

Prints the agreement figure and every disagreement; passes at >= 98 %
(classification) and 100 % (JA3) of the compared flows. Skips (77) without
../shared or ndpiReader.
"""
import concurrent.futures as cf
import ipaddress
import os
import re
import shutil
import subprocess
import sys
import tempfile
from collections import defaultdict

sys.path.insert(0, os.path.dirname(__file__))
import common  # noqa: E402

THRESHOLD = 98.0
LINE = re.compile(r'^\s+\d+\s+(\S+) (\S+) (?:<->|->) (\S+) \[proto: [\d.]+/([^\]]+)\]')
JA3C = re.compile(r'\[JA3C: ([0-9a-f]{32})')
JA3S = re.compile(r'\[JA3S: ([0-9a-f]{32})')
CERT = re.compile(r'\[Issuer: ([^\]]*)\]\[Subject: ([^\]]*)\]\[Certificate SHA-1: ([0-9A-F:]+)\]')
PROTO_NUM = {'TCP': 6, 'UDP': 17, 'ICMP': 1, 'ICMPV6': 58, 'IPv6-ICMP': 58, 'IGMP': 2,
             'VRRP': 112, 'GRE': 47, 'ESP': 50, 'AH': 51, 'OSPF': 89, 'PIM': 103,
             'SCTP': 132, 'IPv6': 41}
PORTED = (6, 17, 132)


def proto_num(s):
    if s in PROTO_NUM:
        return PROTO_NUM[s]
    try:
        return int(s)
    except ValueError:
        return -1


def norm_ip(a):
    """ndpiReader shortens a single zero group ("b00c::99"), RFC 5952 does not."""
    try:
        return ipaddress.ip_address(a).compressed
    except ValueError:
        return a


def endpoint(s):
    addr, port = s.rsplit(':', 1)
    return norm_ip(addr.strip('[]')), int(port)


def key(proto, a, b):
    if proto not in PORTED:
        a, b = (a[0], 0), (b[0], 0)
    return (proto,) + tuple(sorted([a, b]))


def lists():
    ex = os.path.join(common.SHARED, 'corpus/ndpi-4.2/example')
    return {'protos': os.path.join(ex, 'protos.txt'),
            'categories': os.path.join(ex, 'categories.txt'),
            'risky-domains': os.path.join(ex, 'risky_domains.txt'),
            'ja3': os.path.join(ex, 'ja3_fingerprints.csv'),
            'sha1': os.path.join(ex, 'sha1_fingerprints.csv')}


def ndpi_reader(pcap, work):
    l = lists()
    out = os.path.join(work, 'reader.out')
    cmd = ['ndpiReader', '-p', l['protos'], '-c', l['categories'], '-r', l['risky-domains'],
           '-j', l['ja3'], '-S', l['sha1'], '-q', '-t', '-i', pcap, '-w', out, '-v', '2']
    subprocess.run(cmd, capture_output=True, timeout=300)
    flows = {}
    if not os.path.exists(out):
        return flows
    with open(out, errors='replace') as f:
        for line in f:
            if line.startswith('Undetected flows'):
                break
            m = LINE.match(line)
            if not m:
                continue
            k = key(proto_num(m.group(1)), endpoint(m.group(2)), endpoint(m.group(3)))
            c, s, crt = JA3C.search(line), JA3S.search(line), CERT.search(line)
            flows.setdefault(k, (m.group(4), c.group(1) if c else None, s.group(1) if s else None,
                                 crt.groups() if crt else None))
    return flows


def probe(pcap, work):
    l = lists()
    args = ['-r', pcap, '--set', 'outputs.stats.enabled=no', '--set', 'geoip.city-db=',
            '--set', 'geoip.asn-db=', '--set', 'flow.active-timeout=0']
    for k in ('tcp-new', 'tcp-established', 'tcp-closed', 'udp', 'icmp', 'other'):
        args += ['--set', f'flow.timeouts.{k}=1d']
    for k, v in l.items():
        args += ['--set', f'classify.{k}-file={v}']
    out = os.path.join(work, 'probe')
    _, cp = common.run_probe(args, outdir=out, check=False)
    recs = defaultdict(list)
    if cp.returncode != 0:
        return None
    for o in common.read_eve(os.path.join(out, 'eve.json'), event_type=None):
        p = proto_num(o['proto'])
        k = key(p, (norm_ip(o['src_ip']), o.get('src_port', 0)),
                (norm_ip(o['dest_ip']), o.get('dest_port', 0)))
        if o['event_type'] == 'flow':
            recs[k].append(o)
        elif o['event_type'] == 'tls' and o['tls'].get('fingerprint'):
            recs[('tls',) + k].append(o['tls'])
    for k, v in recs.items():
        if k[0] != 'tls':
            v.sort(key=lambda o: o['flow']['start'])
    return recs


def compare(pcap):
    work = tempfile.mkdtemp(prefix='mdrndpi')
    try:
        ref, ours = ndpi_reader(pcap, work), probe(pcap, work)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    name = os.path.basename(pcap)
    res = {'flows': len(ref), 'agree': 0, 'diffs': [], 'ja3': 0, 'ja3_bad': [], 'cert': 0,
           'cert_bad': []}
    if ours is None:
        res['diffs'] = [f'{name}: probe failed'] * len(ref)
        return res
    for k, (proto, ja3c, ja3s, cert) in sorted(ref.items(), key=str):
        recs = ours.get(k)
        if not recs:
            res['diffs'].append(f'{name}: {k}: ndpiReader {proto}, probe has no such flow')
            continue
        data = [o for o in recs if set(o.get('history', '')) & set('Dd')]
        rec = data[0] if data else recs[0]
        got = rec.get('ndpi', {}).get('protocol', '')
        if got == proto:
            res['agree'] += 1
        else:
            res['diffs'].append(f'{name}: {k}: ndpiReader {proto}, probe {got}')
        tls = rec.get('tls', {})
        for want, field in ((ja3c, 'ja3'), (ja3s, 'ja3s')):
            if not want:
                continue
            res['ja3'] += 1
            have = tls.get(field, {}).get('hash')
            if have != want:
                res['ja3_bad'].append(f'{name}: {k}: {field} nDPI {want}, probe {have}')
        if cert:
            res['cert'] += 1
            t = ours.get(('tls',) + k, [{}])[0]
            have = (t.get('issuerdn'), t.get('subject'), (t.get('fingerprint') or '').upper())
            if have != cert:
                res['cert_bad'].append(f'{name}: {k}: nDPI {cert}, probe {have}')
    return res


def main():
    common.need_shared('corpus/ndpi-4.2/tests/pcap')
    if not shutil.which('ndpiReader'):
        print('SKIP: ndpiReader not installed (Debian package libndpi-bin)')
        return common.SKIP
    pcaps = common.corpus_pcaps('corpus/ndpi-4.2/tests/pcap')
    total = agree = ja3 = cert = 0
    diffs, ja3_bad, cert_bad = [], [], []
    with cf.ThreadPoolExecutor(max_workers=os.cpu_count() or 2) as ex:
        for r in ex.map(compare, pcaps):
            total += r['flows']
            agree += r['agree']
            diffs += r['diffs']
            ja3 += r['ja3']
            ja3_bad += r['ja3_bad']
            cert += r['cert']
            cert_bad += r['cert_bad']
    for d in diffs:
        print('DIFF', d)
    for d in ja3_bad:
        print('JA3', d)
    for d in cert_bad:
        print('CERT', d)
    pct = 100.0 * agree / total if total else 0.0
    jpct = 100.0 * (ja3 - len(ja3_bad)) / ja3 if ja3 else 100.0
    print(f'ndpiReader flows: {total}, same L7 protocol: {agree} ({pct:.2f} %), '
          f'different: {total - agree}; threshold {THRESHOLD} %; {len(pcaps)} captures')
    print(f'JA3/JA3S compared: {ja3}, equal: {ja3 - len(ja3_bad)} ({jpct:.2f} %)')
    print(f'certificates (issuer, subject, SHA-1) compared: {cert}, equal: '
          f'{cert - len(cert_bad)} (informational)')
    return 0 if pct >= THRESHOLD and not ja3_bad else 1


if __name__ == '__main__':
    sys.exit(main())
