# tests/sh/lib.sh - sourced by every tests/sh/tNNNN-*.sh script.
#
#   test_expect_success 'title' 'commands'   commands must succeed
#   test_must_fail CODE cmd args...          cmd must exit with CODE
#   test_cmp expected actual                 files must be equal
#   test_done                                summary; exit status
#
# Each script gets a fresh scratch directory $T and runs in it; the tools
# are on PATH (from $BIN); $TESTBIN holds test helpers (mkfixtures).
set -u
: "${BIN:?BIN must point at the tools}"
: "${TESTBIN:?TESTBIN must point at the test helpers}"
: "${TMPROOT:=/tmp/dbv-sh}"
PATH="$BIN:$TESTBIN:$PATH"
export PATH
# The source tree (the runner starts in it).
SRCDIR=${SRCDIR:-$(pwd)}
name=$(basename "$0" .sh)
T="$TMPROOT/$name"
rm -rf "$T" && mkdir -p "$T" || exit 1
cd "$T" || exit 1
n_ok=0
n_fail=0

test_expect_success() {
	if (set -e; eval "$2") >"$T/.out" 2>&1; then
		n_ok=$((n_ok + 1))
	else
		n_fail=$((n_fail + 1))
		echo "FAIL: $name: $1"
		sed 's/^/    /' "$T/.out" | tail -30
	fi
}

# test_must_fail CODE cmd...: exit status must be CODE, stdout empty,
# and stderr one line starting with the tool's name or "dbv".
test_must_fail() {
	want=$1; shift
	"$@" >"$T/.mf_out" 2>"$T/.mf_err"
	got=$?
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

test_cmp() {
	cmp "$1" "$2" || { diff "$1" "$2" | head -20 >&2; return 1; }
}

test_done() {
	echo "$name: $n_ok passed, $n_fail failed"
	[ $n_fail -eq 0 ]
}
