#!/usr/bin/env python3
"""A straightforward Python classifier for JSON Lines exchange logs: the baseline that
`claude-429 replay --jsonl` is compared with in bench/run.sh.

It does what a person would write in an afternoon: json.loads every line, skip successes,
and classify each failure with the same precedence as claude-429 (error_code > an exhausted
rate-limit header > message text > status), printing one JSON verdict per failure and a
summary by class. Python 3 standard library only.

usage: naive_classifier.py LOG.jsonl
"""
import json
import re
import sys
from collections import Counter

ERROR_CODES = {
    "ramp_limit_exceeded": "acceleration",
    "enforced_spend_limit_reached": "spend",
    "contract_spend_limit_reached": "spend",
    "linked_organization_spend_limit_reached": "spend",
    "linked_organization_billing_unavailable": "not_rate_limit",
    "organization_on_hold": "not_rate_limit",
    "compaction_unavailable": "overload",
}

DIMS = [("requests", "rpm"), ("input-tokens", "itpm"), ("output-tokens", "otpm"), ("tokens", "itpm")]

TEXT_RULES = [
    (re.compile(r"maximum usage increase rate|acceleration limit|not your usage limit"), "acceleration"),
    (re.compile(r"requests per minute"), "rpm"),
    (re.compile(r"input tokens per minute|request tokens has exceeded"), "itpm"),
    (re.compile(r"output tokens per minute"), "otpm"),
    (re.compile(r"daily rate limit"), "daily"),
    (re.compile(r"concurrent connections"), "concurrency"),
    (re.compile(r"workspace api usage limits"), "workspace"),
    (re.compile(r"api usage limits|credit balance is too low|usage credits are required|extra usage is required"), "spend"),
    (re.compile(r"usage limit reached|5-hour limit|weekly limit"), "subscription_cap"),
    (re.compile(r"overloaded"), "overload"),
    (re.compile(r"rate limit"), "unknown"),
]


def to_int(v):
    try:
        return int(str(v).replace(",", "").replace("_", "").strip())
    except ValueError:
        return None


def error_of(body):
    if isinstance(body, str):
        try:
            body = json.loads(body)
        except ValueError:
            return {"message": body}
    if not isinstance(body, dict):
        return {}
    err = body.get("error", body)
    if isinstance(err, str):
        return {"message": err}
    return err if isinstance(err, dict) else {}


def classify(rec):
    status = rec.get("status")
    headers = {str(k).lower(): v for k, v in (rec.get("headers") or {}).items()}
    err = error_of(rec.get("body"))
    kind = err.get("type")
    if not (isinstance(status, int) and status >= 400) and kind not in ("overloaded_error", "rate_limit_error"):
        return None
    code = (err.get("details") or {}).get("error_code")
    if code in ERROR_CODES:
        return ERROR_CODES[code], "certain", [f"error.details.error_code: {code}"]
    if status == 529 or kind == "overloaded_error":
        return "overload", "certain", [f"status {status}"]
    exhausted = []
    for name, cls in DIMS:
        limit = to_int(headers.get(f"anthropic-ratelimit-{name}-limit", ""))
        remaining = to_int(headers.get(f"anthropic-ratelimit-{name}-remaining", ""))
        if remaining is not None and (remaining == 0 or (limit and remaining * 100 <= limit)):
            exhausted.append((name, cls, remaining, limit))
    specific = [e for e in exhausted if e[0] != "tokens"] or exhausted
    if specific:
        name, cls, remaining, limit = specific[0]
        conf = "certain" if status == 429 else "likely"
        return cls, conf, [f"anthropic-ratelimit-{name}-remaining: {remaining} (limit {limit})"]
    message = " ".join(str(err.get("message", "")).lower().split())
    for rx, cls in TEXT_RULES:
        if rx.search(message):
            return cls, "likely", [f"message: {message[:160]}"]
    if status == 429:
        return "unknown", "possible", ["status 429"]
    return "not_rate_limit", "likely", [f"status {status}"]


def main():
    path = sys.argv[1]
    by_class = Counter()
    captures = 0
    out = sys.stdout
    with open(path, encoding="utf-8", errors="replace") as f:
        for n, line in enumerate(f, 1):
            line = line.strip()
            if not line.startswith("{"):
                continue
            try:
                rec = json.loads(line)
            except ValueError:
                continue
            captures += 1
            v = classify(rec)
            if v is None:
                continue
            cls, conf, evidence = v
            by_class[cls] += 1
            out.write(json.dumps({"source": path, "line": n, "time": rec.get("ts"),
                                  "status": rec.get("status"), "class": cls,
                                  "confidence": conf, "evidence": evidence}) + "\n")
    print(json.dumps({"summary": {"captures": captures, "failures": sum(by_class.values()),
                                  "by_class": dict(by_class)}}), file=sys.stderr)


if __name__ == "__main__":
    main()
