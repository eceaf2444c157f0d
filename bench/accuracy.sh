#!/bin/sh
# bench/accuracy.sh - the test accuracy dbv-train reaches with vit and
# mixer beside what PyTorch reaches training the same modules with the
# same settings (bench/accuracy_torch.py): Fashion-MNIST, the first
# ACC_TRAIN training images, the whole test split, Adam lr 0.001, batch
# 128, ACC_EPOCHS epochs, no augmentation, 2 threads, the architectures
# at dbv-train(1)'s CPU setting (patch 4; vit width 128, depth 4, 4 heads
# of 32, mlp-dim 256, dropout 0.1 and 0.1; mixer width 128, depth 4,
# expansion 4).  Seeds differ in kind (dbv's PRNG, PyTorch's), so each
# side runs ACC_SEEDS seeds and the means are compared; the spread across
# seeds says how much of a gap is noise.  Needs Fashion-MNIST installed
# and Debian's python3-torch.  Minutes per run on 2 busy cores.
#
#   BIN=bin sh bench/accuracy.sh
#   ACC_TRAIN=10000  ACC_EPOCHS=3  ACC_SEEDS="0 1"  ACC_ARCHS="vit mixer"
set -eu
bin=${BIN:?BIN must name the tools directory}
here=$(cd "$(dirname "$0")" && pwd)
ntrain=${ACC_TRAIN:-10000}
epochs=${ACC_EPOCHS:-3}
seeds=${ACC_SEEDS:-0 1}
archs=${ACC_ARCHS:-vit mixer}
py=${TORCH_PYTHON:-/usr/bin/python3}
tmp=$(mktemp -d "${TMPDIR:-/tmp}/dbv-bench-acc.XXXXXX")
trap 'rm -rf "$tmp"' EXIT INT TERM

"$bin/dbv-load" fashion-mnist --limit "$ntrain" -o "$tmp/train.dbv"
"$bin/dbv-load" fashion-mnist --split test -o "$tmp/test.dbv"
opts_of() {
	case $1 in
	vit) echo "patch=4 heads=4 dim-head=32 mlp-dim=256 dropout=0.1 emb-dropout=0.1" ;;
	mixer) echo "patch=4 expansion=4" ;;
	esac
}
echo "# Fashion-MNIST: $ntrain training images, 10000 test; Adam lr 0.001, batch 128, $epochs epochs, 2 threads"
for arch in $archs; do
	dflags= tflags=
	for kv in $(opts_of "$arch"); do
		dflags="$dflags --${kv%%=*} ${kv#*=}" tflags="$tflags --opt $kv"
	done
	: >"$tmp/d" ; : >"$tmp/t"
	for s in $seeds; do
		# shellcheck disable=SC2086 # options, word-split
		"$bin/dbv-train" --arch "$arch" --width 128 --depth 4 $dflags --optim adam --lr 0.001 \
			--batch 128 --epochs "$epochs" --seed "$s" --data-seed "$s" --threads 2 -q \
			--test "$tmp/test.dbv" -o "$tmp/m.dbv" "$tmp/train.dbv"
		"$bin/dbv-inspect" "$tmp/m.dbv" | grep '"t":"log"' | tail -1 |
			sed 's/.*"test_acc":\([^,]*\).*/\1/' >>"$tmp/d"
		# shellcheck disable=SC2086
		"$py" "$here/accuracy_torch.py" "$tmp/train.dbv" "$tmp/test.dbv" "$arch" 128 4 $tflags \
			--epochs "$epochs" --seed "$s" 2>/dev/null | sed -n 's/.*test_acc=\([^ ]*\).*/\1/p' >>"$tmp/t"
	done
	awk -v arch="$arch" 'NR == FNR { d[FNR] = $1; next } { t[FNR] = $1 }
	END {
		for (i in d) { sd += d[i]; n++ }
		for (i in t) st += t[i]
		printf "%s: dbv test acc", arch
		for (i = 1; i <= n; i++) printf " %.2f%%", 100 * d[i]
		printf " (mean %.2f%%); torch", 100 * sd / n
		for (i = 1; i <= n; i++) printf " %.2f%%", 100 * t[i]
		printf " (mean %.2f%%); dbv - torch %+.2f points\n", 100 * st / n, 100 * (sd - st) / n
	}' "$tmp/d" "$tmp/t"
done
