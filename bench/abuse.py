#!/usr/bin/env python3
"""The abuse load of issue 25 against the release binary, in one run.

A registry on SQLite with tokens (an attacker's `use` token, a victim's `use`
token, an admin), one registered MCP server (PyPI `mcp`'s low-level server,
tests/peers/python/gateway_peer.py, which keeps GET streams open), default
bounds. While a monitor asks /healthz every 50 ms on a new connection and
the victim calls a tool through the server's endpoint every 200 ms, the
attacker, one phase after another:

  1. opens 20,000 connections that never send a byte (from two processes,
     10,000 each, at the lowest CPU priority: an attacker's CPU is its own
     machine's), holds them 10 s, then drops them;
  2. opens /mcp sessions with initialize only, 5,000 times, on 8 connections;
  3. opens 1,000 sessions through the server's own endpoint, then 1,000 GET
     streams on them, all held until the last is answered, then 5 s more.

The attacker's token keeps within its rate limit (180 requests a second), as
the issue's attacker did: what stops it is the bounds.

Prints and writes to bench/RESULTS.md, for each phase: what was admitted and
refused (and how fast), the slowest and 99th-percentile /healthz, the
victim's calls answered, and the registry's peak RSS and descriptors.

Usage: bench/abuse.py
Needs python3 -m venv and PyPI (for the MCP server), like the tests.
"""

import asyncio
import base64
import http.client as httpclient
import json
import os
import resource
import secrets
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from gateway import PROTOCOL, open_stream  # noqa: E402
from probe import PEERS, venv_python  # noqa: E402
from run import (BINARY, ROOT, current_commit, free_port, http, status_mib, wait_until,  # noqa: E402
                 write_block)

ADMIN, ATTACKER, VICTIM = "abuse-admin", "abuse-attacker", "abuse-victim"
# The attacker keeps within its token's rate limit (200 a second by
# default), as the did: what stops it must be the bounds.
ATTACK_RATE = 180
# README's worst case for this load: the process at rest (about 65 MiB), the
# connections' buffers (75 MiB), one token's 64 sessions (7 MiB) and 32 streams
# (2 MiB), and calls in flight.
BOUND_MIB = 160
UPSTREAM_KEY = "abuse-upstream-key"

# Opens COUNT connections to 127.0.0.1:PORT that never send a byte, holds
# them SECONDS, and prints how many it opened (run as a process of its own:
# each has its own limit of open files).
FLOOD = """
import resource, socket, sys, time
port, count, seconds = int(sys.argv[1]), int(sys.argv[2]), float(sys.argv[3])
soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
held = []
for _ in range(count):
    s = socket.socket()
    s.setblocking(False)
    try:
        s.connect(("127.0.0.1", port))
    except BlockingIOError:
        pass
    except OSError:
        s.close()
        continue
    held.append(s)
print(len(held), flush=True)
time.sleep(seconds)
"""


class Pacer:
    """At most `rate` requests a second, across every thread that waits on it."""

    def __init__(self, rate):
        self.interval, self.next, self.lock = 1 / rate, time.monotonic(), threading.Lock()

    def wait(self):
        with self.lock:
            now = time.monotonic()
            self.next = max(self.next + self.interval, now)
            delay = self.next - now
        time.sleep(delay)


def raise_open_files():
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))


def start_registry(workdir):
    tokens = Path(workdir) / "tokens.json"
    sha = lambda token: __import__("hashlib").sha256(token.encode()).hexdigest()  # noqa: E731
    tokens.write_text(json.dumps([{"name": "attacker", "scope": "use", "sha256": sha(ATTACKER)},
                                  {"name": "victim", "scope": "use", "sha256": sha(VICTIM)}]))
    port = free_port()
    env = {**os.environ, "DATABASE_URL": f"sqlite://{workdir}/registry.db", "RUST_LOG": "warn",
           "MCP_REGISTRY_SECRET_KEY": base64.b64encode(secrets.token_bytes(32)).decode(),
           "MCP_REGISTRY_API_TOKEN": ADMIN}
    process = subprocess.Popen(
        [str(BINARY), "serve", "--bind", f"127.0.0.1:{port}", "--allowed-networks", "127.0.0.0/8",
         "--health-interval-secs", "0", "--api-tokens-file", str(tokens)],
        cwd=workdir, env=env, stdout=subprocess.DEVNULL,
        stderr=open(Path(workdir) / "registry.log", "w"))
    wait_until(lambda: http("GET", f"http://127.0.0.1:{port}/healthz")[0] == 200)
    return process, port


