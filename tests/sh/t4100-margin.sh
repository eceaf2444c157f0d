#!/bin/sh
# t4100-margin.sh - dbv-margin on tiny mlps trained on mkfixtures' fake
# Fashion-MNIST with 20% label noise: the figures of the table stream
# (read with tvals, independently of libdbv) against the per-point and
# per-pair values recomputed here, the bisection against a fine ladder
# point by point, the forward passes it counts, --merge, the charts of
# margins and skips, the refusals; and dbv-plane --per-class's triplets.
. "$(dirname "$0")/lib.sh"
. "$SRCDIR/tests/sh/tvals.sh"

# rows TITLE FILE: the rows of the TSV section titled "# TITLE" (exactly),
# without its column names.
rows() {
	awk -v t="# $1" '$0 == t { on = 1; getline; next } /^$/ { on = 0 } on' "$2"
}

DBV_DATA_DIR=$T/data
export DBV_DATA_DIR

test_expect_success 'models and their margins' '
	mkfixtures fx >/dev/null &&
	mkdir -p data && ln -s "$T/fx/fmnist" data/fashion-mnist &&
	ln -s "$T/fx/cifar10" data/cifar10 &&
	dbv-load fashion-mnist --label-noise 0.2 --noise-seed 1 -o train.dbv &&
	for w in 4 16; do
		dbv-train --arch mlp --width $w --epochs 20 --lr 0.02 --threads 1 -q \
			-o mlp-$w.dbv train.dbv || exit 1
	done &&
	dbv-margin -m mlp-16.dbv --skips 4 --threads 1 -v -o m16.dbv train.dbv 2>v16 &&
	dbv-margin -m mlp-4.dbv --skips 4 --threads 1 --points 30 --seed 5 -o m4.dbv train.dbv &&
	dbv-margin -m mlp-16.dbv --skips 4 --threads 1 --tsv train.dbv >m16.tsv &&
	dbv-inspect m16.dbv >recs &&
	grep -q "\"kind\":\"table\"" recs && grep -q "\"counts\":{\"margins\":1,\"skips\":1}" recs
'

