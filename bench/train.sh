#!/bin/sh
# bench/train.sh - training throughput of dbv-train beside PyTorch's on the
# same architecture, width, batch (128), optimizer (SGD momentum 0.9, lr
# 0.01), threads (2) and data shape (1x28x28, 10 classes), no augmentation;
# and dbv-train's peak RSS beside what its model needs.  About 1.5 minutes
# on 2 cores.
#
#   BENCHBIN=build/obj/bench BIN=bin sh bench/train.sh    (make bench sets them)
#   TRAIN_IMAGES=2048        images per epoch, cnn5 and resnet18
#   TRAIN_IMAGES_MLP=10240   images per epoch, mlp
#   TRAIN_EPOCHS=4           epochs a run: the first is warm-up, the rest measured
#   TRAIN_ROUNDS=3           runs of dbv-train and of train_torch.py, taking turns
#   TRAIN_THREADS=2          dbv-train --threads, torch.set_num_threads
#   TORCH_PYTHON=/usr/bin/python3   a Python with torch (Debian's; a pyenv
#                            `python3` first on PATH usually lacks it)
#   TRAIN_CASES="mlp cnn5 resnet18 vit mixer"   the cases to run, of those below
#
# Cases: mlp 784-256-10 (--arch mlp --width 256 --depth 1), cnn5 K=16,
# resnet18 K=8; the token models at the CPU setting of dbv-train(1):
# vit width 128, depth 4, patch 4, 4 heads of 32, mlp-dim 256, dropout
# 0.1 (both, the paper's), and mixer width 128, depth 4, patch 4,
# expansion 4 (49 tokens of 16 pixels); and, named in TRAIN_CASES,
# issue 15's architectures at the small widths dbv-train(1) recommends
# for CPU studies: vgg19 (--arch vgg --width 8, VGG-19), wrn16 (--arch
# wrn --depth 16 --width 2, WRN-16-2), wrn28 (--arch wrn --width 1,
# WRN-28-1), densenet (--arch densenet --width 4, DenseNet-121's layout
# with growth 4).
#   TRAIN_IMAGES_TOK=2048    images per epoch, vit and mixer
#
# dbv: dbv-train runs TRAIN_EPOCHS epochs over the images; each epoch's
# stderr line gives its "img/s" (images / seconds of that epoch).  The
# first epoch is warm-up (first touch of the activations, BLAS threads) and
# is left out, as are start-up and reading the data.
#
# PyTorch: bench/train_torch.py, the modules of tests/gen/torch_fixtures.py
# (the PyTorch twins of lib/nn/models.c); 2 warm-up steps, then
# TRAIN_EPOCHS - 1 rounds of as many images as a dbv epoch, each timed.
#
# dbv-train and train_torch.py take turns, TRAIN_ROUNDS times each, so that
# both meet the same weather on a shared machine; each rate shown is the
# best of its measurements (the least disturbed), with their range, and
# dbv/torch is the ratio of the two bests.  PyTorch uses the OpenBLAS core
# dbv runs (OPENBLAS_CORETYPE, as dbv-train --version reports it) and
# OMP_WAIT_POLICY=PASSIVE (see train_torch.py: with libgomp's default spin
# waits, torch's OpenMP pool and OpenBLAS's threads fight over 2 cores).
# Without torch the dbv figures alone are printed.
#
# Data: the first images of Fashion-MNIST (dbv-load fashion-mnist --limit N)
# when it is installed, else deterministic pseudo-random IDX files made
# here (awk) and read with dbv-load --images --labels; the speed does not
# depend on the pixels.
#
# Memory: peak RSS of each dbv-train run (/usr/bin/time -f %M, else the last
# VmHWM read from /proc while it runs) beside, from the model's shapes
# (bench/modelsize): parameters + gradients, activations + their gradients
# for a batch of 128, their sum; and further what dbv-train also holds:
# momentum, conv scratch, the input batch and the data set (N x 784 bytes).
# RSS also counts the program, its libraries and OpenBLAS's buffers.
set -eu
bin=${BIN:?BIN must name the tools directory}
bb=${BENCHBIN:?BENCHBIN must name the bench build directory}
here=$(cd "$(dirname "$0")" && pwd)
nconv=${TRAIN_IMAGES:-2048}
nmlp=${TRAIN_IMAGES_MLP:-10240}
ntok=${TRAIN_IMAGES_TOK:-2048}
threads=${TRAIN_THREADS:-2}
epochs=${TRAIN_EPOCHS:-4}
rounds=${TRAIN_ROUNDS:-3}
py=${TORCH_PYTHON:-/usr/bin/python3}
cases=${TRAIN_CASES:-mlp cnn5 resnet18 vit mixer}
for c in $cases; do
	case $c in
	mlp|cnn5|resnet18|vgg19|wrn16|wrn28|densenet|vit|mixer) ;;
	*) echo "train.sh: unknown case '$c' (mlp cnn5 resnet18 vgg19 wrn16 wrn28 densenet vit mixer)" >&2; exit 2 ;;
	esac
