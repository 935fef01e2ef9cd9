#!/usr/bin/env python3
"""Every capture of the shared corpora (tcpdump's malformed and truncated
crash reproducers included) must run to the end with exit code 0 - under
ASan/UBSan in the sanitizer build - and account for every packet read."""
import concurrent.futures as cf
import json
import os
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(__file__))
import common  # noqa: E402


def run(pcap):
    out = tempfile.mkdtemp(prefix='mdrrob')
    cmd = [common.probe_bin(), '-r', pcap, '-l', out, '--workers', '2',
           '--set', 'flow.max-flows=4096', '--set', 'reassembly.memcap=4mb',
           '--set', 'capture.ring-size=2mb']
    env = dict(os.environ, ASAN_OPTIONS='detect_leaks=1:abort_on_error=1',
               UBSAN_OPTIONS='halt_on_error=1:print_stacktrace=1')
    cp = subprocess.run(cmd, capture_output=True, text=True, timeout=300, env=env)
    problem = None
    if cp.returncode != 0 and 'sanitizer' in (cp.stderr or '').lower():
        problem = 'sanitizer: ' + cp.stderr[-3000:]
    elif cp.returncode not in (0,):
        # a file libpcap cannot open at all is a clean error (exit 1), not a crash
        if cp.returncode == 1 and 'mdrprobe:' in cp.stderr and 'pcap' in cp.stderr.lower():
            problem = None
        else:
            problem = f'exit {cp.returncode}: {cp.stderr[-2000:]}'
    else:
        try:
            stats = [json.loads(l) for l in open(os.path.join(out, 'stats.json'))][-1]['stats']
            d = stats['decoder']
            if stats['capture']['kernel_packets'] != d['pkts']:
                problem = f"read {stats['capture']['kernel_packets']} but decoded {d['pkts']}"
        except (OSError, ValueError, KeyError, IndexError) as e:
            problem = f'no stats: {e}'
    subprocess.run(['rm', '-rf', out])
    return pcap, cp.returncode, problem


def main():
    common.need_shared('corpus')
    pcaps = common.corpus_pcaps('corpus/tcpdump/tests', 'corpus/ndpi-4.2/tests/pcap',
                                'corpus/suricata-verify/tests', exts=('.pcap', '.pcapng', '.cap', '.pcap.gz'))
    bad = unopened = 0
    with cf.ThreadPoolExecutor(max_workers=os.cpu_count() or 2) as ex:
        for pcap, rc, problem in ex.map(run, pcaps):
            if rc == 1 and problem is None:
                unopened += 1
            if problem:
                bad += 1
                print(f'FAIL {os.path.relpath(pcap, common.SHARED)}: {problem}')
    print(f'robustness: {len(pcaps)} captures, {len(pcaps) - bad} clean '
          f'({unopened} refused by libpcap with a clear error), {bad} failures')
    return 1 if bad else 0


if __name__ == '__main__':
    sys.exit(main())
