#!/usr/bin/env bash
# edgelbd --check: the demo configuration validates and its simulated shares
# match the 1:2:3 weights within 0.01; broken copies (duplicate section,
# unknown key, bad weight) are refused with "file:line:" naming the lines.
. "$(dirname "$0")/lib.sh"

t_init ck
DEMO=$ROOT/config/demo.ini
[ -f "$DEMO" ] || t_abort "config/demo.ini exists"

out=$(timeout 20 "$EDGELBD" --check "$DEMO" 2>&1)
rc=$?
printf '%s\n' "$out"
t_check "edgelbd --check config/demo.ini exits 0" test "$rc" -eq 0

# Each backend's expected share: the column headed "expected" if there is
# one, else the last number on the backend's line; "16.67%" or "0.1667".
shares_ok() {
	printf '%s\n' "$out" | "$PY" -c '
import re, sys
text = sys.stdin.read().splitlines()
want = {"web1": 1/6, "web2": 2/6, "web3": 3/6}
num = re.compile(r"^(\d+(?:\.\d+)?)(%?)$")
col = None
for line in text:
    toks = line.split()
    for i, t in enumerate(toks):
        if "expected" in t.lower():
            col = (i, len(toks))
bad = 0
for name, w in want.items():
    rows = [l.split() for l in text if name in l.split()]
    if not rows:
        print("  no line for", name); bad += 1; continue
    toks = rows[0]
    cand = None
    if col and len(toks) == col[1]:
        cand = toks[col[0]]
    vals = [t for t in toks if num.match(t.rstrip(","))]
    if cand is None or not num.match(cand):
        cand = vals[-1] if vals else None
    if cand is None:
        print("  no share for", name); bad += 1; continue
    m = num.match(cand.rstrip(","))
    v = float(m.group(1))
    if m.group(2) or v > 1:
        v /= 100
    good = abs(v - w) <= 0.01
    print("  %s: expected share %.4f, weight share %.4f %s" %
          (name, v, w, "ok" if good else "OFF"))
    bad += not good
sys.exit(1 if bad else 0)
'
}
t_check "--check prints web1..web3 with expected shares within 0.01 of 1/6, 2/6, 3/6" shares_ok

# Broken copies. Line numbers are computed from the demo file itself.
section_line() { grep -n "^[[:space:]]*\[$1\][[:space:]]*\$" "$2" | head -1 | cut -d: -f1; }
L_B1=$(section_line backend.web1 "$DEMO")
L_B2=$(section_line backend.web2 "$DEMO")
L_B3=$(section_line backend.web3 "$DEMO")
[ -n "$L_B1" ] && [ -n "$L_B2" ] && [ -n "$L_B3" ] ||
	t_abort "config/demo.ini has [backend.web1..3]"
N=$(wc -l <"$DEMO")

# 1. [backend.web1] repeated at the end (a copy of the original section).
DUP=$WORKDIR/dup.ini
{ cat "$DEMO"; echo; awk -v s="$L_B1" 'NR == s { p = 1; print; next }
	p && /^[[:space:]]*\[/ { exit } p' "$DEMO"; } >"$DUP"
L_DUP=$((N + 2))
# 2. An unknown key right after [backend.web2].
UNK=$WORKDIR/unknown.ini
awk -v s="$L_B2" '{ print } NR == s { print "wieght = 2" }' "$DEMO" >"$UNK"
L_UNK=$((L_B2 + 1))
# 3. An out-of-range weight in [backend.web3].
BAD=$WORKDIR/badweight.ini
L_W=$(awk -v s="$L_B3" 'NR > s && /^[[:space:]]*\[/ { exit }
	NR > s && /^[[:space:]]*weight[[:space:]]*=/ { print NR; exit }' "$DEMO")
[ -n "$L_W" ] || t_abort "config/demo.ini [backend.web3] has a weight line"
awk -v w="$L_W" 'NR == w { print "weight = 70000"; next } { print }' "$DEMO" >"$BAD"
# 4. A non-numeric weight.
NAN=$WORKDIR/nanweight.ini
awk -v w="$L_W" 'NR == w { print "weight = heavy"; next } { print }' "$DEMO" >"$NAN"

# refused FILE WHAT LINE [OTHER_LINE]: non-zero exit, "FILE:LINE:" in the
# output (and OTHER_LINE mentioned too, for duplicates).
refused() {
	local f=$1 what=$2 line=$3 other=${4:-} out rc=0 base
	out=$(timeout 20 "$EDGELBD" --check "$f" 2>&1) || rc=$?
	base=$(basename "$f")
	printf '  %s\n' "$out" | head -5
	if [ "$rc" -eq 0 ]; then
		t_fail "$what: --check exits non-zero (got 0)"
		return
	fi
	if [ -z "$other" ]; then
		if printf '%s\n' "$out" | grep -q "$base:$line:"; then
			t_pass "$what: refused with $base:$line:"
		else
			t_fail "$what: refused with $base:$line: (exit $rc)"
		fi
	else
		if printf '%s\n' "$out" | grep -Eq "$base:($line|$other):" &&
		   printf '%s\n' "$out" | grep -q "\\b$line\\b" &&
		   printf '%s\n' "$out" | grep -q "\\b$other\\b"; then
			t_pass "$what: refused with $base:LINE: naming lines $other and $line"
		else
			t_fail "$what: refused with $base:LINE: naming lines $other and $line (exit $rc)"
		fi
	fi
}
refused "$DUP" "duplicate [backend.web1]" "$L_DUP" "$L_B1"
refused "$UNK" "unknown key 'wieght'" "$L_UNK"
refused "$BAD" "weight = 70000" "$L_W"
refused "$NAN" "weight = heavy" "$L_W"

# All three slips in one file: still refused.
ALL=$WORKDIR/all.ini
{ awk -v s="$L_B2" -v w="$L_W" 'NR == w { print "weight = 70000"; next }
	{ print } NR == s { print "wieght = 2" }' "$DEMO"; echo
  awk -v s="$L_B1" 'NR == s { p = 1; print; next }
	p && /^[[:space:]]*\[/ { exit } p' "$DEMO"; } >"$ALL"
rc=0
out=$(timeout 20 "$EDGELBD" --check "$ALL" 2>&1) || rc=$?
t_check "all three slips in one file: refused with file:line:" \
	sh -c '[ "$1" -ne 0 ] && printf "%s\n" "$2" | grep -q "all.ini:[0-9][0-9]*:"' \
	_ "$rc" "$out"

t_finish
