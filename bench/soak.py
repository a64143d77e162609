#!/usr/bin/env python3
"""A long day in ten minutes: mixed load on the release binary, watching for leaks.

For SQLite and then PostgreSQL, 16 clients (threads with keep-alive connections)
loop over create, get, list, patch and delete for --duration seconds (600 by
default). Every 10 s it samples the server's RSS (VmRSS) and open file
descriptors (/proc/PID/fd). After a warm-up (the first fifth of the run) it
checks: no 5xx at all, RSS at the end at most 10% above RSS at the end of the
warm-up, and no more open descriptors at the end than then. Prints each sample
and the verdict, and writes the figures to bench/RESULTS.md.

Usage: bench/soak.py [--duration SECONDS] [--postgres URL] [--no-postgres]
"""

import argparse
import http.client
import json
import os
import statistics
import sys
import threading
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from run import (ROOT, Server, add_database_args, current_commit, run_on_databases,  # noqa: E402
                 status_mib, write_block)

CLIENTS = 16
SAMPLE_EVERY = 10


def open_fds(pid):
    return len(os.listdir(f"/proc/{pid}/fd"))


class Client(threading.Thread):
    """One caller going round create, get, list, patch, delete on its own
    records (half of them deleted, so the table grows slowly, as in life)."""

    def __init__(self, number, port, stop, statuses, lock):
        super().__init__(daemon=True)
        self.number, self.port, self.stop = number, port, stop
        self.statuses, self.lock = statuses, lock
        self.connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)

    def call(self, method, path, body=None):
        payload = json.dumps(body).encode() if body is not None else None
        headers = {"Content-Type": "application/json"} if payload else {}
        for attempt in range(2):
            try:
                self.connection.request(method, path, body=payload, headers=headers)
                response = self.connection.getresponse()
                data = response.read()
                with self.lock:
                    self.statuses[response.status] += 1
                return response.status, data
            except (http.client.HTTPException, OSError):
                # The server may close an idle keep-alive connection: reconnect once.
                self.connection.close()
                self.connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
                if attempt == 1:
                    with self.lock:
                        self.statuses["connection error"] += 1
        return 0, b""

    def run(self):
        n = 0
        while not self.stop.is_set():
            n += 1
            status, data = self.call("POST", "/v1/mcp-servers", {
                "name": f"soak-{self.number}-{n}",
                "url": "https://mcp.example.com/mcp",
                "api_key": "sk-soak-0123456789abcdef",
                "headers": {"X-Team": "soak"},
                "description": "A record of the soak test",
            })
            if status != 201:
                continue
            record = json.loads(data)["id"]
            self.call("GET", f"/v1/mcp-servers/{record}")
            self.call("GET", "/v1/mcp-servers?limit=50")
            self.call("PATCH", f"/v1/mcp-servers/{record}", {"description": f"patched {n}"})
            if n % 2 == 0:
                self.call("DELETE", f"/v1/mcp-servers/{record}")


def soak(name, url, workdir, duration):
    server = Server(url, workdir, ["--health-interval-secs", "0"])
    pid = server.process.pid
    stop, lock, statuses = threading.Event(), threading.Lock(), Counter()
    clients = [Client(n, server.port, stop, statuses, lock) for n in range(CLIENTS)]
    for client in clients:
        client.start()
    samples = []  # (seconds, rss MiB, fds, requests so far)
    started = time.monotonic()
    while (elapsed := time.monotonic() - started) < duration:
        time.sleep(min(SAMPLE_EVERY, max(0.0, duration - elapsed)))
        with lock:
            answered = sum(count for status, count in statuses.items() if status != "connection error")
        sample = (time.monotonic() - started, status_mib(pid, "VmRSS"), open_fds(pid), answered)
        samples.append(sample)
        print(f"{name} {sample[0]:5.0f} s: RSS {sample[1]:6.1f} MiB, fds {sample[2]:3d}, "
              f"{sample[3]:,} answers", flush=True)
    stop.set()
    for client in clients:
        client.join(timeout=70)
    server.stop()

    warm = [s for s in samples if s[0] <= duration / 5] or samples[:1]
    after = samples[len(warm):] or samples[-1:]
    warm_rss, end_rss = warm[-1][1], statistics.median(s[1] for s in after[-3:])
    warm_fds, end_fds, max_fds = warm[-1][2], after[-1][2], max(s[2] for s in after)
    server_errors = sum(count for status, count in statuses.items()
                        if isinstance(status, int) and status >= 500)
    total = sum(statuses.values())
    return {
        "name": name,
        "requests": total,
        "rate": total / duration,
        "statuses": dict(sorted(((str(k), v) for k, v in statuses.items()))),
        "server_errors": server_errors,
        "connection_errors": statuses.get("connection error", 0),
        "warm_rss": warm_rss,
        "end_rss": end_rss,
        "peak_rss": max(s[1] for s in samples),
        "growth": (end_rss - warm_rss) / warm_rss * 100,
        "warm_fds": warm_fds,
        "end_fds": end_fds,
        "max_fds": max_fds,
        "samples": samples,
    }


def write_results(args, results):
    commit = current_commit()
    cpu = next((line.split(":", 1)[1].strip() for line in open("/proc/cpuinfo")
                if line.startswith("model name")), "unknown CPU")
    lines = [
        "## Soak: a long day in ten minutes",
        "",
        f"`bench/soak.py --duration {args.duration}` at {commit}, "
        f"{time.strftime('%Y-%m-%d %H:%M')}, {os.cpu_count()} cores ({cpu}). "
        f"{CLIENTS} clients with keep-alive connections loop over create, get, list (50), "
        "patch and delete (every other record), as fast as the server answers. Warm-up: the "
        "first fifth of the run; RSS at its end is compared with the median of the last three "
        "samples.",
        "",
        "| database | requests | per second | 5xx | RSS after warm-up | RSS at the end | growth "
        "| peak RSS | fds after warm-up | fds at the end (max) | goals met |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in results:
        met = (r["server_errors"] == 0 and r["connection_errors"] == 0 and r["growth"] <= 10
               and r["max_fds"] <= r["warm_fds"])
        lines.append(
            f"| {r['name']} | {r['requests']:,} | {r['rate']:,.0f} | {r['server_errors']} "
            f"| {r['warm_rss']:.1f} MiB | {r['end_rss']:.1f} MiB | {r['growth']:+.1f}% "
            f"| {r['peak_rss']:.1f} MiB | {r['warm_fds']} | {r['end_fds']} ({r['max_fds']}) "
            f"| {'yes' if met else '**no**'} |")
    lines += ["", "Goals: no 5xx; RSS growth after warm-up at most 10%; no growth in open file "
              "descriptors. Statuses answered:", ""]
    for r in results:
        lines.append(f"- {r['name']}: {r['statuses']}")
    write_block("soak.py", lines)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=int, default=600, help="seconds per database")
    add_database_args(parser)
    args = parser.parse_args()
    results = run_on_databases(
        args, "mcp-soak-", lambda name, url, workdir: soak(name, url, workdir, args.duration))
    write_results(args, results)
    failed = [r["name"] for r in results
              if r["server_errors"] or r["connection_errors"] or r["growth"] > 10
              or r["max_fds"] > r["warm_fds"]]
    if failed:
        sys.exit(f"goals not met on {', '.join(failed)}")


if __name__ == "__main__":
    main()
