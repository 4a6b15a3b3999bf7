# shellcheck shell=bash
# Network-namespace topology for the demo and the integration tests.
#
# Sourced, not executed. Everything lives in namespaces named PREFIX-*, so the
# demo (prefix elbdemo) and the tests (prefix elbt*) never collide with each
# other or with the host, and no traffic ever leaves them:
#
#   PREFIX-sw   bridge br0 joining the switch ends of every veth
#   PREFIX-lb   lb0   the appliance's port: no IP address, DPDK
#                     net_af_packet owns it
#   PREFIX-cli  c0    NET.10/24, the client
#   PREFIX-b1..b3 eth0 NET.11-13/24, DR backends running nginx, the VIP on lo
#
# Usage:
#   elb_topo_up PREFIX NET VIP      NET is the first three octets ("10.201.0")
#   elb_nginx_start PREFIX WORKDIR  nginx on every backend, logs in WORKDIR/bN/
#                                   (port 80: access.log; every port in
#                                   ELB_NGINX_EXTRA_PORTS too, each logged in
#                                   access-PORT.log)
#   elb_topo_down PREFIX [WORKDIR]  kill nginx, delete namespaces; idempotent
#
# All veths are created inside the namespaces (never in the host's), and every
# veth end gets checksum/segmentation offloads off: net_af_packet otherwise
# receives merged frames carrying partial checksums.

ELB_BACKENDS=(1 2 3)
# More ports nginx serves besides 80 (space separated); empty by default.
ELB_NGINX_EXTRA_PORTS=${ELB_NGINX_EXTRA_PORTS:-}

elb_ns() { echo "$1-$2"; }

elb_log() { echo "[topo] $*" >&2; }

# A process that exists and is not a zombie (an orphaned nginx master waits
# for PID 1 to reap it, which in some containers takes seconds).
elb_pid_alive() {
	local st
	st=$(ps -o stat= -p "$1" 2>/dev/null) || return 1
	case $st in Z*|"") return 1 ;; esac
	return 0
}

# Live (non-zombie) pids in namespace NS.
elb_ns_pids() {
	local p
	for p in $(ip netns pids "$1" 2>/dev/null); do
		elb_pid_alive "$p" && echo "$p"
	done
}

# Run a command inside PREFIX-NAME.
elb_in() {
	local prefix=$1 name=$2
	shift 2
	ip netns exec "$prefix-$name" "$@"
}

elb_offloads_off() {
	local ns=$1 ifc=$2
	ip netns exec "$ns" ethtool -K "$ifc" rx off tx off tso off gso off \
		gro off >/dev/null 2>&1 ||
		ip netns exec "$ns" ethtool -K "$ifc" rx off tx off >/dev/null
}

# New namespace with lo up and IPv6 off (no router/neighbour solicitations
# or MLD reports to pollute the appliance's counters).
elb_ns_create() {
	local ns=$1
	ip netns add "$ns"
	ip netns exec "$ns" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 \
		net.ipv6.conf.default.disable_ipv6=1 >/dev/null
	ip -n "$ns" link set lo up
}

# veth pair: SWNAME in PREFIX-sw (enslaved to br0), IFNAME in NS.
elb_veth() {
	local prefix=$1 swname=$2 ns=$3 ifname=$4
	local sw="$prefix-sw"
	ip -n "$sw" link add "$swname" type veth peer name "$ifname" netns "$ns"
	ip netns exec "$ns" sysctl -qw "net.ipv6.conf.$ifname.disable_ipv6=1" \
		>/dev/null 2>&1 || true
	ip -n "$sw" link set "$swname" master br0
	elb_offloads_off "$sw" "$swname"
	elb_offloads_off "$ns" "$ifname"
	ip -n "$sw" link set "$swname" up
	ip -n "$ns" link set "$ifname" up
}

elb_topo_up() {
	local prefix=$1 net=$2 vip=$3
	local sw="$prefix-sw" lb="$prefix-lb" cli="$prefix-cli" i ns

	elb_topo_down "$prefix"
	elb_log "creating $prefix-{sw,lb,cli,b1..b3} on $net.0/24, VIP $vip"

	elb_ns_create "$sw"
	# Where br_netfilter is loaded (e.g. on Docker hosts) bridged IPv4 goes
	# through its header validation, which silently drops exactly the
	# malformed frames the tests send: a switch must not look at IP.
	ip -n "$sw" link add br0 type bridge stp_state 0 forward_delay 0 \
		nf_call_iptables 0 nf_call_ip6tables 0 nf_call_arptables 0 \
		mcast_snooping 0
	ip netns exec "$sw" sysctl -qw net.bridge.bridge-nf-call-iptables=0 \
		net.bridge.bridge-nf-call-ip6tables=0 \
		net.bridge.bridge-nf-call-arptables=0 >/dev/null 2>&1 || true
	ip -n "$sw" link set br0 up

	elb_ns_create "$lb"
	elb_veth "$prefix" lb "$lb" lb0
	# The appliance's port: no address, the kernel must not answer for it.
	ip netns exec "$lb" sysctl -qw net.ipv4.conf.all.arp_ignore=8 >/dev/null
	# Nor take IPv4 from it: with edgelbd's kernel interface holding the
	# port's address, the kernel would also accept what arrives on lb0 for
	# that address (weak host model) and see every frame twice. Strict
	# reverse-path filtering drops it: no route leads back out of lb0.
	# (A NIC bound to vfio-pci is not the kernel's at all.)
	ip netns exec "$lb" sysctl -qw net.ipv4.conf.lb0.rp_filter=1 >/dev/null

	elb_ns_create "$cli"
	elb_veth "$prefix" cli "$cli" c0
	ip -n "$cli" addr add "$net.10/24" dev c0
	ip netns exec "$cli" sysctl -qw net.ipv4.tcp_tw_reuse=1 >/dev/null
	ip netns exec "$cli" sysctl -qw net.ipv4.ip_local_port_range="10000 65000" \
		>/dev/null

	for i in "${ELB_BACKENDS[@]}"; do
		ns="$prefix-b$i"
		elb_ns_create "$ns"
		elb_veth "$prefix" "b$i" "$ns" eth0
		ip -n "$ns" addr add "$net.1$i/24" dev eth0
		ip -n "$ns" addr add "$vip/32" dev lo
		# DR: the VIP is local but must never be announced or answered
		# for over ARP: only the appliance owns it on the wire.
		ip netns exec "$ns" sysctl -qw \
			net.ipv4.conf.all.arp_ignore=1 \
			net.ipv4.conf.all.arp_announce=2 \
			net.ipv4.conf.eth0.arp_ignore=1 \
			net.ipv4.conf.eth0.arp_announce=2 \
			net.ipv4.conf.lo.arp_ignore=1 \
			net.ipv4.conf.lo.arp_announce=2 \
			net.ipv4.conf.all.rp_filter=0 \
			net.ipv4.conf.default.rp_filter=0 \
			net.ipv4.conf.eth0.rp_filter=0 \
			net.ipv4.conf.lo.rp_filter=0 >/dev/null
	done
}

