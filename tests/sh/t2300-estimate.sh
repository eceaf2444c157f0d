#!/bin/sh
# t2300-estimate.sh - dbv-train --estimate and dbv-predict --estimate: one
# line of JSON on stdout with the documented keys, the counts of the
# input (images, epochs, test images; planes x res^2 points, a data
# set's n), seconds as the rates give them (recomputed here with awk),
# no model, checkpoint or output written, the usual checks before, and
# DBV_ESTIMATE_SECONDS refused outside its range.  Data: mkfixtures'
# fake Fashion-MNIST (60 training, 30 test images).
. "$(dirname "$0")/lib.sh"

mkfixtures fx >/dev/null || exit 1
dbv-load fashion-mnist --dir fx/fmnist -o train.dbv || exit 1
dbv-load fashion-mnist --dir fx/fmnist --split test -o test.dbv || exit 1
dbv-load cifar10 --dir fx/cifar10 -o c.dbv || exit 1
DBV_ESTIMATE_SECONDS=0.05
export DBV_ESTIMATE_SECONDS

# num KEY FILE: the number under KEY of FILE's one JSON line.
num() {
	sed -n "s/.*\"$1\":\([-0-9.eE+]*\).*/\1/p" "$2"
}
# keys FILE: the line's keys, in order.
keys() {
	grep -o '"[a-z_]*":' "$1" | tr -d '":' | tr '\n' ' '
}
# near A B: A and B agree to 1e-9 of B.
near() {
	awk -v a="$1" -v b="$2" 'BEGIN { d = a - b; if (d < 0) d = -d; exit !(d <= 1e-9 * b) }'
}

test_expect_success 'dbv-train --estimate: one JSON line, the counts, no model or checkpoint' '
	dbv-train --arch mlp --width 8 --epochs 7 --threads 1 --test test.dbv \
		--checkpoint ck.dbv -o m.dbv --estimate train.dbv >est 2>err &&
	test $(wc -l <est) = 1 && ! test -s err &&
	test "$(keys est)" = "images_per_s images epochs eval_images_per_s eval_images seconds cpu_seconds threads memory_bytes " &&
	awk -v c=$(num cpu_seconds est) "BEGIN { exit !(c > 0) }" &&
	test "$(num images est)" = 60 && test "$(num epochs est)" = 7 &&
	test "$(num eval_images est)" = 30 && test "$(num threads est)" = 1 &&
	! test -e m.dbv && ! test -e ck.dbv && ! ls | grep -q "\.tmp\."
'

test_expect_success 'dbv-train --estimate: seconds = epochs x (images / rate + test images / eval rate)' '
	r=$(num images_per_s est) && v=$(num eval_images_per_s est) &&
	want=$(awk -v r=$r -v v=$v "BEGIN { printf \"%.17g\", 7 * (60 / r + 30 / v) }") &&
	near "$(num seconds est)" "$want" &&
	dbv-train --arch mlp --width 8 --epochs 3 --estimate train.dbv >est2 &&
	test "$(num eval_images est2)" = 0 &&
	want=$(awk -v r=$(num images_per_s est2) "BEGIN { printf \"%.17g\", 3 * 60 / r }") &&
	near "$(num seconds est2)" "$want"
'

# The parameters alone of mlp 784-W-10 with Adam: p, g and two moments.
test_expect_success 'dbv-train --estimate: memory grows with the model as its parameters do' '
	dbv-train --arch mlp --width 64 --optim adam --estimate train.dbv >w64 &&
	dbv-train --arch mlp --width 128 --optim adam --estimate train.dbv >w128 &&
	p64=$(( (784 * 64 + 64 + 64 * 10 + 10) * 4 * 4 )) &&
	p128=$(( (784 * 128 + 128 + 128 * 10 + 10) * 4 * 4 )) &&
	test $(num memory_bytes w64) -gt $p64 &&
	d=$(( $(num memory_bytes w128) - $(num memory_bytes w64) )) &&
	test $d -ge $((p128 - p64)) &&
	test $d -le $(( (p128 - p64) * 11 / 10 + 200000 ))
'

test_expect_success 'dbv-train --estimate: the usual checks come first' '
	test_must_fail 2 dbv-train --arch nosuch --estimate train.dbv &&
	test_must_fail 4 dbv-train --arch mlp --estimate test.dbv.missing &&
	test_must_fail 3 dbv-train --arch mlp --test c.dbv --estimate train.dbv
'

# 20 images, one batch an epoch, at a learning rate whose run diverges
# after some 20 steps: the estimate's passes (as many as its time allows,
# here more than 40) start again from the initial state instead of
# failing on a machine fast enough to make them (CI saw this).
test_expect_success 'dbv-train --estimate: passes beyond a run that diverges later start again' '
	dbv-load cifar10 --dir fx/cifar10 --shuffle --seed 0 --limit 20 -o c20.dbv &&
	DIV="--arch mlp --width 8 --batch 128 --lr 3 --momentum 0.9 --wd 5e-4 --augment crop:4,flip --seed 0" &&
	test_must_fail 5 dbv-train $DIV --epochs 200 -q -o div.dbv c20.dbv &&
	grep -q "the loss is not finite at epoch" .mf_err && ! test -e div.dbv &&
	DBV_ESTIMATE_SECONDS=0.3 dbv-train $DIV --epochs 1 --estimate c20.dbv >div.json &&
	awk -v r="$(num images_per_s div.json)" "BEGIN { exit !(r * 0.3 / 20 > 40) }"
'

test_expect_success 'DBV_ESTIMATE_SECONDS outside 0.01..600 is a usage error' '
	DBV_ESTIMATE_SECONDS=0 test_must_fail 2 dbv-train --arch mlp --estimate train.dbv &&
	DBV_ESTIMATE_SECONDS=x test_must_fail 2 dbv-train --arch mlp --estimate train.dbv
'

test_expect_success 'dbv-predict --estimate: planes x res^2 points, a data set n, seconds = points / rate' '
	dbv-train --arch mlp --width 8 --epochs 1 -q -o m.dbv train.dbv &&
	dbv-plane --triplets 3 --res 12 -o planes.dbv test.dbv &&
	dbv-predict --model m.dbv --threads 1 -o p.dbv --estimate planes.dbv >pe &&
	test $(wc -l <pe) = 1 && ! test -e p.dbv &&
	test "$(keys pe)" = "points_per_s points seconds cpu_seconds threads memory_bytes " &&
	awk -v c=$(num cpu_seconds pe) "BEGIN { exit !(c > 0) }" &&
	test "$(num points pe)" = 432 && test "$(num threads pe)" = 1 &&
	want=$(awk -v r=$(num points_per_s pe) "BEGIN { printf \"%.17g\", 432 / r }") &&
	near "$(num seconds pe)" "$want" &&
	dbv-predict --model m.dbv --estimate test.dbv >de &&
	test "$(num points de)" = 30 &&
	test $(num memory_bytes de) -gt 0
'

test_expect_success 'dbv-predict --estimate: a mismatched input is refused first' '
	test_must_fail 3 dbv-predict --model m.dbv --estimate c.dbv
'

test_done
