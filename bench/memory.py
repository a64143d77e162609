#!/usr/bin/env python3
"""The hostile load of issue 16 against the release binary: peak RSS and who waits.

For SQLite and PostgreSQL: 32 clients each send 8 creates of 100 headers of
8,000 bytes and a 10 KiB description (820 KB a record; refused since the
headers' 16 KiB total limit), then 32 x 8 creates at today's largest (16 KiB of
headers, 10 KiB description, 4 KiB api_key), then 8 clients page through
everything with limit=200 at once while another asks /healthz every 50 ms.
Then, on a fresh server (tests/peers/python/hostile.py as the MCP servers):
8 agents each calling a tool whose answer is 15 MB through the gateway at once;
then the same through /mcp (where the SDK parses each answer), with one call of a
tool whose answer is 15 MB of tiny JSON values (refused: over a GiB to parse);
16 registered servers each listing 1 MiB of tiny JSON values (the most a probe
keeps, and the dearest to parse) probed at once; 8 clients paging through
/v1/tools with limit=200 at once. Peak RSS is cumulative, so the cheaper
phases come first. Prints the statuses, the largest page, the slowest /healthz and the
server's peak RSS (VmHWM) after each phase, and writes them to bench/RESULTS.md.
(Records stored before the limit, 820 KB each, are in tests/memory.rs: making
them needs the server's sealing.)

Usage: bench/memory.py [--postgres URL] [--no-postgres]
"""

import argparse
import http.client
import json
import os
import socket
import subprocess
import sys
import threading
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from run import (  # noqa: E402
    ROOT, Server, add_database_args, current_commit, free_port, run_on_databases, wait_until,
    write_block)

CLIENTS, PER_CLIENT, READERS = 32, 8, 8
PROBED, CALLERS = 16, 8


def headers(count, size):
    return {f"X-Header-{n:03}": "h" * size for n in range(count)}


def hostile(client, n):
    return {"name": f"hostile-{client}-{n}", "url": "https://mcp.example.com/mcp",
            "description": "d" * 10240, "headers": headers(100, 8000)}


def largest(client, n):
    return {"name": f"largest-{client}-{n}", "url": "https://mcp.example.com/mcp",
            "description": "d" * 10240, "api_key": "k" * 4096, "headers": headers(2, 8000 - 12)}


def request(port, method, path, body=None):
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
    payload = json.dumps(body).encode() if body is not None else None
    connection.request(method, path, body=payload,
                       headers={"Content-Type": "application/json"} if payload else {})
    response = connection.getresponse()
    data = response.read()
    connection.close()
    return response.status, data


def in_parallel(count, work):
    results = [None] * count
    threads = [threading.Thread(target=lambda i=i: results.__setitem__(i, work(i)))
               for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


def create_all(port, body_of):
    """CLIENTS clients each create PER_CLIENT records of `body_of(client, n)`; the statuses."""
    statuses = Counter()
    for answers in in_parallel(CLIENTS, lambda c: [
            request(port, "POST", "/v1/mcp-servers", body_of(c, n))[0]
            for n in range(PER_CLIENT)]):
        statuses.update(answers)
    return statuses


def walk(port, list_path="/v1/mcp-servers", key=lambda item: item["id"]):
    path, pages, largest_page, ids = f"{list_path}?limit=200", 0, 0, []
    while True:
        status, data = request(port, "GET", path)
        assert status == 200, (status, data[:200])
        pages, largest_page = pages + 1, max(largest_page, len(data))
        page = json.loads(data)
        ids += [key(item) for item in page["data"]]
        if not page.get("next_cursor"):
            return {"pages": pages, "largest": largest_page, "ids": ids}
        path = f"{list_path}?limit=200&cursor={page['next_cursor']}"


def peer(mode):
    """A hostile.py MCP server in `mode`, once it listens: the process and its port."""
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, str(ROOT / "tests/peers/python/hostile.py"), mode, str(port)],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    def listens():
        with socket.socket() as probe:
            return probe.connect_ex(("127.0.0.1", port)) == 0
    wait_until(listens)
    return process, port


