#!/bin/sh
# pipelines/summary.sh - the summaries the study make files print, from the
# TSV tables of dbv-compare (read with awk: jq may be missing, and the
# tables are the files the summary must agree with).
#
#   summary.sh study TITLE FOOTER TABLE.tsv MODEL.dbv...
#       (study.mk) TABLE from dbv-compare --group ... --fragmentation --tsv
#       over the models' plane predictions, in the order of the MODELs.
#       Prints per model its test accuracy (the last log record of the
#       model, through $BIN/dbv-inspect) and regions per plane; every
#       within- and across-group agreement with its 95% interval; and per
#       group whether its within-group agreement is above every
#       across-group agreement of it: stated only where the intervals are
#       apart, otherwise "not separated at this size".
#
#   summary.sh double-descent TITLE FOOTER TEST.tsv PLANES.tsv
#       (double-descent.mk) TEST from dbv-compare --tsv over predictions on
#       the test split, PLANES from dbv-compare --fragmentation --tsv over
#       predictions on planes.  Prints test error, regions per plane and
#       seed-to-seed agreement against width, one table per noise rate.
#
# Numbers have 3 decimals, columns are aligned (spaces, no tabs).  BIN:
# the directory of the tools (empty or unset: PATH).
set -eu

die() {
	echo "summary.sh: $*" >&2
	exit 1
}

