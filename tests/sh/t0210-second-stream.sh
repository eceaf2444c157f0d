#!/bin/sh
# t0210-second-stream.sh - a second stream after the first (issue #10
# item 6, #11 item 7): every program that reads one stream refuses it the
# same documented way (dbv(7), CONVENTIONS): exit 3, one line naming the
# input and "another stream follows", no output; dbv-inspect reads
# every stream (dbv-inspect(1)).
. "$(dirname "$0")/lib.sh"

test_expect_success 'streams of every kind' '
	mkfixtures fx &&
	dbv-load fashion-mnist --dir fx/fmnist -o dataset.dbv &&
	dbv-train -q --arch mlp --width 8 --epochs 1 -o model.dbv dataset.dbv &&
	dbv-plane --ids 0,5,30 --res 6 -o planes.dbv dataset.dbv &&
	dbv-predict -m model.dbv -o pred.dbv planes.dbv &&
	dbv-compare -o table.dbv pred.dbv pred.dbv &&
	for k in dataset model planes pred table; do
		cat $k.dbv $k.dbv >two-$k.dbv || exit 1
	done
'

# twice CMD...: CMD exits 3 naming a following stream, writes no out.bin.
twice() {
	rm -f out.bin &&
	test_must_fail 3 "$@" &&
	grep -q "another stream follows" "$T/.mf_err" &&
	! test -e out.bin
}

test_expect_success 'dbv-train: data' 'twice dbv-train -q --arch mlp --width 4 --epochs 1 -o out.bin two-dataset.dbv'
test_expect_success 'dbv-train: test data' 'twice dbv-train -q --arch mlp --width 4 --epochs 1 --test two-dataset.dbv -o out.bin dataset.dbv'
test_expect_success 'dbv-plane' 'twice dbv-plane --ids 0,5,30 --res 4 -o out.bin two-dataset.dbv'
test_expect_success 'dbv-predict: points' 'twice dbv-predict -m model.dbv -o out.bin two-planes.dbv'
test_expect_success 'dbv-predict: data set' 'twice dbv-predict -m model.dbv -o out.bin two-dataset.dbv'
test_expect_success 'dbv-predict: model' 'twice dbv-predict -m two-model.dbv -o out.bin planes.dbv'
test_expect_success 'dbv-compare' 'twice dbv-compare -o out.bin pred.dbv two-pred.dbv'
test_expect_success 'dbv-render: picture' 'twice dbv-render --format png -o out.bin two-pred.dbv'
test_expect_success 'dbv-render: chart' 'twice dbv-render --chart heatmap --format png -o out.bin two-table.dbv'
test_expect_success 'dbv-inspect reads both' '
	dbv-inspect --summary two-pred.dbv >sum &&
	test $(grep -c "\"kind\":\"pred\"" sum) = 2
'

test_done
