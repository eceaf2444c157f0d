#!/bin/sh
# t9000-examples.sh - run every example of the man pages.
#
# Man pages (man/*.1, *.5, *.7): the blocks between ".EX" and ".EE".  In a
# block, a line that starts with "$ " is a command (the "$ " is dropped); a
# command line that ends with a backslash goes on on the next line; every
# other line is output shown to the reader and is not checked.  Groff
# escapes are undone first (\- -> -, \e -> \, \(aq -> ', \(dq -> ", \(ga
# -> `, \(ti -> ~, \(ha -> ^, \& -> nothing, fonts dropped, ...); an escape
# this script does not know fails the test, so that what runs is what the
# reader sees.
#
# A block is not run when the line just before its ".EX" is the comment
#
#	.\" dbv-test: skip (why)
#
# dbv-stream.5 marks its Python reader and writer that way: they need
# Python 3 with the msgpack and numpy packages, which the tests do not
# require.  They are not run by this script; they were run by hand against
# dbv-load and dbv-inspect when written, and must be again when changed.
#
# README.md's examples are run by t9100-readme.sh, in a fresh clone after
# "make demo", on the real Fashion-MNIST.
#
# Each command runs with bash -e -o pipefail (sh -e where bash is missing),
# standard input from /dev/null, in a scratch directory of its page: files
# one command makes are there for the next ones of the same page, shell
# variables are not.  The tools are on PATH, and DBV_DATA_DIR points at
# the real Fashion-MNIST where it is installed (prerequisite FASHION_MNIST:
# the data whose output the pages show, so that examples can train on a
# few thousand images and print numbers that mean something), else at the
# fixture's fake one (60 training and 30 test images, where the examples
# with a larger --limit fail), and at small fixture data made by
# mkfixtures (tests/mkfixtures.c) for mnist, cifar10 and cifar100.  Each
# example should take seconds, and must exit 0: show a failure as
# "cmd || echo "exit status $?"".
#
# Examples that use jq(1) need the prerequisite JQ (skipped, and counted
# as skips, where jq is not installed).  Each page must also format
# without warnings (groff -ww; prerequisite GROFF).
#
# Run from the top of the source tree by "make sh-test", or as
#	BIN=$PWD/bin TESTBIN=$PWD/build/obj/tests TMPROOT=/tmp/dbv-sh \
#		sh tests/sh/t9000-examples.sh

ROOT=$(cd "$(dirname "$0")/../.." && pwd) || exit 1
. "$ROOT/tests/sh/lib.sh"

if command -v bash >/dev/null 2>&1; then
	RUN_SHELL="bash -e -o pipefail"
else
	RUN_SHELL="sh -e"
fi
if command -v timeout >/dev/null 2>&1; then
	RUN_SHELL="timeout 300 $RUN_SHELL"
fi

# ---- fixture data ----------------------------------------------------------

FIX=$T/fixtures
DBV_DATA_DIR=$T/data
export DBV_DATA_DIR

