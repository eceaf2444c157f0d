#!/bin/sh
# pipelines/slurm-run.sh - one heavy recipe of a study as a Slurm job
# step: what $(RUN_HEAVY) puts before a training's or prediction's
# command when make runs with SLURM=1 (common.mk; README "Running on a
# cluster"; dbv(7), CLUSTERS).
#
#   sh slurm-run.sh OUT TARGET TOOL ARGS...
#
# The step asks for the tool's --threads CPUs (default 2), the memory and
# time that estimate.sh measured for the command (memory_bytes x 1.25 +
# 256 MiB; seconds x 1.5 + 5 minutes), or DBV_SLURM_MEM (MiB) and
# DBV_SLURM_TIME (minutes) when set, and SIGTERM 90 s before its time
# limit (at half of a limit under 3 minutes); DBV_SLURM_OPTS are added as they are (partition, account, ...).
# (dbv-train, dbv-predict and dbv-margin have --estimate.)  Without an
# estimate a step gets 60 minutes and 4096 MiB unless they
# are given.  DBV_SLURM_OPTS is split at spaces (no quoting).
# A training gets --checkpoint OUT/.ckpt/TARGET.KEY --resume
# --checkpoint-every DBV_SLURM_CHECKPOINT (KEY: a checksum of the
# command, so that a changed command never resumes another's state); the
# checkpoint goes when the model is written.  A step that ends by a time
# limit, preemption, a node failure or a SIGTERM that made the tool save
# and exit 143 is run again (DBV_SLURM_RETRIES times at most), from its
# checkpoint; one cancelled (scancel) is not: make fails, and the next
# make resumes it.  The recorded command (OUT/.cmd/TARGET) is the same as
# without Slurm, so switching SLURM on or off redoes nothing.
set -u
out=$1 target=$2
shift 2
here=$(dirname "$0")
name=${target#"$out"/}
tool=${1##*/}
retries=${DBV_SLURM_RETRIES:-3}

command -v srun >/dev/null 2>&1 || {
	echo "dbv: $target: SLURM is set but there is no srun here" >&2
	exit 127
}

threads=2 prev=
for a; do [ "$prev" = --threads ] && threads=$a; prev=$a; done

# Time and memory: the estimate, unless given.
est=
if [ -z "${DBV_SLURM_TIME:-}" ] || [ -z "${DBV_SLURM_MEM:-}" ]; then
	est=$(sh "$here/estimate.sh" one "$out" "$@" 2>/dev/null | tail -1)
fi
num() { printf '%s\n' "$est" | sed -n "s/.*\"$1\":\([-0-9.eE+]*\).*/\1/p"; }
time=${DBV_SLURM_TIME:-$(awk -v s="$(num seconds)" 'BEGIN {
	if (s == "") { print 60; exit } m = s * 1.5 / 60 + 5; print (m == int(m) ? m : int(m) + 1) }')}
mem=${DBV_SLURM_MEM:-$(awk -v b="$(num memory_bytes)" 'BEGIN {
	if (b == "") { print 4096; exit } m = b * 1.25 / 1048576 + 256; print int(m) + 1 }')}

# SIGTERM 90 s before the limit (at half of a shorter one).
sig=$(awk -v m="$time" 'BEGIN { s = m * 30; print s < 90 ? int(s) : 90 }')

ckpt=
dir=$out/.ckpt/$(dirname "$name")
mkdir -p "$dir" || exit 1
if [ "$tool" = dbv-train ]; then
	ckpt=$out/.ckpt/$name.$(printf '%s\n' "$*" | cksum | cut -d' ' -f1)
	set -- "$@" --checkpoint "$ckpt" --resume --checkpoint-every "${DBV_SLURM_CHECKPOINT:-600s}"
fi
idf=$out/.ckpt/$name.job

stop=
trap 'stop=1' INT TERM
attempt=0
while :; do
	[ -n "$ckpt" ] && [ -e "$ckpt" ] &&
		echo "dbv: $target: resuming from its checkpoint $ckpt" >&2
	rm -f "$idf"
	# shellcheck disable=SC2086,SC2016 # DBV_SLURM_OPTS: words; the
	# inner script's $SLURM_JOB_ID is the job's
	srun --job-name="dbv:$name" --ntasks=1 --cpus-per-task="$threads" --mem="${mem}M" \
		--time="$time" --signal=TERM@"$sig" --quit-on-interrupt --quiet ${DBV_SLURM_OPTS:-} \
		sh -c 'echo "$SLURM_JOB_ID" >"$0" && exec "$@"' "$idf" "$@"
	rc=$?
	if [ $rc = 0 ]; then
		[ -n "$ckpt" ] && rm -f "$ckpt"
		rm -f "$idf"
		exit 0
	fi
	[ -n "$stop" ] && exit $rc
	job=$(cat "$idf" 2>/dev/null)
	# Its final state (a job still COMPLETING has none yet).
	state='' i=0
	while [ -n "$job" ] && [ $i -lt 60 ]; do
		state=$(scontrol -o show job "$job" 2>/dev/null |
			sed -n 's/.*JobState=\([A-Z_]*\).*/\1/p')
		case $state in RUNNING|COMPLETING|PENDING|CONFIGURING|SUSPENDED) ;; *) break ;; esac
		sleep 0.5
		i=$((i + 1))
	done
	case $state in
	CANCELLED) again= ;;
	TIMEOUT|PREEMPTED|NODE_FAIL|BOOT_FAIL|DEADLINE) again=1 ;;
	*) [ $rc = 143 ] && again=1 || again= ;;
	esac
	attempt=$((attempt + 1))
	if [ -z "$again" ] || [ $attempt -gt "$retries" ]; then
		echo "dbv: $target: Slurm job ${job:-?} ended (${state:-state unknown}, exit $rc)${again:+ $retries times}" >&2
		exit $rc
	fi
	echo "dbv: $target: Slurm job $job ended (${state:-state unknown}, exit $rc): running it again ($attempt of $retries)" >&2
done
