#!/usr/bin/env bash
# Benchmarks (not timed tests). Usage: bench/run.sh [MB]   (default 1024)
# Builds ../shared's benchmark capture once (bench/bench-mix-MB.pcap, ignored
# by git), warms it into the page cache, then runs in one go:
#   baseline : libpcap read-only loop over the file (bench/pcap_read)
#   decode   : mdrprobe decode+flow, reassembly off, 1 worker
#   full     : mdrprobe decode+flow+reassembly, 1 worker
#   ndpi     : mdrprobe decode+flow+reassembly+nDPI classification, 1 worker
#   all      : the same + application-layer parsers and their EVE events
#              (dns/http/tls/ssh), GeoIP off (no database on the bench host)
#   ndpiRdr  : Debian's `ndpiReader -i FILE -q` (one thread: reads and
#              classifies), in the same run, for comparison
# and prints Gbps, Mpps and peak RSS of each, with ratios to the baseline.
# "per worker core" divides by the worker thread's own CPU time (the
# dispatcher runs on the second core); for ndpiReader it divides by its
# whole CPU time (user + system: it has one thread).
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
mb=${1:-1024}
bin=${MDR_BUILD:-$here/build-release}
pcap=$here/bench/bench-mix-$mb.pcap
shared=$here/../shared
[ -d "$shared" ] || { echo "SKIP: $shared absent (the benchmark capture is built from it)"; exit 0; }
if [ ! -s "$pcap" ]; then
  echo "== building $pcap ($mb MB) with ../shared/tools/make-bench-mix"
  "$shared/tools/make-bench-mix" "$pcap" "$mb"
fi
cat "$pcap" > /dev/null
out=$(mktemp -d); trap 'rm -rf "$out"' EXIT

peak() { awk '/Maximum resident/ {print $6/1024}' "$1"; }

echo "== baseline: libpcap read loop"
/usr/bin/time -v "$bin/bench/pcap_read" "$pcap" > "$out/base.txt" 2> "$out/base.time"
read -r _ bpk _ bby _ bs _ bg _ bm _ < "$out/base.txt"

run_probe() { # name, extra args
  local name=$1; shift
  /usr/bin/time -v "$bin/mdrprobe" -r "$pcap" -l "$out/$name" --workers 1 \
     --set outputs.stats.enabled=no "$@" > "$out/$name.txt" 2> "$out/$name.time"
}
mkdir -p "$out/decode" "$out/full" "$out/ndpi" "$out/all"
off="--set classify.enabled=no --set app-layer.enabled=no"
echo "== mdrprobe decode+flow (reassembly off)"; run_probe decode --set reassembly.enabled=no $off
echo "== mdrprobe decode+flow+reassembly"; run_probe full $off
echo "== mdrprobe decode+flow+reassembly+nDPI"; run_probe ndpi --set app-layer.enabled=no \
   --set geoip.city-db= --set geoip.asn-db=
echo "== mdrprobe everything (nDPI, app-layer parsers and events)"; run_probe all \
   --set geoip.city-db= --set geoip.asn-db=
have_reader=0
if command -v ndpiReader > /dev/null; then
  have_reader=1
  echo "== ndpiReader -i FILE -q (Debian libndpi-bin)"
  /usr/bin/time -v ndpiReader -i "$pcap" -q > "$out/ndpiRdr.txt" 2> "$out/ndpiRdr.time"
fi

report() { # name
  local f=$out/$1.txt
  local secs gbps mpps cpu
  secs=$(sed -n 's/^packets:.* in \([0-9.]*\) s:.*/\1/p' "$f")
  cpu=$(sed -n 's/^worker cpu:  *\([0-9.]*\) s.*/\1/p' "$f")
  python3 - "$1" "$bby" "$bpk" "$secs" "$cpu" "$bs" "$(peak "$out/$1.time")" "$(peak "$out/base.time")" <<'PY'
import sys
name, by, pk, s, cpu, bs, rss, brss = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), float(sys.argv[4]), float(sys.argv[5] or 0), float(sys.argv[6]), float(sys.argv[7]), float(sys.argv[8])
g = by * 8 / s / 1e9; m = pk / s / 1e6; bg = by * 8 / bs / 1e9
line = f"{name:8} {g:7.2f} Gbps {m:6.2f} Mpps wall  ({g / bg:5.2f} x baseline)"
if cpu:
    line += f"; per worker core {by * 8 / cpu / 1e9:6.2f} Gbps {pk / cpu / 1e6:5.2f} Mpps"
line += f"; peak RSS {rss:7.1f} MiB ({rss / brss:5.1f} x baseline)"
print(line)
PY
}
echo
echo "file: $pcap, $bpk packets, $bby bytes"
printf "%-8s %7.2f Gbps %6.2f Mpps wall  (1.00 x baseline); peak RSS %7.1f MiB\n" baseline "$bg" "$bm" "$(peak "$out/base.time")"
report decode
report full
report ndpi
report all
if [ "$have_reader" = 1 ]; then   # wall and CPU time from /usr/bin/time
  python3 - "$bby" "$bpk" "$bs" "$out/ndpiRdr.time" "$(peak "$out/base.time")" "$out/all.txt" <<'PY'
import re, sys
by, pk, bs, tf, brss, allf = int(sys.argv[1]), int(sys.argv[2]), float(sys.argv[3]), sys.argv[4], float(sys.argv[5]), sys.argv[6]
t = open(tf).read()
def val(k):
    return re.search(k + r'.*?: (\S+)', t).group(1)
w = val('Elapsed \\(wall clock\\) time')
parts = [float(x) for x in w.split(':')]
secs = parts[-1] + (parts[-2] * 60 if len(parts) > 1 else 0) + (parts[-3] * 3600 if len(parts) > 2 else 0)
cpu = float(val('User time')) + float(val('System time'))
rss = float(val('Maximum resident set size')) / 1024
g = by * 8 / secs / 1e9; bg = by * 8 / bs / 1e9
print(f"{'ndpiRdr':8} {g:7.2f} Gbps {pk / secs / 1e6:6.2f} Mpps wall  ({g / bg:5.2f} x baseline); "
      f"per core {by * 8 / cpu / 1e9:6.2f} Gbps {pk / cpu / 1e6:5.2f} Mpps; peak RSS {rss:7.1f} MiB "
      f"({rss / brss:5.1f} x baseline)")
a = open(allf).read()
m = re.search(r'packets:.* in ([0-9.]+) s', a)
if m:
    print(f"mdrprobe (all) vs ndpiReader, wall time: {float(m.group(1)):.2f} s vs {secs:.2f} s "
          f"({secs / float(m.group(1)):.2f} x)")
PY
fi
grep -E '^(flows|not decoded|ndpi|app layer):' "$out/all.txt"
