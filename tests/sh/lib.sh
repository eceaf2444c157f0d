# tests/sh/lib.sh - sourced by every tests/sh/tNNNN-*.sh script
# (tests/sh/README tells how to write one).
#
#   test_expect_success [PREREQ,...] 'title' 'body'
#                                    body must succeed; it runs with set -e
#                                    in a subshell, after the chain lint
#   test_set_prereq NAME             declare prerequisite NAME satisfied
#   test_lazy_prereq NAME 'script'   NAME is satisfied when script succeeds
#                                    (run once, on first use, in a subshell
#                                    in an empty scratch directory)
#   test_have_prereq PREREQ,...      whether all are satisfied (!NAME: not)
#   test_must_fail CODE cmd args...  cmd must exit with CODE, print nothing
#                                    on stdout and one line on stderr
#   test_expect_code CODE cmd...     cmd must exit with CODE (nothing else)
#   test_cmp expected actual         files must be equal
#   test_done                        summary; exit status
#
# A test whose prerequisites are missing is skipped: counted and printed as
# a skip, never as a pass.  Each script gets a fresh scratch directory $T
# and runs in it; the tools are on PATH (from $BIN); $TESTBIN holds test
# helpers (mkfixtures).  TEST_CHAIN_LINT=0 turns the chain lint off,
# TEST_VERBOSE=1 prints passing tests too.
set -u
: "${BIN:?BIN must point at the tools}"
: "${TESTBIN:?TESTBIN must point at the test helpers}"
: "${TMPROOT:=/tmp/dbv-sh}"
PATH="$BIN:$TESTBIN:$PATH"
export PATH
# The make that runs the tests (make -s check, make -j2 check) passes its
# flags and its jobserver down: the tests' own makes start clean.
unset MAKEFLAGS MFLAGS MAKELEVEL MAKEOVERRIDES
# The source tree (the runner starts in it).
SRCDIR=${SRCDIR:-$(pwd)}
name=$(basename "$0" .sh)
T="$TMPROOT/$name"
rm -rf "$T" && mkdir -p "$T" || exit 1
cd "$T" || exit 1
n_ok=0
n_fail=0
n_skip=0

# A mistake in the test script itself (not a failing test): stop.
test_bug_() {
	echo "BUG: $name: $*" >&2
	exit 1
}

# ---- prerequisites -------------------------------------------------------

# test_set_prereq NAME: NAME is satisfied.
test_set_prereq() {
	test_prereq_name_ "$1"
	eval "prereq_state_$1=yes"
}

# test_lazy_prereq NAME 'script': NAME is satisfied when script exits 0.
test_lazy_prereq() {
	test_prereq_name_ "$1"
	eval "prereq_lazy_$1=\$2; prereq_state_$1="
}

test_prereq_name_() {
	case $1 in
	'' | [0-9]* | *[!A-Z0-9_]*) test_bug_ "bad prerequisite name '$1' (use A-Z, 0-9, _)" ;;
	esac
}

# test_have_prereq LIST: every prerequisite of the comma-separated LIST is
# satisfied (!NAME: NAME is not).  The missing ones go to $missing_prereq.
test_have_prereq() {
	missing_prereq=
	for tp_p in $(echo "$1" | tr , ' '); do
		tp_neg=
		case $tp_p in !*) tp_neg=1 tp_p=${tp_p#!} ;; esac
		test_prereq_name_ "$tp_p"
		eval "tp_st=\${prereq_state_$tp_p-}"
		if [ -z "$tp_st" ]; then
			eval "tp_script=\${prereq_lazy_$tp_p-}"
			eval "tp_known=\${prereq_lazy_$tp_p+set}"
			[ -n "$tp_known" ] || test_bug_ "unknown prerequisite $tp_p"
			rm -rf "$T/.prereq" && mkdir "$T/.prereq" || exit 1
			if (cd "$T/.prereq" && eval "$tp_script") </dev/null >/dev/null 2>&1; then
				tp_st=yes
			else
				tp_st=no
			fi
			rm -rf "$T/.prereq"
			eval "prereq_state_$tp_p=\$tp_st"
		fi
		if [ "$tp_st${tp_neg:+!}" != yes ] && [ "$tp_st${tp_neg:+!}" != no! ]; then
			missing_prereq="$missing_prereq${missing_prereq:+,}${tp_neg:+!}$tp_p"
		fi
	done
	[ -z "$missing_prereq" ]
}

