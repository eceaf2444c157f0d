#!/bin/sh
# t3300-charts.sh - dbv-render's charts of table streams: heat maps and
# line charts.  The tables are dbv-compare's, of mkpred streams whose
# figures are known (tests/mkpred.c: --flip-rows K costs exactly K rows
# of agreement, --dots K gives 4 + K + p regions on plane p, --items N
# --wrong K an accuracy of (N - K)/N).  The PNGs are decoded (mkpred
# --size/--pixel/--count/--find), never compared byte for byte; positions
# follow the geometry of dbv-render(1), CHARTS.
. "$(dirname "$0")/lib.sh"

px() { mkpred --pixel "$@"; }
has() { grep -F -q -e "$1" || { echo "missing: $1" >&2; return 1; }; }
# The colour scale (viridis): its ends, and entries 230 and 205 (lib/draw/image.c).
TOP="253 231 37"
BOTTOM="68 1 84"
V230="189 223 38"
V205="124 210 80"
NA="238 238 238"
# lum "R G B": relative luminance (WCAG), times 10000, rounded.
lum() {
	echo "$1" | awk '
	function lin(v) { v /= 255; return v <= 0.04045 ? v / 12.92 : ((v + 0.055) / 1.055) ^ 2.4 }
	{ printf "%d\n", 10000 * (0.2126 * lin($1) + 0.7152 * lin($2) + 0.0722 * lin($3)) + 0.5 }'
}
# near A B: |A - B| <= 1 (the pixel a continuous coordinate falls in).
near() { [ $(($1 - $2)) -le 1 ] && [ $(($2 - $1)) -le 1 ]; }

# ---- heat maps ---------------------------------------------------------

# Groups A = {a1, a2} (identical: agreement 1), B = {b1, b2} (b2 has 10 of
# 51 rows flipped: 41/51), C = {c1, c2} (other labels everywhere: 0 with A
# and B, 1 within), D = {d} (one stream: no pair, n/a).  The matrix:
#        A      B      C   D
#   A    1      46/51  0   1
#   B    46/51  41/51  0   46/51
#   C    0      0      1   0
#   D    1      46/51  0   n/a
# so the colour scale is 0..1, and 46/51 and 41/51 are its entries 230
# and 205.
test_expect_success 'make pred streams and a table of groups' '
	mkpred --planes 2 --seed 0 >a1.dbv &&
	mkpred --planes 2 --seed 1 >a2.dbv &&
	mkpred --planes 2 --seed 2 >b1.dbv &&
	mkpred --planes 2 --seed 3 --flip-rows 10 >b2.dbv &&
	mkpred --planes 2 --seed 4 --shift 1 >c1.dbv &&
	mkpred --planes 2 --seed 5 --shift 1 >c2.dbv &&
	mkpred --planes 2 --seed 6 >d.dbv &&
	dbv-compare --group A=a1.dbv,a2.dbv --group B=b1.dbv,b2.dbv \
		--group C=c1.dbv,c2.dbv --group D=d.dbv --fragmentation -o g.dbv &&
	dbv-compare --tsv --group A=a1.dbv,a2.dbv --group B=b1.dbv,b2.dbv \
		--group C=c1.dbv,c2.dbv --group D=d.dbv >g.tsv &&
	grep -q "^B	B	1	0.803922" g.tsv && grep -q "^A	B	4	0.901961" g.tsv
'

# cell I J: "X Y", a pixel 4 in from the top-left corner of cell (I, J)
# of the matrix found in $1 (the top colour's bounding box: cell (0, 0)
# is its top-left, the bottom row reaches its bottom edge).
locate() {
	set -- $(mkpred --find "$1" $TOP) &&
	X0=$1 && Y0=$2 && BX1=$3 && SIDE=$(($4 - $2 + 1))
}
cell() { echo "$((X0 + $2 * C + 4)) $((Y0 + $1 * C + 4))"; }

