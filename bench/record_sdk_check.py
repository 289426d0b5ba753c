#!/usr/bin/env python3
"""The official Anthropic Python SDK against the local upstream, directly and through
`claude-429 record`: the answers must be the same, streaming included, and a stream's first
event must arrive well before its last when the upstream spaces them (x-spacing-ms).

    python3 bench/record_sdk_check.py http://127.0.0.1:9000 http://127.0.0.1:8429

Needs `pip install anthropic` (in a virtualenv; the project never depends on it).
"""

import sys
import time

import anthropic

KEY = "sk-ant-api03-SDKCHECKkeyNeverLogged000000000000000000000000000"
PROMPT = "SDK-CHECK-PROMPT never in records"


def run(base):
    c = anthropic.Anthropic(base_url=base, api_key=KEY, max_retries=0)
    out = {}
    raw = c.messages.with_raw_response.create(
        model="claude-sonnet-4-5", max_tokens=64,
        messages=[{"role": "user", "content": PROMPT}])
    msg = raw.parse()
    out["plain"] = msg.model_dump()
    out["plain_remaining"] = raw.headers.get("anthropic-ratelimit-requests-remaining")
    times, texts = [], []
    t0 = time.monotonic()
    with c.messages.stream(model="claude-sonnet-4-5", max_tokens=64,
                           messages=[{"role": "user", "content": PROMPT}],
                           extra_headers={"x-spacing-ms": "250"}) as s:
        for ev in s:
            times.append(time.monotonic() - t0)
            texts.append(ev.type)
        final = s.get_final_message()
    out["stream_events"] = texts
    out["stream_final"] = final.model_dump()
    out["first_to_last_s"] = times[-1] - times[0]
    try:
        c.messages.create(model="claude-sonnet-4-5", max_tokens=64,
                          messages=[{"role": "user", "content": PROMPT}],
                          extra_headers={"x-scenario": "429"})
    except anthropic.RateLimitError as e:
        out["429"] = (e.status_code, e.body, e.response.headers.get("retry-after"))
    try:
        with c.messages.stream(model="claude-sonnet-4-5", max_tokens=64,
                               messages=[{"role": "user", "content": PROMPT}],
                               extra_headers={"x-scenario": "sse-error"}) as s:
            for _ in s:
                pass
    except anthropic.APIStatusError as e:
        out["sse_error"] = (type(e).__name__, e.body)
    except anthropic.APIError as e:
        out["sse_error"] = (type(e).__name__, e.body)
    return out


def main():
    direct, proxied = sys.argv[1], sys.argv[2]
    a = run(direct)
    b = run(proxied)
    # Ids and the requests-remaining counter differ between two calls; nothing else may.
    a.pop("plain_remaining")
    b_rem = b.pop("plain_remaining")
    same = a.keys() == b.keys() and all(
        a[k] == b[k] for k in a if k != "first_to_last_s")
    print("same answers direct and through record:", same)
    for k in a:
        if k != "first_to_last_s" and a[k] != b[k]:
            print("  differs:", k, a[k], b[k])
    print("stream events:", len(b["stream_events"]), b["stream_events"][:3], "...")
    print("first streamed event to last, through record: %.2f s" % b["first_to_last_s"])
    print("429 through record:", b.get("429"))
    print("error event inside a 200 stream through record:", b.get("sse_error"))
    print("requests remaining seen by the SDK through record:", b_rem)
    ok = same and b["first_to_last_s"] >= 1.0
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
