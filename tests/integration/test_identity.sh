#!/usr/bin/env bash
# Backend identities survive a reload that adds, reorders and removes.
#   tcp :80   -> pool k (on_remove keep):       k-web1, k-web2, k-web3
#   tcp :8080 -> pool r (on_remove reschedule): r-web1, r-web2, r-web3
# Three keep-alive connections per backend (source ports chosen with
# `lookup`, below the ephemeral range), a request every 100 ms. Then one
# reload of a file whose sections are in another order, which adds VIP
# a-vip :8081 with pool p0 and backend a0 (names that sort first, a0 at
# web1's address) and removes k-web3 and r-web3. Asserts:
# - no connection to a remaining backend moves (lookup: flow on it; all
#   its requests in that server's log, before and after); remaining
#   backends keep their id and their counters (no reset, still counting);
#   a0 gets a fresh id and serves :8081;
# - keep: k-web3's connections are still answered by web3, `backends`
#   lists k-web3 as "removed" with flows > 0, removed_kept rises; once
#   they end, k-web3 leaves `backends`;
# - reschedule: r-web3's connections fail (their next packet goes to the
#   pool's current choice, which resets them), removed_rescheduled rises,
#   lookup names r-web1/r-web2, web3 logs nothing more of them;
# - then `disable` (k-web1 and r-web1, two new connections each) follows
#   on_remove the same way: k-web1's keep being answered by web1 (state
#   "disabled", flows 2), r-web1's fail and move to r-web2.
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"

# shellcheck disable=SC2034 # read by elb_nginx_start (netns.sh)
ELB_NGINX_EXTRA_PORTS="8080 8081"
PER=3
t_init ident
t_topology
t_config_head 1
t_vip web 80 tcp k
t_vip alt 8080 tcp r
t_pool k
echo "on_remove = keep" >>"$CONF"
t_pool r
echo "on_remove = reschedule" >>"$CONF"
for i in 1 2 3; do t_backend "k-web$i" k "$i" 1; done
for i in 1 2 3; do t_backend "r-web$i" r "$i" 1; done
t_daemon
t_warmup 15 || t_abort "a first connection through the VIP succeeds"
t_pass "a first connection through the VIP succeeds"

t_pyr pick-ports --port 80 --names k-web1,k-web2,k-web3 --per $PER \
	--from 6000 --out "$WORKDIR/picks80" || t_abort "source ports picked"
t_pyr pick-ports --port 8080 --names r-web1,r-web2,r-web3 --per $PER \
	--from 7000 --out "$WORKDIR/picks8080" || t_abort "source ports picked"
ports() { cut -d' ' -f1 "$1" | paste -sd,; }
STOP=$WORKDIR/stop
t_client "$VIP" --port 80 --hold 40 --holds $((3 * PER)) --interval 0.1 \
	--src-ports "$(ports "$WORKDIR/picks80")" --stop-file "$STOP" \
	--port-file "$WORKDIR/k.ports" >"$WORKDIR/k.json" &
KP=$!
t_client "$VIP" --port 8080 --hold 40 --holds $((3 * PER)) --interval 0.1 \
	--src-ports "$(ports "$WORKDIR/picks8080")" --stop-file "$STOP" \
	--port-file "$WORKDIR/r.ports" --allow-errors >"$WORKDIR/r.json" &
RP=$!
for _ in $(seq 50); do
	[ -s "$WORKDIR/k.ports" ] && [ -s "$WORKDIR/r.ports" ] && break
	sleep 0.1
done
if ! [ -s "$WORKDIR/k.ports" ] || ! [ -s "$WORKDIR/r.ports" ]; then
	t_abort "keep-alive connections established"
fi
sleep 1.5
t_pyr holds-on --port 80 --picks "$WORKDIR/picks80" --label "before, :80"
t_pyr holds-on --port 8080 --picks "$WORKDIR/picks8080" --label "before, :8080"
t_pyr save --out "$WORKDIR/before.json"

# The new file: other section order, a0/p0/a-vip added, *-web3 removed.
NEW=$WORKDIR/reordered.ini
sec() { printf '\n[%s]\n' "$1"; shift; printf '%s\n' "$@"; }
{
	echo "; sections reordered, a0 added, k-web3 and r-web3 removed"
	sec backend.r-web2 "pool = r" "address = ${BACKEND_ADDRS[1]}" "weight = 1"
	sec backend.a0 "pool = p0" "address = ${BACKEND_ADDRS[0]}" "weight = 1"
	sec vip.a-vip "address = $VIP" "port = 8081" "protocol = tcp" \
		"mode = dr" "pool = p0"
	sec pool.p0 "scheduler = maglev" "table_size = 65537"
	sec backend.k-web2 "pool = k" "address = ${BACKEND_ADDRS[1]}" "weight = 1"
	sec backend.k-web1 "pool = k" "address = ${BACKEND_ADDRS[0]}" "weight = 1"
	sec backend.r-web1 "pool = r" "address = ${BACKEND_ADDRS[0]}" "weight = 1"
	sec pool.r "on_remove = reschedule" "table_size = 65537" \
		"scheduler = maglev"
	sec pool.k "table_size = 65537" "on_remove = keep"
	sec vip.alt "pool = r" "address = $VIP" "port = 8080" "protocol = tcp"
	sec vip.web "port = 80" "address = $VIP" "pool = k"
	sed -n '/^\[port\./,/^$/p' "$CONF"
	sed -n '/^\[global\]/,/^$/p' "$CONF"
} >"$NEW"
elbctl -j reload "$NEW" >"$WORKDIR/reload.json"
t_check "reload of the reordered file exits 0" test $? -eq 0
t_check "reload answer: a0 added, k-web3 and r-web3 removed, nothing else" \
	"$PY" -c '
