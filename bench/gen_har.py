#!/usr/bin/env python3
"""Generates a browser/mitmproxy-style HAR export for the claude-429 benchmark (Python 3
stdlib only): pretty-printed like a devtools export, tens of thousands of entries, each
Messages call with its request and response headers and its response body (a few KB for a
success), about 1% failures (429 ITPM / RPM with exhausted rate-limit headers, 529
overloads). Their number is printed on stderr. Deterministic for a given seed.

usage: gen_har.py OUT_PATH SIZE_MB [FAILURE_RATE]
"""
import json
import random
import sys
from datetime import datetime, timedelta, timezone

WORDS = "the a rate limit token bucket model prompt cache answer request tier input output minute window retry".split()


def main():
    out, size_mb = sys.argv[1], float(sys.argv[2])
    rate = float(sys.argv[3]) if len(sys.argv) > 3 else 0.01
    rnd = random.Random(429)
    target = int(size_mb * 1024 * 1024)
    t = datetime(2026, 11, 20, 14, 0, 0, tzinfo=timezone.utc)
    entries = failures = written = 0
    with open(out, "w", encoding="utf-8") as f:
        f.write('{\n  "log": {\n    "version": "1.2",\n    "creator": {"name": "WebInspector", "version": "537.36"},\n    "pages": [],\n    "entries": [')
        first = True
        while written < target:
            t += timedelta(milliseconds=rnd.randint(5, 400))
            rid = "req_011C" + "".join(rnd.choice("ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz0123456789") for _ in range(20))
            rem = {"requests": str(rnd.randint(100, 4000)), "input-tokens": str(rnd.randint(10000, 2000000)),
                   "output-tokens": str(rnd.randint(1000, 400000))}
            status, reason = 200, "OK"
            if rnd.random() < rate:
                failures += 1
                kind = rnd.choice(["itpm", "rpm", "overload"])
                if kind == "overload":
                    status, reason = 529, ""
                    body = {"type": "error", "error": {"type": "overloaded_error", "message": "Overloaded"}, "request_id": rid}
                else:
                    status, reason = 429, ""
                    dim = "input-tokens" if kind == "itpm" else "requests"
                    rem[dim] = "0"
                    what = "2,000,000 input tokens" if kind == "itpm" else "4,000 requests"
                    body = {"type": "error", "error": {"type": "rate_limit_error", "message": f"This request would exceed your organization's rate limit of {what} per minute."}, "request_id": rid}
            else:
                text = " ".join(rnd.choice(WORDS) for _ in range(rnd.randint(100, 700)))
                body = {"id": "msg_01" + rid[8:], "type": "message", "role": "assistant", "model": "claude-sonnet-4-5",
                        "content": [{"type": "text", "text": text}], "stop_reason": "end_turn",
                        "usage": {"input_tokens": rnd.randint(200, 40000), "output_tokens": rnd.randint(20, 2000)}}
            text = json.dumps(body)
            resp_headers = [{"name": "content-type", "value": "application/json"}, {"name": "request-id", "value": rid}]
            for dim, limit in (("requests", "4000"), ("input-tokens", "2000000"), ("output-tokens", "400000")):
                resp_headers.append({"name": f"anthropic-ratelimit-{dim}-limit", "value": limit})
                resp_headers.append({"name": f"anthropic-ratelimit-{dim}-remaining", "value": rem[dim]})
            if status == 429:
                resp_headers.append({"name": "retry-after", "value": str(rnd.randint(1, 30))})
            entry = {
                "startedDateTime": t.strftime("%Y-%m-%dT%H:%M:%S.") + f"{t.microsecond // 1000:03d}Z",
                "time": rnd.randint(300, 30000),
                "request": {"method": "POST", "url": "https://api.anthropic.com/v1/messages", "httpVersion": "HTTP/1.1",
                            "headers": [{"name": "content-type", "value": "application/json"},
                                        {"name": "anthropic-version", "value": "2023-06-01"}],
                            "queryString": [], "cookies": [], "headersSize": -1, "bodySize": 120,
                            "postData": {"mimeType": "application/json",
                                         "text": json.dumps({"model": "claude-sonnet-4-5", "max_tokens": 4096,
                                                             "messages": [{"role": "user", "content": "Summarise document %d" % rnd.randint(1, 99999)}]})}},
                "response": {"status": status, "statusText": reason, "httpVersion": "HTTP/1.1", "headers": resp_headers,
                             "cookies": [], "content": {"size": len(text), "mimeType": "application/json", "text": text},
                             "redirectURL": "", "headersSize": -1, "bodySize": len(text)},
                "cache": {}, "timings": {"send": 0, "wait": rnd.randint(300, 30000), "receive": 1},
            }
            s = ("" if first else ",") + "\n      " + json.dumps(entry, indent=2).replace("\n", "\n      ")
            first = False
            f.write(s)
            written += len(s)
            entries += 1
        f.write("\n    ]\n  }\n}\n")
    print(f"wrote {out}: {written / 1e6:.1f} MB, {entries} entries, {failures} failures", file=sys.stderr)


if __name__ == "__main__":
    main()
