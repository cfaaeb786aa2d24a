#!/usr/bin/env bash
# The GPU measurement of the GPU issue, as one script for a device session (H100/H200):
#   here:    scripts/fetch-data.sh && scripts/publish-external.sh
#   device:  bench/gpu.sh      (carry artifacts/sdae-external and data/)
# Runs this framework and the PyTorch eager reference on the same GPU in one go for each row and
# prints ms/step and the ratio; ends with the SdAE / MAE step-time ratio.
set -uo pipefail
repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
export SDAE="${SDAE:-$repo_root/artifacts/sdae-external/sdae-external}"
steps="${STEPS:-20}"
nvidia-smi --query-gpu=name,memory.total --format=csv,noheader || true
python3 -c 'import torch; print("torch", torch.__version__, "cuda", torch.version.cuda)' || true
for row in sdae_vit-b16-224_bf16 sdae_vit-b16-224_fp32 sdae_vit-tiny-32px4_fp32 mae_vit-tiny-32px4_fp32; do
  echo "=== $row"
  "$repo_root/bench/compare.sh" "$repo_root/experiments/bench/$row.yaml" --steps "$steps"
done
