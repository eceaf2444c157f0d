#!/bin/sh
# t2300-archs.sh - the architectures of issue 15 through the tools at tiny
# widths: densenet (growth 1), wrn (widen 1, depth 10 and the default
# 28), vgg (depth 19 by default, 11/13/16) on mkfixtures' fake
# Fashion-MNIST (1x28x28) and CIFAR-10 (3x32x32): dbv-train records the
# architecture and depth, dbv-plane | dbv-predict | dbv-render draw their
# planes, dbv-predict's accuracy on the test set is the one dbv-train
# logged for it; the same seeds and threads give the same model bit for
# bit (views and shared BN statistics included), and so does a run
# interrupted and resumed from its checkpoint; refused depths.  (Their
# values are checked against PyTorch in test_torch.c and t2110.)
. "$(dirname "$0")/lib.sh"

has() { grep -F -q -e "$1" || { echo "missing: $1" >&2; return 1; }; }
header() { dbv-inspect --head 0 "$1" | head -1; }
TRAIN="dbv-train -q --epochs 2 --batch 20"
IDS="--triplets 2"

test_expect_success 'fixtures' '
	mkfixtures fx >/dev/null &&
	dbv-load fashion-mnist --dir fx/fmnist -o train.dbv &&
	dbv-load fashion-mnist --dir fx/fmnist --split test -o test.dbv &&
	dbv-load cifar10 --dir fx/cifar10 -o c10.dbv &&
	dbv-load cifar10 --dir fx/cifar10 --split test -o c10t.dbv
'

# run NAME DATA TEST ARCH...: train, then plane | predict | render, and
# predict's accuracy on TEST against the last log record's test_acc.
run() {
	n=$1 d=$2 t=$3 &&
	shift 3 &&
	$TRAIN "$@" --test "$t" -o "$n.dbv" "$d" &&
	dbv-plane $IDS --res 6 "$d" | dbv-predict -m "$n.dbv" >"$n-pred.dbv" &&
	dbv-render "$n-pred.dbv" -o "$n-png/" &&
	test -s "$n-png/plane-0000.png" && test -s "$n-png/plane-0001.png" &&
	dbv-inspect "$n-pred.dbv" | tail -1 | has "\"counts\":{\"pred\":2}" &&
	dbv-predict -m "$n.dbv" "$t" | dbv-inspect - | grep "\"t\":\"accuracy\"" |
		sed "s/.*\"acc\":\([^,]*\),.*/\1/" >acc &&
	dbv-inspect "$n.dbv" | grep "\"t\":\"log\"" | tail -1 |
		sed "s/.*\"test_acc\":\([^,]*\),.*/\1/" >want &&
	test -s want && test_cmp want acc
}

test_expect_success 'densenet on 1x28x28 and 3x32x32' '
	run dn train.dbv test.dbv --arch densenet --width 1 &&
	header dn.dbv | has "\"arch\":\"densenet\",\"width\":1,\"depth\":1,\"shape\":[1,28,28]" &&
	dbv-inspect dn.dbv | grep -c "\"t\":\"param\"" >got && echo 722 >want &&
	test_cmp want got &&
	dbv-inspect dn.dbv | has "\"name\":\"dense4.15.conv2.weight\"" &&
	run dnc c10.dbv c10t.dbv --arch densenet --width 1 &&
	header dnc.dbv | has "\"shape\":[3,32,32]"
'

test_expect_success 'wrn: depth 10, and 28 by default' '
	run wrn train.dbv test.dbv --arch wrn --width 1 --depth 10 &&
	header wrn.dbv | has "\"arch\":\"wrn\",\"width\":1,\"depth\":10," &&
	dbv-inspect wrn.dbv | has "\"name\":\"block3.layer.0.convShortcut.weight\"" &&
	dbv-train -q --epochs 1 --batch 20 --arch wrn --width 1 -o wrn28.dbv c10.dbv &&
	header wrn28.dbv | has "\"arch\":\"wrn\",\"width\":1,\"depth\":28," &&
	dbv-inspect wrn28.dbv | has "\"name\":\"block3.layer.3.conv2.weight\""
'

