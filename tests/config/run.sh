#!/usr/bin/env bash
# The misconfiguration corpus, through the real `edgelbd --check` (which never
# starts DPDK: no root, no hugepages).
#
#   usage: tests/config/run.sh PATH/TO/edgelbd
#
# - tests/config/bad/*.ini: the first line of each is `; expect: SUBSTRING`;
#   `edgelbd --check FILE` must exit non-zero and its output (stdout and
#   stderr) must contain SUBSTRING, which names the line (":7: unknown key
#   ..."), so a message at the wrong line fails too. At least MIN_BAD files.
# - tests/config/good/*.ini: `edgelbd --check FILE` must exit 0.
# - Made here, not committed: a non-regular file (/dev/zero, a directory, a
#   FIFO), a file over the 16 MiB limit, a missing file, and 200000 sections
#   whose last repeats the first (refused at its line, within the same time
#   bound as every file: duplicate detection must be linear).
# Any sanitizer report fails the file that caused it. Prints one PASS/FAIL
# line per file and a summary; exits non-zero if anything failed.
set -uo pipefail

MIN_BAD=40
TIME_LIMIT=${CONFIG_CHECK_TIMEOUT:-60}

if [ $# -ne 1 ] || [ ! -x "$1" ]; then
	echo "usage: $0 PATH/TO/edgelbd" >&2
	exit 2
fi
EDGELBD=$1
DIR=$(cd "$(dirname "$0")" && pwd)
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT

passed=0
failed=0
pass() { passed=$((passed + 1)); echo "PASS: $*"; }
fail() { failed=$((failed + 1)); echo "FAIL: $*"; }

# check FILE: sets rc and out (stdout and stderr of edgelbd --check FILE).
check() {
	out=$(timeout "$TIME_LIMIT" "$EDGELBD" --check "$1" 2>&1)
	rc=$?
}

sanitizer_report() {
	case $out in
	*"ERROR: AddressSanitizer"* | *"ERROR: LeakSanitizer"* | \
	*"runtime error:"*) return 0 ;;
	esac
	return 1
}

# expect_refused NAME FILE SUBSTRING
expect_refused() {
	local name=$1 file=$2 want=$3

	check "$file"
	if [ "$rc" -eq 124 ]; then
		fail "$name: edgelbd --check took more than $TIME_LIMIT s"
	elif sanitizer_report; then
		fail "$name: sanitizer report:"$'\n'"$out"
	elif [ "$rc" -eq 0 ]; then
		fail "$name: accepted (exit 0), expected: $want"
	elif [[ $out != *"$want"* ]]; then
		fail "$name: exit $rc, but no '$want' in:"$'\n'"$out"
	else
		pass "$name: refused: $want"
	fi
}

expect_accepted() {
	local name=$1 file=$2

	check "$file"
	if [ "$rc" -eq 124 ]; then
		fail "$name: edgelbd --check took more than $TIME_LIMIT s"
	elif sanitizer_report; then
		fail "$name: sanitizer report:"$'\n'"$out"
	elif [ "$rc" -ne 0 ]; then
		fail "$name: refused (exit $rc):"$'\n'"$out"
	else
		pass "$name: accepted"
	fi
}

n_bad=0
for f in "$DIR"/bad/*.ini; do
	[ -e "$f" ] || continue
	n_bad=$((n_bad + 1))
	first=$(head -n 1 "$f" | tr -d '\r')
	want=${first#"; expect: "}
	if [ "$want" = "$first" ] || [ -z "$want" ]; then
		fail "bad/${f##*/}: first line is not '; expect: SUBSTRING'"
		continue
	fi
	expect_refused "bad/${f##*/}" "$f" "$want"
done
for f in "$DIR"/good/*.ini; do
	[ -e "$f" ] || continue
	expect_accepted "good/${f##*/}" "$f"
done

# Files that are no configuration at all: refused before a byte is parsed.
expect_refused "generated: /dev/zero" /dev/zero "/dev/zero: not a regular file"
mkdir "$TMP/dir.ini"
expect_refused "generated: a directory" "$TMP/dir.ini" "dir.ini: not a regular file"
mkfifo "$TMP/fifo.ini"
expect_refused "generated: a FIFO (nobody writes: must not hang)" \
	"$TMP/fifo.ini" "fifo.ini: not a regular file"
truncate -s $((16 * 1024 * 1024 + 1)) "$TMP/huge.ini"
expect_refused "generated: a file of 16 MiB + 1 byte" "$TMP/huge.ini" \
	"huge.ini: larger than 16 MiB"
expect_refused "generated: a missing file" "$TMP/missing.ini" \
	"missing.ini: cannot open: No such file or directory"

# 200000 sections, the last a repeat of the first: found at its line. A
# duplicate search that compares each section with every earlier one takes
# 2e10 compares here (minutes); a linear one, well under a second.
big=$TMP/sections.ini
{
	echo "[pool.p0]"
	seq 1 199999 | sed 's/^/[pool.p/; s/$/]/'
	echo "[pool.p0]"
} >"$big"
expect_refused "generated: 200001 sections, the last repeating the first" \
	"$big" ":200001: duplicate section [pool.p0] (first at line 1)"
# The same for keys of one section.
{
	echo "[global]"
	seq 1 200000 | sed 's/^/k/; s/$/ = 1/'
	echo "k1 = 2"
} >"$big"
expect_refused "generated: 200000 keys in one section, the last repeating one" \
	"$big" ":200002: duplicate key 'k1' in [global] (first at line 2)"

if [ "$n_bad" -lt "$MIN_BAD" ]; then
	fail "only $n_bad files in tests/config/bad (at least $MIN_BAD)"
fi
echo "config corpus: $n_bad bad files; $passed passed, $failed failed"
[ "$failed" -eq 0 ]
