#!/bin/sh
# Runs each shell test script given as argument (they source
# tests/sh/lib.sh) and prints the total of passed, failed and skipped
# tests.  A script fails when it exits non-zero or ends without reaching
# test_done.  Environment: BIN (tools), TESTBIN (test helpers), TMPROOT
# (scratch).
: "${TMPROOT:=/tmp/dbv-sh}"
DBV_TEST_RESULTS=$TMPROOT/.results
export TMPROOT DBV_TEST_RESULTS
rm -rf "$DBV_TEST_RESULTS" && mkdir -p "$DBV_TEST_RESULTS" || exit 1
fail=0
ok=0 bad=0 skip=0
for t in "$@"; do
	echo "== $t"
	n=$(basename "$t" .sh)
	rm -f "$DBV_TEST_RESULTS/$n"
	if ! sh "$t"; then
		fail=$((fail + 1))
	elif ! [ -s "$DBV_TEST_RESULTS/$n" ]; then
		echo "$n: ended without test_done" >&2
		fail=$((fail + 1))
	fi
	if [ -s "$DBV_TEST_RESULTS/$n" ]; then
		read a b c <"$DBV_TEST_RESULTS/$n"
		ok=$((ok + a)) bad=$((bad + b)) skip=$((skip + c))
	fi
done
echo "shell tests: $ok passed, $bad failed, $skip skipped ($# scripts)"
if [ $fail -ne 0 ]; then echo "$fail shell test script(s) failed" >&2; exit 1; fi
