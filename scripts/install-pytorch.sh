#!/usr/bin/env bash
# Installs Debian's PyTorch (python3-torch 1.13) for the PyTorch cross-check tests
# (Tests/PyTorchInteropTests.cs runs Tests/PyTorch/vit_check.py with /usr/bin/python3).
# Idempotent: does nothing when /usr/bin/python3 already imports torch. Needs root (apt-get).
set -euo pipefail

if /usr/bin/python3 -c "import torch" 2>/dev/null; then
  exit 0
fi
"$(dirname "$0")/apt-install.sh" "install-pytorch: /usr/bin/python3 has no torch" python3-torch python3-yaml libopenblas0-pthread
/usr/bin/python3 -c "import torch; print('install-pytorch: torch', torch.__version__)"
