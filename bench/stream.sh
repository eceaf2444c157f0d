#!/bin/sh
# bench/stream.sh - dbv stream throughput through a pipe, beside cat.
#
#   BENCHBIN=build/obj/bench BIN=bin sh bench/stream.sh     (make bench sets them)
#   STREAM_MB=256    stream size in MiB          STREAM_REPS=5   runs per line, best kept
#
# What is fair to compare with.  A dbv pipeline moves bytes between two
# processes through a pipe and does work at both ends, so the floor is
# two processes moving the same bytes through a pipe doing nothing:
# `cat f | cat >/dev/null`.  Two details would flatter or wrong-foot dbv:
#   - the stream is written to a file first and every reading line reads
#     that file from the page cache, so no line pays for making data;
#   - dbv grows its pipes to 1 MiB (dbv_pipe_grow) where cat keeps the
#     kernel's 64 KiB, so `cat f | stream sink` (read and drop, 1 MiB pipe
#     and buffer) is shown too: the floor for a dbv reader, and the one
#     the reader's overhead is measured from.
# Lines:
#   cat | cat              the pipe floor everyone knows
#   cat | sink             the same with dbv's pipe size: reading alone
#   cat | read             + dbv reader: framing, msgpack, checks, CRC-32C
#   write > /dev/null      dbv writer alone (msgpack packing, CRC-32C)
#   write | read           writer to reader through a pipe: a dbv pipeline
#   dbv-inspect --summary  the tool on the file: also copies every tensor
#                          and takes min/max/mean of every element
# GB/s are 10^9 bytes of stream per second of wall time, the best of
# STREAM_REPS runs; "x cat" is the ratio to the cat | cat line.  About
# 8 s on 2 cores with the defaults (each line is timed from outside,
# including process start, so all lines pay the same).
set -eu
b=${BENCHBIN:?BENCHBIN must name the bench build directory}/stream
bin=${BIN:?BIN must name the tools directory}
mb=${STREAM_MB:-256}
reps=${STREAM_REPS:-5}
tmp=$(mktemp -d "${TMPDIR:-/tmp}/dbv-bench-stream.XXXXXX")
trap 'rm -rf "$tmp"' EXIT INT TERM
f=$tmp/s.dbv

# A run of `dbv-tool -o /dev/null` as root once renamed a regular file over
# /dev/null (see dbv_output_open): then every line below that writes to
# it pays a copy into memory, and cat | cat, the baseline, looks slow.
if [ ! -c /dev/null ]; then
	echo "stream.sh: /dev/null is not a character device; the numbers would be wrong" >&2
	exit 1
fi

"$b" write "$mb" >"$f"
size=$(wc -c <"$f")
cat "$f" >/dev/null # into the page cache

# ns: wall clock in nanoseconds (GNU date); fine for runs of 0.05 s and up.
ns() { date +%s%N; }

# best SH_COMMAND: run it $reps times, print the shortest time in ns.
best() {
	i=0
	bestt=
	while [ $i -lt "$reps" ]; do
		t0=$(ns)
		sh -c "$1" || { echo "stream.sh: failed: $1" >&2; exit 1; }
		t1=$(ns)
		t=$((t1 - t0))
		if [ -z "$bestt" ] || [ $t -lt $bestt ]; then bestt=$t; fi
		i=$((i + 1))
	done
	echo "$bestt"
}

base=
line() { # NAME SH_COMMAND
	t=$(best "$2")
	[ -n "$base" ] || base=$t
	awk -v n="$1" -v s="$size" -v t="$t" -v b="$base" 'BEGIN {
		printf "%-24s %7.3f s %7.2f GB/s %6.2f x cat\n", n, t / 1e9,
			s / t, b / t }'
}

export b bin f mb
echo "# stream of $size bytes ($mb MiB, records of 1337 u8 28x28 images), best of $reps"
line "cat | cat" 'cat "$f" | cat >/dev/null'
line "cat | sink" 'cat "$f" | "$b" sink'
line "cat | read" 'cat "$f" | "$b" read >/dev/null'
line "write > /dev/null" '"$b" write "$mb" >/dev/null'
line "write | read" '"$b" write "$mb" | "$b" read >/dev/null'
line "dbv-inspect --summary" '"$bin/dbv-inspect" --summary "$f" >/dev/null'
# The reader checked the stream on every run: make sure it was valid.
"$b" read <"$f" >/dev/null
