#!/usr/bin/env python3
"""Generates a Python service's plain-text application log for the claude-429 benchmark
(Python 3 stdlib only).

Timestamped `logging` lines, mostly unrelated (request handling, cache, DB, dict dumps),
httpx request lines for every Messages call ("HTTP/1.1 200 OK" for most of them), and about
one incident per 1,000 lines: an httpx 429/529 line, an ERROR line and the SDK's traceback
ending in `anthropic.RateLimitError: Error code: 429 - {...}` (or 529 / overloaded). Each
incident is one failure; their number is printed on stderr. Deterministic for a given seed.

usage: gen_text.py OUT_PATH SIZE_MB [INCIDENTS_PER_LINE]
"""
import random
import sys
from datetime import datetime, timedelta

MSGS = {
    "itpm": ("RateLimitError", 429, "rate_limit_error",
             "This request would exceed the rate limit for your organization (9d1f3b5a-7c2e-4e84-b6a0-f2a4c6e8d0b9) of 2,000,000 input tokens per minute. For details, refer to: https://docs.claude.com/en/api/rate-limits. You can see the response headers for current usage."),
    "rpm": ("RateLimitError", 429, "rate_limit_error",
            "This request would exceed the rate limit for your organization (9d1f3b5a-7c2e-4e84-b6a0-f2a4c6e8d0b9) of 4,000 requests per minute. For details, refer to: https://docs.claude.com/en/api/rate-limits."),
    "otpm": ("RateLimitError", 429, "rate_limit_error",
             "This request would exceed the rate limit for your organization (9d1f3b5a-7c2e-4e84-b6a0-f2a4c6e8d0b9) of 400,000 output tokens per minute. For details, refer to: https://docs.claude.com/en/api/rate-limits."),
    "overload": ("InternalServerError", 529, "overloaded_error", "Overloaded"),
}
REASON = {429: "Too Many Requests", 529: "Site Overloaded"}
ALNUM = "ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz0123456789"


def main():
    out, size_mb = sys.argv[1], float(sys.argv[2])
    rate = float(sys.argv[3]) if len(sys.argv) > 3 else 0.001
    rnd = random.Random(429)
    target = int(size_mb * 1024 * 1024)
    t = datetime(2026, 11, 20, 9, 0, 0)
    written = lines = incidents = 0

    def stamp():
        return t.strftime("%Y-%m-%d %H:%M:%S,") + f"{t.microsecond // 1000:03d}"

    def unrelated():
        k = rnd.randrange(12)
        uid = rnd.randint(1000, 99999)
        if k == 0:
            return f"INFO - app.api - GET /v1/orders/{uid} 200 in {rnd.randint(2, 900)} ms"
        if k == 1:
            return f"DEBUG - app.cache - cache hit for key session:{uid:x} (ttl {rnd.randint(1, 3600)} s)"
        if k == 2:
            return f"INFO - app.jobs - job {uid} state={{'queued': {rnd.randint(0, 50)}, 'running': {rnd.randint(0, 8)}, 'done': {rnd.randint(0, 9999)}}}"
        if k == 3:
            return f"DEBUG - sqlalchemy.engine - SELECT orders.id, orders.total FROM orders WHERE orders.user_id = {uid} LIMIT 50"
        if k == 4:
            return f"WARNING - app.billing - slow invoice render for customer {uid}: {rnd.random() * 9:.2f} s"
        if k == 5:
            return f"INFO - app.worker - summarised document doc_{uid} ({rnd.randint(200, 90000)} chars) in {rnd.randint(1, 40)} s"
        if k == 6:
            return f"DEBUG - urllib3.connectionpool - Starting new HTTPS connection (1): storage.internal:443"
        if k == 7:
            return f"INFO - app.auth - user {uid} signed in from 10.{rnd.randint(0, 255)}.{rnd.randint(0, 255)}.{rnd.randint(1, 254)}"
        if k == 8:
            return f"INFO - app.queue - published {rnd.randint(1, 64)} messages to topic ingest.documents"
        if k == 9:
            return f"DEBUG - app.prompt - built prompt for doc_{uid}: {rnd.randint(300, 30000)} tokens, {rnd.randint(1, 12)} chunks"
        if k == 10:
            return f"INFO - app.api - POST /v1/summaries 202 in {rnd.randint(2, 900)} ms"
        return f"DEBUG - app.metrics - flushed {rnd.randint(10, 500)} points to statsd"

    with open(out, "w", encoding="utf-8") as f:
        while written < target:
            t += timedelta(milliseconds=rnd.randint(1, 30))
            if rnd.random() < rate:
                incidents += 1
                kind = rnd.choice(["itpm", "itpm", "rpm", "otpm", "overload"])
                exc, status, etype, msg = MSGS[kind]
                rid = "req_011C" + "".join(rnd.choice(ALNUM) for _ in range(20))
                block = [
                    f"{stamp()} - httpx - INFO - HTTP Request: POST https://api.anthropic.com/v1/messages \"HTTP/1.1 {status} {REASON[status]}\"",
                    f"{stamp()} - app.worker - ERROR - summarising doc_{rnd.randint(1000, 99999)} failed",
                    "Traceback (most recent call last):",
                    '  File "/srv/app/worker.py", line 212, in summarise',
                    "    resp = client.messages.create(model=MODEL, max_tokens=4096, messages=msgs)",
                    '  File "/srv/app/.venv/lib/python3.12/site-packages/anthropic/_utils/_utils.py", line 283, in wrapper',
                    "    return func(*args, **kwargs)",
                    '  File "/srv/app/.venv/lib/python3.12/site-packages/anthropic/_base_client.py", line 1047, in request',
                    "    raise self._make_status_error_from_response(err.response) from None",
                    f"anthropic.{exc}: Error code: {status} - {{'type': 'error', 'error': {{'type': '{etype}', 'message': '{msg}'}}, 'request_id': '{rid}'}}",
                ]
            elif rnd.random() < 0.1:
                block = [f"{stamp()} - httpx - INFO - HTTP Request: POST https://api.anthropic.com/v1/messages \"HTTP/1.1 200 OK\""]
            else:
                block = [f"{stamp()} - {unrelated()}"]
            text = "\n".join(block) + "\n"
            f.write(text)
            written += len(text.encode("utf-8"))
            lines += len(block)
    print(f"wrote {out}: {written / 1e6:.1f} MB, {lines} lines, {incidents} incidents", file=sys.stderr)


if __name__ == "__main__":
    main()
