#!/bin/sh
# tests/slurm-local.sh - a one-node Slurm cluster on this machine, for the
# tests and for trying dbv's SLURM=1 (README "Running on a cluster").
#
#   sh tests/slurm-local.sh start DIR   start munged, slurmctld, slurmd with
#                                       everything under DIR; print the
#                                       line to eval: export SLURM_CONF=...
#   sh tests/slurm-local.sh stop DIR    stop them (by the pids in DIR)
#
# Needs root and Debian's slurm-wlm and munge (slurmctld, slurmd, srun,
# munged, mungekey).  Nothing outside DIR is touched: its own munge key,
# socket and seed, its own ports (free ones, chosen at start), no cgroups
# (proctrack/linuxproc, task/none), so it runs beside a system Slurm or
# another copy of itself (the configuration and logs in DIR, sockets and
# state in a directory of /tmp that stop removes).  Exit 0 when started, 1 on a failure (the
# daemons' logs are in DIR), 77 when it cannot run here (not root, a
# program missing): the tests count that as a skip.
set -u
cmd=${1:-}
dir=${2:-}
case $cmd in start|stop) ;; *)
	echo "usage: slurm-local.sh start|stop DIR" >&2; exit 2 ;;
esac
[ -n "$dir" ] || { echo "slurm-local.sh: DIR is required" >&2; exit 2; }

# kill_pidfile FILE: TERM the process whose pid FILE holds, wait for it.
kill_pidfile() {
	[ -s "$1" ] || return 0
	p=$(cat "$1")
	kill "$p" 2>/dev/null || { rm -f "$1"; return 0; }
	i=0
	while kill -0 "$p" 2>/dev/null && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
	kill -KILL "$p" 2>/dev/null
	rm -f "$1"
}

if [ "$cmd" = stop ]; then
	[ -d "$dir" ] || exit 0
	run=$(cat "$dir/run-dir" 2>/dev/null)
	# Jobs first (their steps die with slurmd otherwise, unlogged).
	[ -s "$dir/slurm.conf" ] && SLURM_CONF=$dir/slurm.conf scancel --quiet --user=root 2>/dev/null
	kill_pidfile "$dir/slurmd.pid"
	kill_pidfile "$dir/slurmctld.pid"
	if [ -n "$run" ]; then
		kill_pidfile "$run/munge/munged.pid"
		case $run in /tmp/dbv-slurm.*) rm -rf "$run" ;; esac
	fi
	rm -f "$dir/run-dir"
	exit 0
fi

if [ "$(id -u)" != 0 ]; then
	echo "slurm-local.sh: needs root (slurmd runs jobs as their users)" >&2
	exit 77
fi
for p in slurmctld slurmd srun scontrol sinfo munged mungekey runuser; do
	command -v $p >/dev/null 2>&1 || PATH=$PATH:/usr/sbin:/sbin
	command -v $p >/dev/null 2>&1 || {
		echo "slurm-local.sh: no $p (Debian: apt-get install slurm-wlm munge)" >&2
		exit 77
	}
done
getent passwd munge >/dev/null || { echo "slurm-local.sh: no munge user" >&2; exit 77; }

mkdir -p "$dir" && dir=$(cd "$dir" && pwd) || exit 1
# Sockets (munge's, slurmd's per step in its spool) need short paths
# (108 bytes): they and the state live in a directory of /tmp, named in
# DIR/run-dir for stop.
run=$(mktemp -d /tmp/dbv-slurm.XXXXXX) && chmod 755 "$run" || exit 1
echo "$run" >"$dir/run-dir"
mkdir -p "$run/munge" "$run/state" "$run/spool" || exit 1

# munge: its own key and socket, run as the munge user (munged refuses
# files others may write).
m=$run/munge
mungekey -c -k "$m/munge.key" >/dev/null 2>&1 ||
	dd if=/dev/urandom of="$m/munge.key" bs=1024 count=1 2>/dev/null || exit 1
chmod 711 "$m" && chmod 600 "$m/munge.key" && chown -R munge:munge "$m" || exit 1
runuser -u munge -- munged --socket="$m/munge.sock" --key-file="$m/munge.key" \
	--pid-file="$m/munged.pid" --log-file="$m/munged.log" --seed-file="$m/munged.seed" || {
	echo "slurm-local.sh: munged did not start ($m/munged.log)" >&2; exit 1; }

# Two free TCP ports.
port() {
	python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])' 2>/dev/null ||
		echo $((20000 + $$ % 20000 + $1))
}
p1=$(port 0) p2=$(port 1)
[ "$p1" != "$p2" ] || p2=$((p1 + 1))
host=$(hostname -s)
cpus=$(nproc)
mem=$(awk '/^MemTotal/ { printf "%d", $2 / 1024 * 0.8 }' /proc/meminfo)

cat >"$dir/slurm.conf" <<EOC
ClusterName=dbvtest
SlurmctldHost=$host(127.0.0.1)
SlurmctldPort=$p1
SlurmdPort=$p2
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
AuthInfo=socket=$m/munge.sock
CredType=cred/munge
StateSaveLocation=$run/state
SlurmdSpoolDir=$run/spool
SlurmctldPidFile=$dir/slurmctld.pid
SlurmdPidFile=$dir/slurmd.pid
SlurmctldLogFile=$dir/slurmctld.log
SlurmdLogFile=$dir/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core_Memory
ReturnToService=2
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
MpiDefault=none
SchedulerType=sched/backfill
PreemptType=preempt/none
KillWait=5
MinJobAge=300
InactiveLimit=0
SlurmctldTimeout=30
SlurmdTimeout=30
JobRequeue=1
NodeName=$host NodeAddr=127.0.0.1 CPUs=$cpus RealMemory=$mem State=UNKNOWN
PartitionName=debug Nodes=$host Default=YES MaxTime=INFINITE State=UP OverSubscribe=NO
EOC
export SLURM_CONF="$dir/slurm.conf"
slurmctld -i || { echo "slurm-local.sh: slurmctld did not start ($dir/slurmctld.log)" >&2; exit 1; }
slurmd || { echo "slurm-local.sh: slurmd did not start ($dir/slurmd.log)" >&2; exit 1; }
# The node shows unk* until slurmd registers.
i=0
until sinfo -h -N -o %t 2>/dev/null | grep -qx idle; do
	i=$((i + 1))
	if [ $i -gt 60 ]; then
		echo "slurm-local.sh: the node did not come up ($dir/slurmd.log, $dir/slurmctld.log)" >&2
		exit 1
	fi
	sleep 0.5
done
echo "export SLURM_CONF=$dir/slurm.conf"
