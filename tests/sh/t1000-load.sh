#!/bin/sh
# t1000-load.sh - dbv-load on fixture files (tests/mkfixtures.c): every
# option, the bytes of images and labels against the files they came
# from, and every refusal (exit code, empty stdout, one-line stderr).
. "$(dirname "$0")/lib.sh"
unset DBV_DATA_DIR

# Decoders for raw little-endian data: one decimal value per line.
u8s() { od -An -v -tu1 -w1 | tr -d ' '; }
i32s() { od -An -v -td4 -w4 | tr -d ' '; }
i64s() { od -An -v -td8 -w8 | tr -d ' '; }
# The header line of a stream, as JSON.
header() { dbv-inspect --head 0 "$1" | head -1; }
# One meta value of a header line (arrays and scalars without commas).
meta() { header "$2" | sed -n "s/.*\"$1\":\(\[[^]]*\]\|[^,}]*\).*/\1/p"; }
has() { grep -F -q -e "$1" || { echo "missing: $1" >&2; return 1; }; }

FM=fx/fmnist
test_expect_success 'make fixtures' '
	mkfixtures fx &&
	mkfixtures --idx-data $FM/train-images-idx3-ubyte.gz >train-x.bin &&
	mkfixtures --idx-data $FM/train-labels-idx1-ubyte.gz | u8s >train-y.txt &&
	mkfixtures --idx-data $FM/t10k-images-idx3-ubyte.gz >test-x.bin &&
	mkfixtures --idx-data $FM/t10k-labels-idx1-ubyte.gz | u8s >test-y.txt &&
	test $(wc -c <train-x.bin) = 47040 && test $(wc -l <train-y.txt) = 60
'

test_expect_success 'named set from .gz files: images and labels byte for byte' '
	dbv-load fashion-mnist --dir $FM >train.dbv &&
	dbv-inspect --summary train.dbv >sum &&
	has "\"items\":60,\"item_shape\":[1,28,28],\"classes\":10" <sum &&
	has "\"class_names\":[\"T-shirt/top\",\"Trouser\",\"Pullover\",\"Dress\",\"Coat\",\"Sandal\",\"Shirt\",\"Sneaker\",\"Bag\",\"Ankle boot\"]" <sum &&
	has "\"dataset\":\"fashion-mnist\",\"split\":\"train\",\"n\":60,\"shape\":[1,28,28]" <sum &&
	has "\"label_noise\":0,\"noise_seed\":null,\"shuffle_seed\":null" <sum &&
	has "\"source\":[\"$FM/train-images-idx3-ubyte.gz\",\"$FM/train-labels-idx1-ubyte.gz\"]" <sum &&
	mkfixtures --extract x train.dbv >x.bin && test_cmp train-x.bin x.bin &&
	mkfixtures --extract y train.dbv | i32s >y.txt && test_cmp train-y.txt y.txt &&
	mkfixtures --extract y_true train.dbv | i32s >y.txt && test_cmp train-y.txt y.txt &&
	mkfixtures --extract idx train.dbv | i64s >idx.txt &&
	seq 0 59 >want && test_cmp want idx.txt
'

test_expect_success 'plain files give the same stream data' '
	dbv-load fashion-mnist --dir fx/fmnist-plain >plain.dbv &&
	mkfixtures --extract x plain.dbv >x.bin && test_cmp train-x.bin x.bin &&
	mkfixtures --extract y plain.dbv | i32s >y.txt && test_cmp train-y.txt y.txt &&
	meta source plain.dbv | has "fmnist-plain/train-images-idx3-ubyte\""
'

test_expect_success 'test split: its own data, the train split normalisation' '
	dbv-load fashion-mnist --dir $FM --split test >test.dbv &&
	mkfixtures --extract x test.dbv >x.bin && test_cmp test-x.bin x.bin &&
	mkfixtures --extract y test.dbv | i32s >y.txt && test_cmp test-y.txt y.txt &&
	test "$(meta split test.dbv)" = "\"test\"" &&
	test "$(meta n test.dbv)" = 30 &&
	meta mean train.dbv >m1 && meta mean test.dbv >m2 && test_cmp m1 m2 &&
	meta std train.dbv >s1 && meta std test.dbv >s2 && test_cmp s1 s2 &&
	test -s m1 && ! grep -q "^\[0\]$" m1
