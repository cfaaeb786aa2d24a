#!/usr/bin/env bash
# Installs Debian's Slurm (slurm-wlm 22.05: slurmctld, slurmd, sbatch, squeue...) and munge for the
# Slurm executor's tests; scripts/slurm-local.sh starts a single-node cluster from them.
# Idempotent: does nothing when slurmctld, slurmd and munged are already there. Needs root (apt-get).
set -euo pipefail

have_slurm() { ldconfig -p | grep -q "libpmix\.so " && command -v slurmctld >/dev/null && command -v slurmd >/dev/null && command -v munged >/dev/null && command -v sbatch >/dev/null; }
if have_slurm; then
  exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
  echo "install-slurm: Slurm is missing and this is not root; run: sudo apt-get install slurm-wlm munge" >&2
  exit 1
fi
export DEBIAN_FRONTEND=noninteractive
apt_get() { apt-get -o DPkg::Lock::Timeout=600 "$@"; }
packages=(slurm-wlm munge libpmix-dev)   # libpmix-dev: the libpmix.so that srun --mpi=pmix loads
if ! apt_get install -y --no-install-recommends "${packages[@]}"; then
  apt_get update
  apt_get install -y --no-install-recommends "${packages[@]}"
fi
have_slurm && echo "install-slurm: $(sbatch --version)"
