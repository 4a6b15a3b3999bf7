#!/usr/bin/env bash
# The appliance answers ping for the VIP and for its own address, and ARP for
# the VIP (the DR backends hold the VIP on lo but must never answer for it);
# its arp_replies and icmp_echo_replies counters grow.
. "$(dirname "$0")/lib.sh"

t_init ia
t_topology
t_config 1
t_daemon

t_py snapshot "$WORKDIR/before.json" || t_abort "snapshot counters"
ip netns exec "$PREFIX-cli" ip neigh flush dev c0 >/dev/null 2>&1
for dst in "$VIP" "$LB_ADDR"; do
	out=$(ip netns exec "$PREFIX-cli" ping -n -c 3 -i 0.2 -W 2 "$dst" 2>&1)
	rc=$?
	printf '%s\n' "$out" | tail -2
	t_check "ping -c 3 $dst answered" test "$rc" -eq 0
done

# Debian's arping package (Habets) takes -i IFACE; iputils-arping takes -I.
if arping --help 2>&1 | grep -q Habets; then AIF=-i; else AIF=-I; fi
out=$(ip netns exec "$PREFIX-cli" arping -c 3 "$AIF" c0 "$VIP" 2>&1)
rc=$?
printf '%s\n' "$out" | tail -4
replies=$(printf '%s\n' "$out" | grep -ciE 'bytes from|reply from')
t_check "arping -c 3 $AIF c0 $VIP got $replies replies" \
	test "$rc" -eq 0 -a "$replies" -ge 1
# The reply must come from the appliance's port, not a backend.
lbmac=$(ip -n "$PREFIX-lb" link show lb0 | awk '/link\/ether/ {print $2}')
arp_from_lb() {
	! printf '%s\n' "$out" | grep -iE 'bytes from|reply from' |
		grep -viq -- "$lbmac"
}
t_check "ARP replies carry the appliance's MAC $lbmac" arp_from_lb

t_py counters-grew "$WORKDIR/before.json" arp_replies icmp_echo_replies

t_check "edgelbd still running" elbd_alive
t_stop_daemon
t_finish