'

test_expect_success 'DBV_DATA_DIR names the parent of the data set directories' '
	mkdir -p root && ln -s ../fx/fmnist root/fashion-mnist &&
	DBV_DATA_DIR=$PWD/root dbv-load fashion-mnist --limit 4 >d.dbv &&
	meta source d.dbv | has "root/fashion-mnist/train-images-idx3-ubyte.gz"
'

test_expect_success '--images/--labels read IDX files directly' '
	dbv-load --images $FM/train-images-idx3-ubyte.gz \
		--labels fx/fmnist-plain/train-labels-idx1-ubyte >f.dbv &&
	mkfixtures --extract x f.dbv >x.bin && test_cmp train-x.bin x.bin &&
	mkfixtures --extract y f.dbv | i32s >y.txt && test_cmp train-y.txt y.txt &&
	test "$(meta dataset f.dbv)" = "\"idx\"" &&
	test "$(meta split f.dbv)" = "\"files\"" &&
	meta class_names f.dbv | has "[\"0\",\"1\",\"2\",\"3\",\"4\",\"5\",\"6\",\"7\",\"8\",\"9\"]"
'

test_expect_success '--offset and --limit cut a range' '
	dbv-load fashion-mnist --dir $FM --offset 10 --limit 5 >r.dbv &&
	mkfixtures --extract x r.dbv >x.bin &&
	tail -c +$((16 * 0 + 10 * 784 + 1)) train-x.bin | head -c $((5 * 784)) >want &&
	test_cmp want x.bin &&
	mkfixtures --extract idx r.dbv | i64s >idx.txt &&
	seq 10 14 >want && test_cmp want idx.txt &&
	test "$(meta n r.dbv)" = 5 &&
	dbv-load fashion-mnist --dir $FM --offset 55 >r2.dbv &&
	test "$(meta n r2.dbv)" = 5 &&
	dbv-load fashion-mnist --dir $FM --limit 60 >r3.dbv &&
	test "$(meta n r3.dbv)" = 60
'

test_expect_success '--shuffle: a seeded permutation that keeps items whole' '
	dbv-load fashion-mnist --dir $FM --shuffle --seed 5 >s5.dbv &&
	mkfixtures --extract idx s5.dbv | i64s >idx.txt &&
	sort -n idx.txt >sorted && seq 0 59 >want && test_cmp want sorted &&
	! cmp -s want idx.txt &&
	mkfixtures --extract y s5.dbv | i32s >y.txt &&
	awk "{ print \$1 % 10 }" idx.txt >want && test_cmp want y.txt &&
	mkfixtures --extract x s5.dbv >x.bin &&
	k=0 && for i in $(cat idx.txt); do
		tail -c +$((i * 784 + 1)) train-x.bin | head -c 784 >a &&
		tail -c +$((k * 784 + 1)) x.bin | head -c 784 >b &&
		cmp -s a b || { echo "item $k (idx $i) differs" >&2; exit 1; }
		k=$((k + 1))
	done &&
	test "$(meta shuffle_seed s5.dbv)" = 5 &&
	dbv-load fashion-mnist --dir $FM --shuffle --seed 5 >again.dbv &&
	mkfixtures --extract idx again.dbv | i64s >idx2.txt && test_cmp idx.txt idx2.txt &&
	dbv-load fashion-mnist --dir $FM --shuffle --seed 6 >s6.dbv &&
	mkfixtures --extract idx s6.dbv | i64s >idx3.txt && ! cmp -s idx.txt idx3.txt &&
	dbv-load fashion-mnist --dir $FM --shuffle >s0.dbv &&
	test "$(meta shuffle_seed s0.dbv)" = 0
'

