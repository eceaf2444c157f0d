#!/bin/sh
# t0300-hardening.sh - issue #11: no crash, no silent corruption, no lost
# file, on any input or signal.  Each test names the item of the issue
# it covers.  Data: mkfixtures' fake Fashion-MNIST; broken streams from
# mkstream.
. "$(dirname "$0")/lib.sh"

test_expect_success 'streams of every kind' '
	mkfixtures fx &&
	dbv-load fashion-mnist --dir fx/fmnist -o train.dbv &&
	dbv-load fashion-mnist --dir fx/fmnist --split test -o test.dbv &&
	dbv-train -q --arch mlp --width 8 --epochs 1 -o model.dbv train.dbv &&
	dbv-plane --ids 0,5,30 --res 6 -o planes.dbv train.dbv &&
	dbv-predict -m model.dbv -o pred.dbv planes.dbv &&
	dbv-compare -o table.dbv pred.dbv pred.dbv
'

# ---- item 2: dbv-train's label check ---------------------------------------

test_expect_success 'item 2: a label out of range is named as it is; an empty batch is read' '
	mkstream label-range >lr.dbv &&
	test_must_fail 3 dbv-train -q --arch mlp --width 4 --epochs 1 lr.dbv &&
	grep -q "^dbv-train: error: lr.dbv: record 1 (byte [0-9]*): label 7 is out of range (0 to 1)$" .mf_err &&
	test_must_fail 3 dbv-plane --ids 0,1,2 lr.dbv &&
	grep -q "label 7 is out of range" .mf_err &&
	mkstream empty-batch >eb.dbv &&
	dbv-train -q --arch mlp --width 4 --epochs 2 --batch 2 --test eb.dbv -o eb-m.dbv eb.dbv &&
	dbv-predict -m eb-m.dbv eb.dbv | dbv-inspect --summary >eb.sum &&
	grep -q "^{\"kind\":\"pred\",\"records\":3," eb.sum
'

# ---- items 4, 5: an output never replaces an input ------------------------

# kept CMD...: CMD exits 2 naming the same file; every fixture is as it was.
kept() {
	cksum train.dbv test.dbv model.dbv planes.dbv pred.dbv >before &&
	test_must_fail 2 "$@" &&
	grep -q "is the same file as" "$T/.mf_err" &&
	cksum train.dbv test.dbv model.dbv planes.dbv pred.dbv >after &&
	test_cmp before after
}

test_expect_success 'items 4, 5: dbv-train refuses --checkpoint or -o naming an input, or each other' '
	TR="dbv-train -q --arch mlp --width 4 --epochs 2" &&
	kept $TR --checkpoint train.dbv train.dbv &&
	kept $TR --test test.dbv --checkpoint test.dbv train.dbv &&
	kept $TR -o train.dbv train.dbv &&
	kept $TR --test test.dbv -o ./test.dbv train.dbv &&
	kept $TR -o train.dbv <train.dbv &&
	ln -s train.dbv link.dbv && kept $TR -o link.dbv train.dbv &&
	ln train.dbv hard.dbv && kept $TR --checkpoint hard.dbv train.dbv &&
	kept $TR --checkpoint m.dbv -o m.dbv train.dbv &&
	grep -q "^dbv-train: error: -o .m.dbv. is the same file as --checkpoint .m.dbv.: it would be overwritten$" .mf_err &&
	! test -e m.dbv &&
	kept $TR --checkpoint m.dbv --output=./m.dbv train.dbv &&
	$TR --checkpoint ck.dbv -o m.dbv train.dbv &&
	test -s ck.dbv && test -s m.dbv &&
	$TR --checkpoint /dev/null -o /dev/null train.dbv
'
test_expect_success 'items 4, 5: the other tools refuse -o naming an input' '
	kept dbv-plane --ids 0,5,30 --res 6 -o train.dbv train.dbv &&
	echo 0,5,30 >ids && kept dbv-plane --ids-file ids -o ids train.dbv &&
	kept dbv-predict -m model.dbv -o model.dbv planes.dbv &&
	kept dbv-predict -m model.dbv -o planes.dbv <planes.dbv &&
	kept dbv-compare -o pred.dbv pred.dbv pred.dbv &&
	kept dbv-compare --tsv -g a=pred.dbv -g b=pred.dbv -o pred.dbv &&
	cp -r fx/fmnist fm &&
	kept dbv-load fashion-mnist --dir fm -o fm/train-labels-idx1-ubyte.gz &&
	kept dbv-load --images fm/t10k-images-idx3-ubyte.gz \
		--labels fm/t10k-labels-idx1-ubyte.gz -o fm/t10k-images-idx3-ubyte.gz &&
	cmp fm/t10k-images-idx3-ubyte.gz fx/fmnist/t10k-images-idx3-ubyte.gz
