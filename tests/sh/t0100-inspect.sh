#!/bin/sh
# dbv-inspect and the conventions every tool shares: help, version, usage
# errors, refused input, atomic -o, closed pipes, concatenated streams;
# dbv-inspect --values against values known from the input (the IDX
# pixels written here) or read back by tvals (tests/sh/tvals.sh).
. "$(dirname "$0")/lib.sh"
. "$SRCDIR/tests/sh/tvals.sh"

# A tiny IDX pair written here with printf: 3 images of 2x2, labels 0 1 2.
printf '\0\0\10\3\0\0\0\3\0\0\0\2\0\0\0\2\1\2\3\4\5\6\7\10\11\12\13\14' >img.idx
printf '\0\0\10\1\0\0\0\3\0\1\2' >lab.idx
# A larger set: 3000 images of 28x28 zeros, all labelled 1 (2.3 MB).
{ printf '\0\0\10\3\0\0\13\270\0\0\0\34\0\0\0\34'; head -c 2352000 /dev/zero; } >big.idx
{ printf '\0\0\10\1\0\0\13\270'; head -c 3000 /dev/zero | tr '\0' '\1'; } >bigl.idx

test_expect_success 'help goes to stdout, exit 0' '
	dbv-inspect --help >out && grep -q "^usage: dbv-inspect" out &&
	dbv-load -h >out && grep -q "^usage: dbv-load" out
'
test_expect_success 'version names dbv, BLAS core, msgpack-c, libpng' '
	dbv-inspect --version >out &&
	grep -q "^dbv-inspect (dbv) " out && grep -q "^BLAS: OpenBLAS .*core" out &&
	grep -q "^Convolution: .*sgemm" out &&
	grep -q "msgpack-c .*libpng .*zlib" out
'
test_expect_success 'unknown option and bad numbers are usage errors' '
	test_must_fail 2 dbv-inspect --bogus &&
	test_must_fail 2 dbv-inspect --head x &&
	test_must_fail 2 dbv-inspect --head -1 &&
	test_must_fail 2 dbv-inspect a b &&
	test_must_fail 2 dbv-load --images img.idx --labels lab.idx --batch 0 &&
	test_must_fail 2 dbv-load --images img.idx --labels lab.idx --limit 1e3 &&
	grep -q "dbv-load: error: " .mf_err
'
test_expect_success 'a stream round-trips through the tools' '
	dbv-load --images img.idx --labels lab.idx -o s.dbv &&
	dbv-inspect --summary s.dbv >sum &&
	grep -q "\"items\":3,\"item_shape\":\[1,2,2\]" sum &&
	grep -q "\"x\":{\"dtype\":\"u8\",\"shape\":\[3,1,2,2\],\"min\":1,\"max\":12,\"mean\":6.5}" sum &&
	dbv-inspect <s.dbv >lines && test $(wc -l <lines) = 3 &&
	head -1 lines | grep -q "\"record\":0,\"t\":\"dbv\",\"v\":\[1,1\],\"kind\":\"dataset\",\"tool\":\"dbv-load\"" &&
	head -1 lines | grep -q "\"pipeline\":\[\"dbv-load --images img.idx --labels lab.idx -o s.dbv\"\]" &&
	tail -1 lines | grep -q "\"t\":\"end\",\"records\":1"
'
test_expect_success '--head N prints N records but checks them all' '
	dbv-load --images img.idx --labels lab.idx --batch 1 -o s1.dbv &&
	dbv-inspect --head 1 s1.dbv >lines && test $(wc -l <lines) = 3 &&
	tail -1 lines | grep -q "\"records\":3"
'
test_expect_success 'concatenated streams are read one after the other' '
	cat s.dbv s1.dbv | dbv-inspect --summary >sum && test $(wc -l <sum) = 2
