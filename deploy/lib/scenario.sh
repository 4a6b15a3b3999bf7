# shellcheck shell=bash
# What deploy/demo.sh and deploy/drill.sh share: build, bring the demo
# topology up with edgelbd forwarding to every backend, take it down.
# Sourced, not executed; sources netns.sh and edgelbd.sh.
#
#   elb_scenario_build BUILD_DIR   install what is missing (unless
#                                  ELB_SKIP_DEPS=1), build; sets EDGELBD,
#                                  EDGELBCTL
#   elb_conf_socket CONF           the [global] socket of CONF
#   elb_scenario_up PREFIX NET VIP CONF WORK LOG
#                                  namespaces, nginx, edgelbd -f CONF; returns
#                                  once HTTP answers through VIP and every
#                                  backend's checks say up (ELBD_SOCK set)
#   elb_scenario_down PREFIX WORK  edgelbd stopped, nginx and namespaces gone;
#                                  idempotent, for cleanup traps
#
# Needs ROOT (the source tree) set by the caller.

# shellcheck source=netns.sh
. "$ROOT/deploy/lib/netns.sh"
# shellcheck source=edgelbd.sh
. "$ROOT/deploy/lib/edgelbd.sh"

elb_scenario_build() {
	local build=$1
	if [ "${ELB_SKIP_DEPS:-0}" != 1 ]; then
		"$ROOT/deploy/install-deps.sh"
	fi
	if [ ! -f "$ROOT/$build/build.ninja" ] && [ ! -f "$build/build.ninja" ]; then
		meson setup "$build" --buildtype=debugoptimized >/dev/null
	fi
	case $build in /*) ;; *) build=$ROOT/$build ;; esac
	ninja -C "$build" app/edgelbd/edgelbd app/edgelbctl/edgelbctl | tail -1
	EDGELBD=$build/app/edgelbd/edgelbd
	EDGELBCTL=$build/app/edgelbctl/edgelbctl
}

elb_conf_socket() {
	awk -F= '/^[[:space:]]*\[/ { g = ($0 ~ /\[global\]/) }
		g && $1 ~ /^[[:space:]]*socket[[:space:]]*$/ {
			v = $2; gsub(/^[[:space:]"]+|[[:space:]"]+$/, "", v)
			print v; exit }' "$1"
}

elb_scenario_up() {
	local prefix=$1 net=$2 vip=$3 conf=$4 work=$5 log=$6 ready=0 i
	local addrs=()

	for i in "${ELB_BACKENDS[@]}"; do addrs+=("$net.1$i"); done
	ELBD_SOCK=$(elb_conf_socket "$conf")
	elb_topo_up "$prefix" "$net" "$vip"
	elb_nginx_start "$prefix" "$work"
	elbd_start "$prefix-lb" "$conf" "$log"
	elbd_wait_ready "$ELBD_SOCK" 30 "${addrs[@]}" || return 1
	for _ in $(seq 30); do
		if ip netns exec "$prefix-cli" curl -sf --max-time 2 "http://$vip/" >/dev/null; then
			ready=1
			break
		fi
		elbd_alive || break
		sleep 0.5
	done
	[ "$ready" = 1 ] || { echo "no HTTP answer through the VIP $vip" >&2; return 1; }
	echo "edgelbd forwards: curl http://$vip/ -> $(ip netns exec "$prefix-cli" curl -s --max-time 2 "http://$vip/")"
	# Health checks go through the appliance's kernel interface: wait until
	# they found every backend up.
	for _ in $(seq 50); do
		elbctl -j backends | /usr/bin/python3 -c '
import json, sys
sys.exit(0 if all(b.get("health") == "up" for b in json.load(sys.stdin))
         else 1)' && return 0
		sleep 0.2
	done
	echo "not every backend's checks say up" >&2
	return 1
}

elb_scenario_down() {
	local prefix=$1 work=$2
	if [ -n "$ELBD_PID" ]; then
		elbd_stop 10
		case $? in
		0) ;;
		124) echo "edgelbd did not stop on SIGTERM; killed it" >&2 ;;
		*) echo "edgelbd exited with an error on SIGTERM" >&2 ;;
		esac
	fi
	elb_topo_down "$prefix" "$work"
	[ -n "${ELBD_SOCK:-}" ] && rm -f "$ELBD_SOCK"
	return 0
}
