#!/bin/sh
# t0200-truncated.sh - every tool fed a truncated stream of every kind, on
# every input it reads (issue #10 item 6): the exit status is 3 (bad
# input) or 4 (I/O), never a signal (>= 128) nor a negated code (252),
# the message is one line, and no output file is left behind.  Complete
# streams of a kind a tool does not read are refused the same way.
. "$(dirname "$0")/lib.sh"

test_expect_success 'streams of every kind' '
	mkfixtures fx &&
	dbv-load fashion-mnist --dir fx/fmnist -o dataset.dbv &&
	dbv-train -q --arch mlp --width 8 --epochs 1 -o model.dbv dataset.dbv &&
	dbv-train -q --arch mlp --width 8 --epochs 2 --checkpoint checkpoint.dbv --checkpoint-every 1 -o /dev/null dataset.dbv &&
	dbv-plane --ids 0,5,30 --ids 22,3,59 --res 6 -o planes.dbv dataset.dbv &&
	dbv-predict -m model.dbv -o pred.dbv planes.dbv &&
	dbv-compare -o table.dbv pred.dbv pred.dbv &&
	for k in dataset model planes pred table checkpoint; do
		dbv-inspect --summary $k.dbv >/dev/null || exit 1
	done
'

# cuts FILE: byte counts to keep: 1, 9, a third, half, all but 1.
cuts() {
	n=$(wc -c <"$1")
	echo 1 9 $((n / 3)) $((n / 2)) $((n - 1))
}

# refused TITLE CMD...: with "@" in CMD replaced by each truncated stream
# of each kind, CMD exits 3 or 4 with one line on stderr, and neither
# out.bin nor a temporary beside it exists.  Exit 2 is right too where
# the tool refuses the kind it was given for the options given ("X is a
# pred stream: --chart ... draw table streams").
refused() {
	title=$1; shift
	bad=0
	for k in dataset model planes pred table checkpoint; do
		for c in $(cuts $k.dbv); do
			head -c $c $k.dbv >cut.dbv
			cmd=$(printf "%s\n" "$*" | sed "s/@/cut.dbv/g")
			rm -f out.bin out.bin.tmp.*
			rc=0
			eval "$cmd" >/dev/null 2>err || rc=$?
			if [ $rc -eq 2 ] && grep -q "is a [a-z]* stream" err; then
				:
			elif [ $rc -ne 3 ] && [ $rc -ne 4 ]; then
				echo "$title: $k cut at $c: exit $rc: $cmd" >&2; cat err >&2; bad=$((bad + 1))
			elif [ "$(wc -l <err)" -ne 1 ]; then
				echo "$title: $k cut at $c: stderr not one line" >&2; cat err >&2; bad=$((bad + 1))
			fi
			if ls out.bin out.bin.tmp.* >/dev/null 2>&1; then
				ls out.bin* >&2
				echo "$title: $k cut at $c: output left behind" >&2; bad=$((bad + 1))
			fi
		done
	done
	test $bad -eq 0
}

test_expect_success 'dbv-inspect' 'refused inspect "dbv-inspect @"'
test_expect_success 'dbv-train: data' 'refused train "dbv-train -q --arch mlp --width 4 --epochs 1 -o out.bin @"'
test_expect_success 'dbv-train: test data' 'refused train-test "dbv-train -q --arch mlp --width 4 --epochs 1 --test @ -o out.bin dataset.dbv"'
test_expect_success 'dbv-train: resume' 'refused resume "dbv-train -q --arch mlp --width 8 --epochs 1 --checkpoint @ --resume -o out.bin dataset.dbv"'
test_expect_success 'dbv-plane' 'refused plane "dbv-plane --ids 0,5,30 --res 4 -o out.bin @"'
test_expect_success 'dbv-predict: points' 'refused predict "dbv-predict -m model.dbv -o out.bin @"'
test_expect_success 'dbv-predict: model' 'refused predict-model "dbv-predict -m @ -o out.bin planes.dbv"'
test_expect_success 'dbv-compare' 'refused compare "dbv-compare -o out.bin pred.dbv @"'
test_expect_success 'dbv-render: picture' 'refused render "dbv-render --plane 0 --format png -o out.bin @"'
test_expect_success 'dbv-render: chart' 'refused chart "dbv-render --chart heatmap --format png -o out.bin @"'
test_expect_success 'dbv-render: montage' 'refused montage "dbv-render --montage pred.dbv @ --format png -o out.bin"'

test_done