done
batch=128
[ "$epochs" -ge 2 ] && [ "$rounds" -ge 1 ] ||
	{ echo "train.sh: TRAIN_EPOCHS must be 2 or more, TRAIN_ROUNDS 1 or more" >&2; exit 2; }
tmp=$(mktemp -d "${TMPDIR:-/tmp}/dbv-bench-train.XXXXXX")
trap 'rm -rf "$tmp"' EXIT INT TERM

# ---- data: N images and labels as a dbv dataset stream in $tmp/dN.dbv
be32() { # N: 4 bytes, big-endian
	for s in 24 16 8 0; do
		printf "\\$(printf %03o $((($1 >> s) & 255)))"
	done
}
synth_idx() { # N: $tmp/img-N, $tmp/lab-N (IDX), pixels 1..255 from an LCG
	{ printf '\000\000\010\003'; be32 "$1"; be32 28; be32 28
	  LC_ALL=C awk -v n=$(($1 * 784)) 'BEGIN {
		s = 20240601
		for (i = 0; i < n; i++) {
			s = (s * 69069 + 1) % 4294967296 # exact in doubles
			v = int(s / 16777216); printf "%c", v ? v : 1
		} }'; } >"$tmp/img-$1"
	{ printf '\000\000\010\001'; be32 "$1"
	  i=0
	  while [ $i -lt "$1" ]; do
		printf '\000\001\002\003\004\005\006\007\010\011'; i=$((i + 10))
	  done | head -c "$1"; } >"$tmp/lab-$1"
}
data_src=
dataset() { # N
	f=$tmp/d$1.dbv
	[ -e "$f" ] && return 0
	if "$bin/dbv-load" fashion-mnist --limit "$1" -o "$f" 2>/dev/null &&
	   [ "$("$bin/dbv-inspect" --summary "$f" | sed -n 's/.*"items":\([0-9]*\).*/\1/p')" = "$1" ]; then
		data_src="Fashion-MNIST (dbv-load fashion-mnist --limit N)"
	else
		rm -f "$f"
		synth_idx "$1"
		"$bin/dbv-load" --images "$tmp/img-$1" --labels "$tmp/lab-$1" -o "$f"
		data_src="synthetic IDX (Fashion-MNIST not installed)"
	fi
}

# ---- peak RSS of a command, in KiB, into $tmp/rss; its stderr into $tmp/err
if [ -x /usr/bin/time ] && /usr/bin/time -f %M -o "$tmp/t" true 2>/dev/null; then
	rss_how="/usr/bin/time -f %M"
	peak() { /usr/bin/time -f %M -o "$tmp/rss" "$@" 2>"$tmp/err"; }
else
	rss_how="VmHWM polled from /proc every 0.05 s (a lower bound)"
	peak() {
		"$@" 2>"$tmp/err" &
		pid=$!
		hwm=0
		while kill -0 $pid 2>/dev/null; do
			v=$(sed -n 's/^VmHWM:[^0-9]*\([0-9]*\).*/\1/p' /proc/$pid/status 2>/dev/null || true)
			[ -n "$v" ] && hwm=$v
			sleep 0.05
		done
		wait $pid || return $?
		echo "$hwm" >"$tmp/rss"
	}
fi

have_torch=0
if "$py" -c 'import torch, numpy' >/dev/null 2>&1; then
	have_torch=1
	# The BLAS core dbv runs, for torch too (same Debian OpenBLAS).
	core=$("$bin/dbv-train" --version | sed -n 's/.*; core \([A-Za-z0-9_]*\).*/\1/p')
	torch_env= # empty, or OPENBLAS_CORETYPE=CORE when the environment has none
	if [ -z "${OPENBLAS_CORETYPE:-}" ] && [ -n "$core" ]; then
		torch_env="OPENBLAS_CORETYPE=$core"
	fi
fi

mib() { awk -v b="$1" 'BEGIN { printf "%.1f", b / 1048576 }'; }
kv() { # KEY LINE: the value of KEY=... in a key=value line
	echo "$2" | tr ' ' '\n' | sed -n "s/^$1=//p"
}

echo "# dbv-train vs PyTorch: batch $batch, SGD momentum 0.9 lr 0.01, $threads threads, 1x28x28, 10 classes, no augmentation"
echo "# $("$bin/dbv-train" --version | sed -n 's/^BLAS: //p')"
if [ $have_torch = 1 ]; then
	echo "# PyTorch $("$py" -c 'import torch; print(torch.__version__)') ($py), OPENBLAS_CORETYPE=${OPENBLAS_CORETYPE:-${core:-unset}} OMP_WAIT_POLICY=${OMP_WAIT_POLICY:-PASSIVE}"
else
	echo "PyTorch not installed: dbv figures only ($py cannot import torch)"
fi
echo "# peak RSS: $rss_how"