[ $# -ge 4 ] || die "usage: summary.sh study|double-descent TITLE FOOTER TABLE..."
mode=$1 title=$2 footer=$3
shift 3
tool=${BIN:+$BIN/}

# The awk functions both summaries use: sections of a dbv-compare TSV
# ("# name ..." lines, a column header, rows, an empty line).
awk_lib='
function fmt(v) { return v == "nan" || v == "" ? "-" : sprintf("%.3f", v) }
function ci(lo, hi) { return lo == "nan" ? "" : sprintf("[%.3f, %.3f]", lo, hi) }
function pad(s, w) { return sprintf("%-" w "s", s) }
function rpad(s, w) { return sprintf("%" w "s", s) }
function max(a, b) { return a > b ? a : b }
# Section tracking: sec is the title of the section a row belongs to
# ("" on the column header and blank lines); file counts the files.
FNR == 1 { file++ }
/^# / { sec = substr($0, 3); head = 1; next }
/^$/ { sec = ""; next }
head { head = 0; next }
'

case $mode in
study)
	table=$1
	shift
	[ -r "$table" ] || die "cannot read $table"
	# One test accuracy per model, in order ("nan" when its log has none),
	# and the models' names (their files' without .dbv).
	accs= names=
	for m in "$@"; do
		n=${m##*/}
		names="$names ${n%.dbv}"
		log=$("${tool}dbv-inspect" "$m") || die "cannot read $m"
		a=$(printf '%s\n' "$log" | grep '"t":"log"' | tail -1 |
			sed -n 's/.*"test_acc":\([0-9.e+-]*\).*/\1/p')
		accs="$accs ${a:-nan}"
	done
	awk -F '\t' -v title="$title" -v footer="$footer" -v accs="$accs" -v names="$names" \
		"$awk_lib"'
	BEGIN { nacc = split(accs, acc, " "); split(names, name, " ") }
	sec == "streams" { ns++ }
	sec ~ /^fragmentation/ { frag[$1] = $2 }
	sec ~ /^group agreement with/ {
		n++; ga[n] = $1; gb[n] = $2; pairs[n] = $3
		agr[n] = $4; lo[n] = $6; hi[n] = $7
	}
	END {
		if (ns != nacc || !n) {
			printf "summary.sh: %s: %d streams, %d models, %d group rows\n",
				FILENAME, ns, nacc, n > "/dev/stderr"
			exit 1
		}
		print title; print ""
		w = length("model")
		for (i = 1; i <= ns; i++) w = max(w, length(name[i]))
		printf "  %s   %s   %s\n", pad("model", w), "test accuracy", "regions per plane"
		for (i = 1; i <= ns; i++)
			printf "  %s   %13s   %17s\n", pad(name[i], w), fmt(acc[i]), fmt(frag[i - 1])
		print ""
		print "reproducibility: agreement = the fraction of plane points where two models"
		print "predict the same class, mean over planes and 95% interval (bootstrap):"
		w = length("group")
		for (i = 1; i <= n; i++) w = max(w, max(length(ga[i]), length(gb[i])))
		printf "  %s   %s   %-6s   %5s   %9s   %s\n", pad("group", w), pad("group", w),
			"", "pairs", "agreement", "95% interval"
		for (i = 1; i <= n; i++) {
			line = sprintf("  %s   %s   %-6s   %5d   %9s   %s", pad(ga[i], w), pad(gb[i], w),
				ga[i] == gb[i] ? "within" : "across", pairs[i], fmt(agr[i]), ci(lo[i], hi[i]))
			sub(/ +$/, "", line)
			print line
		}
		print ""
		print "within > across (two seeds of one group agree more than with another group):"
		for (i = 1; i <= n; i++) {
			if (ga[i] != gb[i])
				continue
			g = ga[i]; top = 0; bot = 0; nan = 0
			for (j = 1; j <= n; j++) {
				if (ga[j] == gb[j] || (ga[j] != g && gb[j] != g))
					continue
				if (lo[j] == "nan") { nan = 1; continue }
				if (!top || hi[j] + 0 > hi[top] + 0) top = j
				if (!bot || lo[j] + 0 < lo[bot] + 0) bot = j
			}
			line = "  " pad(g, w) "   "
			if (pairs[i] == 0 || lo[i] == "nan") {
				print line "no within-group pair (one model)"; continue
			}
			if (!top) {
				print line "no other group to compare with"; continue
			}
			other = ga[top] == g ? gb[top] : ga[top]
			within = fmt(agr[i]) " " ci(lo[i], hi[i])
			if (lo[i] + 0 > hi[top] + 0)
				printf "%swithin > across: %s above %s %s (with %s, the highest)\n",
					line, within, fmt(agr[top]), ci(lo[top], hi[top]), other
			else if (hi[i] + 0 < lo[bot] + 0) {
				other = ga[bot] == g ? gb[bot] : ga[bot]
				printf "%swithin < across: %s below %s %s (with %s, the lowest)\n",
					line, within, fmt(agr[bot]), ci(lo[bot], hi[bot]), other
			} else
				printf "%snot separated at this size: %s against %s %s (with %s)\n",
					line, within, fmt(agr[top]), ci(lo[top], hi[top]), other
		}
		print ""; print footer
	}' "$table"
	;;
double-descent)
	[ $# = 2 ] || die "double-descent: TEST.tsv PLANES.tsv"
	[ -r "$1" ] && [ -r "$2" ] || die "cannot read $1 or $2"
	awk -F '\t' -v title="$title" -v footer="$footer" "$awk_lib"'
	# "ARCH w=W seed=S[ noise=P]" -> the point (noise, width) of a stream
	function point(desc,   k, f, n, w, p) {
		n = split(desc, f, " "); w = ""; p = 0
		for (k = 1; k <= n; k++) {
			if (f[k] ~ /^w=/) w = substr(f[k], 3)
			if (f[k] ~ /^noise=/) p = substr(f[k], 7)
		}
		if (!(p in isnoise)) { isnoise[p] = 1; noise[++nnoise] = p }
		if (!(w in iswidth)) { iswidth[w] = 1; width[++nwidth] = w }
		return p SUBSEP w
	}
	sec == "streams" { pt[file, $1] = point($4) }
	file == 1 && sec ~ /^accuracy over/ {
		items = substr(sec, 15)
		if (!((1, $1) in pt)) { print "summary.sh: no stream " $1 > "/dev/stderr"; exit 1 }
		err[pt[1, $1]] += 1 - $3; nerr[pt[1, $1]]++
	}
	file == 2 && sec ~ /^fragmentation/ {
		frag[pt[2, $1]] += $2; nfrag[pt[2, $1]]++
	}
	file == 2 && sec ~ /^agreement over/ && pt[2, $1] == pt[2, $2] {
		planes = substr(sec, 16)
		agr[pt[2, $1]] += $3; nagr[pt[2, $1]]++
	}
	END {
		if (!nnoise || !items || !planes) {
			print "summary.sh: no streams, accuracy or agreement in the tables" > "/dev/stderr"
			exit 1
		}
		# widths and noise rates in increasing order
		for (i = 2; i <= nwidth; i++)
			for (j = i; j > 1 && width[j] + 0 < width[j - 1] + 0; j--) {
				t = width[j]; width[j] = width[j - 1]; width[j - 1] = t
			}
		for (i = 2; i <= nnoise; i++)
			for (j = i; j > 1 && noise[j] + 0 < noise[j - 1] + 0; j--) {
				t = noise[j]; noise[j] = noise[j - 1]; noise[j - 1] = t
			}
		print title
		for (a = 1; a <= nnoise; a++) {
			print ""; print "label noise " noise[a] ":"
			printf "  %5s   %10s   %17s   %22s\n", "width", "test error",
				"regions per plane", "seed-to-seed agreement"
			for (b = 1; b <= nwidth; b++) {
				k = noise[a] SUBSEP width[b]
				if (!nerr[k] && !nfrag[k])
					continue
				printf "  %5s   %10s   %17s   %22s\n", width[b],
					nerr[k] ? fmt(err[k] / nerr[k]) : "-",
					nfrag[k] ? fmt(frag[k] / nfrag[k]) : "-",
					nagr[k] ? fmt(agr[k] / nagr[k]) : "-"
			}
		}
		print ""
		print "test error: 1 - accuracy (true labels) over " items ", mean over seeds;"
		print "regions per plane: 8-connected regions, mean over planes and seeds;"
		print "agreement: fraction of plane points where two seeds predict the same class,"
		print "mean over planes and pairs of seeds (" planes ")."
		print ""; print footer
	}' "$1" "$2"
	;;
*)
	die "unknown summary $mode (study or double-descent)"
	;;
esac
