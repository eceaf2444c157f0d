#!/bin/sh
# t5100-double-descent.sh - pipelines/double-descent.mk on fixture data
# (mkfixtures' fake Fashion-MNIST: 60 training and 30 test images): two
# widths x two noise rates x two seeds of a tiny mlp (PRESET=mlp), its
# tables and charts, the decision-boundary figures of dd-boundary.mk
# (margins, class skips, the three triplet kinds), and reruns that redo
# only what changed; the default preset (random features fitted by least
# squares) with its training error and verdict; the cost estimate of the
# large presets, which run nothing else without RUN=1 (dbv-train
# --estimate stubbed).
. "$(dirname "$0")/lib.sh"
. "$SRCDIR/tests/sh/tvals.sh"

mkfixtures fx >/dev/null || exit 1
mkdir -p data && ln -s "$T/fx/fmnist" data/fashion-mnist &&
ln -s "$T/fx/cifar10" data/cifar10 || exit 1
DBV_DATA_DIR=$T/data
# Small settings through the environment (the make file uses ?=).
WIDTHS="1 4" PIC_WIDTHS="1 4" NOISES="0 0.2" SEEDS="1 2" NTRAIN=60 NTEST=30 EPOCHS=2
TRIPLETS=3 RES=8 PIC_RES=16 THREADS=1 PRESET=mlp MARGIN_POINTS=20 SKIP_PAIRS=2 SAME_TRIPLETS=1
export DBV_DATA_DIR WIDTHS PIC_WIDTHS NOISES SEEDS NTRAIN NTEST EPOCHS TRIPLETS RES PIC_RES THREADS PRESET
export MARGIN_POINTS SKIP_PAIRS SAME_TRIPLETS
MK="make --no-print-directory -f $SRCDIR/pipelines/double-descent.mk BIN=$BIN OUT=dd"
MODELS="w1-n0-s1 w1-n0-s2 w4-n0-s1 w4-n0-s2 w1-n0.2-s1 w1-n0.2-s2 w4-n0.2-s1 w4-n0.2-s2"
OUTPUTS="dd/error.png dd/train-error.png dd/fragmentation.png dd/agreement.png dd/pictures.png
	dd/fragmentation-test.png dd/fragmentation-same.png dd/margin.png
	dd/margin-mislabeled.png dd/skips.png"

