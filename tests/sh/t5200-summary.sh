#!/bin/sh
# t5200-summary.sh - pipelines/summary.sh, the summaries the study make
# files print, on hand-written dbv-compare tables (TSV; "|" below stands
# for a tab): every figure to 3 decimals in aligned columns, the 95%
# interval of every group agreement, the finding within > across stated
# only where the intervals are apart, the double-descent table of test and
# training error, regions per plane and agreement against width per noise
# rate, and dd-check's verdict on the four signs of a double descent.
. "$(dirname "$0")/lib.sh"

SUMMARY="sh $SRCDIR/pipelines/summary.sh"

test_expect_success 'setup: two tiny models, one trained with --test' '
	mkfixtures fx >/dev/null &&
	mkdir data && ln -s "$T/fx/fmnist" data/fashion-mnist &&
	DBV_DATA_DIR=$T/data && export DBV_DATA_DIR &&
	dbv-load fashion-mnist --limit 60 -o train.dbv &&
	dbv-load fashion-mnist --split test -o test.dbv &&
	mkdir m &&
	dbv-train --arch mlp --width 4 --epochs 1 -q -o m/notest.dbv train.dbv &&
	dbv-train --arch mlp --width 4 --epochs 1 -q --test test.dbv -o m/withtest.dbv train.dbv &&
	dbv-inspect m/withtest.dbv | grep -q "\"test_acc\":0.1," &&
	for n in resnet18-s0 resnet18-s1 mlp-s0 cnn5-s0 vgg11-s0 vgg11-s1; do
		ln -s notest.dbv m/$n.dbv || exit 1
	done &&
	ln -s withtest.dbv m/mlp-s1.dbv
'

# Four groups: resnet18 overlaps mlp (issue 12: 0.629 [0.552, 0.691]
# against 0.610 [0.550, 0.665]), mlp is above every other, cnn5 has one
# model, vgg11 is below every other.
test_expect_success 'study: agreement with intervals; the finding only where the intervals are apart' '
	tr "|" "\t" >table.tsv <<-"EOF" &&
	# streams
	stream|file|group|model
	0|p/resnet18-s0-score.dbv|resnet18|resnet18 w=4 seed=0
	1|p/resnet18-s1-score.dbv|resnet18|resnet18 w=4 seed=1
	2|p/mlp-s0-score.dbv|mlp|mlp w=256 seed=0
	3|p/mlp-s1-score.dbv|mlp|mlp w=256 seed=1
	4|p/cnn5-s0-score.dbv|cnn5|cnn5 w=8 seed=0
	5|p/vgg11-s0-score.dbv|vgg11|vgg11 w=8 seed=0
	6|p/vgg11-s1-score.dbv|vgg11|vgg11 w=8 seed=1

	# group agreement with 95% intervals
	group_a|group_b|pairs|agreement|std|ci95_lo|ci95_hi|iou
	resnet18|resnet18|1|0.629000|0.1|0.552000|0.691000|0.5
	resnet18|mlp|4|0.610000|0.1|0.550000|0.665000|0.5
	resnet18|cnn5|2|0.300000|0.1|0.250000|0.350000|0.2
	resnet18|vgg11|4|0.400000|0.1|0.350000|0.450000|0.2
	mlp|mlp|1|0.939000|0.1|0.921000|0.955000|0.8
	mlp|cnn5|2|0.500000|0.1|0.450000|0.560000|0.3
	mlp|vgg11|4|0.420000|0.1|0.380000|0.470000|0.3
	cnn5|cnn5|0|nan|nan|nan|nan|nan
	cnn5|vgg11|2|0.350000|0.1|0.300000|0.400000|0.3
	vgg11|vgg11|1|0.100000|0.1|0.050000|0.150000|0.1

	# fragmentation (8-connected regions per plane)
	stream|mean|std
	0|2.0000|0
	1|2.2500|0
	2|3.1250|0
	3|4.0000|0
	4|1.0000|0
	5|12.5000|0
	6|7.0004|0
	EOF
	$SUMMARY study "dbv test: title" "pictures: footer" table.tsv \
		m/resnet18-s0.dbv m/resnet18-s1.dbv m/mlp-s0.dbv m/mlp-s1.dbv \
		m/cnn5-s0.dbv m/vgg11-s0.dbv m/vgg11-s1.dbv >out &&
	cat >expect <<-"EOF" &&
	dbv test: title

	  model         test accuracy   regions per plane
	  resnet18-s0               -               2.000
	  resnet18-s1               -               2.250
	  mlp-s0                    -               3.125
	  mlp-s1                0.100               4.000
	  cnn5-s0                   -               1.000
	  vgg11-s0                  -              12.500
	  vgg11-s1                  -               7.000

	reproducibility: agreement = the fraction of plane points where two models
	predict the same class, mean over planes and 95% interval (bootstrap):
	  group      group               pairs   agreement   95% interval
	  resnet18   resnet18   within       1       0.629   [0.552, 0.691]
	  resnet18   mlp        across       4       0.610   [0.550, 0.665]
	  resnet18   cnn5       across       2       0.300   [0.250, 0.350]
	  resnet18   vgg11      across       4       0.400   [0.350, 0.450]
	  mlp        mlp        within       1       0.939   [0.921, 0.955]
	  mlp        cnn5       across       2       0.500   [0.450, 0.560]
	  mlp        vgg11      across       4       0.420   [0.380, 0.470]
	  cnn5       cnn5       within       0           -
	  cnn5       vgg11      across       2       0.350   [0.300, 0.400]
	  vgg11      vgg11      within       1       0.100   [0.050, 0.150]

	within > across (two seeds of one group agree more than with another group):
	  resnet18   not separated at this size: 0.629 [0.552, 0.691] against 0.610 [0.550, 0.665] (with mlp)
	  mlp        within > across: 0.939 [0.921, 0.955] above 0.610 [0.550, 0.665] (with resnet18, the highest)
	  cnn5       no within-group pair (one model)
	  vgg11      within < across: 0.100 [0.050, 0.150] below 0.350 [0.300, 0.400] (with cnn5, the lowest)

	pictures: footer
	EOF
	test_cmp expect out
