#!/bin/sh
# Run inside a kind node (svclab up does, on every run against an existing cluster): make the
# rules that send the node's nameserver – the network gateway of resolv.conf – to Docker's
# embedded DNS anew from the ports that DNS listens on now. kind's node entrypoint copies
# Docker's rules for 127.0.0.11 to the gateway once; a dockerd restart moves the embedded DNS
# to new ports (live-restore), and a node started again by dockerd can come up with no rules
# at all. Either way every name outside the cluster – the control plane's too – fails.
gw=$(awk '/^nameserver/ {print $2; exit}' /etc/resolv.conf)
[ -n "$gw" ] && [ "$gw" != 127.0.0.11 ] || exit 0
port() { ss -Hln"$1" src 127.0.0.11 | awk '{n = split($4, a, ":"); print a[n]; exit}'; }
tcp=$(port t) udp=$(port u)
if [ -z "$tcp" ] || [ -z "$udp" ]; then
  echo "Docker's embedded DNS does not listen in this node (tcp '$tcp', udp '$udp')" >&2; exit 1
fi
want="-A DOCKER_OUTPUT -d $gw/32 -p tcp -m tcp --dport 53 -j DNAT --to-destination 127.0.0.11:$tcp
-A DOCKER_OUTPUT -d $gw/32 -p udp -m udp --dport 53 -j DNAT --to-destination 127.0.0.11:$udp
-A DOCKER_POSTROUTING -s 127.0.0.11/32 -p tcp -m tcp --sport $tcp -j SNAT --to-source $gw:53
-A DOCKER_POSTROUTING -s 127.0.0.11/32 -p udp -m udp --sport $udp -j SNAT --to-source $gw:53"
chains() { iptables -t nat -S DOCKER_OUTPUT; iptables -t nat -S DOCKER_POSTROUTING; }
[ "$(chains 2>/dev/null | grep '^-A')" != "$want" ] || exit 0
for chain in DOCKER_OUTPUT DOCKER_POSTROUTING; do
  iptables -t nat -N "$chain" 2>/dev/null; iptables -t nat -F "$chain" || exit 1
done
for hook in "OUTPUT DOCKER_OUTPUT" "PREROUTING DOCKER_OUTPUT" "POSTROUTING DOCKER_POSTROUTING"; do
  set -- $hook
  iptables -t nat -C "$1" -d "$gw/32" -j "$2" 2>/dev/null || iptables -t nat -A "$1" -d "$gw/32" -j "$2" || exit 1
done
echo "$want" | while read -r rule; do iptables -t nat $rule || exit 1; done
echo "repaired the rules for Docker's embedded DNS ($gw:53 -> 127.0.0.11:$tcp/tcp, :$udp/udp)"
