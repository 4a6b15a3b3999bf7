#!/usr/bin/env bash
# edgelbd --check FILE... and --diff OLD NEW through the real binary (no DPDK
# started, no root): several files with a summary and pool fingerprints,
# equal tables from differently ordered files, --json, the postmortem's
# change as a diff, added and removed backends against max_share_change.
#
#   usage: tests/policy/cli.sh PATH/TO/edgelbd
set -uo pipefail

if [ $# -ne 1 ] || [ ! -x "$1" ]; then
	echo "usage: $0 PATH/TO/edgelbd" >&2
	exit 2
fi
EDGELBD=$1
PY=/usr/bin/python3
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT

passed=0
failed=0
t_check() {
	local what=$1
	shift
	if "$@"; then
		passed=$((passed + 1)); echo "PASS: $what"
	else
		failed=$((failed + 1)); echo "FAIL: $what"
	fi
}
has() { printf '%s\n' "$out" | grep -qF -- "$1"; }
hasnt() { ! has "$1"; }

# ini FILE POOL_KEYS W1 W2 W3 [ORDER]: pool web with web1..web3 (weight "-":
# absent), max_share $MS (50) each; ORDER "rev" writes the sections
# backwards.
ini() {
	local f=$1 pool=$2 w1=$3 w2=$4 w3=$5 order=${6:-}
	local s=()
	s+=("$(printf '[global]\nhash_key = 3f1c9a7be2d04586a1b2c3d4e5f60718\n')")
	s+=("$(printf '[port.lan]\ndevice = net_null0\naddress = 10.10.0.2/24\n')")
	s+=("$(printf '[vip.web]\naddress = 10.10.0.100\nport = 80\npool = web\n')")
	s+=("$(printf '[pool.web]\n%b' "$pool")")
	local i=1 w
	for w in "$w1" "$w2" "$w3"; do
		[ "$w" = "-" ] && { i=$((i + 1)); continue; }
		s+=("$(printf '[backend.web%d]\npool = web\naddress = 10.10.0.1%d\nweight = %s\nmax_share = %s\n' "$i" "$i" "$w" "${MS:-50}")")
		i=$((i + 1))
	done
	: >"$f"
	if [ "$order" = rev ]; then
		for ((i = ${#s[@]} - 1; i >= 0; i--)); do printf '%s\n\n' "${s[i]}" >>"$f"; done
	else
		for i in "${!s[@]}"; do printf '%s\n\n' "${s[i]}" >>"$f"; done
	fi
}
line_of() { grep -n -x -- "$2" "$1" | head -1 | cut -d: -f1; }

ini "$TMP/prod.ini" 'n_minus_1 = yes\n' 10 10 10
ini "$TMP/staging.ini" 'n_minus_1 = yes\n' 10 10 10 rev
MS=90 ini "$TMP/site.ini" '' 10 10 100
ini "$TMP/typo.ini" '' 10 10 1000
sed 's/^hash_key = .*/workers = lots/' "$TMP/prod.ini" >"$TMP/broken.ini"

# ---- two files meant to be the same, written in another order -------------
out=$("$EDGELBD" --check "$TMP/prod.ini" "$TMP/staging.ini" 2>&1); rc=$?
printf '%s\n' "$out"
t_check "--check of two equal files exits 0" test "$rc" -eq 0
fp_prod=$(printf '%s\n' "$out" | sed -n "s|^  $TMP/prod.ini: OK; pools web=\([0-9a-f]\{16\}\)\$|\1|p")
fp_stag=$(printf '%s\n' "$out" | sed -n "s|^  $TMP/staging.ini: OK; pools web=\([0-9a-f]\{16\}\)\$|\1|p")
t_check "summary: one OK line per file with the pool's 16-digit fingerprint" \
	test -n "$fp_prod" -a -n "$fp_stag"
t_check "reordered file, same table: same fingerprint ($fp_prod)" \
	test "$fp_prod" = "$fp_stag"
t_check "no 'differs' line for equal tables" hasnt "differs"
slots=$(printf '%s\n' "$out" | awk '/^  web[123] /{s += $NF} END {print s}')
t_check "the slots printed for both files sum to 2 x M = 131074 ($slots)" \
	test "$slots" = 131074

# ---- a review across environments: OK, warnings, violations, error ---------
out=$("$EDGELBD" --check "$TMP/prod.ini" "$TMP/site.ini" "$TMP/typo.ini" \
	"$TMP/broken.ini" 2>&1); rc=$?
printf '%s\n' "$out"
t_check "a violation or an error in any file: exit 1" test "$rc" -eq 1
t_check "summary: prod OK" has "  $TMP/prod.ini: OK; pools web="
t_check "summary: site 1 warning (weight outlier)" \
	has "  $TMP/site.ini: 1 warning; pools web="
t_check "summary: typo 1 violation, 1 warning" \
	has "  $TMP/typo.ini: 1 violation, 1 warning; pools web="
t_check "summary: broken is an error" has "  $TMP/broken.ini: error (1)"
t_check "the error names file:line" has "$TMP/broken.ini:2: workers = 'lots'"
t_check "pools that differ between files are named" \
	has "pool web differs: $TMP/prod.ini $fp_prod, $TMP/site.ini"
l=$(line_of "$TMP/typo.ini" "weight = 1000")
t_check "the violation names typo.ini:$l and web3" \
	has "$TMP/typo.ini:$l: violation [max_share] pool web: backend web3 (weight 1000)"

# warnings only: exit 0
out=$("$EDGELBD" --check "$TMP/prod.ini" "$TMP/site.ini" 2>&1); rc=$?
t_check "warnings only: exit 0" test "$rc" -eq 0

# ---- --json ----------------------------------------------------------------
out=$("$EDGELBD" --check --json "$TMP/prod.ini" "$TMP/staging.ini" \
	"$TMP/typo.ini" 2>&1); rc=$?
t_check "--json with a violation exits 1" test "$rc" -eq 1
json_ok() {
	printf '%s\n' "$out" | "$PY" -c '
import json, sys
d = json.load(sys.stdin)
f = d["files"]
assert d["ok"] is False
assert [x["ok"] for x in f] == [True, True, False], [x["ok"] for x in f]
assert f[0]["report"]["pools"]["web"] == f[1]["report"]["pools"]["web"]
v = f[2]["report"]["findings"]
m = [x for x in v if x["code"] == "max_share"]
assert len(m) == 1 and m[0]["backend"] == "web3" and m[0]["severity"] == "violation"
assert set(m[0]) == {"severity", "code", "message", "where", "pool", "vip", "backend"}
b = f[0]["report"]["vips"][0]["backends"]
assert sum(x["slots"] for x in b) == 65537
assert all(x["max_share"] == 50 and x["worst_share_one_down"] > 49.99 for x in b)
'
}
t_check "--json: one document, files, findings, fingerprints, shares" json_ok

# ---- --diff: the postmortem's change ------------------------------------
out=$("$EDGELBD" --diff "$TMP/prod.ini" "$TMP/typo.ini" 2>&1); rc=$?
printf '%s\n' "$out"
t_check "--diff of the postmortem's change exits 1" test "$rc" -eq 1
t_check "--diff: web3 weight 10 -> 1000, share 33.33% -> 98.04%" \
	has "changed  web3 (pool web): weight 10 -> 1000, expected share 33.33% -> 98.04%"
t_check "--diff: web1's share falls though its weight did not" \
	has "changed  web1 (pool web): weight 10 -> 10, expected share 33.33% -> 0.98%"
l=$(line_of "$TMP/typo.ini" "weight = 1000")
t_check "--diff: the violation at typo.ini:$l" \
	has "$TMP/typo.ini:$l: violation [max_share]"
t_check "--diff: the pool's fingerprint old -> new" \
	has "pool web fingerprint $fp_prod -> "

# ---- --diff: added and removed backends against max_share_change ---------
ini "$TMP/old.ini" 'max_share_change = 10\n' 10 10 -
ini "$TMP/new.ini" 'max_share_change = 10\n' - 10 10
out=$("$EDGELBD" --diff "$TMP/old.ini" "$TMP/new.ini" 2>&1); rc=$?
printf '%s\n' "$out"
t_check "--diff: web3 added" \
	has "added    web3 (pool web): weight - -> 10, expected share 0.00% -> 50."
t_check "--diff: web1 removed" \
	has "removed  web1 (pool web): weight 10 -> -, expected share 50."
t_check "--diff: share_change violations for the added and the removed" \
	sh -c 'printf "%s\n" "$1" | grep -q "violation \[share_change\] pool web: backend web3" &&
	       printf "%s\n" "$1" | grep -q "violation \[share_change\] pool web: backend web1"' _ "$out"
t_check "--diff with violations exits 1" test "$rc" -eq 1

out=$("$EDGELBD" --diff "$TMP/prod.ini" "$TMP/staging.ini" 2>&1); rc=$?
t_check "--diff of equal tables: no backend changes, exit 0" \
	sh -c '[ "$1" -eq 0 ] && printf "%s\n" "$2" | grep -q "no backend changes"' _ "$rc" "$out"

out=$("$EDGELBD" --diff --json "$TMP/old.ini" "$TMP/new.ini" 2>&1); rc=$?
diff_json_ok() {
	printf '%s\n' "$out" | "$PY" -c '
import json, sys
d = json.load(sys.stdin)
c = {x["backend"]: x for x in d["backends"]}
assert c["web3"]["change"] == "added" and c["web3"]["weight_old"] is None
assert c["web1"]["change"] == "removed" and c["web1"]["share_new"] == 0
assert d["violations"] >= 2 and d["ok"] is False
'
}
t_check "--diff --json: backends and findings" diff_json_ok

out=$("$EDGELBD" --diff "$TMP/old.ini" 2>&1); rc=$?
t_check "--diff with one file: usage, exit 2" test "$rc" -eq 2
out=$("$EDGELBD" --diff "$TMP/old.ini" "$TMP/broken.ini" 2>&1); rc=$?
t_check "--diff with a broken NEW: exit 1 naming file:line" \
	sh -c '[ "$1" -eq 1 ] && printf "%s\n" "$2" | grep -q "broken.ini:2:"' _ "$rc" "$out"

echo "policy cli: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
