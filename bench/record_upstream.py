#!/usr/bin/env python3
"""A small, fast fake Anthropic Messages API on 127.0.0.1 (standard library only).

Used by bench/record.sh and for checking `claude-429 record` with the official SDK:

    python3 bench/record_upstream.py 127.0.0.1:9000

POST /v1/messages answers like the API: a JSON message, or with "stream": true a
server-sent-events stream whose events are spaced by the `x-spacing-ms` request header
(default 0). The `x-scenario` header picks a failure: `429` (input-tokens limit with
retry-after), `529` (overloaded), `sse-error` (an overloaded_error event inside a 200
stream). Every answer carries anthropic-ratelimit-* headers; requests-remaining counts down.
"""

import asyncio
import json
import sys

COUNTER = {"n": 0}


def ratelimit_headers(in_left=1_990_000):
    COUNTER["n"] += 1
    left = max(0, 4000 - COUNTER["n"] % 4000)
    return [
        ("anthropic-ratelimit-requests-limit", "4000"),
        ("anthropic-ratelimit-requests-remaining", str(left)),
        ("anthropic-ratelimit-requests-reset", "2099-01-01T00:00:00Z"),
        ("anthropic-ratelimit-input-tokens-limit", "2000000"),
        ("anthropic-ratelimit-input-tokens-remaining", str(in_left)),
        ("anthropic-ratelimit-input-tokens-reset", "2099-01-01T00:00:00Z"),
        ("anthropic-ratelimit-output-tokens-limit", "400000"),
        ("anthropic-ratelimit-output-tokens-remaining", "400000"),
        ("anthropic-ratelimit-output-tokens-reset", "2099-01-01T00:00:00Z"),
        ("request-id", "req_011CBench%08d" % COUNTER["n"]),
    ]


def head(status, reason, headers):
    lines = ["HTTP/1.1 %d %s" % (status, reason)]
    lines += ["%s: %s" % h for h in headers]
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


def message(model):
    return {
        "id": "msg_01Bench", "type": "message", "role": "assistant", "model": model,
        "content": [{"type": "text", "text": "Hello from the local upstream."}],
        "stop_reason": "end_turn", "stop_sequence": None,
        "usage": {"input_tokens": 12, "output_tokens": 7},
    }


def sse(event, data):
    return ("event: %s\ndata: %s\n\n" % (event, json.dumps(data))).encode()


def events(model, error):
    ev = [
        sse("message_start", {"type": "message_start", "message": {
            "id": "msg_01Stream", "type": "message", "role": "assistant", "model": model,
            "content": [], "stop_reason": None, "stop_sequence": None,
            "usage": {"input_tokens": 12, "output_tokens": 1}}}),
        sse("content_block_start", {"type": "content_block_start", "index": 0,
                                    "content_block": {"type": "text", "text": ""}}),
    ]
    for word in ["Hello", " from", " the", " local", " upstream."]:
        ev.append(sse("content_block_delta", {"type": "content_block_delta", "index": 0,
                                              "delta": {"type": "text_delta", "text": word}}))
    if error:
        ev.append(sse("error", {"type": "error", "error": {"type": "overloaded_error",
                                                          "message": "Overloaded"}}))
        return ev
    ev.append(sse("content_block_stop", {"type": "content_block_stop", "index": 0}))
    ev.append(sse("message_delta", {"type": "message_delta",
                                    "delta": {"stop_reason": "end_turn", "stop_sequence": None},
                                    "usage": {"output_tokens": 6}}))
    ev.append(sse("message_stop", {"type": "message_stop"}))
    return ev


async def handle(reader, writer):
    try:
        while True:
            raw = await reader.readuntil(b"\r\n\r\n")
            lines = raw.decode("latin-1").split("\r\n")
            hdrs = {}
            for line in lines[1:]:
                if ":" in line:
                    k, v = line.split(":", 1)
                    hdrs[k.strip().lower()] = v.strip()
            n = int(hdrs.get("content-length", "0"))
            body = await reader.readexactly(n) if n else b""
            try:
                req = json.loads(body) if body else {}
            except ValueError:
                req = {}
            model = req.get("model", "claude-sonnet-4-5")
            scenario = hdrs.get("x-scenario", "ok")
            spacing = int(hdrs.get("x-spacing-ms", "0")) / 1000.0
            if scenario == "429":
                b = json.dumps({"type": "error", "error": {
                    "type": "rate_limit_error",
                    "message": "This request would exceed the rate limit for your organization "
                               "of 2,000,000 input tokens per minute."}}).encode()
                writer.write(head(429, "Too Many Requests", ratelimit_headers(0) + [
                    ("retry-after", "17"), ("content-type", "application/json"),
                    ("content-length", str(len(b)))]) + b)
            elif scenario == "529":
                b = json.dumps({"type": "error", "error": {"type": "overloaded_error",
                                                           "message": "Overloaded"}}).encode()
                writer.write(head(529, "Overloaded", [
                    ("content-type", "application/json"), ("content-length", str(len(b)))]) + b)
            elif req.get("stream"):
                writer.write(head(200, "OK", ratelimit_headers() + [
                    ("content-type", "text/event-stream; charset=utf-8"),
                    ("cache-control", "no-cache"), ("transfer-encoding", "chunked")]))
                evs = events(model, scenario == "sse-error")
                for i, e in enumerate(evs):
                    if i and spacing:
                        await asyncio.sleep(spacing)
                    writer.write(b"%x\r\n%s\r\n" % (len(e), e))
                    await writer.drain()
                writer.write(b"0\r\n\r\n")
            else:
                b = json.dumps(message(model)).encode()
                writer.write(head(200, "OK", ratelimit_headers() + [
                    ("content-type", "application/json"), ("content-length", str(len(b)))]) + b)
            await writer.drain()
            if hdrs.get("connection", "").lower() == "close":
                break
    except (asyncio.IncompleteReadError, ConnectionError):
        pass
    finally:
        writer.close()


async def main(addr):
    host, port = addr.rsplit(":", 1)
    server = await asyncio.start_server(handle, host, int(port), backlog=1024)
    print("upstream listening on http://%s" % addr, flush=True)
    async with server:
        await server.serve_forever()


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1] if len(sys.argv) > 1 else "127.0.0.1:9000"))
