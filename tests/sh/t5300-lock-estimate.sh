#!/bin/sh
# t5300-lock-estimate.sh - what common.mk adds for clusters that needs no
# cluster: the lock (a second make on the same OUT stops at once with one
# line naming the first; make -n and -q are not refused; the lock goes
# within seconds of its make's end, and not from under the next make; a
# lock whose make is gone is taken; one held on another host is not), and make
# estimate (trains nothing; its table's train row and total are the
# arithmetic of the trainings' dbv-train --estimate lines, recomputed
# here: mean wall seconds, CPU-hours from cpu_seconds).  Data: mkfixtures' fake Fashion-MNIST with t5200's tiny study.
. "$(dirname "$0")/lib.sh"

mkfixtures fx >/dev/null || exit 1
# The makes here are no part of make check's (its jobserver, -j).
unset MAKEFLAGS MFLAGS MAKELEVEL
mkdir -p data && ln -s "$T/fx/fmnist" data/fashion-mnist || exit 1
DBV_DATA_DIR=$T/data DBV_ESTIMATE_SECONDS=0.05
ARCHS="mlp cnn5" SEEDS="0 1" NTRAIN=60 EPOCHS=1 WIDTH_mlp=8 WIDTH_cnn5=2
TRIPLETS=3 RES=8 PIC_RES=16
export DBV_DATA_DIR DBV_ESTIMATE_SECONDS ARCHS SEEDS NTRAIN EPOCHS WIDTH_mlp WIDTH_cnn5 TRIPLETS RES PIC_RES
MK="make --no-print-directory -f $SRCDIR/pipelines/demo.mk OUT=d"
HOST=$(hostname)

# slow/dbv-*: the tools, dbv-load three seconds late (a make that holds
# the lock long enough).
mkdir slow || exit 1
for t in "$BIN"/dbv-*; do
	case ${t##*/} in dbv-load) pause="sleep 3" ;; *) pause= ;; esac
	printf '#!/bin/sh\n%s\nexec "%s" "$@"\n' "$pause" "$t" >"slow/${t##*/}" &&
		chmod +x "slow/${t##*/}" || exit 1
done

test_expect_success 'a second make on the same OUT stops at once, naming the first' '
	{ $MK BIN="$T/slow" >first.log 2>&1 & } &&
	pid=$! && i=0 &&
	while ! grep -q " $pid " d/.lock 2>/dev/null && [ $i -lt 100 ]; do sleep 0.05; i=$((i + 1)); done &&
	test_must_fail 2 $MK &&
	grep -q "dbv: d is in use by make (pid $pid on $HOST, since [0-9T:-]*Z): wait for it to end (or remove d/.lock if it is gone)" .mf_err &&
	$MK -n >/dev/null && { $MK -q >/dev/null || test $? = 1; } &&
	wait $pid &&
	i=0 && while test -e d/.lock && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done &&
	! test -e d/.lock &&
	$MK -q d/summary.txt d/figure1.png d/heatmap.png && $MK >/dev/null
'

test_expect_success 'a make that follows at once keeps the lock: the first one'"'"'s watcher leaves it' '
	$MK >/dev/null && rm d/data/test.dbv &&
	{ $MK BIN="$T/slow" >second.log 2>&1 & } &&
	pid=$! && sleep 2.5 &&
	grep -q " $pid " d/.lock &&
	wait $pid
'

test_expect_success 'a lock whose make is gone is taken; one on another host is not' '
	echo "$HOST 999999999 1 2026-01-01T00:00:00Z" >d/.lock &&
	$MK >/dev/null && ! grep -q 999999999 d/.lock &&
	echo "otherhost 7 1 2026-01-01T00:00:00Z" >d/.lock &&
	test_must_fail 2 $MK &&
	grep -q "in use by make (pid 7 on otherhost, since 2026-01-01T00:00:00Z)" .mf_err &&
	rm d/.lock && $MK >/dev/null
'

# num KEY FILE: the number under KEY of a one-line JSON file.
num() {
	sed -n "s/.*\"$1\":\([-0-9.eE+]*\).*/\1/p" "$2"
}

# Many epochs: the estimate is arithmetic, nothing of it is trained.
test_expect_success 'make estimate: the data and planes made, nothing trained, the table adds up' '
	$MK OUT=e EPOCHS=200000 WORKERS=2 estimate >est.out 2>est.err &&
	test -s e/data/train.dbv && test -s e/planes/score.dbv && test -s e/planes/picture.dbv &&
	! ls e/models/*.dbv 2>/dev/null && ! ls e/pred/*.dbv 2>/dev/null &&
	ls e/.estimate/*.json >jsons && test $(wc -l <jsons) = 2 &&
	for f in $(cat jsons); do
		test "$(num epochs $f)" = 200000 && test "$(num threads $f)" = 2 &&
		echo "$(num seconds $f) $(num cpu_seconds $f)" >>secs || return 1
	done &&
	awk "{ s += \$1; c += \$2 } END { printf \"train 4 %.1f %.3f\n\", s / 2, 2 * c / 3600 }" secs >want &&
	awk "\$1 == \"train\" { printf \"train %s %s %s\n\", \$2, \$3, \$4 }" est.out >got &&
	test_cmp want got &&
	grep -q "^predict  *8 " est.out &&
	awk "\$1 == \"train\" || \$1 == \"predict\" { c += \$4; n += \$2 }
	     \$1 == \"total\" { t = \$3; tn = \$2 }
	     END { d = c - t; exit !(n == 12 && tn == 12 && d < 0.0015 && d > -0.0015) }" est.out &&
	grep -q "^wall time on 2 workers: " est.out
'

test_expect_success 'make estimate, then the run: the data are not made again' '
	$MK OUT=e EPOCHS=1 >run.log 2>&1 &&
	! grep -q "dbv-load" run.log && ! grep -q "dbv-plane" run.log &&
	test -s e/summary.txt
'

test_done