def open_files(pid):
    return len(os.listdir(f"/proc/{pid}/fd"))


class Mcp:
    """One keep-alive connection speaking MCP to `path` as `token`."""

    def __init__(self, port, path, token):
        self.address = ("127.0.0.1", port)
        self.reconnects = 0
        self.connection = httpclient.HTTPConnection(*self.address, timeout=30)
        self.path = path
        self.headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json",
                        "Accept": "application/json, text/event-stream"}

    def post(self, message, session=None):
        """As HTTP clients do, a request whose connection the server had
        closed (idle, or after a refusal it did not read) is sent again on a
        new one; `reconnects` counts them."""
        headers = dict(self.headers)
        if session:
            headers.update({"Mcp-Session-Id": session, "MCP-Protocol-Version": PROTOCOL})
        for attempt in (1, 2):
            try:
                self.connection.request("POST", self.path, json.dumps(message), headers)
                response = self.connection.getresponse()
                body = response.read()
                return response.status, response.getheader("mcp-session-id"), body
            except (BrokenPipeError, ConnectionResetError, httpclient.RemoteDisconnected):
                if attempt == 2:
                    raise
                self.reconnects += 1
                self.connection.close()
                self.connection = httpclient.HTTPConnection(*self.address, timeout=30)

    def initialize(self):
        status, session, _ = self.post({"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {
            "protocolVersion": PROTOCOL, "capabilities": {},
            "clientInfo": {"name": "abuse", "version": "1"}}})
        if status == 200:
            self.post({"jsonrpc": "2.0", "method": "notifications/initialized"}, session)
        return status, session


class Watch:
    """/healthz every 50 ms on a new connection, the victim's call every
    200 ms, and the registry's RSS and descriptors every 100 ms, until
    stopped; `phase()` answers what each saw since the last call."""

    def __init__(self, port, pid, server_path):
        self.port, self.pid, self.stopping = port, pid, threading.Event()
        self.victim = Mcp(port, server_path, VICTIM)
        status, self.session = self.victim.initialize()
        assert status == 200, status
        self.health, self.calls, self.files = [], Counter(), 0
        self.call_ms = []
        self.threads = [threading.Thread(target=target, daemon=True)
                        for target in (self.ask_health, self.call_tool, self.sample)]
        for thread in self.threads:
            thread.start()

    def ask_health(self):
        while not self.stopping.wait(0.05):
            started = time.perf_counter()
            try:
                connection = httpclient.HTTPConnection("127.0.0.1", self.port, timeout=10)
                connection.request("GET", "/healthz")
                ok = connection.getresponse().status == 200
                connection.close()
            except OSError:
                ok = False
            self.health.append(((time.perf_counter() - started) * 1000, ok))

    def call_tool(self):
        n = 100
        while not self.stopping.wait(0.2):
            n += 1
            started = time.perf_counter()
            try:
                status, _, body = self.victim.post({"jsonrpc": "2.0", "id": n, "method": "tools/call",
                                                    "params": {"name": "echo", "arguments": {"n": n}}},
                                                   self.session)
                ok = status == 200 and b'"result"' in body
            except OSError:
                ok = False
            self.calls["answered" if ok else "failed"] += 1
            self.call_ms.append((time.perf_counter() - started) * 1000)

    def sample(self):
        while not self.stopping.wait(0.1):
            self.files = max(self.files, open_files(self.pid))

    def phase(self):
        health, self.health = self.health, []
        calls, self.calls = self.calls, Counter()
        calls["reconnected"], self.victim.reconnects = self.victim.reconnects, 0
        call_ms, self.call_ms = self.call_ms, []
        files, self.files = self.files, 0
        latencies = sorted(ms for ms, _ in health)
        return {
            "health_max": latencies[-1] if latencies else float("nan"),
            "health_p99": latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))] if latencies else float("nan"),
            "health_failed": sum(1 for _, ok in health if not ok),
            "health_count": len(health),
            "calls": dict(calls),
            "call_max": max(call_ms) if call_ms else float("nan"),
            "files": files,
            "rss_peak": status_mib(self.pid, "VmHWM"),
        }

    def stop(self):
        self.stopping.set()
        for thread in self.threads:
            thread.join()


