#!/bin/sh
# t3000-plane.sh - dbv-plane on mkfixtures' fake Fashion-MNIST (60 train
# images, labels i % 10): explicit and random triplets, their classes,
# seeds, label noise, noise anchors, the expanded grid checked against the
# images it must pass through, and every refusal.
#
# The fixture images are one pattern shifted by 7*i modulo 256, so most
# triplets of them are collinear (those of images that never wrap: 0-21,
# 37-57); the tests use that.
. "$(dirname "$0")/lib.sh"

u8s() { od -An -v -tu1 -w1 | tr -d ' '; }
i32s() { od -An -v -td4 -w4 | tr -d ' '; }
i64s() { od -An -v -td8 -w8 | tr -d ' '; }
f32s() { od -An -v -tf4 -w4 | tr -d ' '; }
has() { grep -F -q -e "$1" || { echo "missing: $1" >&2; return 1; }; }
header() { dbv-inspect --head 0 "$1" | head -1; }
trailer() { dbv-inspect "$1" | tail -1; }
# The plane records of a stream, one JSON line each.
planes() { dbv-inspect "$1" | grep '"t":"plane"'; }
# "dtype shape min max mean crc" of tensor KEY in JSON record lines.
tstat() {
	sed -n "s/.*\"$1\":{\"dtype\":\"\([a-z0-9]*\)\",\"shape\":\(\[[^]]*\]\),\"min\":\([^,]*\),\"max\":\([^,]*\),\"mean\":\([^,]*\),\"crc32c\":\"\([0-9a-f]*\)\"}.*/\1 \2 \3 \4 \5 \6/p"
}
# Labels of the items of a --list file: "ya yb yc" lines (LABELS: one
# label a line, by stream position).
labels_of() {
	awk -F, 'NR == FNR { y[FNR - 1] = $1; next } { print y[$1], y[$2], y[$3] }' "$2" "$1"
}
# min, max and mean of the pixels of images A, B, C of train-x.txt, as
# dbv-inspect prints them.
pixstat() {
	awk -v a=$1 -v b=$2 -v c=$3 '
	{ p = NR - 1; i = int(p / 784) }
	i == a || i == b || i == c {
		if (n == 0 || $1 < lo) lo = $1
		if (n == 0 || $1 > hi) hi = $1
		s += $1; n++
	}
	END { printf "%.9g %.9g %.9g\n", lo, hi, s / n }' train-x.txt
}

test_expect_success 'fixtures' '
	mkfixtures fx &&
	dbv-load fashion-mnist --dir fx/fmnist -o train.dbv &&
	dbv-load fashion-mnist --dir fx/fmnist --label-noise 0.5 --noise-seed 1 -o noisy.dbv &&
	mkfixtures --extract x train.dbv | u8s >train-x.txt &&
	mkfixtures --extract y train.dbv | i32s >train-y.txt &&
	mkfixtures --extract y noisy.dbv | i32s >noisy-y.txt &&
	mkfixtures --extract y_true noisy.dbv | i32s >noisy-t.txt &&
	test $(wc -l <train-x.txt) = 47040 &&
	test $(paste noisy-y.txt noisy-t.txt | awk "\$1 != \$2" | wc -l) = 30
'

