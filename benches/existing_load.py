#!/usr/bin/env python3
"""Loading existing users: time and memory per existing user (standard library only).

Runs the release binary on a users file with and without an existing-users export, several
times each, and prints the medians of:
  - the load time the binary reports ("N existing users loaded in S s"),
  - the wall time of the whole run,
  - peak anonymous memory (RssAnon in /proc/PID/status, sampled every millisecond; pages of
    the memory-mapped export are file-backed and do not count),
and the index's cost per existing user: (peak with the export - peak without) / users.

    python3 testdata/gen/gen_users.py --users 1000 --seed 42 --format ndjson \\
        --existing 1000000 --out small.ndjson --existing-out existing.ndjson --jobs 2
    cargo build --release
    python3 benches/existing_load.py small.ndjson existing.ndjson [--runs 3] [--threads 2]
"""

import argparse
import os
import re
import statistics
import subprocess
import sys
import time


def rss_anon_kb(pid):
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("RssAnon:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def run(cmd):
    """Runs cmd; returns (wall seconds, peak RssAnon kB, stderr)."""
    start = time.perf_counter()
    p = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    peak = 0
    while p.poll() is None:
        peak = max(peak, rss_anon_kb(p.pid))
        time.sleep(0.001)
    wall = time.perf_counter() - start
    err = p.stderr.read().decode()
    if p.returncode != 0:
        sys.exit(f"{' '.join(cmd)} exited {p.returncode}:\n{err}")
    return wall, peak, err


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("users")
    ap.add_argument("existing")
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--bin", default=os.path.join("target", "release", "user-import"))
    a = ap.parse_args()
    base = [a.bin, "run", a.users, "--threads", str(a.threads)]
    without, with_, loads = [], [], []
    users = 0
    for _ in range(a.runs):
        wall, peak, _ = run(base)
        without.append((wall, peak))
        wall, peak, err = run(base + ["--existing", a.existing])
        m = re.search(r"(\d+) existing users loaded in ([0-9.]+) s", err)
        if not m:
            sys.exit(f"no load line in:\n{err}")
        users = int(m.group(1))
        loads.append(float(m.group(2)))
        with_.append((wall, peak))
    med = statistics.median
    peak0 = med(p for _, p in without)
    peak1 = med(p for _, p in with_)
    load = med(loads)
    print(f"existing users: {users}")
    print(f"load time: median {load:.3f} s of {sorted(loads)} -> {users / load:,.0f} users/s")
    print(f"whole run: median {med(w for w, _ in with_):.3f} s with, "
          f"{med(w for w, _ in without):.3f} s without")
    print(f"peak RssAnon: median {peak1 / 1024:.1f} MiB with, {peak0 / 1024:.1f} MiB without "
          f"(runs with: {[p // 1024 for _, p in with_]} MiB)")
    print(f"index memory: {(peak1 - peak0) * 1024 / max(users, 1):.1f} bytes per existing user")


if __name__ == "__main__":
    main()
