#!/bin/sh
# t5200-reruns.sh - demo.mk reruns exactly what a deleted file or a changed
# variable touches (pipelines/common.mk: explicit targets and command
# records), on mkfixtures' fake Fashion-MNIST with t5000's tiny settings.
# The tools run through logging wrappers: each case compares the set of
# tools run ("TOOL OUTPUT", OUTPUT the -o argument, else the last one) with
# the expected set, then checks that nothing is left to do and that the
# summary agrees with the model files and table.tsv.
. "$(dirname "$0")/lib.sh"

mkfixtures fx >/dev/null || exit 1
mkdir -p data && ln -s "$T/fx/fmnist" data/fashion-mnist || exit 1
DBV_DATA_DIR=$T/data
ARCHS="mlp cnn5" SEEDS="0 1" NTRAIN=60 EPOCHS=1 WIDTH_mlp=8 WIDTH_cnn5=2 WIDTH_vgg11=2
TRIPLETS=3 RES=8 PIC_RES=16
export DBV_DATA_DIR ARCHS SEEDS NTRAIN EPOCHS WIDTH_mlp WIDTH_cnn5 WIDTH_vgg11 TRIPLETS RES PIC_RES
MK="make --no-print-directory -f $SRCDIR/pipelines/demo.mk OUT=d"

# wbin/dbv-*: log "TOOL OUTPUT" to $T/runs, then run the real tool.
mkdir wbin || exit 1
for t in "$BIN"/dbv-*; do
	cat >"wbin/${t##*/}" <<-EOF || exit 1
	#!/bin/sh
	o= prev= last=
	for a in "\$@"; do [ "\$prev" = -o ] && o=\$a; prev=\$a; last=\$a; done
	echo "\${0##*/} \${o:-\$last}" >>"$T/runs"
	exec "$t" "\$@"
	EOF
	chmod +x "wbin/${t##*/}" || exit 1
done

# rerun VAR=value...: make with the logging tools; "ran" gets the sorted
# log, and then nothing is left to do.
rerun() {
	: >runs &&
	$MK BIN="$T/wbin" "$@" >>make.log 2>&1 &&
	sort runs >ran &&
	$MK BIN="$T/wbin" "$@" -q d/summary.txt d/figure1.png d/heatmap.png
}

# expect LINE...: the lines, sorted, are exactly those of "ran".
expect() {
	printf '%s\n' "$@" | sed '/^$/d' | sort >want &&
	test_cmp want ran
}

# remade MODEL...: the training of each MODEL and both its predictions.
remade() {
	for m in "$@"; do
		printf "%s\n" "dbv-train d/models/$m.dbv" "dbv-predict d/pred/$m-score.dbv" \
			"dbv-predict d/pred/$m-picture.dbv"
	done
}
# What every model's predictions feed: both tables, the heat map, figure 1.
TABLES="dbv-compare d/table.dbv
dbv-compare d/table.tsv
dbv-render d/heatmap.png
dbv-render d/figure1.png"

# The summary reads every model (dbv-inspect, for its test accuracy).
reads() {
	for m in "$@"; do echo "dbv-inspect d/models/$m.dbv"; done
}

# summary_matches EPOCHS MODEL...: d/summary.txt names EPOCHS, lists the
# MODELs in order, each with the test accuracy of its file and the regions
# per plane of table.tsv, and every group agreement row of table.tsv, all
# to 3 decimals; and it is no older than the table and the models.
summary_matches() {
	e=$1 && shift &&
	grep -q "^dbv demo: fashion-mnist, 60 training images, $e epochs;" d/summary.txt &&
	i=0 && : >want &&
	for m in "$@"; do
		a=$(dbv-inspect d/models/$m.dbv | grep '"t":"log"' | tail -1 |
			sed 's/.*"test_acc":\([0-9.e-]*\).*/\1/') &&
		f=$(sed -n '/^# fragmentation/,/^$/p' d/table.tsv | awk -F '\t' -v i=$i '$1 == i { print $2 }') &&
		awk -v m=$m -v a=$a -v f=$f 'BEGIN { printf "%s %.3f %.3f\n", m, a, f }' >>want &&
		i=$((i + 1)) || return 1
	done &&
	sed -n '/^# group agreement with/,/^$/p' d/table.tsv | awk -F '\t' 'NR > 2 && NF {
		printf "%s %s %s %d %.3f [%.3f, %.3f]\n", $1, $2, $1 == $2 ? "within" : "across",
			$3, $4, $6, $7 }' >>want &&
	awk '/^  model / { t = 1; next } /^  group / { t = 2; next } /^$/ { t = 0 }
		t == 1 { print $1, $2, $3 } t == 2 { print }' d/summary.txt |
		sed 's/^ *//; s/  */ /g' >got &&
	test_cmp want got &&
	for f in d/table.tsv $(printf "d/models/%s.dbv " "$@"); do
		test ! d/summary.txt -ot $f || return 1
	done
}

