#!/bin/sh
# t0000-harness.sh - the harness itself (tests/sh/lib.sh, run.sh): little
# sample scripts, written here, run with lib.sh and their verdicts
# checked.  A failing command in the middle of a body fails the test (set
# -e works there), the chain lint fails a body with a broken && chain and
# passes the constructs the real tests use, a missing prerequisite is a
# skip and never a pass, and test_must_fail and test_expect_code mean
# what they say.
. "$(dirname "$0")/lib.sh"

# run_sample SCRIPT [VAR=value...]: run a sample script as run.sh would,
# in its own scratch root; its output goes to stdout.
run_sample() {
	s=$1; shift
	env -u DBV_TEST_RESULTS TMPROOT="$T/tmp" SRCDIR="$SRCDIR" "$@" sh "$T/$s" 2>&1
}

cat >pass.sh <<'EOF'
. "$SRCDIR/tests/sh/lib.sh"
test_expect_success 'a body that succeeds' '
	echo one >f &&
	test -s f
'
test_done
EOF

cat >middle.sh <<'EOF'
. "$SRCDIR/tests/sh/lib.sh"
helper() {
	echo before >before1
	false
	echo after >after1
}
test_expect_success 'a failing command in the middle of a helper' '
	helper
'
test_expect_success 'a failing command in the middle of a body' '
	echo before >before2
	false
	echo after >after2
'
test_expect_success 'a failing command in the middle of a chain' '
	echo before >before3 &&
	false &&
	echo after >after3
'
test_done
EOF

# Bodies whose chains are broken.  set -e fails the first two when they
# run, but not the others (it is off inside an && chain, and a loop's
# status is its last command's): only the lint sees them.
cat >broken.sh <<'EOF'
. "$SRCDIR/tests/sh/lib.sh"
test_expect_success 'two top-level lines without &&' '
	false
	true
'
test_expect_success 'commands joined by ;' '
	false; true &&
	true
'
test_expect_success 'a broken chain in a group' '
	{
		false
		true
	} &&
	true
'
test_expect_success 'a broken chain in an if branch' '
	if true; then
		false
		true
	fi &&
	true
'
test_expect_success 'a loop body without || exit 1' '
	for i in 1 2; do
		test $i = 2
	done &&
	true
'
test_expect_success 'a one-line loop without || exit 1' '
	for i in 1 2; do test $i = 2; done &&
	true
'
test_done
EOF

# What the real tests write: all of it passes the lint.
cat >constructs.sh <<'EOF'
. "$SRCDIR/tests/sh/lib.sh"
test_expect_success 'here-documents, strings over lines, comments' '
	# a comment, with no && at its end
	cat >a <<-END &&
	a line
	another line
	END
	cat >b <<-"END" &&
	it'"'"'s here
	END
	awk "
		{ n++ }
		END { exit n != 2 }
	" a &&
	test "$(cat b)" = "it'"'"'s here" &&
	echo "a quote'"'"' inside a string" >c
'
test_expect_success 'continuations, $( ) over lines, if, case' '
	x=$(echo one |
		tr o O) &&
	test "$x" = One &&
	test "$(echo "$(echo nested)")" = nested &&
	echo a b \
		c >d &&
	if test -s d; then
		echo yes >e
	else
		echo no >e
	fi &&
	case $x in
	One) y=1 ;;
	*) y=2 ;;
	esac &&
	test $y = 1
'
test_expect_success 'loops that stop at a failure' '
	for i in 1 2; do
		test $i -gt 0 || exit 1
	done &&
	for i in 1 2; do test $i -gt 0 || exit 1; done &&
	for i in 1 2; do for j in 3 4; do test $i -lt $j || exit 1; done; done &&
	i=0 && while [ $i -lt 3 ]; do i=$((i + 1)); done &&
	for i in 1 2; do
		test $i -gt 0 ||
			{ echo "bad $i" >&2; exit 1; }
		k=$((i + 1))
	done &&
	test_must_fail 3 sh -c "echo oops >&2; exit 3"
