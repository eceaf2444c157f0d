#!/bin/sh
# The study pipelines of demo.mk on fixture data: a whole run, incremental
# reruns, and a run killed midway then started again; repro.mk's defaults;
# vit and mixer in a study.
. "$(dirname "$0")/lib.sh"

mkfixtures fx >/dev/null || exit 1
mkdir -p data && ln -s "$T/fx/fmnist" data/fashion-mnist
DBV_DATA_DIR=$T/data
# Small settings through the environment (the make files use ?=).
ARCHS="mlp cnn5" SEEDS="0 1" NTRAIN=60 EPOCHS=1 WIDTH_mlp=8 WIDTH_cnn5=2 TRIPLETS=3 RES=8 PIC_RES=16
export DBV_DATA_DIR ARCHS SEEDS NTRAIN EPOCHS WIDTH_mlp WIDTH_cnn5 TRIPLETS RES PIC_RES
MK="make --no-print-directory -f $SRCDIR/pipelines/demo.mk BIN=$BIN"

test_expect_success 'the demo pipeline runs and leaves its pictures and numbers' '
	$MK OUT=d1 >log 2>&1 &&
	for f in d1/figure1.png d1/heatmap.png d1/table.tsv d1/summary.txt; do test -s $f || exit 1; done &&
	grep -q "^# group agreement" d1/table.tsv &&
	grep -q "reproducibility" d1/summary.txt && grep -q "mlp-s1" d1/summary.txt &&
	test $(ls d1/models | wc -l) = 4 && test $(ls d1/pred | wc -l) = 8 &&
	for f in d1/models/*.dbv d1/pred/*.dbv d1/table.dbv; do dbv-inspect --summary $f >/dev/null || exit 1; done &&
	! ls d1 d1/* | grep -q "\.tmp\."
'
test_expect_success 'a second run has nothing to do' '
	$MK OUT=d1 -q d1/summary.txt d1/figure1.png d1/heatmap.png &&
	$MK OUT=d1 -n | grep -v "^cat " | { ! grep -q "dbv-"; }
'
test_expect_success 'a change redoes only what depends on it' '
	sleep 1 && touch d1/models/cnn5-s1.dbv &&
	test_expect_code 1 $MK OUT=d1 -q d1/summary.txt &&
	$MK OUT=d1 -n >plan &&
	grep -q "dbv-predict.*cnn5-s1" plan && ! grep -q "dbv-predict.*mlp-s0" plan &&
	! grep -q "dbv-train" plan && ! grep -q "dbv-load" plan
'
test_expect_success 'a run killed midway finishes when started again, with whole files' '
	{ setsid sh -c "echo \$\$ >pg; exec $MK OUT=d2" >log2 2>&1 & } &&
	i=0 && while ! ls d2/models/*.dbv >/dev/null 2>&1 && [ $i -lt 600 ]; do sleep 0.05; i=$((i + 1)); done &&
	test -s pg && kill -9 -$(cat pg) && { wait || :; } && sleep 0.3 &&
	live=$(ps -eo pgid=,stat= | awk -v g=$(cat pg) "\$1 == g && \$2 !~ /^Z/" | wc -l) &&
	test "$live" = 0 &&
	! test -e d2/summary.txt &&
	$MK OUT=d2 >log3 2>&1 && test -s d2/summary.txt &&
	for f in d2/models/*.dbv d2/pred/*.dbv d2/table.dbv; do dbv-inspect --summary $f >/dev/null || exit 1; done
'
test_expect_success 'the same seeds give the same numbers in another directory' '
	$MK OUT=d3 >/dev/null 2>&1 &&
	sed -n "/^# agreement/,\$p" d1/table.tsv >a && sed -n "/^# agreement/,\$p" d3/table.tsv >b &&
	test_cmp a b
'
test_expect_success 'repro.mk: the same rules with its own defaults' '
	make --no-print-directory -f $SRCDIR/pipelines/repro.mk BIN=$BIN OUT=r1 >logr 2>&1 &&
	grep -q "^dbv architecture study: fashion-mnist, 60 training images, 1 epochs" r1/summary.txt &&
	grep -q -- "--lr 0.05 --momentum 0.9 --schedule cosine --batch 128 --epochs 1 " logr &&
	grep -q "dbv-plane --triplets 1 --seed 7 --res 16 --range 0.5 " logr &&
	for f in r1/figure1.png r1/heatmap.png r1/table.tsv; do test -s $f || exit 1; done
'
test_expect_success 'vit and mixer through the study (their options from OPT_)' '
	ARCHS="vit mixer" WIDTH_vit=8 WIDTH_mixer=8 \
	OPT_vit="--optim adam --depth 1 --heads 2 --dim-head 4 --mlp-dim 8 --patch 7" \
	OPT_mixer="--optim adam --depth 1 --patch 7" $MK OUT=d4 >log4 2>&1 &&
	for f in d4/figure1.png d4/heatmap.png d4/table.tsv d4/summary.txt; do test -s $f || exit 1; done &&
	grep -q "vit-s1" d4/summary.txt && grep -q "mixer-s0" d4/summary.txt &&
	dbv-inspect --head 0 d4/models/vit-s0.dbv | grep -q "\"arch_options\":{\"patch\":7,\"heads\":2,"
'
test_expect_success 'repro.mk: EPOCHS_<arch> sets the epochs of one architecture' '
	make --no-print-directory -f $SRCDIR/pipelines/repro.mk BIN=$BIN OUT=r1 EPOCHS_cnn5=3 -n >plan &&
	grep -q "dbv-train --arch cnn5 .* --epochs 3 --seed 1 " plan &&
	! grep -q "dbv-train --arch mlp" plan
'
test_expect_success 'repro.mk DATA=cifar10: the paper setting prints its cost and trains nothing' '
	ln -s "$T/fx/cifar10" data/cifar10 &&
	make --no-print-directory -f $SRCDIR/pipelines/repro.mk BIN=$BIN OUT=r2 DATA=cifar10 -n >planc &&
	grep -q "^[^ ]*dbv-plane --ids 30,72,42 --res 16 " planc &&
	! grep -q "^[^ ]*dbv-train --arch" planc &&
	DBV_ESTIMATE_SECONDS=0.2 make --no-print-directory -f $SRCDIR/pipelines/repro.mk BIN=$BIN \
		OUT=r2 DATA=cifar10 NTRAIN=20 TRIPLETS=2 RES=8 PIC_IDS=0,1,2 >logc 2>&1 &&
	grep -q "^estimate of r2" logc &&
	grep -q "^train  *4 " logc &&
	grep -q "repro.mk: this setting would train 4 models; the cost is above: add RUN=1 to run it" logc &&
	grep -q -- "--arch cnn5 --width 2 --batch 128 --lr 0.1 --momentum 0.9 --wd 5e-4 --schedule step --milestones 37,62,87 --augment crop:4,flip" r2/.estimate-list &&
	! ls r2/models/*.dbv 2>/dev/null &&
	! grep -q "^[^ ]*dbv-train --arch" logc
'
test_done