# The prerequisites the scripts share.
test_lazy_prereq JQ 'command -v jq'
test_lazy_prereq GROFF 'command -v groff'
test_lazy_prereq SCRIPT 'command -v script'
# Debian's python3 with torch, numpy and msgpack (DBV_TORCH_PYTHON overrides).
test_lazy_prereq PYTHON_TORCH '"${DBV_TORCH_PYTHON:-/usr/bin/python3}" -c "import torch, numpy, msgpack"'
# The real Fashion-MNIST, where dbv-load looks without DBV_DATA_DIR.
test_lazy_prereq FASHION_MNIST 'test -d /usr/share/datasets/fashion-mnist'
# GNU time reports the peak RSS.
test_lazy_prereq TIME '/usr/bin/time -f %M -o rss true && test -s rss'
# The tools are built with AddressSanitizer (RSS, ulimit -v and timings
# mean nothing there).
test_lazy_prereq SANITIZED 'ldd "$BIN/dbv-inspect" | grep -q libasan'
# ulimit -v bounds a tool's address space (not under a sanitizer).
test_lazy_prereq ULIMIT_V '(ulimit -v 1000000 && exec dbv-load --version)'

# ---- the chain lint --------------------------------------------------------

# The body on stdin; prints "line N: why: text" for each line where an &&
# chain breaks, exit 1 if any.  It follows quotes, $( ), here-documents,
# comments and backslash continuations, then asks of every line that ends
# a command (but the body's last): does it go on (&&, ||, |, \, {, (, ;;,
# then, do, else, in), or does a closing word (done fi } ) esac else elif)
# follow?  Inside a loop a command's failure is lost unless the command
# ends with "|| exit 1" or "|| return 1" (set -e is off in an && chain),
# so there every command that ends a chain must.  Top-level commands
# joined by ";" are caught by test_chain_check_ (below), which asks the
# shell.
test_chain_awk_='
function push(s) { st[++sp] = s; dep[sp] = 0 }
function pop() { if (sp > 0) sp-- }
function rtrim(s) { sub(/[ \t]+$/, "", s); return s }
# Ends with exit, return (as in "|| exit 1" or "|| { ...; exit 1; }"),
# continue or break.
function guarded(t) {
	return t ~ /(^|[ \t;&|{])(exit|return)([ \t]+[0-9]+)?$/ ||
	       t ~ /(exit|return)([ \t]+[0-9]+)?[ \t]*;[ \t]*\}$/ ||
	       t ~ /(^|[ \t;&|])(continue|break)$/
}
function goes_on(t) {
	return t ~ /(&&|\||\\|\{|\(|;;)$/ || t ~ /(^|[ \t;])(then|do|else|in|if|while|until|!)$/
}
# May end the last command of a loop body: guarded, or a compound whose
# own commands were checked, or one that cannot fail.
function loop_ok(t) {
	return guarded(t) || t ~ /(^|[ \t;&|])(done|fi|esac|:|true)$/ ||
	       t ~ /(^|[ \t;&|{])[A-Za-z_][A-Za-z0-9_]*=([^ \t;&|$]*|\$\(\([^()]*\)\))$/
}
function bad(i, why) { printf "line %d: %s: %s\n", i, why, raw[i]; nbad++ }
BEGIN { sp = 0; st[0] = "sh"; hd = ""; pend = "" }
{
	n = NR; raw[n] = $0; line = $0
	if (hd != "") {
		t = line
		if (hdstrip) sub(/^\t+/, "", t)
		if (t == hd) hd = ""
		kind[n] = "doc"; next
	}
	instr = st[sp] == "sq" || st[sp] == "dq"
	code = ""; cont = 0; L = length(line); i = 1
	while (i <= L) {
		c = substr(line, i, 1); s = st[sp]
		if (s == "sq") { if (c == "\047") pop(); i++; continue }
		if (s == "dq") {
			if (c == "\\") { i += 2; continue }
			if (c == "\"") { pop(); code = code "Q"; i++; continue }
			if (substr(line, i, 2) == "$(") { push("cs"); code = code "$("; i += 2; continue }
			i++; continue
		}
		if (c == "\\") {
			if (i == L) { cont = 1; i++; continue }
			code = code substr(line, i, 2); i += 2; continue
		}
		if (c == "\047") { push("sq"); code = code "Q"; i++; continue }
		if (c == "\"") { push("dq"); i++; continue }
		if (c == "#" && (i == 1 || substr(line, i - 1, 1) ~ /[ \t;&|(]/)) break
		if (substr(line, i, 2) == "<<" && substr(line, i, 3) != "<<<") {
			rest = substr(line, i + 2); strip = 0
			if (substr(rest, 1, 1) == "-") { strip = 1; rest = substr(rest, 2) }
			if (match(rest, /^[ \t]*[\047"]?[A-Za-z_][A-Za-z0-9_]*[\047"]?/)) {
				w = substr(rest, RSTART, RLENGTH); gsub(/[ \t\047"]/, "", w)
				pend = w; pstrip = strip
				code = code "<<" w; i += 2 + strip + RLENGTH; continue
			}
		}
		if (substr(line, i, 2) == "$(") { push("cs"); code = code "$("; i += 2; continue }
		if (s == "cs" && c == "(") dep[sp]++
		if (s == "cs" && c == ")") {
			if (dep[sp] == 0) { pop(); code = code ")"; i++; continue }
			dep[sp]--
		}
		code = code c; i++
	}
	if (pend != "") { hd = pend; hdstrip = pstrip; pend = "" }
	if (st[sp] == "sq" || st[sp] == "dq") kind[n] = "str"
	else if (cont) kind[n] = "cont"
	else kind[n] = rtrim(code) ~ /^[ \t]*$/ ? "blank" : "code"
	tail[n] = rtrim(code)
	h = code; sub(/^[ \t]+/, "", h); sub(/[ \t;].*/, "", h)
	head[n] = instr ? "" : h
}
END {
	last = 0
	for (i = 1; i <= n; i++) if (kind[i] == "code" || kind[i] == "str") last = i
	loops = 0
	for (i = 1; i <= n; i++) {
		if (kind[i] == "doc" || kind[i] == "blank") continue
		if (head[i] == "done" && loops > 0) loops--
		t = tail[i]
		# One-line loops: the command before each "; done" is guarded.
		rest = t
		while (match(rest, /;[ \t]*done([ \t;&|)]|$)/)) {
			if (!loop_ok(rtrim(substr(rest, 1, RSTART - 1))))
				bad(i, "a command in a loop needs || exit 1 (or || return 1)")
			rest = substr(rest, RSTART + 1)
		}
		if (kind[i] == "code" && t ~ /(^|[ \t;])do$/) loops++
		if (kind[i] != "code" || i == last) continue
		if (goes_on(t)) continue
		for (j = i + 1; j <= n && (kind[j] == "doc" || kind[j] == "blank"); j++) ;
		closer = head[j] ~ /^(done|fi|\}|\)|esac|else|elif|then|do|;;)$/
		if (loops > 0) {
			if (!loop_ok(t))
				bad(i, "a command in a loop needs || exit 1 (or || return 1)")
		} else if (!closer && !guarded(t)) {
			bad(i, "broken && chain")
		}
	}
	exit nbad > 0
}'

# test_chain_check_ BODY: whether the shell sees every top-level command of
# BODY joined by && (git's test-lib trick: when the chain is whole, the
# failing first link skips everything and the status stays 117; commands
# after a break do run, once, but the test then fails anyway).
test_chain_check_() {
	(eval "(exit 117) && $1") </dev/null >/dev/null 2>&1
	[ $? = 117 ]
}

# ---- running tests ---------------------------------------------------------

test_expect_success() {
	case $# in
	2) tp_prereq= ;;
	3) tp_prereq=$1; shift ;;
	*) test_bug_ "test_expect_success [PREREQ] 'title' 'body' (got $# arguments)" ;;
	esac
	# set -e does nothing inside an if, while or until condition, nor
	# left of && or ||, and a subshell inherits that: refuse such a call.
	(set -e; false; exit 0) 2>/dev/null
	if [ $? = 0 ]; then
		test_bug_ "test_expect_success '$1' is called where set -e is off (in a condition, or left of && or ||)"
	fi
	if [ -n "$tp_prereq" ] && ! test_have_prereq "$tp_prereq"; then
		n_skip=$((n_skip + 1))
		echo "skip: $name: $1 (missing $missing_prereq)"
		return 0
	fi
	if [ "${TEST_CHAIN_LINT:-1}" != 0 ]; then
		if ! printf '%s\n' "$2" | awk "$test_chain_awk_" >"$T/.out" 2>&1; then
			test_fail_ "$1" "(the chain lint)"
			return 0
		fi
		if ! test_chain_check_ "$2"; then
			echo "a top-level command does not end in && (or the body does not parse)" >"$T/.out"
			test_fail_ "$1" "(the chain lint)"
			return 0
		fi
	fi
	# Not in a condition: here set -e stops the body at its first failing
	# command (outside && and || lists).
	(set -e; eval "$2") </dev/null >"$T/.out" 2>&1
	tp_status=$?
	if [ $tp_status = 0 ]; then
		n_ok=$((n_ok + 1))
		[ "${TEST_VERBOSE:-0}" = 0 ] || echo "ok: $name: $1"
	else
		test_fail_ "$1" "(exit $tp_status)"
	fi
}