# Kill every process left in PREFIX-* (by pid: they are ours, the
# namespaces were made for this run), then delete the namespaces; their
# veths go with them. Safe to call any number of times.
elb_topo_down() {
	local prefix=$1 workdir=${2:-} ns pids i
	if [ -n "$workdir" ]; then
		for i in "${ELB_BACKENDS[@]}"; do
			elb_nginx_stop_one "$workdir/b$i"
		done
	fi
	for ns in $(ip netns list 2>/dev/null | awk '{print $1}' |
		    grep -E "^$prefix-(sw|lb|cli|b[0-9]+)\$"); do
		pids=$(elb_ns_pids "$ns")
		if [ -n "$pids" ]; then
			# shellcheck disable=SC2086
			kill -TERM $pids 2>/dev/null || true
			for _ in 1 2 3 4 5 6 7 8 9 10; do
				pids=$(elb_ns_pids "$ns")
				[ -z "$pids" ] && break
				sleep 0.2
			done
			# shellcheck disable=SC2086
			[ -n "$pids" ] && kill -KILL $pids 2>/dev/null || true
		fi
		ip netns del "$ns" 2>/dev/null || true
	done
}

# nginx config for backend NAME, all of its files under DIR.
elb_nginx_conf() {
	local name=$1 dir=$2 port
	cat <<EOF
daemon on;
master_process on;
worker_processes 1;
pid $dir/nginx.pid;
error_log $dir/error.log warn;
events { worker_connections 8192; }
http {
    log_format elb '\$remote_addr \$remote_port \$status';
    access_log $dir/access.log elb;
    client_body_temp_path $dir/tmp/body;
    proxy_temp_path $dir/tmp/proxy;
    fastcgi_temp_path $dir/tmp/fastcgi;
    uwsgi_temp_path $dir/tmp/uwsgi;
    scgi_temp_path $dir/tmp/scgi;
    keepalive_requests 1000000;
    keepalive_timeout 120s;
    server_tokens off;
    server {
        listen 0.0.0.0:80 backlog=4096;
        default_type text/plain;
        location / { return 200 "$name\n"; }
    }
EOF
	for port in $ELB_NGINX_EXTRA_PORTS; do
		cat <<EOF
    server {
        listen 0.0.0.0:$port backlog=4096;
        access_log $dir/access-$port.log elb;
        default_type text/plain;
        location / { return 200 "$name\n"; }
    }
EOF
	done
	echo "}"
}

elb_nginx_start() {
	local prefix=$1 workdir=$2 i dir port
	for i in "${ELB_BACKENDS[@]}"; do
		dir="$workdir/b$i"
		mkdir -p "$dir/tmp"
		chmod 755 "$workdir" "$dir" "$dir/tmp"
		elb_nginx_conf "web$i" "$dir" >"$dir/nginx.conf"
		: >"$dir/access.log"
		for port in $ELB_NGINX_EXTRA_PORTS; do
			: >"$dir/access-$port.log"
		done
		ip netns exec "$prefix-b$i" nginx -q -e "$dir/error.log" \
			-p "$dir" -c "$dir/nginx.conf"
	done
	# Ready when each one listens.
	for i in "${ELB_BACKENDS[@]}"; do
		for port in 80 $ELB_NGINX_EXTRA_PORTS; do
			for _ in $(seq 50); do
				ip netns exec "$prefix-b$i" ss -Hltn "sport = :$port" |
					grep -q . && break
				sleep 0.1
			done
			if ! ip netns exec "$prefix-b$i" ss -Hltn "sport = :$port" |
			     grep -q .; then
				elb_log "nginx on $prefix-b$i did not start (port $port)"
				cat "$workdir/b$i/error.log" >&2 || true
				return 1
			fi
		done
	done
}

elb_nginx_stop_one() {
	local dir=$1 pid
	[ -f "$dir/nginx.pid" ] || return 0
	pid=$(cat "$dir/nginx.pid" 2>/dev/null || true)
	if [ -n "$pid" ] && elb_pid_alive "$pid"; then
		kill -TERM "$pid" 2>/dev/null || true
		for _ in $(seq 20); do
			elb_pid_alive "$pid" || break
			sleep 0.1
		done
		elb_pid_alive "$pid" && kill -KILL "$pid" 2>/dev/null
	fi
	rm -f "$dir/nginx.pid"
}
