# shellcheck shell=bash
# Two-armed topology for the balancers that are not DR (HAProxy, iptables
# DNAT). Sourced by tests/bench/e2e.sh after deploy/lib/netns.sh, whose
# helpers it reuses; its namespaces follow netns.sh's names (PREFIX-sw, -lb,
# -cli, -bN), so elb_topo_down and elb_nginx_start work on it unchanged:
#
#   PREFIX-sw   bridges brc (client side) and brb (backend side)
#   PREFIX-cli  c0  CNET.10/24, the client
#   PREFIX-lb   lbc CNET.100/24 (the VIP), lbb BNET.1/24: the balancer
#   PREFIX-b1..b3 eth0 BNET.11-13/24, nginx, default route via BNET.1
#
# Why not the DR topology: there the backends own the VIP on lo and answer
# the client directly. A NAT balancer needs the replies to come back
# through it. Backends on their own subnet with the balancer as default
# gateway do that without SNAT, so they still see the real client address
# (as under DR); a proxy (HAProxy) is answered at BNET.1 anyway.
#
# The balancer namespace is made fresh for each measurement (e2e_nat_lb_up,
# e2e_nat_lb_down): HAProxy never runs with iptables' conntrack/NAT hooks
# registered in its namespace, and iptables never inherits HAProxy's
# state. Every veth has offloads off, as in netns.sh, so all three
# balancers see the same client and backend stacks.
#
#   e2e_nat_up PREFIX CNET BNET     e.g. elbbn 10.202.1 10.202.2
#   e2e_nat_lb_up PREFIX CNET BNET FORWARD   FORWARD = 1: ip_forward on
#   e2e_nat_lb_down PREFIX
#   elb_topo_down PREFIX [WORKDIR]  (netns.sh) removes everything

# veth pair: SWNAME on bridge BR in PREFIX-sw, IFNAME in NS.
e2e_link() {
	local prefix=$1 br=$2 swname=$3 ns=$4 ifname=$5
	local sw="$prefix-sw"
	ip -n "$sw" link add "$swname" type veth peer name "$ifname" netns "$ns"
	ip netns exec "$ns" sysctl -qw "net.ipv6.conf.$ifname.disable_ipv6=1" \
		>/dev/null 2>&1 || true
	ip -n "$sw" link set "$swname" master "$br"
	elb_offloads_off "$sw" "$swname"
	elb_offloads_off "$ns" "$ifname"
	ip -n "$sw" link set "$swname" up
	ip -n "$ns" link set "$ifname" up
}

e2e_nat_up() {
	local prefix=$1 cnet=$2 bnet=$3 sw="$1-sw" br i ns
	elb_topo_down "$prefix"
	elb_log "creating $prefix-{sw,cli,b1..b3}: client $cnet.0/24, backends $bnet.0/24"
	elb_ns_create "$sw"
	for br in brc brb; do
		ip -n "$sw" link add "$br" type bridge stp_state 0 \
			forward_delay 0 nf_call_iptables 0 nf_call_ip6tables 0 \
			nf_call_arptables 0 mcast_snooping 0
		ip -n "$sw" link set "$br" up
	done

	elb_ns_create "$prefix-cli"
	e2e_link "$prefix" brc cli "$prefix-cli" c0
	ip -n "$prefix-cli" addr add "$cnet.10/24" dev c0

	for i in "${ELB_BACKENDS[@]}"; do
		ns="$prefix-b$i"
		elb_ns_create "$ns"
		e2e_link "$prefix" brb "b$i" "$ns" eth0
		ip -n "$ns" addr add "$bnet.1$i/24" dev eth0
		ip -n "$ns" route add default via "$bnet.1"
	done
}

e2e_nat_lb_up() {
	local prefix=$1 cnet=$2 bnet=$3 fwd=$4 lb="$1-lb" i
	e2e_nat_lb_down "$prefix"
	elb_ns_create "$lb"
	e2e_link "$prefix" brc lbc "$lb" lbc
	e2e_link "$prefix" brb lbb "$lb" lbb
	ip -n "$lb" addr add "$cnet.100/24" dev lbc
	ip -n "$lb" addr add "$bnet.1/24" dev lbb
	# A proxy opens one backend connection per client connection: it
	# needs the same port room as the client.
	ip netns exec "$lb" sysctl -qw net.ipv4.ip_forward="$fwd" \
		net.ipv4.tcp_tw_reuse=1 \
		net.ipv4.ip_local_port_range="1024 65535" >/dev/null
	# The balancer's MACs are new: forget the previous one's.
	ip -n "$prefix-cli" neigh flush all 2>/dev/null || true
	for i in "${ELB_BACKENDS[@]}"; do
		ip -n "$prefix-b$i" neigh flush all 2>/dev/null || true
	done
}

# Kill what runs in PREFIX-lb (only processes this run started there) and
# delete it. Its veths are deleted first, by their switch ends: a deleted
# namespace is torn down asynchronously, and the next e2e_nat_lb_up would
# find the old switch ends still there.
e2e_nat_lb_down() {
	local lb="$1-lb" sw="$1-sw" pids ifc
	for ifc in lbc lbb; do
		ip -n "$sw" link del "$ifc" 2>/dev/null || true
	done
	ip netns list 2>/dev/null | awk '{print $1}' | grep -qx "$lb" || return 0
	pids=$(elb_ns_pids "$lb")
	if [ -n "$pids" ]; then
		# shellcheck disable=SC2086
		kill -TERM $pids 2>/dev/null || true
		for _ in $(seq 20); do
			[ -z "$(elb_ns_pids "$lb")" ] && break
			sleep 0.1
		done
		pids=$(elb_ns_pids "$lb")
		if [ -n "$pids" ]; then
			# shellcheck disable=SC2086
			kill -KILL $pids 2>/dev/null || true
		fi
	fi
	ip netns del "$lb" 2>/dev/null || true
}
