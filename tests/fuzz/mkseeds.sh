#!/bin/sh
# tests/fuzz/mkseeds.sh - (re)write the fuzzers' seed inputs.
#
#   sh tests/fuzz/mkseeds.sh [SEEDDIR]        (default tests/fuzz/seeds)
#
# Run from the repository root.  The seeds are committed; this script says
# how they were made and remakes them when the formats change.  Each seed
# stays under 10 KB so that libFuzzer mutates it whole (make fuzz runs
# with -max_len=65536).
#
#   fuzz_stream/  dbv streams written by lib/stream/stream.c's writer (a small C
#                 program below, built against lib/stream/stream.c + lib/base/util.c):
#                 a dataset, every dtype, nested values, two streams back
#                 to back, an error trailer, no records.
#   fuzz_idx/     2 bytes big-endian N, then N bytes of IDX images, then
#                 the IDX labels (the split fuzz_idx.c makes): plain, gzip
#                 and mixed pairs.
#   fuzz_cifar/   2 bytes big-endian N, then N bytes of CIFAR file A, then
#                 file B (fuzz_cifar.c loads A, then A and B): CIFAR-10 and
#                 CIFAR-100 records.
set -eu
out=${1:-tests/fuzz/seeds}
CC=${CC:-cc}
tmp=$(mktemp -d "${TMPDIR:-/tmp}/dbv-mkseeds.XXXXXX")
trap 'rm -rf "$tmp"' EXIT INT TERM
mkdir -p "$out/fuzz_stream" "$out/fuzz_idx" "$out/fuzz_cifar"

# ---- byte helpers (octal escapes: portable printf) ----
# u8 V...: each value as one byte
u8() {
	for v in "$@"; do printf "\\$(printf %03o "$v")"; done
}
be16() { u8 $(($1 >> 8 & 255)) $(($1 & 255)); }
be32() { u8 $(($1 >> 24 & 255)) $(($1 >> 16 & 255)) $(($1 >> 8 & 255)) $(($1 & 255)); }
# pattern N SEED: N bytes (i*7 + SEED) & 255 (awk: one process, not N;
# the C locale makes %c write one byte, not a UTF-8 sequence)
pattern() {
	LC_ALL=C awk -v n="$1" -v s="$2" \
		'BEGIN { for (i = 0; i < n; i++) printf "%c", (i * 7 + s) % 256 }'
}
# labels N MOD: N bytes i % MOD
labels() {
	LC_ALL=C awk -v n="$1" -v m="$2" \
		'BEGIN { for (i = 0; i < n; i++) printf "%c", i % m }'
}
# split A B > OUT: the two-file framing of fuzz_idx.c / fuzz_cifar.c
split2() {
	be16 "$(wc -c <"$1")"
	cat "$1" "$2"
}

# ---- IDX ----
idx_images() { # N ROWS COLS SEED
	u8 0 0 8 3; be32 "$1"; be32 "$2"; be32 "$3"
	pattern $(($1 * $2 * $3)) "$4"
}
idx_labels() { # N
	u8 0 0 8 1; be32 "$1"
	labels "$1" 10
}
idx_images 3 2 2 1 >"$tmp/i3"
idx_labels 3 >"$tmp/l3"
idx_images 10 4 3 5 >"$tmp/i10"
idx_labels 10 >"$tmp/l10"
gzip -9n <"$tmp/i10" >"$tmp/i10.gz"
gzip -9n <"$tmp/l10" >"$tmp/l10.gz"
split2 "$tmp/i3" "$tmp/l3" >"$out/fuzz_idx/plain-3x2x2"
split2 "$tmp/i10.gz" "$tmp/l10.gz" >"$out/fuzz_idx/gzip-10x4x3"
split2 "$tmp/i10.gz" "$tmp/l10" >"$out/fuzz_idx/gzip-images-plain-labels"
# A label file given as images: a refusal the fuzzer can mutate from.
split2 "$tmp/l3" "$tmp/i3" >"$out/fuzz_idx/swapped"

