#!/bin/sh
# dbv-train: determinism, seeds, checkpoint/resume after SIGKILL, logs,
# refusals.  Data: mkfixtures' fake Fashion-MNIST (60 train, 30 test).
. "$(dirname "$0")/lib.sh"

mkfixtures fx >/dev/null || exit 1
dbv-load fashion-mnist --dir fx/fmnist -o train.dbv || exit 1
dbv-load fashion-mnist --dir fx/fmnist --split test -o test.dbv || exit 1
# A CIFAR-shaped test set to mismatch with.
dbv-load cifar10 --dir fx/cifar10 --split test -o cifar.dbv || exit 1

# The param records of a model, as "name crc32c" lines.
params() {
	dbv-inspect "$1" | grep '"t":"param"' |
		sed 's/.*"name":"\([^"]*\)".*"crc32c":"\([0-9a-f]*\)".*/\1 \2/'
}

T1="--arch cnn5 --width 2 --epochs 3 --batch 8 --lr 0.05 --augment crop:2,flip -q"

test_expect_success 'same seeds and threads give a bit-identical model' '
	dbv-train $T1 --seed 1 --data-seed 2 -o a.dbv train.dbv &&
	dbv-train $T1 --seed 1 --data-seed 2 -o b.dbv <train.dbv &&
	params a.dbv >a.p && params b.dbv >b.p &&
	test $(wc -l <a.p) = 30 && test_cmp a.p b.p
'
test_expect_success 'a different --seed or --data-seed gives a different model' '
	dbv-train $T1 --seed 2 --data-seed 2 -o c.dbv train.dbv &&
	dbv-train $T1 --seed 1 --data-seed 3 -o d.dbv train.dbv &&
	params c.dbv >c.p && params d.dbv >d.p &&
	! cmp -s a.p c.p && ! cmp -s a.p d.p
'
test_expect_success 'the model stream records architecture, seeds and logs' '
	dbv-inspect --summary a.dbv >s &&
	grep -q "\"kind\":\"model\"" s &&
	grep -q "\"arch\":\"cnn5\",\"width\":2" s &&
	grep -q "\"seed\":1,\"data_seed\":2,\"threads\":2" s &&
	grep -q "\"crop_pad\":2,\"flip\":true" s &&
	test $(dbv-inspect a.dbv | grep -c "\"t\":\"log\"") = 3
'
test_expect_success '--test adds test loss and accuracy to every log' '
	dbv-train --arch mlp --width 8 --epochs 2 --batch 16 -q --test test.dbv -o m.dbv train.dbv &&
	dbv-inspect m.dbv | grep "\"t\":\"log\"" >logs &&
	test $(grep -c "\"test_acc\":[0-9]" logs) = 2
'
test_expect_success 'killed with SIGKILL and resumed: the same model' '
	T2="--arch mlp --width 16 --depth 2 --epochs 2000 --batch 4 --lr 0.01 -q --seed 5" &&
	dbv-train $T2 -o full.dbv train.dbv &&
	{ dbv-train $T2 --checkpoint ck.dbv --checkpoint-every 7b -o part.dbv train.dbv & } &&
	pid=$! && i=0 &&
	while ! test -e ck.dbv && [ $i -lt 500 ]; do sleep 0.01; i=$((i + 1)); done &&
	{ kill -9 $pid 2>/dev/null; wait $pid 2>/dev/null || :; } &&
	test -e ck.dbv && ! test -e part.dbv &&
	dbv-train $T2 --checkpoint ck.dbv --checkpoint-every 7b --resume -o resumed.dbv train.dbv &&
	params full.dbv >f.p && params resumed.dbv >r.p && test_cmp f.p r.p &&
	dbv-inspect full.dbv | grep "\"t\":\"log\"" | sed "s/,\"seconds.*//" >f.log &&
	dbv-inspect resumed.dbv | grep "\"t\":\"log\"" | sed "s/,\"seconds.*//" >r.log &&
	test_cmp f.log r.log &&
	test $(dbv-inspect resumed.dbv | grep -c "\"t\":\"log\"") = 2000
'
test_expect_success 'epoch checkpoints resume to the same model too' '
	T3="--arch cnn5 --width 2 --epochs 3 --batch 8 -q --augment flip" &&
	dbv-train $T3 -o e-full.dbv train.dbv &&
	dbv-train $T3 --epochs 3 --checkpoint ck2.dbv --checkpoint-every 1 -o /dev/null train.dbv &&
	dbv-train $T3 --checkpoint ck2.dbv --resume -o e-res.dbv train.dbv &&
	params e-full.dbv >f2.p && params e-res.dbv >r2.p && test_cmp f2.p r2.p
'
test_expect_success 'a checkpoint of another configuration is refused' '
	test_must_fail 3 dbv-train $T1 --seed 9 --checkpoint ck.dbv --resume train.dbv &&
	grep -q "another configuration" .mf_err
'
test_expect_success 'a corrupt checkpoint is refused' '
	head -c 300 ck.dbv >ck-bad.dbv &&
	test_must_fail 3 dbv-train --arch mlp --width 16 --depth 2 --epochs 200 --batch 4 --lr 0.01 -q --seed 5 \
		--checkpoint ck-bad.dbv --resume train.dbv
