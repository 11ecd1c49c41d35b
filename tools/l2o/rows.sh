#!/usr/bin/env bash
# Per-draw rows of the recorded-evaluation tables in assets/l2o/README.md, from the eval.txt
# files confirm.sh keeps (OUTDIR/<label>/<N>/eval.txt):
#
#   tools/l2o/rows.sh LABEL_SHOWN OUTDIR/<label>        e.g.  tools/l2o/rows.sh F2 out/shipped
#
# One line per draw: the draw, the label, then per group `W` if learned beats tuned Adam (mean
# and median both lower) else `-`, the mean ratio learned / tuned Adam, the median ratio in
# parentheses and the instances below Adam of 20. Wine shows the mean ratio only (its medians
# are 0 for both optimizers on most draws).
set -euo pipefail
if [ $# -ne 2 ]; then
  sed -n '2,10p' "$0"
  exit 2
fi
label=$1 dir=$2
for d in $(ls "$dir" | sort -n); do
  awk -v draw="$d" -v label="$label" '
    $1 != "verdict:" && / learned (beats|does not beat) tuned Adam \(mean/ {
      g = $1; sub(":", "", g)
      won = ($0 ~ /: learned beats/) ? "W" : "-"
      split($0, part, "; ")
      m = part[1]; sub(/.*ratio /, "", m)
      md = part[2]; sub(/.*ratio /, "", md)
      n = part[3]; sub(/lower on /, "", n); sub(/\/.*/, "", n)
      if (g == "mlp-wine") cell = sprintf("%s %s %2s", won, m + 0, n)
      else cell = sprintf("%s %s (%s) %s", won, m, md, n)
      out = out sprintf("   %-16s", cell)
    }
    END { printf "%-6s%-3s%s\n", draw, label, out }' "$dir/$d/eval.txt" | sed -E 's/ +$//'
done
