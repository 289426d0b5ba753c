#!/usr/bin/env python3
"""Generates a JSON Lines exchange log for the claude-429 benchmark (Python 3 stdlib only).

Lines are ~1 KB, shaped like a proxy's log of Messages calls: timestamp, method, url,
status, the full set of anthropic-ratelimit-* headers, ids, the request's model and token
counts, and the response body. About 1% are failures (ITPM / RPM 429s, ramp refusals,
529 overloads); the rest are plain 200s. Deterministic for a given seed.

usage: gen.py OUT_PATH SIZE_MB [FAILURE_RATE] [SPAN_DAYS]

With SPAN_DAYS the lines are spread evenly (with jitter) over that many days: a long-span
log for the memory check of `diagnose`, whose per-minute state must stay bounded.
"""
import json
import random
import sys
from datetime import datetime, timedelta, timezone


def main():
    out, size_mb = sys.argv[1], float(sys.argv[2])
    rate = float(sys.argv[3]) if len(sys.argv) > 3 else 0.01
    span_days = float(sys.argv[4]) if len(sys.argv) > 4 else 0
    # Lines are about 1,300 bytes: spread them over the span.
    gap_ms = span_days * 86400e3 / (size_mb * 1024 * 1024 / 1300) if span_days else 0
    rnd = random.Random(429)
    target = int(size_mb * 1024 * 1024)
    t = datetime(2026, 11, 20, 14, 0, 0, tzinfo=timezone.utc)
    models = ["claude-sonnet-4-5", "claude-opus-4-1", "claude-haiku-4-5"]
    org = "6f1c2a7e-3b9d-4e21-9a55-0c4d8e7f1b23"
    written = 0
    n = 0
    with open(out, "w", encoding="utf-8") as f:
        while written < target:
            n += 1
            if gap_ms:
                t += timedelta(milliseconds=rnd.uniform(0, 2 * gap_ms))
            else:
                t += timedelta(milliseconds=rnd.randint(1, 40))
            ts = t.strftime("%Y-%m-%dT%H:%M:%S.") + f"{t.microsecond // 1000:03d}Z"
            reset = (t + timedelta(seconds=rnd.randint(1, 60))).strftime("%Y-%m-%dT%H:%M:%SZ")
            model = rnd.choice(models)
            rid = "req_011C" + "".join(rnd.choice("ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz0123456789") for _ in range(20))
            inp = rnd.randint(200, 40000)
            out_tok = rnd.randint(20, 2000)
            req_rem = rnd.randint(100, 4000)
            in_rem = rnd.randint(10000, 2000000)
            out_rem = rnd.randint(1000, 400000)
            headers = {
                "content-type": "application/json",
                "request-id": rid,
                "anthropic-organization-id": org,
                "anthropic-ratelimit-requests-limit": "4000",
                "anthropic-ratelimit-requests-remaining": str(req_rem),
                "anthropic-ratelimit-requests-reset": reset,
                "anthropic-ratelimit-input-tokens-limit": "2000000",
                "anthropic-ratelimit-input-tokens-remaining": str(in_rem),
                "anthropic-ratelimit-input-tokens-reset": reset,
                "anthropic-ratelimit-output-tokens-limit": "400000",
                "anthropic-ratelimit-output-tokens-remaining": str(out_rem),
                "anthropic-ratelimit-output-tokens-reset": reset,
                "anthropic-ratelimit-tokens-limit": "2400000",
                "anthropic-ratelimit-tokens-remaining": str(in_rem + out_rem),
                "anthropic-ratelimit-tokens-reset": reset,
            }
            status = 200
            if rnd.random() < rate:
                kind = rnd.choice(["itpm", "itpm", "rpm", "overload", "ramp"])
                if kind == "itpm":
                    status = 429
                    headers["anthropic-ratelimit-input-tokens-remaining"] = "0"
                    headers["retry-after"] = str(rnd.randint(1, 30))
                    body = {"type": "error", "error": {"type": "rate_limit_error", "message": "This request would exceed your organization's rate limit of 2,000,000 input tokens per minute. For details, refer to: https://docs.claude.com/en/api/rate-limits."}, "request_id": rid}
                elif kind == "rpm":
                    status = 429
                    headers["anthropic-ratelimit-requests-remaining"] = "0"
                    headers["retry-after"] = str(rnd.randint(1, 30))
                    body = {"type": "error", "error": {"type": "rate_limit_error", "message": "This request would exceed your organization's rate limit of 4,000 requests per minute."}, "request_id": rid}
                elif kind == "ramp":
                    status = 429
                    headers["retry-after"] = str(rnd.randint(1, 30))
                    body = {"type": "error", "error": {"type": "rate_limit_error", "message": "Rate limited", "details": {"error_code": "ramp_limit_exceeded"}}, "request_id": rid}
                else:
                    status = 529
                    body = {"type": "error", "error": {"type": "overloaded_error", "message": "Overloaded"}, "request_id": rid}
            else:
                body = {"id": "msg_01" + rid[8:], "type": "message", "role": "assistant", "model": model,
                        "stop_reason": "end_turn", "stop_sequence": None,
                        "usage": {"input_tokens": inp, "cache_creation_input_tokens": 0,
                                  "cache_read_input_tokens": rnd.randint(0, 20000), "output_tokens": out_tok}}
            rec = {"ts": ts, "method": "POST", "url": "https://api.anthropic.com/v1/messages",
                   "status": status, "duration_ms": rnd.randint(300, 30000), "headers": headers, "body": body,
                   "request": {"model": model, "max_tokens": rnd.choice([1024, 4096, 8192]), "input_tokens": inp,
                               "stream": False, "metadata": {"user_id": "user-%04d" % rnd.randint(0, 9999)}}}
            line = json.dumps(rec, separators=(",", ":")) + "\n"
            f.write(line)
            written += len(line.encode("utf-8"))
    print(f"wrote {out}: {written / 1e6:.1f} MB, {n} lines", file=sys.stderr)


if __name__ == "__main__":
    main()
