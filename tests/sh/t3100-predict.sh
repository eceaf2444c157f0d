#!/bin/sh
# t3100-predict.sh - dbv-predict on mkfixtures' fake Fashion-MNIST with
# tiny models trained here (an mlp of width 8 and a cnn5 of width 2): the
# grid points made inside dbv-predict (the fast path) get exactly the
# labels that the same model gives to the same points expanded by
# dbv-plane --expand (the slow path), whatever the batch size; --temp and
# --logits; dataset input and its accuracy record; every refusal; memory
# bounded in the number of planes.
#
# The label grids are read back with tvals (below), a msgpack reader in
# awk independent of libdbv, so that a check cannot pass because the
# library made the same mistake on both sides.
. "$(dirname "$0")/lib.sh"

has() { grep -F -q -e "$1" || { echo "missing: $1" >&2; return 1; }; }
header() { dbv-inspect --head 0 "$1" | head -1; }
# "dtype shape min max mean crc" of tensor KEY in JSON record lines.
tstat() {
	sed -n "s/.*\"$1\":{\"dtype\":\"\([a-z0-9]*\)\",\"shape\":\(\[[^]]*\]\),\"min\":\([^,]*\),\"max\":\([^,]*\),\"mean\":\([^,]*\),\"crc32c\":\"\([0-9a-f]*\)\"}.*/\1 \2 \3 \4 \5 \6/p"
}

. "$SRCDIR/tests/sh/tvals.sh"
# Both files: the same number of lines, numbers within TOL of each other.
near() {
	paste "$1" "$2" | awk -v tol="$3" '
	NF != 2 { print "line " NR ": not a pair" >"/dev/stderr"; bad++ }
	{ d = $1 - $2; if (d < 0) d = -d; if (d > tol) { print "line " NR ": " $1 " vs " $2 >"/dev/stderr"; bad++ } }
	END { exit bad > 0 || NR == 0 }'
}

TRAIN="dbv-train -q --epochs 2"
IDS="--ids 0,5,30 --ids 22,3,59 --ids 40,24,2"

test_expect_success 'fixtures and two tiny models' '
	mkfixtures fx &&
	dbv-load fashion-mnist --dir fx/fmnist -o train.dbv &&
	dbv-load fashion-mnist --dir fx/fmnist --split test -o test.dbv &&
	$TRAIN --arch mlp --width 8 -o mlp.dbv train.dbv &&
	$TRAIN --arch cnn5 --width 2 -o cnn5.dbv train.dbv
'

test_expect_success 'tvals reads tensors back as the writers wrote them' '
	mkpred --res 4 >q.dbv &&
	tvals pred labels q.dbv | paste -s -d" " - >got && echo "0 0 1 1 0 0 1 1 2 2 3 3 2 2 3 3" >want &&
	test_cmp want got &&
	tvals pred conf q.dbv | sort -u | paste -s -d" " - >got && echo "0.25 0.5 0.75 1" >want &&
	test_cmp want got &&
	tvals pred range q.dbv | paste -s -d" " - >got && echo "-1 9 -2 8" >want && test_cmp want got &&
	tvals pred idx q.dbv | paste -s -d" " - >got && echo "30 72 42" >want && test_cmp want got &&
	tvals batch x train.dbv >x1 && mkfixtures --extract x train.dbv | od -An -v -tu1 -w1 | tr -d " " >x2 &&
	test_cmp x2 x1 &&
	tvals batch idx train.dbv >got && seq 0 59 >want && test_cmp want got &&
	! tvals pred nothing q.dbv 2>/dev/null && ! tvals pred labels train.dbv 2>/dev/null
'