test_expect_success '--ids: one plane record per triplet, anchors and labels' '
	dbv-plane --ids 0,5,30 --ids 22,3,59 train.dbv >p.dbv &&
	dbv-inspect --summary p.dbv | has "\"kind\":\"planes\"" &&
	trailer p.dbv | has "\"counts\":{\"plane\":2}" &&
	header p.dbv >h &&
	has "\"class_names\":[\"T-shirt/top\",\"Trouser\"," <h &&
	has "\"shape\":[1,28,28]" <h && has "\"mean\":[" <h &&
	has "\"res\":50,\"range_l\":0.1,\"range_r\":0.1,\"triplet_seed\":null,\"mode\":\"ids\",\"anchor_noise\":\"none\",\"anchor_noise_seed\":null,\"mislabeled\":null,\"triplet_classes\":null,\"planes\":2" <h &&
	has "\"pipeline\":[\"dbv-load fashion-mnist --dir fx/fmnist -o train.dbv\",\"dbv-plane --ids 0,5,30 --ids 22,3,59 train.dbv\"]" <h &&
	planes p.dbv >recs && test $(wc -l <recs) = 2 &&
	head -1 recs | has "\"plane\":0," && tail -1 recs | has "\"plane\":1," &&
	head -1 recs | tstat origin | has "f32 [1,28,28]" &&
	head -1 recs | tstat u | has "f32 [1,28,28]" &&
	head -1 recs | tstat v | has "f32 [1,28,28]" &&
	head -1 recs | tstat coords | has "f64 [3,2] 0 " &&
	head -1 recs | tstat range | has "f64 [4]" &&
	head -1 recs | has "\"res\":50," &&
	head -1 recs | tstat idx | has "i64 [3] 0 30 11.6666667" &&
	head -1 recs | tstat y | has "i32 [3] 0 5 1.66666667" &&
	head -1 recs | tstat y_true | has "i32 [3] 0 5 1.66666667" &&
	tail -1 recs | tstat idx | has "i64 [3] 3 59 28" &&
	head -1 recs | tstat anchors | has "u8 [3,1,28,28] $(pixstat 0 5 30)" &&
	tail -1 recs | tstat anchors | has "u8 [3,1,28,28] $(pixstat 22 3 59)"
'

test_expect_success 'the anchors keep their original index (idx), ids are positions' '
	dbv-load fashion-mnist --dir fx/fmnist --offset 20 --limit 30 -o part.dbv &&
	dbv-plane --ids 2,10,15 part.dbv | dbv-inspect | grep "\"t\":\"plane\"" |
		tstat idx | has "i64 [3] 22 35 29" &&
	test_must_fail 2 dbv-plane --ids 2,10,30 part.dbv &&
	grep -q "ids are stream positions 0 to 29" "$T/.mf_err"
'

test_expect_success '--ids-file: the same planes as --ids' '
	printf "# two triplets\n0,5,30\n\n  22,3,59 \r\n" >ids.txt &&
	dbv-plane --ids-file ids.txt -o f.dbv train.dbv &&
	planes f.dbv >f.recs && test_cmp recs f.recs &&
	dbv-plane --ids-file - train.dbv <ids.txt | dbv-inspect | grep "\"t\":\"plane\"" >g.recs &&
	test_cmp recs g.recs &&
	dbv-plane --ids 0,5,30 --ids-file ids.txt train.dbv | trailer - |
		has "\"counts\":{\"plane\":3}"
'

test_expect_success '--triplets: seeded; --list prints them; --ids-file reads them back' '
	dbv-plane --triplets 20 --seed 3 --list train.dbv >l3 &&
	test $(wc -l <l3) = 20 && ! grep -v -q "^[0-9]*,[0-9]*,[0-9]*$" l3 &&
	dbv-plane --triplets 20 --seed 3 -o r3.dbv train.dbv &&
	dbv-plane --ids-file l3 -o i3.dbv train.dbv &&
	planes r3.dbv >a && planes i3.dbv >b && test_cmp a b &&
	header r3.dbv | has "\"triplet_seed\":3,\"mode\":\"random\"" &&
	dbv-plane --triplets 20 --list train.dbv >l0 && ! cmp -s l0 l3 &&
	dbv-plane --triplets 20 --seed 0 --list train.dbv >l00 && test_cmp l0 l00
'

test_expect_success 'the same seed gives the same triplets whatever else changes' '
	dbv-plane --triplets 20 --seed 3 --res 7 --list train.dbv >x && test_cmp l3 x &&
	dbv-plane --triplets 20 --seed 3 --range 0.5 --list train.dbv >x && test_cmp l3 x &&
	dbv-plane --triplets 20 --seed 3 --noise uniform --list train.dbv >x && test_cmp l3 x &&
	dbv-plane --triplets 20 --seed 3 --noise shuffle --noise-seed 9 --list train.dbv >x &&
	test_cmp l3 x &&
	dbv-plane --triplets 20 --seed 3 --res 7 --range-l 0.3 train.dbv | dbv-inspect |
		grep "\"t\":\"plane\"" | tstat idx >a &&
	planes r3.dbv | tstat idx >b && test_cmp a b &&
	dbv-plane --triplets 20 --seed 4 --list train.dbv >l4 && ! cmp -s l3 l4 &&
	dbv-plane --triplets 10 --seed 3 --list train.dbv >l3s &&
	head -10 l3 >x && test_cmp x l3s
