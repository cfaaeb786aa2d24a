#!/usr/bin/env bash
# The test suite, on a fresh machine too: installs what the tests use when it is missing (Debian's
# PyTorch for the cross-checks, Open MPI for the data-parallel tests, Slurm for the executor tests;
# needs root, as apt-get does), then runs `dotnet test` with any arguments passed on.
#   scripts/test.sh                      # everything
#   scripts/test.sh --filter Seeding     # dotnet test's own options
set -uo pipefail
repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
"$repo_root/scripts/install-pytorch.sh" || echo "test: PyTorch could not be installed; the PyTorch cross-check tests will say so" >&2
"$repo_root/scripts/install-mpi.sh" || echo "test: Open MPI could not be installed; the data-parallel tests will be skipped" >&2
"$repo_root/scripts/install-slurm.sh" || echo "test: Slurm could not be installed; the Slurm executor tests will be skipped" >&2
exec dotnet test "$repo_root/SdAE.Framework.sln" "$@"
