#!/usr/bin/env bash
# Runs every fuzz target once over its seeds (written from testdata by seeds.py) and its past
# findings (regressions/<target>), checking each target's properties on each input. Quick:
# no mutation, well under a minute after the build.
set -euo pipefail
cd "$(dirname "$0")"
python3 seeds.py
cargo fuzz build -s none
mkdir -p logs
for t in pipeline frame_array record hash_strings snapshot; do
  dirs=("corpus/$t")
  [ -d "regressions/$t" ] && dirs+=("regressions/$t")
  if ! cargo fuzz run -s none "$t" "${dirs[@]}" -- -runs=0 -timeout=10 -rss_limit_mb=2048 \
      >"logs/replay-$t.log" 2>&1; then
    echo "fuzz replay failed: $t"
    grep -v '^ ' "logs/replay-$t.log" | tail -20
    exit 1
  fi
  echo "$t: $(grep '^Done' "logs/replay-$t.log")"
done
