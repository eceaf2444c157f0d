#!/bin/sh
# pipelines/dd-estimate.sh - the cost of a double-descent sweep before it
# runs (double-descent.mk's `estimate`), from measured throughput:
#
#   dd-estimate.sh "WIDTHS" NOISES SEEDS DATA.dbv dbv-train OPTIONS...
#
# runs `dbv-train OPTIONS --width W --estimate DATA.dbv` once per width
# (each prints one JSON line: images_per_s, images, epochs, seconds,
# threads, memory_bytes; dbv-train(1)) and prints per width the measured
# rate, the seconds of one model and of its NOISES x SEEDS models, then
# the total in hours and the largest memory.  The tools are taken from
# BIN (empty or unset: PATH).
set -eu

die() {
	echo "dd-estimate.sh: $*" >&2
	exit 1
}

[ $# -ge 5 ] || die "usage: dd-estimate.sh \"WIDTHS\" NOISES SEEDS DATA.dbv dbv-train OPTIONS..."
widths=$1 noises=$2 seeds=$3 data=$4
shift 4
[ "$1" = dbv-train ] || die "the command must be dbv-train"
shift
tool=${BIN:+$BIN/}
per=$((noises * seeds))
echo "cost estimate (dbv-train --estimate: measured throughput x images x epochs):"
printf '  %6s   %12s   %14s   %16s\n' width "images/s" "s per model" "s for $per models"
for w in $widths; do
	line=$("${tool}dbv-train" "$@" --width "$w" --estimate "$data") ||
		die "dbv-train --estimate failed at width $w"
	printf '%s\n' "$line"
done | awk -v per="$per" -v widths="$widths" '
	function num(key,   s) {
		if (!match($0, "\"" key "\": *[0-9.eE+-]+")) {
			print "dd-estimate.sh: no \"" key "\" in: " $0 > "/dev/stderr"
			bad = 1; exit 1
		}
		s = substr($0, RSTART, RLENGTH); sub(/^[^:]*: */, "", s); return s + 0
	}
	{
		split(widths, ws, " ")
		rate = num("images_per_s"); secs = num("seconds"); mem = num("memory_bytes")
		threads = num("threads")
		n++; total += secs * per; maxmem = mem > maxmem ? mem : maxmem
		printf "  %6s   %12.1f   %14.0f   %16.0f\n", ws[n], rate, secs, secs * per
	}
	END {
		if (bad) exit 1
		printf "total: %.0f s = %.1f hours = %.1f days with %d thread(s) a model, one model at a time;\n",
			total, total / 3600, total / 86400, threads
		printf "largest memory of one model: %.2f GB (times the models run at once).\n", maxmem / 1e9
	}'
