#!/usr/bin/env python3
"""Benchmark the gateway, in one run:

  1. tools/call through /v1/mcp-servers/{id}/mcp and through /mcp against
     the same call made directly to the upstream, at concurrency 1 and 8
     (wrk, bench/mcp_call.lua), alternating two rounds of each, in both eras:
     2025-11-25 on one session opened beforehand on each side, and
     2026-07-28 without sessions (each request with its headers and
     `_meta`). Upstreams: a standard-library MCP server answering JSON
     (counting.py, cheap, so the gateway's own cost shows; it speaks only
     the handshake era) and PyPI `mcp`'s low-level server under uvicorn
     (gateway_peer.py, as agents meet them; both eras).
  2. server/discover and tools/list on /mcp at 2026-07-28 with 100 servers
     registered (25 tools each): answered from the stored catalogs.
  3. 1,000 idle sessions held open through the gateway, each initialized and
     with the GET stream an SDK client opens, against gateway_peer.py: the
     registry's peak RSS (VmHWM).

Writes its figures between the gateway.py markers of bench/RESULTS.md.
Usage: bench/gateway.py [--duration S] [--sessions N] [--servers N]
Needs wrk, python3 -m venv and PyPI (for the MCP server), like the tests.
"""

import argparse
import asyncio
import http.client as httpclient
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from probe import (PEERS, TOKEN, peak_rss_mib, probes_total, register,  # noqa: E402
                   start_registry, venv_python)
from run import (BENCH, ROOT, current_commit, free_port, http, require_tools,  # noqa: E402
                 wait_until, wrk, write_block)

CONCURRENCY = 8
PROTOCOL = "2025-11-25"
STATELESS = "2026-07-28"


def open_session(port, path):
    """initialize and notifications/initialized on `path`; answers the
    session id given back (None for a server without sessions)."""
    connection = httpclient.HTTPConnection("127.0.0.1", port, timeout=30)
    headers = {"Authorization": f"Bearer {TOKEN}", "Content-Type": "application/json",
               "Accept": "application/json, text/event-stream"}
    connection.request("POST", path, json.dumps({
        "jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {
            "protocolVersion": PROTOCOL, "capabilities": {},
            "clientInfo": {"name": "bench", "version": "1"}}}), headers)
    response = connection.getresponse()
    response.read()
    assert response.status == 200, response.status
    session = response.getheader("mcp-session-id")
    if session:
        headers["Mcp-Session-Id"] = session
    headers["MCP-Protocol-Version"] = PROTOCOL
    connection.request("POST", path, json.dumps({"jsonrpc": "2.0", "method": "notifications/initialized"}),
                       headers)
    answer = connection.getresponse()
    answer.read()
    assert answer.status in (200, 202), answer.status
    connection.close()
    return session


def load(port, path, tool, duration, concurrency, era=PROTOCOL, method="tools/call"):
    session = open_session(port, path) if era == PROTOCOL else None
    os.environ["MCP_SESSION"] = session or ""
    os.environ["MCP_TOKEN"] = TOKEN
    os.environ["MCP_TOOL"] = tool
    os.environ["MCP_ERA"] = era
    os.environ["MCP_METHOD"] = method
    return wrk(f"http://127.0.0.1:{port}{path}", concurrency, duration, BENCH / "mcp_call.lua")


