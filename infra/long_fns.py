#!/usr/bin/env python3
"""List Rust functions whose body is longer than a limit (default 80 lines).

Skips `#[cfg(test)]` modules and files under tests/ or named tests.rs, so the
count is for shipped code. A function's length is counted from its `fn` line
to its closing brace. Usage: python3 infra/long_fns.py [--max 80] DIR...
"""
import argparse
import os
import re

FN = re.compile(r"^\s*(pub(\([^)]*\))?\s+)?(const\s+)?(async\s+)?(unsafe\s+)?fn\s+(\w+)")


def strip(line):
    """Drop string/char literals and line comments so braces count right."""
    line = re.sub(r'"(\\.|[^"\\])*"', '""', line)
    line = re.sub(r"'(\\.|[^'\\])'", "''", line)
    return line.split("//", 1)[0]


def scan(path, limit):
    with open(path, encoding="utf-8") as f:
        lines = f.readlines()
    out, i, n = [], 0, len(lines)
    while i < n:
        text = lines[i]
        if text.strip().startswith("#[cfg(test)]"):
            # skip the test module / item that follows
            j, depth, opened = i + 1, 0, False
            while j < n:
                s = strip(lines[j])
                depth += s.count("{") - s.count("}")
                if "{" in s:
                    opened = True
                if opened and depth <= 0:
                    break
                if not opened and s.rstrip().endswith(";"):
                    break
                j += 1
            i = j + 1
            continue
        m = FN.match(text)
        if m:
            j, depth, opened = i, 0, False
            while j < n:
                s = strip(lines[j])
                depth += s.count("{") - s.count("}")
                if "{" in s:
                    opened = True
                if not opened and s.rstrip().endswith(";"):
                    break  # trait method without body
                if opened and depth <= 0:
                    break
                j += 1
            length = j - i + 1
            if opened and length > limit:
                out.append((length, path, i + 1, m.group(6)))
            i += 1  # nested fns are checked too
            continue
        i += 1
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--max", type=int, default=80)
    ap.add_argument("dirs", nargs="+")
    a = ap.parse_args()
    found = []
    for d in a.dirs:
        for root, _, files in os.walk(d):
            if "/tests" in root or root.endswith("tests"):
                continue
            for name in files:
                if name.endswith(".rs") and name != "tests.rs":
                    found += scan(os.path.join(root, name), a.max)
    for length, path, line, name in sorted(found, reverse=True):
        print(f"{length:5} {path}:{line} {name}")
    print(f"{len(found)} functions over {a.max} lines")


if __name__ == "__main__":
    main()
