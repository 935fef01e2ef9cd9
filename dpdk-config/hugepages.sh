#!/usr/bin/env bash
# Reserve hugepages for the DPDK fast path and mount hugetlbfs.
#   hugepages.sh [NR_2M_PAGES]     default 1024 (2 GiB)
# Run at boot (the service unit calls it) or by hand. Without hugepages the
# probe still runs with '--no-huge -m MB' (tests, small replays), but slower.
set -euo pipefail
nr=${1:-1024}
node_paths=(/sys/devices/system/node/node*/hugepages/hugepages-2048kB/nr_hugepages)
if [ -e "${node_paths[0]}" ]; then
  per=$(( (nr + ${#node_paths[@]} - 1) / ${#node_paths[@]} ))
  for p in "${node_paths[@]}"; do echo "$per" > "$p"; done
else
  echo "$nr" > /proc/sys/vm/nr_hugepages
fi
mkdir -p /dev/hugepages
mountpoint -q /dev/hugepages || mount -t hugetlbfs nodev /dev/hugepages
grep -E 'HugePages_(Total|Free)' /proc/meminfo
