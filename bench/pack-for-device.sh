#!/usr/bin/env bash
# Prepares what bench/gpu.sh needs on a GPU machine that has a CUDA PyTorch but no .NET and no
# network, within the device tool's 64 MiB per call: the `external` build (self-contained .NET,
# no libtorch: it uses the machine's PyTorch) as one xz archive, and the Fashion-MNIST training files.
#
#   bench/pack-for-device.sh            -> .device/ (git-ignored; name it in the device call's carry)
#   device: bench/device-run.sh         (unpacks, then runs bench/gpu.sh; log in $OUT when set)
set -euo pipefail
repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
pack="$repo_root/.device"
limit_mib=60   # the tool carries 64 MiB in all, the repository's own files included

"$repo_root/scripts/fetch-data.sh" >/dev/null
staging="$(mktemp -d)"
trap 'rm -rf "$staging"' EXIT
"$repo_root/scripts/publish-external.sh" "$staging/sdae-external" >/dev/null

rm -rf "$pack"
mkdir -p "$pack/fashion-mnist"
echo "compressing the build (about a minute)..."
tar -C "$staging" -cf - sdae-external | xz -9 -T0 > "$pack/sdae-external.tar.xz"
cp "$repo_root"/data/fashion-mnist/train-*-idx?-ubyte.gz "$pack/fashion-mnist/"

size_mib=$(( $(du -sb "$pack" | cut -f1) / 1048576 ))
tree_mib=$(( $(git -C "$repo_root" ls-files -z | xargs -0 cat | wc -c) / 1048576 ))
echo "packed $pack: ${size_mib} MiB (+ ${tree_mib} MiB of tracked files)"
if [ $(( size_mib + tree_mib )) -gt "$limit_mib" ]; then
  echo "pack-for-device: ${size_mib} MiB + ${tree_mib} MiB is over the ${limit_mib} MiB a device call can carry" >&2
  exit 1
fi
