#!/usr/bin/env python3
"""The 1M-user performance run (issue 5), standard library only.

Generates (once) the data set of `testdata/gen/gen_users.py --users 1000000 --seed 42
--existing 200000` in NDJSON and JSON-array form, then runs the release binary three times
per case and the parse-only pass (frame + parse every record into the engine's tape on the
same threads, nothing else) three times per form, and prints the medians, records/s, MB/s
and the ratio of each end-to-end case to the parse-only pass of its form.

    cargo build --release
    python3 benches/perf_1m.py --dir /tmp/perf [--threads 2] [--runs 3] [--users 1000000]
"""

import argparse
import os
import statistics
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def generate(d, users, existing):
    os.makedirs(d, exist_ok=True)
    gen = os.path.join(ROOT, "testdata", "gen", "gen_users.py")
    nd = os.path.join(d, f"users{users}.ndjson")
    arr = os.path.join(d, f"users{users}.json")
    ex = os.path.join(d, f"existing{existing}.ndjson")
    if not (os.path.exists(nd) and os.path.exists(ex)):
        subprocess.run([sys.executable, gen, "--users", str(users), "--seed", "42", "--format", "ndjson",
                        "--existing", str(existing), "--out", nd, "--existing-out", ex, "--jobs", "2"],
                       check=True, stdout=subprocess.DEVNULL)
    if not os.path.exists(arr):
        subprocess.run([sys.executable, gen, "--users", str(users), "--seed", "42", "--format", "json",
                        "--out", arr, "--jobs", "2"], check=True, stdout=subprocess.DEVNULL)
    return nd, arr, ex


def timed(cmd, stdin_path=None):
    start = time.perf_counter()
    stdin = open(stdin_path, "rb") if stdin_path else subprocess.DEVNULL
    try:
        p = subprocess.run(cmd, stdin=stdin, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    finally:
        if stdin_path:
            stdin.close()
    if p.returncode != 0:
        sys.exit(f"{' '.join(cmd)} exited {p.returncode}: {p.stderr.decode()}")
    return time.perf_counter() - start


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--dir", required=True, help="where the data set is (generated when missing)")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--users", type=int, default=1_000_000)
    ap.add_argument("--existing", type=int, default=200_000)
    ap.add_argument("--bin", default=os.path.join(ROOT, "target", "release", "user-import"))
    a = ap.parse_args()
    nd, arr, ex = generate(a.dir, a.users, a.existing)
    out = os.path.join(a.dir, "operations.ndjson")
    t = ["--threads", str(a.threads)]
    run = [a.bin, "run", "--quiet", "--existing", ex, "--out", out] + t
    cases = [
        ("parse-only ndjson", [a.bin, "parse-only", nd] + t, None, nd),
        ("parse-only array", [a.bin, "parse-only", arr] + t, None, arr),
        ("run ndjson file", run + [nd], None, nd),
        ("run ndjson stdin", run + ["-"], nd, nd),
        ("run array file", run + [arr], None, arr),
        ("run array stdin", run + ["-"], arr, arr),
    ]
    medians = {}
    for name, cmd, stdin, data in cases:
        times = [timed(cmd, stdin) for _ in range(a.runs)]
        m = statistics.median(times)
        medians[name] = m
        size = os.path.getsize(data)
        print(f"{name:20} median {m:6.3f} s of {[round(x, 3) for x in times]}  "
              f"{a.users / m:>10,.0f} records/s  {size / m / 1e6:6.1f} MB/s")
    for form in ("ndjson", "array"):
        floor = medians[f"parse-only {form}"]
        for src in ("file", "stdin"):
            m = medians[f"run {form} {src}"]
            print(f"run {form} {src}: {floor / m:.0%} of the parse-only throughput")


if __name__ == "__main__":
    main()
