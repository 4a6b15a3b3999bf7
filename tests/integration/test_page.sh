#!/usr/bin/env bash
# The live status page of a real edgelbd (2 workers, metrics_listen in its
# namespace, tcp health checks, max_share on web3) under real traffic,
# loaded by headless Chromium in the daemon's namespace:
# - / is HTML, /status.json the backends, alerts and history answers,
#   /metrics unaffected, an unknown path still 404;
# - a forced change (web3 over its max_share) and a refused command whose
#   words are markup are in the history the page draws (as text: no
#   element of theirs in the DOM);
# - during traffic: the DOM after the page's script ran (Chromium
#   --dump-dom with a virtual time budget) draws every backend of
#   `edgelbctl -j backends` read around it, expected shares and max_share
#   equal (0.01 pp), new flows and observed shares between the two reads;
#   alerts drawn are those `alerts` lists, with the change they name;
# - traffic stopped: the same with the page equal to both reads;
# - a screenshot is kept: results/integration/page/status.png.
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"

t_init pg
command -v chromium >/dev/null ||
	t_abort "chromium installed (deploy/install-deps.sh)"
SHOTS=$ROOT/results/integration/page
PORT=9742
t_topology
T_GLOBAL_EXTRA="metrics_listen = 127.0.0.1:$PORT"
t_config_checked 2
t_daemon
t_warmup 15 || t_abort "a first connection through the VIP succeeds"

URL=http://127.0.0.1:$PORT
code_of() { t_lbcurl -o "${2:-/dev/null}" -w '%{http_code} %{content_type}' "$URL$1"; }
t_wait_all_up

# ---- the listener's paths ----------------------------------------------
r=$(code_of / "$WORKDIR/page.html")
t_check "GET / answers the page ($r)" test "$r" = "200 text/html; charset=utf-8"
t_check "the page uses no external asset (no http(s):// URL, no src=)" \
	sh -c "! grep -qiE 'https?://|src=' '$WORKDIR/page.html'"
r=$(code_of /status.json "$WORKDIR/status.json")
t_check "GET /status.json answers JSON ($r)" test "$r" = "200 application/json"
t_check "/status.json holds the backends, alerts and history answers" \
	test "$(t_jget '(len(d["backends"]), "alerts" in d["alerts"], "history" in d["history"])' \
		<"$WORKDIR/status.json")" = "(3, True, True)"
r=$(code_of /nosuch)
t_check "an unknown path still answers 404 ($r)" test "${r%% *}" = 404
r=$(code_of /metrics "$WORKDIR/metrics.txt")
t_check "/metrics still answers the exposition format ($r)" \
	test "$r" = "200 text/plain; version=0.0.4; charset=utf-8"
t_check "/metrics still has the backends' expected shares" \
	grep -q '^edgelb_backend_expected_share{.*backend="web3"' "$WORKDIR/metrics.txt"

# ---- changes for the page to show --------------------------------------
out=$(elbctl -j weight web3 9 --force)
t_check "weight web3 9 --force applies over max_share 60" \
	test "$(printf '%s' "$out" | t_jget 'd.get("forced")')" = True
# Refused (no such backend), recorded with its words: markup as data.
elbctl weight '<img/src=x/onerror=document.title=1>' 3 >/dev/null 2>&1
in_history() { elbctl -j history | grep -q '<img/src=x'; }
t_check "the refused command with markup is in the history" in_history

# chrome OUT ARGS...: headless Chromium in the daemon's namespace, with
# virtual time enough for the page's fetch and a redraw.
chrome() {
	local out=$1
	shift
	ip netns exec "$PREFIX-lb" timeout 60 chromium --headless --no-sandbox \
		--disable-gpu --user-data-dir="$WORKDIR/chrome" \
		--virtual-time-budget=3000 "$@" "$URL/" >"$out" \
		2>>"$WORKDIR/chrome.err"
}
# snapshot TAG: backends, the page's DOM, backends, alerts, history.
snapshot() {
	elbctl -j backends >"$WORKDIR/$1-b1.json"
	chrome "$WORKDIR/$1-dom.html" --dump-dom
	elbctl -j backends >"$WORKDIR/$1-b2.json"
	elbctl -j alerts >"$WORKDIR/$1-alerts.json"
	elbctl -j history 20 >"$WORKDIR/$1-history.json"
	grep -q 'class="backend"' "$WORKDIR/$1-dom.html"
}

# ---- during traffic ------------------------------------------------------
t_client "$VIP" --duration 14 --rate 150 -c 16 >"$WORKDIR/client.json" &
CPID=$!
sleep 3
t_check "Chromium renders the page during traffic" snapshot live
t_pyscript check_page.py dom "$WORKDIR/live-dom.html" "$WORKDIR/live-b1.json" \
	"$WORKDIR/live-b2.json" "$WORKDIR/live-alerts.json" \
	"$WORKDIR/live-history.json"
mkdir -p "$SHOTS"
rm -f "$SHOTS/status.png"
chrome /dev/null --screenshot="$SHOTS/status.png" --window-size=1280,1000 \
	--hide-scrollbars
t_check "a screenshot is kept: $SHOTS/status.png" \
	sh -c "head -c 8 '$SHOTS/status.png' | grep -q PNG && test \$(stat -c %s '$SHOTS/status.png') -gt 10000"
t_check "markup from a command line stayed text in the DOM" \
	grep -q '&lt;img/src=x/onerror=document.title=1&gt;' "$WORKDIR/live-dom.html"
t_check "the client's connections all succeeded" wait "$CPID"

# ---- traffic stopped -----------------------------------------------------
sleep 1
t_check "Chromium renders the page with traffic stopped" snapshot still
want=""
if grep -q '"share_above_intent"' "$WORKDIR/still-alerts.json"; then
	want="--want-alert share_above_intent"
fi
# shellcheck disable=SC2086
t_pyscript check_page.py dom "$WORKDIR/still-dom.html" \
	"$WORKDIR/still-b1.json" "$WORKDIR/still-b2.json" \
	"$WORKDIR/still-alerts.json" "$WORKDIR/still-history.json" --still $want
t_log "alerts: $(elbctl alerts | head -5)"
t_check "edgelbd still running" elbd_alive
t_stop_daemon
t_finish
