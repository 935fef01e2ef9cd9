#!/usr/bin/env bash
# Bind the mirror NIC to a DPDK-capable driver.
#   bind-nic.sh PCI_ADDR [vfio-pci|uio_pci_generic]   e.g. bind-nic.sh 0000:00:05.0
#   bind-nic.sh --status
# In a VM without a virtual IOMMU, vfio needs its no-IOMMU mode (set below);
# the mirror port must be a NIC dedicated to the probe: it disappears from
# the kernel once bound. Needs the 'dpdk' package (dpdk-devbind.py).
set -euo pipefail
devbind=$(command -v dpdk-devbind.py || echo /usr/bin/dpdk-devbind)
[ -x "$devbind" ] || { echo "dpdk-devbind not found: apt-get install dpdk" >&2; exit 2; }
if [ "${1:-}" = "--status" ]; then exec "$devbind" --status-dev net; fi
pci=${1:?usage: bind-nic.sh PCI_ADDR [driver]}
drv=${2:-vfio-pci}
modprobe "$drv"
if [ "$drv" = vfio-pci ] && [ ! -d /sys/kernel/iommu_groups/0 ]; then
  echo 1 > /sys/module/vfio/parameters/enable_unsafe_noiommu_mode
  echo "note: no IOMMU: vfio no-IOMMU mode enabled (normal for cloud VMs)"
fi
ifname=$(ls "/sys/bus/pci/devices/$pci/net" 2>/dev/null || true)
[ -n "$ifname" ] && ip link set "$ifname" down
"$devbind" --bind="$drv" "$pci"
"$devbind" --status-dev net
