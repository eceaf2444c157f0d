#!/bin/sh
# pipelines/estimate.sh - the cost of a study before it runs (make
# estimate, common.mk) and of one heavy command (slurm-run.sh's time and
# memory requests), from what dbv-train --estimate, dbv-predict
# --estimate and dbv-margin --estimate measure on this machine.
#
#   sh estimate.sh one OUT TOOL ARGS...    the JSON line of one command
#   sh estimate.sh all OUT WORKERS LIST    the table of a study: LIST has
#                                          "TARGET<tab>COMMAND" lines
#
# Measurements are kept in OUT/.estimate/ (one file per command without
# its seeds and output: every seed of a model costs the same), and used
# again while no file the command names is newer.  A prediction whose
# model is not trained yet is priced with the evaluation rate that its
# training's estimate measured (eval_images_per_s) and its input's
# points (planes x res^2 of a planes stream, n of a data set); a margin
# computation, at that rate, with the most points its options allow.
set -u
mode=$1 out=$2
shift 2
cache=$out/.estimate
mkdir -p "$cache" || exit 1

# num KEY JSON: the number under KEY of a one-line JSON object.
num() { printf '%s\n' "$2" | sed -n "s/.*\"$1\":\([-0-9.eE+]*\).*/\1/p"; }

# one TOOL ARGS...: the cached or measured JSON of the command.
one() {
	key=$(printf '%s\n' "$*" | sed -e 's/ --seed [^ ]*//; s/ --data-seed [^ ]*//' \
		-e 's/ -o [^ ]*//; s/ --threads [^ ]*//; s|^[^ ]*/||' | cksum | cut -d' ' -f1)
	key=$key-$(printf '%s\n' "$*" | sed -n 's/.* --threads \([0-9]*\).*/\1/p')
	f=$cache/$key.json
	if [ -s "$f" ]; then
		fresh=1
		for a; do
			[ -f "$a" ] && [ -n "$(find "$a" -prune -newer "$f")" ] && fresh=0
		done
		[ $fresh = 1 ] && { cat "$f"; return 0; }
	fi
	if "$@" --estimate >"$f.tmp.$$"; then
		mv "$f.tmp.$$" "$f" && cat "$f"
	else
		rm -f "$f.tmp.$$"
		return 1
	fi
}

# trained ARGS...: the command's --model (or -m) into $model, and the
# training estimate of that model, which this study trains, into $tj
# (empty if none).
trained() {
	model='' prev=''
	for a; do
		[ "$prev" = --model ] || [ "$prev" = -m ] && model=$a
		prev=$a
	done
	tj=$(cat "$cache/train-$(echo "${model#"$out"/}" | tr / _)" 2>/dev/null)
}

# cost TOOL ARGS...: $s and $c (wall-clock and CPU seconds) of a
# dbv-predict or dbv-margin command: the tool's own estimate once its
# model exists; before, at the evaluation rate of the model's training
# estimate, a prediction's points (planes x res^2, or a data set's n) or
# the most points a margin computation's options allow (every ray
# scanning its whole range, then bisecting; the skips of every class).
cost() {
	tool=$1
	shift
	trained "$@"
	if [ -f "$model" ]; then
		j=$(one "${bin}$tool" "$@" 2>"$cache/err") ||
			{ echo "dbv: estimate of $out/$target: $(tail -1 "$cache/err")" >&2; return 1; }
		s=$(num seconds "$j") c=$(num cpu_seconds "$j")
		return 0
	fi
	[ -n "$tj" ] ||
		{ echo "dbv: estimate of $out/$target: no training of $model in this study" >&2; return 1; }
	input=
	for a; do input=$a; done
	meta=$("${bin}dbv-inspect" -n 0 "$input" | sed -n 1p)
	if [ "$tool" = dbv-margin ]; then
		pts=$(printf '%s\n' "$*" | awk -v n="$(num n "$meta")" -v k="$(num classes "$meta")" '{
			P = n; D = 10; R = 32; h = 0.5; tol = 0.001; L = 0; S = 0; res = 100; mg = 1
			for (i = 1; i < NF; i++) {
				if ($i == "--points") P = $(i + 1) < n ? $(i + 1) : n
				if ($i == "--directions") D = $(i + 1)
				if ($i == "--range") R = $(i + 1)
				if ($i == "--step") h = $(i + 1)
				if ($i == "--tol") tol = $(i + 1)
				if ($i == "--ladder") L = $(i + 1)
				if ($i == "--skips") S = $(i + 1)
				if ($i == "--skip-res") res = $(i + 1)
			}
			if (index($0, " --no-margins")) mg = 0
			ray = L > 0 ? L : int(R / h + 0.999999) + int(log(h / tol) / log(2) + 0.999999)
			print (mg ? P + P * D * ray : 0) + k * S * res
		}')
	else
		res=$(num res "$meta") planes=$(num planes "$meta") n=$(num n "$meta")
		if [ -n "$res" ] && [ -n "$planes" ]; then pts=$((planes * res * res)); else pts=${n:-0}; fi
	fi
	# CPU time: in the training's ratio of CPU to wall time.
	s=$(awk -v p="$pts" -v r="$(num eval_images_per_s "$tj")" 'BEGIN { print p / r }')
	c=$(awk -v s="$s" -v c="$(num cpu_seconds "$tj")" -v w="$(num seconds "$tj")" \
		'BEGIN { print s * c / w }')
}

if [ "$mode" = one ]; then
	one "$@"
	exit
fi

workers=$1 list=$2
bin=${BIN:+$BIN/}
: >"$cache/jobs"
# Trainings first (a prediction or margin may need its model's training
# estimate).
for pass in dbv-train dbv-predict dbv-margin; do
	while IFS='	' read -r target cmd; do
		target=${target# } # (make's foreach joins lines with a space)
		case $cmd in "$pass "*) ;; *) continue ;; esac
		case $cmd in *" --merge "*) continue ;; esac # (cheap)
		eval "set -- $cmd"
		shift
		if [ $pass = dbv-train ]; then
			j=$(one "${bin}dbv-train" "$@" 2>"$cache/err") ||
				{ echo "dbv: estimate of $out/$target: $(tail -1 "$cache/err")" >&2; exit 1; }
			printf '%s\n' "$j" >"$cache/train-$(echo "$target" | tr / _)"
			s=$(num seconds "$j") c=$(num cpu_seconds "$j")
		else
			cost $pass "$@" || exit 1
		fi
		t=$(printf '%s\n' "$*" | sed -n 's/.* --threads \([0-9]*\).*/\1/p')
		echo "${pass#dbv-} ${t:-2} $s $c $target" >>"$cache/jobs"
	done <"$list"
