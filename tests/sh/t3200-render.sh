#!/bin/sh
# t3200-render.sh - dbv-render on synthetic pred streams (tests/mkpred.c):
# the PNGs are decoded (mkpred --size/--pixel/--count/--dark/--find, with
# lib/draw/image.c's reader), never compared byte for byte.  Colours at known
# grid points, the shading formula, row 0 at the bottom, the anchor
# markers, title and legend, one file per plane, montages, and every
# refusal (exit code, empty stdout, one-line stderr).
. "$(dirname "$0")/lib.sh"

# mkpred's default plane: res 51, range x -1..9, y -2..8; quadrant labels
# (bottom-left 0, bottom-right 1, top-left 2, top-right 3, plus --shift
# and the plane number), confidences 1, 0.5, 0.75, 0.25 by quadrant;
# anchors at grid points (column, row) (5,10), (35,10), (15,35).  The plot
# is S = 510 pixels (the smallest multiple of 51 >= 500): grid point
# (i, j) fills the 10x10 block with top-left pixel (10j, 10(50-i)).
S=510

px() { mkpred --pixel "$@"; }
has() { grep -F -q -e "$1" || { echo "missing: $1" >&2; return 1; }; }
# The palette's first entries (dbv-render(1)), as "R G B".
pal() {
	case $1 in
	0) echo "0 114 178" ;; 1) echo "230 159 0" ;; 2) echo "0 158 115" ;;
	3) echo "213 94 0" ;; 4) echo "204 121 167" ;; 5) echo "86 180 233" ;;
	esac
}
# shade K CONF: the documented shading of class K (0..3),
# v + (255 - v)*t*(1 - conf) rounded to nearest, t = the class's limit
# (dbv-render(1): 49/256, 69/256, 112/256, 61/256), computed in double
# as awk does.
shade() {
	pal "$1" | awk -v k="$1" -v c="$2" '{
		split("49 69 112 61", n, " ")
		t = n[k + 1] / 256 * (1 - c)
		for (k = 1; k <= 3; k++) {
			v = $k + (255 - $k) * t
			printf "%d%s", int(v + 0.5), k < 3 ? " " : "\n"
		}
	}'
}

test_expect_success 'make pred streams' '
	mkpred >q.dbv &&
	mkpred --planes 3 >q3.dbv &&
	mkpred --i32 --channels 3 --f32-anchors --noisy >q32.dbv &&
	mkpred --no-model >nm.dbv &&
	dbv-inspect --summary q.dbv | has "\"kind\":\"pred\""
'

test_expect_success '--bare: the plot alone, S x S, row 0 at the bottom' '
	dbv-render --bare --shade none q.dbv -o b.png &&
	test "$(mkpred --size b.png)" = "$S $S" &&
	test "$(px b.png 5 505)" = "$(pal 0)" &&
	test "$(px b.png 505 505)" = "$(pal 1)" &&
	test "$(px b.png 5 5)" = "$(pal 2)" &&
	test "$(px b.png 505 5)" = "$(pal 3)" &&
	test "$(px b.png 249 260)" = "$(pal 0)" &&
	test "$(px b.png 250 260)" = "$(pal 1)" &&
	test "$(px b.png 249 259)" = "$(pal 2)"
'

test_expect_success '--shade conf (the default): v + (255-v)*t*(1-conf), t per class' '
	dbv-render --bare q.dbv -o s.png &&
	test "$(px s.png 5 505)" = "$(shade 0 1)" &&
	test "$(px s.png 505 505)" = "$(shade 1 0.5)" &&
	test "$(px s.png 5 5)" = "$(shade 2 0.75)" &&
	test "$(px s.png 505 5)" = "$(shade 3 0.25)" &&
	test "$(px s.png 505 5)" != "$(pal 3)"
'

test_expect_success 'anchor markers: white fill on the anchors, black outline, nothing else white' '
	test "$(px b.png 55 405)" = "255 255 255" &&
	test "$(px b.png 355 405)" = "255 255 255" &&
	test "$(px b.png 155 155)" = "255 255 255" &&
	w1=$(mkpred --count b.png 255 255 255 35 385 76 426) &&
	w2=$(mkpred --count b.png 255 255 255 335 385 376 426) &&
	w3=$(mkpred --count b.png 255 255 255 135 135 176 176) &&
	test "$w1" -gt 50 && test "$w2" -gt 30 && test "$w3" -gt 30 &&
	test "$(mkpred --count b.png 255 255 255)" = $((w1 + w2 + w3)) &&
	test "$(mkpred --count b.png 0 0 0 35 385 76 426)" -gt 20 &&
	test "$(mkpred --count b.png 0 0 0 335 385 376 426)" -gt 20 &&
	test "$(mkpred --count b.png 0 0 0 135 135 176 176)" -gt 20 &&
	test "$(mkpred --count b.png 0 0 0 0 0 $S 120)" = 0