test_expect_success '--shuffle then --offset/--limit take a slice of the permutation' '
	mkfixtures --extract idx s5.dbv | i64s | sed -n "21,30p" >want &&
	dbv-load fashion-mnist --dir $FM --shuffle --seed 5 --offset 20 --limit 10 >sl.dbv &&
	mkfixtures --extract idx sl.dbv | i64s >got && test_cmp want got
'

test_expect_success '--classes keeps listed classes, relabelled in list order' '
	dbv-load fashion-mnist --dir $FM --classes 3,1 >c.dbv &&
	test "$(meta n c.dbv)" = 12 && test "$(meta classes c.dbv)" = 2 &&
	meta class_names c.dbv | has "[\"Dress\",\"Trouser\"]" &&
	mkfixtures --extract idx c.dbv | i64s >idx.txt &&
	seq 0 59 | awk "\$1 % 10 == 1 || \$1 % 10 == 3" >want && test_cmp want idx.txt &&
	mkfixtures --extract y c.dbv | i32s >y.txt &&
	awk "{ print (\$1 % 10 == 3) ? 0 : 1 }" idx.txt >want && test_cmp want y.txt &&
	mkfixtures --extract y_true c.dbv | i32s >yt.txt && test_cmp want yt.txt
'

# Number of items whose y differs from y_true.
moved() {
	mkfixtures --extract y "$1" | i32s >m_y &&
	mkfixtures --extract y_true "$1" | i32s >m_t &&
	paste m_y m_t | awk "\$1 != \$2 { n++ } END { print n + 0 }"
}

test_expect_success '--label-noise moves exactly round(p*n_c) labels per class' '
	dbv-load fashion-mnist --dir $FM --label-noise 0.5 --noise-seed 3 >n.dbv &&
	test "$(moved n.dbv)" = 30 &&
	paste m_y m_t | awk "\$1 != \$2 { c[\$2]++ } END { for (k = 0; k < 10; k++) if (c[k] != 3) exit 1 }" &&
	mkfixtures --extract y_true n.dbv | i32s >yt.txt && test_cmp train-y.txt yt.txt &&
	test "$(meta label_noise n.dbv)" = 0.5 && test "$(meta noise_seed n.dbv)" = 3 &&
	dbv-load fashion-mnist --dir $FM --label-noise 0.5 --noise-seed 3 >n2.dbv &&
	cmp n.dbv n2.dbv &&
	dbv-load fashion-mnist --dir $FM --label-noise 0.5 --noise-seed 4 >n3.dbv &&
	! cmp -s n.dbv n3.dbv &&
	dbv-load fashion-mnist --dir $FM --label-noise 0.25 >n4.dbv &&
	test "$(moved n4.dbv)" = 20 && test "$(meta noise_seed n4.dbv)" = 0
'

test_expect_success 'label noise applies to the subset after --classes and --limit' '
	dbv-load fashion-mnist --dir $FM --classes 0,1,2 --label-noise 0.34 >a.dbv &&
	test "$(moved a.dbv)" = 6 &&
	mkfixtures --extract y a.dbv | i32s | sort -u >labs && seq 0 2 >want &&
	test_cmp want labs &&
	dbv-load fashion-mnist --dir $FM --limit 20 --label-noise 0.5 >b.dbv &&
	test "$(moved b.dbv)" = 10
'

test_expect_success '--batch sets items per record; default is one record here' '
	dbv-load fashion-mnist --dir $FM --batch 7 >b7.dbv &&
	dbv-inspect --summary b7.dbv | has "\"records\":9,\"items\":60" &&
	mkfixtures --extract x b7.dbv >x.bin && test_cmp train-x.bin x.bin &&
	dbv-inspect b7.dbv | sed -n 9,10p | has "\"x\":{\"dtype\":\"u8\",\"shape\":[4,1,28,28]" &&
	dbv-inspect --summary train.dbv | has "\"records\":1,\"items\":60" &&
	dbv-load fashion-mnist --dir $FM --batch 100000 >big.dbv &&
	dbv-inspect --summary big.dbv | has "\"records\":1,"