done

# The table: per kind the jobs, their mean seconds (wall-clock, at the
# rates measured here) and CPU-hours (the CPU time measured); the wall
# time of trainings then predictions, each kind spread over WORKERS
# longest first: at the rates measured here, and with each job's threads
# its own (its CPU time / threads: a cluster node's dedicated CPUs).
sort -k3,3gr "$cache/jobs" | awk -v w="$workers" -v out="$out" '
function hms(s) {
	s = int(s + 0.5)
	if (s >= 3600)
		return sprintf("%d h %02d min", s / 3600, s % 3600 / 60)
	if (s >= 60)
		return sprintf("%d min %02d s", s / 60, s % 60)
	return sprintf("%d s", s)
}
# place(k, t, s): job of s seconds of kind k onto the least loaded of
# schedule t (longest first: the input is sorted by wall seconds).
function place(k, t, s,   i, b) {
	b = 1
	for (i = 2; i <= w; i++)
		if (load[k, t, i] < load[k, t, b])
			b = i
	load[k, t, b] += s
}
function span(k, t,   i, m) {
	m = 0
	for (i = 1; i <= w; i++)
		if (load[k, t, i] > m)
			m = load[k, t, i]
	return m
}
{
	k = $1; n[k]++; sec[k] += $3; cpu[k] += $4
	place(k, "here", $3)
	place(k, "own", $4 / $2)
}
END {
	printf "estimate of %s (throughput measured on this machine)\n", out
	printf "%-8s %6s %14s %10s\n", "kind", "jobs", "seconds/job", "CPU-hours"
	for (ki = 1; ki <= 3; ki++) {
		k = ki == 1 ? "train" : ki == 2 ? "predict" : "margin"
		if (!n[k])
			continue
		here += span(k, "here"); own += span(k, "own"); tn += n[k]; tc += cpu[k]
		printf "%-8s %6d %14.1f %10.3f\n", k, n[k], sec[k] / n[k], cpu[k] / 3600
	}
	printf "%-8s %6d %14s %10.3f\n", "total", tn, "", tc / 3600
	printf "wall time on %d worker%s: %s at the rates measured here, %s with dedicated CPUs\n",
		w, w == 1 ? "" : "s", hms(here), hms(own)
	printf "(trainings, then predictions and margins; the cheap steps not counted)\n"
}'
