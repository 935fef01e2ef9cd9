"""Helpers shared by the integration tests: run the probe, read EVE, find corpora.

Every test is a script: exit 0 = pass, 1 = fail, 77 = skipped (meson's code).
"""
import glob
import json
import os
import subprocess
import sys
import tempfile

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), '..', '..'))
SHARED = os.environ.get('MDR_SHARED', os.path.join(ROOT, '..', 'shared'))
SKIP = 77


def probe_bin():
    p = os.environ.get('MDRPROBE')
    if p:
        return p
    for b in ('build', 'build-asan', 'build-release'):
        c = os.path.join(ROOT, b, 'mdrprobe')
        if os.path.exists(c):
            return c
    sys.exit('mdrprobe binary not found: set MDRPROBE or build first')


def need_shared(sub=''):
    path = os.path.join(SHARED, sub)
    if not os.path.isdir(path):
        print(f'SKIP: {path} is absent (shared corpora live in ../shared beside the checkout)')
        sys.exit(SKIP)
    return path


def run_probe(args, outdir=None, check=True, timeout=600, env=None):
    """Run mdrprobe with args (list); returns (outdir, CompletedProcess)."""
    outdir = outdir or tempfile.mkdtemp(prefix='mdrtest')
    cmd = [probe_bin()] + list(args) + ['-l', outdir]
    e = dict(os.environ)
    if env:
        e.update(env)
    cp = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, env=e)
    if check and cp.returncode != 0:
        print('command failed:', ' '.join(cmd))
        print(cp.stdout[-4000:], cp.stderr[-4000:])
        raise SystemExit(1)
    return outdir, cp


def read_eve(path, event_type='flow'):
    out = []
    with open(path) as f:
        for line in f:
            o = json.loads(line)
            if event_type is None or o.get('event_type') == event_type:
                out.append(o)
    return out


def eve_lines(path, event_type='flow'):
    """Raw lines of one event type, for byte-identical comparisons."""
    with open(path) as f:
        return [l for l in f if f'"event_type":"{event_type}"' in l]


def corpus_pcaps(*subdirs, exts=('.pcap', '.pcapng', '.cap')):
    files = []
    for s in subdirs:
        for ext in exts:
            files += glob.glob(os.path.join(SHARED, s, '**', '*' + ext), recursive=True)
    return sorted(set(files))


def conv_key(o):
    """Unordered conversation key of an EVE flow (addresses, ports, proto)."""
    a = (o['src_ip'], o.get('src_port', 0))
    b = (o['dest_ip'], o.get('dest_port', 0))
    return (o['proto'],) + tuple(sorted([a, b]))