test_expect_success 'heat map (the default chart): cells coloured by the scale' '
	dbv-render g.dbv -o h.png &&
	locate h.png &&
	C=$(((SIDE + 2) / 4)) && test $((4 * C - 2)) = $SIDE &&
	test "$(px h.png $(cell 0 0))" = "$TOP" &&
	test "$(px h.png $(cell 2 2))" = "$TOP" &&
	test "$(px h.png $(cell 0 3))" = "$TOP" &&
	test "$(px h.png $(cell 0 2))" = "$BOTTOM" &&
	test "$(px h.png $(cell 3 1))" = "$V230" &&
	test "$(px h.png $(cell 1 0))" = "$V230" &&
	test "$(px h.png $(cell 1 1))" = "$V205" &&
	test "$(px h.png $(cell 3 3))" = "$NA" &&
	test $(lum "$TOP") -gt $(lum "$V230") &&
	test $(lum "$V230") -gt $(lum "$V205") &&
	test $(lum "$V205") -gt $(lum "$BOTTOM") &&
	test "$(mkpred --count h.png 255 255 255 $((X0 + C - 2)) $Y0 $((X0 + C)) $((Y0 + SIDE)))" = $((2 * SIDE))
'

test_expect_success 'heat map: values written in each cell, black or white for contrast' '
	locate h.png && C=$(((SIDE + 2) / 4)) &&
	box() { echo "$((X0 + $2 * C)) $((Y0 + $1 * C)) $((X0 + $2 * C + C - 2)) $((Y0 + $1 * C + C - 2))"; } &&
	test "$(mkpred --count h.png 0 0 0 $(box 0 0))" -gt 20 &&
	test "$(mkpred --count h.png 255 255 255 $(box 0 0))" = 0 &&
	test "$(mkpred --count h.png 255 255 255 $(box 0 2))" -gt 20 &&
	test "$(mkpred --count h.png 0 0 0 $(box 0 2))" = 0 &&
	test "$(mkpred --count h.png 0 0 0 $(box 1 1))" -gt 20 &&
	test "$(mkpred --count h.png 136 136 136 $(box 3 3))" -gt 10
'

test_expect_success 'heat map: the colour bar runs from the top colour down to the bottom one' '
	locate h.png &&
	test "$(px h.png $BX1 $Y0)" = "$TOP" &&
	test "$(px h.png $BX1 $((Y0 + SIDE - 1)))" = "$BOTTOM" &&
	l1=$(lum "$(px h.png $BX1 $((Y0 + SIDE / 4)))") &&
	l2=$(lum "$(px h.png $BX1 $((Y0 + SIDE / 2)))") &&
	l3=$(lum "$(px h.png $BX1 $((Y0 + 3 * SIDE / 4)))") &&
	test $l1 -gt $l2 && test $l2 -gt $l3 &&
	set -- $(mkpred --size h.png) &&
	test "$(mkpred --dark h.png $((BX1 + 2)) $Y0 $1 $((Y0 + SIDE)))" -gt 100
'

test_expect_success 'heat map: labels on both axes, title above' '
	locate h.png && set -- $(mkpred --size h.png) && W=$1 H=$2 &&
	test "$(mkpred --dark h.png 0 $Y0 $X0 $((Y0 + SIDE)))" -gt 100 &&
	test "$(mkpred --dark h.png $X0 $((Y0 + SIDE)) $((X0 + SIDE)) $H)" -gt 100 &&
	test "$(mkpred --dark h.png 0 0 $W $Y0)" -gt 200 &&
	dbv-render --title "" g.dbv -o nt.png &&
	set -- $(mkpred --find nt.png $TOP) && test $2 -lt $Y0 &&
	test "$(mkpred --dark nt.png 0 0 $3 $(($2 - 1)))" = 0
'

test_expect_success 'heat map: --no-legend leaves the colour bar out; --size sets the matrix' '
	dbv-render --no-legend g.dbv -o nb.png &&
	set -- $(mkpred --find nb.png $TOP) && C=$((($4 - $2 + 3) / 4)) &&
	test $3 = $(($1 + 4 * C - 3)) &&
	dbv-render --size 400 g.dbv -o s.png &&
	set -- $(mkpred --find s.png $TOP) && test $(($4 - $2 + 1)) = 398
'

