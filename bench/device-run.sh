#!/usr/bin/env bash
# Runs on the GPU machine, from the repository root, with .device/ carried (bench/pack-for-device.sh):
# unpacks the external build, puts the training data where experiments look for it, runs
# bench/gpu.sh (options passed on) and keeps its log in $OUT (when the device tool sets it).
set -uo pipefail
repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
pack="$repo_root/.device"
[ -f "$pack/sdae-external.tar.xz" ] || { echo "device-run: no $pack/sdae-external.tar.xz; run bench/pack-for-device.sh first and carry .device" >&2; exit 2; }
work="${TMPDIR:-/tmp}/sdae-device"
rm -rf "$work" && mkdir -p "$work"
tar -C "$work" -xJf "$pack/sdae-external.tar.xz"
mkdir -p "$repo_root/data"
[ -e "$repo_root/data/fashion-mnist" ] || ln -s "$pack/fashion-mnist" "$repo_root/data/fashion-mnist"
export SDAE="$work/sdae-external/sdae-external"
log="${OUT:-$work}/gpu.log"
"$repo_root/bench/gpu.sh" "$@" 2>&1 | tee "$log"
echo "log: $log"
