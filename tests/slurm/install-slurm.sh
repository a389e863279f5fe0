#!/usr/bin/env bash
# Install a single-node SLURM (Debian's slurm-wlm 22.05) and MUNGE, if missing.
# Idempotent: exits 0 at once when slurmctld, slurmd and munged are all present.
# Needs root (apt-get); exits 1 with a message otherwise.
set -euo pipefail

# The daemons live in /usr/sbin, which may not be on a non-root PATH.
export PATH="$PATH:/usr/sbin:/sbin"

have_all() {
    command -v slurmctld >/dev/null 2>&1 &&
        command -v slurmd >/dev/null 2>&1 &&
        command -v munged >/dev/null 2>&1
}

if have_all; then
    exit 0
fi

if [ "$(id -u)" -ne 0 ]; then
    echo "install-slurm.sh: slurmctld/slurmd/munged missing and not root;" \
        "install them with: apt-get install slurm-wlm munge" >&2
    exit 1
fi

apt-get update -qq
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq slurm-wlm munge

if ! have_all; then
    echo "install-slurm.sh: installed slurm-wlm and munge, but slurmctld/slurmd/munged still not found" >&2
    exit 1
fi