test_expect_success 'heat map: --scale LO,HI fixes the ends of the scale (clamped)' '
	dbv-render --scale 0.5,1 g.dbv -o sc.png &&
	locate sc.png && C=$(((SIDE + 2) / 4)) &&
	test "$(px sc.png $(cell 0 0))" = "$TOP" &&
	test "$(px sc.png $(cell 0 2))" = "$BOTTOM" &&
	b=$(px sc.png $(cell 1 1)) && test "$b" != "$V205" &&
	test $(lum "$b") -lt $(lum "$V205") &&
	dbv-render --scale 0,2 g.dbv -o sc2.png &&
	test "$(mkpred --count sc2.png $TOP)" -gt 0 &&
	set -- $(mkpred --find sc2.png $TOP) && test $(($4 - $2)) -lt 5
'

# Groups A and B alone: values 41/51 to 1.  The default scale stays 0..1
# (41/51 is entry 205); --scale auto widens 0.80..1 over all the colours.
# Only cell (0, 0) has the top colour: its height is C - 2.
test_expect_success 'heat map: the scale is 0..1 by default, the data range with --scale auto' '
	dbv-compare --group A=a1.dbv,a2.dbv --group B=b1.dbv,b2.dbv \
		--fragmentation -o ab.dbv &&
	dbv-render ab.dbv -o ab.png &&
	locate ab.png && C=$((SIDE + 2)) &&
	test "$(px ab.png $(cell 0 0))" = "$TOP" &&
	test "$(px ab.png $(cell 0 1))" = "$V230" &&
	test "$(px ab.png $(cell 1 1))" = "$V205" &&
	dbv-render --scale auto ab.dbv -o aa.png &&
	locate aa.png && C=$((SIDE + 2)) &&
	test "$(px aa.png $(cell 0 0))" = "$TOP" &&
	b=$(px aa.png $(cell 1 1)) && test "$b" != "$V205" &&
	test $(lum "$b") -lt $(lum "$V205") &&
	test_must_fail 2 dbv-render --scale automatic ab.dbv -o x.png
'

test_expect_success 'heat map: --value iou draws the class IoU' '
	dbv-render --value iou g.dbv -o iou.png &&
	locate iou.png && C=$(((SIDE + 2) / 4)) &&
	test "$(px iou.png $(cell 0 0))" = "$TOP" &&
	test "$(px iou.png $(cell 0 2))" = "$BOTTOM" &&
	test "$(px iou.png $(cell 1 1))" != "$V205" &&
	dbv-render --chart heatmap --value agreement g.dbv -o h2.png && cmp -s h.png h2.png
'

test_expect_success 'heat map of a table without groups: stream x stream, diagonal blank' '
	dbv-compare a1.dbv b2.dbv c1.dbv -o p.dbv &&
	dbv-render p.dbv -o hp.png &&
	set -- $(mkpred --find hp.png $BOTTOM) && X0=$1 Y0=$2 SIDE=$(($4 - $2 + 1)) &&
	C=$(((SIDE + 2) / 3)) && test $((3 * C - 2)) = $SIDE &&
	for k in 0 1 2; do
		test "$(px hp.png $(cell $k $k))" = "255 255 255" || exit 1
	done &&
	test "$(px hp.png $(cell 0 2))" = "$BOTTOM" &&
	test "$(px hp.png $(cell 2 0))" = "$BOTTOM" &&
	test "$(px hp.png $(cell 0 1))" = "$(px hp.png $(cell 1 0))" &&
	test "$(px hp.png $(cell 0 1))" = "$V205" &&
	set -- $(mkpred --size hp.png) &&
	test "$(mkpred --dark hp.png $X0 $((Y0 + SIDE)) $((X0 + SIDE)) $2)" -gt 300
'

# ---- line charts -------------------------------------------------------

# Streams (w, n, s): width w in 1, 2, 4, label_noise n in 0, 0.2, seed s
# in 0, 1; 3 planes.  --dots D(w, n), and seed 1 has F(w) rows flipped:
#   D:  n = 0: 2, 6, 3   n = 0.2: 4, 10, 5      F: 0, 5, 10
# Fragmentation of a point (w, n) (both seeds): 5 + D + (F > 0) over
# planes, std 1: n = 0: 7, 12, 9; n = 0.2: 9, 16, 11.  Agreement of its
# pair of seeds: 1 - F/51 on every plane.
dots() {
	case $1/$2 in
	1/0) echo 2 ;; 2/0) echo 6 ;; 4/0) echo 3 ;;
	1/0.2) echo 4 ;; 2/0.2) echo 10 ;; 4/0.2) echo 5 ;;
	esac
}
flip() { case $1 in 1) echo 0 ;; 2) echo 5 ;; 4) echo 10 ;; esac; }

