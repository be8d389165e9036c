#!/usr/bin/env bash
# Fuzzes every target (or those named) for SECONDS each, one after another, on stable.
# Usage: fuzz/run.sh [SECONDS] [TARGET...]; logs go to fuzz/logs/<target>.log.
set -uo pipefail
cd "$(dirname "$0")"
secs=${1:-600}
shift || true
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(pipeline frame_array record hash_strings snapshot)
python3 seeds.py >/dev/null
cargo fuzz build -s none
mkdir -p logs
for t in "${targets[@]}"; do
  cargo fuzz run -s none "$t" "corpus/$t" -- -max_total_time="$secs" -max_len=4096 \
    -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 >"logs/$t.log" 2>&1
  echo "$t: exit $? $(grep -E '^stat::number_of_executed_units' "logs/$t.log")"
done
