#!/usr/bin/env bash
# Installs Debian's PyTorch (python3-torch 1.13) for the PyTorch cross-check tests
# (Tests/PyTorchInteropTests.cs runs Tests/PyTorch/vit_check.py with /usr/bin/python3).
# Idempotent: does nothing when /usr/bin/python3 already imports torch. Needs root (apt-get).
set -euo pipefail

if /usr/bin/python3 -c "import torch" 2>/dev/null; then
  exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
  echo "install-pytorch: /usr/bin/python3 has no torch and this is not root; run: sudo apt-get install python3-torch python3-yaml libopenblas0-pthread" >&2
  exit 1
fi
export DEBIAN_FRONTEND=noninteractive
apt_get() { apt-get -o DPkg::Lock::Timeout=600 "$@"; }
if ! apt_get install -y --no-install-recommends python3-torch python3-yaml libopenblas0-pthread; then
  apt_get update
  apt_get install -y --no-install-recommends python3-torch python3-yaml libopenblas0-pthread
fi
/usr/bin/python3 -c "import torch; print('install-pytorch: torch', torch.__version__)"