test_expect_success 'make a table of widths, noise rates and seeds' '
	for w in 1 2 4; do for n in 0 0.2; do for s in 0 1; do
		f=0 && if [ $s = 1 ]; then f=$(flip $w); fi &&
		mkpred --planes 3 --width $w --label-noise $n --seed $s \
			--dots $(dots $w $n) --flip-rows $f >w$w-n$n-s$s.dbv || exit 1
	done; done; done &&
	dbv-compare --fragmentation w*.dbv -o lt.dbv &&
	dbv-compare --fragmentation --tsv w*.dbv >lt.tsv &&
	grep -q "^0	7.0000	1.0000" lt.tsv && grep -q "^11	12.0000	1.0000" lt.tsv
'

W=400
H=267
BLUE="0 114 178"
ORANGE="230 159 0"
# frame PNG: L and T of the plot area, from the frame's bounding box
# (its top and right edges are the frame's; ticks point left and down).
frame() {
	set -- $(mkpred --find "$1" 51 51 51) && L=$(($3 - W)) && T=$(($2 + 1))
}
# at X0 X1 Y0 Y1 X Y [log]: the documented mapping of a point to pixels
# (the axes' ends are the values' ranges widened by 5% of their length).
at() {
	awk -v x0="$1" -v x1="$2" -v y0="$3" -v y1="$4" -v x="$5" -v y="$6" \
	    -v lg="${7:-}" -v L=$L -v T=$T -v W=$W -v H=$H 'BEGIN {
		if (lg != "") { x0 = log(x0) / log(10); x1 = log(x1) / log(10); x = log(x) / log(10) }
		dx = 0.05 * (x1 - x0); x0 -= dx; x1 += dx
		dy = 0.05 * (y1 - y0); y0 -= dy; y1 += dy
		X = L + W * (x - x0) / (x1 - x0); Y = T + H - H * (y - y0) / (y1 - y0)
		printf "%d %d\n", int(X), int(Y)
	}'
}
# marker PNG "R G B" X Y: a 5x5 block of the colour centred on the pixel
# (X, Y), which 9 pixels to either side is not (the line is thinner).
marker() {
	f=$1 c=$2 x=$3 y=$4 &&
	test "$(mkpred --count $f $c $((x - 2)) $((y - 2)) $((x + 3)) $((y + 3)))" = 25 &&
	test "$(mkpred --count $f $c $((x - 11)) $((y - 2)) $((x - 6)) $((y + 3)))" -lt 25 &&
	test "$(mkpred --count $f $c $((x + 7)) $((y - 2)) $((x + 12)) $((y + 3)))" -lt 25 &&
	test "$(mkpred --count $f $c $((x - 2)) $((y - 11)) $((x + 3)) $((y - 6)))" -lt 25 &&
	test "$(mkpred --count $f $c $((x - 2)) $((y + 7)) $((x + 3)) $((y + 12)))" -lt 25
}

test_expect_success 'line chart: fragmentation by width, a line per noise rate' '
	dbv-render lt.dbv --chart line --x width --y fragmentation --by label_noise \
		--size $W -o f.png &&
	frame f.png &&
	marker f.png "$ORANGE" $(at 1 4 6 17 2 16) &&
	marker f.png "$ORANGE" $(at 1 4 6 17 4 11) &&
	marker f.png "$BLUE" $(at 1 4 6 17 4 9) &&
	marker f.png "$BLUE" $(at 1 4 6 17 1 7) &&
	! marker f.png "$BLUE" $(at 1 4 6 17 2 16)
'

