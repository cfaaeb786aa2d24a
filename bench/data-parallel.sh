#!/usr/bin/env bash
# Data parallelism on this machine: (1) the per-step gradient allreduce of the micro, tiny, small
# and base models' flat gradient buffers over 2 ranks (sdae bench-allreduce); (2) pre-training
# throughput of the default SdAE recipe (ViT-micro, Fashion-MNIST, batch 256) for one process
# against 2 ranks of the same global batch, the ratio measured in this run. Open MPI and a Release
# build first: scripts/install-mpi.sh; dotnet build Host -c Release; scripts/fetch-data.sh.
# Usage: bench/data-parallel.sh [IMAGES]   (default 16384 training images, 2 epochs)
set -euo pipefail
cd "$(dirname "$0")/.."
images="${1:-16384}"
sdae=(dotnet "$PWD/Host/bin/Release/net10.0/sdae.dll")
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 OMPI_MCA_rmaps_base_oversubscribe=1
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

echo "## allreduce of the flat gradient buffer, 2 ranks"
mpirun -np 2 "${sdae[@]}" bench-allreduce experiments/sdae_vit-micro_fmnist.yaml experiments/bench/sdae_vit-tiny-32px4_fp32.yaml \
  experiments/bench/sdae_vit-s16-224_fp32.yaml experiments/bench/sdae_vit-b16-224_fp32.yaml | grep -v '^{'

experiment() {   # the default recipe's pre-training, no evaluation, into its own output folder
  cat > "$work/$1.yaml" <<YAML
name: dp_bench
run: $1
seed: 0
device: cpu
output: $work/runs
data: { type: fashion_mnist, root: $PWD/data/fashion-mnist, train_limit: $images, test_limit: 256, augment: { crop_scale: [0.2, 1.0], flip: true } }
backbone: { type: vit, preset: micro, patch: 4 }
decoder: { type: vit_decoder, width: 64, depth: 2, heads: 4 }
masking: { type: multi_fold, ratio: 0.75, folds: 3 }
target: { type: teacher_latent, momentum: [0.99, 0.999], update: iteration }
pretrain: { epochs: 2, batch: 256, lr: { base: 1.0e-3, warmup_epochs: 1 }, weight_decay: 0.05, betas: [0.9, 0.95], reconstruction_images: 0 }
eval: []
YAML
  echo "$work/$1.yaml"
}

rate() {   # pre-training images/s from the run's results.json (training time only)
  grep -o '"images_per_second": [0-9.]*' "$work/runs/dp_bench/$1/results.json" | grep -o '[0-9.]*$'
}

echo
echo "## pre-training throughput, SdAE ViT-micro, global batch 256, $images images x 2 epochs"
"${sdae[@]}" run "$(experiment one)" > "$work/one.log" || { cat "$work/one.log"; exit 1; }
mpirun -np 2 "${sdae[@]}" run "$(experiment two)" > "$work/two.log" || { cat "$work/two.log"; exit 1; }
one=$(rate one)
two=$(rate two)
awk -v one="$one" -v two="$two" -v cores="$(nproc)" 'BEGIN {
  printf "1 process (%d threads): %.0f images/s\n2 ranks (%d thread each): %.0f images/s\n2 ranks / 1 process: %.2f\n", cores, one, cores / 2, two, two / one }'
