#!/usr/bin/env bash
# Runs on the GPU machine, from the repository root, with .device/ carried (bench/pack-for-device.sh):
# unpacks the external build, puts the training data where experiments look for it, runs
# bench/gpu.sh (options passed on) and keeps its log in $OUT (when the device tool sets it).
# With SDAE set and no pack (the CPU check in Tests/BenchScriptTests.cs), it runs that build as it is:
#   SDAE="dotnet Host/bin/Release/net10.0/sdae.dll" ROWS=... bench/device-run.sh --device cpu --batch 2 --steps 2
set -uo pipefail
repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
pack="$repo_root/.device"
work="${TMPDIR:-/tmp}/sdae-device"
if [ -n "${SDAE:-}" ] && [ ! -f "$pack/sdae-external.tar.xz" ]; then
  echo "device-run: no pack; running SDAE=$SDAE as it is"
  mkdir -p "$work"
else
  [ -f "$pack/sdae-external.tar.xz" ] || { echo "device-run: no $pack/sdae-external.tar.xz; run bench/pack-for-device.sh first and carry .device" >&2; exit 2; }
  rm -rf "$work" && mkdir -p "$work"
  tar -C "$work" -xJf "$pack/sdae-external.tar.xz"
  mkdir -p "$repo_root/data"
  [ -e "$repo_root/data/fashion-mnist" ] || ln -s "$pack/fashion-mnist" "$repo_root/data/fashion-mnist"
  export SDAE="$work/sdae-external/sdae-external"
fi
log="${OUT:-$work}/gpu.log"
"$repo_root/bench/gpu.sh" "$@" 2>&1 | tee "$log"
status=${PIPESTATUS[0]}
echo "log: $log"
exit "$status"