# ---- CIFAR ----
cifar_rec() { # LABEL... (1 or 2 bytes) then SEED
	n=$#
	eval seed=\${$n}
	i=1
	for v in "$@"; do [ $i -lt $n ] && u8 "$v"; i=$((i + 1)); done
	pattern 3072 "$seed"
}
cifar_rec 3 1 >"$tmp/c10a"
cifar_rec 9 2 >"$tmp/c10b"
cifar_rec 4 23 3 >"$tmp/c100a"
: >"$tmp/empty"
split2 "$tmp/c10a" "$tmp/empty" >"$out/fuzz_cifar/cifar10-1"
split2 "$tmp/c10a" "$tmp/c10b" >"$out/fuzz_cifar/cifar10-1+1"
split2 "$tmp/c100a" "$tmp/empty" >"$out/fuzz_cifar/cifar100-1"

# ---- streams ----
cat >"$tmp/gen.c" <<'EOF'
/* Write the stream seeds with dbv's own writer. */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "dbv.h"

static char *argv0[] = {"dbv-load", "--images", "i", "--labels", "l", NULL};

static struct dbv_writer *open_w(const char *dir, const char *name, int append)
{
	char path[4096];
	snprintf(path, sizeof path, "%s/%s", dir, name);
	int fd = open(path, O_WRONLY | O_CREAT | (append ? O_APPEND : O_TRUNC), 0644);
	struct dbv_writer *w = fd < 0 ? NULL : dbv_writer_new(fd, "dbv-load");
	if (!w) {
		perror(path);
		exit(1);
	}
	return w;
}

static void done(struct dbv_writer *w, int fail)
{
	int rc = fail ? dbv_writer_fail(w, "cannot read 'x': I/O error")
		      : dbv_writer_finish(w);
	if (rc && !fail) {
		fprintf(stderr, "gen: %s\n", dbv_errmsg());
		exit(1);
	}
	dbv_writer_free(w);
}

/* A dataset stream: meta like dbv-load's, nb batch records of 2 items. */
static void dataset(struct dbv_writer *w, const char *kind, int nb)
{
	char *names[] = {"zero", "one", "two"};
	double mean[1] = {0.5}, std[1] = {0.25};
	dbv_writer_header_begin(w, kind, NULL, 5, argv0, 5);
	dbv_w_key(w, "classes");
	dbv_w_i64(w, 3);
	dbv_w_key(w, "class_names");
	dbv_w_str_array(w, names, 3);
	dbv_w_key(w, "mean");
	dbv_w_f64_array(w, mean, 1);
	dbv_w_key(w, "std");
	dbv_w_f64_array(w, std, 1);
	dbv_w_key(w, "shuffled");
	dbv_w_bool(w, 0);
	dbv_writer_header_end(w);
	for (int b = 0; b < nb; b++) {
		uint8_t x[2 * 1 * 3 * 3];
		int32_t y[2] = {b % 3, (b + 1) % 3};
		int64_t idx[2] = {2 * b, 2 * b + 1};
		int64_t sx[4] = {2, 1, 3, 3}, s1[1] = {2};
		for (size_t i = 0; i < sizeof x; i++)
			x[i] = (uint8_t)(i * 13 + (size_t)b);
		dbv_writer_record_begin(w, "batch", 4);
		dbv_w_key(w, "x");
		dbv_w_tensor_raw(w, DBV_U8, 4, sx, x);
		dbv_w_key(w, "y");
		dbv_w_tensor_raw(w, DBV_I32, 1, s1, y);
		dbv_w_key(w, "y_true");
		dbv_w_tensor_raw(w, DBV_I32, 1, s1, y);
		dbv_w_key(w, "idx");
		dbv_w_tensor_raw(w, DBV_I64, 1, s1, idx);
		dbv_writer_record_end(w);
	}
}

