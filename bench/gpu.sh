#!/usr/bin/env bash
# The GPU issue's measurement as one script (H100/H200 class; see bench/pack-for-device.sh and
# bench/device-run.sh for running it through the device tool):
#   bench/gpu.sh [--steps N] [--batch B] [--device D]     (extra options go to every row)
# For each row of experiments/bench/: this framework (both optimizers) and the PyTorch eager
# reference on the same GPU, one after the other, with the time ratio; then the SdAE / MAE step
# ratio, sdae bench-cost on ViT-B/16 (folds vs one pass), and a summary table in Markdown.
# ROWS and COST_ROW choose other rows (COST_ROW= skips bench-cost). A dry run on a CPU (bf16 is
# emulated there, about a minute a step for ViT-B):
#   ROWS="sdae_vit-tiny-32px4_fp32 mae_vit-tiny-32px4_fp32" COST_ROW= bench/gpu.sh --device cpu --batch 2 --steps 2
set -uo pipefail
repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
export SDAE="${SDAE:-$repo_root/artifacts/sdae-external/sdae-external}"
args=("$@")
[[ " ${args[*]} " == *" --steps "* ]] || args+=(--steps "${STEPS:-20}")
nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader || echo "nvidia-smi: not available"
"${PYTHON:-python3}" -c 'import torch; print("torch", torch.__version__, "cuda", torch.version.cuda, "available", torch.cuda.is_available())' \
  || echo "no PyTorch for ${PYTHON:-python3}: the reference rows will be skipped"
results="$(mktemp)"
trap 'rm -f "$results"' EXIT
cost_row="${COST_ROW-sdae_vit-b16-224_bf16}"
for row in ${ROWS:-sdae_vit-b16-224_bf16 sdae_vit-b16-224_fp32 sdae_vit-tiny-32px4_fp32 mae_vit-tiny-32px4_fp32}; do
  echo "=== $row"
  "$repo_root/bench/compare.sh" "$repo_root/experiments/bench/$row.yaml" "${args[@]}" | tee -a "$results" || echo "=== $row FAILED"
done
if [ -n "$cost_row" ]; then
  echo "=== sdae bench-cost $cost_row (SdAE vs MAE step, multi-fold vs one-pass teacher)"
  $SDAE bench-cost "$repo_root/experiments/bench/$cost_row.yaml" --baseline "$repo_root/experiments/bench/mae_vit-tiny-32px4_fp32.yaml" "${args[@]}" || echo "=== bench-cost FAILED"
fi
# NCCL (the scale-out issue): one process checks the P/Invoke binding over a one-rank communicator
# (id, init, allreduce and broadcast of the ViT-B gradient buffer); with several GPUs and mpirun,
# the allreduce over all of them. libnccl comes with pip's PyTorch.
nccl_lib="$("${PYTHON:-python3}" -c 'import nvidia.nccl, os; print(os.path.join(list(nvidia.nccl.__path__)[0], "lib"))' 2>/dev/null)"
[ -n "$nccl_lib" ] && export LD_LIBRARY_PATH="$nccl_lib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
gpus="$(nvidia-smi -L 2>/dev/null | wc -l)"
if [ "${gpus:-0}" -eq 0 ]; then
  echo "=== NCCL allreduce: skipped (no GPU)"
else
  echo "=== NCCL allreduce, one rank (binding check; libnccl from ${nccl_lib:-the system})"
  $SDAE bench-allreduce "$repo_root/experiments/bench/sdae_vit-b16-224_fp32.yaml" "$repo_root/experiments/bench/sdae_vit-tiny-32px4_fp32.yaml" --device cuda --repeats 20 \
    || echo "=== NCCL one-rank FAILED"
fi
if [ "${gpus:-0}" -gt 1 ] && command -v mpirun >/dev/null; then
  echo "=== NCCL allreduce over $gpus GPUs"
  mpirun --allow-run-as-root -np "$gpus" -x LD_LIBRARY_PATH $SDAE bench-allreduce "$repo_root/experiments/bench/sdae_vit-b16-224_fp32.yaml" --device cuda \
    || echo "=== NCCL $gpus-rank FAILED"
else
  echo "=== NCCL over several GPUs: skipped ($gpus GPU(s); mpirun $(command -v mpirun >/dev/null && echo present || echo missing))"
fi
echo "=== summary"
python3 - "$results" <<'PY'
import json, sys
rows = {}
for line in open(sys.argv[1]):
    if line.startswith("RESULT "):
        r = json.loads(line[7:]); rows[r["row"]] = r
def cell(r, key, fmt="{:.1f}"):
    return fmt.format(r[key]) if key in r else "-"
print("| row | sdae adamw ms | sdae flat_adamw ms | PyTorch eager ms | ratio (flat_adamw) | ratio (adamw) | GPU MiB sdae / PyTorch |")
print("|---|---:|---:|---:|---:|---:|---:|")
for name, r in rows.items():
    print(f"| {name} | {cell(r, 'sdae_adamw_ms')} | {cell(r, 'sdae_flat_adamw_ms')} | {cell(r, 'reference_ms')} | "
          f"{cell(r, 'ratio_flat_adamw', '{:.2f}')} | {cell(r, 'ratio_adamw', '{:.2f}')} | "
          f"{cell(r, 'sdae_gpu_memory_mib', '{:.0f}')} / {cell(r, 'reference_gpu_memory_mib', '{:.0f}')} |")
sdae, mae = rows.get("sdae_vit-tiny-32px4_fp32"), rows.get("mae_vit-tiny-32px4_fp32")
if sdae and mae:
    for key, label in (("sdae_flat_adamw_ms", "sdae flat_adamw"), ("reference_ms", "PyTorch")):
        if key in sdae and key in mae:
            print(f"SdAE / MAE step time, ViT-Tiny 32px/4 ({label}): {sdae[key] / mae[key]:.2f}")
PY
