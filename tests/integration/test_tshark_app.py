#!/usr/bin/env python3
"""Application metadata of the probe against tshark on the shared corpora.

For every capture of ../shared/corpus (nDPI 4.2 and suricata-verify), run
`mdrprobe -r` and

  tshark -n -r X -Y "dns || http.request || tls.handshake.type == 1" -T fields ...

and compare, per transaction:
  DNS:  (flow, id, query/response, first question name) of every DNS
        message on port 53  <->  the probe's dns events;
  HTTP: (flow, Host without port, request URI, User-Agent) of every
        request  <->  the probe's http events;
  TLS:  (flow, SNI) of every ClientHello with an SNI over TCP  <->  the
        probe's tls events.
"flow" is the unordered address/port pair of the innermost IP header.
Frames whose IP or UDP length runs beyond what is there are malformed in
the project's convention (see test_tshark_conv.py), and so are frames
tshark itself reports as "Malformed Packet": they are not counted (the
number left out is printed).
HTTP is HTTP over TCP (tshark also shows SSDP's HTTP-over-UDP requests:
not counted). Transactions are counted as multisets (a retransmitted DNS
query is two transactions on both sides; a retransmitted ClientHello is
one handshake). A tshark transaction agrees when the probe has the same
one; the figure is the share of tshark's transactions that agree. Names
are compared after mapping every byte outside printable ASCII, and every
escape of one, to '?' (tshark prints raw bytes or \ooo, the probe the
master-file form \DDD), and URIs/host/user agent up to the probe's field
sizes (767/255/255 bytes). Prints the figure per protocol and every
difference; passes at >= 99 % for each.

QUIC SNI (tshark decrypts QUIC Initial packets; the probe takes QUIC's SNI
from nDPI) is printed as an informational figure.
"""
import concurrent.futures as cf
import ipaddress
import os
import re
import shutil
import subprocess
import sys
import tempfile
from collections import Counter

sys.path.insert(0, os.path.dirname(__file__))
import common  # noqa: E402

THRESHOLD = 99.0
FIELDS = ['ip.src', 'ipv6.src', 'ip.dst', 'ipv6.dst', 'tcp.srcport', 'udp.srcport',
          'tcp.dstport', 'udp.dstport', 'dns.id', 'dns.flags.response', 'dns.qry.name',
          'http.request.method', 'http.host', 'http.request.uri', 'http.user_agent',
          'tls.handshake.type', 'tls.handshake.extensions_server_name', 'frame.protocols',
          '_ws.expert.message']
# The project's convention (as in test_tshark_conv.py): an IP length beyond the
# complete frame is a malformed packet, rejected by the decoder; tshark
# dissects what is there. Such frames are not transactions.
BAD_LEN = ('IPv4 total length exceeds packet length', 'IPv6 payload length exceeds framing length',
           'Bad length value',                  # UDP length beyond the IP payload: the same
           'Malformed Packet')                  # tshark's own verdict: no reference to compare with
AGG = '\x1e'
ODD = re.compile(r'\\\d{3}|[^\x20-\x7e]')


def norm_ip(a):
    try:
        return ipaddress.ip_address(a).compressed
    except ValueError:
        return a


def flow(a, ap, b, bp):
    return tuple(sorted([(norm_ip(a), int(ap or 0)), (norm_ip(b), int(bp or 0))]))


def strip_port(host):
    if host.startswith('['):
        return host[1:host.index(']')] if ']' in host else host
    if host.count(':') == 1 and host.rsplit(':', 1)[1].isdigit():
        return host.rsplit(':', 1)[0]
    return host


def last(v):
    return v.split(AGG)[-1] if v else ''


def first(v):
    return v.split(AGG)[0] if v else ''


def norm_name(s):
    """Outside printable ASCII, tshark and the probe differ (raw or U+FFFD per
    UTF-8 sequence, against \\DDD per byte): a run of such characters is one '?'."""
    return re.sub(r'\?+', '?', ODD.sub('?', s)).lower()


def inner_ip(v):
    """Source and destination of the innermost IP header (tunnels: the last one)."""
    layers = [p for p in v['frame.protocols'].split(':') if p in ('ip', 'ipv6')]
    if layers and layers[-1] == 'ipv6':
        return last(v['ipv6.src']), last(v['ipv6.dst'])
    return last(v['ip.src']) or last(v['ipv6.src']), last(v['ip.dst']) or last(v['ipv6.dst'])


