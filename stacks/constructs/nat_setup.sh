#!/bin/bash
# Turns this instance into the VPC's NAT. Run by nat-setup.service at every boot
# until it succeeds, so it must be safe to run any number of times: every step
# checks before it changes anything. Nothing is saved with `service iptables
# save` (AL2023 has no such service): the rules are set again on each boot.
set -euo pipefail

# dnf has been OOM-killed on 0.5 GiB instances: give it swap first (once).
if ! swapon --show=NAME --noheadings | grep -qx /swapfile; then
  if [ ! -f /swapfile ]; then
    dd if=/dev/zero of=/swapfile bs=1M count=512 status=none
    chmod 600 /swapfile
    mkswap /swapfile >/dev/null
  fi
  swapon /swapfile
fi

# A failed install (a dnf lock or cache clean-up racing it) exits non-zero and
# systemd runs the whole script again a little later.
command -v iptables >/dev/null || dnf install -y --setopt=install_weak_deps=False iptables-nft

sysctl -q -w net.ipv4.ip_forward=1

iface=$(ip -o -4 route show to default | awk '{print $5; exit}')
[ -n "$iface" ]
iptables -t nat -C POSTROUTING -o "$iface" -j MASQUERADE 2>/dev/null \
  || iptables -t nat -A POSTROUTING -o "$iface" -j MASQUERADE
iptables -P FORWARD ACCEPT
echo "nat-setup: forwarding and masquerading on $iface"
