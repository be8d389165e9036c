#!/usr/bin/env python3
"""The job API, timed (issue 8): `user-import serve` from a release build with the server
feature, on a fresh database, driven over loopback.

1. one ~500 KB job (as many generated users as fit in Auth0's 512000 bytes) from POST to
   `completed`, then the same file again with upsert;
2. 20 clients at once, each with its own ~500 KB job of distinct users, retrying every 50 ms
   on 429 until accepted, until every job has completed;
3. with --big N: a job of N users first (raising --max-file-bytes), then the ~500 KB job
   again, to show what the store's size costs each job (its snapshot is exported and loaded).

    cargo build --release --features server
    python3 benches/job_api.py --dir /tmp/job-api [--big 100000]

Standard library only; the users come from testdata/gen/gen_users.py.
"""
import argparse, json, os, re, subprocess, sys, threading, time, urllib.error, urllib.request, uuid

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
p = argparse.ArgumentParser()
p.add_argument("--dir", required=True)
p.add_argument("--bin", default=os.path.join(ROOT, "target/release/user-import"))
p.add_argument("--big", type=int, default=0)
args = p.parse_args()
os.makedirs(args.dir, exist_ok=True)
TOKEN = "bench-token"
LIMIT = 512000


def gen(users, seed, out):
    if not os.path.exists(out):
        subprocess.run([sys.executable, os.path.join(ROOT, "testdata/gen/gen_users.py"), "--users", str(users),
                        "--seed", str(seed), "--format", "json", "--out", out], check=True, stdout=subprocess.DEVNULL)
    return json.load(open(out))


def fit(records):
    """The first records whose minified JSON array fits in Auth0's limit."""
    while True:
        blob = json.dumps(records, separators=(",", ":"), ensure_ascii=False).encode()
        if len(blob) <= LIMIT:
            return blob
        records = records[: len(records) * LIMIT // len(blob) if len(blob) > LIMIT * 1.05 else len(records) - 1]


class Server:
    def __init__(self, extra=()):
        db = os.path.join(args.dir, "bench.db")
        for f in (db, db + "-wal", db + "-shm"):
            if os.path.exists(f):
                os.remove(f)
        self.p = subprocess.Popen([args.bin, "serve", "--db", db, "--listen", "127.0.0.1:0", *extra],
                                  env={**os.environ, "USER_IMPORT_TOKEN": TOKEN}, stderr=subprocess.PIPE, text=True)
        for line in self.p.stderr:
            m = re.search(r"listening on (http://\S+)", line)
            if m:
                self.base = m.group(1)
                break
        threading.Thread(target=lambda: [None for _ in self.p.stderr], daemon=True).start()
        self.con = json.loads(self.req("GET", "/api/v2/connections")[1])[0]["id"]

    def req(self, method, path, body=None, ctype=None):
        r = urllib.request.Request(self.base + path, data=body, method=method)
        r.add_header("authorization", "Bearer " + TOKEN)
        if ctype:
            r.add_header("content-type", ctype)
        try:
            with urllib.request.urlopen(r) as resp:
                return resp.status, resp.read()
        except urllib.error.HTTPError as e:
            return e.code, e.read()

    def post(self, data, upsert=False):
        b = uuid.uuid4().hex
        fields = [("users", data, '; filename="users.json"'), ("connection_id", self.con.encode(), "")]
        if upsert:
            fields.append(("upsert", b"true", ""))
        body = b"".join(f'--{b}\r\nContent-Disposition: form-data; name="{n}"{x}\r\n\r\n'.encode() + v + b"\r\n"
                        for n, v, x in fields) + f"--{b}--\r\n".encode()
        return self.req("POST", "/api/v2/jobs/users-imports", body, f"multipart/form-data; boundary={b}")

    def run(self, data, upsert=False):
        t0 = time.perf_counter()
        code, body = self.post(data, upsert)
        assert code == 202, (code, body)
        job = self.wait(json.loads(body)["id"])
        return time.perf_counter() - t0, job

    def wait(self, job):
        while True:
            j = json.loads(self.req("GET", f"/api/v2/jobs/{job}")[1])
            if j["status"] in ("completed", "failed"):
                return j
            time.sleep(0.002)

    def stop(self):
        self.p.terminate()
        self.p.wait()


records = gen(1200, 7, os.path.join(args.dir, "users1200.json"))
one = fit(records)
s = Server()
for label, upsert in (("insert", False), ("upsert, same file", True)):
    dt, j = s.run(one, upsert)
    print(f"one job, {len(one)} bytes, {j['summary']['total']} users, {label}: {dt * 1000:.0f} ms POST->completed {j['summary']}")

files = []
for c in range(20):
    recs = []
    for r in records:
        r = dict(r)
        if isinstance(r.get("email"), str) and "@" in r["email"]:
            r["email"] = f"c{c}." + r["email"]
        for k in ("user_id", "username"):
            if isinstance(r.get(k), str):
                r[k] = f"c{c}{r[k]}"[:128]
        recs.append(r)
    files.append(fit(recs))
results, rejected = [None] * 20, [0] * 20


def client(c):
    while True:
        code, body = s.post(files[c])
        if code == 202:
            break
        assert code == 429, (code, body)
        rejected[c] += 1
        time.sleep(0.05)
    results[c] = s.wait(json.loads(body)["id"])


t0 = time.perf_counter()
threads = [threading.Thread(target=client, args=(c,)) for c in range(20)]
for t in threads:
    t.start()
for t in threads:
    t.join()
dt = time.perf_counter() - t0
print(f"20 clients, {sum(map(len, files))} bytes in 20 jobs: {dt:.2f} s wall, "
      f"{sum(r['summary']['total'] for r in results)} records, {sum(rejected)} answers 429, "
      f"all completed: {all(r['status'] == 'completed' for r in results)}")
s.stop()

if args.big:
    big = json.dumps(gen(args.big, 11, os.path.join(args.dir, f"users{args.big}.json"))).encode()
    s = Server(["--max-file-bytes", str(len(big))])
    dt, j = s.run(big)
    print(f"big job, {len(big)} bytes: {dt:.2f} s {j['summary']}")
    for i in range(3):
        dt, j = s.run(one)
        print(f"~500 KB job over a store of {args.big} users: {dt * 1000:.0f} ms")
    s.stop()
