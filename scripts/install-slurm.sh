#!/usr/bin/env bash
# Installs Debian's Slurm (slurm-wlm 22.05: slurmctld, slurmd, sbatch, squeue...) and munge for the
# Slurm executor's tests; scripts/slurm-local.sh starts a single-node cluster from them.
# libpmix-dev: the libpmix.so that srun --mpi=pmix loads (the runtime package has only .so.2).
# Idempotent: does nothing when they are already there. Needs root (apt-get).
set -euo pipefail

have_slurm() { ldconfig -p | grep -q "libpmix\.so " && command -v slurmctld >/dev/null && command -v slurmd >/dev/null && command -v munged >/dev/null && command -v sbatch >/dev/null; }
if have_slurm; then
  exit 0
fi
"$(dirname "$0")/apt-install.sh" "install-slurm: Slurm is missing" slurm-wlm munge libpmix-dev
have_slurm && echo "install-slurm: $(sbatch --version)"
