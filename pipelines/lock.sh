#!/bin/sh
# pipelines/lock.sh - one make at a time on a study's OUT (common.mk runs
# this while it reads the make files, with make's pid).
#
#   sh lock.sh OUT PID
#
# OUT/.lock holds "HOST PID START SINCE" of the make that holds OUT
# (START: the process's start time, from /proc, so that a reused pid is
# not taken for the holder).  The lock is taken when the file is absent
# or its holder is gone: a process of this host that no longer runs.  A
# watcher started here removes the file once the make has ended (a make
# has no end hook of its own).  A holder on another host (a shared file
# system) cannot be checked from here: it counts as alive while its file
# is there.  Checking and taking happen under flock(1) on
# OUT/.lock.guard, so two makes starting together cannot both take it.
# Prints nothing when taken; else one line naming the holder (common.mk
# makes it make's error).
out=$1 pid=$2
host=$(hostname)
started() { [ -r "/proc/$1/stat" ] && awk '{ print $22 }' "/proc/$1/stat"; }

mkdir -p "$out" 2>/dev/null || { echo "dbv: cannot make the directory $out"; exit 0; }
exec 9>"$out/.lock.guard" || { echo "dbv: cannot write $out/.lock.guard"; exit 0; }
flock -w 30 9 || { echo "dbv: cannot lock $out/.lock.guard"; exit 0; }
if [ -s "$out/.lock" ] && read -r h p s since <"$out/.lock"; then
	if [ "$h" != "$host" ] || { [ "$p" != "$pid" ] && [ "$(started "$p")" = "$s" ]; }; then
		echo "dbv: $out is in use by make (pid $p on $h, since $since): wait for it to end (or remove $out/.lock if it is gone)"
		exit 0
	fi
fi
if ! printf '%s %s %s %s\n' "$host" "$pid" "$(started "$pid")" \
	"$(date -u +%Y-%m-%dT%H:%M:%SZ)" >"$out/.lock.tmp" ||
   ! mv -f "$out/.lock.tmp" "$out/.lock"; then
	echo "dbv: cannot write $out/.lock"
	exit 0
fi
# A watcher removes the file within 2 s of the make's end (if it still
# names that make), so that a make on another host may follow; one
# killed with the machine leaves it, for the hand to remove.  (It must
# not keep the guard's descriptor, nor make's output pipe.)
(
	while kill -0 "$pid" 2>/dev/null; do sleep 2; done
	exec 9>"$out/.lock.guard" && flock -w 30 9 &&
		read -r h p s since <"$out/.lock" &&
		[ "$h" = "$host" ] && [ "$p" = "$pid" ] && rm -f "$out/.lock"
) </dev/null >/dev/null 2>&1 9>&- &
