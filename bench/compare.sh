#!/usr/bin/env bash
# One experiment's training step, this framework against PyTorch eager, in one go on one device:
#   bench/compare.sh EXPERIMENT.yaml [--steps N] [--batch B]
# Prints both measurements and the time ratio (sdae / PyTorch; below 1 means sdae is faster).
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
python3 - "$ours" "$theirs" <<'PY'
import json, sys
ours = [json.loads(line) for line in sys.argv[1].splitlines()]
theirs = json.loads(sys.argv[2])
if "skipped" in theirs:
    print("reference skipped:", theirs["skipped"]); sys.exit(0)
for row in ours:
    print(f"sdae ({row['optimizer']}) / {theirs['framework']} time ratio: {row['ms_per_step'] / theirs['ms_per_step']:.2f}")
PY