'

test_expect_success 'random triplets: three distinct classes, all over the data' '
	for s in 1 2 3 4 5; do
		dbv-plane --triplets 40 --seed $s --list train.dbv || exit 1
	done >all &&
	test $(wc -l <all) = 200 &&
	labels_of all train-y.txt | awk "\$1 == \$2 || \$1 == \$3 || \$2 == \$3 { bad++ } END { exit bad > 0 }" &&
	tr , "\n" <all | sort -un | wc -l >used && test $(cat used) -ge 50 &&
	labels_of all train-y.txt | tr " " "\n" | sort -u | wc -l | grep -q "^10$"
'

test_expect_success 'random triplets of collinear images are drawn again' '
	awk -F, "{ w = 0; for (k = 1; k <= 3; k++) { m = (\$k * 7) % 256; w += m >= 148 } if (!w) bad++ } END { exit bad > 0 }" all &&
	dbv-plane --triplets 40 --seed 1 train.dbv >/dev/null
'

test_expect_success '--same-class: three images of one class' '
	dbv-plane --triplets 30 --seed 2 --same-class --list train.dbv >sc &&
	labels_of sc train-y.txt | awk "\$1 != \$2 || \$1 != \$3 { bad++ } END { exit bad > 0 }" &&
	awk -F, "\$1 == \$2 || \$1 == \$3 || \$2 == \$3 { bad++ } END { exit bad > 0 }" sc &&
	labels_of sc train-y.txt | cut -d" " -f1 | sort -u | wc -l >n && test $(cat n) -ge 5 &&
	dbv-plane --triplets 30 --seed 2 --same-class train.dbv | header - |
		has "\"mode\":\"same-class\""
'

test_expect_success '--classes: draw only from these classes' '
	dbv-plane --triplets 30 --seed 1 --classes 1,4,7 --list train.dbv >c3 &&
	labels_of c3 train-y.txt | tr " " "\n" | sort -u >got &&
	printf "1\n4\n7\n" >want && test_cmp want got &&
	labels_of c3 train-y.txt | awk "\$1 == \$2 || \$1 == \$3 || \$2 == \$3 { bad++ } END { exit bad > 0 }" &&
	dbv-plane --triplets 5 --seed 1 --same-class --classes 3 --list train.dbv >c1 &&
	labels_of c1 train-y.txt | tr " " "\n" | sort -u >got && echo 3 >want && test_cmp want got &&
	dbv-plane --triplets 2 --classes 1,4,7 train.dbv | header - |
		has "\"triplet_classes\":[1,4,7]" &&
	test_must_fail 2 dbv-plane --triplets 3 --classes 1,4 train.dbv &&
	grep -q "fewer than three classes" "$T/.mf_err" &&
	test_must_fail 2 dbv-plane --triplets 3 --classes 1,4,10 train.dbv &&
	test_must_fail 2 dbv-plane --triplets 3 --classes 1,4,4 train.dbv
'

test_expect_success '--mislabeled K: the first K anchors mislabeled, the rest not' '
	for k in 0 1 2 3; do
		dbv-plane --triplets 30 --seed 5 --mislabeled $k --list noisy.dbv >m$k &&
		labels_of m$k noisy-y.txt >y$k && labels_of m$k noisy-t.txt >t$k &&
		paste -d" " y$k t$k | awk -v k=$k "{
			for (j = 1; j <= 3; j++)
				if ((\$j != \$(j + 3)) != (j <= k)) bad++
			if (\$1 == \$2 || \$1 == \$3 || \$2 == \$3) bad++
		} END { exit bad > 0 }" || exit 1
	done &&
	dbv-plane --triplets 10 --seed 5 --same-class --mislabeled 1 --list noisy.dbv >ms &&
	labels_of ms noisy-y.txt >y && labels_of ms noisy-t.txt >t &&
	paste -d" " y t | awk "{ if (\$1 != \$2 || \$1 != \$3) bad++; if (\$1 == \$4 || \$2 != \$5 || \$3 != \$6) bad++ } END { exit bad > 0 }" &&
	dbv-plane --triplets 3 --seed 5 --mislabeled 2 noisy.dbv | header - |
		has "\"mislabeled\":2" &&
	test_must_fail 2 dbv-plane --triplets 3 --mislabeled 1 train.dbv &&
	grep -q "too few items" "$T/.mf_err" &&
	test_must_fail 2 dbv-plane --triplets 3 --same-class --mislabeled 3 train.dbv