def bench_calls(label, peer_command, peer_path, duration, era):
    peer_port = free_port()
    peer = subprocess.Popen([*peer_command, str(peer_port)], stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    workdir = tempfile.mkdtemp(prefix="gateway-bench-")
    registry, url = start_registry(workdir, "--health-interval-secs", "0")
    try:
        wait_until(lambda: http("GET", f"http://127.0.0.1:{peer_port}/")[0] != 0)
        server_id = register(url, "upstream", f"http://127.0.0.1:{peer_port}{peer_path}")
        time.sleep(1)  # the probe queued by the create
        registry_port = int(url.rsplit(":", 1)[1])
        gateway_path = f"/v1/mcp-servers/{server_id}/mcp"
        sides = {"direct": (peer_port, peer_path, "echo"),
                 "through the gateway": (registry_port, gateway_path, "echo"),
                 "through /mcp": (registry_port, "/mcp", "upstream__echo")}
        for port, path, tool in sides.values():  # warm-up
            load(port, path, tool, 2, CONCURRENCY, era)
        rounds = {(side, c): [] for side in sides for c in (1, CONCURRENCY)}
        for _ in range(2):
            for concurrency in (1, CONCURRENCY):
                for side, (port, path, tool) in sides.items():
                    result = load(port, path, tool, duration, concurrency, era)
                    assert result["non_2xx"] == 0 and not result["socket_errors"], result
                    rounds[(side, concurrency)].append(result)
        summary = {
            key: {"rps": statistics.mean(r["rps"] for r in results),
                  "p50": statistics.mean(r["p50"] for r in results),
                  "p99": statistics.mean(r["p99"] for r in results)}
            for key, results in rounds.items()
        }
        summary["label"] = f"{label}, {era}"
        summary["rss"] = peak_rss_mib(registry)
        print(label, summary, flush=True)
        return summary
    finally:
        registry.terminate()
        registry.wait()
        peer.terminate()
        peer.wait()


def first_page(port):
    """The first page of tools/list on /mcp at 2026-07-28."""
    connection = httpclient.HTTPConnection("127.0.0.1", port, timeout=30)
    connection.request("POST", "/mcp", json.dumps({
        "jsonrpc": "2.0", "id": 1, "method": "tools/list", "params": {"_meta": {
            "io.modelcontextprotocol/protocolVersion": STATELESS,
            "io.modelcontextprotocol/clientInfo": {"name": "bench", "version": "1"},
            "io.modelcontextprotocol/clientCapabilities": {}}}}),
        {"Authorization": f"Bearer {TOKEN}", "Content-Type": "application/json",
         "Accept": "application/json, text/event-stream", "MCP-Protocol-Version": STATELESS,
         "Mcp-Method": "tools/list"})
    response = connection.getresponse()
    text = response.read().decode()
    assert response.status == 200, text
    data = next((line[5:] for line in text.splitlines() if line.startswith("data:")), text)
    return json.loads(data)["result"]


def bench_discover(servers, duration):
    """server/discover and the first page of tools/list on /mcp at
    2026-07-28, one at a time, with `servers` servers registered."""
    peer_port = free_port()
    peer = subprocess.Popen([sys.executable, str(PEERS / "counting.py"), str(peer_port)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    workdir = tempfile.mkdtemp(prefix="gateway-bench-")
    registry, url = start_registry(workdir, "--health-interval-secs", "0")
    try:
        wait_until(lambda: http("GET", f"http://127.0.0.1:{peer_port}/count")[0] == 200)
        for n in range(servers):
            register(url, f"server-{n:03}", f"http://127.0.0.1:{peer_port}/mcp/paged{n}")
        wait_until(lambda: probes_total(url) >= servers, timeout=120)
        registry_port = int(url.rsplit(":", 1)[1])
        load(registry_port, "/mcp", "", 2, 1, STATELESS, "tools/list")  # warm-up
        result = {"servers": servers}
        for method in ("server/discover", "tools/list"):
            figures = load(registry_port, "/mcp", "", duration, 1, STATELESS, method)
            assert figures["non_2xx"] == 0 and not figures["socket_errors"], figures
            result[method] = figures
        page = first_page(registry_port)
        result["page_tools"] = len(page["tools"])
        print(result, flush=True)
        return result
    finally:
        registry.terminate()
        registry.wait()
        peer.terminate()
        peer.wait()


async def open_stream(port, path, session, token=None):
    """Asks for the session's GET stream (as `token`, if given); answers the
    status, and the connection, left open."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    authorization = f"Authorization: Bearer {token}\r\n" if token else ""
    writer.write((f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n{authorization}"
                  f"Accept: text/event-stream\r\nMcp-Session-Id: {session}\r\n"
                  f"MCP-Protocol-Version: {PROTOCOL}\r\n\r\n").encode())
    await writer.drain()
    head = await reader.readuntil(b"\r\n\r\n")
    return int(head.split()[1]), reader, writer


async def hold_stream(port, path, session):
    """Opens the session's GET stream and keeps it; answers its connection."""
    status, reader, writer = await open_stream(port, path, session)
    assert status == 200, status
    return reader, writer


def vm_rss_mib(process):
    with open(f"/proc/{process.pid}/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def bench_idle_sessions(python, sessions):
    peer_port = free_port()
    peer = subprocess.Popen([str(python), str(PEERS / "gateway_peer.py"), TOKEN, str(peer_port)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    workdir = tempfile.mkdtemp(prefix="gateway-bench-")
    # One token holds them all here: its bounds on streams are raised to
    # measure what many agents' streams cost (bench/abuse.py keeps them).
    bounds = str(sessions)
    registry, url = start_registry(workdir, "--health-interval-secs", "0",
                                   "--gateway-max-streams-per-token", bounds,
                                   "--gateway-max-streams-per-server", bounds)
    try:
        wait_until(lambda: http("GET", f"http://127.0.0.1:{peer_port}/seen")[0] == 200)
        server_id = register(url, "idle", f"http://127.0.0.1:{peer_port}/mcp")
        time.sleep(1)
        registry_port = int(url.rsplit(":", 1)[1])
        path = f"/v1/mcp-servers/{server_id}/mcp"
        started = time.monotonic()
        ids = [open_session(registry_port, path) for _ in range(sessions)]

        async def hold_all():
            streams = [await hold_stream(registry_port, path, session) for session in ids]
            await asyncio.sleep(2)
            rss_now = vm_rss_mib(registry)
            for _, writer in streams:
                writer.close()
            return len(streams), rss_now

        held, rss_now = asyncio.run(hold_all())
        opened_in = time.monotonic() - started
        result = {"sessions": held, "opened_in_s": opened_in, "rss_held": rss_now,
                  "peak_rss": peak_rss_mib(registry)}
        print(result, flush=True)
        return result
    finally:
        registry.terminate()
        registry.wait()
        peer.terminate()
        peer.wait()


def write_results(calls, discover, idle):
    commit = current_commit()
    lines = [
        "## Gateway",
        "",
        f"Written by `bench/gateway.py` on {time.strftime('%Y-%m-%d %H:%M', time.gmtime())} UTC at commit"
        f" `{commit}`. `tools/call` (`echo`) with wrk, at concurrency 1 and {CONCURRENCY}, directly to the"
        " upstream, through `/v1/mcp-servers/{id}/mcp` and through `/mcp` (SQLite registry, same machine,"
        " sides alternated, two rounds each, means shown), in two eras: 2025-11-25 on one session opened"
        " beforehand on each side, and 2026-07-28 without sessions (each request carries its headers and"
        " `_meta`). Through a server's endpoint each call also looks up the record (read at most once a"
        " second, then kept), opens the sealed session id (2025-11-25), checks the message and its"
        " standard headers, relays the answer and redacts stored secrets from it. Through `/mcp` the call"
        " is `upstream__echo`: rmcp parses it, the registry resolves the name in its catalog, and sends it"
        " on its own session with the upstream (one shared by the sessionless requests), opened with"
        " `server/discover` first as current clients do.",
        "",
        "| upstream, era | path | concurrency | req/s | p50 ms | p99 ms |",
        "|---|---|---|---|---|---|",
    ]
    for result in calls:
        for concurrency in (1, CONCURRENCY):
            for side in ("direct", "through the gateway", "through /mcp"):
                figures = result[(side, concurrency)]
                lines.append(f"| {result['label']} | {side} | {concurrency} | {figures['rps']:.0f}"
                             f" | {figures['p50']:.2f} | {figures['p99']:.2f} |")
    lines.append("")
    for result in calls:
        one = result[("through the gateway", 1)]["p50"] - result[("direct", 1)]["p50"]
        lines.append(f"- {result['label']}: one call at a time, the gateway adds {one:+.2f} ms at the median"
                     " (its own cost per call, and one more hop on loopback).")
    lines.append("- Where the gateway beats direct at concurrency 8, the upstream serves the gateway's few"
                 " pooled keep-alive connections better than eight client connections (a Python server"
                 " runs a thread or task per connection).")
    both = discover["server/discover"]["p50"] + discover["tools/list"]["p50"]
    lines += [
        "",
        f"`/mcp` at 2026-07-28 with {discover['servers']} servers registered (25 tools each), one request"
        f" at a time: `server/discover` p50 {discover['server/discover']['p50']:.2f} ms"
        f" ({discover['server/discover']['rps']:.0f} req/s), `tools/list` (first page,"
        f" {discover['page_tools']} tools) p50 {discover['tools/list']['p50']:.2f} ms"
        f" ({discover['tools/list']['rps']:.0f} req/s): answered from the stored catalogs (each page kept until they change), nothing"
        " sent upstream.",
        "",
        f"{idle['sessions']} sessions opened through the gateway against `gateway_peer.py` (initialize,"
        " initialized, then the GET stream an SDK client keeps open), all held at once by one token"
        " (its bounds on streams raised to let it): opened in"
        f" {idle['opened_in_s']:.1f} s; registry RSS while holding them {idle['rss_held']:.1f} MiB,"
        f" peak RSS {idle['peak_rss']:.1f} MiB. The session ids are sealed, not stored: what the"
        " registry holds per session is the open streams (the agent's and the upstream's connection).",
        "",
        "| goal | met | measured |",
        "|---|---|---|",
    ]
    for result in calls:
        direct = result[("direct", CONCURRENCY)]
        for side in ("through the gateway", "through /mcp"):
            through = result[(side, CONCURRENCY)]
            added = through["p50"] - direct["p50"]
            ratio = through["rps"] / direct["rps"]
            lines.append(f"| {result['label']}, {side}: added p50 at c={CONCURRENCY} ≤ 0.5 ms"
                         f" | {'yes' if added <= 0.5 else '**no**'} | {added:+.2f} ms |")
            lines.append(f"| {result['label']}, {side}: throughput at c={CONCURRENCY} ≥ 0.85× direct"
                         f" | {'yes' if ratio >= 0.85 else '**no**'} | {ratio:.2f}× |")
    lines.append(f"| `server/discover` + `tools/list` on `/mcp`, {discover['servers']} servers: ≤ 5 ms"
                 f" | {'yes' if both <= 5 else '**no**'} | {both:.2f} ms |")
    lines.append(f"| {idle['sessions']} idle sessions: peak RSS ≤ 128 MiB"
                 f" | {'yes' if idle['peak_rss'] <= 128 else '**no**'} | {idle['peak_rss']:.1f} MiB |")
    write_block("gateway.py", lines)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--duration", type=int, default=10)
    parser.add_argument("--sessions", type=int, default=1000)
    parser.add_argument("--servers", type=int, default=100)
    args = parser.parse_args()
    require_tools(["wrk"])
    subprocess.run(["cargo", "build", "--release", "--locked"], cwd=ROOT, check=True)
    python = venv_python()
    counting = [sys.executable, str(PEERS / "counting.py")]
    lowlevel = [str(python), str(PEERS / "gateway_peer.py"), TOKEN]
    upstreams = [
        ("standard-library server (`counting.py`, JSON answers)", counting, "/mcp/bench", PROTOCOL),
        ("PyPI `mcp` 2.3 low-level server under uvicorn (`gateway_peer.py`)", lowlevel, "/mcp", PROTOCOL),
        ("PyPI `mcp` 2.3 low-level server under uvicorn (`gateway_peer.py`)", lowlevel, "/mcp", STATELESS),
    ]
    calls = [bench_calls(label, command, path, args.duration, era)
             for label, command, path, era in upstreams]
    discover = bench_discover(args.servers, args.duration)
    idle = bench_idle_sessions(python, args.sessions)
    write_results(calls, discover, idle)


if __name__ == "__main__":
    main()