'
test_done
EOF

cat >prereq.sh <<'EOF'
. "$SRCDIR/tests/sh/lib.sh"
test_lazy_prereq NOPE 'false'
test_lazy_prereq YEP 'true'
test_lazy_prereq ONCE 'echo x >>"$T/once"'
test_set_prereq SET
test_expect_success NOPE 'needs NOPE' 'touch ran-nope'
test_expect_success YEP,SET 'needs YEP and SET' 'touch ran-yep'
test_expect_success !NOPE 'needs NOPE missing' 'touch ran-not-nope'
test_expect_success YEP,NOPE 'needs YEP and NOPE' 'touch ran-both'
test_expect_success ONCE 'first use' 'true'
test_expect_success ONCE 'second use' 'true'
test_done
EOF

cat >unknown.sh <<'EOF'
. "$SRCDIR/tests/sh/lib.sh"
test_expect_success NOSUCH 'needs an unknown prerequisite' 'true'
test_done
EOF

cat >condition.sh <<'EOF'
. "$SRCDIR/tests/sh/lib.sh"
if test_expect_success 'called in a condition' 'true'; then :; fi
test_done
EOF

cat >early.sh <<'EOF'
. "$SRCDIR/tests/sh/lib.sh"
test_expect_success 'passes, then the script stops early' 'true'
exit 0
EOF

cat >failing.sh <<'EOF'
. "$SRCDIR/tests/sh/lib.sh"
test_expect_success 'fails' 'echo the reason >&2 && false'
test_done
EOF

test_expect_success 'a body that succeeds passes' '
	run_sample pass.sh >out &&
	tail -1 out >last && echo "pass: 1 passed, 0 failed, 0 skipped" >want &&
	test_cmp want last && ! grep -q FAIL out
'

test_expect_success 'a failing command in the middle of a body fails the test (set -e)' '
	test_expect_code 1 run_sample middle.sh TEST_CHAIN_LINT=0 >out &&
	grep -q "^FAIL: middle: a failing command in the middle of a helper (exit 1)$" out &&
	grep -q "^FAIL: middle: a failing command in the middle of a body (exit 1)$" out &&
	grep -q "^FAIL: middle: a failing command in the middle of a chain (exit 1)$" out &&
	tail -1 out | grep -q "^middle: 0 passed, 3 failed, 0 skipped$" &&
	d=$T/tmp/middle && test -e $d/before1 && test -e $d/before2 && test -e $d/before3 &&
	! test -e $d/after1 && ! test -e $d/after2 && ! test -e $d/after3
'

test_expect_success 'with the lint on, a broken body fails before it runs' '
	test_expect_code 1 run_sample middle.sh >out &&
	grep -q "^FAIL: middle: a failing command in the middle of a helper (exit 1)$" out &&
	grep -q "^FAIL: middle: a failing command in the middle of a body (the chain lint)$" out &&
	grep -q "line 2: broken && chain: 	echo before >before2$" out &&
	! test -e $T/tmp/middle/before2
'

test_expect_success 'the chain lint fails each broken chain, naming the line' '
	test_expect_code 1 run_sample broken.sh TEST_CHAIN_LINT=0 >out &&
	tail -1 out | grep -q "^broken: 4 passed, 2 failed, 0 skipped$" &&
	test_expect_code 1 run_sample broken.sh >out &&
	tail -1 out | grep -q "^broken: 0 passed, 6 failed, 0 skipped$" &&
	test $(grep -c "^FAIL: broken: .* (the chain lint)$" out) = 6 &&
	grep -q "line 2: broken && chain: 	false$" out &&
	grep -q "a top-level command does not end in &&" out &&
	grep -q "line 3: broken && chain: 		false$" out &&
	grep -q "line 3: a command in a loop needs || exit 1 (or || return 1): 		test .i = 2$" out &&
	grep -q "line 2: a command in a loop needs || exit 1 (or || return 1): 	for i in 1 2; do test .i = 2; done &&$" out
