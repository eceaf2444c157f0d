#!/bin/sh
# Runs each shell test script given as argument with tests/sh/lib.sh.
# Environment: BIN (tools), TESTBIN (test helpers), TMPROOT (scratch).
fail=0
for t in "$@"; do
	echo "== $t"
	if ! sh "$t"; then fail=$((fail + 1)); fi
done
if [ $fail -ne 0 ]; then echo "$fail shell test script(s) failed" >&2; exit 1; fi
