#!/usr/bin/env bash
# A UDP VIP: exact dispatch and weighted shares of >= 2000 datagrams, each
# from its own source port, to three UDP responders (udp_echo.py) weighted
# 1:2:3, with WORKERS worker lcores.
#   usage: test_udp.sh [WORKERS]   (1 or 2)
# Every tuple a responder logged must be the backend `edgelbctl lookup udp`
# names, from the flow table (zero mismatches); each reply comes from the
# VIP and from the responder that logged it; a second datagram from the same
# port reaches the same backend (a flow-table hit); shares within 4
# binomial sd of expected_share; per-backend new_flows equal the distinct
# tuples each responder logged.
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"

WORKERS=${1:-1}
N=${ELB_UDP_DATAGRAMS:-2000}
UDP_PORT=5353
UDP_CLIENT=$T_DIR/udp_client.py
MAP=web1=1:1,web2=2:2,web3=3:3

t_init "udp$WORKERS"
t_topology
t_udp_backends "$UDP_PORT" || t_abort "UDP responders up in every backend"
t_pass "UDP responders listen on 0.0.0.0:$UDP_PORT in every backend"
t_config_head "$WORKERS"
t_vip dns "$UDP_PORT" udp dns
t_pool dns
t_backend web1 dns 1 1
t_backend web2 dns 2 2
t_backend web3 dns 3 3
t_daemon

udp_client() {
	ip netns exec "$PREFIX-cli" "$PY" "$UDP_CLIENT" "$VIP" --port "$UDP_PORT" "$@"
}

# Warm-up: neighbour resolution may still be in flight. Its source ports
# lie below the client's ephemeral range (10000-65000): a run datagram that
# reused a warm-up tuple would hit the warm-up's flow and not be a new flow.
if udp_client -n 3 -c 1 --timeout 0.5 --retries 20 --src-port-base 9000 \
	>"$WORKDIR/warm.json"; then
	t_pass "first datagrams through the VIP answered: $(cat "$WORKDIR/warm.json")"
else
	t_abort "first datagrams through the VIP answered: $(cat "$WORKDIR/warm.json")"
fi

t_pym snapshot "$WORKDIR/before.json" || t_abort "snapshot counters"
t_log "sending $N datagrams to $VIP:$UDP_PORT, each from a new socket, then a second from each (32 at a time)"
udp_client -n "$N" -c 32 --timeout 1 --retries 3 --again --time-limit 60 \
	--log "$WORKDIR/client.log" >"$WORKDIR/client.json"
t_log "client: $(cat "$WORKDIR/client.json")"
sleep 0.3  # the responders' last lines, the workers' last counters
t_pym udp-client --summary "$WORKDIR/client.json" --log "$WORKDIR/client.log" \
	--port "$UDP_PORT" --n "$N" --udp-log "udp-$UDP_PORT.log"
t_pym dispatch --vip dns --proto udp --port "$UDP_PORT" \
	--log "udp-$UDP_PORT.log" --map "$MAP" --before "$WORKDIR/before.json" \
	--min "$N" --distinct --want-source flow
t_pym flow-hits --before "$WORKDIR/before.json" --min "$N"
t_pym per-core "$WORKERS"

t_check "edgelbd still running" elbd_alive
t_stop_daemon
t_finish
