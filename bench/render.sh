#!/bin/sh
# bench/render.sh - how long dbv-render takes to draw planes of 500x500
# grid points (the paper's pictures), from a synthetic pred stream made by
# tests/mkpred (irregular regions, confidence falling toward boundaries).
#
#   BIN=bin BENCHBIN=build/obj/bench sh bench/render.sh    (make bench sets them)
#   MKPRED=path/to/mkpred     default: $TESTBIN/mkpred, else BENCHBIN/../tests/mkpred
#   RENDER_REPS=5             runs per line, best kept
#
# Lines (each timed from outside, process start and stream reading
# included; the stream is read from a file in the page cache):
#   picture            one plane: regions, shading, markers, title, legend, PNG
#   --bare             the plot alone (no text)
#   --thumbs           with the anchor thumbnails
#   --shade none       without the confidence shading
#   10 planes -> DIR/  one file per plane; the line shows seconds per plane
#   montage 3x2        six streams, plane 0, --size 500 cells
#   heat map 20x20     a table of 20 streams (dbv-compare, made once):
#                      the stream x stream matrix, its default look
#   line chart         the same table: fragmentation against width, a
#                      line per label noise rate, error bars, legend
#   read only          dbv-inspect --summary of the stream: the reading floor
#   startup            dbv-render --version: process start (OpenBLAS loads
#                      and dbv may re-execute once to pick its core)
# About 4 s.
set -eu
bin=${BIN:?BIN must name the tools directory}
mk=${MKPRED:-${TESTBIN:-${BENCHBIN:?BENCHBIN must name the bench build directory}/../tests}/mkpred}
reps=${RENDER_REPS:-5}
if [ ! -x "$mk" ]; then
	echo "render.sh: $mk is missing (make $mk)" >&2
	exit 1
fi
tmp=$(mktemp -d "${TMPDIR:-/tmp}/dbv-bench-render.XXXXXX")
trap 'rm -rf "$tmp"' EXIT INT TERM

"$mk" --pattern regions --res 500 >"$tmp/p.dbv"
"$mk" --pattern regions --res 500 --planes 10 >"$tmp/p10.dbv"
for s in 0 1 2 3 4 5; do
	"$mk" --pattern regions --res 500 --shift "$s" --seed "$s" >"$tmp/m$s.dbv"
done
# A table of 20 streams: widths 1..16 x noise 0, 0.2 x seeds 0, 1 (and 4
# more), res 50, 5 planes, with fragmentation.
i=0
for w in 1 2 4 8 16; do for n in 0 0.2; do for s in 0 1; do
	"$mk" --res 50 --planes 5 --width $w --label-noise $n --seed $s \
		--dots $((w + s)) --flip-rows $((s * w)) >"$tmp/t$i.dbv"
	i=$((i + 1))
done; done; done
"$bin/dbv-compare" --fragmentation --bootstrap 100 "$tmp"/t[0-9]*.dbv -o "$tmp/table.dbv"
cat "$tmp"/*.dbv >/dev/null

ns() { date +%s%N; }

# best SH_COMMAND: the shortest of $reps runs, in ns.
best() {
	i=0
	bestt=
	while [ $i -lt "$reps" ]; do
		t0=$(ns)
		sh -c "$1" || { echo "render.sh: failed: $1" >&2; exit 1; }
		t1=$(ns)
		t=$((t1 - t0))
		if [ -z "$bestt" ] || [ $t -lt $bestt ]; then bestt=$t; fi
		i=$((i + 1))
	done
	echo "$bestt"
}

line() { # NAME PLANES SH_COMMAND (PLANES 0: a chart)
	t=$(best "$3")
	awk -v n="$1" -v p="$2" -v t="$t" 'BEGIN {
		if (p > 0) printf "%-22s %7.3f s per plane\n", n, t / 1e9 / p
		else printf "%-22s %7.3f s per chart\n", n, t / 1e9 }'
}

export bin tmp
r="\"\$bin/dbv-render\""
echo "# dbv-render, res 500 planes (plots of 500x500 pixels), best of $reps"
line "picture" 1 "$r \"\$tmp/p.dbv\" -o \"\$tmp/a.png\""
line "--bare" 1 "$r --bare \"\$tmp/p.dbv\" -o \"\$tmp/a.png\""
line "--thumbs" 1 "$r --thumbs \"\$tmp/p.dbv\" -o \"\$tmp/a.png\""
line "--shade none" 1 "$r --shade none \"\$tmp/p.dbv\" -o \"\$tmp/a.png\""
line "10 planes -> DIR/" 10 "$r \"\$tmp/p10.dbv\" -o \"\$tmp/d/\""
line "montage 3x2" 6 "$r --montage --cols 3 --size 500 \"\$tmp\"/m0.dbv \"\$tmp\"/m1.dbv \"\$tmp\"/m2.dbv \"\$tmp\"/m3.dbv \"\$tmp\"/m4.dbv \"\$tmp\"/m5.dbv -o \"\$tmp/m.png\""
line "heat map 20x20" 0 "$r \"\$tmp/table.dbv\" -o \"\$tmp/h.png\""
line "line chart" 0 "$r \"\$tmp/table.dbv\" --x width --y fragmentation --by label_noise --logx -o \"\$tmp/l.png\""
line "read only" 1 "\"\$bin/dbv-inspect\" --summary \"\$tmp/p.dbv\" >/dev/null"
line "startup" 1 "$r --version >/dev/null"