test_expect_success 'the sweep runs and leaves its charts and tables' '
	$MK -j2 >log 2>&1 &&
	grep -q "^dbv double descent: mlp (depth 1) on fashion-mnist, 60 training images, --optim adam --lr 0.001 --batch 128, 2 epochs" log &&
	grep -q "^  width   test error   train error   regions per plane" log &&
	grep -q "^double descent at label noise 0.2: not judged (2 widths" log &&
	grep -q "^pictures: dd/error.png" log &&
	for f in $OUTPUTS dd/table-test.tsv dd/table-train.tsv dd/table-planes.tsv dd/table-margins.tsv \
		dd/table-planes-test.tsv dd/table-planes-same.tsv; do test -s $f || exit 1; done &&
	for f in $OUTPUTS; do mkpred --size $f >/dev/null || exit 1; done &&
	ls dd/models >got && printf "%s.dbv\n" $MODELS | sort >want && test_cmp want got &&
	for f in dd/models/*.dbv dd/pred/*.dbv dd/table-*.dbv dd/margins/*.dbv; do
		dbv-inspect --summary $f >/dev/null || exit 1
	done &&
	! ls dd dd/* | grep -q "\.tmp\."
'

test_expect_success 'each model has its width, seed and noise rate' '
	for m in $MODELS; do
		w=${m%%-*} && s=${m##*-s} && n=${m#*-n} && n=${n%-s*} &&
		dbv-inspect --summary dd/models/$m.dbv >sum &&
		grep -q "\"arch\":\"mlp\",\"width\":${w#w}," sum &&
		grep -q "\"seed\":$s,\"data_seed\":$((s + 1000))," sum &&
		grep -q "\"epochs\":2," sum || exit 1
	done &&
	dbv-inspect --summary dd/data/train-n0.2.dbv | grep -q "\"label_noise\":0.2,\"noise_seed\":1" &&
	dbv-inspect --summary dd/data/train-n0.dbv | grep -q "\"label_noise\":0,"
'

test_expect_success 'the tables: test accuracy of every model, planes compared pairwise' '
	grep -q "^# accuracy over 30 items" dd/table-test.tsv &&
	sed -n "/^# accuracy/,/^\$/p" dd/table-test.tsv | grep -c "^[0-9]" >n && test $(cat n) = 8 &&
	grep -q "^# agreement over 3 planes of 8x8 points" dd/table-planes.tsv &&
	sed -n "/^# agreement/,/^\$/p" dd/table-planes.tsv | grep -c "^[0-9]" >n && test $(cat n) = 28 &&
	sed -n "/^# fragmentation/,/^\$/p" dd/table-planes.tsv | grep -c "^[0-9]" >n && test $(cat n) = 8 &&
	dbv-inspect dd/pred/w4-n0.2-s1-picture.dbv | grep -c "\"t\":\"pred\"" >n && test $(cat n) = 1
'

test_expect_success 'fragmentation through test and same-class triplets' '
	grep -q "^# agreement over 3 planes of 8x8 points" dd/table-planes-test.tsv &&
	sed -n "/^# fragmentation/,/^\$/p" dd/table-planes-test.tsv | grep -c "^[0-9]" >n &&
	test $(cat n) = 8 &&
	tvals plane idx dd/planes/test.dbv | sort -n | tail -1 >last && test $(cat last) -lt 30 &&
	grep -q "^# agreement over 10 planes of 8x8 points" dd/table-planes-same.tsv &&
	sed -n "/^# fragmentation/,/^\$/p" dd/table-planes-same.tsv | grep -c "^[0-9]" >n &&
	test $(cat n) = 8 &&
	tvals plane y dd/planes/same.dbv >y && tvals plane y_true dd/planes/same.dbv >yt &&
	paste y yt | awk "\$1 != \$2 { exit 1 } NR % 3 == 1 { c = \$1 } \$1 != c { exit 1 }
		NR % 3 == 0 { print c }" | sort -n | uniq -c | wc -l >classes &&
	test $(cat classes) = 10
'

test_expect_success 'margins and skips of every model, their means recomputed' '
	tvals margins stream dd/table-margins.dbv >s && tvals margins margin dd/table-margins.dbv >m &&
	test $(wc -l <s) = $((8 * 20)) &&
	paste s m | awk "\$2 != \"nan\" { t[\$1] += \$2; n[\$1]++ }
		END { for (i = 0; i < 8; i++) printf \"%.9g\\n\", n[i] ? t[i] / n[i] : \"nan\" }" >want &&
	tvals margins mean dd/table-margins.dbv | awk "NR % 3 == 0 { printf \"%.9g\\n\", \$1 }" >got &&
	test_cmp want got &&
	tvals skips stream dd/table-margins.dbv >ss && tvals skips changes dd/table-margins.dbv >ch &&
	paste ss ch | awk "{ t[\$1] += \$2; n[\$1]++ }
		END { for (i = 0; i < 8; i++) printf \"%.9g\\n\", t[i] / n[i] }" >want &&
	tvals skips mean dd/table-margins.dbv | awk "{ printf \"%.9g\\n\", \$1 }" >got &&
	test_cmp want got &&
	for m in $MODELS; do
		grep -q "dbv-margin --model dd/models/$m.dbv --points 20 " dd/.cmd/margins/$m.dbv &&
		grep -q " dd/data/train-n$(echo $m | sed "s/.*-n\\(.*\\)-s.*/\\1/").dbv\$" \
			dd/.cmd/margins/$m.dbv || exit 1
	done &&
	rows=$(sed -n "/^# streams/,/^\$/p" dd/table-margins.tsv | grep -c "^[0-9]") && test $rows = 8
'