# centred PNG "R G B" X0 X1 Y0 Y1 X Y HALF: the colour's bounding box is
# centred on the mapped (X, Y) within a pixel, and HALF * 1 std tall
# (HALF: the bar's half length in data units), within 1.5 pixels.
centred() {
	f=$1 c=$2 && shift 2 &&
	set -- $(mkpred --find $f $c) "$@" &&
	awk -v bx0=$1 -v by0=$2 -v bx1=$3 -v by1=$4 -v x0=$5 -v x1=$6 -v y0=$7 \
	    -v y1=$8 -v x=$9 -v y=${10} -v e=${11} -v L=$L -v T=$T -v W=$W -v H=$H 'BEGIN {
		dx = 0.05 * (x1 - x0); x0 -= dx; x1 += dx
		dy = 0.05 * (y1 - y0); y0 -= dy; y1 += dy
		X = L + W * (x - x0) / (x1 - x0); Y = T + H - H * (y - y0) / (y1 - y0)
		half = H * e / (y1 - y0)
		cx = (bx0 + bx1 + 1) / 2; cy = (by0 + by1 + 1) / 2
		printf "centre %.2f %.2f, want %.2f %.2f; half %.2f, want %.2f\n", cx, cy, X, Y, (by1 - by0 + 1) / 2, half
		ok = (cx - X) ^ 2 <= 1 && (cy - Y) ^ 2 <= 1 && ((by1 - by0 + 1) / 2 - half) ^ 2 <= 2.25
		exit !ok
	}'
}

# A line of one point (no segments): its marker and error bar alone have
# its colour (without the legend), so their box shows the mapping exactly.
test_expect_success 'line chart: a point is drawn where the axes map it, bars 1 std' '
	dbv-compare --fragmentation w1-n0-s0.dbv w2-n0-s0.dbv w4-n0-s0.dbv \
		w2-n0.2-s0.dbv -o one-pt.dbv &&
	dbv-render one-pt.dbv --x width --y fragmentation --by label_noise \
		--no-legend --size $W -o op.png &&
	frame op.png && centred op.png "$ORANGE" 1 4 6 16 2 15 1 &&
	dbv-render one-pt.dbv --x width --y fragmentation --by label_noise \
		--no-legend --size 300 -o op3.png &&
	W=300 H=200 && frame op3.png && centred op3.png "$ORANGE" 1 4 6 16 2 15 1
'

test_expect_success 'line chart: the error bars are 1 std over planes' '
	frame f.png && set -- $(at 1 4 6 17 2 16) && x=$1 &&
	set -- $(at 1 4 6 17 2 17) && top=$2 &&
	set -- $(at 1 4 6 17 2 15) && bot=$2 &&
	test "$(mkpred --count f.png $ORANGE $((x - 1)) $((top + 2)) $((x + 2)) $((bot - 1)))" -gt $((bot - top)) &&
	test "$(mkpred --count f.png $ORANGE $((x - 1)) $((top - 12)) $((x + 2)) $((top - 3)))" = 0
'

test_expect_success 'line chart: --logx maps log10(x)' '
	dbv-render lt.dbv --x width --y fragmentation --by label_noise --logx \
		--size $W -o fl.png &&
	frame fl.png &&
	set -- $(at 1 4 6 17 2 16 log) && near $1 $((L + W / 2)) &&
	marker fl.png "$ORANGE" $(at 1 4 6 17 2 16 log) &&
	marker fl.png "$BLUE" $(at 1 4 6 17 4 9 log)
'

test_expect_success 'line chart: the legend names each line' '
	dbv-render lt.dbv --x width --y fragmentation --by label_noise -o lg.png &&
	dbv-render lt.dbv --x width --y fragmentation --by label_noise --no-legend -o nl.png &&
	set -- $(mkpred --size lg.png) && wl=$1 &&
	set -- $(mkpred --size nl.png) && test $1 -lt $((wl - 100)) &&
	W=600 && frame lg.png &&
	set -- $(mkpred --size lg.png) &&
	test "$(mkpred --count lg.png $ORANGE $((L + 601)) $T $1 $2)" -gt 50 &&
	test "$(mkpred --dark lg.png $((L + 601)) $T $1 $2)" -gt 200 &&
	dbv-render lt.dbv --x width --y fragmentation -o one.png &&
	set -- $(mkpred --size one.png) && test $1 -lt $((wl - 100)) &&
	test "$(mkpred --count one.png $ORANGE)" = 0
'

test_expect_success 'line chart: agreement of the seeds of a point, 1 - F/51' '
	dbv-render lt.dbv --x width --y agreement --by label_noise --size $W -o ag.png &&
	frame ag.png &&
	marker ag.png "$ORANGE" $(at 1 4 0.803922 1 2 0.901961) &&
	marker ag.png "$ORANGE" $(at 1 4 0.803922 1 4 0.803922) &&
	marker ag.png "$ORANGE" $(at 1 4 0.803922 1 1 1)