'

test_expect_success '--noise uniform: noise anchors, seeded, same geometry rules' '
	dbv-plane --ids 0,5,30 --noise uniform -o nu.dbv train.dbv &&
	planes nu.dbv >r && tstat anchors <r >s &&
	read dt shape lo hi mean crc <s &&
	test "$dt $shape" = "f32 [3,1,28,28]" &&
	awk -v lo=$lo -v hi=$hi -v m=$mean "BEGIN { exit !(lo >= 0 && hi <= 255 && m > 120 && m < 135) }" &&
	tstat idx <r | has "i64 [3] -1 -1 -1" &&
	tstat y <r | has "i32 [3] -1 -1 -1" && tstat y_true <r | has "i32 [3] -1 -1 -1" &&
	header nu.dbv | has "\"anchor_noise\":\"uniform\",\"anchor_noise_seed\":0" &&
	dbv-plane --ids 0,5,30 --noise uniform train.dbv | dbv-inspect | grep "\"t\":\"plane\"" >r2 &&
	test_cmp r r2 &&
	dbv-plane --ids 0,5,30 --noise uniform --noise-seed 1 train.dbv | dbv-inspect |
		grep "\"t\":\"plane\"" | tstat anchors >s1 && ! cmp -s s s1
'

test_expect_success '--noise shuffle: pixel-shuffled copies of the drawn images' '
	dbv-plane --ids 22,3,59 --noise shuffle --noise-seed 4 -o ns.dbv train.dbv &&
	planes ns.dbv >r && tstat anchors <r >s &&
	read dt shape lo hi mean crc <s &&
	test "$dt $shape" = "f32 [3,1,28,28]" &&
	test "$lo $hi $mean" = "$(pixstat 22 3 59)" &&
	planes p.dbv | tail -1 | tstat anchors >s0 && read a b c d e crc0 <s0 &&
	test "$crc" != "$crc0" && tstat idx <r | has "i64 [3] -1 -1 -1" &&
	dbv-plane --triplets 4 --seed 2 --noise shuffle -o ns4.dbv train.dbv &&
	trailer ns4.dbv | has "\"counts\":{\"plane\":4}"
'

test_expect_success '--expand: res*res points a plane as an f32 dataset stream' '
	dbv-plane --ids 0,5,30 --ids 22,3,59 --res 40 --expand -o e.dbv train.dbv &&
	dbv-inspect --summary e.dbv >sum &&
	has "\"kind\":\"dataset\"" <sum && has "\"items\":3200,\"item_shape\":[1,28,28]" <sum &&
	trailer e.dbv | has "\"counts\":{\"batch\":10}" &&
	header e.dbv >h && has "\"expanded_from\":\"planes\"" <h && has "\"n\":3200," <h &&
	has "\"res\":40," <h && has "\"planes\":2," <h && has "\"classes\":10," <h &&
	dbv-inspect e.dbv | grep "\"t\":\"batch\"" | head -1 | tstat x | has "f32 [334,1,28,28]" &&
	mkfixtures --extract idx e.dbv | i64s >idx && seq 0 3199 >want && test_cmp want idx &&
	mkfixtures --extract y e.dbv | i32s | sort -u >y && echo -1 >want && test_cmp want y &&
	mkfixtures --extract y_true e.dbv | i32s | sort -u >y && test_cmp want y
'