'

test_expect_success 'the markers differ: circle, triangle, cross' '
	mkpred --count b.png 255 255 255 35 385 76 426 >c1 &&
	mkpred --count b.png 255 255 255 335 385 376 426 >c2 &&
	mkpred --count b.png 255 255 255 135 135 176 176 >c3 &&
	! cmp -s c1 c2 && ! cmp -s c2 c3 && ! cmp -s c1 c3
'

test_expect_success 'the full picture: plot, title above, legend to the right' '
	dbv-render --shade none --no-legend q.dbv -o nl.png &&
	set -- $(mkpred --find nl.png $(pal 0)) &&
	x0=$1 && y1=$4 && y0=$((y1 - S + 1)) &&
	test $(($3 - $1 + 1)) = 250 &&
	test "$(px nl.png $((x0 + 505)) $((y0 + 5)))" = "$(pal 3)" &&
	set -- $(mkpred --size nl.png) && wnl=$1 &&
	test "$(mkpred --dark nl.png 0 0 $wnl $((y0 - 2)))" -gt 100 &&
	dbv-render --shade none q.dbv -o full.png &&
	set -- $(mkpred --size full.png) && wf=$1 && hf=$2 &&
	test $wf -gt $((wnl + 150)) &&
	test "$(px full.png $((x0 + 5)) $((y0 + 505)))" = "$(pal 0)" &&
	test "$(px full.png $((x0 + 55)) $((y0 + 405)))" = "255 255 255" &&
	test "$(mkpred --dark full.png $((x0 + S + 2)) 0 $wf $hf)" -gt 1000 &&
	dbv-render --shade none --no-legend --title "" q.dbv -o nt.png &&
	set -- $(mkpred --find nt.png $(pal 0)) && test $4 -lt $y1 &&
	test "$(mkpred --dark nt.png 0 0 $wnl $(($4 - S - 1)))" = 0
'

test_expect_success 'the legend lists every class of the data set, in their colours' '
	set -- $(mkpred --find nl.png $(pal 0)) && x=$(($1 + S + 2)) &&
	set -- $(mkpred --size full.png) && wf=$1 && hf=$2 &&
	for k in 0 1 2 3; do
		test "$(mkpred --count full.png $(pal $k) $x 0 $wf $hf)" -gt 50 || exit 1
	done &&
	test "$(mkpred --count full.png $(pal 4) $x 0 $wf $hf)" = 256 &&
	test "$(mkpred --count full.png $(pal 5) $x 0 $wf $hf)" = 256 &&
	mkpred --pattern band >band.dbv && dbv-render band.dbv -o band.png &&
	test "$(mkpred --count band.png $(pal 4) $x 0 $wf $hf)" -gt 50
'

test_expect_success 'i32 labels, f32 anchors, 3-channel thumbnails' '
	dbv-render --bare --shade none q32.dbv -o i.png &&
	test "$(px i.png 5 505)" = "$(pal 0)" &&
	test "$(mkpred --count i.png 40 60 80)" = 0 &&
	dbv-render --bare --shade none --thumbs q32.dbv -o t.png &&
	test "$(mkpred --count t.png 40 60 80)" -gt 20 &&
	test "$(px t.png 55 405)" = "255 255 255" &&
	dbv-render --thumbs q.dbv -o t1.png &&
	test "$(mkpred --count t1.png 40 40 40)" -gt 20
'

test_expect_success '--size, and the default size of other resolutions' '
	dbv-render --bare --size 300 q.dbv -o z.png &&
	test "$(mkpred --size z.png)" = "300 300" &&
	mkpred --res 64 | dbv-render --bare -o z.png &&
	test "$(mkpred --size z.png)" = "512 512" &&
	mkpred --res 600 | dbv-render --bare -o z.png &&
	test "$(mkpred --size z.png)" = "600 600"
'

test_expect_success 'standard output: no -o, or -o -' '
	dbv-render --bare q.dbv >o1.png && test "$(mkpred --size o1.png)" = "$S $S" &&
	dbv-render --bare -o - <q.dbv >o2.png && test "$(mkpred --size o2.png)" = "$S $S"
'