'

test_expect_success 'line chart: --by a string key; points of one x averaged' '
	mkpred --planes 3 --arch mlp --width 1 --dots 2 >m1.dbv &&
	mkpred --planes 3 --arch mlp --width 2 --dots 8 >m2.dbv &&
	mkpred --planes 3 --arch mlp --width 2 --dots 4 --seed 1 >m3.dbv &&
	dbv-compare --fragmentation m1.dbv m2.dbv m3.dbv w1-n0-s0.dbv w4-n0-s0.dbv -o ms.dbv &&
	dbv-render ms.dbv --x width --y fragmentation --by arch --size $W -o ms.png &&
	frame ms.png &&
	marker ms.png "$BLUE" $(at 1 4 6 12 4 8) &&
	marker ms.png "$ORANGE" $(at 1 4 6 12 2 11) &&
	marker ms.png "$ORANGE" $(at 1 4 6 12 1 7)
'

# Accuracy: streams of predictions over a data set of 20 items, widths 1,
# 2, 4 with 10, 5 and 2 wrong: error 0.5, 0.25, 0.1.
test_expect_success 'line chart: error (1 - acc_true) of predictions over a data set' '
	mkpred --input dataset --items 20 --wrong 10 --width 1 >e1.dbv &&
	mkpred --input dataset --items 20 --wrong 5 --width 2 >e2.dbv &&
	mkpred --input dataset --items 20 --wrong 2 --width 4 >e4.dbv &&
	dbv-compare e1.dbv e2.dbv e4.dbv -o acc.dbv &&
	dbv-render acc.dbv --x width --y error --size $W -o err.png &&
	frame err.png &&
	marker err.png "$BLUE" $(at 1 4 0.1 0.5 2 0.25) &&
	marker err.png "$BLUE" $(at 1 4 0.1 0.5 1 0.5) &&
	dbv-render acc.dbv --x width --y acc --size $W -o a.png &&
	frame a.png && marker a.png "$BLUE" $(at 1 4 0.5 0.9 2 0.75) &&
	dbv-render acc.dbv --x width --y acc_true -o at.png &&
	dbv-render acc.dbv -o hd.png && test "$(mkpred --count hd.png 255 255 255)" -gt 0
'

# ---- refusals ------------------------------------------------------------

test_expect_success 'a chart the table has no data for: exit 2' '
	dbv-compare --fragmentation a1.dbv -o one.dbv &&
	test_must_fail 2 dbv-render one.dbv -o x.png &&
	grep -q "no \"groups\" or \"pairs\" record" .mf_err &&
	test_must_fail 2 dbv-render --chart heatmap one.dbv -o x.png &&
	test_must_fail 2 dbv-render lt.dbv --x width --y error -o x.png &&
	grep -q "no \"accuracy\" record" .mf_err &&
	test_must_fail 2 dbv-render acc.dbv --x width --y fragmentation -o x.png &&
	grep -q "no \"fragmentation\" record" .mf_err &&
	test_must_fail 2 dbv-render acc.dbv --x width --y agreement -o x.png &&
	grep -q "no two streams share" .mf_err &&
	test_must_fail 2 dbv-render acc.dbv --value iou -o x.png &&
	test ! -e x.png
'

test_expect_success 'unknown or unusable keys: exit 2' '
	test_must_fail 2 dbv-render lt.dbv --x nosuch --y fragmentation -o x.png &&
	grep -q "no such key (its keys: arch, width" .mf_err &&
	test_must_fail 2 dbv-render lt.dbv --x width --y fragmentation --by nosuch -o x.png &&
	test_must_fail 2 dbv-render lt.dbv --x arch --y fragmentation -o x.png &&
	grep -q "is not a number" .mf_err &&
	mkpred --planes 2 --width 0 >w0.dbv && dbv-compare --fragmentation w0.dbv a1.dbv -o w0t.dbv &&
	test_must_fail 2 dbv-render w0t.dbv --x width --y fragmentation --logx -o x.png &&
	grep -q "is not positive" .mf_err &&
	mkpred --planes 2 --no-model >nm.dbv && dbv-compare --fragmentation nm.dbv a1.dbv -o nmt.dbv &&
	test_must_fail 2 dbv-render nmt.dbv --x width --y fragmentation -o x.png &&
	grep -q "has no model meta" .mf_err &&
	test ! -e x.png
