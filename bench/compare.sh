#!/usr/bin/env bash
# One experiment's training step, this framework against PyTorch eager, in one go on one device:
#   bench/compare.sh EXPERIMENT.yaml [--steps N] [--batch B] [--device D]
# Prints both measurements, the time ratio (sdae / PyTorch; below 1 means sdae is faster) and one
# closing line "RESULT {json}" for scripts (bench/gpu.sh).
# Needs python3 (or $PYTHON) with torch and yaml for the reference; without torch it says so and skips it.
# SDAE overrides how sdae is started (default: dotnet run --project Host -c Release --).
set -euo pipefail
repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
experiment="$1"; shift
sdae="${SDAE:-dotnet run --project $repo_root/Host -c Release --}"
resolved="$(mktemp --suffix=.yaml)"
trap 'rm -f "$resolved"' EXIT
$sdae validate --resolved "$experiment" > "$resolved"
ours="$($sdae bench "$experiment" "$@" | tee /dev/stderr | grep '^{' )"
theirs="$("${PYTHON:-python3}" "$repo_root/bench/reference.py" "$resolved" "$@")"
echo "$theirs"
python3 - "$experiment" "$ours" "$theirs" <<'PY'
import json, os, sys
experiment, ours, theirs = sys.argv[1], [json.loads(line) for line in sys.argv[2].splitlines()], json.loads(sys.argv[3])
result = {"row": os.path.splitext(os.path.basename(experiment))[0]}
for row in ours:
    result[f"sdae_{row['optimizer']}_ms"] = row["ms_per_step"]
    if row.get("gpu_memory_mib") is not None:
        result["sdae_gpu_memory_mib"] = max(result.get("sdae_gpu_memory_mib", 0), row["gpu_memory_mib"])
if "skipped" in theirs:
    print("reference skipped:", theirs["skipped"])
else:
    result["reference"] = theirs["framework"]
    result["reference_ms"] = theirs["ms_per_step"]
    if "gpu_memory_mib" in theirs:
        result["reference_gpu_memory_mib"] = theirs["gpu_memory_mib"]
    for row in ours:
        ratio = row["ms_per_step"] / theirs["ms_per_step"]
        result[f"ratio_{row['optimizer']}"] = round(ratio, 3)
        print(f"sdae ({row['optimizer']}) / {theirs['framework']} time ratio: {ratio:.2f}")
print("RESULT " + json.dumps(result))
PY