# link NAME CANDIDATE...: $DBV_DATA_DIR/NAME -> the first fixture directory
# that exists.
link_data() {
	name=$1
	shift
	for c in "$@"; do
		case $c in /*) ;; *) c=$FIX/$c ;; esac
		if [ -d "$c" ]; then
			ln -s "$c" "$DBV_DATA_DIR/$name"
			return
		fi
	done
	echo "no fixture directory for $name (tried: $*)" >&2
	return 1
}

# Fashion-MNIST: the real one where it is installed (the output the
# pages show is its), else the fixture's.
REAL_FMNIST=/usr/share/datasets/fashion-mnist
if test_have_prereq FASHION_MNIST; then
	FMNIST_DIRS="$REAL_FMNIST"
else
	FMNIST_DIRS="fashion-mnist fmnist"
fi

test_expect_success 'make the fixture data' '
	mkfixtures "$FIX" &&
	mkdir -p "$DBV_DATA_DIR" &&
	link_data fashion-mnist $FMNIST_DIRS &&
	link_data mnist mnist fmnist-plain &&
	link_data cifar10 cifar10 &&
	link_data cifar100 cifar100
'

# ---- extraction ------------------------------------------------------------

# extract_man PAGE DIR: write each command of PAGE's examples to
# DIR/NNN.sh; unknown escapes and broken blocks go to DIR/errors.
extract_man() {
	awk -v dir="$2" '
	function fail(msg) {
		print FILENAME ":" FNR ": " msg >> (dir "/errors")
	}
	# Undo the groff escapes that examples use.
	function unesc(s,   out, n, i, c, nm, j) {
		out = ""
		n = length(s)
		i = 1
		while (i <= n) {
			c = substr(s, i, 1)
			if (c != "\\") {
				out = out c
				i++
				continue
			}
			c = substr(s, i + 1, 1)
			if (c == "-") { out = out "-"; i += 2 }
			else if (c == "e" || c == "\\") { out = out "\\"; i += 2 }
			else if (c == "&" || c == "|" || c == "^" || c == ")") i += 2
			else if (c == " " || c == "~") { out = out " "; i += 2 }
			else if (c == ".") { out = out "."; i += 2 }
			else if (c == "\"" || c == "#") break
			else if (c == "(" || c == "[") {
				if (c == "(") {
					nm = substr(s, i + 2, 2)
					i += 4
				} else {
					j = index(substr(s, i + 2), "]")
					if (j == 0) { fail("unclosed \\[ in: " s); return "" }
					nm = substr(s, i + 2, j - 1)
					i += 2 + j
				}
				if (nm == "aq") out = out "\047"
				else if (nm == "dq" || nm == "lq" || nm == "rq") out = out "\""
				else if (nm == "ga") out = out "`"
				else if (nm == "ti") out = out "~"
				else if (nm == "ha") out = out "^"
				else if (nm == "rs") out = out "\\"
				else if (nm == "mi" || nm == "hy") out = out "-"
				else { fail("unknown escape \\(" nm " in: " s); return "" }
			} else if (c == "f") {
				c = substr(s, i + 2, 1)
				if (c == "(") i += 5
				else if (c == "[") {
					j = index(substr(s, i + 3), "]")
					i += 3 + j
				} else i += 3
			} else {
				fail("unknown escape \\" c " in: " s)
				return ""
			}
		}
		return out
	}
	function emit(   f) {
		f = sprintf("%s/%03d.sh", dir, ++ncmd)
		printf "%s\n", cmd > f
		close(f)
		cmd = ""
	}
	BEGIN { inex = 0; skip = 0; pending = 0; cont = 0; ncmd = 0; cmd = "" }
	/^\.\\" *dbv-test: *skip/ { pending = 1; next }
	/^\.EX/ {
		if (inex) fail(".EX inside .EX")
		inex = 1; skip = pending; pending = 0; cont = 0
		next
	}
	/^\.EE/ {
		if (!inex) fail(".EE without .EX")
		if (cont) { fail("command continued past .EE"); cont = 0; emit() }
		inex = 0; skip = 0
		next
	}
	{ pending = 0 }
	!inex || skip { next }
	/^[.\047]/ { next }	# requests and comments inside the block
	{
		line = unesc($0)
		if (cont) {
			cmd = cmd "\n" line
		} else if (substr(line, 1, 2) == "$ ") {
			cmd = substr(line, 3)
		} else {
			next	# shown output
		}
		cont = line ~ /\\$/
		if (!cont)
			emit()
	}
	END { if (inex) fail("unterminated .EX block") }
	' "$1"
}

# ---- running ---------------------------------------------------------------

# run_example FILE: run one extracted command in the page's directory.
run_example() {
	(cd "$rundir" && $RUN_SHELL "$1" </dev/null)
}

# check_errors: the extraction of the current page found no problem.
check_errors() {
	if [ -s "$cmddir/errors" ]; then
		cat "$cmddir/errors" >&2
		return 1
	fi
}

# run_page SOURCE: extract SOURCE's examples and run each as a test.
run_page() {
	src=$1
	page=${src#"$ROOT"/}
	base=$(basename "$src")
	cmddir=$T/cmd/$base
	rundir=$T/run/$base
	mkdir -p "$cmddir" "$rundir" || return 1
	extract_man "$src" "$cmddir"
	test_expect_success "$page: examples extracted" check_errors
	for f in "$cmddir"/[0-9]*.sh; do
		[ -e "$f" ] || continue
		title=$(head -n 1 "$f" | cut -c 1-70)
		jq=
		grep -q '\<jq\>' "$f" && jq=JQ
		cmdfile=$f
		test_expect_success $jq "$page: $title" 'run_example "$cmdfile"'
	done
}

for m in "$ROOT"/man/*.[157]; do
	[ -e "$m" ] || continue
	mpage=$m
	test_expect_success GROFF "${m#"$ROOT"/}: formats without warnings" '
		groff -man -Tutf8 -ww -z "$mpage" 2>"$T/groff.err" &&
		{ ! [ -s "$T/groff.err" ] || { cat "$T/groff.err"; false; }; }
	'
	run_page "$m"
done

test_done
