#!/usr/bin/env bash
# Keeps what a sweep's report is made of (each finished run's results.json, metrics.jsonl and
# experiment.yaml; no checkpoints) in a folder that can be committed, so a sweep split over sittings
# on machines that do not keep runs/ can go on: copy the kept folders back under runs/<sweep>/ and
# `sdae sweep` counts them as finished (it skips a run with a results.json) and reports them.
#   scripts/keep-sweep-results.sh runs/zoo_fmnist docs/results/zoo_fmnist_runs     keep
#   cp -r docs/results/zoo_fmnist_runs/. runs/zoo_fmnist/                           restore
set -euo pipefail
[ $# -eq 2 ] || { echo "usage: $0 SWEEP_RUN_FOLDER DESTINATION" >&2; exit 2; }
source="$1"
destination="$2"
[ -d "$source" ] || { echo "keep-sweep-results: $source is not a folder (a sweep's runs/<sweep>)" >&2; exit 2; }
kept=0
for run in "$source"/*/; do
  [ -f "$run/results.json" ] || continue
  name="$(basename "$run")"
  mkdir -p "$destination/$name"
  for file in results.json metrics.jsonl experiment.yaml; do   # a run without pre-training has no metrics.jsonl
    [ -f "$run/$file" ] && cp "$run/$file" "$destination/$name/"
  done
  kept=$((kept + 1))
done
echo "kept $kept finished runs of $source in $destination"
