#!/usr/bin/env bash
# Start a throwaway single-node SLURM cluster (munged + slurmctld + slurmd)
# whose config, key, sockets, state, spool, logs and pid files all live under
# STATE_DIR. Nothing under /etc is read or written.
#
# Usage: start-cluster.sh STATE_DIR
#
# On success prints, as its last two lines, and writes to STATE_DIR/env.sh:
#   export PATH=STATE_DIR/bin:$PATH        (client wrappers pinning SLURM_CONF)
#   export SLURM_CONF=STATE_DIR/slurm.conf
# Source STATE_DIR/env.sh (or eval the output) so that sinfo, sbatch, squeue,
# scancel, srun and Snakemake's slurm executor, in jobs too, use this cluster.
# Stop it with stop-cluster.sh STATE_DIR.
#
# Needs root and Debian's slurm-wlm + munge (see install-slurm.sh).
#
# Environment (optional):
#   SLURMCTLD_PORT  slurmctld port (default 6817)
#   SLURMD_PORT     slurmd port (default 6818)
#   SLURM_START_TIMEOUT  seconds to wait for the node to be idle (default 60)
set -euo pipefail

export PATH="$PATH:/usr/sbin:/sbin"
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"

die() {
    echo "start-cluster.sh: $*" >&2
    exit 1
}