'
test_expect_success 'refused input: not a dataset, empty, upstream error, test mismatch' '
	test_must_fail 3 dbv-train --arch mlp a.dbv && grep -q "expected a dataset stream, got a model" .mf_err &&
	mkstream empty-dataset >empty.dbv && test_must_fail 3 dbv-train --arch mlp empty.dbv &&
	grep -q "empty" .mf_err &&
	mkstream upstream-error >uerr.dbv && test_must_fail 3 dbv-train --arch mlp uerr.dbv &&
	test_must_fail 3 dbv-train --arch mlp --test cifar.dbv train.dbv && grep -q "differ" .mf_err
'
test_expect_success 'usage errors: width, depth, arch, pooling, options' '
	test_must_fail 2 dbv-train --arch mlp --width 0 train.dbv &&
	test_must_fail 2 dbv-train --arch mlp --depth 0 train.dbv &&
	test_must_fail 2 dbv-train --arch lenet train.dbv &&
	test_must_fail 2 dbv-train train.dbv &&
	test_must_fail 2 dbv-train --arch mlp --bogus train.dbv &&
	test_must_fail 2 dbv-train --arch mlp --schedule step train.dbv &&
	test_must_fail 2 dbv-train --arch mlp --augment crop:x train.dbv &&
	dbv-load --images fx/fmnist-plain/t10k-images-idx3-ubyte --labels fx/fmnist-plain/t10k-labels-idx1-ubyte -o small.dbv &&
	printf "\0\0\10\3\0\0\0\2\0\0\0\2\0\0\0\2\1\2\3\4\5\6\7\10" >tiny.idx &&
	printf "\0\0\10\1\0\0\0\2\0\1" >tinyl.idx &&
	dbv-load --images tiny.idx --labels tinyl.idx -o tiny.dbv &&
	test_must_fail 2 dbv-train --arch cnn5 tiny.dbv && grep -q "shrinks to nothing" .mf_err
'
test_expect_success 'squared loss and least squares: recorded; refused where they do not apply' '
	dbv-train --arch rf --width 80 --loss mse --optim lstsq -q -o rf.dbv train.dbv &&
	dbv-inspect --summary rf.dbv >sum &&
	grep -q "\"loss\":\"mse\",\"optim\":\"lstsq\"" sum && grep -q "\"epochs\":1," sum &&
	grep -q "\"params\":810," sum &&
	dbv-inspect rf.dbv | grep "\"t\":\"log\"" | grep -q "\"train_acc\":1," &&
	dbv-train --arch mlp --width 4 --epochs 1 -q -o xent.dbv train.dbv &&
	dbv-inspect --summary xent.dbv | grep -q "\"loss\":\"xent\"" &&
	test_must_fail 2 dbv-train --arch rf --loss l1 -q train.dbv &&
	grep -q "unknown loss .l1. (xent, mse)" .mf_err &&
	test_must_fail 2 dbv-train --arch rf --optim lstsq -q train.dbv &&
	grep -q "needs --loss mse and 1 epoch" .mf_err &&
	test_must_fail 2 dbv-train --arch rf --loss mse --optim lstsq --epochs 3 -q train.dbv &&
	test_must_fail 2 dbv-train --arch mlp --loss mse --optim lstsq -q -o no.dbv train.dbv &&
	grep -q "it needs --arch rf" .mf_err && ! test -e no.dbv
'
test_expect_success 'a learning rate that blows up exits 5 naming epoch and batch' '
	test_must_fail 5 dbv-train --arch mlp --width 8 --lr 1e6 --epochs 5 -q -o blown.dbv train.dbv &&
	grep -q "not finite at epoch [0-9]*, batch [0-9]*" .mf_err && ! test -e blown.dbv
'
test_expect_success 'a blown-up run piped on leaves an error record downstream' '
	{ dbv-train --arch mlp --width 8 --lr 1e6 --epochs 5 -q train.dbv 2>/dev/null || true; } |
		test_expect_code 3 dbv-inspect >/dev/null 2>err && grep -q "dbv-train failed: the loss is not finite" err
'
test_expect_success 'vit and mixer: options recorded, refused where they do not fit' '
	dbv-train --arch vit --width 8 --depth 1 --patch 7 --heads 2 --dim-head 4 --mlp-dim 8 --epochs 1 -q -o vit.dbv train.dbv &&
	dbv-inspect --head 0 vit.dbv | grep -q "\"arch\":\"vit\",\"width\":8,\"depth\":1,.*\"arch_options\":{\"patch\":7,\"heads\":2,\"dim_head\":4,\"mlp_dim\":8,\"dropout\":0.1,\"emb_dropout\":0.1}" &&
	dbv-train --arch mixer --width 8 --depth 1 --patch 14 --epochs 1 -q -o mixer.dbv train.dbv &&
	dbv-inspect --head 0 mixer.dbv | grep -q "\"arch_options\":{\"patch\":14,\"expansion\":4,\"dropout\":0}" &&
	test_must_fail 2 dbv-train --arch mixer --heads 2 train.dbv &&
	test_must_fail 2 dbv-train --arch cnn5 --patch 4 train.dbv &&
	test_must_fail 2 dbv-train --arch vit --patch 5 train.dbv &&
	test_must_fail 2 dbv-train --arch vit --dropout 1 train.dbv &&
	test_must_fail 2 dbv-train --arch vit --heads 0 train.dbv
'

test_done
