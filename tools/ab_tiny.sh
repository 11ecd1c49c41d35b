#!/bin/bash
# Interleaved A/B of downhill binaries on the tiny-MLP step (the host switches speed modes on a
# scale of seconds to minutes, so binaries are alternated run by run and compared by median).
# Usage: tools/ab_tiny.sh ROUNDS BIN1 BIN2 [BIN…]   (copy each build to its own path first)
set -euo pipefail
R=$1; shift
for _ in $(seq "$R"); do
  for b in "$@"; do
    echo "$b $("$b" bench --only mlp_tiny | awk '/mlp_tiny/{print $2}')"
  done
done | python3 -c "
import sys, collections, statistics
d = collections.defaultdict(list)
for line in sys.stdin:
    b, v = line.split(); d[b].append(float(v))
for b, v in d.items():
    print(f'{b}: median {statistics.median(v):,.0f}  min {min(v):,.0f}  max {max(v):,.0f} steps/s')
"