int main(int argc, char **argv)
{
	const char *dir = argv[1];
	struct dbv_writer *w;
	(void)argc;

	w = open_w(dir, "dataset", 0);
	dataset(w, "dataset", 3);
	done(w, 0);

	/* Every dtype: a scalar, an empty tensor and a 2x3. */
	w = open_w(dir, "dtypes", 0);
	dbv_writer_header_begin(w, "grid", NULL, 1, argv0, 0);
	dbv_writer_header_end(w);
	for (int d = 0; d < DBV_NDTYPES; d++) {
		unsigned char buf[6 * 8];
		int64_t s0[1] = {0}, s23[2] = {2, 3}, s05[2] = {0, 5};
		for (size_t i = 0; i < sizeof buf; i++)
			buf[i] = (unsigned char)(i * 37 + (size_t)d);
		dbv_writer_record_begin(w, "batch", 3);
		dbv_w_key(w, "scalar");
		dbv_w_tensor_raw(w, (enum dbv_dtype)d, 0, s0, buf);
		dbv_w_key(w, "empty");
		dbv_w_tensor_raw(w, (enum dbv_dtype)d, 2, s05, buf);
		dbv_w_key(w, "x");
		dbv_w_tensor_raw(w, (enum dbv_dtype)d, 2, s23, buf);
		dbv_writer_record_end(w);
	}
	done(w, 0);

	/* Values of every msgpack type, nested, in a record of its own type
	 * and in the meta. */
	w = open_w(dir, "values", 0);
	dbv_writer_header_begin(w, "model", NULL, 1, argv0, 2);
	dbv_w_key(w, "layers");
	dbv_w_array(w, 3);
	dbv_w_i64(w, 2);
	dbv_w_i64(w, -300);
	dbv_w_u64(w, UINT64_MAX);
	dbv_w_key(w, "opt");
	dbv_w_map(w, 3);
	dbv_w_key(w, "lr");
	dbv_w_f64(w, 1e-3);
	dbv_w_key(w, "nesterov");
	dbv_w_bool(w, 1);
	dbv_w_key(w, "decay");
	dbv_w_nil(w);
	dbv_writer_header_end(w);
	dbv_writer_record_begin(w, "note", 3);
	dbv_w_key(w, "text");
	dbv_w_str(w, "tab\there \"quoted\"");
	dbv_w_key(w, "raw");
	dbv_w_bin(w, "\x00\x01\xff", 3);
	dbv_w_key(w, "nested");
	dbv_w_array(w, 2);
	dbv_w_map(w, 1);
	dbv_w_key(w, "w");
	{
		float f[2] = {1.5f, -2.0f};
		int64_t s[1] = {2};
		dbv_w_tensor_raw(w, DBV_F32, 1, s, f);
	}
	dbv_w_array(w, 1);
	dbv_w_f64(w, -0.0);
	dbv_writer_record_end(w);
	dbv_writer_record_begin(w, "batch", 1);
	dbv_w_key(w, "seed");
	dbv_w_i64(w, 7);
	dbv_writer_record_end(w);
	done(w, 0);

	/* Two streams back to back, as `cat a b | dbv-inspect` reads. */
	w = open_w(dir, "concat", 0);
	dataset(w, "dataset", 1);
	done(w, 0);
	w = open_w(dir, "concat", 1);
	dataset(w, "points", 1);
	done(w, 0);

	/* A producer that failed after one record. */
	w = open_w(dir, "error", 0);
	dataset(w, "dataset", 1);
	done(w, 1);

	/* A stream without records. */
	w = open_w(dir, "empty", 0);
	dataset(w, "dataset", 0);
	done(w, 0);
	return 0;
}
EOF
msg_cflags=$(pkg-config --cflags msgpack 2>/dev/null || true)
msg_libs=$(pkg-config --libs msgpack 2>/dev/null || echo -lmsgpackc)
$CC -std=gnu11 -D_GNU_SOURCE -Ilib $msg_cflags -o "$tmp/gen" "$tmp/gen.c" \
	lib/stream/stream.c lib/base/util.c $msg_libs
"$tmp/gen" "$out/fuzz_stream"

# Nothing large: a seed over 10 KB is a mistake in this script.
big=$(find "$out" -type f -size +10k)
if [ -n "$big" ]; then
	echo "mkseeds: seeds over 10 KB: $big" >&2
	exit 1
fi