'

test_expect_success 'the chain lint passes here-documents, strings, loops with || exit 1' '
	run_sample constructs.sh >out &&
	tail -1 out | grep -q "^constructs: 3 passed, 0 failed, 0 skipped$"
'

test_expect_success 'a missing prerequisite is a skip, not a pass; its body does not run' '
	run_sample prereq.sh >out &&
	tail -1 out | grep -q "^prereq: 4 passed, 0 failed, 2 skipped$" &&
	grep -q "^skip: prereq: needs NOPE (missing NOPE)$" out &&
	grep -q "^skip: prereq: needs YEP and NOPE (missing NOPE)$" out &&
	d=$T/tmp/prereq && ! test -e $d/ran-nope && ! test -e $d/ran-both &&
	test -e $d/ran-yep && test -e $d/ran-not-nope &&
	test $(wc -l <$d/once) = 1
'

test_expect_success 'an unknown prerequisite, a call in a condition: the script stops' '
	test_expect_code 1 run_sample unknown.sh >out &&
	grep -q "^BUG: unknown: unknown prerequisite NOSUCH$" out &&
	test_expect_code 1 run_sample condition.sh >out &&
	grep -q "^BUG: condition: .* where set -e is off" out
'

test_expect_success 'a failed test shows its output' '
	test_expect_code 1 run_sample failing.sh >out &&
	grep -q "^FAIL: failing: fails (exit 1)$" out &&
	grep -q "^    the reason$" out
'

test_expect_success 'run.sh totals passes, failures and skips; a script that stops early fails' '
	for s in pass prereq early failing; do cp $s.sh t-$s.sh || exit 1; done &&
	env -u DBV_TEST_RESULTS TMPROOT="$T/tmp2" SRCDIR="$SRCDIR" \
		sh "$SRCDIR/tests/sh/run.sh" t-pass.sh t-prereq.sh >out 2>err &&
	tail -1 out | grep -q "^shell tests: 5 passed, 0 failed, 2 skipped (2 scripts)$" &&
	test_expect_code 1 env -u DBV_TEST_RESULTS TMPROOT="$T/tmp2" SRCDIR="$SRCDIR" \
		sh "$SRCDIR/tests/sh/run.sh" t-pass.sh t-early.sh t-failing.sh >out 2>err &&
	tail -1 out | grep -q "^shell tests: 1 passed, 1 failed, 0 skipped (3 scripts)$" &&
	grep -q "^t-early: ended without test_done$" err &&
	grep -q "^2 shell test script(s) failed$" err
'

test_expect_success 'test_must_fail: the code, nothing on stdout, one line on stderr' '
	test_must_fail 3 sh -c "echo oops >&2; exit 3" &&
	! test_must_fail 2 sh -c "echo oops >&2; exit 3" 2>/dev/null &&
	! test_must_fail 3 sh -c "exit 0" 2>/dev/null &&
	! test_must_fail 3 sh -c "echo out; echo oops >&2; exit 3" 2>/dev/null &&
	! test_must_fail 3 sh -c "echo one >&2; echo two >&2; exit 3" 2>/dev/null &&
	! test_must_fail 3 sh -c "exit 3" 2>/dev/null &&
	! test_must_fail 3 sh -c "kill -9 \$\$" 2>/dev/null
'

test_expect_success 'test_must_fail as the last command of a body (set -e is on there)' '
	test_must_fail 3 sh -c "echo oops >&2; exit 3"
'

test_expect_success 'test_expect_code: the code only' '
	test_expect_code 0 true &&
	test_expect_code 4 sh -c "echo out; echo err >&2; exit 4" >o 2>e &&
	test -s o && test -s e &&
	! test_expect_code 4 sh -c "exit 3" 2>/dev/null &&
	test_expect_code 3 sh -c "exit 3"
'

test_done