test_expect_success 'the pred stream: header, one record per plane with its keys' '
	dbv-plane $IDS --res 7 -o p7.dbv train.dbv &&
	dbv-predict --model mlp.dbv p7.dbv >f7.dbv &&
	dbv-inspect --summary f7.dbv | has "\"kind\":\"pred\"" &&
	dbv-inspect f7.dbv | tail -1 | has "\"counts\":{\"pred\":3}" &&
	header f7.dbv >h &&
	has "\"res\":7,\"range_l\":0.1,\"range_r\":0.1," <h && has "\"mode\":\"ids\"" <h &&
	has "\"input\":\"planes\",\"model\":{\"arch\":\"mlp\",\"width\":8,\"depth\":1,\"seed\":0,\"data_seed\":0,\"epochs\":2,\"n_train\":60,\"dataset\":\"fashion-mnist\"," <h &&
	has "\"file\":\"mlp.dbv\"},\"temp\":1,\"logits\":false}" <h &&
	has "\"dbv-predict --model mlp.dbv p7.dbv\"]" <h &&
	dbv-predict --model - p7.dbv <mlp.dbv >fm.dbv && tvals pred labels fm.dbv >a &&
	tvals pred labels f7.dbv >b && test_cmp a b && header fm.dbv | has "\"file\":\"-\"}" &&
	dbv-predict -m mlp.dbv <p7.dbv >fs.dbv && tvals pred labels fs.dbv >a && test_cmp a b &&
	dbv-inspect p7.dbv | grep "\"t\":\"plane\"" | sed "s/^{\"record\":[0-9]*,\"t\":\"plane\",\"seq\":[0-9]*,//" >a &&
	dbv-inspect f7.dbv | grep "\"t\":\"pred\"" | sed "s/^{\"record\":[0-9]*,\"t\":\"pred\",\"seq\":[0-9]*,//; s/,\"labels\":{[^}]*},\"conf\":{[^}]*}}\$/}/" >b &&
	test $(wc -l <a) = 3 && test_cmp a b &&
	dbv-inspect f7.dbv | grep "\"t\":\"pred\"" >recs &&
	tstat labels <recs | cut -d" " -f1,2 | sort -u >got && echo "u8 [7,7]" >want && test_cmp want got &&
	tstat conf <recs | cut -d" " -f1,2 | sort -u >got && echo "f32 [7,7]" >want && test_cmp want got &&
	tvals pred labels f7.dbv | awk "\$1 < 0 || \$1 > 9 { bad++ } END { exit bad > 0 || NR != 147 }" &&
	tvals pred conf f7.dbv | awk "\$1 < 0.1 || \$1 > 1 { bad++ } END { exit bad > 0 || NR != 147 }"
'

# fast_slow MODEL RES: dbv-predict over the planes (points made inside,
# --batch 1, 3 and the default) and over the same planes expanded by
# dbv-plane --expand (--batch 5 and the default) give the same labels,
# point for point; confidences agree to float rounding.
fast_slow() {
	dbv-plane $IDS --res $2 -o p.dbv train.dbv &&
	dbv-plane $IDS --res $2 --expand -o e.dbv train.dbv &&
	dbv-predict --model $1 e.dbv >s.dbv &&
	tvals pred labels s.dbv >slow && tvals pred conf s.dbv >slowc &&
	test $(wc -l <slow) = $((3 * $2 * $2)) &&
	dbv-predict --model $1 --batch 5 e.dbv >s5.dbv &&
	tvals pred labels s5.dbv >slow5 && test_cmp slow slow5 &&
	for b in 1 3 default; do
		opt="--batch $b" && test $b != default || opt=
		dbv-predict --model $1 $opt p.dbv >f.dbv &&
		tvals pred labels f.dbv >fast && test_cmp slow fast &&
		tvals pred conf f.dbv >fastc && near slowc fastc 1e-5 ||
		{ echo "$1 --res $2 --batch $b" >&2; return 1; }
	done
}

test_expect_success 'fast path = slow path: mlp, res 7 and 16, batch 1, 3, default' '
	fast_slow mlp.dbv 7 && sort -u slow >classes7 &&
	fast_slow mlp.dbv 16 && sort -u slow >classes16 &&
	test $(cat classes7 classes16 | sort -u | wc -l) -ge 3
'

test_expect_success 'fast path = slow path: cnn5, res 7 and 16, batch 1, 3, default' '
	fast_slow cnn5.dbv 7 && fast_slow cnn5.dbv 16 && test $(sort -u slow | wc -l) -ge 2
'

test_expect_success 'the comparison sees one changed label' '
	tvals pred labels f.dbv >one && test_cmp slow one &&
	awk "NR == 200 { \$1 = (\$1 + 1) % 10 } { print }" one >one.bad &&
	! cmp -s slow one.bad
'

test_expect_success '--temp changes the confidences, not the labels' '
	dbv-plane $IDS --res 16 -o p16.dbv train.dbv &&
	for t in 1 0.5 3; do
		dbv-predict --model mlp.dbv --temp $t p16.dbv >t$t.dbv &&
		tvals pred labels t$t.dbv >l$t && tvals pred conf t$t.dbv >c$t || exit 1
	done &&
	test_cmp l1 l0.5 && test_cmp l1 l3 &&
	! cmp -s c1 c0.5 && ! cmp -s c1 c3 &&
	paste c0.5 c1 c3 | awk "\$1 < \$2 - 1e-7 || \$3 > \$2 + 1e-7 || \$3 < 0.1 - 1e-7 { bad++ } END { exit bad > 0 }" &&
	header t3.dbv | has "\"temp\":3,\"logits\":false"
