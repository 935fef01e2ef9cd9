#!/usr/bin/env python3
"""Per-conversation packets and bytes of the probe against tshark's conv tables.

For every capture of the shared corpora (nDPI 4.2 and suricata-verify) run
`mdrprobe -r` and `tshark -z conv,tcp -z conv,udp`, then compare each
address/port pair of tshark's tables with the sum of the probe's flow
records of that pair (tshark has no timeouts and ignores VLANs, so records
of one pair are summed; so are tshark's conversations of one pair).
Two documented conventions differ from tshark's and are applied to its
counts from its own per-frame output (see tshark_convs): every IP
fragment counts, and an IP length beyond a complete frame is malformed.
Frames must be equal per direction; bytes must be equal where tshark prints
exact bytes, and within its rounding where it prints kB/MB. Passes at
>= 99 % of pairs; prints every difference.
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


FIELDS = ['frame.number', 'frame.len', 'frame.cap_len', 'ip.src', 'ip.dst', 'ipv6.src', 'ipv6.dst',
          'tcp.srcport', 'tcp.dstport', 'udp.srcport', 'udp.dstport', 'ip.fragment', 'ipv6.fragment',
          '_ws.expert.message']
BAD_LEN = ('IPv4 total length exceeds packet length', 'IPv6 payload length exceeds framing length')


def last(v):
    return v.split(',')[-1] if v else ''


def frame_key(f):
    """(proto, (src, sport), (dst, dport)) of a frame's innermost TCP/UDP header, or None."""
    src, dst = last(f['ipv6.src']) or last(f['ip.src']), last(f['ipv6.dst']) or last(f['ip.dst'])
    for proto, sp, dp in (('TCP', 'tcp.srcport', 'tcp.dstport'), ('UDP', 'udp.srcport', 'udp.dstport')):
        if f[sp] and f[dp] and src and dst:
            return proto, (src, int(last(f[sp]))), (dst, int(last(f[dp])))
    return None


def tshark_run(pcap):
    """Per-frame fields and the conv tables, from one tshark pass."""
    cmd = ['tshark', '-n', '-r', pcap, '-T', 'fields', '-E', 'separator=\t', '-E', 'occurrence=a']
    for f in FIELDS:
        cmd += ['-e', f]
    cmd += ['-z', 'conv,tcp', '-z', 'conv,udp']
    out = subprocess.run(cmd, capture_output=True, text=True, timeout=600).stdout.splitlines()
    frames, convs, proto = {}, [], None
    for line in out:
        parts = line.split('\t')
        if len(parts) == len(FIELDS):
            f = dict(zip(FIELDS, parts))
            frames[int(f['frame.number'])] = f
            continue
        if line.startswith('TCP Conversations'):
            proto = 'TCP'
        elif line.startswith('UDP Conversations'):
            proto = 'UDP'
        m = LINE.match(line)
        if m and proto:
            convs.append((proto, split_ep(m.group(1)), split_ep(m.group(2)),
                          int(m.group(3)), (int(m.group(4)), m.group(5)),
                          int(m.group(6)), (int(m.group(7)), m.group(8))))
    return frames, convs


def tshark_convs(pcap):
    """tshark's conversations, summed per address/port pair, in our conventions.

    tshark counts an IP datagram reassembled from fragments as its last frame
    only; the probe counts every fragment that was on the wire, so the other
    fragments are added back. A frame whose IP length exceeds the complete
    frame is malformed for the probe (Suricata's ipv4.trunc_pkt), so it is
    taken out. tshark also splits one pair into several conversations when
    ports are reused; the probe's records are summed per pair, so are these.
    Returns {key: {(a, b): [frames, bytes, tolerance]}} and the counts of
    conversations and of adjustments made.
    """
    frames, convs = tshark_run(pcap)
    sums = defaultdict(lambda: defaultdict(lambda: [0, 0, 0]))
    for proto, a, b, fr_ba, by_ba, fr_ab, by_ab in convs:
        s = sums[(proto,) + tuple(sorted([a, b]))]
        for d, fr, (val, unit) in (((a, b), fr_ab, by_ab), ((b, a), fr_ba, by_ba)):
            mult = UNIT.get(unit, 1)
            s[d][0] += fr
            s[d][1] += val * mult
            s[d][2] += mult if mult > 1 else 0  # tshark rounds to the unit
    adjusted = 0
    for f in frames.values():
        k = frame_key(f)
        if not k:
            continue
        s = sums.get((k[0],) + tuple(sorted([k[1], k[2]])))
        if s is None:
            continue
        d = s[(k[1], k[2])]
        frags = [int(n) for n in (f['ip.fragment'] or f['ipv6.fragment']).split(',') if n]
        others = [n for n in frags if n != int(f['frame.number']) and n in frames]
        if others:
            d[0] += len(others)
            d[1] += sum(int(frames[n]['frame.len']) for n in others)
            adjusted += 1
        if any(m in f['_ws.expert.message'] for m in BAD_LEN):  # beyond the wire length
            d[0] -= 1
            d[1] -= int(f['frame.len'])
            adjusted += 1
    return sums, len(convs), adjusted


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
    theirs, nconv, adjusted = tshark_convs(pcap)
    ours = probe_convs(pcap)
    diffs = []
    if ours is None:  # libpcap could not open it: fine only if tshark found nothing
        return pcap, len(theirs), adjusted, [f'probe failed, tshark has {nconv} conversations'] if nconv else []
    for key, t in theirs.items():
        s = ours.get(key)
        a, b = key[1], key[2]
        if all(v[0] == 0 for v in t.values()):
            continue  # every frame of it is malformed in our convention
        if s is None:
            diffs.append(f"{key[0]} {a} <-> {b}: not in probe output")
            continue
        got = (s[(a, b, 'fr')], s[(b, a, 'fr')])
        want = (t[(a, b)][0], t[(b, a)][0])
        if got != want:
            diffs.append(f"{key[0]} {a} <-> {b}: frames probe {got} tshark {want}")
            continue
        for x, y in ((a, b), (b, a)):
            if abs(s[(x, y, 'by')] - t[(x, y)][1]) > t[(x, y)][2]:
                diffs.append(f"{key[0]} {a} <-> {b}: bytes {x}->{y} probe {s[(x, y, 'by')]} "
                             f"tshark {t[(x, y)][1]} (+-{t[(x, y)][2]})")
                break
    return pcap, len(theirs), adjusted, diffs


def main():
    common.need_shared('corpus')
    pcaps = common.corpus_pcaps('corpus/ndpi-4.2/tests/pcap', 'corpus/suricata-verify/tests')
    total = bad = adj = 0
    with cf.ThreadPoolExecutor(max_workers=os.cpu_count() or 2) as ex:
        for pcap, n, a, diffs in ex.map(compare, pcaps):
            total += n
            adj += a
            bad += len(diffs)
            for d in diffs:
                print(f'{os.path.relpath(pcap, common.SHARED)}: {d}')
    pct = 100.0 * (total - bad) / total if total else 0.0
    print(f'tshark conversations: {total}, agreeing: {total - bad} ({pct:.2f} %), '
          f'differing: {bad}; threshold {THRESHOLD} %; {len(pcaps)} captures; '
          f'{adj} frames converted to our fragment/malformed conventions')
    return 0 if pct >= THRESHOLD else 1


if __name__ == '__main__':
    sys.exit(main())