test_expect_success 'the group means and counts are those of the points' '
	tvals margins margin m16.dbv >margin &&
	tvals margins y m16.dbv >y && tvals margins y_true m16.dbv >yt &&
	tvals margins hits m16.dbv >hits &&
	test $(wc -l <margin) = 60 &&
	paste margin y yt hits | awk "
		\$4 >= 5 && \$1 == \"nan\" { print \"hits \" \$4 \" without a margin\"; exit 1 }
		\$4 < 5 && \$1 != \"nan\" { print \"hits \" \$4 \" with a margin\"; exit 1 }
		\$1 != \"nan\" { g = \$2 != \$3 ? 0 : 1; s[g] += \$1; n[g]++; s[2] += \$1; n[2]++ }
		END { for (g = 0; g < 3; g++) printf \"%d %.9g\\n\", n[g], s[g] / n[g] }" >want &&
	tvals margins points m16.dbv >points && tvals margins mean m16.dbv >mean &&
	paste points mean | awk "{ printf \"%d %.9g\\n\", \$1, \$2 }" >got &&
	test_cmp want got &&
	rows "margins per point" m16.tsv | cut -f7 | sed "s/^nan\$/nan/" >tsv-margin &&
	awk "{ print (\$1 == \"nan\" ? \"nan\" : sprintf(\"%.9g\", \$1)) }" margin >dbv-margin &&
	test_cmp dbv-margin tsv-margin
'

# (6 images a class: round(0.2 x 6) = 1 mislabeled in each of 10 classes)
test_expect_success 'the intervals hold the means; the noise shows in the groups' '
	tvals margins ci95_lo m16.dbv >lo && tvals margins ci95_hi m16.dbv >hi &&
	paste lo mean hi | awk "\$1 > \$2 || \$2 > \$3 { exit 1 }" &&
	sed -n 1p points >nmis && test $(cat nmis) -gt 0 &&
	paste y yt | awk "\$1 != \$2" | wc -l >nnoisy && test $(cat nnoisy) = 10
'

test_expect_success 'the bisection against a fine ladder, point by point' '
	dbv-margin -m mlp-16.dbv --points 20 --seed 3 --threads 1 -o b.dbv train.dbv &&
	dbv-margin -m mlp-16.dbv --points 20 --seed 3 --threads 1 --ladder 1600 -o l.dbv train.dbv &&
	tvals margins idx b.dbv >bi && tvals margins idx l.dbv >li && test_cmp bi li &&
	tvals margins margin b.dbv >bm && tvals margins margin l.dbv >lm &&
	paste bm lm | awk "
		\$1 == \"nan\" || \$2 == \"nan\" { if (\$1 != \$2) bad++; next }
		{ d = \$1 - \$2; if (d < 0) d = -d; if (d > 0.0105) bad++; n++ }
		END { exit bad > 0 || n < 10 }"
'

test_expect_success 'the forward passes it counts' '
	tvals margins passes l.dbv >lp && test $(cat lp) = $((20 + 20 * 10 * 1600)) &&
	tvals margins passes m16.dbv >p16 &&
	grep -q "^dbv-margin: margins: 60 points x 10 directions: $(cat p16) forward passes" v16 &&
	test $(cat p16) -lt $((60 * 10 * 200 / 3))
'

# num KEY FILE: the number under KEY of FILE's one JSON line.
num() {
	sed -n "s/.*\"$1\":\([-0-9.eE+]*\).*/\1/p" "$2"
}
test_expect_success '--estimate: the points it would classify, their seconds, no table' '
	DBV_ESTIMATE_SECONDS=0.05 dbv-margin -m mlp-16.dbv --points 20 --ladder 50 \
		--directions 4 --min-hits 2 --skips 3 --skip-res 10 --estimate \
		-o e.dbv train.dbv >el.json &&
	! test -e e.dbv && test $(wc -l <el.json) = 1 &&
	tvals skips a m16.dbv >pairs4 && k=$(($(wc -l <pairs4) / 4)) && test $k -ge 2 &&
	test "$(num points el.json)" = $((20 + 20 * 4 * 50 + k * 3 * 10)) &&
	awk -v p="$(num points el.json)" -v r="$(num points_per_s el.json)" \
		-v s="$(num seconds el.json)" "BEGIN { d = s - p / r; exit !(r > 0 && d * d < 1e-18 * s * s) }" &&
	test "$(num threads el.json)" = 2 && test "$(num memory_bytes el.json)" -gt 100000 &&
	DBV_ESTIMATE_SECONDS=0.05 dbv-margin -m mlp-16.dbv --threads 1 --estimate train.dbv >es.json &&
	awk -v e="$(num points es.json)" -v p="$(cat p16)" "BEGIN { exit !(e > p / 2 && e < 2 * p) }" &&
	test_must_fail 2 dbv-margin --merge --estimate m16.dbv
'

test_expect_success 'class skips: the figures of the pairs' '
	tvals skips changes m16.dbv >ch && tvals skips classes m16.dbv >cl &&
	tvals skips class m16.dbv >cls &&
	test $(wc -l <ch) = 40 &&
	paste ch cl | awk "\$1 > 99 || \$2 < 1 || \$1 < \$2 - 1 { exit 1 }" &&
	awk "{ s += \$1 } END { printf \"%.9g\\n\", s / NR }" ch >want &&
	tvals skips mean m16.dbv | awk "{ printf \"%.9g\\n\", \$1 }" >got && test_cmp want got &&
	sort -n cls | uniq -c | awk "{ print \$1 }" | sort -u >per && echo 4 >want && test_cmp want per &&
	tvals skips res m16.dbv >res && echo 100 >want && test_cmp want res
'

test_expect_success 'the same seed, the same table' '
	dbv-margin -m mlp-16.dbv --skips 4 -o again.dbv train.dbv &&
	dbv-inspect m16.dbv | sed "1d;\$d" >a && dbv-inspect again.dbv | sed "1d;\$d" >b &&
	test_cmp a b
'

test_expect_success '--merge: the streams one after the other' '
	dbv-margin --merge -o all.dbv m16.dbv m4.dbv &&
	tvals margins stream all.dbv | sort -n | uniq -c | awk "{ print \$2, \$1 }" >got &&
	printf "0 60\n1 30\n" >want && test_cmp want got &&
	tvals margins mean all.dbv >mall && tvals margins mean m4.dbv >m4m &&
	cat mean m4m >want && test_cmp want mall &&
	dbv-margin --merge --tsv m16.dbv m4.dbv >all.tsv &&
	rows streams all.tsv | cut -f2 >files && printf "mlp-16.dbv\nmlp-4.dbv\n" >want &&
	test_cmp want files
'

test_expect_success 'charts of margins and skips against width' '
	dbv-chart --x width --y margin -o margin.png all.dbv &&
	dbv-chart --x width --y margin_mislabeled -o mis.png all.dbv &&
	dbv-render all.dbv --x width --y skips -o skips.png &&
	for f in margin.png mis.png skips.png; do mkpred --size $f >/dev/null || exit 1; done &&
	dbv-margin -m mlp-4.dbv --threads 1 -o noskips.dbv train.dbv &&
	test_must_fail 2 dbv-chart --x width --y skips -o x.png noskips.dbv &&
	grep -q "no \"skips\" record" .mf_err
'

test_expect_success 'refusals' '
	test_must_fail 2 dbv-margin train.dbv &&
	test_must_fail 2 dbv-margin -m mlp-4.dbv --ladder 50 --step 1 train.dbv &&
	test_must_fail 2 dbv-margin -m mlp-4.dbv --min-hits 11 train.dbv &&
	test_must_fail 2 dbv-margin -m mlp-4.dbv --no-margins train.dbv &&
	test_must_fail 2 dbv-margin -m mlp-4.dbv --step 40 train.dbv &&
	test_must_fail 2 dbv-margin --merge &&
	test_must_fail 2 dbv-margin --merge m16.dbv noskips.dbv &&
	grep -q "margins only" .mf_err &&
	dbv-load cifar10 --limit 10 -o cifar.dbv &&
	test_must_fail 3 dbv-margin -m mlp-4.dbv cifar.dbv &&
	dbv-predict -m mlp-4.dbv -o pred.dbv train.dbv &&
	dbv-compare pred.dbv pred.dbv -o cmp.dbv &&
	test_must_fail 2 dbv-margin --merge cmp.dbv &&
	! ls | grep -q "\.tmp\."
'

test_expect_success 'dbv-plane --per-class: N correctly labelled triplets of each class' '
	dbv-plane --triplets 3 --same-class --per-class --mislabeled 0 --list train.dbv >trip &&
	rows "margins per point" m16.tsv | cut -f2-4 >labels &&
	tr , "\n" <trip | while read i; do
		awk -v i=$i "\$1 == i { print \$2, \$3 }" labels || exit 1
	done >anchors &&
	awk "\$1 != \$2 { exit 1 }" anchors &&
	awk "NR % 3 == 1 { c = \$1 } \$1 != c { exit 1 } NR % 9 == 1 { print c }" anchors >classes &&
	test $(wc -l <trip) = $((3 * $(wc -l <classes))) &&
	sort -n classes | uniq -d >dup && ! test -s dup &&
	dbv-plane --triplets 3 --same-class --per-class --mislabeled 0 -o pc.dbv train.dbv &&
	dbv-inspect pc.dbv | grep -c "\"t\":\"plane\"" >n && test $(cat n) = $(wc -l <trip) &&
	test_must_fail 2 dbv-plane --triplets 3 --per-class train.dbv
'

test_done
