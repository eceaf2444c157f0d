#!/bin/sh
# bench/forward.sh - forward-only (eval mode) throughput, what dbv-predict
# runs: dbv (bench/forward.c, dbv_model_forward with train = 0) beside
# PyTorch (bench/train_torch.py --eval: eval mode under no_grad), on random
# 1x28x28 inputs, 10 classes.  About 30 s.
#
#   BENCHBIN=build/obj/bench sh bench/forward.sh    (make bench sets it)
#   FORWARD_SECONDS=2     seconds per dbv case and round
#   FORWARD_BATCH=256     images per forward pass (dbv-predict's default)
#   FORWARD_THREADS=2     dbv's threads, torch.set_num_threads
#   FORWARD_ROUNDS=2      rounds of dbv and PyTorch, taking turns
#   TORCH_PYTHON=/usr/bin/python3
#
# dbv's lines give the best pass at FORWARD_THREADS threads and at one,
# measured in alternation; the table sets the best dbv rate of all rounds
# beside PyTorch's best (PyTorch: 2 warm-up passes, then 3 timed rounds of
# 8 passes per round, with the OpenBLAS core dbv runs and
# OMP_WAIT_POLICY=PASSIVE as in bench/train.sh).
set -eu
bb=${BENCHBIN:?BENCHBIN must name the bench build directory}
here=$(cd "$(dirname "$0")" && pwd)
secs=${FORWARD_SECONDS:-2}
batch=${FORWARD_BATCH:-256}
threads=${FORWARD_THREADS:-2}
rounds=${FORWARD_ROUNDS:-2}
py=${TORCH_PYTHON:-/usr/bin/python3}
tmp=$(mktemp -d "${TMPDIR:-/tmp}/dbv-bench-forward.XXXXXX")
trap 'rm -rf "$tmp"' EXIT INT TERM

have_torch=0
if "$py" -c 'import torch, numpy' >/dev/null 2>&1; then
	have_torch=1
	core=$("$bb/forward" 0 1 1 | sed -n 's/.*; core \([A-Za-z0-9_]*\).*/\1/p' | head -1)
	torch_env=
	if [ -z "${OPENBLAS_CORETYPE:-}" ] && [ -n "$core" ]; then
		torch_env="OPENBLAS_CORETYPE=$core"
	fi
fi
kv() { echo "$2" | tr ' ' '\n' | sed -n "s/^$1=//p"; }

r=0
while [ $r -lt "$rounds" ]; do
	r=$((r + 1))
	"$bb/forward" "$secs" "$threads" "$batch" | tee -a "$tmp/dbv"
	if [ $have_torch = 1 ]; then
		for c in "cnn5 16 1" "resnet18 8 1" "mlp 256 1"; do
			# shellcheck disable=SC2086 # $c: three words, $torch_env: 0 or 1
			tl=$(env $torch_env "$py" "$here/train_torch.py" $c $((batch * 8)) \
				--batch "$batch" --threads "$threads" --warmup 2 --reps 3 --eval) ||
				{ echo "forward.sh: train_torch.py --eval failed" >&2; exit 1; }
			echo "${c%% *} $(kv ips "$tl")" >>"$tmp/torch"
		done
	fi
done
[ $have_torch = 1 ] || { echo "PyTorch not installed: dbv figures only ($py cannot import torch)"; exit 0; }
echo "# PyTorch $("$py" -c 'import torch; print(torch.__version__)'), eval mode, no_grad, $threads threads, batch $batch"
printf '%-16s %10s %11s %9s\n' case "dbv img/s" "torch img/s" dbv/torch
for c in "cnn5 K=16:cnn5" "resnet18 K=8:resnet18" "mlp 784-256-10:mlp"; do
	label=${c%%:*} arch=${c#*:}
	d=$(grep "^$label " "$tmp/dbv" | sed 's/^.* batch=[0-9]* threads=[0-9]* \([0-9]*\) img\/s;.*/\1/' | sort -n | tail -1)
	t=$(grep "^$arch " "$tmp/torch" | awk '{ print $2 }' | sort -n | tail -1)
	printf '%-16s %10s %11.0f %9s\n' "$label" "$d" "$t" \
		"$(awk -v a="$d" -v b="$t" 'BEGIN { printf "%.2f", a / b }')"
done
