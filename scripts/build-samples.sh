#!/usr/bin/env bash
# Builds the out-of-tree plugins in samples/ the way a researcher outside this repository would: against
# the SDK packages (SdAE.Abstractions, SdAE.Training, SdAE.Testing) packed from this checkout into
# artifacts/sdae-feed, with no project reference into the repository. The SdAE packages are restored into
# artifacts/sample-packages, fresh each time (a cached package of the same version would be stale);
# every other package comes from the machine's NuGet cache or its usual sources.
#   scripts/build-samples.sh            pack, then build each sample's plugin and tests (Release)
#   scripts/build-samples.sh --test     ... and run each sample's tests
set -euo pipefail
cd "$(dirname "$0")/.."
feed=artifacts/sdae-feed
packages="$PWD/artifacts/sample-packages"
machine="${NUGET_PACKAGES:-$HOME/.nuget/packages}"
rm -rf "$feed" "$packages"
for project in Abstractions Training Testing; do
  dotnet pack "$project" -c Release -o "$feed" -p:ContinuousIntegrationBuild=true -v quiet -nologo
done
for tests in samples/*/*.Tests; do
  restore=(-p:RestorePackagesPath="$packages" -p:RestoreFallbackFolders="$machine")
  dotnet build "$tests" -c Release -nologo -v quiet "${restore[@]}"
  if [ "${1:-}" = "--test" ]; then
    dotnet test "$tests" -c Release --no-build -nologo "${restore[@]}"
  fi
done
