#!/usr/bin/env python3
"""Benchmark probes: how fast the registry talks MCP, and what checking many
servers costs it, in one run.

  1. A probe of a local MCP server offering 25 tools over 3 pages, plus
     resources, a template and a prompt (PyPI `mcp`'s low-level server, and a
     standard-library one that costs less itself): POST /probe, sequentially,
     against the same conversation made raw (Python's http.client on one
     keep-alive connection: initialize, initialized, every page of every list,
     DELETE; no validation, nothing stored), so the difference shows what the
     registry adds.
  2. 1,000 registered servers checked by one replica's periodic checker at
     concurrency 8 (against counting.py, cheap enough not to be the
     bottleneck): the time from the first periodic check to the last, and
     the server's peak RSS.

Writes its figures between the probe markers of bench/RESULTS.md (bench/run.py
keeps that block). Usage: bench/probe.py [--probes N] [--servers N]
Needs python3 -m venv and PyPI (for the MCP server), like the tests.
"""

import argparse
import base64
import datetime
import http.client as httpclient
import json
import os
import secrets
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from run import (BINARY, ROOT, current_commit, free_port, http, wait_until,  # noqa: E402
                 write_block)

PEERS = ROOT / "tests" / "peers" / "python"
VENV = ROOT / "target" / "tmp" / "mcp-peers" / "venv"
TOKEN = "bench-token"


def venv_python():
    python = VENV / "bin" / "python"
    wanted = (PEERS / "requirements.txt").read_text()
    stamp = VENV / "installed-requirements.txt"
    if not stamp.exists() or stamp.read_text() != wanted:
        subprocess.run([sys.executable, "-m", "venv", str(VENV)], check=True)
        subprocess.run([str(python), "-m", "pip", "install", "-q", "-r", str(PEERS / "requirements.txt")],
                       check=True)
        stamp.write_text(wanted)
    return python


def percentile(values, p):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * p))]


def start_registry(workdir, *args):
    port = free_port()
    env = {**os.environ, "DATABASE_URL": f"sqlite://{workdir}/registry.db", "RUST_LOG": "warn",
           "MCP_REGISTRY_SECRET_KEY": base64.b64encode(secrets.token_bytes(32)).decode()}
    process = subprocess.Popen(
        [str(BINARY), "serve", "--bind", f"127.0.0.1:{port}", "--rate-limit", "0",
         "--allowed-networks", "127.0.0.0/8", *args],
        cwd=workdir, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    wait_until(lambda: http("GET", f"{url}/healthz")[0] == 200)
    return process, url


def peak_rss_mib(process):
    with open(f"/proc/{process.pid}/status") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def register(url, name, mcp_url):
    status, body = http("POST", f"{url}/v1/mcp-servers",
                        json.dumps({"name": name, "url": mcp_url, "api_key": TOKEN}).encode())
    assert status == 201, body
    return json.loads(body)["id"]


def raw_conversation(port, path):
    """The probe's requests, made by hand on one keep-alive connection."""
    connection = httpclient.HTTPConnection("127.0.0.1", port)
    headers = {"Authorization": f"Bearer {TOKEN}", "Content-Type": "application/json",
               "Accept": "application/json, text/event-stream"}

    def post(message):
        connection.request("POST", path, json.dumps(message), headers)
        response = connection.getresponse()
        body = response.read()
        return response, body

    response, _ = post({"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {
        "protocolVersion": "2025-11-25", "capabilities": {},
        "clientInfo": {"name": "raw", "version": "1"}}})
    if response.getheader("mcp-session-id"):
        headers["Mcp-Session-Id"] = response.getheader("mcp-session-id")
    headers["Mcp-Protocol-Version"] = "2025-11-25"
    post({"jsonrpc": "2.0", "method": "notifications/initialized"})
    request_id, cursor = 2, None
    while True:
        params = {"cursor": cursor} if cursor else {}
        _, body = post({"jsonrpc": "2.0", "id": request_id, "method": "tools/list", "params": params})
        request_id += 1
        data = body.decode()
        payload = json.loads(data[data.index("{"):].splitlines()[0]) if data.startswith("event") else json.loads(data)
        cursor = payload["result"].get("nextCursor")
        if not cursor:
            break
    for method in ("resources/list", "resources/templates/list", "prompts/list"):
        post({"jsonrpc": "2.0", "id": request_id, "method": method, "params": {}})
        request_id += 1
    connection.request("DELETE", path, headers=headers)
    connection.getresponse().read()
    connection.close()