def half_open(port):
    started = time.perf_counter()
    # At the lowest priority: a real attacker spends its own machine's CPU,
    # not the registry's (at equal priority on 2 cores the flooders starve
    # the registry, the kernel's queue of connections to accept overflows,
    # and a monitor's connection waits 1-2 s for a retransmission).
    floods = [subprocess.Popen(["nice", "-n", "19", sys.executable, "-c", FLOOD, str(port), "10000", "10"],
                               stdout=subprocess.PIPE, text=True) for _ in range(2)]
    opened = sum(int(flood.stdout.readline() or 0) for flood in floods)
    took = time.perf_counter() - started
    for flood in floods:
        flood.wait()
    return {"attempted": 20000, "admitted": f"{opened} opened in {took:.1f} s, held 10 s",
            "refused": "oldest idle ones closed for newer ones (cap 4,096)"}


def refusal(status, body):
    """What refused a request: the session or stream bound (a JSON-RPC error
    that says so), or the token's rate limit."""
    if status == 200:
        return "admitted"
    if b"too_many" in body:
        return "bound"
    return "rate limit" if status == 429 else f"HTTP {status}"


def summary(outcomes, times):
    """`outcomes`: a Counter of what `refusal` said; `times`: ms of bound refusals."""
    times.sort()
    refused = f"{outcomes.get('bound', 0)} by the bound"
    if times:
        refused += f" (429, p50 {times[len(times) // 2]:.1f} ms)"
    others = {k: v for k, v in outcomes.items() if k not in ("admitted", "bound")}
    if others:
        refused += ", " + ", ".join(f"{v} by the {k}" for k, v in sorted(others.items()))
    return {"attempted": sum(outcomes.values()), "admitted": outcomes.get("admitted", 0),
            "refused": refused}


