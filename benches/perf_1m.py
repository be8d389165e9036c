#!/usr/bin/env python3
"""The 1M-user performance run (issue 5), standard library only.

Generates (once) the data set of `testdata/gen/gen_users.py --users 1000000 --seed 42
--existing 200000` in NDJSON and JSON-array form, then runs the release binary three times
per case and the parse-only pass (frame + parse every record into the engine's tape on the
same threads, nothing else) three times per form, and prints the medians, records/s, MB/s
and the ratio of each end-to-end case to the parse-only pass of its form.

With --memory it instead streams the 5M-distinct-user data set (`gen_users.py --users 5000000
--seed 42 --format ndjson`, generated once into --dir, ~2.5 GB) on standard input through `run -
--threads 2` and prints the peak RSS of each run (the in-file index is what grows with the
input). With --scaling it runs the 1M NDJSON file case with --threads 1 and --threads 2,
interleaved, and prints the ratio of the medians.

    cargo build --release
    python3 benches/perf_1m.py --dir /tmp/perf [--threads 2] [--runs 3] [--users 1000000]
    python3 benches/perf_1m.py --dir /tmp/perf --memory [--runs 1] [--bin OTHER]
    python3 benches/perf_1m.py --dir /tmp/perf --scaling [--runs 3]

With --baseline OLD_BINARY every case also runs the older binary, interleaved run by run
with --bin (old, new, old, new, ...), and prints both medians and their ratio: the A/B that
BENCHMARKS.md quotes.
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


def measured(cmd, stdin_path=None):
    """Runs `cmd`; returns its wall time in seconds and its peak RSS in bytes."""
    start = time.perf_counter()
    stdin = open(stdin_path, "rb") if stdin_path else subprocess.DEVNULL
    try:
        p = subprocess.Popen(cmd, stdin=stdin, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        stderr = p.stderr.read()
        p.stderr.close()
        # wait4 gives this child's own rusage; RUSAGE_CHILDREN would be the maximum over
        # every child so far.
        _, status, usage = os.wait4(p.pid, 0)
        p.returncode = os.waitstatus_to_exitcode(status)
    finally:
        if stdin_path:
            stdin.close()
    if p.returncode != 0:
        sys.exit(f"{' '.join(cmd)} exited {p.returncode}: {stderr.decode()}")
    return time.perf_counter() - start, usage.ru_maxrss * 1024


def timed(cmd, stdin_path=None):
    return measured(cmd, stdin_path)[0]


def memory(a):
    """Peak RSS of the 5M-distinct stream on standard input, with two threads."""
    users = 5_000_000
    nd = os.path.join(a.dir, f"users{users}.ndjson")
    if not os.path.exists(nd):
        os.makedirs(a.dir, exist_ok=True)
        gen = os.path.join(ROOT, "testdata", "gen", "gen_users.py")
        part = nd + ".part"
        subprocess.run([sys.executable, gen, "--users", str(users), "--seed", "42", "--format", "ndjson",
                        "--out", part, "--jobs", "2"], check=True, stdout=subprocess.DEVNULL)
        os.rename(part, nd)
    out = os.path.join(a.dir, "operations5m.ndjson")
    bins = [("old", a.baseline), ("new", a.bin)] if a.baseline else [("", a.bin)]
    runs = {label: [] for label, _ in bins}
    for _ in range(a.runs):
        # Interleaved (old, new, old, ...) so that drift on the machine hits both.
        for label, b in bins:
            runs[label].append(measured([b, "run", "-", "--quiet", "--out", out, "--threads", "2"], nd))
    peaks = {}
    for label, _ in bins:
        rss = [r for _, r in runs[label]]
        times = [t for t, _ in runs[label]]
        m = statistics.median(times)
        peaks[label] = statistics.median(rss)
        print(f"run ndjson stdin 5M {label:3} peak RSS median {peaks[label] / 1e6:6.1f} MB of "
              f"{[round(r / 1e6, 1) for r in rss]}  "
              f"{peaks[label] / users:5.1f} bytes/record  "
              f"time median {m:6.3f} s  {users / m:>10,.0f} records/s")
    if a.baseline:
        print(f"peak RSS new / old: {peaks['new'] / peaks['old']:.2f}")


def scaling(a):
    """The 1M NDJSON file case with one and two threads, interleaved so drift hits both (and,
    with --baseline, the older binary's runs interleaved with the newer's)."""
    nd, _, ex = generate(a.dir, a.users, a.existing)
    out = os.path.join(a.dir, "operations.ndjson")
    bins = [("old", a.baseline), ("new", a.bin)] if a.baseline else [("", a.bin)]
    times = {(label, t): [] for label, _ in bins for t in (1, 2)}
    for _ in range(a.runs):
        for label, b in bins:
            for t in (1, 2):
                cmd = [b, "run", "--quiet", "--existing", ex, "--out", out, "--threads", str(t), nd]
                times[(label, t)].append(timed(cmd))
    for label, _ in bins:
        m = {t: statistics.median(times[(label, t)]) for t in (1, 2)}
        for t in (1, 2):
            print(f"run ndjson file {label:3} {t} thread(s) median {m[t]:6.3f} s of "
                  f"{[round(x, 3) for x in times[(label, t)]]}  {a.users / m[t]:>10,.0f} records/s")
        print(f"{label:3} 2 threads / 1 thread: {m[1] / m[2]:.2f}x the throughput")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--dir", required=True, help="where the data set is (generated when missing)")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--users", type=int, default=1_000_000)
    ap.add_argument("--existing", type=int, default=200_000)
    ap.add_argument("--bin", default=os.path.join(ROOT, "target", "release", "user-import"))
    ap.add_argument("--memory", action="store_true",
                    help="peak RSS of the 5M-distinct stream on standard input instead")
    ap.add_argument("--baseline", help="an older binary to run interleaved with --bin")
    ap.add_argument("--scaling", action="store_true",
                    help="the 1M NDJSON file with 1 and 2 threads, interleaved, instead")
    a = ap.parse_args()
    if a.memory or a.scaling:
        if a.memory:
            memory(a)
        if a.scaling:
            scaling(a)
        return
    nd, arr, ex = generate(a.dir, a.users, a.existing)
    out = os.path.join(a.dir, "operations.ndjson")
    t = ["--threads", str(a.threads)]

    def cases(b):
        run = [b, "run", "--quiet", "--existing", ex, "--out", out] + t
        return [
            ("parse-only ndjson", [b, "parse-only", nd] + t, None, nd),
            ("parse-only array", [b, "parse-only", arr] + t, None, arr),
            ("run ndjson file", run + [nd], None, nd),
            ("run ndjson stdin", run + ["-"], nd, nd),
            ("run array file", run + [arr], None, arr),
            ("run array stdin", run + ["-"], arr, arr),
        ]

    bins = [a.bin] + ([a.baseline] if a.baseline else [])
    medians = {b: {} for b in bins}
    for i, (name, _, stdin, data) in enumerate(cases(a.bin)):
        times = {b: [] for b in bins}
        for _ in range(a.runs):
            for b in reversed(bins):
                times[b].append(timed(cases(b)[i][1], stdin))
        size = os.path.getsize(data)
        for b in bins:
            m = statistics.median(times[b])
            medians[b][name] = m
            tag = "" if b == a.bin else " (baseline)"
            print(f"{name + tag:31} median {m:6.3f} s of {[round(x, 3) for x in times[b]]}  "
                  f"{a.users / m:>10,.0f} records/s  {size / m / 1e6:6.1f} MB/s")
        if a.baseline:
            print(f"{'':31} new/baseline speed: {medians[a.baseline][name] / medians[a.bin][name]:.2f}x")
    for b in bins:
        tag = "" if b == a.bin else " (baseline)"
        for form in ("ndjson", "array"):
            floor = medians[b][f"parse-only {form}"]
            for src in ("file", "stdin"):
                m = medians[b][f"run {form} {src}"]
                print(f"run {form} {src}{tag}: {floor / m:.0%} of the parse-only throughput")

if __name__ == "__main__":
    main()