'

# ---- item 6: no temporary file left by a signal ---------------------------

# in_save PID FILE SIG: stop PID at a moment its temporary FILE.tmp.*
# exists (a save under way; up to 3000 tries, a few usually), send SIG
# and let it go on:
# the signal lands inside the save.  Fails when no save was caught.
in_save() {
	is_n=0
	while [ $is_n -lt 3000 ]; do
		kill -s STOP "$1" || return 1
		set -- "$1" "$2" "$3" "$2".tmp.*
		if test -e "$4"; then
			kill -s "$3" "$1" && kill -s CONT "$1"
			return
		fi
		kill -s CONT "$1" || return 1
		sleep 0.001 # let it run
		is_n=$((is_n + 1))
	done
	kill -s "$3" "$1"
	return 1
}

# A run that saves a checkpoint of 5 MB after every batch.
test_expect_success 'item 6: every catchable terminating signal inside a checkpoint save leaves no temporary file' '
	ulimit -c 0 &&
	for sig in INT TERM QUIT USR1 ALRM XCPU XFSZ HUP; do
		rm -f ck.dbv out.dbv &&
		{ dbv-train -q --arch mlp --width 512 --epochs 1000 --batch 4 \
			--optim adam --checkpoint ck.dbv --checkpoint-every 1b \
			-o out.dbv train.dbv 2>err.$sig & } &&
		pid=$! &&
		in_save $pid ck.dbv $sig &&
		{ wait $pid && st=0 || st=$?; } &&
		echo "$sig: exit $st" &&
		test $st -gt 128 || exit 1
		ls >files && ! grep "\.tmp\." files || exit 1
		! test -e out.dbv || exit 1
		! test -e ck.dbv || dbv-inspect --summary ck.dbv >/dev/null || exit 1
	done
'
test_expect_success 'item 6: checkpoints are saved through the one atomic writer' '
	grep -q "dbv_write_file_atomic(r->o->ckpt" "$SRCDIR/tools/dbv-train.c"
'

# ---- item 8: non-finite numbers --------------------------------------------

# nonfinite MODEL PARAM VALUE [I] WORDS: the model with element I of PARAM
# set to VALUE is refused by dbv-predict with exit 5, WORDS in the message.
nonfinite() {
	mkstream set-param "$2" "$3" ${5:+"$4"} <"$1" >bad.dbv &&
	test_must_fail 5 dbv-predict -m bad.dbv -o out.dbv planes.dbv &&
	grep -q "^dbv-predict: error: bad.dbv: record [0-9]* (byte [0-9]*): parameter .$2. ${5:-$4}" "$T/.mf_err" &&
	! test -e out.dbv
}

test_expect_success 'item 8: NaN, infinities and negative variances in a model: exit 5 as it is read' '
	dbv-train -q --arch cnn5 --width 2 --epochs 1 -o cnn.dbv train.dbv &&
	nonfinite model.dbv hidden.0.weight nan 3 "holds a non-finite value (element 3)" &&
	nonfinite model.dbv hidden.0.bias inf "holds a non-finite value (element 0)" &&
	nonfinite model.dbv fc.weight -inf 79 "holds a non-finite value (element 79)" &&
	nonfinite cnn.dbv conv1.weight nan "holds a non-finite value" &&
	nonfinite cnn.dbv bn1.running_mean nan 1 "holds a non-finite value (element 1)" &&
	nonfinite cnn.dbv bn2.running_var -1 "holds a negative variance (element 0)" &&
	nonfinite cnn.dbv bn1.weight inf "holds a non-finite value" &&
	mkstream set-param bn2.running_var 0 <cnn.dbv >zero-var.dbv &&
	dbv-predict -m zero-var.dbv -o /dev/null planes.dbv
