#!/usr/bin/env bash
# Publishes sdae self-contained for linux-x64 WITHOUT libtorch natives (the `external` backend):
# the program then runs on an existing libtorch / PyTorch install, e.g. a CUDA build of PyTorch.
#
#   scripts/publish-external.sh [OUT_DIR]            (default: artifacts/sdae-external)
#   SDAE_LIBTORCH=/path/to/torch/lib OUT_DIR/sdae-external plugins
set -euo pipefail
repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
out="${1:-$repo_root/artifacts/sdae-external}"
dotnet publish "$repo_root/Host/Host.csproj" -c Release -r linux-x64 --self-contained true \
  -p:SdaeBackend=external -o "$out"
cp "$repo_root/scripts/sdae-external" "$out/sdae-external"
chmod +x "$out/sdae-external"
echo "published to $out; run it with: SDAE_LIBTORCH=/path/to/libtorch/lib $out/sdae-external --help"