# corners A B C: the points of "--res 2 --range 0" for triplet A,B,C
# (pts.txt) pass through the anchors: x1 is corner (0,0) and x2 corner
# (0,1) unless x3 lies beyond them on the x axis; x3 is corner (1,0) or
# (1,1) when it is the leftmost or rightmost; so at least two anchors are
# corners, and each corner found equals the image to 1e-3 pixel units.
corners() {
	awk -v a=$1 -v b=$2 -v c=$3 '
	NR == FNR { img[NR - 1] = $1; next }
	{ p[FNR - 1] = $1 }
	function same(i, q,   t, e) {
		for (t = 0; t < 784; t++) {
			e = p[q * 784 + t] - img[i * 784 + t]
			if (e > 1e-3 || e < -1e-3) return 0
		}
		return 1
	}
	END {
		n = same(a, 0) + same(b, 1) + (same(c, 2) || same(c, 3))
		if (n < 2) { print "only " n " anchors on the corners" > "/dev/stderr"; exit 1 }
	}' train-x.txt pts.txt
}

test_expect_success '--expand: the grid passes through the anchors' '
	for t in 0,5,30 22,3,59 30,31,32 59,22,3 40,24,2; do
		dbv-plane --ids $t --res 2 --range 0 --expand train.dbv >c.dbv &&
		mkfixtures --extract x c.dbv | f32s >pts.txt &&
		test $(wc -l <pts.txt) = 3136 &&
		corners $(echo $t | tr , " ") || { echo "triplet $t" >&2; exit 1; }
	done
'

test_expect_success '--expand: the points are an evenly spaced affine grid' '
	dbv-plane --ids 22,3,59 --res 5 --range 0.3 --expand train.dbv >g.dbv &&
	mkfixtures --extract x g.dbv | f32s >pts.txt &&
	awk "{ p[NR - 1] = \$1 }
	function P(i, j, t) { return p[(i * 5 + j) * 784 + t] }
	END {
		for (i = 0; i < 5; i++) for (j = 0; j < 5; j++) for (t = 0; t < 784; t++) {
			e = P(i, j, t) - P(i, 0, t) - P(0, j, t) + P(0, 0, t)
			f = P(0, j, t) - P(0, 0, t) - j * (P(0, 1, t) - P(0, 0, t))
			g = P(i, 0, t) - P(0, 0, t) - i * (P(1, 0, t) - P(0, 0, t))
			if (e * e > 1e-4 || f * f > 1e-4 || g * g > 1e-4) bad++
		}
		exit bad > 0
	}" pts.txt &&
	dbv-plane --ids 22,3,59 --res 5 --range 0 --expand train.dbv >g0.dbv &&
	mkfixtures --extract x g0.dbv | f32s >p0.txt &&
	awk "NR == FNR { q[NR - 1] = \$1; next } { p[FNR - 1] = \$1 }
	END {
		# With range 0.3 the grid is 1.6 times wider on each axis around
		# the same box: point (1,1) of 5 at 0.3 = (-0.3 + 1.6/4) = 0.1 of
		# the box, as the range-0 grid point at 0.1 would be.
		n = 0
		for (t = 0; t < 784; t++) {
			a = p[(0 * 5 + 0) * 784 + t]; b = p[(0 * 5 + 4) * 784 + t]
			c = p[(4 * 5 + 0) * 784 + t]
			w = a + 0.1 * (b - a) + 0.1 * (c - a)
			e = q[(1 * 5 + 1) * 784 + t] - w
			if (e * e > 1e-4) n++
		}
		exit n > 0
	}" pts.txt p0.txt
'

test_expect_success 'an f32 dataset (an expanded grid) is input too' '
	dbv-plane --ids 22,3,59 --res 4 --expand train.dbv >e4.dbv &&
	dbv-plane --ids 0,1,4 e4.dbv >pf.dbv &&
	planes pf.dbv | tstat anchors | has "f32 [3,1,28,28]" &&
	planes pf.dbv | tstat idx | has "i64 [3] 0 4 1.66666667" &&
	planes pf.dbv | tstat y | has "i32 [3] -1 -1 -1" &&
	test_must_fail 3 dbv-plane --ids 0,1,2 e4.dbv &&
	grep -q "collinear" "$T/.mf_err" &&
	test_must_fail 2 dbv-plane --triplets 1 e4.dbv &&
	grep -q "fewer than three classes to draw distinct-class triplets from (0)" "$T/.mf_err"
