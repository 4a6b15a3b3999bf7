#!/usr/bin/env bash
# The Prometheus endpoint and the DPDK telemetry commands of a real
# edgelbd (2 workers, metrics_listen = 127.0.0.1:9740 in its namespace,
# tcp health checks, min_healthy and max_share set) after real traffic:
# - promtool check metrics passes on a real scrape;
# - with traffic stopped, every counter `stats` and `backends` show has its
#   metric (names from the descriptor tables) with a value between the
#   reads taken around the scrape, and per-backend and per-VIP counters
#   equal (check_metrics.py compare);
# - dpdk-telemetry.py answers /edgelb/... with the scrape's values;
# - a refused change counts in edgelb_config_changes_total{result=refused};
# - abuse: an unknown path answers 404, POST 405, a 64 KB header is
#   refused, 60 idle connections and a slow sender are cut off (bounded
#   connections, 5 s timeout) while the management socket keeps
#   answering, and a scrape succeeds again afterwards.
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"

t_init met
command -v promtool >/dev/null ||
	t_abort "promtool installed (deploy/install-deps.sh)"
t_topology
T_GLOBAL_EXTRA="metrics_listen = 127.0.0.1:9740"
# Health checks go out through the port's kernel interface.
t_config_checked 2 'min_healthy = 2'
t_daemon
t_warmup 15 || t_abort "a first connection through the VIP succeeds"

URL=http://127.0.0.1:9740
scrape() { t_lbcurl -o "$1" -w '%{http_code}' "$URL/metrics"; }

# Health checks decide within rise * interval; wait for every backend up.
t_wait_all_up

t_client "$VIP" -n 600 -c 16 >"$WORKDIR/client.json" ||
	t_fail "600 connections through the VIP"
# Let FINs settle: the comparison needs the traffic stopped.
sleep 1

code=$(scrape "$WORKDIR/m0.txt")
t_check "GET /metrics answers 200 ($code)" test "$code" = 200
t_check "promtool check metrics passes on a real scrape" \
	sh -c "promtool check metrics <'$WORKDIR/m0.txt' >'$WORKDIR/promtool.out' 2>&1"
cat "$WORKDIR/promtool.out"
ctype=$(t_lbcurl -o /dev/null -w '%{content_type}' "$URL/metrics")
t_check "content type is the text format 0.0.4 ($ctype)" \
	test "$ctype" = "text/plain; version=0.0.4; charset=utf-8"

elbctl -j stats >"$WORKDIR/s1.json"
elbctl -j backends >"$WORKDIR/b1.json"
scrape "$WORKDIR/m1.txt" >/dev/null
elbctl -j stats >"$WORKDIR/s2.json"
elbctl -j backends >"$WORKDIR/b2.json"
t_pyscript check_metrics.py compare "$WORKDIR/m1.txt" "$WORKDIR/s1.json" \
	"$WORKDIR/s2.json" "$WORKDIR/b1.json" "$WORKDIR/b2.json"

# Telemetry: the socket under the --file-prefix, as dpdk-telemetry.py
# finds it. Its snapshot is published once a second: wait two.
sleep 2.2
scrape "$WORKDIR/m2.txt" >/dev/null
printf '%s\n' /edgelb/generation /edgelb/stats /edgelb/backends \
	/edgelb/backend,web2 /edgelb/port,lan |
	dpdk-telemetry.py -f "elbt-$T_ID" >"$WORKDIR/tel.out" 2>&1
scrape "$WORKDIR/m2b.txt" >/dev/null
t_check "dpdk-telemetry.py answers" test -s "$WORKDIR/tel.out"
t_pyscript check_metrics.py telemetry "$WORKDIR/tel.out" "$WORKDIR/m2.txt" \
	"$WORKDIR/b2.json" "$WORKDIR/m1.txt" "$WORKDIR/m2b.txt"

# A refused change is counted.
refused() {
	grep -E '^edgelb_config_changes_total\{result="refused"\} ' "$1" |
		awk '{print $2}'
}
r0=$(refused "$WORKDIR/m2.txt")
elbctl weight nosuch 3 >/dev/null 2>&1
scrape "$WORKDIR/m3.txt" >/dev/null
r1=$(refused "$WORKDIR/m3.txt")
t_check "a refused change counts: refused $r0 -> $r1" \
	test "$r1" -eq $((r0 + 1))

# ---- abuse -------------------------------------------------------------
code=$(t_lbcurl -o /dev/null -w '%{http_code}' "$URL/nosuch")
t_check "an unknown path answers 404 ($code)" test "$code" = 404
code=$(t_lbcurl -o /dev/null -w '%{http_code}' -X POST -d x "$URL/metrics")
t_check "POST answers 405 ($code)" test "$code" = 405
big=$(head -c 65536 /dev/zero | tr '\0' a)
code=$(t_lbcurl -o /dev/null -w '%{http_code}' -H "X-Big: $big" "$URL/metrics")
t_check "a 64 KB header is refused, not served ($code)" test "$code" != 200
ip netns exec "$PREFIX-lb" "$PY" - "$WORKDIR/abuse.out" <<'EOF'
import socket, sys, time
out = open(sys.argv[1], "w")
held = []
for i in range(60):
    try:
        s = socket.create_connection(("127.0.0.1", 9740), timeout=2)
        held.append(s)
    except OSError as e:
        out.write("connect %d: %s\n" % (i, e))
t0 = time.time()
# The idle ones are closed by the server within its timeout (5 s).
closed = 0
for s in held:
    s.settimeout(max(0.1, 9 - (time.time() - t0)))
    try:
        closed += s.recv(1) == b""
    except OSError:
        closed += 1
out.write("held %d closed %d after %.1f s\n" % (len(held), closed,
                                                 time.time() - t0))
EOF
cat "$WORKDIR/abuse.out"
t_check "management answers while idle connections are held" elbctl status
t_check "every idle connection was closed within 9 s" \
	grep -qE 'held ([0-9]+) closed \1 ' "$WORKDIR/abuse.out"
code=$(scrape "$WORKDIR/m4.txt")
t_check "a scrape succeeds after the abuse ($code)" test "$code" = 200
t_check "edgelbd still running" elbd_alive
t_stop_daemon
t_finish
