#!/usr/bin/env python3
"""A straightforward Python script for HAR exports: the baseline that `claude-429 replay` on
a HAR file is compared with in bench/run.sh.

json.load the whole file, walk log.entries, and name the limit of every 429/529 (or error
body) from the error_code, an exhausted rate-limit header, or the message text. Prints one
JSON verdict per failure and a summary on stderr. Python 3 standard library only.

usage: naive_har.py EXPORT.har
"""
import json
import sys
from collections import Counter

DIMS = [("requests", "rpm"), ("input-tokens", "itpm"), ("output-tokens", "otpm")]
RULES = [
    ("requests per minute", "rpm"),
    ("input tokens per minute", "itpm"),
    ("output tokens per minute", "otpm"),
    ("overloaded", "overload"),
    ("rate limit", "unknown"),
]


def classify(status, headers, text):
    try:
        err = json.loads(text).get("error", {}) if text else {}
    except ValueError:
        err = {"message": text}
    code = (err.get("details") or {}).get("error_code")
    if code == "ramp_limit_exceeded":
        return "acceleration"
    if status == 529 or err.get("type") == "overloaded_error":
        return "overload"
    for name, cls in DIMS:
        if headers.get(f"anthropic-ratelimit-{name}-remaining") == "0":
            return cls
    message = str(err.get("message", "")).lower()
    return next((c for phrase, c in RULES if phrase in message), "unknown")


def main():
    path = sys.argv[1]
    with open(path, encoding="utf-8") as f:
        har = json.load(f)
    by_class = Counter()
    for n, entry in enumerate(har["log"]["entries"]):
        resp = entry.get("response", {})
        status = resp.get("status")
        if not isinstance(status, int) or status < 400:
            continue
        headers = {h["name"].lower(): h["value"] for h in resp.get("headers", [])}
        cls = classify(status, headers, resp.get("content", {}).get("text", ""))
        by_class[cls] += 1
        print(json.dumps({"source": path, "entry": n, "time": entry.get("startedDateTime"),
                          "status": status, "class": cls}))
    print(json.dumps({"summary": {"failures": sum(by_class.values()), "by_class": dict(by_class)}}), file=sys.stderr)


if __name__ == "__main__":
    main()
