#!/usr/bin/env python3
"""A straightforward Python script for plain-text application logs: the baseline that
`claude-429 replay` / `diagnose` on a text log are compared with in bench/run.sh.

What a person writes after an incident: read the log line by line, keep the lines where the
Anthropic SDK printed `Error code: NNN - {...}`, and name the limit from the message text.
Prints one JSON verdict per failure and a summary on stderr. Python 3 standard library only.

usage: naive_text.py APP.log
"""
import json
import re
import sys
from collections import Counter

ERROR = re.compile(r"Error code: (\d{3})")
RULES = [
    ("requests per minute", "rpm"),
    ("input tokens per minute", "itpm"),
    ("output tokens per minute", "otpm"),
    ("overloaded", "overload"),
    ("rate limit", "unknown"),
]


def main():
    path = sys.argv[1]
    by_class = Counter()
    out = sys.stdout
    with open(path, encoding="utf-8", errors="replace") as f:
        for n, line in enumerate(f, 1):
            if "Error code: " not in line:
                continue
            m = ERROR.search(line)
            status = int(m.group(1))
            if status not in (429, 529):
                continue
            lower = line.lower()
            cls = next((c for phrase, c in RULES if phrase in lower), "unknown")
            by_class[cls] += 1
            out.write(json.dumps({"source": path, "line": n, "status": status, "class": cls}) + "\n")
    print(json.dumps({"summary": {"failures": sum(by_class.values()), "by_class": dict(by_class)}}), file=sys.stderr)


if __name__ == "__main__":
    main()