test_fail_() {
	n_fail=$((n_fail + 1))
	echo "FAIL: $name: $1 $2"
	sed 's/^/    /' "$T/.out" | tail -30
}

# test_must_fail CODE cmd...: exit status must be CODE, stdout empty,
# and stderr one line (the tool's one error message).
test_must_fail() {
	want=$1; shift
	"$@" >"$T/.mf_out" 2>"$T/.mf_err" && got=0 || got=$?
	if [ "$got" != "$want" ]; then
		echo "exit $got, want $want: $*" >&2; cat "$T/.mf_err" >&2; return 1
	fi
	if [ -s "$T/.mf_out" ]; then
		echo "stdout not empty: $*" >&2; return 1
	fi
	if [ "$(wc -l <"$T/.mf_err")" -ne 1 ]; then
		echo "stderr is not one line: $*" >&2; cat "$T/.mf_err" >&2; return 1
	fi
	return 0
}

# test_expect_code CODE cmd...: exit status must be CODE; the output is
# the command's.
test_expect_code() {
	want=$1; shift
	"$@" && got=0 || got=$?
	if [ "$got" != "$want" ]; then
		echo "exit $got, want $want: $*" >&2; return 1
	fi
	return 0
}

test_cmp() {
	cmp "$1" "$2" || { diff "$1" "$2" | head -20 >&2; return 1; }
}

test_done() {
	echo "$name: $n_ok passed, $n_fail failed, $n_skip skipped"
	# For run.sh's total.
	if [ -n "${DBV_TEST_RESULTS:-}" ]; then
		echo "$n_ok $n_fail $n_skip" >"$DBV_TEST_RESULTS/$name"
	fi
	[ $n_fail -eq 0 ]
}
