#!/usr/bin/env bash
# Two sdae processes on one machine: the training step's images/s of one run alone, then of two
# started together, with libgomp's default spinning (GOMP_SPINCOUNT=300000, what sdae ran with
# before it set its own) and with sdae's setting (GOMP_SPINCOUNT=1000, applied when neither
# GOMP_SPINCOUNT nor OMP_WAIT_POLICY is set). Build first: dotnet build Host -c Release.
# Usage: bench/concurrent-runs.sh [EXPERIMENT]   (default: the default experiment)
set -euo pipefail
cd "$(dirname "$0")/.."
experiment="${1:-experiments/sdae_vit-micro_fmnist.yaml}"
sdae=(dotnet Host/bin/Release/net10.0/sdae.dll)

rate() {   # images/s of the per-tensor AdamW step, median of 20 steps
  env "$@" "${sdae[@]}" bench "$experiment" --steps 20 2>&1 | grep '"adamw"' | grep -o 'images_per_second":[0-9.]*' | cut -d: -f2
}

for setting in "GOMP_SPINCOUNT=300000" "SDAE_DEFAULT=1"; do
  alone=$(rate "$setting")
  rate "$setting" > /tmp/sdae-concurrent-b.txt &
  a=$(rate "$setting")
  wait
  b=$(cat /tmp/sdae-concurrent-b.txt)
  label=$([ "$setting" = "SDAE_DEFAULT=1" ] && echo "sdae's setting (GOMP_SPINCOUNT=1000)" || echo "libgomp default spinning ($setting)")
  awk -v l="$label" -v s="$alone" -v a="$a" -v b="$b" 'BEGIN { printf "%s: alone %.0f images/s; two together %.0f + %.0f = %.0f images/s (%.2fx of alone)\n", l, s, a, b, a + b, (a + b) / s }'
done