rows=
# best_range FILE: "BEST RANGE" of the numbers in FILE (one a line)
best_range() {
	sort -n "$1" | awk '{ v[NR] = $1 } END { printf "%.0f %.0f-%.0f\n", v[NR], v[1], v[NR] }'
}
case_run() { # LABEL ARCH WIDTH DEPTH N [NAME=VALUE...]: arch options
	label=$1 arch=$2 width=$3 depth=$4 n=$5
	shift 5
	dopts= topts=
	for kv in "$@"; do
		dopts="$dopts --${kv%%=*} ${kv#*=}" topts="$topts --opt $kv"
	done
	dataset "$n"
	: >"$tmp/dips"
	: >"$tmp/tips"
	rss=0 trss=0 tfail=0
	r=0
	while [ $r -lt "$rounds" ]; do # dbv and torch take turns
		r=$((r + 1))
		# shellcheck disable=SC2086 # $dopts: options, word-split
		if ! peak "$bin/dbv-train" --arch "$arch" --width "$width" --depth "$depth" $dopts \
			--epochs "$epochs" --batch $batch --lr 0.01 --momentum 0.9 \
			--threads "$threads" -o "$tmp/m.dbv" "$tmp/d$n.dbv"; then
			cat "$tmp/err" >&2
			echo "train.sh: dbv-train failed ($label)" >&2
			exit 1
		fi
		# img/s of every epoch after the first, one a line
		grep "^epoch [0-9]*/$epochs " "$tmp/err" | tail -n +2 |
			awk '{ for (i = 2; i <= NF; i++) if ($i == "img/s") print $(i - 1) }' >>"$tmp/dips"
		v=$(tail -1 "$tmp/rss")
		[ "$v" -gt $rss ] && rss=$v
		if [ $have_torch = 1 ] && [ $tfail = 0 ]; then
			# shellcheck disable=SC2086 # $torch_env: nothing or one word
			if tl=$(env $torch_env "$py" "$here/train_torch.py" "$arch" "$width" "$depth" "$n" $topts \
				--batch $batch --threads "$threads" --warmup 2 --reps $((epochs - 1))); then
				kv ips_all "$tl" | tr , '\n' >>"$tmp/tips"
				v=$(kv rss_kb "$tl")
				[ "$v" -gt $trss ] && trss=$v
			else
				echo "train.sh: train_torch.py failed ($label)" >&2
				tfail=1
			fi
		fi
	done
	[ -s "$tmp/dips" ] || { cat "$tmp/err" >&2; echo "train.sh: no epoch lines ($label)" >&2; exit 1; }
	br=$(best_range "$tmp/dips")
	dips=${br% *} drange=${br#* }
	tips=- trange=- ratio=- trssm=-
	if [ $have_torch = 1 ]; then
		if [ $tfail = 1 ]; then
			tips=failed
		else
			br=$(best_range "$tmp/tips")
			tips=${br% *} trange=${br#* }
			ratio=$(awk -v a="$dips" -v b="$tips" 'BEGIN { printf "%.2f", a / b }')
			trssm=$(mib $((trss * 1024)))
		fi
	fi
	sz=$("$bb/modelsize" "$arch" "$width" "$depth" 1 28 28 10 $batch "$@")
	pg=$(kv pg_bytes "$sz") act=$(kv act_bytes "$sz")
	extra=$(( $(kv optim_bytes "$sz") + $(kv scratch_bytes "$sz") + $(kv input_bytes "$sz") ))
	m=$(( rounds * (epochs - 1) ))
	echo "$label: dbv $dips img/s (best of $m epochs of $n images: $drange)," \
	     "torch $tips img/s (best of $m rounds: $trange), dbv/torch $ratio;" \
	     "dbv peak RSS $(mib $((rss * 1024))) MiB; params+grads $(mib "$pg") + activations+grads $(mib "$act")" \
	     "= $(mib $((pg + act))) MiB (+ momentum, scratch, input $(mib $extra), data $(mib $((n * 784))) MiB); torch peak RSS $trssm MiB"
	rows="$rows$(printf '%-16s %10s %11s %9s %12s %11s %10s %9s' "$label" "$dips" "$tips" "$ratio" \
		"$(mib $((rss * 1024)))" "$(mib $((pg + act)))" "$(mib "$pg")" "$(mib "$act")")
"
}

for c in $cases; do
	case $c in
	mlp) case_run "mlp 784-256-10" mlp 256 1 "$nmlp" ;;
	cnn5) case_run "cnn5 K=16" cnn5 16 1 "$nconv" ;;
	resnet18) case_run "resnet18 K=8" resnet18 8 1 "$nconv" ;;
	vgg19) case_run "vgg19 K=8" vgg 8 19 "$nconv" ;;
	wrn16) case_run "wrn-16-2" wrn 2 16 "$nconv" ;;
	wrn28) case_run "wrn-28-1" wrn 1 28 "$nconv" ;;
	densenet) case_run "densenet K=4" densenet 4 1 "$nconv" ;;
	vit) case_run "vit w128 d4" vit 128 4 "$ntok" patch=4 heads=4 dim-head=32 mlp-dim=256 ;;
	mixer) case_run "mixer w128 d4" mixer 128 4 "$ntok" patch=4 expansion=4 ;;
	esac
done

echo "# data: $data_src"
printf '%-16s %10s %11s %9s %12s %11s %10s %9s\n' "case" "dbv img/s" "torch img/s" "dbv/torch" \
	"dbv RSS MiB" "p+g+a MiB" "p+g MiB" "a+g MiB"
printf '%s' "$rows"
