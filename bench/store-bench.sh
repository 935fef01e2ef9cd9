#!/usr/bin/env bash
# Flow store benchmark (not a timed test). Usage:
#   bench/store-bench.sh [N] [store_bench options...]     (default N = 10000000)
# Builds bench/store_bench in a release build ($MDR_BUILD, default
# build-release/), ingests N synthetic records into a scratch store
# ($STORE_BENCH_DIR or a mktemp directory under $TMPDIR), and reports
# records/s, bytes per flow on disk (indexes included), query latency
# percentiles and the expiry comparison (--expiry). The store is removed
# at the end. Results are kept in storage/README.md.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
n=${1:-10000000}
[ $# -gt 0 ] && shift
bin=${MDR_BUILD:-$here/build-release}
if [ ! -f "$bin/build.ninja" ]; then
  meson setup "$bin" "$here" -Dbuildtype=release -Dnative_arch=true > /dev/null
fi
ninja -C "$bin" bench/store_bench > /dev/null
dir=${STORE_BENCH_DIR:-$(mktemp -d "${TMPDIR:-/tmp}/store-bench.XXXXXX")}
trap 'rm -rf "$dir"' EXIT
echo "== $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2 / 1048576}' /proc/meminfo)," \
     "$(df -h --output=avail "$dir" | tail -1 | tr -d ' ') free in $dir"
"$bin/bench/store_bench" -n "$n" -d "$dir/store" --expiry "$@"