'

test_expect_success 'the header records the command line as typed' '
	dbv-load --limit 3 fashion-mnist --dir $FM >h.dbv &&
	header h.dbv | has "\"pipeline\":[\"dbv-load --limit 3 fashion-mnist --dir $FM\"]"
'

test_expect_success 'CIFAR-10 directory and explicit files' '
	C=fx/cifar10 &&
	dbv-load cifar10 --dir $C >c10.dbv &&
	dbv-inspect --summary c10.dbv >sum &&
	has "\"items\":20,\"item_shape\":[3,32,32],\"classes\":10" <sum &&
	has "\"class_names\":[\"airplane\",\"automobile\",\"bird\",\"cat\",\"deer\",\"dog\",\"frog\",\"horse\",\"ship\",\"truck\"]" <sum &&
	mkfixtures --cifar-data 1 $C/data_batch_1.bin $C/data_batch_2.bin \
		$C/data_batch_3.bin $C/data_batch_4.bin $C/data_batch_5.bin >want.bin &&
	mkfixtures --extract x c10.dbv >x.bin && test_cmp want.bin x.bin &&
	mkfixtures --cifar-labels 1 $C/data_batch_1.bin $C/data_batch_2.bin \
		$C/data_batch_3.bin $C/data_batch_4.bin $C/data_batch_5.bin | u8s >want &&
	mkfixtures --extract y c10.dbv | i32s >y.txt && test_cmp want y.txt &&
	test "$(meta mean c10.dbv | tr -cd , | wc -c)" = 2 &&
	dbv-load cifar10 --dir $C --split test >c10t.dbv &&
	mkfixtures --cifar-data 1 $C/test_batch.bin >want.bin &&
	mkfixtures --extract x c10t.dbv >x.bin && test_cmp want.bin x.bin &&
	meta mean c10.dbv >m1 && meta mean c10t.dbv >m2 && test_cmp m1 m2 &&
	dbv-load --cifar10 $C/data_batch_2.bin $C/test_batch.bin >ce.dbv &&
	test "$(meta n ce.dbv)" = 14 && test "$(meta split ce.dbv)" = "\"files\"" &&
	mkfixtures --cifar-data 1 $C/data_batch_2.bin $C/test_batch.bin >want.bin &&
	mkfixtures --extract x ce.dbv >x.bin && test_cmp want.bin x.bin
'

test_expect_success 'CIFAR-100: fine labels and their names' '
	C=fx/cifar100 &&
	dbv-load cifar100 --dir $C >c100.dbv &&
	dbv-inspect --summary c100.dbv | has "\"items\":25,\"item_shape\":[3,32,32],\"classes\":100" &&
	meta class_names c100.dbv | has "[\"apple\",\"aquarium_fish\",\"baby\"," &&
	meta class_names c100.dbv | has ",\"wolf\",\"woman\",\"worm\"]" &&
	mkfixtures --cifar-labels 2 $C/train.bin | u8s >want &&
	mkfixtures --extract y c100.dbv | i32s >y.txt && test_cmp want y.txt &&
	mkfixtures --cifar-data 2 $C/train.bin >want.bin &&
	mkfixtures --extract x c100.dbv >x.bin && test_cmp want.bin x.bin &&
	dbv-load --cifar100 $C/test.bin --classes 36,3 --shuffle --seed 1 >cc.dbv &&
	meta class_names cc.dbv | has "[\"hamster\",\"bear\"]"
'

test_expect_success '-o writes a file and nothing to stdout; a failure leaves none' '
	dbv-load fashion-mnist --dir $FM -o out.dbv >stdout &&
	test ! -s stdout &&
	mkfixtures --extract x out.dbv >x.bin && test_cmp train-x.bin x.bin &&
	test_must_fail 4 dbv-load fashion-mnist --dir nowhere -o fail.dbv &&
	test_must_fail 2 dbv-load fashion-mnist --dir $FM --limit 61 -o fail.dbv &&
	test ! -e fail.dbv && ! ls fail.dbv.tmp.* 2>/dev/null