'
test_expect_success 'item 8: NaN pixels in an f32 data set are refused as they are read' '
	mkstream empty-batch >small.dbv &&
	dbv-train -q --arch mlp --width 4 --epochs 1 -o small-m.dbv small.dbv &&
	mkstream f32-nan >nan-px.dbv &&
	test_must_fail 3 dbv-predict -m small-m.dbv -o out.dbv nan-px.dbv &&
	grep -q "nan-px.dbv: record 1 (byte [0-9]*): \"x\" holds a non-finite value" .mf_err &&
	! test -e out.dbv &&
	test_must_fail 3 dbv-plane --ids 0,1,2 nan-px.dbv &&
	grep -q "holds a non-finite value" .mf_err
'

# ---- item 9: checkpoints ----------------------------------------------------

CK="--arch mlp --width 8 --epochs 3 --batch 8 -q --checkpoint"
# resume_refused CK: --resume from CK exits 3 and writes no model.
resume_refused() {
	test_must_fail 3 dbv-train $CK "$1" --resume -o out.dbv train.dbv &&
	! test -e out.dbv
}
# flip FILE KEY: the byte after the first msgpack string KEY in FILE,
# its value's first byte, with its lowest bit flipped.
flip() {
	off=$(grep -abo "$2" "$1" | head -1 | cut -d: -f1) &&
	off=$((off + ${#2})) &&
	b=$(od -An -tu1 -j$off -N1 "$1" | tr -d " ") &&
	printf "$(printf "\\%03o" $((b ^ 1)))" |
		dd of="$1" bs=1 seek=$off conv=notrunc 2>/dev/null
}

test_expect_success 'item 9: crafted or flipped checkpoints are refused, never resumed' '
	dbv-train $CK ck9.dbv --checkpoint-every 5b -o /dev/null train.dbv &&
	dbv-train $CK ck9.dbv --resume -o good.dbv train.dbv &&
	mkstream set-rec state batch 1000000000 <ck9.dbv >c1.dbv && resume_refused c1.dbv &&
	grep -q "c1.dbv: record 1 (byte [0-9]*): state record: epoch [0-9], batch 1000000000 is not a point" .mf_err &&
	mkstream set-rec state seen -8 <ck9.dbv >c2.dbv && resume_refused c2.dbv &&
	mkstream set-rec state step 0 <ck9.dbv >c3.dbv && resume_refused c3.dbv &&
	mkstream set-rec state correct -1 <ck9.dbv >c4.dbv && resume_refused c4.dbv &&
	for key in epoch batch seen step correct loss_sum elapsed config; do
		cp ck9.dbv f.dbv && flip f.dbv $key && ! cmp -s f.dbv ck9.dbv &&
		resume_refused f.dbv || exit 1
	done
'

# ---- item 11: lenient checks ------------------------------------------------

test_expect_success 'item 11: a model with a tensor twice, or num_batches_tracked of shape [1]' '
	mkstream dup-param fc.bias <model.dbv >dup.dbv &&
	test_must_fail 3 dbv-predict -m dup.dbv -o out.dbv planes.dbv &&
	grep -q "dup.dbv: record 6 (byte [0-9]*): parameter .fc.bias. appears twice$" .mf_err &&
	mkstream scalar-shape1 <cnn.dbv >nbt.dbv &&
	test_must_fail 3 dbv-predict -m nbt.dbv -o out.dbv planes.dbv &&
	grep -q "parameter .bn1.num_batches_tracked. must be an i64 scalar$" .mf_err &&
	! test -e out.dbv
'
test_expect_success 'item 11: std = +Inf, a mean longer than the channels, y of shape [k,1]' '
	for c in std-inf mean-long; do
		mkstream $c >$c.dbv &&
		test_must_fail 3 dbv-train -q --arch mlp --width 4 $c.dbv &&
		grep -q "$c.dbv: record 0 (byte 0): the header lacks a valid per-channel \"mean\" and \"std\"" .mf_err &&
		test_must_fail 3 dbv-plane --ids 0,1,2 $c.dbv &&
		grep -q "the header lacks a valid per-channel" .mf_err || exit 1
	done &&
	mkstream y-k1 >yk1.dbv &&
	test_must_fail 3 dbv-train -q --arch mlp --width 4 yk1.dbv &&
	grep -q "yk1.dbv: record 1 (byte [0-9]*): \"y\" must be i32 \[3\]$" .mf_err &&
	test_must_fail 3 dbv-plane --ids 0,1,2 yk1.dbv &&
	test_must_fail 3 dbv-predict -m small-m.dbv -o out.dbv yk1.dbv
'
test_expect_success 'item 11: a trailer whose counts is an array is refused by every reader' '
	for k in train model planes pred table; do
		mkstream counts-array <$k.dbv >ca-$k.dbv || exit 1
	done &&
	test_must_fail 3 dbv-train -q --arch mlp --width 4 ca-train.dbv &&
	grep -q "ca-train.dbv: record [0-9]* (byte [0-9]*): malformed end record$" .mf_err &&
	test_must_fail 3 dbv-plane --ids 0,1,2 ca-train.dbv &&
	test_must_fail 3 dbv-predict -m ca-model.dbv planes.dbv &&
	test_must_fail 3 dbv-predict -m model.dbv -o out.dbv ca-planes.dbv &&
	test_must_fail 3 dbv-compare pred.dbv ca-pred.dbv &&
	test_must_fail 3 dbv-render --chart heatmap -o x.png ca-table.dbv &&
	test_must_fail 3 dbv-inspect --summary ca-table.dbv &&
	grep -q "malformed end record" .mf_err
'
test_expect_success 'item 11: a plane whose res is not the header res, a header res above 4096' '
	mkstream set-rec plane res 7 <planes.dbv >pr.dbv &&
	test_must_fail 3 dbv-predict -m model.dbv -o out.dbv pr.dbv &&
	grep -q "pr.dbv: record 1 (byte [0-9]*): \"res\" is 7, the header.s is 6" .mf_err &&
	mkstream set-meta res 4097 <planes.dbv >hr.dbv &&
	test_must_fail 3 dbv-predict -m model.dbv -o out.dbv hr.dbv &&
	grep -q "hr.dbv: record 0 (byte 0): the planes header lacks a valid \"res\"" .mf_err &&
	mkstream set-meta res 4097 <pred.dbv >phr.dbv &&
	test_must_fail 3 dbv-compare pred.dbv phr.dbv &&
	test_must_fail 3 dbv-render -o x.png phr.dbv &&
	mkstream set-meta res 7 <pred.dbv >ph7.dbv &&
	test_must_fail 3 dbv-compare ph7.dbv ph7.dbv &&
	grep -q "ph7.dbv: record 1 (byte [0-9]*): \"res\" is 6, the header.s is 7" .mf_err &&
	test_must_fail 3 dbv-render -o x.png ph7.dbv &&
	! test -e out.dbv && ! test -e x.png
'
test_expect_success 'item 11: --augment with an item twice, empty, or an empty item' '
	for a in flip,flip "" crop:4,,flip crop:4, ,flip crop:2,crop:3; do
		test_must_fail 2 dbv-train -q --arch mlp --width 4 --augment "$a" -o out.dbv train.dbv &&
		grep -q "^dbv-train: error: --augment: .$a. is not an augmentation (none, or crop:P,flip, each at most once)$" .mf_err || exit 1
	done &&
	dbv-train -q --arch mlp --width 4 --epochs 1 --augment flip,crop:2 -o /dev/null train.dbv &&
	! test -e out.dbv
'
test_expect_success 'item 11: --label-noise 1e-400 does not underflow to 0' '
	test_must_fail 2 dbv-load fashion-mnist --dir fx/fmnist --label-noise 1e-400 &&
	grep -q "^dbv-load: error: --label-noise: .1e-400. is too close to 0 to be represented (use 0 for zero)$" .mf_err &&
	test_must_fail 2 dbv-train -q --arch mlp --lr 1e-330 train.dbv
'
test_expect_success 'item 11: an empty item in dbv-compare --group' '
	for g in a=pred.dbv,,pred.dbv a=pred.dbv, a=,pred.dbv; do
		test_must_fail 2 dbv-compare -g "$g" -g b=pred.dbv,pred.dbv &&
		grep -q "^dbv-compare: error: --group: .$g. has an empty file name$" .mf_err || exit 1
	done
'
test_expect_success 'item 11: a gzip file without its CRC and size trailer, or with data after it' '
	I=fx/fmnist/t10k-images-idx3-ubyte.gz L=fx/fmnist/t10k-labels-idx1-ubyte.gz &&
	n=$(wc -c <$L) &&
	head -c $((n - 8)) $L >no-trailer.gz &&
	head -c $((n - 4)) $L >half-trailer.gz &&
	{ cat $L && printf garbage; } >garbage.gz &&
	{ cat $L && printf "\0\0\0\0"; } >zeros.gz &&
	cp $L crc.gz && printf "\377" | dd of=crc.gz bs=1 seek=$((n - 8)) conv=notrunc 2>/dev/null &&
	for f in no-trailer half-trailer; do
		test_must_fail 3 dbv-load --images $I --labels $f.gz &&
		grep -q "^dbv-load: error: .$f.gz.: truncated gzip file (the data is whole but its CRC and size trailer is missing or cut short)$" .mf_err || exit 1
	done &&
	for f in garbage zeros; do
		test_must_fail 3 dbv-load --images $I --labels $f.gz &&
		grep -q "^dbv-load: error: .$f.gz.: unexpected data after the gzip data$" .mf_err || exit 1
	done &&
	test_must_fail 3 dbv-load --images $I --labels crc.gz &&
	grep -q "corrupt gzip data (incorrect data check)" .mf_err &&
	gzip -dc $L >labels.raw &&
	head -c 20 labels.raw | gzip -c >multi.gz &&
	tail -c +21 labels.raw | gzip -c >>multi.gz &&
	dbv-load --images $I --labels multi.gz -o multi.dbv &&
	dbv-load --images $I --labels $L -o one.dbv &&
	dbv-inspect --summary multi.dbv | sed "s/\"source\":\[[^]]*\]//" >multi.sum &&
	dbv-inspect --summary one.dbv | sed "s/\"source\":\[[^]]*\]//" >one.sum &&
	test_cmp one.sum multi.sum
'

# ---- item 13: messages and exit codes ---------------------------------------

test_expect_success 'item 13: control characters of an upstream error record reach stderr escaped' '
	esc=$(printf "\033") &&
	mkstream upstream-error "$(printf "bad \033[31mred\033[0m\a\r\nnext\033]0;title\007")" >esc.dbv &&
	test_must_fail 3 dbv-train -q --arch mlp esc.dbv &&
	grep -q "mkstream failed: bad \\\\x1b\[31mred\\\\x1b\[0m\\\\x07\\\\x0d\\\\x0anext\\\\x1b\]0;title\\\\x07$" .mf_err &&
	! grep -q "$esc" .mf_err &&
	for t in "dbv-plane --ids 0,1,2" "dbv-predict -m small-m.dbv -o out.dbv" "dbv-inspect"; do
		test_expect_code 3 $t esc.dbv >/dev/null 2>err &&
		grep -q "x1b\[31mred" err && ! grep -q "$esc" err || exit 1
	done
'
test_expect_success 'item 13: dbv-compare names the output and the reason of a write failure' '
	for f in --tsv --json ""; do
		test_must_fail 4 sh -c "exec dbv-compare $f pred.dbv pred.dbv >/dev/full" &&
		grep -q "^dbv-compare: error: standard output: write error: No space left on device$" .mf_err &&
		test_must_fail 4 dbv-compare $f -o /dev/full pred.dbv pred.dbv &&
		grep -q "^dbv-compare: error: /dev/full: write error: No space left on device$" .mf_err || exit 1
	done
'
test_expect_success 'item 13: dbv-compare - - is a usage error' '
	test_must_fail 2 dbv-compare - - <pred.dbv &&
	grep -q "^dbv-compare: error: standard input (.-.) is named twice: it holds one stream$" .mf_err &&
	test_must_fail 2 dbv-compare -g a=-,pred.dbv -g b=pred.dbv,- <pred.dbv &&
	dbv-compare -o /dev/null - pred.dbv <pred.dbv
'
test_expect_success 'item 13: a checkpoint that cannot be saved ends the model stream with an error record naming it' '
	{ dbv-train -q --arch mlp --width 4 --epochs 2 --checkpoint /dev/full train.dbv 2>train.err &&
	  echo unexpected >>train.err || :; } | { dbv-inspect >/dev/null 2>inspect.err || :; } &&
	grep -q "^dbv-train: error: checkpoint ./dev/full.: write error: No space left on device$" train.err &&
	grep -q "^dbv-inspect: error: dbv-train failed: checkpoint ./dev/full.: write error: No space left on device$" inspect.err &&
	test_must_fail 4 dbv-train -q --arch mlp --width 4 --epochs 2 --checkpoint nodir/ck.dbv -o out.dbv train.dbv &&
	grep -q "checkpoint .nodir/ck.dbv.: cannot write .nodir/ck.dbv.: No such file or directory" .mf_err &&
	! test -e out.dbv
'
test_expect_success 'item 13: --help and --version into a full disk exit 4, in every tool' '
	for t in dbv-load dbv-train dbv-plane dbv-predict dbv-compare dbv-render dbv-chart dbv-inspect; do
		for o in --help --version; do
			test_must_fail 4 sh -c "exec $t $o >/dev/full" &&
			grep -q "^$t: error: write error on standard output: No space left on device$" .mf_err || exit 1
		done || exit 1
	done
'
test_expect_success 'item 13: with standard input closed, no file is read as standard input' '
	dbv-predict -m model.dbv -o closed.dbv planes.dbv <&- &&
	dbv-inspect --summary closed.dbv | grep -q "^{\"kind\":\"pred\"," &&
	test_must_fail 3 dbv-inspect <&- &&
	grep -q "standard input: empty input" .mf_err &&
	test_must_fail 3 dbv-compare pred.dbv - <&- &&
	grep -q "standard input: empty input" .mf_err
'

# ---- items 3, 14 and 4, 5 in dbv-render and dbv-chart -----------------------

# The compiler's check of doubles converted to an int out of its range
# (not part of -fsanitize=undefined in GCC), with libpng.
test_lazy_prereq FLOAT_CAST '
	echo "int main(void) { return 0; }" >t.c &&
	${CC:-cc} -fsanitize=undefined,float-cast-overflow -o t t.c && ./t &&
	pkg-config --exists libpng zlib
'
test_expect_success FLOAT_CAST 'item 3: markers and thumbnails of anchors near 1e300 convert no out-of-range double to an int' '
	cc="${CC:-cc} -std=gnu11 -D_GNU_SOURCE -O1 -fsanitize=undefined,float-cast-overflow -fno-sanitize-recover=all -I$SRCDIR/lib $(pkg-config --cflags libpng)" &&
	libs="$(pkg-config --libs libpng zlib) -lm -lpthread" &&
	$cc -o ti "$SRCDIR/tests/unit/test_image.c" "$SRCDIR/lib/draw/image.c" "$SRCDIR"/lib/base/*.c $libs &&
	$cc -o tp "$SRCDIR/tests/unit/test_planeplot.c" "$SRCDIR"/lib/draw/*.c "$SRCDIR"/lib/base/*.c $libs &&
	mkdir -p ut && DBV_TEST_TMP=$T/ut ./ti && DBV_TEST_TMP=$T/ut ./tp
'
# A mkdir(2) that finds the directory made by another run just before
# (it makes it, then makes it again: EEXIST), preloaded.
test_lazy_prereq PRELOAD 'command -v ${CC:-cc}'
test_expect_success PRELOAD,!SANITIZED 'item 14: a directory that another dbv-render -o DIR/ made meanwhile is no error' '
	cat >race.c <<-EOF &&
	#define _GNU_SOURCE
	#include <dlfcn.h>
	#include <sys/stat.h>
	int mkdir(const char *path, mode_t mode)
	{
		int (*real)(const char *, mode_t) = (int (*)(const char *, mode_t))dlsym(RTLD_NEXT, "mkdir");
		real(path, mode);
		return real(path, mode);
	}
	EOF
	${CC:-cc} -shared -fPIC -o race.so race.c -ldl &&
	LD_PRELOAD=$T/race.so dbv-render -o raced/ pred.dbv &&
	test -s raced/plane-0000.png &&
	: >not-a-dir &&
	test_must_fail 4 dbv-render -o not-a-dir/ pred.dbv &&
	grep -q "cannot make directory .not-a-dir/.: Not a directory" .mf_err
'
test_expect_success 'items 4, 5: dbv-render and dbv-chart refuse -o naming an input' '
	kept dbv-render -o pred.dbv pred.dbv &&
	kept dbv-render --montage -o ./pred.dbv planes.dbv pred.dbv &&
	kept dbv-render -o pred.dbv <pred.dbv &&
	cp table.dbv t2.dbv && cksum t2.dbv >t2.before &&
	test_must_fail 2 dbv-chart -o t2.dbv t2.dbv &&
	test_must_fail 2 dbv-render -o t2.dbv t2.dbv &&
	grep -q "is the same file as the input" .mf_err &&
	cksum t2.dbv >t2.after && test_cmp t2.before t2.after
'

# ---- memory: sizes that cannot fit --------------------------------------------

# A cap of about 1 GB: OpenBLAS alone takes 150 to 200 MB of address space
# as it loads (and hangs in its thread shutdown far below that), so the
# sizes asked for are well over the cap.  timeout: a hang fails the test.
CAP=1000000
# oom CMD: CMD (a shell command) under the cap exits 4 with one line
# saying "out of memory", nothing on standard output.
oom() {
	test_must_fail 4 sh -c "ulimit -v $CAP && exec timeout 60 $1" &&
	grep -q "out of memory" "$T/.mf_err" ||
	{ echo "not out of memory: $1" >&2; return 1; }
}
# oom_stream HEADER CMD: CMD reading (from standard input) a stream with
# HEADER's header and one record of 1500 MiB, made as it is read.
oom_stream() {
	test_must_fail 4 sh -c "mkstream big-record 1500 $1 |
		(ulimit -v $CAP && exec timeout 60 $2)" &&
	grep -q "^${2%% *}: error: standard input: record 1 (byte [0-9]*): out of memory reading a record of 1500 MiB$" "$T/.mf_err" ||
	{ echo "not out of memory: $2" >&2; return 1; }
}

test_expect_success ULIMIT_V 'memory: every tool, given sizes that cannot fit in 1 GB, exits 4 saying "out of memory"' '
	mkstream model cnn5 64 1 28 28 10 >wide.dbv &&
	mkstream idx-gz images 1331200 >big-x.gz &&
	mkstream idx-gz labels 1331200 >big-y.gz &&
	oom "dbv-load --images big-x.gz --labels big-y.gz" &&
	grep -q "big-x.gz.: out of memory" .mf_err &&
	oom "dbv-train -q --arch cnn5 --width 64 --batch 60000 train.dbv" &&
	grep -q "use a smaller batch" .mf_err &&
	oom "dbv-predict -m wide.dbv --batch 65536 planes.dbv" &&
	grep -q "use a smaller batch" .mf_err &&
	oom "dbv-render --montage --size 8192 --cols 3 -o m.png $(echo pred.dbv pred.dbv pred.dbv pred.dbv pred.dbv pred.dbv pred.dbv)" &&
	M="--max-record 2000000000" &&
	oom_stream "" "dbv-inspect $M >/dev/null" &&
	oom_stream "" "dbv-train -q --arch mlp $M" &&
	oom_stream "" "dbv-plane --ids 0,1,2 $M" &&
	oom_stream planes.dbv "dbv-predict -m model.dbv $M -o out.dbv" &&
	oom_stream pred.dbv "dbv-compare $M pred.dbv -" &&
	! test -e out.dbv && ! test -e m.png && ls >files && ! grep "\.tmp\." files
'
# dbv-chart takes no --max-record: a record up to the 256 MiB limit fits
# in 1 GB.  So its cap is the address space it holds once started
# (measured as it waits for its input) and 100 MB more; a record of 255
# MiB cannot fit.
test_expect_success ULIMIT_V 'memory: dbv-chart, given a record that cannot fit, exits 4 saying "out of memory"' '
	{ sleep 2 | dbv-chart -o c.png >/dev/null 2>&1 & } &&
	pid=$! && sleep 1 &&
	kb=$(sed -n "s/^VmPeak:[^0-9]*\([0-9]*\) kB/\1/p" /proc/$pid/status) &&
	{ wait $pid || :; } &&
	test -n "$kb" && test "$kb" -gt 0 &&
	CAP=$((kb + 100000)) &&
	test_must_fail 4 sh -c "mkstream big-record 255 table.dbv |
		(ulimit -v $CAP && exec timeout 60 dbv-chart -o c.png)" &&
	grep -q "^dbv-chart: error: standard input: record 1 (byte [0-9]*): out of memory reading a record of 255 MiB$" .mf_err &&
	! test -e c.png
'

test_done
