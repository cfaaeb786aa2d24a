#!/usr/bin/env bash
# Installs Debian's Open MPI (openmpi-bin + libopenmpi3: mpirun and libmpi.so.40) for data-parallel
# runs and their tests (Tests/DataParallelTests.cs). Idempotent: does nothing when mpirun and
# libmpi.so.40 are already there. Needs root (apt-get).
set -euo pipefail

have_mpi() { command -v mpirun >/dev/null && ldconfig -p | grep -q 'libmpi\.so\.40'; }
if have_mpi; then
  exit 0
fi
"$(dirname "$0")/apt-install.sh" "install-mpi: Open MPI is missing" openmpi-bin libopenmpi3
have_mpi && echo "install-mpi: $(mpirun --allow-run-as-root --version | head -n 1)"