'

test_expect_success 'pipes: from stdin, into dbv-inspect' '
	dbv-load fashion-mnist --dir fx/fmnist | dbv-plane --triplets 3 --seed 1 --res 10 |
		trailer - | has "\"counts\":{\"plane\":3}"
'

test_expect_success 'a dataset whose images repeat' '
	mkfixtures --idx-data fx/fmnist/train-images-idx3-ubyte.gz >train-x.bin &&
	tail -c +$((30 * 784 + 1)) train-x.bin | head -c 784 >img30 &&
	tail -c +$((22 * 784 + 1)) train-x.bin | head -c 784 >img22 &&
	{ printf "\0\0\10\3\0\0\0\3\0\0\0\34\0\0\0\34" && cat img30 img22 img30; } >dup-x &&
	printf "\0\0\10\1\0\0\0\3\0\1\2" >dup-y &&
	dbv-load --images dup-x --labels dup-y -o dup.dbv &&
	test_must_fail 3 dbv-plane --ids 0,2,1 dup.dbv &&
	grep -q "plane 0 (stream positions 0,2,1): anchors 1 and 2 are duplicates" "$T/.mf_err" &&
	test_must_fail 3 dbv-plane --ids 0,1,2 dup.dbv &&
	grep -q "anchors 1 and 3 are duplicates" "$T/.mf_err" &&
	test_must_fail 3 dbv-plane --ids 1,0,2 dup.dbv &&
	grep -q "anchors 2 and 3 are duplicates" "$T/.mf_err" &&
	test_must_fail 3 dbv-plane --triplets 1 dup.dbv &&
	grep -q "1000 triplets in a row were duplicates or collinear" "$T/.mf_err"
'

test_expect_success 'refusals: bad triplets and grids (exit 2 or 3, nothing written)' '
	test_must_fail 2 dbv-plane --ids 3,3,5 train.dbv &&
	grep -q "names item 3 twice" "$T/.mf_err" &&
	test_must_fail 3 dbv-plane --ids 0,5,21 -o bad.dbv train.dbv &&
	grep -q "plane 0 (stream positions 0,5,21): anchors are collinear" "$T/.mf_err" &&
	test_must_fail 3 dbv-plane --ids 22,3,59 --ids 0,5,21 -o bad.dbv train.dbv &&
	grep -q "plane 1 " "$T/.mf_err" &&
	test_must_fail 2 dbv-plane --ids 0,5,0 train.dbv &&
	test_must_fail 2 dbv-plane --ids 0,5,60 -o bad.dbv train.dbv &&
	grep -q "id 60 is out of range (ids are stream positions 0 to 59)" "$T/.mf_err" &&
	dbv-load fashion-mnist --dir fx/fmnist --classes 1,2 -o two.dbv &&
	test_must_fail 2 dbv-plane --triplets 1 two.dbv &&
	grep -q "fewer than three classes" "$T/.mf_err" &&
	dbv-plane --ids 0,1,7 two.dbv >/dev/null &&
	test_must_fail 2 dbv-plane --ids 0,5,30 --res 1 train.dbv &&
	test_must_fail 2 dbv-plane --ids 0,5,30 --res 0 train.dbv &&
	test_must_fail 2 dbv-plane --ids 0,5,30 --res 100000 train.dbv &&
	grep -q "over 4096 points per axis" "$T/.mf_err" &&
	test_must_fail 2 dbv-plane --ids 0,5,30 --res 99999999999999999999 train.dbv &&
	dbv-plane --ids 0,5,30 --res 2 train.dbv >/dev/null &&
	dbv-plane --ids 0,5,30 --res 4096 train.dbv >/dev/null &&
	test ! -e bad.dbv && ! ls bad.dbv.tmp.* 2>/dev/null
'

