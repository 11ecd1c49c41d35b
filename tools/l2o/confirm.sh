#!/usr/bin/env bash
# Cells of learned-optimizer weights against tuned Adam on a range of held-out draws, as the
# confirmation rule of assets/l2o/HISTORY.md counts them: a (group, draw) cell is won when
# `downhill l2o eval` says "learned beats tuned Adam" (group mean and median final loss both
# below tuned Adam's).
#
#   tools/l2o/confirm.sh FIRST LAST OUTDIR WEIGHTS...     (WEIGHTS: a .safetensors path or `shipped`)
#
# Runs `target/release/downhill l2o eval --in-family-only --seed N` (about 12 s per draw and
# weights on 2 cores), keeps each eval.txt under OUTDIR/<label>/<N>/, and prints per weights
# the cells won per group and the synthetic (first four groups) and real-data totals.
set -euo pipefail
if [ $# -lt 4 ]; then
  sed -n '2,10p' "$0"
  exit 2
fi
first=$1 last=$2 out=$3
shift 3
bin=${DOWNHILL:-target/release/downhill}
for w in "$@"; do
  label=$(basename "$(dirname "$w")")/$(basename "$w" .safetensors)
  [ "$w" = shipped ] && label=shipped
  for n in $(seq "$first" "$last"); do
    dir="$out/$label/$n"
    mkdir -p "$dir"
    if [ ! -s "$dir/eval.txt" ]; then
      args=(l2o eval --in-family-only --seed "$n" --out "$dir")
      [ "$w" = shipped ] || args+=(--weights "$w")
      "$bin" "${args[@]}" > "$dir/eval.txt.tmp" 2>&1
      mv "$dir/eval.txt.tmp" "$dir/eval.txt"
    fi
  done
  echo "== $w (draws $first–$last)"
  cat "$out/$label"/*/eval.txt | awk '
    $1 != "verdict:" && /: learned (beats|does not beat) tuned Adam/ {
      g = $1; sub(":", "", g)
      if (!(g in seen)) { seen[g] = 1; order[++k] = g }
      won[g] += ($0 ~ /: learned beats/)
      draws[g]++
    }
    END {
      for (i = 1; i <= k; i++) {
        g = order[i]
        printf "  %-18s %d/%d\n", g, won[g], draws[g]
        if (i <= 4) { s += won[g]; sd += draws[g] } else { r += won[g]; rd += draws[g] }
      }
      printf "  synthetic %d/%d  real %d/%d\n", s, sd, r, rd
    }'
done
