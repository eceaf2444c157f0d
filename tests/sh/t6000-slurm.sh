#!/bin/sh
# t6000-slurm.sh - the studies on a real Slurm (SLURM=1, pipelines/
# slurm-run.sh): a one-node cluster on this machine (tests/slurm-local.sh:
# munged, slurmctld and slurmd, stopped at the end whatever happens) runs
# demo.mk's trainings and predictions as job steps.  Checks: the table,
# the summary and the pictures equal a local run's bit for bit and the
# models' parameters too; switching SLURM off redoes nothing; a training
# cancelled midway (scancel) fails make and leaves its checkpoint, and
# the next make resumes it to the uninterrupted run's parameters; a
# training sent SIGTERM (scancel --signal=TERM: what --signal does before
# a time limit, and preemption) saves, is run again from its checkpoint
# and make finishes, to the same parameters; the README's cluster
# commands run as written.  Needs root and Debian's slurm-wlm and munge
# (prerequisite SLURM: skipped, and counted as skips, without them).
# Data: mkfixtures' fake Fashion-MNIST.
. "$(dirname "$0")/lib.sh"

mkfixtures fx >/dev/null || exit 1
# The makes here are no part of make check's (its jobserver, -j).
unset MAKEFLAGS MFLAGS MAKELEVEL
mkdir -p data && ln -s "$T/fx/fmnist" data/fashion-mnist || exit 1
DBV_DATA_DIR=$T/data DBV_ESTIMATE_SECONDS=0.1
export DBV_DATA_DIR DBV_ESTIMATE_SECONDS
# The small study: 4 trainings and 8 predictions, 1 thread each, so that
# the 2-CPU node runs two at once.
SMALL="ARCHS=mlp\ cnn5 SEEDS=0\ 1 NTRAIN=60 EPOCHS=2 WIDTH_mlp=8 WIDTH_cnn5=2 TRIPLETS=3 RES=8 PIC_RES=16 THREADS=1"
# One training of about 5 seconds, saved every 100 batches under Slurm.
LONG="ARCHS=mlp SEEDS=0 NTRAIN=60 EPOCHS=4000 WIDTH_mlp=16 TRAIN_OPTS=--batch\ 4 TRIPLETS=3 RES=8 PIC_RES=16 THREADS=1"
mk() { eval "make --no-print-directory -f \"$SRCDIR/pipelines/demo.mk\" OUT=d $*"; }
LOCAL=$T/cluster
CKPT=d/.ckpt/models/mlp-s0.dbv
GOALS="d/summary.txt d/figure1.png d/heatmap.png"

# The cluster, for every test below; stopped on the way out.
sh "$SRCDIR/tests/slurm-local.sh" start "$LOCAL" >slurm-env 2>slurm-err
started=$?
trap 'sh "$SRCDIR/tests/slurm-local.sh" stop "$LOCAL"' EXIT
trap 'exit 129' HUP
trap 'exit 130' INT
trap 'exit 141' PIPE
trap 'exit 143' TERM
# SLURM_HERE: root and the programs (else every test is a skip); SLURM:
# the cluster runs.
test_lazy_prereq SLURM_HERE false
test_lazy_prereq SLURM false
case $started in
0) . ./slurm-env && test_set_prereq SLURM_HERE && test_set_prereq SLURM ;;
77) echo "# t6000-slurm: no Slurm here: $(cat slurm-err)" ;;
*) test_set_prereq SLURM_HERE ;;
esac