'
test_expect_success '--values prints the pixels the IDX file holds, row by row' '
	# Pixels 1..12 in 3 items of 1x2x2, in batches of 2 and 1.
	dbv-load --images img.idx --labels lab.idx --batch 2 -o v.dbv &&
	dbv-inspect --values x v.dbv >vals && test $(wc -l <vals) = 2 &&
	head -1 vals | grep -q "^{\"record\":1,\"t\":\"batch\",\"seq\":1,\"x\":{\"dtype\":\"u8\",\"shape\":\[2,1,2,2\],\"rows\":\[0,2\],\"values\":\[\[\[\[1,2\],\[3,4\]\]\],\[\[\[5,6\],\[7,8\]\]\]\]},\"y\":{" &&
	tail -1 vals | grep -q "\"x\":{\"dtype\":\"u8\",\"shape\":\[1,1,2,2\],\"rows\":\[2,3\],\"values\":\[\[\[\[9,10\],\[11,12\]\]\]\]}" &&
	dbv-inspect --values "x[2]" v.dbv >one && test $(wc -l <one) = 1 &&
	grep -q "^{\"record\":2,.*\"rows\":\[2,3\],\"values\":\[\[\[\[9,10\],\[11,12\]\]\]\]}" one &&
	dbv-inspect --values "y[1:3]" v.dbv >ys &&
	grep -q "\"y\":{\"dtype\":\"i32\",\"shape\":\[1\],\"rows\":\[1,2\],\"values\":\[1\]}" ys &&
	grep -q "\"y\":{\"dtype\":\"i32\",\"shape\":\[1\],\"rows\":\[2,3\],\"values\":\[2\]}" ys &&
	dbv-inspect --values "x[:1]" v.dbv | grep -c "\"rows\":\[0,1\],\"values\":\[\[\[\[1,2\],\[3,4\]\]\]\]" >n &&
	test $(cat n) = 1 &&
	dbv-inspect --values "x[1:]" v.dbv | grep -c "\"rows\"" >n && test $(cat n) = 2
'
test_expect_success JQ '--values for jq: every element, f32 and NaN as dbv-inspect prints them' '
	dbv-inspect --values "x[0:3]" v.dbv | jq -c "[.x.values[] | flatten[]]" | jq -sc "add" >got &&
	echo "[1,2,3,4,5,6,7,8,9,10,11,12]" >want && test_cmp want got &&
	mkstream f32-nan >nan.dbv &&
	dbv-inspect --values x nan.dbv | jq -r ".x.values | flatten[]" >got &&
	tvals batch x nan.dbv | sed "s/^nan$/NaN/" >want && test_cmp want got &&
	grep -qx NaN got &&
	mkstream model mlp 4 1 2 2 3 >m.dbv &&
	dbv-inspect --values value m.dbv | jq -r ".value.values | flatten[]" |
		awk "{ printf \"%.9g\\n\", \$1 }" >got &&
	tvals param value m.dbv >want && test_cmp want got &&
	dbv-inspect --values value m.dbv | jq -r ".name" >names &&
	test $(wc -l <names) = $(dbv-inspect --summary m.dbv | jq .records) &&
	dbv-inspect --values "value[4]" m.dbv | jq -c "[.name, .value.rows]" >got &&
	echo "[\"hidden.0.bias\",[4,5]]" >want && test_cmp want got
'
test_expect_success '--values refuses rows that are not there, and bad selections' '
	test_must_fail 2 dbv-inspect --values "x[3]" v.dbv &&
	grep -q "the stream holds 3 rows of x, numbered from 0" .mf_err &&
	test_must_fail 2 dbv-inspect --values "x[1:4]" v.dbv &&
	test_must_fail 2 dbv-inspect --values "x[3:]" v.dbv &&
	test_must_fail 2 dbv-inspect --values "x[2:2]" v.dbv &&
	grep -q "empty range" .mf_err &&
	test_must_fail 2 dbv-inspect --values "x[-1]" v.dbv &&
	test_must_fail 2 dbv-inspect --values "x[1" v.dbv &&
	test_must_fail 2 dbv-inspect --values "x[a:b]" v.dbv &&
	test_must_fail 2 dbv-inspect --values "[0]" v.dbv &&
	test_must_fail 2 dbv-inspect --values pixels v.dbv &&
	grep -q "no record holds a tensor pixels" .mf_err &&
	test_must_fail 2 dbv-inspect --values t v.dbv &&
	grep -q "not a tensor" .mf_err &&
	test_must_fail 2 dbv-inspect --values x --summary v.dbv &&
	test_must_fail 2 dbv-inspect --values x --head 1 v.dbv