test_expect_success 'refusals: bad input (exit 3) and unwritable output (exit 4)' '
	test_must_fail 3 dbv-plane --ids 0,1,2 p.dbv &&
	grep -q "dataset" "$T/.mf_err" &&
	printf "not a stream" >junk && test_must_fail 3 dbv-plane --ids 0,1,2 junk &&
	test_must_fail 3 dbv-plane --ids 0,1,2 </dev/null &&
	head -c 20000 train.dbv >cut.dbv && test_must_fail 3 dbv-plane --ids 0,5,30 cut.dbv &&
	cat train.dbv train.dbv >two-streams.dbv &&
	test_must_fail 3 dbv-plane --ids 0,5,30 two-streams.dbv &&
	test_must_fail 3 dbv-plane --ids 0,5,30 --max-record 1000 train.dbv &&
	test_must_fail 4 dbv-plane --ids 0,5,30 -o nowhere/p.dbv train.dbv &&
	test_must_fail 4 dbv-plane --ids 0,5,30 nowhere.dbv &&
	test_must_fail 4 dbv-plane --ids-file nowhere.txt train.dbv
'

test_expect_success 'usage errors exit 2' '
	test_must_fail 2 dbv-plane train.dbv &&
	test_must_fail 2 dbv-plane --ids 1,2 train.dbv &&
	test_must_fail 2 dbv-plane --ids 1,2,3,4 train.dbv &&
	test_must_fail 2 dbv-plane --ids 1,x,3 train.dbv &&
	test_must_fail 2 dbv-plane --ids -1,2,3 train.dbv &&
	printf "1,2,3\n4,5\n" >badids && test_must_fail 2 dbv-plane --ids-file badids train.dbv &&
	grep -q "badids:2" "$T/.mf_err" &&
	printf "# nothing\n" >noids && test_must_fail 2 dbv-plane --ids-file noids train.dbv &&
	test_must_fail 2 dbv-plane --ids 1,2,3 --triplets 2 train.dbv &&
	test_must_fail 2 dbv-plane --ids 1,2,3 --seed 2 train.dbv &&
	test_must_fail 2 dbv-plane --ids 1,2,3 --same-class train.dbv &&
	test_must_fail 2 dbv-plane --ids 1,2,3 --classes 1,2,3 train.dbv &&
	test_must_fail 2 dbv-plane --ids 1,2,3 --mislabeled 1 train.dbv &&
	test_must_fail 2 dbv-plane --triplets 0 train.dbv &&
	test_must_fail 2 dbv-plane --triplets 2 --mislabeled 4 noisy.dbv &&
	test_must_fail 2 dbv-plane --triplets 2 --seed -1 train.dbv &&
	test_must_fail 2 dbv-plane --ids 1,2,3 --noise gauss train.dbv &&
	test_must_fail 2 dbv-plane --ids 1,2,3 --noise-seed 1 train.dbv &&
	test_must_fail 2 dbv-plane --ids 1,2,3 --range -0.1 train.dbv &&
	test_must_fail 2 dbv-plane --ids 1,2,3 --range-l nan train.dbv &&
	test_must_fail 2 dbv-plane --ids 1,2,3 --range-r 1e9 train.dbv &&
	test_must_fail 2 dbv-plane --ids 1,2,3 --list --expand train.dbv &&
	test_must_fail 2 dbv-plane --ids 1,2,3 --bogus train.dbv &&
	test_must_fail 2 dbv-plane --ids 1,2,3 --res train.dbv &&
	test_must_fail 2 dbv-plane --ids 1,2,3 train.dbv extra &&
	test_must_fail 2 dbv-plane --ids-file - - <ids.txt
'

test_expect_success '--range sets both ends; --range-l/-r each' '
	dbv-plane --ids 0,5,30 --range 0.5 train.dbv | header - | has "\"range_l\":0.5,\"range_r\":0.5" &&
	dbv-plane --ids 0,5,30 --range 0.5 --range-r 0 train.dbv | header - |
		has "\"range_l\":0.5,\"range_r\":0,"
'

test_expect_success '--help and --version' '
	dbv-plane --help >help && has "usage: dbv-plane" <help && has "--mislabeled K" <help &&
	dbv-plane -h | has "--expand" &&
	dbv-plane --version | has "dbv-plane (dbv)"
'

test_done