# num KEY FILE: the number under KEY of FILE's one JSON line.
num() {
	sed -n "s/.*\"$1\":\([-0-9.eE+]*\).*/\1/p" "$2"
}
# make estimate prices the margin computations: before their models are
# trained at the training estimate's evaluation rate, with the most
# points their options allow (20 points + 20 x 10 rays x (64 scan + 9
# bisection points) + 10 classes x 2 pairs x 100 = 16,620); once the
# models exist, by dbv-margin --estimate (at least the points' own
# classes, their first scan points and the skips: 20 + 200 + 2,000).
test_expect_success 'make estimate prices the margins, before and after the models exist' '
	DBV_ESTIMATE_SECONDS=0.05 $MK OUT=de estimate >de.out 2>&1 &&
	grep -q "^margin  *8 " de.out && ! ls de/models/*.dbv 2>/dev/null &&
	for m in $MODELS; do
		s=$(awk -v t=margins/$m.dbv "\$1 == \"margin\" && \$5 == t { print \$3 }" de/.estimate/jobs) &&
		r=$(num eval_images_per_s de/.estimate/train-models_$m.dbv) &&
		awk -v s="$s" -v r="$r" "BEGIN { d = s - 16620 / r; exit !(s > 0 && d * d < 1e-10 * s * s) }" || return 1
	done &&
	DBV_ESTIMATE_SECONDS=0.05 $MK estimate >dd.out 2>&1 &&
	grep -q "^margin  *8 " dd.out &&
	for f in dd/.estimate/*.json; do
		p=$(num points $f) && { [ -z "$p" ] || [ "$p" -lt 2220 ] || echo $p; } || return 1
	done >mpoints &&
	test $(wc -l <mpoints) = 8 && test $(sort -n mpoints | tail -1) -lt 16620
'

test_expect_success 'a second run has nothing to do' '
	$MK -q $OUTPUTS &&
	$MK -n >plan && ! grep -q "dbv-" plan
'

test_expect_success 'a changed model redoes its predictions and what uses them, only' '
	sleep 1 && touch dd/models/w4-n0.2-s2.dbv &&
	test_expect_code 1 $MK -q $OUTPUTS &&
	$MK -n >plan &&
	grep -q "dbv-predict.*w4-n0.2-s2-test" plan && grep -q "dbv-predict.*w4-n0.2-s2-planes" plan &&
	test $(grep -c "dbv-predict" plan) = 5 && test $(grep -c "dbv-compare" plan) = 10 &&
	grep -q "dbv-predict.*w4-n0.2-s2-train" plan &&
	grep -q "dbv-predict.*w4-n0.2-s2-testplanes" plan &&
	grep -q "dbv-predict.*w4-n0.2-s2-sameplanes" plan &&
	grep -q "dbv-margin --model dd/models/w4-n0.2-s2.dbv" plan &&
	test $(grep -c "dbv-margin" plan) = 3 &&
	! grep -q "dbv-train" plan && ! grep -q "dbv-render --montage" plan &&
	! grep -q "dbv-plane" plan
'

# The default: rf fitted by least squares, widths on both sides of the
# 60 training images (4 times as many features interpolate them); the
# verdict is printed whatever it says (the fake images show no peak).
test_expect_success 'the default preset: random features, least squares, a verdict' '
	env -u PRESET -u EPOCHS $MK -j2 OUT=rf WIDTHS="10 60 240" PIC_WIDTHS="10 240" >log 2>&1 &&
	grep -q "^dbv double descent: rf (depth 1) on fashion-mnist, 60 training images, --loss mse --optim lstsq, 1 epochs" log &&
	grep -q "^double descent at label noise 0.2, 3 widths (10 to 240):" log &&
	test $(grep -c "^  \(holds\|FAILS\)  " log) = 4 &&
	grep -q "criteria \(hold\|fail\)" log &&
	dbv-inspect --summary rf/models/w60-n0.2-s1.dbv >sum &&
	grep -q "\"arch\":\"rf\",\"width\":60," sum &&
	grep -q "\"loss\":\"mse\",\"optim\":\"lstsq\"," sum &&
	sed -n "/^label noise 0.2:/,/^\$/p" log | grep -q "^    240        0\.[0-9]*         0\.000  "
'

# A stub dbv-train that answers --estimate (and fails otherwise), beside
# the real tools.
test_expect_success 'the large presets print their cost and stop without RUN=1' '
	mkdir stub &&
	for t in "$BIN"/dbv-*; do ln -s "$t" stub/ || exit 1; done &&
	rm stub/dbv-train &&
	cat >stub/dbv-train <<-"EOF" &&
	#!/bin/sh
	echo "$*" >>"${0%/*}/calls"
	case " $* " in *" --estimate "*) ;; *) exit 9 ;; esac
	w=0 prev=
	for a; do [ "$prev" = --width ] && w=$a; prev=$a; done
	echo "{\"images_per_s\": 100.5, \"images\": 20, \"epochs\": 4000, \"seconds\": $((3600 * w)), \"threads\": 1, \"memory_bytes\": $((w * 1000000000))}"
	EOF
	chmod +x stub/dbv-train &&
	env -u EPOCHS -u WIDTHS -u PIC_WIDTHS -u NTRAIN make --no-print-directory \
		-f $SRCDIR/pipelines/double-descent.mk BIN=$T/stub OUT=big PRESET=paper \
		NTRAIN=20 WIDTHS="1 2" >log 2>&1 &&
	test $(grep -c " --estimate " stub/calls) = 2 && test $(wc -l <stub/calls) = 2 &&
	grep -q "^--arch resnet18 --depth 1 --optim adam --lr 0.0001 --batch 128 --augment crop:4,flip --epochs 4000 --threads 1 --width 1 --estimate big/data/train-n0.dbv" stub/calls &&
	cat >expect <<-"EOF" &&
	cost estimate (dbv-train --estimate: measured throughput x images x epochs):
	   width       images/s      s per model     s for 4 models
	       1          100.5             3600              14400
	       2          100.5             7200              28800
	total: 43200 s = 12.0 hours = 0.5 days with 1 thread(s) a model, one model at a time;
	largest memory of one model: 2.00 GB (times the models run at once).
	double-descent.mk: PRESET=paper would train 8 models; the cost is above: add RUN=1 to run it
	EOF
	grep -v "dbv-load\|^mkdir \|^make" log >got &&
	test_cmp expect got &&
	! test -e big/models
'

test_done