'

test_expect_success 'study: a table that does not match the models is refused' '
	test_expect_code 1 $SUMMARY study t f table.tsv m/mlp-s0.dbv >out 2>err &&
	grep -q "^summary.sh: table.tsv: 7 streams, 1 models" err &&
	test_expect_code 1 $SUMMARY study t f missing.tsv m/mlp-s0.dbv 2>err &&
	grep -q "^summary.sh: cannot read missing.tsv" err
'

# Widths 2 and 10 (numeric order, not text order), two noise rates, two
# seeds; the test error is 1 - acc_true; agreement only between the seeds
# of one width and noise rate (the other pairs read 0.05).
test_expect_success 'double descent: test error, regions and agreement against width, per noise rate' '
	tr "|" "\t" >streams <<-"EOF" &&
	# streams
	stream|file|group|model
	0|p/w10-n0-s1.dbv|-|mlp w=10 seed=1
	1|p/w10-n0-s2.dbv|-|mlp w=10 seed=2
	2|p/w2-n0-s1.dbv|-|mlp w=2 seed=1
	3|p/w2-n0-s2.dbv|-|mlp w=2 seed=2
	4|p/w2-n0.2-s1.dbv|-|mlp w=2 seed=1 noise=0.2
	5|p/w2-n0.2-s2.dbv|-|mlp w=2 seed=2 noise=0.2

	EOF
	{ cat streams && tr "|" "\t" <<-"EOF"
	# accuracy over 100 items
	stream|acc|acc_true
	0|0.900000|0.900000
	1|0.800000|0.800000
	2|0.700000|0.700000
	3|0.600000|0.600000
	4|0.550000|0.500000
	5|0.450000|0.400000
	EOF
	} >test.tsv &&
	{ cat streams && printf "# agreement over 4 planes of 10x10 points\na\tb\tagreement\tstd\tci95_lo\tci95_hi\tiou\n" &&
	  for a in 0 1 2 3 4; do
		for b in $(seq $((a + 1)) 5); do
			case $a$b in 01) v=0.8 ;; 23) v=0.6 ;; 45) v=0.4 ;; *) v=0.05 ;; esac &&
			printf "%d\t%d\t%s\t0.1\t0\t1\t0.1\n" $a $b $v || exit 1
		done
	  done &&
	  printf "\n# fragmentation (8-connected regions per plane)\nstream\tmean\tstd\n" &&
	  for s in 0 1 2 3 4 5; do printf "%d\t%d.0000\t0\n" $s $((s + 1)) || exit 1; done
	} >planes.tsv &&
	{ cat streams && tr "|" "\t" <<-"EOF"
	# accuracy over 60 items
	stream|acc|acc_true
	0|1.000000|1.000000
	1|0.980000|0.980000
	2|0.800000|0.800000
	3|0.700000|0.700000
	4|0.600000|0.700000
	5|0.500000|0.650000
	EOF
	} >train.tsv &&
	$SUMMARY double-descent "dbv double descent: title" "pictures: footer" test.tsv train.tsv planes.tsv >out &&
	cat >expect <<-"EOF" &&
	dbv double descent: title

	label noise 0:
	  width   test error   train error   regions per plane   seed-to-seed agreement
	      2        0.350         0.250               3.500                    0.600
	     10        0.150         0.010               1.500                    0.800

	label noise 0.2:
	  width   test error   train error   regions per plane   seed-to-seed agreement
	      2        0.550         0.450               5.500                    0.400

	test error: 1 - accuracy (true labels) over 100 items, mean over seeds;
	train error: 1 - accuracy on the training images against the labels the
	models saw (noisy under label noise), mean over seeds;
	regions per plane: 8-connected regions, mean over planes and seeds;
	agreement: fraction of plane points where two seeds predict the same class,
	mean over planes and pairs of seeds (4 planes of 10x10 points).

	pictures: footer
	EOF
	test_cmp expect out
