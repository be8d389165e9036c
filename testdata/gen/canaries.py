#!/usr/bin/env python3
"""Canary passwords for a generated users file, for `user-import verify --passwords`.

The generator takes its hashes from hash_vectors.json, whose plaintexts are known; this
writes one {"email", "password"} line for the first user (with an email) of each distinct
hash, as a team would list the test accounts whose passwords it knows. Standard library only.

    canaries.py users.json canaries.ndjson [--max N]
"""

import argparse
import json
import os


def records(path):
    """The users of a JSON array or NDJSON file."""
    with open(path, encoding="utf-8") as f:
        text = f.read()
    if text.lstrip().startswith("["):
        return json.loads(text)
    return [json.loads(line) for line in text.splitlines() if line.strip()]


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("users")
    ap.add_argument("out")
    ap.add_argument("--max", type=int, default=0, help="at most this many canaries (0: all)")
    ap.add_argument(
        "--hash-vectors",
        default=os.path.join(os.path.dirname(os.path.abspath(__file__)), "hash_vectors.json"),
    )
    args = ap.parse_args()
    with open(args.hash_vectors, encoding="utf-8") as f:
        vectors = json.load(f)["vectors"]
    known = {json.dumps(v["value"], sort_keys=True): v["password"] for v in vectors}
    seen = set()
    with open(args.out, "w", encoding="utf-8") as out:
        for user in records(args.users):
            if not isinstance(user, dict) or not isinstance(user.get("email"), str):
                continue
            hashed = user.get("custom_password_hash") or user.get("password_hash")
            key = json.dumps(hashed, sort_keys=True)
            if key in known and key not in seen:
                seen.add(key)
                out.write(json.dumps({"email": user["email"], "password": known[key]}) + "\n")
                if args.max and len(seen) >= args.max:
                    break
    print(f"{len(seen)} canaries")


if __name__ == "__main__":
    main()
