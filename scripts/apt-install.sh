#!/usr/bin/env bash
# Installs Debian packages for the scripts/install-*.sh installers: as root, waiting for apt's lock
# (another apt may hold it), and refreshing the package lists when the first try fails. Not root:
# says what would install them, and fails.
# Usage: scripts/apt-install.sh "WHAT IS MISSING" PACKAGE...
set -euo pipefail

missing=$1
shift
if [ "$(id -u)" -ne 0 ]; then
  echo "$missing and this is not root; run: sudo apt-get install $*" >&2
  exit 1
fi
export DEBIAN_FRONTEND=noninteractive
apt_get() { apt-get -o DPkg::Lock::Timeout=600 "$@"; }
if ! apt_get install -y --no-install-recommends "$@"; then
  apt_get update
  apt_get install -y --no-install-recommends "$@"
fi
