#!/bin/sh
# t5300-width.sh - pipelines/width.mk, reproducibility against width, on
# fixture data: each (architecture, width) is a setting whose models train
# with that architecture and width; the table has a group per setting and
# its within-group agreement is the mean of its seed pairs' agreements;
# the chart and the summary are made; a new width adds only its own work.
. "$(dirname "$0")/lib.sh"

mkfixtures fx >/dev/null || exit 1
mkdir -p data && ln -s "$T/fx/fmnist" data/fashion-mnist
DBV_DATA_DIR=$T/data
SEEDS="0 1" NTRAIN=60 EPOCHS=1 TRIPLETS=3 RES=8 PIC_RES=16
export DBV_DATA_DIR SEEDS NTRAIN EPOCHS TRIPLETS RES PIC_RES
MK="make --no-print-directory -f $SRCDIR/pipelines/width.mk BIN=$BIN"

test_expect_success 'ARCHS and WIDTHS_<arch>: one setting per width, trained as that arch and width' '
	$MK OUT=w1 ARCHS="mlp cnn5" WIDTHS_mlp="4 8" WIDTHS_cnn5=2 >log 2>&1 &&
	for f in w1/agreement.png w1/figure1.png w1/heatmap.png w1/table.tsv w1/summary.txt; do
		test -s $f || exit 1
	done &&
	ls w1/models >models &&
	printf "%s\n" cnn5-w2-s0.dbv cnn5-w2-s1.dbv mlp-w4-s0.dbv mlp-w4-s1.dbv mlp-w8-s0.dbv mlp-w8-s1.dbv >expect &&
	test_cmp expect models &&
	grep -q -- "--arch mlp --width 8 .* --seed 1 " w1/.cmd/models/mlp-w8-s1.dbv &&
	grep -q -- "--arch cnn5 --width 2 .* --seed 0 " w1/.cmd/models/cnn5-w2-s0.dbv &&
	dbv-inspect w1/models/mlp-w8-s1.dbv | grep -q "\"width\":8"
'
# Independently of dbv-compare's group code: with two seeds a setting's
# within-group agreement is its one pair's agreement.
test_expect_success 'the table: a group per setting, within = its pair of seeds' '
	for s in mlp-w4 mlp-w8 cnn5-w2; do
		pair=$(awk -F "\t" -v a="w1/pred/$s-s0-score.dbv" -v b="w1/pred/$s-s1-score.dbv" "
			/^# streams/ { sec = 1; next } /^# agreement/ { sec = 2; next } /^# / { sec = 0 }
			sec == 1 && \$2 == a { ia = \$1 } sec == 1 && \$2 == b { ib = \$1 }
			sec == 2 && \$1 == ia && \$2 == ib { print \$3 }" w1/table.tsv) &&
		within=$(awk -F "\t" -v g=$s "/^# group agreement/ { sec = 1; next } /^# / { sec = 0 }
			sec && \$1 == g && \$2 == g { print \$4 }" w1/table.tsv) &&
		test -n "$pair" && test "$pair" = "$within" || exit 1
	done &&
	grep -q "^  mlp-w8 *mlp-w8 *within" w1/summary.txt
'
test_expect_success 'ARCH and WIDTHS: one architecture; a new width adds only its own models' '
	$MK OUT=w2 ARCH=mlp WIDTHS="4" >log2 2>&1 &&
	test "$(ls w2/models)" = "$(printf "mlp-w4-s0.dbv\nmlp-w4-s1.dbv")" &&
	$MK OUT=w2 ARCH=mlp WIDTHS="4 16" -n >plan &&
	grep -q "dbv-train --arch mlp --width 16" plan &&
	! grep -q "dbv-train --arch mlp --width 4 " plan
'
test_expect_success 'PIC_IDS: the picture plane through given test images redoes only the pictures' '
	$MK OUT=w2 ARCH=mlp WIDTHS="4" PIC_IDS=0,1,2 -n >plan2 &&
	grep -q "^[^ ]*dbv-plane --ids 0,1,2 --res 16 " plan2 &&
	grep -q "dbv-predict .*-picture.dbv" plan2 && grep -q "dbv-render .*figure1.png" plan2 &&
	! grep -q "dbv-train\|dbv-predict .*-score.dbv\|dbv-compare" plan2
'
test_expect_success 'no widths for an architecture is refused' '
	test_expect_code 2 $MK OUT=w3 ARCHS=vgg19 >log3 2>&1 &&
	grep -q "no widths" log3
'
test_done