test_expect_success '-o DIR/ writes plane-NNNN.png per plane' '
	dbv-render --bare --shade none q3.dbv -o out/ &&
	ls out >list && printf "plane-0000.png\nplane-0001.png\nplane-0002.png\n" >want &&
	test_cmp want list &&
	for p in 0 1 2; do
		test "$(px out/plane-000$p.png 5 505)" = "$(pal $p)" || exit 1
	done &&
	mkdir exist && dbv-render --plane 1 q3.dbv -o exist && ls exist >list &&
	echo plane-0001.png >want && test_cmp want list
'

test_expect_success 'one file holds one plane: --plane N, or a refusal' '
	test_must_fail 2 dbv-render q3.dbv -o one.png &&
	grep -q "more than one plane" .mf_err && test ! -e one.png &&
	! ls one.png.tmp.* 2>/dev/null &&
	dbv-render --bare --shade none --plane 2 q3.dbv -o one.png &&
	test "$(px one.png 5 505)" = "$(pal 2)" &&
	test_must_fail 2 dbv-render --plane 3 q3.dbv -o one3.png &&
	grep -q "no plane 3" .mf_err && test ! -e one3.png
'

test_expect_success 'the title names the model, the data set, the anchors and their classes' '
	dbv-render --no-legend q.dbv -o a.png &&
	grep -a -q "cnn5 w=16 seed 0, fashion-mnist test: #30 Bag, #72 Dress, #42 Sandal" a.png &&
	dbv-render --no-legend nm.dbv -o b2.png &&
	grep -a -q "fashion-mnist test: #30 Bag, #72 Dress, #42 Sandal" b2.png &&
	set -- $(mkpred --size a.png) && wa=$1 &&
	test "$(mkpred --dark a.png 0 0 $wa 40)" -gt 300 &&
	dbv-render --no-legend --title "fashion-mnist test: #30 Bag, #72 Dress, #42 Sandal" q.dbv -o c.png &&
	test "$(mkpred --dark c.png 0 0 $wa 40)" = "$(mkpred --dark b2.png 0 0 $wa 40)"
'

test_expect_success '--montage --bare: cells in row-major order, 4-pixel gaps' '
	for s in 0 1 2 3; do mkpred --shift $s --seed $s >m$s.dbv || exit 1; done &&
	dbv-render --montage --bare --shade none --cols 2 m0.dbv m1.dbv m2.dbv m3.dbv -o g.png &&
	C=255 && test "$(mkpred --size g.png)" = "$((2 * C + 4)) $((2 * C + 4))" &&
	test "$(px g.png 2 252)" = "$(pal 0)" &&
	test "$(px g.png $((C + 6)) 252)" = "$(pal 1)" &&
	test "$(px g.png 2 $((2 * C + 2)))" = "$(pal 2)" &&
	test "$(px g.png $((C + 6)) $((2 * C + 2)))" = "$(pal 3)" &&
	test "$(px g.png $((C + 1)) 100)" = "255 255 255" &&
	dbv-render --montage --bare --cols 3 m0.dbv m1.dbv m2.dbv m3.dbv -o g3.png &&
	test "$(mkpred --size g3.png)" = "$((3 * C + 8)) $((2 * C + 4))" &&
	test "$(mkpred --count g3.png 255 255 255 $((2 * C + 8)) $((C + 4)) $((3 * C + 8)) $((2 * C + 4)))" = $((C * C)) &&
	dbv-render --montage --bare m0.dbv m1.dbv m2.dbv -o g1.png &&
	test "$(mkpred --size g1.png)" = "$((3 * C + 8)) $C"
'

test_expect_success '--montage with labels and a legend; --plane picks the plane' '
	C=255 && dbv-render --montage --cols 2 m0.dbv m1.dbv m2.dbv m3.dbv -o gl.png &&
	set -- $(mkpred --size gl.png) && test $1 -gt $((2 * C + 4)) && test $2 -gt $((2 * C + 100)) &&
	dbv-render --montage --cols 2 --row-labels "seed 0,seed 1" --col-labels "a,b" \
		m0.dbv m1.dbv m2.dbv m3.dbv -o gl2.png &&
	mkpred --planes 3 --shift 1 >p1.dbv &&
	dbv-render --montage --bare --shade none --plane 2 q3.dbv p1.dbv -o gp.png &&
	test "$(px gp.png 2 252)" = "$(pal 2)" &&
	test "$(px gp.png $((C + 6)) 252)" = "$(pal 3)"
'

