#!/usr/bin/env python3
"""Writes a small synthetic incident as JSON Lines on stdout, for trying `claude-429 diagnose`
(the README's sample output comes from it): traffic ramps up over five minutes, the ramp
limit refuses, the client retries each refusal after 2 s although told to wait 20 s, and a
batch job on a stray tier-1 key (another org, 50 requests per minute) hits its RPM limit.

usage: python3 bench/incident.py > incident.jsonl && claude-429 diagnose incident.jsonl
"""
import json
import random
import sys
from datetime import datetime, timedelta, timezone
rnd = random.Random(7)
t0 = datetime(2026, 11, 20, 13, 55, tzinfo=timezone.utc)
ORG = "6f1c2a7e-3b9d-4e21-9a55-0c4d8e7f1b23"
lines = []
def rec(t, status, headers, body, req):
    return {"ts": t.strftime("%Y-%m-%dT%H:%M:%S.") + f"{t.microsecond//1000:03d}Z", "method": "POST",
            "url": "https://api.anthropic.com/v1/messages", "status": status, "headers": headers, "body": body, "request": req}
def hdr(req_rem, in_rem, out_rem=80000, limit="4000", org=ORG, rid=None):
    h = {"anthropic-organization-id": org, "anthropic-ratelimit-requests-limit": limit,
         "anthropic-ratelimit-requests-remaining": str(req_rem),
         "anthropic-ratelimit-input-tokens-limit": "2000000", "anthropic-ratelimit-input-tokens-remaining": str(in_rem),
         "anthropic-ratelimit-output-tokens-limit": "400000", "anthropic-ratelimit-output-tokens-remaining": str(out_rem)}
    if rid: h["request-id"] = rid
    return h
n = 0
per_min = [12, 12, 14, 30, 70, 160, 150, 60]
for m, cnt in enumerate(per_min):
    for i in range(cnt):
        n += 1
        t = t0 + timedelta(minutes=m, seconds=60 * i / cnt + rnd.random() * 0.5)
        rid = f"req_011CVd{n:018d}"
        inp = rnd.randint(3000, 9000)
        req = {"model": "claude-sonnet-4-5", "max_tokens": 8192, "input_tokens": inp}
        if m >= 5 and i % 4 == 0:
            body = {"type": "error", "error": {"type": "rate_limit_error", "message": "This request would exceed your organization's maximum usage increase rate for input tokens per minute. Please scale up your input tokens usage more gradually to stay within the acceleration limit.", "details": {"error_code": "ramp_limit_exceeded"}}, "request_id": rid}
            lines.append(rec(t, 429, dict(hdr(3000, 1500000, rid=rid), **{"retry-after": "20"}), body, req))
            # the client retries the same request after 2 s, ignoring retry-after
            t2 = t + timedelta(seconds=2)
            lines.append(rec(t2, 429, dict(hdr(2900, 1400000, rid=rid + "r"), **{"retry-after": "18"}), {"type": "error", "error": {"type": "rate_limit_error", "message": "Rate limited"}, "request_id": rid + "r"}, req))
        else:
            body = {"type": "message", "model": "claude-sonnet-4-5", "usage": {"input_tokens": inp, "output_tokens": rnd.randint(150, 600)}}
            lines.append(rec(t, 200, hdr(3500 - i, 1800000 - i * 1000, rid=rid), body, req))
# a stray tier-1 key in a batch job
for i in range(6):
    t = t0 + timedelta(minutes=6, seconds=10 * i)
    rid = f"req_011CVs{i:018d}"
    lines.append(rec(t, 429, dict(hdr(0, 30000, limit="50", org="0a9b8c7d-1111-4222-8333-444455556666", rid=rid), **{"retry-after": "40"}),
                     {"type": "error", "error": {"type": "rate_limit_error", "message": "This request would exceed your organization's rate limit of 50 requests per minute."}, "request_id": rid},
                     {"model": "claude-sonnet-4-5-20250929", "max_tokens": 1024, "input_tokens": 2000}))
lines.sort(key=lambda r: r["ts"])
for r in lines:
    sys.stdout.write(json.dumps(r) + "\n")