test_expect_success 'vgg: depth 19 by default, 11, 13, 16' '
	run vgg c10.dbv c10t.dbv --arch vgg --width 2 &&
	header vgg.dbv | has "\"arch\":\"vgg\",\"width\":2,\"depth\":19," &&
	dbv-inspect vgg.dbv | has "\"name\":\"features.49.weight\"" &&
	run vgg13 train.dbv test.dbv --arch vgg --width 2 --depth 13 &&
	for d in 11 16; do
		dbv-train -q --epochs 1 --arch vgg --width 1 --depth $d -o v$d.dbv train.dbv &&
		header v$d.dbv | has "\"depth\":$d," || exit 1
	done &&
	dbv-inspect v11.dbv | grep "\"t\":\"param\"" | sed "s/.*\"name\":\"\([^\"]*\)\".*/\1/" >a &&
	dbv-train -q --epochs 1 --arch vgg11 --width 1 -o v11b.dbv train.dbv &&
	dbv-inspect v11b.dbv | grep "\"t\":\"param\"" | sed "s/.*\"name\":\"\([^\"]*\)\".*/\1/" >b &&
	test_cmp a b
'

# params MODEL: the param records as dbv-inspect prints them (names,
# shapes, statistics and CRCs of the values)
params() { dbv-inspect "$1" | grep "\"t\":\"param\"" | sed "s/^{\"record\":[0-9]*,//"; }

test_expect_success 'densenet and wrn: the same seeds and threads, the same model bit for bit' '
	for a in "densenet --width 2" "wrn --width 1 --depth 10"; do
		$TRAIN --arch $a --threads 2 --seed 4 --augment crop:2,flip -o r1.dbv c10.dbv &&
		$TRAIN --arch $a --threads 2 --seed 4 --augment crop:2,flip -o r2.dbv c10.dbv &&
		params r1.dbv >p1 && params r2.dbv >p2 && test -s p1 && test_cmp p1 p2 &&
		$TRAIN --arch $a --threads 2 --seed 5 --augment crop:2,flip -o r3.dbv c10.dbv &&
		params r3.dbv >p3 && ! cmp -s p1 p3 || exit 1
	done
'

# Checkpoints: a run stopped by SIGINT once its first checkpoint (every
# 5 batches) is there, then resumed, ends with the uninterrupted run's
# parameters (BN's running statistics included), bit for bit.  About 3 s
# a run here, so that a faster machine is still training at the signal.
test_expect_success 'densenet, wrn, vgg-19: interrupted and resumed, the uninterrupted model' '
	for a in "densenet --width 2 --epochs 60" "wrn --width 1 --depth 10 --epochs 60" \
		"vgg --width 1 --epochs 600"; do
		A="--arch $a --batch 4 --threads 2 --seed 3 --augment crop:2,flip -q" &&
		dbv-train $A -o u.dbv c10.dbv &&
		rm -f ck.dbv && { dbv-train $A --checkpoint ck.dbv --checkpoint-every 5b \
			-o part.dbv c10.dbv 2>err & } &&
		pid=$! && i=0 &&
		while ! test -e ck.dbv && [ $i -lt 1000 ]; do sleep 0.01; i=$((i + 1)); done &&
		kill -INT $pid && rc=0 && { wait $pid || rc=$?; } && test $rc = 130 &&
		grep -q "^dbv-train: interrupted: checkpoint written to ck.dbv after batch" err &&
		! test -e part.dbv &&
		dbv-train $A --checkpoint ck.dbv --checkpoint-every 5b --resume -o res.dbv c10.dbv &&
		params u.dbv >pu && params res.dbv >pr && test -s pu && test_cmp pu pr || exit 1
	done
'

test_expect_success 'refused: depths that do not exist, a width of 0, unknown names' '
	test_must_fail 2 dbv-train --arch wrn --depth 12 train.dbv &&
	grep -q "wrn needs a --depth of 6n+4 (10, 16, 22, 28, 34, 40, ...), not 12" .mf_err &&
	test_must_fail 2 dbv-train --arch vgg --depth 12 train.dbv &&
	grep -q "vgg has --depth 11, 13, 16 or 19, not 12" .mf_err &&
	test_must_fail 2 dbv-train --arch densenet --width 0 train.dbv &&
	test_must_fail 2 dbv-train --arch resnet50 train.dbv &&
	grep -q "densenet" .mf_err
'

test_done