def call_tool(port, server_id):
    """One tools/call through the gateway: the status and the answer's length."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
    message = {"jsonrpc": "2.0", "id": 1, "method": "tools/call",
               "params": {"name": "big", "arguments": {}}}
    connection.request("POST", f"/v1/mcp-servers/{server_id}/mcp", body=json.dumps(message),
                       headers={"Content-Type": "application/json",
                                "Accept": "application/json, text/event-stream"})
    response = connection.getresponse()
    data = response.read()
    connection.close()
    return response.status, len(data)


def aggregate_call(port, tool):
    """One tools/call through /mcp in a session of its own: the status and
    how it ended (the answer's length, or the error's reason)."""
    def post(message, session=None):
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
        headers = {"Content-Type": "application/json", "Mcp-Protocol-Version": "2025-06-18",
                   "Accept": "application/json, text/event-stream"}
        if session:
            headers["Mcp-Session-Id"] = session
        connection.request("POST", "/mcp", body=json.dumps(message), headers=headers)
        response = connection.getresponse()
        data = response.read()
        connection.close()
        return response, data
    response, _ = post({"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {
        "protocolVersion": "2025-06-18", "capabilities": {},
        "clientInfo": {"name": "bench", "version": "1"}}})
    session = response.getheader("Mcp-Session-Id")
    post({"jsonrpc": "2.0", "method": "notifications/initialized"}, session)
    response, data = post({"jsonrpc": "2.0", "id": 2, "method": "tools/call",
                           "params": {"name": tool, "arguments": {}}}, session)
    for line in data.splitlines():
        if line.startswith(b"data:") and b'"id":2' in line.replace(b" ", b""):
            answer = json.loads(line[5:])
            if "error" in answer:
                return response.status, answer["error"]["data"]["reason"]
            return response.status, f"{len(line) / 1e6:.0f} MB"
    return response.status, "no answer"


def wait_for_health(port, server_id):
    def probed():
        _, data = request(port, "GET", f"/v1/mcp-servers/{server_id}")
        return json.loads(data).get("health") is not None
    wait_until(probed)


def measure_mcp(url, workdir, figures):
    """The MCP phases, on a fresh server (its peak is its own)."""
    peers = [peer("dense_tools"), peer("big_answer"), peer("dense_answer")]
    (_, dense_port), (_, big_port), (_, dense_answer_port) = peers
    server = Server(url, workdir, ["--health-interval-secs", "0",
                                   "--allowed-networks", "127.0.0.0/8"])
    port = server.port
    figures["rss_rest"] = server.peak_rss_mib()
    status, data = request(port, "POST", "/v1/mcp-servers",
                           {"name": "big-answer", "url": f"http://127.0.0.1:{big_port}/mcp"})
    assert status == 201, (status, data[:200])
    big_id = json.loads(data)["id"]
    calls = Counter()
    for status, length in in_parallel(CALLERS, lambda _: call_tool(port, big_id)):
        calls[f"{status} ({length / 1e6:.0f} MB)" if status == 200 else status] += 1
    figures["calls"] = dict(calls)
    figures["rss_calls"] = server.peak_rss_mib()

    for name, answer_port in (("bigtext", big_port), ("densevalues", dense_answer_port)):
        status, data = request(port, "POST", "/v1/mcp-servers",
                               {"name": name, "url": f"http://127.0.0.1:{answer_port}/mcp"})
        assert status == 201, (status, data[:200])
        wait_for_health(port, json.loads(data)["id"])
    tools = ["densevalues__big"] + ["bigtext__big"] * CALLERS
    calls = Counter(f"{status} {outcome}" for status, outcome in in_parallel(
        len(tools), lambda i: aggregate_call(port, tools[i])))
    figures["aggregate_calls"] = dict(calls)
    figures["rss_aggregate_calls"] = server.peak_rss_mib()

    ids = []
    for n in range(PROBED):
        status, data = request(port, "POST", "/v1/mcp-servers",
                               {"name": f"dense-{n}", "url": f"http://127.0.0.1:{dense_port}/mcp"})
        assert status == 201, (status, data[:200])
        ids.append(json.loads(data)["id"])
    probes = Counter()
    for status, data in in_parallel(PROBED, lambda i: request(
            port, "POST", f"/v1/mcp-servers/{ids[i]}/probe")):
        probes[json.loads(data)["state"] if status == 200 else status] += 1
    figures["probes"] = dict(probes)
    figures["rss_probes"] = server.peak_rss_mib()

    walks = in_parallel(READERS, lambda _: walk(
        port, "/v1/tools", lambda hit: (hit["server_id"], hit["name"])))
    figures["tool_pages"] = walks[0]["pages"]
    figures["tools_found"] = len(walks[0]["ids"])
    figures["largest_tool_page"] = max(w["largest"] for w in walks)
    figures["rss_search"] = server.peak_rss_mib()

    server.stop()
    for process, _ in peers:
        process.terminate()


def measure(name, url, workdir):
    server = Server(url, workdir, ["--health-interval-secs", "0"])
    port = server.port
    figures = {"name": name}

    figures["hostile"] = dict(create_all(port, hostile))
    figures["rss_hostile"] = server.peak_rss_mib()
    statuses = create_all(port, largest)
    figures["largest"] = dict(statuses)
    figures["rss_creates"] = server.peak_rss_mib()

    done, slowest = threading.Event(), [0.0]

    def watch():
        while not done.is_set():
            started = time.perf_counter()
            status, _ = request(port, "GET", "/healthz")
            assert status == 200
            slowest[0] = max(slowest[0], time.perf_counter() - started)
            time.sleep(0.05)

    watcher = threading.Thread(target=watch)
    watcher.start()
    started = time.perf_counter()
    walks = in_parallel(READERS, lambda _: walk(port))
    figures["walk_s"] = time.perf_counter() - started
    done.set()
    watcher.join()
    figures["pages"] = walks[0]["pages"]
    figures["largest_page"] = max(w["largest"] for w in walks)
    figures["every_record_once"] = all(len(w["ids"]) == len(set(w["ids"])) == statuses[201]
                                       for w in walks)
    figures["healthz_ms"] = slowest[0] * 1000
    figures["rss_reads"] = server.peak_rss_mib()
    server.stop()
    measure_mcp(url, workdir, figures)
    print(json.dumps(figures), flush=True)
    return figures


def write_results(results):
    commit = current_commit()
    lines = [
        "## Memory under the hostile load of issue 16",
        "",
        f"`bench/memory.py` at {commit}, {time.strftime('%Y-%m-%d %H:%M')}, {os.cpu_count()} cores. "
        f"{CLIENTS} clients x {PER_CLIENT} creates of 820 KB records (100 headers of 8,000 bytes), "
        f"then {CLIENTS} x {PER_CLIENT} of today's largest (16 KiB of headers, 10 KiB description, "
        f"4 KiB api_key), then {READERS} clients paging through everything with limit=200 at once "
        "while another asks /healthz every 50 ms. Peak RSS is VmHWM after each phase.",
        "",
        "| database | 820 KB creates | largest creates | peak RSS after them | pages of a walk "
        "| largest page | every record once | slowest /healthz | peak RSS after the reads "
        "| ≤ 256 MiB |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in results:
        lines.append(
            f"| {r['name']} | {r['hostile']} | {r['largest']} | {r['rss_creates']:.1f} MiB "
            f"| {r['pages']} | {r['largest_page'] / 1024 / 1024:.2f} MiB "
            f"| {'yes' if r['every_record_once'] else '**no**'} | {r['healthz_ms']:.1f} ms "
            f"| {r['rss_reads']:.1f} MiB | {'yes' if r['rss_reads'] <= 256 else '**no**'} |")
    lines += [
        "",
        f"Then a fresh server: {CALLERS} agents calling a tool with a 15 MB answer through the "
        "gateway at once (room for answers: the default 64 MiB); "
        f"{CALLERS} agents doing the same through /mcp, and one more calling a tool whose answer "
        "is 15 MB of tiny JSON values, at once; "
        f"{PROBED} registered servers listing 1 MiB of tiny JSON values each, probed at once; "
        f"{READERS} clients paging through /v1/tools (limit=200) at once. Peak RSS is cumulative "
        "(VmHWM), so the cheaper phases come first.",
        "",
        "| database | peak RSS at rest | calls | peak RSS after them | calls through /mcp "
        "| peak RSS after them | probes "
        "| peak RSS after them | pages of a search | tools found | largest page "
        "| peak RSS after the searches |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in results:
        lines.append(
            f"| {r['name']} | {r['rss_rest']:.1f} MiB | {r['calls']} | {r['rss_calls']:.1f} MiB "
            f"| {r['aggregate_calls']} | {r['rss_aggregate_calls']:.1f} MiB "
            f"| {r['probes']} | {r['rss_probes']:.1f} MiB | {r['tool_pages']} "
            f"| {r['tools_found']} | {r['largest_tool_page'] / 1024 / 1024:.2f} MiB "
            f"| {r['rss_search']:.1f} MiB |")
    write_block("memory.py", lines)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add_database_args(parser)
    args = parser.parse_args()
    write_results(run_on_databases(args, "mcp-memory-", measure))

if __name__ == "__main__":
    main()
