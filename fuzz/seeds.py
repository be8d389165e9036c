#!/usr/bin/env python3
"""Writes the seed corpora of every fuzz target from the repository's test data.

Run from anywhere; writes fuzz/corpus/<target>/<sha1> (ignored by git). Deterministic: the
same test data gives the same seeds, so CI replays exactly what a developer replays.
"""
import base64
import hashlib
import json
import pathlib

FUZZ = pathlib.Path(__file__).resolve().parent
ROOT = FUZZ.parent
CASES = sorted((ROOT / "testdata" / "cases").glob("*.json"))
# The record target decodes its input with `arbitrary`; these four bytes pick its `Raw`
# variant, so a seed is the record's own bytes.
RAW_VARIANT = b"\xff\xff\xff\xff"


def compact(v):
    return json.dumps(v, ensure_ascii=False, separators=(",", ":")).encode()


def case_inputs(case):
    if "records" in case:
        lines = [compact(r) for r in case["records"]]
        yield b"\n".join(lines) + b"\n"
        yield b"[" + b",".join(lines) + b"]"
    elif "raw" in case:
        yield case["raw"].encode()
    elif "raw_base64" in case:
        yield base64.b64decode(case["raw_base64"])


def strings(v):
    if isinstance(v, str):
        yield v
    elif isinstance(v, list):
        for x in v:
            yield from strings(x)
    elif isinstance(v, dict):
        for x in v.values():
            yield from strings(x)


def main():
    seeds = {t: set() for t in ["pipeline", "frame_array", "record", "hash_strings", "snapshot"]}
    for path in CASES:
        for case in json.loads(path.read_text()):
            for data in case_inputs(case):
                seeds["pipeline"].add(data)
                seeds["frame_array"].add(b"\x00" + data)
            for r in case.get("records", []):
                seeds["record"].add(RAW_VARIANT + compact(r))
                for s in strings(r):
                    if s[:1] in ("$", "{") or len(s) > 20:
                        seeds["hash_strings"].add(b"\x00" + s.encode())
            if "existing" in case:
                export = b"\n".join(compact(u) for u in case["existing"]) + b"\n"
                seeds["snapshot"].add(b"\x00" + export)
                seeds["snapshot"].add(b"\x01" + export)
            if "existing_raw" in case:
                seeds["snapshot"].add(b"\x00" + case["existing_raw"].encode())
    vectors = json.loads((ROOT / "testdata" / "hash" / "vectors.json").read_text())
    for s in strings(vectors):
        if s[:1] in ("$", "{"):
            seeds["hash_strings"].add(b"\x00" + s.encode())
    for target, datas in seeds.items():
        out = FUZZ / "corpus" / target
        out.mkdir(parents=True, exist_ok=True)
        for data in datas:
            (out / hashlib.sha1(data).hexdigest()).write_bytes(data)
        print(f"{target}: {len(datas)} seeds")


if __name__ == "__main__":
    main()