'

test_expect_success 'chart options that do not fit: exit 2' '
	test_must_fail 2 dbv-render --chart line lt.dbv -o x.png &&
	grep -q "needs --x KEY" .mf_err &&
	test_must_fail 2 dbv-render --chart line --x width lt.dbv -o x.png &&
	test_must_fail 2 dbv-render --y error lt.dbv -o x.png &&
	test_must_fail 2 dbv-render --chart pie lt.dbv -o x.png &&
	test_must_fail 2 dbv-render --y speed --x width lt.dbv -o x.png &&
	test_must_fail 2 dbv-render --value dice lt.dbv -o x.png &&
	test_must_fail 2 dbv-render --scale 1,0 lt.dbv -o x.png &&
	test_must_fail 2 dbv-render --scale 1 lt.dbv -o x.png &&
	test_must_fail 2 dbv-render --chart heatmap --x width lt.dbv -o x.png &&
	test_must_fail 2 dbv-render --value iou --x width --y agreement lt.dbv -o x.png &&
	test_must_fail 2 dbv-render --montage --chart heatmap a1.dbv -o x.png &&
	test ! -e x.png
'

test_expect_success 'a pred stream with chart options, a table with plane options: exit 2' '
	test_must_fail 2 dbv-render --chart heatmap a1.dbv -o x.png &&
	grep -q "is a pred stream" .mf_err &&
	test_must_fail 2 dbv-render --x width --y fragmentation a1.dbv -o x.png &&
	test_must_fail 2 dbv-render --scale 0,1 a1.dbv -o x.png &&
	test_must_fail 2 dbv-render --plane 0 g.dbv -o x.png &&
	grep -q "^dbv-render: error: g.dbv is a table stream" .mf_err &&
	test_must_fail 2 dbv-render --thumbs g.dbv -o x.png &&
	test_must_fail 2 dbv-render --shade none g.dbv -o x.png &&
	test_must_fail 2 dbv-render g.dbv -o dir/ &&
	grep -q "^dbv-render: error: g.dbv is a table stream" .mf_err &&
	test_must_fail 2 dbv-render -o dir/ <g.dbv &&
	grep -q "^dbv-render: error: standard input is a table stream" .mf_err &&
	test ! -e dir && test ! -e x.png
'

test_expect_success 'broken tables: exit 3' '
	head -c 400 g.dbv >cut.dbv &&
	test_must_fail 3 dbv-render cut.dbv -o x.png &&
	cat g.dbv g.dbv >two.dbv &&
	test_must_fail 3 dbv-render two.dbv -o x.png &&
	grep -q "another stream follows" .mf_err &&
	test_must_fail 3 dbv-render --montage g.dbv -o x.png &&
	test ! -e x.png
'

test_expect_success 'standard input and output' '
	dbv-render <g.dbv >so.png && cmp -s so.png h.png &&
	cat g.dbv | dbv-render >sp.png && cmp -s sp.png h.png &&
	cat g.dbv | dbv-render --chart heatmap -o sp2.png && cmp -s sp2.png h.png
'

test_expect_success 'dbv-chart draws what dbv-render draws of a table' '
	dbv-chart g.dbv -o c.png && cmp -s c.png h.png &&
	dbv-chart --x width --y fragmentation --by label_noise --size $W lt.dbv -o cf.png &&
	cmp -s cf.png f.png &&
	test_must_fail 3 dbv-chart a1.dbv -o x.png &&
	grep -q "^dbv-chart: error: a1.dbv: expected a table stream (dbv-compare), got a pred stream" .mf_err &&
	test_must_fail 2 dbv-chart --plane 0 g.dbv -o x.png &&
	test_must_fail 2 dbv-chart g.dbv -o dir/ && test ! -e dir &&
	test_must_fail 2 dbv-chart g.dbv g.dbv -o x.png &&
	test_must_fail 3 dbv-chart two.dbv -o x.png &&
	grep -q "(dbv-chart reads one)" .mf_err &&
	test ! -e x.png &&
	dbv-chart --help | grep -q "usage: dbv-chart"
'

test_done