test_expect_success '--montage refuses cells of different planes (exit 3)' '
	mkpred --range -1,9,-2,9 >r.dbv &&
	test_must_fail 3 dbv-render --montage m0.dbv r.dbv -o x.png &&
	grep -q "range" .mf_err && test ! -e x.png &&
	mkpred --tilt 0.5 >u.dbv &&
	test_must_fail 3 dbv-render --montage m0.dbv u.dbv -o x.png &&
	grep -q "origin or basis" .mf_err &&
	mkpred --res 41 >r41.dbv &&
	test_must_fail 3 dbv-render --montage m0.dbv r41.dbv -o x.png &&
	mkpred --classes 12 >k12.dbv &&
	test_must_fail 3 dbv-render --montage m0.dbv k12.dbv -o x.png &&
	grep -q "classes differ" .mf_err &&
	test_must_fail 2 dbv-render --montage --plane 1 m0.dbv q3.dbv -o x.png &&
	test ! -e x.png
'

test_expect_success 'input that is not a pred stream of planes: exit 3' '
	printf "\0\0\10\3\0\0\0\1\0\0\0\2\0\0\0\2\1\2\3\4" >img.idx &&
	printf "\0\0\10\1\0\0\0\1\0" >lab.idx &&
	dbv-load --images img.idx --labels lab.idx -o ds.dbv &&
	test_must_fail 3 dbv-render ds.dbv -o x.png &&
	grep -q "expected a pred stream (dbv-predict) or a table stream (dbv-compare), got a dataset stream" .mf_err &&
	mkpred --input dataset >dp.dbv &&
	test_must_fail 3 dbv-render dp.dbv -o x.png &&
	grep -q "over a data set, not over planes" .mf_err &&
	test_must_fail 3 dbv-render --montage m0.dbv dp.dbv -o x.png &&
	echo hello >text && test_must_fail 3 dbv-render text -o x.png &&
	: >empty && test_must_fail 3 dbv-render -o x.png <empty &&
	head -c 3000 q.dbv >cut.dbv && test_must_fail 3 dbv-render cut.dbv -o x.png &&
	mkpred --planes 0 >none.dbv && test_must_fail 3 dbv-render none.dbv -o x.png &&
	grep -q "no plane" .mf_err &&
	cat q.dbv q.dbv >two.dbv && test_must_fail 3 dbv-render two.dbv -o x.png &&
	mkpred --bad-label >bl.dbv && test_must_fail 3 dbv-render bl.dbv -o x.png &&
	grep -q "^dbv-render: error: bl.dbv: record 1 (byte [0-9]*): label 99 at row 0, column 0 is not a class" .mf_err &&
	mkpred --nan-conf >nan.dbv && test_must_fail 5 dbv-render nan.dbv -o x.png &&
	test ! -e x.png && ! ls x.png.tmp.* 2>/dev/null
'

test_expect_success 'files that cannot be read or written: exit 4' '
	test_must_fail 4 dbv-render nowhere.dbv -o x.png &&
	test_must_fail 4 dbv-render q.dbv -o nowhere/x.png &&
	grep -q "cannot write" .mf_err &&
	test_must_fail 4 dbv-render q3.dbv -o nowhere/deeper/ &&
	test_must_fail 4 dbv-render --montage q.dbv nowhere.dbv -o x.png &&
	test ! -e x.png
'

test_expect_success 'usage errors: exit 2' '
	test_must_fail 2 dbv-render --bogus q.dbv &&
	test_must_fail 2 dbv-render --size 8 q.dbv -o x.png &&
	test_must_fail 2 dbv-render --size 9000 q.dbv -o x.png &&
	test_must_fail 2 dbv-render --size x q.dbv -o x.png &&
	test_must_fail 2 dbv-render --shade half q.dbv -o x.png &&
	test_must_fail 2 dbv-render --plane -1 q.dbv -o x.png &&
	test_must_fail 2 dbv-render --text-scale 0 q.dbv -o x.png &&
	test_must_fail 2 dbv-render --title &&
	test_must_fail 2 dbv-render q.dbv q3.dbv -o x.png &&
	test_must_fail 2 dbv-render --cols 2 q.dbv -o x.png &&
	test_must_fail 2 dbv-render --montage -o x.png &&
	test_must_fail 2 dbv-render --montage --cols 0 q.dbv -o x.png &&
	test_must_fail 2 dbv-render --montage --cols 2 --row-labels a,b m0.dbv m1.dbv -o x.png &&
	test_must_fail 2 dbv-render --montage --col-labels a m0.dbv m1.dbv -o x.png &&
	test_must_fail 2 dbv-render --montage m0.dbv m1.dbv -o dir/ &&
	test ! -e x.png && test ! -e dir
'

test_expect_success '--help and --version' '
	dbv-render --help >help && has "usage: dbv-render [FILE]" <help &&
	has "--montage" <help && has "--shade conf|none" <help &&
	dbv-render --version | has "dbv-render (dbv)"
'

test_done
