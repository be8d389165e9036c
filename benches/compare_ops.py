#!/usr/bin/env python3
"""Compares two operations streams line by line (issue 13's must-show).

Both streams must have the same number of lines; each pair of lines must be byte-identical,
or equal once the line's `errors` array is sorted (SPEC fixes the order of conflict errors,
not of schema errors within a record). Prints how many lines were identical, how many
differed only in error order, and the first lines that differ otherwise; exits 1 then.

    python3 benches/compare_ops.py OLD.ndjson NEW.ndjson
"""

import json
import sys


def sorted_errors(line):
    op = json.loads(line)
    if "errors" in op:
        op["errors"] = sorted(op["errors"], key=lambda e: json.dumps(e, sort_keys=True))
    return json.dumps(op, sort_keys=True)


def main():
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    same = reordered = 0
    differ = []
    with open(sys.argv[1], "rb") as a, open(sys.argv[2], "rb") as b:
        n = 0
        while True:
            la, lb = a.readline(), b.readline()
            if not la and not lb:
                break
            if not la or not lb:
                sys.exit(f"line {n + 1}: one stream ends before the other")
            if la == lb:
                same += 1
            elif sorted_errors(la) == sorted_errors(lb):
                reordered += 1
            else:
                differ.append(n + 1)
            n += 1
    print(f"{n} lines: {same} identical, {reordered} equal once errors are sorted, {len(differ)} differ")
    for line in differ[:5]:
        print(f"  differs at line {line}")
    sys.exit(1 if differ else 0)


if __name__ == "__main__":
    main()
