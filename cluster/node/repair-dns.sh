#!/bin/sh
# Run inside a kind node (svclab up does, after a dockerd restart): make kind's copies of
# Docker's embedded-DNS rules for the gateway – the nameserver of the node's resolv.conf –
# anew from Docker's own rules for 127.0.0.11, whose ports change when dockerd restarts.
gw=$(awk '/^nameserver/ {print $2; exit}' /etc/resolv.conf)
[ -n "$gw" ] && [ "$gw" != 127.0.0.11 ] || exit 0
rules() { iptables -t nat -S "$1" | grep -e "$2" || true; }
want=$(rules DOCKER_OUTPUT '-d 127.0.0.11/32' | sed "s#-d 127.0.0.11/32#-d $gw/32#";
       rules DOCKER_POSTROUTING '--to-source :53$' | sed "s#--to-source :53#--to-source $gw:53#")
have=$(rules DOCKER_OUTPUT "-d $gw/32"; rules DOCKER_POSTROUTING "--to-source $gw:53")
[ "$want" != "$have" ] || exit 0
echo "$have" | sed -n 's/^-A/-D/p' | while read -r rule; do iptables -t nat $rule || exit 1; done &&
echo "$want" | grep '^-A' | while read -r rule; do iptables -t nat $rule || exit 1; done
