#!/usr/bin/env python3
"""Load for bench/record.sh (standard library only): raw HTTP/1.1 keep-alive clients.

    record_load.py latency URL N          median / p90 / p99 of N sequential small requests
    record_load.py load URL N CONC STREAMS  N requests over CONC connections while STREAMS
                                          streamed answers run at the same time
"""

import asyncio
import json
import statistics
import sys
import time
from urllib.parse import urlsplit

BODY = json.dumps({"model": "claude-sonnet-4-5", "max_tokens": 16,
                   "messages": [{"role": "user", "content": "hi"}]}).encode()
SBODY = json.dumps({"model": "claude-sonnet-4-5", "max_tokens": 16, "stream": True,
                    "messages": [{"role": "user", "content": "hi"}]}).encode()


def request(host, body, extra=""):
    return (("POST /v1/messages HTTP/1.1\r\nhost: %s\r\nx-api-key: sk-ant-api03-bench\r\n"
             "anthropic-version: 2023-06-01\r\ncontent-type: application/json\r\n"
             "content-length: %d\r\n%s\r\n") % (host, len(body), extra)).encode() + body


async def read_response(reader):
    head = await reader.readuntil(b"\r\n\r\n")
    status = int(head.split(b" ", 2)[1])
    hdrs = {}
    for line in head.decode("latin-1").split("\r\n")[1:]:
        if ":" in line:
            k, v = line.split(":", 1)
            hdrs[k.strip().lower()] = v.strip()
    if "content-length" in hdrs:
        await reader.readexactly(int(hdrs["content-length"]))
    elif hdrs.get("transfer-encoding", "").lower() == "chunked":
        while True:
            size = int((await reader.readuntil(b"\r\n")).strip(), 16)
            await reader.readexactly(size + 2)
            if size == 0:
                break
    return status


async def latency(url, n):
    u = urlsplit(url)
    reader, writer = await asyncio.open_connection(u.hostname, u.port)
    req = request(u.netloc, BODY)
    times = []
    for i in range(n + 200):
        t = time.perf_counter()
        writer.write(req)
        await read_response(reader)
        if i >= 200:  # warm-up
            times.append((time.perf_counter() - t) * 1000)
    writer.close()
    times.sort()
    q = lambda p: times[min(len(times) - 1, int(len(times) * p))]
    print(json.dumps({"n": n, "median_ms": round(statistics.median(times), 4),
                      "p90_ms": round(q(0.9), 4), "p99_ms": round(q(0.99), 4)}))


async def load(url, n, conc, streams):
    u = urlsplit(url)
    left = {"n": n}
    errors = {"n": 0}

    async def worker():
        reader, writer = await asyncio.open_connection(u.hostname, u.port)
        req = request(u.netloc, BODY)
        while left["n"] > 0:
            left["n"] -= 1
            writer.write(req)
            if await read_response(reader) != 200:
                errors["n"] += 1
        writer.close()

    async def streamer(stop):
        reader, writer = await asyncio.open_connection(u.hostname, u.port)
        req = request(u.netloc, SBODY, "x-spacing-ms: 50\r\n")
        done = 0
        while not stop.is_set():
            writer.write(req)
            await read_response(reader)
            done += 1
        writer.close()
        return done

    stop = asyncio.Event()
    t = time.perf_counter()
    st = [asyncio.create_task(streamer(stop)) for _ in range(streams)]
    await asyncio.gather(*[worker() for _ in range(conc)])
    stop.set()
    streamed = sum(await asyncio.gather(*st))
    secs = time.perf_counter() - t
    print(json.dumps({"requests": n, "concurrency": conc, "streams": streams,
                      "streamed_answers": streamed, "errors": errors["n"],
                      "seconds": round(secs, 2), "req_per_s": round(n / secs)}))


if __name__ == "__main__":
    mode, url = sys.argv[1], sys.argv[2]
    if mode == "latency":
        asyncio.run(latency(url, int(sys.argv[3])))
    else:
        asyncio.run(load(url, int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5])))