test_expect_success 'a first run makes every file once' '
	$MK >log 2>&1 &&
	: >runs && $MK BIN="$T/wbin" >>make.log 2>&1 && test ! -s runs &&
	rm -rf d && rerun &&
	expect "dbv-load d/data/train.dbv" "dbv-load d/data/test.dbv" \
		"dbv-plane d/planes/score.dbv" "dbv-plane d/planes/picture.dbv" \
		"$(remade mlp-s0 mlp-s1 cnn5-s0 cnn5-s1)" "$TABLES" \
		"$(reads mlp-s0 mlp-s1 cnn5-s0 cnn5-s1)" &&
	summary_matches 1 mlp-s0 mlp-s1 cnn5-s0 cnn5-s1 &&
	cat d/.cmd/models/cnn5-s1.dbv >cmd &&
	grep -q "^dbv-train --arch cnn5 --width 2 .* --epochs 1 --seed 1 --data-seed 1001 " cmd &&
	rerun && expect ""
'

test_expect_success 'a deleted model: it, its predictions and what uses them' '
	cp d/summary.txt summary.before &&
	rm d/models/cnn5-s0.dbv &&
	rerun &&
	expect "$(remade cnn5-s0)" "$TABLES" "$(reads mlp-s0 mlp-s1 cnn5-s0 cnn5-s1)" &&
	summary_matches 1 mlp-s0 mlp-s1 cnn5-s0 cnn5-s1 &&
	test_cmp summary.before d/summary.txt
'

test_expect_success 'a deleted table: it and the summary' '
	rm d/table.tsv &&
	rerun &&
	expect "dbv-compare d/table.tsv" "$(reads mlp-s0 mlp-s1 cnn5-s0 cnn5-s1)" &&
	summary_matches 1 mlp-s0 mlp-s1 cnn5-s0 cnn5-s1
'

test_expect_success 'a model, its predictions and table.tsv deleted at once (issue 12)' '
	rm d/models/cnn5-s0.dbv d/pred/cnn5-s0-score.dbv d/table.tsv &&
	rerun &&
	expect "$(remade cnn5-s0)" "$TABLES" "$(reads mlp-s0 mlp-s1 cnn5-s0 cnn5-s1)" &&
	for f in d/models/cnn5-s0.dbv d/pred/cnn5-s0-score.dbv d/table.tsv; do test -s $f || exit 1; done
'

test_expect_success 'a deleted file in the middle of the chain: the scoring planes' '
	rm d/planes/score.dbv &&
	rerun &&
	expect "dbv-plane d/planes/score.dbv" \
		"dbv-predict d/pred/mlp-s0-score.dbv" "dbv-predict d/pred/mlp-s1-score.dbv" \
		"dbv-predict d/pred/cnn5-s0-score.dbv" "dbv-predict d/pred/cnn5-s1-score.dbv" \
		"dbv-compare d/table.dbv" "dbv-compare d/table.tsv" "dbv-render d/heatmap.png" \
		"$(reads mlp-s0 mlp-s1 cnn5-s0 cnn5-s1)"
'

test_expect_success 'a deleted command record: its target and what uses it' '
	rm d/.cmd/heatmap.png &&
	rerun && expect "dbv-render d/heatmap.png" &&
	test -s d/.cmd/heatmap.png
'