test_expect_success SLURM_HERE 'the one-node cluster starts' '
	{ test $started = 0 || { cat slurm-err && tail -5 "$LOCAL"/*.log && false; }; }
'

# params FILE: a model's parameter records (the logs hold times).
params() {
	dbv-inspect "$1" | grep '"t":"param"'
}

test_expect_success SLURM 'the local runs' '
	mkdir local long &&
	(cd local && mk "$SMALL" >make.log 2>&1) &&
	(cd long && mk "$LONG" >make.log 2>&1) &&
	params long/d/models/mlp-s0.dbv >long.p && test -s long.p
'

test_expect_success SLURM 'through Slurm: the same table, summary, pictures and parameters' '
	mkdir slurm &&
	(cd slurm && mk "$SMALL" SLURM=1 -j2 >make.log 2>&1) &&
	for f in table.tsv table.dbv summary.txt figure1.png heatmap.png; do
		cmp local/d/$f slurm/d/$f || return 1
	done &&
	for m in mlp-s0 mlp-s1 cnn5-s0 cnn5-s1; do
		params local/d/models/$m.dbv >want && params slurm/d/models/$m.dbv >got &&
		test_cmp want got || return 1
	done &&
	scontrol -o show jobs >jobs &&
	test $(grep -c "JobName=dbv:models/.*JobState=COMPLETED" jobs) = 4 &&
	test $(grep -c "JobName=dbv:pred/.*JobState=COMPLETED" jobs) = 8 &&
	grep "JobName=dbv:models/cnn5-s0.dbv" jobs | grep -q "NumCPUs=1 " &&
	! ls slurm/d/.ckpt/models | grep -q .
'

test_expect_success SLURM 'switching SLURM off redoes nothing' '
	(cd slurm && mk "$SMALL" -q $GOALS && mk "$SMALL" SLURM=1 -q $GOALS)
'

# run_signalled NAME SCANCEL-OPTION...: start the long study through
# Slurm in NAME/, scancel its training once its first checkpoint is
# there; make's status in NAME/rc.
run_signalled() {
	dir=$1 && shift &&
	mkdir $dir && cd $dir &&
	{ mk "$LONG" SLURM=1 SLURM_CHECKPOINT=100b >make.log 2>&1 & } &&
	pid=$! && i=0 &&
	while ! ls $CKPT.[0-9]* >/dev/null 2>&1 && [ $i -lt 600 ]; do sleep 0.05; i=$((i + 1)); done &&
	test -s $CKPT.job &&
	scancel "$@" "$(cat $CKPT.job)" &&
	rc=0 && { wait $pid || rc=$?; } && echo $rc >rc
}

test_expect_success SLURM 'scancel midway: make fails, the next make resumes from the checkpoint' '
	(run_signalled cancel) &&
	test "$(cat cancel/rc)" != 0 &&
	grep -q "^dbv: d/models/mlp-s0.dbv: Slurm job [0-9]* ended (CANCELLED, exit " cancel/make.log &&
	ls cancel/$CKPT.[0-9]* &&
	! test -e cancel/d/models/mlp-s0.dbv &&
	(cd cancel && mk "$LONG" SLURM=1 SLURM_CHECKPOINT=100b >make2.log 2>&1) &&
	grep -q "^dbv: d/models/mlp-s0.dbv: resuming from its checkpoint" cancel/make2.log &&
	params cancel/d/models/mlp-s0.dbv >cancel.p && test_cmp long.p cancel.p &&
	! ls cancel/$CKPT.[0-9]* 2>/dev/null &&
	cmp long/d/table.tsv cancel/d/table.tsv
'

test_expect_success SLURM 'SIGTERM: the step saves, runs again from its checkpoint, make finishes' '
	(run_signalled term --signal=TERM) &&
	test "$(cat term/rc)" = 0 &&
	grep -q "^dbv: d/models/mlp-s0.dbv: Slurm job [0-9]* ended (FAILED, exit 143): running it again (1 of 3)" term/make.log &&
	grep -q "^dbv: d/models/mlp-s0.dbv: resuming from its checkpoint" term/make.log &&
	params term/d/models/mlp-s0.dbv >term.p && test_cmp long.p term.p &&
	cmp long/d/table.tsv term/d/table.tsv
'

# readme_cmds DIR: the README's ```sh slurm blocks, each "$ " line (with
# its continuation lines) into DIR/cmdN.
readme_cmds() {
	awk -v dir="$1" '
	/^```sh slurm$/ { on = 1; next }
	/^```/ { on = 0 }
	on && /^\$ / {
		c = substr($0, 3)
		while (c ~ /\\$/ && (getline l) > 0)
			c = c "\n" l
		print c > (dir "/cmd" ++n)
		close(dir "/cmd" n)
	}' "$SRCDIR/README.md"
}

# Run where pipelines/ is the source tree's, the small study's settings
# in the environment (the make files take them from there).
test_expect_success SLURM 'the README cluster commands run as written' '
	mkdir readme && ln -s "$SRCDIR/pipelines" readme/pipelines &&
	readme_cmds readme && test -s readme/cmd1 && test -s readme/cmd2 &&
	for c in readme/cmd*; do
		(cd readme && eval "export $SMALL" && sh -e "../$c") >>readme.log 2>&1 || return 1
	done &&
	grep -q "^total " readme.log &&
	sed "s|out/demo/|d/|g" readme/out/demo/table.tsv | cmp local/d/table.tsv - &&
	cmp local/d/figure1.png readme/out/demo/figure1.png
'

test_done