'

test_expect_success '--help and --version' '
	dbv-load --help >help && has "usage: dbv-load NAME" <help &&
	has "--label-noise P" <help &&
	dbv-load -h | has "--batch N" &&
	dbv-load --version | has "dbv-load (dbv)"
'

test_expect_success 'usage errors exit 2' '
	test_must_fail 2 dbv-load &&
	test_must_fail 2 dbv-load svhn &&
	test_must_fail 2 dbv-load fashion-mnist mnist &&
	test_must_fail 2 dbv-load fashion-mnist --bogus &&
	test_must_fail 2 dbv-load fashion-mnist --dir $FM --limit &&
	test_must_fail 2 dbv-load fashion-mnist --dir $FM --limit 0 &&
	test_must_fail 2 dbv-load fashion-mnist --dir $FM --limit x &&
	test_must_fail 2 dbv-load fashion-mnist --dir $FM --limit 61 &&
	test_must_fail 2 dbv-load fashion-mnist --dir $FM --offset 60 &&
	test_must_fail 2 dbv-load fashion-mnist --dir $FM --offset 50 --limit 11 &&
	test_must_fail 2 dbv-load fashion-mnist --dir $FM --offset -1 &&
	test_must_fail 2 dbv-load fashion-mnist --dir $FM --split val &&
	test_must_fail 2 dbv-load fashion-mnist --dir $FM --classes 10 &&
	test_must_fail 2 dbv-load fashion-mnist --dir $FM --classes 1,1 &&
	test_must_fail 2 dbv-load fashion-mnist --dir $FM --classes 1,,2 &&
	test_must_fail 2 dbv-load fashion-mnist --dir $FM --classes -1 &&
	test_must_fail 2 dbv-load fashion-mnist --dir $FM --label-noise 1 &&
	test_must_fail 2 dbv-load fashion-mnist --dir $FM --label-noise -0.1 &&
	test_must_fail 2 dbv-load fashion-mnist --dir $FM --label-noise nan &&
	test_must_fail 2 dbv-load fashion-mnist --dir $FM --noise-seed 1 &&
	test_must_fail 2 dbv-load fashion-mnist --dir $FM --seed 1 &&
	test_must_fail 2 dbv-load fashion-mnist --dir $FM --shuffle --seed -1 &&
	test_must_fail 2 dbv-load fashion-mnist --dir $FM --batch 0 &&
	test_must_fail 2 dbv-load fashion-mnist --dir $FM --classes 0 --label-noise 0.1 &&
	test_must_fail 2 dbv-load --images $FM/train-images-idx3-ubyte.gz &&
	test_must_fail 2 dbv-load --images a --labels b extra &&
	test_must_fail 2 dbv-load --images a --labels b --dir $FM &&
	test_must_fail 2 dbv-load --cifar10 &&
	test_must_fail 2 dbv-load --cifar10 --cifar100 x &&
	test_must_fail 2 dbv-load --cifar10 x --split test &&
	test_must_fail 2 dbv-load --cifar10 --images a --labels b x
'

B=fx/bad
GI=$B/good-images10
GL=$B/good-labels10
test_expect_success 'the good 10-item pair loads (the broken ones pair with it)' '
	dbv-load --images $GI --labels $GL >g.dbv &&
	dbv-load --images $GI --labels $GL.gz >g2.dbv &&
	test "$(meta n g.dbv)" = 10
'

# refused CODE WORDS ARGS...: exit CODE, empty stdout, one line naming
# the problem (WORDS must appear in it).
refused() {
	code=$1 words=$2; shift 2
	test_must_fail "$code" dbv-load "$@" &&
	grep -F -q -e "dbv-load: error: " "$T/.mf_err" &&
	grep -F -q -e "$words" "$T/.mf_err" ||
	{ echo "message lacks '$words':" >&2; cat "$T/.mf_err" >&2; return 1; }
}

