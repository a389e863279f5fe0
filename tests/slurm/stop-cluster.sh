#!/usr/bin/env bash
# Stop a cluster started by start-cluster.sh STATE_DIR and remove STATE_DIR.
#
# Usage: stop-cluster.sh STATE_DIR
#
# Cancels its jobs, stops exactly the daemons named by the pid files in
# STATE_DIR (slurmd, slurmctld, munged), waits for them to exit (SIGKILL after
# a grace period), kills any slurmstepd or job process left by this cluster
# (found by SLURM_CONF=STATE_DIR/slurm.conf in its environment), then removes
# STATE_DIR. Safe to run twice. SLURM_KEEP_STATE_DIR=1 keeps STATE_DIR.
set -uo pipefail

export PATH="$PATH:/usr/sbin:/sbin"

[ $# -eq 1 ] || {
    echo "usage: stop-cluster.sh STATE_DIR" >&2
    exit 2
}
[ -d "$1" ] || exit 0
STATE_DIR="$(cd "$1" && pwd -P)"
conf="$STATE_DIR/slurm.conf"

# alive PID: running and not a zombie.
alive() {
    local st
    st="$(awk '{print $3}' "/proc/$1/stat" 2>/dev/null)" || return 1
    [ -n "$st" ] && [ "$st" != "Z" ] && [ "$st" != "X" ]
}

# pid_of NAME: pid from STATE_DIR/NAME.pid if that process is still NAME.
pid_of() {
    local f="$STATE_DIR/$1.pid" pid
    [ -s "$f" ] || return 1
    pid="$(tr -dc 0-9 <"$f")"
    [ -n "$pid" ] || return 1
    alive "$pid" || return 1
    [ "$(cat "/proc/$pid/comm" 2>/dev/null)" = "$1" ] || return 1
    echo "$pid"
}

# gone PID...: wait up to 5 s for the processes to be reaped (zombies are
# reaped by init a moment after they exit; pgrep would still list them).
gone() {
    local p i left
    for ((i = 0; i < 50; i++)); do
        left=0
        for p in "$@"; do [ -e "/proc/$p" ] && left=1; done
        [ "$left" -eq 0 ] && return 0
        sleep 0.1
    done
    return 0
}

# stop_pids GRACE PID...: SIGTERM, wait up to GRACE seconds, then SIGKILL.
stop_pids() {
    local grace="$1" p left i
    shift
    [ $# -gt 0 ] || return 0
    stopped+=("$@")
    kill -TERM "$@" 2>/dev/null
    for ((i = 0; i < grace * 10; i++)); do
        left=0
        for p in "$@"; do alive "$p" && left=1; done
        [ "$left" -eq 0 ] && return 0
        sleep 0.1
    done
    kill -KILL "$@" 2>/dev/null
    for ((i = 0; i < 50; i++)); do
        left=0
        for p in "$@"; do alive "$p" && left=1; done
        [ "$left" -eq 0 ] && return 0
        sleep 0.1
    done
    echo "stop-cluster.sh: processes still alive: $*" >&2
    return 1
}

# Processes of this cluster that the daemons' pid files do not name:
# slurmstepd and job processes inherit SLURM_CONF from slurmd or sbatch.
cluster_procs() {
    local d pid
    for d in /proc/[0-9]*; do
        pid="${d#/proc/}"
        [ "$pid" = "$$" ] && continue
        [ "$pid" = "$BASHPID" ] && continue
        tr '\0' '\n' 2>/dev/null <"$d/environ" | grep -qxF "SLURM_CONF=$conf" || continue
        case "$(cat "$d/comm" 2>/dev/null)" in
        slurmstepd) ;;
        *) tr '\0' '\n' 2>/dev/null <"$d/environ" | grep -q '^SLURM_JOB_ID=' || continue ;;
        esac
        alive "$pid" && echo "$pid"
    done
}

rc=0
stopped=()

# 1. Cancel jobs while the controller is still up, so slurmstepd cleans up.
if pid_of slurmctld >/dev/null && [ -f "$conf" ]; then
    jobs="$(SLURM_CONF="$conf" timeout 10 squeue -h -t PD,R,CG,S -o %i 2>/dev/null)"
    if [ -n "$jobs" ]; then
        # shellcheck disable=SC2086
        SLURM_CONF="$conf" timeout 10 scancel $jobs 2>/dev/null
        for _ in $(seq 50); do
            [ -z "$(SLURM_CONF="$conf" timeout 5 squeue -h -t PD,R,CG,S -o %i 2>/dev/null)" ] && break
            sleep 0.2
        done
    fi
fi

# 2. slurmd, then whatever it left behind, then slurmctld, then munged.
pid="$(pid_of slurmd)" && { stop_pids 15 "$pid" || rc=1; }
# shellcheck disable=SC2046
stop_pids 5 $(cluster_procs) || rc=1
pid="$(pid_of slurmctld)" && { stop_pids 15 "$pid" || rc=1; }
pid="$(pid_of munged)" && { stop_pids 10 "$pid" || rc=1; }

# Exited daemons stay zombies until init reaps them (a second or two here);
# wait for that so that a pgrep right after this script finds nothing.
[ "${#stopped[@]}" -eq 0 ] || gone "${stopped[@]}"

# 3. Files.
if [ "${SLURM_KEEP_STATE_DIR:-0}" != 1 ]; then
    if [ -s "$STATE_DIR/munge_dir" ]; then
        munge_dir="$(cat "$STATE_DIR/munge_dir")"
        case "$munge_dir" in
        /tmp/slurm-munge.*) rm -rf -- "$munge_dir" ;;
        esac
    fi
    rm -rf -- "$STATE_DIR"
fi
exit "$rc"
