#!/usr/bin/env bash
# Installs Debian's Open MPI (openmpi-bin + libopenmpi3: mpirun and libmpi.so.40) for data-parallel
# runs and their tests (Tests/DataParallelTests.cs). Idempotent: does nothing when mpirun and
# libmpi.so.40 are already there. Needs root (apt-get).
set -euo pipefail

have_mpi() { command -v mpirun >/dev/null && ldconfig -p | grep -q 'libmpi\.so\.40'; }
if have_mpi; then
  exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
  echo "install-mpi: Open MPI is missing and this is not root; run: sudo apt-get install openmpi-bin libopenmpi3" >&2
  exit 1
fi
export DEBIAN_FRONTEND=noninteractive
apt_get() { apt-get -o DPkg::Lock::Timeout=600 "$@"; }
packages=(openmpi-bin libopenmpi3)
if ! apt_get install -y --no-install-recommends "${packages[@]}"; then
  apt_get update
  apt_get install -y --no-install-recommends "${packages[@]}"
fi
have_mpi && echo "install-mpi: $(mpirun --allow-run-as-root --version | head -n 1)"