'

# mktables "E1 E2 ..." "T1 ..." "F1 ..." "A1 ..." WIDTHS...: tables of
# two seeds per width at noise 0.2 whose means are the given test errors,
# training errors, regions per plane and agreements (the seeds' figures
# are the mean -+ 0.01, their agreement the value itself).
mktables() {
	awk -v E="$1" -v T="$2" -v F="$3" -v A="$4" -v W="$5" "BEGIN {
		n = split(W, w, \" \"); split(E, e, \" \"); split(T, t, \" \")
		split(F, f, \" \"); split(A, a, \" \")
		s = \"# streams\\nstream\\tfile\\tgroup\\tmodel\\n\"
		for (i = 1; i <= n; i++) for (k = 0; k < 2; k++)
			s = s sprintf(\"%d\\tp/%d.dbv\\t-\\trf w=%s seed=%d noise=0.2\\n\", 2*i-2+k, 2*i-2+k, w[i], k)
		printf \"%s\\n# accuracy over 50 items\\nstream\\tacc\\tacc_true\\n\", s > \"t.tsv\"
		printf \"%s\\n# accuracy over 60 items\\nstream\\tacc\\tacc_true\\n\", s > \"r.tsv\"
		printf \"%s\\n# agreement over 2 planes of 4x4 points\\na\\tb\\tagreement\\tstd\\tci95_lo\\tci95_hi\\tiou\\n\", s > \"p.tsv\"
		for (i = 1; i <= n; i++) {
			for (k = 0; k < 2; k++) {
				d = k ? 0.01 : -0.01
				printf \"%d\\t0.5\\t%f\\n\", 2*i-2+k, 1 - e[i] - d > \"t.tsv\"
				printf \"%d\\t%f\\t0.5\\n\", 2*i-2+k, 1 - t[i] - (t[i] > 0.01 ? d : 0) > \"r.tsv\"
			}
			for (j = 2*i-1; j < 2*n; j++)
				printf \"%d\\t%d\\t%s\\t0\\t0\\t1\\t0\\n\", 2*i-2, j, j == 2*i-1 ? a[i] : 0.05 > \"p.tsv\"
		}
		printf \"\\n# fragmentation (8-connected regions per plane)\\nstream\\tmean\\tstd\\n\" > \"p.tsv\"
		for (i = 1; i <= n; i++) for (k = 0; k < 2; k++)
			printf \"%d\\t%f\\t0\\n\", 2*i-2+k, f[i] + (k ? 0.5 : -0.5) > \"p.tsv\"
	}"
}

test_expect_success 'dd-check: the four criteria, each holding' '
	mktables "0.30 0.32 0.50 0.35 0.20" "0.4 0.1 0.005 0 0" "3 5 9 6 2" \
		"0.7 0.6 0.3 0.5 0.8" "1 2 4 8 16" &&
	$SUMMARY dd-check 0.2 - t.tsv r.tsv p.tsv >out &&
	cat >expect <<-"EOF" &&
	double descent at label noise 0.2, 5 widths (1 to 16):
	  holds  test-error peak: w* = 4, error 0.500; best narrower 0.300 (+0.200, need 0.03); widest 0.200 (+0.300, need 0.05)
	  holds  interpolation threshold: training error first <= 0.01 at width 4 (0.005), w* = 4
	  holds  fragmentation: most regions per plane at width 4 (9.000; narrowest 3.000, widest 2.000)
	  holds  agreement: lowest at width 4 (0.300; narrowest 0.700, widest 0.800)
	all 4 criteria hold
	EOF
	test_cmp expect out
'

test_expect_success 'dd-check: a small peak, a late threshold, regions and agreement elsewhere' '
	mktables "0.30 0.32 0.34 0.30 0.31" "0.4 0.3 0.2 0.1 0.02" "3 5 4 6 8" \
		"0.7 0.6 0.8 0.35 0.4" "1 2 4 8 16" &&
	$SUMMARY dd-check 0.2 - t.tsv r.tsv p.tsv >out &&
	cat >expect <<-"EOF" &&
	double descent at label noise 0.2, 5 widths (1 to 16):
	  FAILS  test-error peak: w* = 4, error 0.340; best narrower 0.300 (+0.040, need 0.03); widest 0.310 (+0.030, need 0.05)
	  FAILS  interpolation threshold: training error never <= 0.01 (widest: 0.020)
	  FAILS  fragmentation: most regions per plane at width 16 (8.000; narrowest 3.000, widest 8.000)
	  holds  agreement: lowest at width 8 (0.350; narrowest 0.700, widest 0.400)
	3 of 4 criteria fail
	EOF
	test_cmp expect out &&
	mktables "0.3 0.4 0.2" "0.5 0 0" "1 2 1" "0.9 0.5 0.9" "1 2 4" &&
	$SUMMARY dd-check 0.1 - t.tsv r.tsv p.tsv >out &&
	grep -q "^double descent at label noise 0.1: not judged (0 widths" out
'

test_done
