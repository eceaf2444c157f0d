#!/bin/sh
# t2200-interrupt.sh - dbv-train --checkpoint under SIGINT and SIGTERM:
# a checkpoint at the next batch boundary, one line on stderr, exit 130
# or 143, no temporary left; --resume says where it continues and ends
# bit-identical to an uninterrupted run.  Data: mkfixtures' fake
# Fashion-MNIST (60 train items: 15 batches of 4 an epoch).
. "$(dirname "$0")/lib.sh"

mkfixtures fx >/dev/null || exit 1
dbv-load fashion-mnist --dir fx/fmnist -o train.dbv || exit 1

# A run of about three seconds here (long enough that a faster machine
# still runs when the last signal comes), with a checkpoint every 50 batches.
ARGS="--arch mlp --width 64 --depth 2 --epochs 2000 --batch 4 --lr 0.01 --seed 5"
EVERY="--checkpoint-every 50b"

# A model's parameter records and its logs without their times.
params() {
	dbv-inspect "$1" | grep '"t":"param"' | sed 's/.*"name"/"name"/'
}
logs() {
	dbv-inspect "$1" | grep '"t":"log"' | sed 's/,"seconds.*//'
}

# interrupt NAME SECONDS SIG...: start a run in the background, send each
# SIG that long after its first checkpoint appeared (the first must reach
# it; a later one may come after it stopped); its exit status in
# rc-NAME, its stderr in err-NAME.
interrupt() {
	run=$1 && delay=$2 && shift 2 &&
	{ dbv-train $ARGS -q --checkpoint ck-$run.dbv $EVERY -o part-$run.dbv train.dbv 2>err-$run & } &&
	pid=$! && i=0 &&
	while ! test -e ck-$run.dbv && [ $i -lt 500 ]; do sleep 0.01; i=$((i + 1)); done &&
	sleep $delay &&
	n=0 && for sig in "$@"; do
		# A later signal may find the run already gone (it stops at
		# the next batch): only the first must be delivered.  It
		# comes a tenth of a second after the one before: two signals
		# pending at once are taken lowest number first (SIGINT
		# before SIGTERM), whichever was sent first.
		{ [ $n = 0 ] || sleep 0.1; } &&
		{ kill -$sig $pid 2>/dev/null || [ $n -gt 0 ]; } && n=$((n + 1)) || return 1
	done &&
	rc=0 && { wait $pid || rc=$?; } && echo $rc >rc-$run
}

# stopped NAME CODE: the run ended with CODE, its one line, a checkpoint,
# no model and no temporary.
stopped() {
	test "$(cat rc-$1)" = $2 &&
	test $(wc -l <err-$1) = 1 &&
	grep -qx "dbv-train: interrupted: checkpoint written to ck-$1.dbv after batch [0-9]*/15 of epoch [0-9]*/2000; --resume continues" err-$1 &&
	test -e ck-$1.dbv && ! test -e part-$1.dbv &&
	! ls | grep "\.tmp\."
}

# resumed NAME: --resume names the point the interrupt did, its first log
# is that epoch's, and the model and logs are the uninterrupted run's.
resumed() {
	at=$(sed -n "s/.* to ck-$1.dbv \(.*\); --resume continues$/\1/p" err-$1) &&
	e=$(echo "$at" | sed "s|.* of epoch \([0-9]*\)/.*|\1|") &&
	dbv-train $ARGS --checkpoint ck-$1.dbv $EVERY --resume -o res-$1.dbv train.dbv 2>rerr-$1 &&
	test "$(sed -n 1p rerr-$1)" = "dbv-train: resuming from ck-$1.dbv $at" &&
	sed -n 2p rerr-$1 | grep -q "^epoch $e/2000  loss " &&
	params res-$1.dbv >res-$1.p && test_cmp full.p res-$1.p &&
	logs res-$1.dbv >res-$1.log && test_cmp full.log res-$1.log
}

test_expect_success 'the uninterrupted run' '
	dbv-train $ARGS -q -o full.dbv train.dbv &&
	params full.dbv >full.p && logs full.dbv >full.log &&
	test $(wc -l <full.p) = 6 && test $(wc -l <full.log) = 2000
'
test_expect_success 'SIGINT right after the first checkpoint: saved, 130, resumed' '
	interrupt i0 0 INT && stopped i0 130 && resumed i0
'
test_expect_success 'SIGINT later, twice: saved once, 130, resumed' '
	interrupt i1 0.25 INT INT && stopped i1 130 && resumed i1
'
test_expect_success 'SIGTERM early: saved, 143, resumed' '
	interrupt t0 0.1 TERM && stopped t0 143 && resumed t0
'
test_expect_success 'SIGTERM later, then SIGINT: the first counts, 143, resumed' '
	interrupt t1 0.3 TERM INT && stopped t1 143 && resumed t1
'
test_expect_success 'resumed under -q: no line' '
	interrupt q 0 INT && stopped q 130 &&
	dbv-train $ARGS -q --checkpoint ck-q.dbv $EVERY --resume -o res-q.dbv train.dbv 2>rerr-q &&
	! test -s rerr-q &&
	params res-q.dbv >res-q.p && test_cmp full.p res-q.p
'
test_expect_success 'without --checkpoint SIGINT and SIGTERM kill as before' '
	for s in INT:130 TERM:143; do
		sig=${s%:*} &&
		{ dbv-train $ARGS -q -o part-$sig.dbv train.dbv 2>err-$sig & } &&
		pid=$! && sleep 0.2 && kill -$sig $pid && rc=0 &&
		{ wait $pid || rc=$?; } &&
		test $rc = ${s#*:} && ! test -s err-$sig &&
		! test -e part-$sig.dbv && ! ls | grep "\.tmp\." || exit 1
	done
'

# The token models' dropout masks come from the data seed and the step:
# a run resumed from a checkpoint (here the one left at batch 40 of 45)
# ends as the uninterrupted run, and dropout does change the result; a
# resume with another --dropout is refused (the checkpoint's options).
V="--arch vit --width 8 --depth 1 --heads 2 --dim-head 4 --mlp-dim 8 --patch 7 --epochs 3 --batch 4 --optim adam --seed 5"
test_expect_success 'vit with dropout: resumed from a checkpoint, bit-identical' '
	dbv-train $V --dropout 0.2 -q -o vfull.dbv train.dbv &&
	dbv-train $V --dropout 0.2 -q --checkpoint ck-v.dbv --checkpoint-every 20b -o va.dbv train.dbv &&
	dbv-train $V --dropout 0.2 --checkpoint ck-v.dbv --checkpoint-every 20b --resume -o vb.dbv train.dbv 2>verr &&
	grep -qx "dbv-train: resuming from ck-v.dbv after batch 10/15 of epoch 3/3" verr &&
	params vfull.dbv >vfull.p && params vb.dbv >vb.p && test_cmp vfull.p vb.p &&
	dbv-train $V --dropout 0 --emb-dropout 0 -q -o v0.dbv train.dbv &&
	params v0.dbv >v0.p && ! cmp -s vfull.p v0.p &&
	test_must_fail 3 dbv-train $V --dropout 0.3 -q --checkpoint ck-v.dbv --resume -o vc.dbv train.dbv
'

test_done