[ $# -eq 1 ] || die "usage: start-cluster.sh STATE_DIR"
[ "$(id -u)" -eq 0 ] || die "must run as root (the slurm and munge daemons are started as root/munge)"
for b in munged mungekey slurmctld slurmd sinfo runuser; do
    command -v "$b" >/dev/null 2>&1 ||
        die "'$b' not found; run tests/slurm/install-slurm.sh (Debian packages slurm-wlm munge)"
done
id munge >/dev/null 2>&1 || die "user 'munge' missing; reinstall the munge package"

ctld_port="${SLURMCTLD_PORT:-6817}"
slurmd_port="${SLURMD_PORT:-6818}"
timeout_s="${SLURM_START_TIMEOUT:-60}"

port_in_use() {
    if command -v ss >/dev/null 2>&1; then
        ss -Htln "sport = :$1" 2>/dev/null | grep -q .
    else
        (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
    fi
}
for p in "$ctld_port" "$slurmd_port"; do
    port_in_use "$p" &&
        die "port $p is already in use (another slurm cluster running?); set SLURMCTLD_PORT/SLURMD_PORT"
done

mkdir -p "$1"
STATE_DIR="$(cd "$1" && pwd -P)"
[ -e "$STATE_DIR/slurm.conf" ] &&
    die "$STATE_DIR already holds a cluster; stop it first (stop-cluster.sh $STATE_DIR)"
# munged (user munge) must be able to reach its files below STATE_DIR.
chmod 755 "$STATE_DIR"

# ---------------------------------------------------------------- munge ----
# munged refuses directories that are writable by others and runs as the
# munge user, who must be able to traverse every parent of its directory.
# A unix socket path is also limited to 107 bytes. If STATE_DIR does not
# allow that (e.g. below pytest's mode-700 tmp dirs), use a private dir in
# /tmp and record it in STATE_DIR/munge_dir so stop-cluster.sh removes it.
munge_dir="$STATE_DIR/munge"
mkdir -p "$munge_dir"
chown munge:munge "$munge_dir"
chmod 755 "$munge_dir"
if ! runuser -u munge -- test -w "$munge_dir" ||
    [ "${#munge_dir}" -gt 80 ]; then
    rmdir "$munge_dir"
    munge_dir="$(mktemp -d /tmp/slurm-munge.XXXXXX)"
    chown munge:munge "$munge_dir"
    chmod 755 "$munge_dir"
    echo "$munge_dir" >"$STATE_DIR/munge_dir"
fi
munge_socket="$munge_dir/munge.socket"

mungekey --create --keyfile="$munge_dir/munge.key"
chown munge:munge "$munge_dir/munge.key"
chmod 400 "$munge_dir/munge.key"

runuser -u munge -- munged \
    --socket="$munge_socket" \
    --key-file="$munge_dir/munge.key" \
    --pid-file="$munge_dir/munged.pid" \
    --log-file="$munge_dir/munged.log" \
    --seed-file="$munge_dir/munged.seed" ||
    die "munged failed to start; log: $(cat "$munge_dir/munged.log" 2>/dev/null)"
# munged writes its pid file after forking; copy it next to the others.
for _ in $(seq 50); do
    [ -s "$munge_dir/munged.pid" ] && [ -S "$munge_socket" ] && break
    sleep 0.1
done
[ -s "$munge_dir/munged.pid" ] || die "munged wrote no pid file"
cp "$munge_dir/munged.pid" "$STATE_DIR/munged.pid"

# ---------------------------------------------------------------- slurm ----
host="$(hostname -s)"
ncpu="$(nproc)"
mem_mb="$(awk '/^MemTotal:/ {print int($2 / 1024)}' /proc/meminfo)"
# slurmd drains a node that reports less memory than configured: stay under.
real_mem=$((mem_mb * 9 / 10))
[ "$real_mem" -ge 1 ] || real_mem=1

mkdir -p "$STATE_DIR/ctld" "$STATE_DIR/spool" "$STATE_DIR/log"

cat >"$STATE_DIR/slurm.conf" <<EOF
# Throwaway single-node cluster written by tests/slurm/start-cluster.sh
ClusterName=qhnettest
SlurmctldHost=${host}(127.0.0.1)
SlurmctldPort=${ctld_port}
SlurmdPort=${slurmd_port}
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket=${munge_socket}
StateSaveLocation=${STATE_DIR}/ctld
SlurmdSpoolDir=${STATE_DIR}/spool
SlurmctldPidFile=${STATE_DIR}/slurmctld.pid
SlurmdPidFile=${STATE_DIR}/slurmd.pid
SlurmctldLogFile=${STATE_DIR}/log/slurmctld.log
SlurmdLogFile=${STATE_DIR}/log/slurmd.log
SlurmctldDebug=info
SlurmdDebug=info
PlugStackConfig=${STATE_DIR}/plugstack.conf
# No cgroups: works inside containers and sandboxes.
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core_Memory
# No accounting database: sacct cannot report, use squeue for job states.
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/none
MpiDefault=none
SchedulerType=sched/backfill
ReturnToService=2
# Keep finished jobs visible to squeue for a while (status polling).
MinJobAge=300
# Jobs without --mem would otherwise get all the node's memory.
DefMemPerCPU=500
SlurmctldTimeout=30
SlurmdTimeout=30
InactiveLimit=0
KillWait=5
NodeName=${host} NodeAddr=127.0.0.1 CPUs=${ncpu} RealMemory=${real_mem} State=UNKNOWN
PartitionName=debug Nodes=${host} Default=YES MaxTime=INFINITE State=UP
EOF
: >"$STATE_DIR/plugstack.conf"

export SLURM_CONF="$STATE_DIR/slurm.conf"

# Wrappers for the client commands that pin SLURM_CONF. Needed because
# Snakemake's slurm-jobstep executor strips every SLURM_* variable but a few
# (SLURM_CONF included) before it calls `srun` inside a job; without them srun
# would look for /etc/slurm/slurm.conf and fail ("DNS SRV lookup failed").
# Jobs inherit PATH (sbatch --export=ALL), so putting STATE_DIR/bin first in
# the submitting PATH is enough.
mkdir -p "$STATE_DIR/bin"
for c in srun sbatch salloc squeue scancel sinfo scontrol sacct sacctmgr \
    sshare sstat sattach sprio sdiag sbcast strigger; do
    real="$(PATH=/usr/bin:/bin:/usr/sbin:/sbin command -v "$c" 2>/dev/null)" || continue
    printf '#!/bin/bash\nSLURM_CONF=%q\nexport SLURM_CONF\nexec %q "$@"\n' \
        "$SLURM_CONF" "$real" >"$STATE_DIR/bin/$c"
    chmod 755 "$STATE_DIR/bin/$c"
done

cat >"$STATE_DIR/env.sh" <<EOF
export PATH=${STATE_DIR}/bin:\$PATH
export SLURM_CONF=${SLURM_CONF}
EOF

fail() {
    echo "start-cluster.sh: $*" >&2
    for f in "$munge_dir/munged.log" "$STATE_DIR/log/slurmctld.log" "$STATE_DIR/log/slurmd.log"; do
        echo "==== $f" >&2
        tail -n 50 "$f" >&2 2>/dev/null || true
    done
    echo "==== sinfo" >&2
    sinfo -N -l >&2 2>&1 || true
    # Leave nothing running, keep STATE_DIR for inspection.
    SLURM_KEEP_STATE_DIR=1 "$here/stop-cluster.sh" "$STATE_DIR" >&2 || true
    exit 1
}

slurmctld || fail "slurmctld failed to start"
slurmd || fail "slurmd failed to start"

deadline=$((SECONDS + timeout_s))
state=""
while [ "$SECONDS" -lt "$deadline" ]; do
    state="$(sinfo -h -o %T 2>/dev/null || true)"
    [ "$state" = "idle" ] && break
    sleep 1
done
[ "$state" = "idle" ] || fail "node not idle after ${timeout_s}s (sinfo state: '${state}')"

cat "$STATE_DIR/env.sh"