'
test_expect_success '--values prints nothing of a broken stream' '
	head -c $(($(wc -c <v.dbv) - 20)) v.dbv >cutv &&
	test_must_fail 3 dbv-inspect --values x cutv
'
test_expect_success 'not a stream: empty, text, PNG, IDX' '
	: >empty && test_must_fail 3 dbv-inspect empty &&
	grep -q "empty input" .mf_err &&
	echo hello >text && test_must_fail 3 dbv-inspect text &&
	grep -q "not a dbv stream (it looks like text)" .mf_err &&
	printf "\211PNG\r\n\032\n\0\0\0\rIHDR" >x.png && test_must_fail 3 dbv-inspect --summary <x.png &&
	grep -q "PNG image" .mf_err &&
	test_must_fail 3 dbv-inspect img.idx && grep -q "IDX file" .mf_err
'
test_expect_success 'streams the fuzzers found are refused (exit 3, one line)' '
	for f in "$SRCDIR"/tests/fixtures/bad-streams/*; do
		test_must_fail 3 dbv-inspect --summary "$f" || exit 1
	done
'
test_expect_success 'every truncation of a stream is refused (summary prints nothing)' '
	size=$(wc -c <s1.dbv) && i=0 &&
	while [ $i -lt $size ]; do
		head -c $i s1.dbv >cut && test_must_fail 3 dbv-inspect --summary cut || exit 1
		i=$((i + 7))
	done
'
test_expect_success 'a flipped byte in a tensor payload fails the CRC' '
	# The 12 pixel bytes 01..0c are the only run of that shape; flip the 6th.
	off=$(od -An -v -tx1 s.dbv | tr -s " \n" "  " | sed "s/^ //" |
	      awk "{for(i=1;i<=NF;i++) if(\$i==\"01\" && \$(i+1)==\"02\" && \$(i+2)==\"03\") {print i-1; exit}}") &&
	test -n "$off" &&
	head -c $((off + 5)) s.dbv >bad && printf "\377" >>bad &&
	tail -c +$((off + 7)) s.dbv >>bad &&
	test $(wc -c <bad) = $(wc -c <s.dbv) &&
	test_must_fail 3 dbv-inspect --summary bad && grep -q "CRC mismatch" .mf_err
'
test_expect_success 'a failed run leaves no -o file behind' '
	test_must_fail 3 dbv-load --images lab.idx --labels lab.idx -o gone.dbv &&
	! test -e gone.dbv && test -z "$(ls | grep "gone.dbv")"
'
test_expect_success '-o to a device, FIFO or link writes through it' '
	dbv-load --images img.idx --labels lab.idx -o /dev/null && test -c /dev/null &&
	mkfifo fifo && { dbv-inspect --summary fifo >fifo.out & } &&
	dbv-load --images img.idx --labels lab.idx -o fifo && wait &&
	grep -q "\"items\":3" fifo.out && test -p fifo &&
	ln -s target.dbv link.dbv && dbv-load --images img.idx --labels lab.idx -o link.dbv &&
	test -L link.dbv && dbv-inspect --summary target.dbv >/dev/null
'
test_expect_success 'an unwritable -o path is an I/O error' '
	test_must_fail 4 dbv-load --images img.idx --labels lab.idx -o no/such/dir/x.dbv
'
test_expect_success 'a closed pipe ends a tool quietly' '
	{ dbv-load --images big.idx --labels bigl.idx --batch 10 2>err; echo $? >rc; } | head -c 100 >/dev/null &&
	test ! -s err && { test $(cat rc) = 0 || test $(cat rc) = 141; }
'
test_expect_success 'records over --max-record are refused' '
	dbv-load --images big.idx --labels bigl.idx -o big.dbv &&
	dbv-inspect --summary big.dbv >/dev/null &&
	test_must_fail 3 dbv-inspect --summary --max-record 100000 big.dbv &&
	grep -q "larger than the limit of 100000 bytes" .mf_err
'
test_expect_success SCRIPT 'a binary stream is not written to a terminal' '
	test_expect_code 2 script -qec "dbv-load --images $T/img.idx --labels $T/lab.idx" /dev/null >tty.out 2>&1 &&
	grep -q "refusing to write a binary stream to a terminal" tty.out
'
test_done
