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
#   summary.sh double-descent TITLE FOOTER TEST.tsv TRAIN.tsv PLANES.tsv
#       (double-descent.mk) TEST from dbv-compare --tsv over predictions on
#       the test split, TRAIN the same over each model's own training
#       images, PLANES from dbv-compare --fragmentation --tsv over
#       predictions on planes.  Prints test error, training error (against
#       the noisy labels), regions per plane and seed-to-seed agreement
#       against width, one table per noise rate.
#
#   summary.sh dd-check NOISE FOOTER TEST.tsv TRAIN.tsv PLANES.tsv
#       The same tables: whether they show a double descent at label
#       noise NOISE, criterion by criterion ("holds" or "FAILS" and the
#       numbers): w* is the interior width whose test error is furthest
#       above both the best narrower width's and the widest's; it must be
#       >= 0.03 above the first and >= 0.05 above the second; training
#       error first <= 0.01 within a factor of 2 of w*; regions per plane
#       largest within a factor of 2 of w* and above both ends; seed-to-
#       seed agreement lowest within a factor of 2 of w*.  Exit 0 whatever
#       holds (the verdict is printed); 1 on unreadable tables.
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
double-descent|dd-check)
	# dd-check NOISE: the four criteria of a double descent at that noise
	# rate (doc/results.md), each "holds" or "fails" with its numbers.
	check=
	if [ "$mode" = dd-check ]; then
		check=$title
		title=
	fi
	[ $# = 3 ] || die "$mode: TEST.tsv TRAIN.tsv PLANES.tsv"
	[ -r "$1" ] && [ -r "$2" ] && [ -r "$3" ] || die "cannot read $1, $2 or $3"
	awk -F '\t' -v title="$title" -v footer="$footer" -v check="$check" "$awk_lib"'
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
	function mean(s, n) { return n ? s / n : "" }
	function near(w, ws) { return w + 0 <= 2 * ws && 2 * w >= ws + 0 }
	function say(ok, text) { printf "  %s  %s\n", ok ? "holds" : "FAILS", text; fails += !ok }
	sec == "streams" { pt[file, $1] = point($4) }
	file == 1 && sec ~ /^accuracy over/ {
		items = substr(sec, 15)
		if (!((1, $1) in pt)) { print "summary.sh: no stream " $1 > "/dev/stderr"; exit 1 }
		err[pt[1, $1]] += 1 - $3; nerr[pt[1, $1]]++
	}
	# Training error against the labels the model saw (noisy): 1 - acc.
	file == 2 && sec ~ /^accuracy over/ {
		trerr[pt[2, $1]] += 1 - $2; ntrerr[pt[2, $1]]++
	}
	file == 3 && sec ~ /^fragmentation/ {
		frag[pt[3, $1]] += $2; nfrag[pt[3, $1]]++
	}
	file == 3 && sec ~ /^agreement over/ && pt[3, $1] == pt[3, $2] {
		planes = substr(sec, 16)
		agr[pt[3, $1]] += $3; nagr[pt[3, $1]]++
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
		if (check != "") {
			# The widths with every figure, in order, at noise rate check.
			for (b = 1; b <= nwidth; b++) {
				k = check SUBSEP width[b]
				if (!(k in nerr) || !(k in ntrerr) || !(k in nfrag) || !(k in nagr)) {
					k = (check + 0) SUBSEP width[b]
					if (!(k in nerr) || !(k in ntrerr) || !(k in nfrag) || !(k in nagr))
						continue
				}
				n++; W[n] = width[b]; E[n] = err[k] / nerr[k]
				TR[n] = trerr[k] / ntrerr[k]; F[n] = frag[k] / nfrag[k]
				A[n] = agr[k] / nagr[k]
			}
			if (n < 3) {
				printf "double descent at label noise %s: not judged (%d widths with every figure; it takes 3)\n", check, n
				exit 0
			}
			# w*: the interior width with the largest margin over both
			# the best narrower width and the widest.
			best = 0
			for (i = 2; i < n; i++) {
				lo = E[1]
				for (j = 2; j < i; j++) lo = E[j] < lo ? E[j] : lo
				m = E[i] - lo < E[i] - E[n] ? E[i] - lo : E[i] - E[n]
				if (!best || m > bm) { best = i; bm = m }
			}
			lo = E[1]
			for (j = 2; j < best; j++) lo = E[j] < lo ? E[j] : lo
			printf "double descent at label noise %s, %d widths (%s to %s):\n", check, n, W[1], W[n]
			say(E[best] - lo >= 0.03 && E[best] - E[n] >= 0.05,
			    sprintf("test-error peak: w* = %s, error %.3f; best narrower %.3f (+%.3f, need 0.03); widest %.3f (+%.3f, need 0.05)",
				    W[best], E[best], lo, E[best] - lo, E[n], E[best] - E[n]))
			for (i = 1; i <= n && TR[i] > 0.01; i++) ;
			if (i <= n)
				msg = sprintf("interpolation threshold: training error first <= 0.01 at width %s (%.3f), w* = %s", W[i], TR[i], W[best])
			else
				msg = sprintf("interpolation threshold: training error never <= 0.01 (widest: %.3f)", TR[n])
			say(i <= n && near(W[i], W[best]), msg)
			fi = 1; ai = 1
			for (i = 2; i <= n; i++) {
				if (F[i] > F[fi]) fi = i
				if (A[i] < A[ai]) ai = i
			}
			say(near(W[fi], W[best]) && F[fi] > F[1] && F[fi] > F[n],
			    sprintf("fragmentation: most regions per plane at width %s (%.3f; narrowest %.3f, widest %.3f)", W[fi], F[fi], F[1], F[n]))
			say(near(W[ai], W[best]),
			    sprintf("agreement: lowest at width %s (%.3f; narrowest %.3f, widest %.3f)", W[ai], A[ai], A[1], A[n]))
			printf "%s\n", fails ? fails " of 4 criteria fail" : "all 4 criteria hold"
			exit 0
		}
		print title
		for (a = 1; a <= nnoise; a++) {
			print ""; print "label noise " noise[a] ":"
			printf "  %5s   %10s   %11s   %17s   %22s\n", "width", "test error",
				"train error", "regions per plane", "seed-to-seed agreement"
			for (b = 1; b <= nwidth; b++) {
				k = noise[a] SUBSEP width[b]
				if (!nerr[k] && !nfrag[k] && !ntrerr[k])
					continue
				printf "  %5s   %10s   %11s   %17s   %22s\n", width[b],
					nerr[k] ? fmt(err[k] / nerr[k]) : "-",
					ntrerr[k] ? fmt(trerr[k] / ntrerr[k]) : "-",
					nfrag[k] ? fmt(frag[k] / nfrag[k]) : "-",
					nagr[k] ? fmt(agr[k] / nagr[k]) : "-"
			}
		}
		print ""
		print "test error: 1 - accuracy (true labels) over " items ", mean over seeds;"
		print "train error: 1 - accuracy on the training images against the labels the"
		print "models saw (noisy under label noise), mean over seeds;"
		print "regions per plane: 8-connected regions, mean over planes and seeds;"
		print "agreement: fraction of plane points where two seeds predict the same class,"
		print "mean over planes and pairs of seeds (" planes ")."
		print ""; print footer
	}' "$1" "$2" "$3"
	;;
*)
	die "unknown summary $mode (study, double-descent or dd-check)"
	;;
esac