test_expect_success 'PIC_SEED: the picture plane, its predictions, figure1; not the summary' '
	cp d/summary.txt summary.before &&
	rerun PIC_SEED=3 &&
	expect "dbv-plane d/planes/picture.dbv" \
		"dbv-predict d/pred/mlp-s0-picture.dbv" "dbv-predict d/pred/mlp-s1-picture.dbv" \
		"dbv-predict d/pred/cnn5-s0-picture.dbv" "dbv-predict d/pred/cnn5-s1-picture.dbv" \
		"dbv-render d/figure1.png" &&
	grep -q -- "--seed 3 " d/.cmd/planes/picture.dbv &&
	test_cmp summary.before d/summary.txt &&
	rerun PIC_SEED=3 && expect ""
'

test_expect_success 'EPOCHS: every model and what uses them, not the data or the planes' '
	rerun PIC_SEED=3 EPOCHS=2 &&
	expect "$(remade mlp-s0 mlp-s1 cnn5-s0 cnn5-s1)" "$TABLES" \
		"$(reads mlp-s0 mlp-s1 cnn5-s0 cnn5-s1)" &&
	dbv-inspect --summary d/models/mlp-s1.dbv | grep -q "\"epochs\":2," &&
	summary_matches 2 mlp-s0 mlp-s1 cnn5-s0 cnn5-s1
'

test_expect_success 'ARCHS: the new architecture, the tables, pictures and summary' '
	rerun PIC_SEED=3 EPOCHS=2 ARCHS="mlp cnn5 vgg11" &&
	expect "$(remade vgg11-s0 vgg11-s1)" "$TABLES" \
		"$(reads mlp-s0 mlp-s1 cnn5-s0 cnn5-s1 vgg11-s0 vgg11-s1)" &&
	summary_matches 2 mlp-s0 mlp-s1 cnn5-s0 cnn5-s1 vgg11-s0 vgg11-s1 &&
	grep -q "^  cnn5  *vgg11  *across" d/summary.txt
'

test_expect_success 'an architecture fewer: no training, the tables and the rest again' '
	rerun PIC_SEED=3 EPOCHS=2 &&
	expect "$TABLES" "$(reads mlp-s0 mlp-s1 cnn5-s0 cnn5-s1)" &&
	summary_matches 2 mlp-s0 mlp-s1 cnn5-s0 cnn5-s1 &&
	! grep -q vgg11 d/summary.txt
'

test_expect_success 'a width: only that architecture; STUDY: only the summary' '
	rerun PIC_SEED=3 EPOCHS=2 WIDTH_cnn5=3 &&
	expect "$(remade cnn5-s0 cnn5-s1)" "$TABLES" "$(reads mlp-s0 mlp-s1 cnn5-s0 cnn5-s1)" &&
	rerun PIC_SEED=3 EPOCHS=2 WIDTH_cnn5=3 STUDY=other &&
	expect "$(reads mlp-s0 mlp-s1 cnn5-s0 cnn5-s1)" &&
	grep -q "^dbv other: " d/summary.txt
'

test_expect_success 'the data-order seeds: DATA_SEED_OFFSET and DATA_SEED retrain every model' '
	rerun PIC_SEED=3 EPOCHS=2 WIDTH_cnn5=3 STUDY=other DATA_SEED=5 &&
	grep -c "^dbv-train " ran >n && test $(cat n) = 4 &&
	for m in mlp-s0 mlp-s1 cnn5-s0 cnn5-s1; do
		dbv-inspect --summary d/models/$m.dbv | grep -q "\"data_seed\":5," || exit 1
	done &&
	rerun PIC_SEED=3 EPOCHS=2 WIDTH_cnn5=3 STUDY=other DATA_SEED_OFFSET=0 &&
	grep -c "^dbv-train " ran >n && test $(cat n) = 4 &&
	dbv-inspect --summary d/models/cnn5-s1.dbv | grep -q "\"seed\":1,\"data_seed\":1,"
'

test_expect_success 'make -n names the same tools a run then runs' '
	set -- PIC_SEED=3 WIDTH_cnn5=3 STUDY=other DATA_SEED_OFFSET=0 EPOCHS=3 &&
	$MK BIN="$T/wbin" -n "$@" >plan &&
	grep -o "wbin/dbv-[a-z]* .*-o [^ ]*" plan | sed "s|.*wbin/\(dbv-[a-z]*\) .*-o \([^ ]*\)$|\1 \2|" >planned &&
	rerun "$@" &&
	grep -v "^dbv-inspect " ran >ran.tools &&
	sort planned >want && test_cmp want ran.tools &&
	test $(wc -l <want) = 16
'

test_done
