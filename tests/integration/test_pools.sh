#!/usr/bin/env bash
# Two VIPs on one address, two pools sharing backends, a drained backend:
#   tcp :80   -> pool a: web1 weight 1, web2 weight 1, web3 weight 0
#   tcp :8080 -> pool b: web2 weight 5, web3 weight 1
# nginx in every backend serves both ports and logs each in its own file.
# >= 1500 new connections to each VIP. Per VIP: exact dispatch (zero
# mismatches), shares within 4 binomial sd of expected_share, expected_share
# within 0.01 of the weight share, per (VIP, backend) new_flows equal to that
# port's nginx log; web3 gets ZERO connections on :80 and is "drained";
# web1 (not in pool b) never sees :8080. `edgelbd --check` of the same file
# prints both VIPs with the daemon's expected shares.
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"

WORKERS=${1:-1}
CONNS=${ELB_CONNS:-1500}
MAP_A="a-web1=1:1,a-web2=2:1,a-web3=3:0"
MAP_B="b-web2=2:5,b-web3=3:1"
# shellcheck disable=SC2034 # read by elb_nginx_start (netns.sh)
ELB_NGINX_EXTRA_PORTS=8080

t_init "pools$WORKERS"
t_topology
t_config_two_pools "$WORKERS"

out=$(timeout 20 "$EDGELBD" --check "$CONF" 2>&1)
rc=$?
printf '%s\n' "$out" >"$WORKDIR/check.out"
printf '%s\n' "$out"
t_check "edgelbd --check of the two-VIP config exits 0" test "$rc" -eq 0

t_daemon
t_warmup 15 || t_abort "a first connection through VIP :80 succeeds"
t_pass "a first connection through VIP :80 succeeds"
t_pym check-output "$WORKDIR/check.out" "web:tcp:80:$MAP_A" \
	"alt:tcp:8080:$MAP_B"

t_pym snapshot "$WORKDIR/before.json" || t_abort "snapshot counters"
# Both VIPs at once: one worker interleaves the two pools' flows.
t_log "opening $CONNS connections to each of $VIP:80 and $VIP:8080 at once (32 at a time each)"
t_client "$VIP" --port 80 -n "$CONNS" -c 32 --time-limit 60 \
	>"$WORKDIR/client-80.json" &
C80=$!
t_client "$VIP" --port 8080 -n "$CONNS" -c 32 --time-limit 60 \
	>"$WORKDIR/client-8080.json" &
C8080=$!
rc80=0
wait "$C80" || rc80=$?
rc8080=0
wait "$C8080" || rc8080=$?
for port in 80 8080; do
	t_log "client :$port: $(cat "$WORKDIR/client-$port.json")"
done
t_check "client: $CONNS connections to :80, none failed" test "$rc80" -eq 0
t_check "client: $CONNS connections to :8080, none failed" test "$rc8080" -eq 0
sleep 0.5  # last FINs/ACKs reach the counters
t_pym dispatch --vip web --proto tcp --port 80 --log access.log \
	--map "$MAP_A" --before "$WORKDIR/before.json" --min "$CONNS"
t_pym dispatch --vip alt --proto tcp --port 8080 --log access-8080.log \
	--map "$MAP_B" --before "$WORKDIR/before.json" --min "$CONNS" \
	--absent 1
# Drained means no new flow at all, the warm-up included.
n3=$(wc -l <"$WORKDIR/b3/access.log")
t_check "web3 (weight 0 in pool a) logged no connection on :80 at all ($n3)" \
	test "$n3" -eq 0
t_pym per-core "$WORKERS"

t_check "edgelbd still running" elbd_alive
t_stop_daemon
t_finish