'

test_expect_success '--logits: [res,res,K], argmax = labels, conf = max softmax(logits/T)' '
	dbv-predict --model mlp.dbv --temp 2 --logits p16.dbv >lg.dbv &&
	header lg.dbv | has "\"temp\":2,\"logits\":true" &&
	dbv-inspect lg.dbv | grep "\"t\":\"pred\"" | tstat logits | cut -d" " -f1,2 | sort -u >got &&
	echo "f32 [16,16,10]" >want && test_cmp want got &&
	tvals pred labels lg.dbv >lgl && test_cmp l1 lgl &&
	dbv-predict --model mlp.dbv --temp 2 p16.dbv | tvals pred conf >c2 &&
	tvals pred conf lg.dbv >lgc && test_cmp c2 lgc &&
	tvals pred logits lg.dbv >z && test $(wc -l <z) = $((3 * 256 * 10)) &&
	awk -v T=2 "
		NR == FNR { z[NR - 1] = \$1; next }
		FILENAME == ARGV[2] { lab[FNR - 1] = \$1; next }
		{
			p = FNR - 1; b = 0
			for (c = 1; c < 10; c++) if (z[10 * p + c] > z[10 * p + b]) b = c
			s = 0
			for (c = 0; c < 10; c++) s += exp((z[10 * p + c] - z[10 * p + b]) / T)
			if (b != lab[p]) { print \"point \" p \": argmax \" b \", label \" lab[p] >\"/dev/stderr\"; bad++ }
			e = \$1 - 1 / s; if (e < 0) e = -e
			if (e > 1e-6) { print \"point \" p \": conf \" \$1 \" vs \" 1 / s >\"/dev/stderr\"; bad++ }
		}
		END { exit bad > 0 || FNR != 768 }" z lgl lgc
'

# acc_check PRED: the accuracy record of a dataset pred stream against
# the labels, y and y_true of its pred records.
acc_check() {
	tvals pred labels "$1" >al && tvals pred y "$1" >ay && tvals pred y_true "$1" >at &&
	dbv-inspect "$1" | grep "\"t\":\"accuracy\"" >acc && test $(wc -l <acc) = 1 &&
	sed "s/.*\"n\":\([0-9]*\),\"correct\":\([0-9]*\),\"correct_true\":\([0-9]*\),\"acc\":\([^,]*\),\"acc_true\":\([^}]*\)}/\1 \2 \3 \4 \5/" acc >nums &&
	paste al ay at | awk -v nums="$(cat nums)" "
		{ n++; c += \$1 == \$2; ct += \$1 == \$3 }
		END {
			split(nums, w, \" \")
			if (w[1] != n || w[2] != c || w[3] != ct) { print \"counts \" nums \" vs \" n, c, ct >\"/dev/stderr\"; exit 1 }
			d = w[4] - c / n; e = w[5] - ct / n
			if (d * d > 1e-16 || e * e > 1e-16) { print \"acc \" nums >\"/dev/stderr\"; exit 1 }
		}"
}

test_expect_success 'dataset input: a pred record per batch, then the accuracy' '
	dbv-load fashion-mnist --dir fx/fmnist --split test --batch 7 -o test7.dbv &&
	dbv-predict --model mlp.dbv test7.dbv >d.dbv &&
	dbv-inspect d.dbv | tail -1 | has "\"counts\":{\"pred\":5,\"accuracy\":1}" &&
	header d.dbv | has "\"input\":\"dataset\"" &&
	dbv-inspect d.dbv | grep "\"t\":\"pred\"" | tstat labels | cut -d" " -f1,2 >got &&
	printf "i32 [7]\ni32 [7]\ni32 [7]\ni32 [7]\ni32 [2]\n" >want && test_cmp want got &&
	tvals pred idx d.dbv >got && tvals batch idx test7.dbv >want && test_cmp want got &&
	tvals pred y d.dbv >got && tvals batch y test7.dbv >want && test_cmp want got &&
	acc_check d.dbv && test $(wc -l <al) = 30 &&
	dbv-predict --model mlp.dbv --batch 1 test.dbv >d1.dbv && tvals pred labels d1.dbv >got &&
	test_cmp al got && acc_check d1.dbv &&
	dbv-predict --model cnn5.dbv --batch 4 test7.dbv >dc.dbv && acc_check dc.dbv
'

test_expect_success 'dataset input with label noise: correct against y and against y_true' '
	dbv-load fashion-mnist --dir fx/fmnist --label-noise 0.5 --noise-seed 3 -o noisy.dbv &&
	dbv-predict --model mlp.dbv noisy.dbv >dn.dbv && acc_check dn.dbv &&
	paste ay at | awk "\$1 != \$2" | wc -l >moved && test $(cat moved) = 30 &&
	dbv-predict --model mlp.dbv train.dbv | tvals pred labels >lt && test_cmp lt al
'

test_expect_success 'an f32 dataset (expanded grid) predicts as in the planes stream' '
	dbv-plane --ids 0,5,30 --res 5 --expand train.dbv | dbv-predict --model mlp.dbv >ed.dbv &&
	dbv-inspect ed.dbv | grep "\"t\":\"accuracy\"" | has "\"n\":25,\"correct\":0,\"correct_true\":0,\"acc\":0,\"acc_true\":0}" &&
	dbv-plane --ids 0,5,30 --res 5 train.dbv | dbv-predict --model mlp.dbv | tvals pred labels >a &&
	tvals pred labels ed.dbv >b && test_cmp a b
'

test_expect_success 'refused: a model of another input shape, class count or normalisation' '
	printf "\0\0\10\3\0\0\0\2\0\0\0\2\0\0\0\2\1\2\3\4\5\6\7\10" >tiny.idx &&
	printf "\0\0\10\1\0\0\0\2\0\1" >tinyl.idx &&
	dbv-load --images tiny.idx --labels tinyl.idx -o tiny.dbv &&
	$TRAIN --arch mlp --width 8 -o tinym.dbv tiny.dbv &&
	test_must_fail 3 dbv-predict --model tinym.dbv p7.dbv &&
	grep -q "items are 1x28x28 but the model takes 1x2x2" .mf_err &&
	test_must_fail 3 dbv-predict --model tinym.dbv test.dbv &&
	dbv-load fashion-mnist --dir fx/fmnist --classes 0,1,2 -o c3.dbv &&
	$TRAIN --arch mlp --width 8 -o c3m.dbv c3.dbv &&
	test_must_fail 3 dbv-predict --model c3m.dbv p7.dbv &&
	grep -q "has 10 classes but the model has 3" .mf_err &&
	test_must_fail 3 dbv-predict --model c3m.dbv test.dbv &&
	dbv-load --images fx/fmnist-plain/t10k-images-idx3-ubyte --labels fx/fmnist-plain/t10k-labels-idx1-ubyte -o plain.dbv &&
	header plain.dbv | has "\"classes\":10," &&
	$TRAIN --arch mlp --width 8 -o plainm.dbv plain.dbv &&
	test_must_fail 3 dbv-predict --model plainm.dbv p7.dbv &&
	grep -q "normalisation .* differs from the model" .mf_err &&
	test_must_fail 3 dbv-predict --model plainm.dbv test.dbv &&
	test_must_fail 3 dbv-predict --model mlp.dbv -o never.dbv plain.dbv && ! test -e never.dbv
'

test_expect_success 'refused: input that is neither planes nor a dataset, bad models' '
	test_must_fail 3 dbv-predict --model mlp.dbv cnn5.dbv &&
	grep -q "expected a planes|dataset stream, got a model" .mf_err &&
	test_must_fail 3 dbv-predict --model mlp.dbv f7.dbv &&
	test_must_fail 2 dbv-predict p7.dbv && grep -q "model FILE is required" .mf_err &&
	test_must_fail 4 dbv-predict --model nowhere.dbv p7.dbv &&
	printf "not a stream" >junk && test_must_fail 3 dbv-predict --model junk p7.dbv &&
	test_must_fail 3 dbv-predict --model train.dbv p7.dbv &&
	grep -q "expected a model stream, got a dataset" .mf_err &&
	head -c 2000 mlp.dbv >cutm.dbv && test_must_fail 3 dbv-predict --model cutm.dbv p7.dbv &&
	test_must_fail 3 dbv-predict --model mlp.dbv </dev/null &&
	test_must_fail 3 dbv-predict --model mlp.dbv junk &&
	test_must_fail 4 dbv-predict --model mlp.dbv nowhere.dbv &&
	test_must_fail 4 dbv-predict --model mlp.dbv -o nowhere/x.dbv p7.dbv
'

test_expect_success 'usage errors exit 2' '
	test_must_fail 2 dbv-predict --model mlp.dbv --temp 0 p7.dbv &&
	test_must_fail 2 dbv-predict --model mlp.dbv --temp x p7.dbv &&
	test_must_fail 2 dbv-predict --model mlp.dbv --batch 0 p7.dbv &&
	test_must_fail 2 dbv-predict --model mlp.dbv --batch 65537 p7.dbv &&
	test_must_fail 2 dbv-predict --model mlp.dbv --threads 0 p7.dbv &&
	test_must_fail 2 dbv-predict --model mlp.dbv --bogus p7.dbv &&
	test_must_fail 2 dbv-predict --model mlp.dbv p7.dbv p7.dbv &&
	test_must_fail 2 dbv-predict --model &&
	dbv-predict --help | has "usage: dbv-predict" && dbv-predict --version | has "dbv-predict"
'

test_expect_success 'a truncated planes stream: exit 3, and downstream sees the error' '
	dbv-plane $IDS --res 16 -o p16.dbv train.dbv &&
	head -c 300 p16.dbv >cut0 &&
	test_must_fail 3 dbv-predict --model mlp.dbv cut0 && grep -q "truncated" .mf_err &&
	head -c $(($(wc -c <p16.dbv) - 3000)) p16.dbv >cut2 &&
	test_expect_code 3 dbv-predict --model mlp.dbv cut2 >out 2>err &&
	test $(wc -l <err) = 1 && grep -q "^dbv-predict: .*truncated" err &&
	test_expect_code 3 dbv-inspect out >/dev/null 2>ierr &&
	grep -q "dbv-predict failed: .*truncated" ierr &&
	dbv-inspect out 2>/dev/null | grep -c "\"t\":\"pred\"" >n && test $(cat n) = 2 &&
	{ dbv-predict --model mlp.dbv <cut2 2>/dev/null; echo $? >rc; } |
		test_expect_code 3 dbv-inspect >/dev/null 2>ierr &&
	test $(cat rc) = 3 && grep -q "dbv-predict failed" ierr &&
	test_must_fail 3 dbv-predict --model mlp.dbv -o cut.dbv cut2 && ! test -e cut.dbv &&
	! ls cut.dbv.tmp.* 2>/dev/null &&
	mkstream upstream-error >uerr.dbv && test_must_fail 3 dbv-predict --model tinym.dbv -o x.dbv uerr.dbv
'

# Non-finite outputs: an mlp trained with a learning rate just short of
# blowing up has huge weights; over planes 1000 times wider than their
# anchors its logits overflow.  Whether a given rate gets there depends
# on the arithmetic, so several are tried (the first model whose
# predictions fail is big.dbv), and the checks are skipped when none does.
test_expect_success 'non-finite outputs: look for a model that produces them' '
	dbv-plane --ids 0,5,30 --range 1000 --res 5 -o wide.dbv train.dbv &&
	for lr in 3 2.5 4 2 5; do
		dbv-train -q --arch mlp --width 8 --epochs 1 --batch 4 --lr $lr -o big.dbv train.dbv 2>/dev/null ||
			continue
		dbv-predict --model big.dbv -o /dev/null wide.dbv 2>/dev/null && continue
		echo $lr >nf-lr && break
	done
'
test_lazy_prereq NONFINITE 'test -s "$T/nf-lr"'

test_expect_success NONFINITE 'non-finite outputs: exit 5, and downstream sees the error' '
	test_must_fail 5 dbv-predict --model big.dbv -o nf.dbv wide.dbv &&
	grep -q "not finite" .mf_err && ! test -e nf.dbv &&
	{ dbv-predict --model big.dbv wide.dbv 2>/dev/null; echo $? >rc5; } |
		test_expect_code 3 dbv-inspect >/dev/null 2>ierr &&
	test $(cat rc5) = 5 && grep -q "dbv-predict failed: .*not finite" ierr
'

# (AddressSanitizer keeps freed memory in quarantine: RSS means nothing.)
test_expect_success TIME,!SANITIZED 'memory: 20 planes at res 200 take little more than 2' '
	dbv-plane --triplets 20 --seed 1 --res 200 -o m20.dbv train.dbv &&
	dbv-plane --triplets 2 --seed 1 --res 200 -o m2.dbv train.dbv &&
	/usr/bin/time -f %M -o rss2 dbv-predict --model mlp.dbv -o /dev/null m2.dbv &&
	/usr/bin/time -f %M -o rss20 dbv-predict --model mlp.dbv -o /dev/null m20.dbv &&
	/usr/bin/time -f %M -o rss20l dbv-predict --model mlp.dbv --logits -o /dev/null m20.dbv &&
	/usr/bin/time -f %M -o rss2l dbv-predict --model mlp.dbv --logits -o /dev/null m2.dbv &&
	echo "$(tail -1 rss2) $(tail -1 rss20) $(tail -1 rss2l) $(tail -1 rss20l)" >rss &&
	cat rss && awk "{ exit !(\$2 < 1.5 * \$1 + 10240 && \$4 < 1.5 * \$3 + 10240) }" rss
'

test_done