def tshark(pcap):
    cmd = ['tshark', '-n', '-r', pcap, '-Y', 'dns || http.request || tls.handshake.type == 1',
           '-T', 'fields', '-E', 'separator=\t', '-E', 'occurrence=a', '-E', 'aggregator=' + AGG]
    for f in FIELDS:
        cmd += ['-e', f]
    cp = subprocess.run(cmd, capture_output=True, text=True, timeout=600, errors='replace')
    dns, http, tls, quic = Counter(), Counter(), Counter(), Counter()
    malformed = 0
    for line in cp.stdout.splitlines():
        v = dict(zip(FIELDS, line.split('\t')))
        if len(v) < len(FIELDS):
            continue
        if any(m in v['_ws.expert.message'] for m in BAD_LEN):
            malformed += 1
            continue
        src, dst = inner_ip(v)
        tcp = last(v['tcp.srcport'])
        sp = tcp or last(v['udp.srcport'])
        dp = last(v['tcp.dstport']) or last(v['udp.dstport'])
        if not src or not sp:
            continue
        fl = flow(src, sp, dst, dp)
        if v['dns.qry.name'] and ('53' in (sp, dp)):
            resp = first(v['dns.flags.response']) in ('1', 'True')
            dns[(fl, int(first(v['dns.id']) or '0', 0), resp,
                 norm_name(first(v['dns.qry.name'])))] += 1
        if v['http.request.method'] and tcp:
            http[(fl, norm_name(strip_port(first(v['http.host'])))[:255],
                  norm_name(first(v['http.request.uri']))[:767],
                  norm_name(first(v['http.user_agent']))[:255])] += 1
        sni = first(v['tls.handshake.extensions_server_name'])
        if '1' in v['tls.handshake.type'].split(AGG) and sni:
            (tls if tcp else quic)[(fl, norm_name(sni))] = 1
    return (dns, http, tls, quic), malformed


def probe(pcap):
    out = tempfile.mkdtemp(prefix='mdrapp')
    _, cp = common.run_probe(['-r', pcap, '--set', 'outputs.stats.enabled=no',
                              '--set', 'geoip.city-db=', '--set', 'geoip.asn-db='],
                             outdir=out, check=False)
    dns, http, tls, quic = Counter(), Counter(), Counter(), Counter()
    try:
        if cp.returncode != 0:
            return None
        for o in common.read_eve(os.path.join(out, 'eve.json'), event_type=None):
            if 'src_port' not in o:
                continue
            fl = flow(o['src_ip'], o['src_port'], o['dest_ip'], o['dest_port'])
            t = o['event_type']
            if t == 'dns' and o['dns'].get('rrname'):
                d = o['dns']
                dns[(fl, d['id'], d['type'] == 'answer', norm_name(d['rrname']))] += 1
            elif t == 'http':
                h = o['http']
                http[(fl, norm_name(h.get('hostname', '')),
                      norm_name(h.get('url', '').split(' ')[0])[:767],
                      norm_name(h.get('http_user_agent', '')))] += 1
            elif t == 'tls' and o['tls'].get('sni'):
                tls[(fl, norm_name(o['tls']['sni']))] = 1
            elif t == 'flow' and o['proto'] == 'UDP' and o.get('tls', {}).get('sni'):
                quic[(fl, norm_name(o['tls']['sni']))] = 1
    finally:
        shutil.rmtree(out, ignore_errors=True)
    return dns, http, tls, quic


def compare(pcap):
    ref, malformed = tshark(pcap)
    ours = probe(pcap)
    name = os.path.relpath(pcap, common.SHARED)
    res = []
    for i, kind in enumerate(KINDS):
        want = ref[i]
        have = Counter(ours[i]) if ours else Counter()
        total = sum(want.values())
        same, diffs = 0, []
        for k, n in sorted(want.items(), key=lambda kv: kind == 'http' and kv[0][2] == ''):
            got = min(n, have[k])
            if got < n and kind == 'http' and k[2] == '':      # tshark's empty URI
                for hk in have:
                    if hk[0] == k[0] and hk[1] == k[1] and hk[3] == k[3] and have[hk]:
                        k = hk
                        got = min(n, have[hk])
                        break
            have[k] -= got
            same += got
            if got < n:
                diffs.append(f'{kind} {name}: tshark {k} x{n}, probe x{got}')
        res.append((total, same, diffs))
    return res, malformed


KINDS = ('dns', 'http', 'tls', 'quic')


def main():
    common.need_shared('corpus')
    if not shutil.which('tshark'):
        print('SKIP: tshark not installed')
        return common.SKIP
    pcaps = common.corpus_pcaps('corpus/ndpi-4.2/tests/pcap', 'corpus/suricata-verify/tests')
    totals = {k: [0, 0] for k in KINDS}
    diffs = []
    malformed = 0
    with cf.ThreadPoolExecutor(max_workers=os.cpu_count() or 2) as ex:
        for res, bad in ex.map(compare, pcaps):
            malformed += bad
            for kind, (total, same, d) in zip(KINDS, res):
                totals[kind][0] += total
                totals[kind][1] += same
                if kind != 'quic':
                    diffs += d
    for d in diffs:
        print('DIFF', d)
    ok = True
    labels = {'dns': 'DNS query names', 'http': 'HTTP host/URI/user agent',
              'tls': 'TLS SNI (TCP)', 'quic': 'QUIC SNI, from nDPI (informational)'}
    for kind, (total, same) in totals.items():
        pct = 100.0 * same / total if total else 100.0
        if kind != 'quic':
            ok &= pct >= THRESHOLD
        print(f'{labels[kind]}: tshark transactions {total}, same in the probe {same} '
              f'({pct:.2f} %)')
    print(f'threshold {THRESHOLD} % each; {len(pcaps)} captures; {malformed} malformed '
          f'frames not counted')
    return 0 if ok else 1


if __name__ == '__main__':
    sys.exit(main())