def bench_one_probe(peer_command, path, probes):
    """POST /probe of one server against the same requests made raw, with
    `peer_command + [port]` serving MCP at `path`."""
    peer_port = free_port()
    peer = subprocess.Popen([*peer_command, str(peer_port)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    workdir = tempfile.mkdtemp(prefix="probe-bench-")
    registry, url = start_registry(workdir, "--health-interval-secs", "0")
    try:
        wait_until(lambda: http("GET", f"http://127.0.0.1:{peer_port}/")[0] != 0)
        server_id = register(url, "paged", f"http://127.0.0.1:{peer_port}{path}")
        time.sleep(1)  # the probe queued by the create
        ours, raw = [], []
        for _ in range(10):  # warm-up of both sides
            http("POST", f"{url}/v1/mcp-servers/{server_id}/probe")
            raw_conversation(peer_port, path)
        # Interleaved, so both sides see the same machine.
        for _ in range(probes):
            started = time.perf_counter()
            status, body = http("POST", f"{url}/v1/mcp-servers/{server_id}/probe")
            ours.append((time.perf_counter() - started) * 1000)
            result = json.loads(body)
            assert status == 200 and result["state"] == "ok" and result["tool_count"] == 25, body
            started = time.perf_counter()
            raw_conversation(peer_port, path)
            raw.append((time.perf_counter() - started) * 1000)
        return {"ours": ours, "raw": raw, "rss": peak_rss_mib(registry)}
    finally:
        registry.terminate()
        registry.wait()
        peer.terminate()
        peer.wait()


def probes_total(url):
    _, body = http("GET", f"{url}/metrics")
    total = 0
    for line in body.decode().splitlines():
        if line.startswith("mcp_probes_total{"):
            total += int(float(line.split()[-1]))
    return total


def bench_many_servers(servers):
    """The checker's throughput, against a peer cheap enough not to be the
    bottleneck (counting.py: standard library, a thread per connection)."""
    peer_port = free_port()
    peer = subprocess.Popen([sys.executable, str(PEERS / "counting.py"), str(peer_port)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    workdir = tempfile.mkdtemp(prefix="probe-bench-")
    interval = 60
    registry, url = start_registry(workdir, "--health-interval-secs", str(interval),
                                   "--health-concurrency", "8")
    try:
        wait_until(lambda: http("GET", f"http://127.0.0.1:{peer_port}/count")[0] == 200)
        started = time.monotonic()
        for i in range(servers):
            register(url, f"many-{i}", f"http://127.0.0.1:{peer_port}/mcp/{i}")
        # The probes queued by the creates; each makes the server due one
        # interval later, so the periodic checks come in the same spread.
        wait_until(lambda: probes_total(url) >= servers, timeout=600)
        creates_and_probes = time.monotonic() - started
        after_creates = probes_total(url)
        wait_until(lambda: probes_total(url) > after_creates, timeout=3 * interval)
        first_due = time.monotonic()
        wait_until(lambda: probes_total(url) >= after_creates + servers, timeout=3 * interval)
        first_to_last = time.monotonic() - first_due
        return {"servers": servers, "interval": interval, "all_checked_after_s": first_to_last,
                "creates_and_probes_s": creates_and_probes, "rss": peak_rss_mib(registry)}
    finally:
        registry.terminate()
        registry.wait()
        peer.terminate()
        peer.wait()


def write_results(one, many):
    commit = current_commit()
    lines = [
        "## Probes",
        "",
        f"Written by `bench/probe.py` on {datetime.datetime.now(datetime.timezone.utc):%Y-%m-%d %H:%M} UTC"
        f" at commit `{commit}`. Each MCP server offers 25 tools over 3 pages, 2 resources, 1 template"
        " and 1 prompt, on the same cores. POST /probe runs initialize, every page of every list and"
        " DELETE, and stores the outcome; the raw row makes the same requests with http.client on"
        " one keep-alive connection and stores nothing, so it is the server's own time.",
        "",
        "| server | conversation | runs | p50 ms | p99 ms |",
        "|---|---|---|---|---|",
    ]
    for result in one:
        ours, raw = result["ours"], result["raw"]
        lines += [
            f"| {result['peer']} | POST /probe | {len(ours)} | {statistics.median(ours):.2f} "
            f"| {percentile(ours, 0.99):.2f} |",
            f"| {result['peer']} | the same requests raw | {len(raw)} | {statistics.median(raw):.2f} "
            f"| {percentile(raw, 0.99):.2f} |",
        ]
    lines.append("")
    for result in one:
        added = statistics.median(result["ours"]) - statistics.median(result["raw"])
        lines.append(f"- {result['peer']}: the registry adds {added:.1f} ms at the median (its own HTTP"
                     f" exchange, the rmcp session and one SQLite transaction with `synchronous=FULL`);"
                     f" peak RSS {result['rss']:.1f} MiB.")
    best = min(statistics.median(result["ours"]) for result in one)
    medians = "; ".join(f"{statistics.median(result['ours']):.2f} ms ({result['peer']})" for result in one)
    lines += [
        "",
        f"{many['servers']} servers (`counting.py`, a standard-library MCP server cheap enough not to"
        f" be the bottleneck) checked by one replica's periodic checker, interval {many['interval']} s,"
        f" concurrency 8: registering them and their first probes took {many['creates_and_probes_s']:.1f} s;"
        f" the periodic checks, from the first to the last, {many['all_checked_after_s']:.1f} s"
        f" (their due times spread as the first probes did); peak RSS {many['rss']:.1f} MiB.",
        "",
        "| goal | met | measured |",
        "|---|---|---|",
        f"| probe of a local server, 25 tools over 3 pages: p50 ≤ 15 ms | {'yes' if best <= 15 else '**no**'} "
        f"| {medians} |",
        f"| 1,000 servers checked within one interval at concurrency 8 "
        f"| {'yes' if many['all_checked_after_s'] <= many['interval'] else '**no**'} "
        f"| {many['all_checked_after_s']:.1f} s of {many['interval']} s |",
        f"| peak RSS checking 1,000 servers ≤ 96 MiB | {'yes' if many['rss'] <= 96 else '**no**'} "
        f"| {many['rss']:.1f} MiB |",
    ]
    write_block("probe.py", lines)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--probes", type=int, default=200)
    parser.add_argument("--servers", type=int, default=1000)
    args = parser.parse_args()
    subprocess.run(["cargo", "build", "--release", "--locked"], cwd=ROOT, check=True)
    python = venv_python()
    peers = [
        ("PyPI `mcp` 2.3 low-level server under uvicorn (`paged_server.py`)",
         [str(python), str(PEERS / "paged_server.py"), TOKEN], "/mcp"),
        ("standard-library server (`counting.py`, `/mcp/paged`)",
         [sys.executable, str(PEERS / "counting.py")], "/mcp/paged"),
    ]
    one = []
    for label, command, path in peers:
        result = bench_one_probe(command, path, args.probes)
        result["peer"] = label
        one.append(result)
        print(f"{label}: probe p50 {statistics.median(result['ours']):.2f} ms,"
              f" raw {statistics.median(result['raw']):.2f} ms", flush=True)
    many = bench_many_servers(args.servers)
    print(many, flush=True)
    write_results(one, many)


if __name__ == "__main__":
    main()