import json, sys
a = json.load(open(sys.argv[1]))
ch = sorted((b["name"], b["change"]) for b in a["backends"]
            if b["change"] in ("added", "removed"))
print("  added/removed:", ch)
sys.exit(ch != [("a0", "added"), ("k-web3", "removed"), ("r-web3", "removed")])
' "$WORKDIR/reload.json"
sleep 2
t_pyr identity --before "$WORKDIR/before.json" \
	--remaining k-web1,k-web2,r-web1,r-web2 --removed-keep k-web3
t_pyr holds-on --port 80 --picks "$WORKDIR/picks80" \
	--label "after, :80 (k-web3's too)"
grep -v ' r-web3$' "$WORKDIR/picks8080" >"$WORKDIR/picks8080.stay"
t_pyr holds-on --port 8080 --picks "$WORKDIR/picks8080.stay" \
	--label "after, :8080 (r-web1/r-web2's)"
t_client "$VIP" --port 8081 -n 30 -c 4 --time-limit 20 >"$WORKDIR/a0.json"
t_check "30 connections to the new VIP a-vip :8081 succeed" test $? -eq 0
n=$(wc -l <"$WORKDIR/b1/access-8081.log")
t_check "a0 (web1's address) served all 30 of them ($n)" test "$n" -eq 30
t_pyr save --out "$WORKDIR/after.json"
sleep 1
t_pyr counters-grew --before "$WORKDIR/after.json" \
	--names k-web1,k-web2,r-web1,r-web2

touch "$STOP"
rc=0
wait "$KP" || rc=$?
t_check ":80 keep-alive client: no error on any connection ($rc)" \
	test "$rc" -eq 0
wait "$RP"
t_pyr holds --summary "$WORKDIR/k.json" --min-requests 30
t_pyr kept --before "$WORKDIR/before.json" --gone k-web3 --gone-idx 3 \
	--log access.log --summary "$WORKDIR/k.json" --picks "$WORKDIR/picks80"
gone=$(grep ' r-web3$' "$WORKDIR/picks8080" | cut -d' ' -f1 | paste -sd,)
t_pyr holds --summary "$WORKDIR/r.json" --log access-8080.log \
	--skip-ports "$gone" --min-requests 30
t_pyr rescheduled --before "$WORKDIR/before.json" --port 8080 \
	--gone r-web3 --gone-idx 3 --others r-web1,r-web2 \
	--log access-8080.log --summary "$WORKDIR/r.json" \
	--picks "$WORKDIR/picks8080"

# k-web3's connections have ended: it leaves `backends` after the FIN
# timeout.
left=
for _ in $(seq 40); do
	left=$(elbctl -j backends | "$PY" -c 'import json,sys; print(",".join("%s:%s" % (b["state"], b["flows"]) for b in json.load(sys.stdin) if b["name"] == "k-web3"))')
	[ -z "$left" ] && break
	sleep 0.25
done
t_check "k-web3 no longer listed once its connections ended (${left:-gone})" \
	test -z "$left"

# disable follows on_remove too: two new keep-alive connections to k-web1
# and two to r-web1, then `disable` both backends.
t_pyr pick-ports --port 80 --names k-web1 --per 2 --from 6500 \
	--out "$WORKDIR/dpicks80" || t_abort "source ports picked"
t_pyr pick-ports --port 8080 --names r-web1 --per 2 --from 7500 \
	--out "$WORKDIR/dpicks8080" || t_abort "source ports picked"
rm -f "$STOP"
t_client "$VIP" --port 80 --hold 20 --holds 2 --interval 0.1 \
	--src-ports "$(ports "$WORKDIR/dpicks80")" --stop-file "$STOP" \
	>"$WORKDIR/dk.json" &
KP=$!
t_client "$VIP" --port 8080 --hold 20 --holds 2 --interval 0.1 \
	--src-ports "$(ports "$WORKDIR/dpicks8080")" --stop-file "$STOP" \
	--allow-errors >"$WORKDIR/dr.json" &
RP=$!
sleep 1
t_pyr holds-on --port 80 --picks "$WORKDIR/dpicks80" --label "k-web1, :80"
t_pyr save --out "$WORKDIR/before-disable.json"
elbctl disable k-web1 >/dev/null && elbctl disable r-web1 >/dev/null
t_check "disable k-web1 and r-web1 exit 0" test $? -eq 0
sleep 1.5
st=$(elbctl -j backends | "$PY" -c 'import json,sys; print(" ".join(sorted("%s:%s:%s" % (b["name"], b["state"], b["flows"] if b["name"] == "k-web1" else "-") for b in json.load(sys.stdin) if b["name"] in ("k-web1", "r-web1"))))')
t_check "backends: k-web1 disabled, still holding its 2 flows (keep), r-web1 disabled: $st" \
	test "$st" = "k-web1:disabled:2 r-web1:disabled:-"
t_pyr holds-on --port 80 --picks "$WORKDIR/dpicks80" \
	--label "k-web1 disabled (keep), :80"
touch "$STOP"
wait "$KP"
t_check ":80 keep-alive client: no error after disable ($?)" test $? -eq 0
wait "$RP"
t_pyr kept --before "$WORKDIR/before-disable.json" --gone k-web1 \
	--gone-idx 1 --log access.log --summary "$WORKDIR/dk.json" \
	--picks "$WORKDIR/dpicks80"
t_pyr rescheduled --before "$WORKDIR/before-disable.json" --port 8080 \
	--gone r-web1 --gone-idx 1 --others r-web2 --log access-8080.log \
	--summary "$WORKDIR/dr.json" --picks "$WORKDIR/dpicks8080"

t_check "edgelbd still running" elbd_alive
t_stop_daemon
t_finish