def initialize_only(port):
    outcomes, times = Counter(), []
    lock = threading.Lock()

    pacer = Pacer(ATTACK_RATE)

    def attacker():
        client = Mcp(port, "/mcp", ATTACKER)
        for _ in range(5000 // 8):
            pacer.wait()
            started = time.perf_counter()
            status, _, body = client.post({"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {
                "protocolVersion": PROTOCOL, "capabilities": {},
                "clientInfo": {"name": "greedy", "version": "1"}}})
            with lock:
                outcome = refusal(status, body)
                outcomes[outcome] += 1
                if outcome == "bound":
                    times.append((time.perf_counter() - started) * 1000)

    threads = [threading.Thread(target=attacker) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return summary(outcomes, times)


def get_streams(port, path):
    sessions = []
    client = Mcp(port, path, ATTACKER)
    pacer = Pacer(ATTACK_RATE / 2)  # initialize and initialized
    while len(sessions) < 1000:
        pacer.wait()
        status, session = client.initialize()
        if status == 200:
            sessions.append(session)

    async def stream(session, at):
        await asyncio.sleep(at)
        started = time.perf_counter()
        status, reader, writer = await open_stream(port, path, session, ATTACKER)
        body = b"" if status == 200 else await reader.read(4096)
        return refusal(status, body), (time.perf_counter() - started) * 1000, writer

    async def all_at_once():
        opened = await asyncio.gather(*(stream(session, n / ATTACK_RATE)
                                        for n, session in enumerate(sessions)))
        await asyncio.sleep(5)
        for _, _, writer in opened:
            writer.close()
        return opened

    opened = asyncio.run(all_at_once())
    outcomes = Counter(outcome for outcome, _, _ in opened)
    return summary(outcomes, [ms for outcome, ms, _ in opened if outcome == "bound"])


def main():
    raise_open_files()
    print("building the release binary ...", flush=True)
    subprocess.run(["cargo", "build", "--release", "--locked"], cwd=ROOT, check=True)
    python = venv_python()
    peer_port = free_port()
    peer = subprocess.Popen([str(python), str(PEERS / "gateway_peer.py"), UPSTREAM_KEY, str(peer_port)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    workdir = tempfile.mkdtemp(prefix="abuse-bench-")
    registry, port = start_registry(workdir)
    try:
        wait_until(lambda: http("GET", f"http://127.0.0.1:{peer_port}/seen")[0] == 200)
        connection = httpclient.HTTPConnection("127.0.0.1", port)
        connection.request("POST", "/v1/mcp-servers", json.dumps(
            {"name": "tools", "url": f"http://127.0.0.1:{peer_port}/mcp", "api_key": UPSTREAM_KEY}),
            {"Authorization": f"Bearer {ADMIN}", "Content-Type": "application/json"})
        server_id = json.loads(connection.getresponse().read())["id"]
        path = f"/v1/mcp-servers/{server_id}/mcp"
        time.sleep(1)
        at_rest = status_mib(registry.pid, "VmRSS")
        watch = Watch(port, registry.pid, path)
        time.sleep(2)
        results = [("at rest (2 s)", {"attempted": 0, "admitted": "-", "refused": "-"}, watch.phase())]
        for name, attack in [("20,000 half-open connections", lambda: half_open(port)),
                             ("5,000 initialize-only /mcp sessions, one token", lambda: initialize_only(port)),
                             ("1,000 GET streams at once, one token", lambda: get_streams(port, path))]:
            print(f"{name} ...", flush=True)
            outcome = attack()
            results.append((name, outcome, watch.phase()))
            print(results[-1], flush=True)
        watch.stop()
        write_results(at_rest, results)
    finally:
        registry.terminate()
        registry.wait()
        peer.terminate()
        peer.wait()


def write_results(at_rest, results):
    lines = [
        "## Abuse: a greedy token and a flood of connections",
        "",
        f"Written by `bench/abuse.py` on {time.strftime('%Y-%m-%d %H:%M', time.gmtime())} UTC at commit"
        f" `{current_commit()}`: the release binary on SQLite with default bounds, one MCP server"
        " (`gateway_peer.py`), RSS at rest {at_rest:.1f} MiB. A monitor asks `/healthz` every 50 ms on a"
        " new connection and another token (the victim) calls a tool through the server's endpoint"
        " every 200 ms, while one token (or no token: the connections) attacks; the phases follow"
        " each other, so peak RSS is cumulative. The flooding processes run at the lowest CPU priority"
        " (an attacker's CPU is its own machine's; at equal priority on these 2 cores they starve the"
        " registry and the kernel drops connections it has no room to queue).".replace("{at_rest:.1f}", f"{at_rest:.1f}"),
        "",
        "| phase | attempted | admitted | refused | /healthz max (p99) ms | /healthz failed | victim's calls | peak RSS MiB | descriptors (max) |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for name, outcome, seen in results:
        calls = seen["calls"]
        lines.append(
            f"| {name} | {outcome['attempted']} | {outcome['admitted']} | {outcome['refused']}"
            f" | {seen['health_max']:.1f} ({seen['health_p99']:.1f}) | {seen['health_failed']} of"
            f" {seen['health_count']} | {calls.get('answered', 0)} answered, {calls.get('failed', 0)}"
            f" failed, {calls.get('reconnected', 0)} on a new connection (slowest {seen['call_max']:.0f} ms)"
            f" | {seen['rss_peak']:.1f} | {seen['files']} |")
    worst = max(seen["health_max"] for _, _, seen in results)
    failed = sum(seen["calls"].get("failed", 0) for _, _, seen in results)
    peak = max(seen["rss_peak"] for _, _, seen in results)
    lines += [
        "",
        "| goal | met | measured |",
        "|---|---|---|",
        f"| /healthz under 100 ms throughout | {'yes' if worst < 100 else '**no**'} | slowest {worst:.1f} ms |",
        f"| the victim's calls all answered | {'yes' if failed == 0 else '**no**'} | {failed} failed |",
        f"| peak RSS within README's bound for this load ({BOUND_MIB} MiB) | {'yes' if peak <= BOUND_MIB else '**no**'}"
        f" | {peak:.1f} MiB |",
    ]
    write_block("abuse.py", lines)


if __name__ == "__main__":
    main()