test_expect_success 'broken IDX files are refused with exit 3' '
	refused 3 "not an IDX file" --images $B/bad-magic --labels $GL &&
	refused 3 "element type 0x0d" --images $B/bad-type --labels $GL &&
	refused 3 "2 dimensions" --images $B/bad-ndim --labels $GL &&
	refused 3 "label file, not an image" --images $GL --labels $GL &&
	refused 3 "image file, not a label" --images $GI --labels $GI &&
	refused 3 "truncated IDX header" --images $B/short-header --labels $GL &&
	refused 3 "truncated IDX header" --images $B/short-header.gz --labels $GL &&
	refused 3 "is empty" --images $B/empty --labels $GL &&
	refused 3 "zero dimension" --images $B/zero-dim --labels $GL &&
	refused 3 "4 GiB" --images $B/huge-dims --labels $GL &&
	refused 3 "4 GiB" --images $B/huge-dims.gz --labels $GL &&
	refused 3 "$B/trunc-data'"'"': truncated: header declares 10 images of 28x28 but the file ends after 3 images" \
		--images $B/trunc-data --labels $GL &&
	refused 3 "ends after 3 images" --images $B/trunc-data.gz --labels $GL &&
	refused 3 "truncated" --images $B/cut.gz --labels $GL &&
	refused 3 "corrupt gzip data" --images $B/corrupt.gz --labels $GL &&
	refused 3 "unexpected data" --images $B/extra-data --labels $GL &&
	refused 3 "holds 9 labels" --images $GI --labels $B/labels9 &&
	refused 3 "label 10 of item 4" --images $GI --labels $B/label-range &&
	refused 3 "ends after 2 images" --images $B/huge-declared.gz --labels $B/labels5m.gz
'

test_expect_success ULIMIT_V 'a tiny .gz declaring 3.9 GB fails without allocating it' '
	test_expect_code 3 sh -c "ulimit -v 1000000 && exec dbv-load --images $B/huge-declared.gz \
		--labels $B/labels5m.gz" >o 2>e &&
	grep -q "ends after 2 images" e
'

test_expect_success 'broken CIFAR files are refused with exit 3' '
	refused 3 "not a multiple of the CIFAR-10 record size 3073" --cifar10 $B/cifar10-size.bin &&
	refused 3 "record 1 has label 10" --cifar10 $B/cifar10-label.bin &&
	refused 3 "is empty" --cifar10 $B/cifar-empty.bin &&
	refused 3 "record 1 has label 100" --cifar100 $B/cifar100-label.bin &&
	refused 3 "coarse label 20" --cifar100 $B/cifar100-coarse.bin &&
	refused 3 "a CIFAR-10 file?" --cifar100 fx/cifar10/test_batch.bin &&
	refused 3 "a CIFAR-100 file?" --cifar10 fx/cifar100/test.bin
'

test_expect_success 'missing files and directories exit 4 and say which' '
	refused 4 "cannot open '"'"'$B/nonexistent'"'"'" --images $B/nonexistent --labels $GL &&
	refused 4 "is a directory" --images $B --labels $GL &&
	refused 4 "$B/none.bin" --cifar10 $B/none.bin &&
	refused 4 "data set directory '"'"'nowhere'"'"' does not exist" fashion-mnist --dir nowhere &&
	refused 4 "apt-get install dataset-fashion-mnist" fashion-mnist --dir nowhere &&
	refused 4 "train-images-idx3-ubyte" mnist --dir fx/cifar10 &&
	refused 4 "data_batch_1.bin" cifar10 --dir $FM &&
	refused 4 "test.bin" cifar100 --dir $FM --split test &&
	test_must_fail 4 env DBV_DATA_DIR=$PWD/nowhere dbv-load mnist &&
	grep -q "nowhere/mnist" "$T/.mf_err"
'

test_expect_success FASHION_MNIST 'the installed Fashion-MNIST test split' '
	dbv-load fashion-mnist --split test | dbv-inspect --summary >sum &&
	has "\"items\":10000,\"item_shape\":[1,28,28],\"classes\":10" <sum
'

test_done
