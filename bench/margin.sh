#!/bin/sh
# bench/margin.sh - what dbv-margin's coarse scan and bisection cost
# against the fixed 200-point ladder of the reference code, on the same
# model and points in the same run: forward passes (images classified) a
# point and a direction, points a second, and how far the two margins
# are apart.  About 2 minutes on 2 idle cores (the cnn5 ladder is most of it).
#
#   BIN=bin sh bench/margin.sh          (make bench sets BIN)
#   MARGIN_POINTS=100     points measured (10 directions each)
#   MARGIN_ROUNDS=2       rounds; each runs both searches, in turn
#   MARGIN_THREADS=1      dbv-margin --threads
#
# Models: mlp 784-64-10 (100 epochs) and cnn5 K=8 (10 epochs), Adam 1e-3,
# on 1,000 Fashion-MNIST training images with 20% label noise; without
# Fashion-MNIST the test fixtures' directory layout is needed
# (DBV_DATA_DIR).  The searches: the defaults (range 32, step 0.5, tol
# 0.001) and --ladder 200 over the same range.  Points a second: the best
# round of each.
set -eu
bin=${BIN:?BIN must name the tools directory}
points=${MARGIN_POINTS:-100}
rounds=${MARGIN_ROUNDS:-2}
threads=${MARGIN_THREADS:-1}
tmp=$(mktemp -d "${TMPDIR:-/tmp}/dbv-bench-margin.XXXXXX")
trap 'rm -rf "$tmp"' EXIT INT TERM

"$bin/dbv-load" fashion-mnist --shuffle --seed 0 --limit 1000 --label-noise 0.2 \
	--noise-seed 1 -o "$tmp/train.dbv"
"$bin/dbv-train" --arch mlp --width 64 --epochs 100 --optim adam --lr 0.001 \
	--threads 2 -q -o "$tmp/mlp.dbv" "$tmp/train.dbv"
"$bin/dbv-train" --arch cnn5 --width 8 --epochs 10 --optim adam --lr 0.001 \
	--threads 2 -q -o "$tmp/cnn5.dbv" "$tmp/train.dbv"

# run MODEL NAME ARGS...: one search; its -v line into $tmp/NAME.v, the
# margins into $tmp/NAME.tsv.
run() {
	m=$1 name=$2
	shift 2
	"$bin/dbv-margin" -v -m "$tmp/$m.dbv" --points "$points" --threads "$threads" \
		--tsv "$@" "$tmp/train.dbv" >"$tmp/$name.tsv" 2>"$tmp/$name.v"
}
# field N of the -v line: passes a point (1), a direction (2), points/s (3)
vfield() {
	sed -n 's/.*(\([0-9.]*\) a point, \([0-9.]*\) a direction).*: \([0-9.]*\) points\/s$/\1 \2 \3/p' \
		"$tmp/$1.v" | cut -d' ' -f"$2"
}
best() { printf '%s\n' "$@" | sort -g | tail -1; }

printf '%-5s %-9s %12s %14s %12s\n' model search "passes/point" "passes/direction" "points/s"
for m in mlp cnn5; do
	bis="" lad=""
	for r in $(seq "$rounds"); do
		run $m bisect
		run $m ladder --ladder 200
		bis="$bis $(vfield bisect 3)"
		lad="$lad $(vfield ladder 3)"
	done
	b=$(best $bis) l=$(best $lad)
	printf '%-5s %-9s %12s %14s %12s\n' $m bisection "$(vfield bisect 1)" "$(vfield bisect 2)" "$b"
	printf '%-5s %-9s %12s %14s %12s\n' $m ladder "$(vfield ladder 1)" "$(vfield ladder 2)" "$l"
	# the two searches' margins, point by point
	for s in bisect ladder; do
		awk '/^# margins per point/ { p = 1; getline; next } p && NF == 7 { print $7 }' \
			"$tmp/$s.tsv" >"$tmp/$s.m"
	done
	paste "$tmp/bisect.m" "$tmp/ladder.m" | awk -v m=$m -v b="$b" -v l="$l" '
		$1 != "nan" && $2 != "nan" { d = $1 - $2; if (d < 0) d = -d; s += d; if (d > mx) mx = d; n++ }
		$1 != $2 && ($1 == "nan" || $2 == "nan") { odd++ }
		END { printf "%-5s speed-up %.1fx; margins of %d points: mean |bisection - ladder| %.4f, max %.4f; %d with a margin in one only\n",
			m, b / l, n, s / n, mx, odd }'
done
