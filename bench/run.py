#!/usr/bin/env python3
"""Benchmark mcp-registry against the limit of its own database, in one run.

Builds the release binary, then for SQLite, PostgreSQL and MariaDB:
  - POST /v1/mcp-servers with unique names (wrk) at concurrency 1, 8 and 32;
  - the raw insert rate of the same database at the same concurrency, with the
    same row (pgbench for PostgreSQL; a sqlite3 loop with the server's pragmas);
  - GET /v1/mcp-servers/{id} and list pages of 50 over 1,000,000 rows;
  - the time from process start to the first 201 on a new SQLite database.
Prints requests per second, p50/p99 latency, non-2xx answers, the server's peak
RSS and the server/raw ratio, and writes them to bench/RESULTS.md with the date
and commit. The machines are shared and noisy: ratios from one run are what count.

Usage: bench/run.py [--duration SECONDS] [--postgres URL] [--no-postgres] [--no-mariadb]
Needs wrk, pgbench and mariadb-slap (Debian: apt-get install wrk postgresql-client
mariadb-client). MariaDB is measured for creates only (its reads: bench/search.py).
"""

import argparse
import base64
import datetime
import json
import os
import re
import secrets
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / "bench"
BINARY = ROOT / "target" / "release" / "mcp-registry"
# The length the server stores for post.lua's 35-character api_key:
# "v1:" key id ":" base64(12-byte nonce + ciphertext + 16-byte tag).
SEALED_KEY = "v1:0a1b2c3d:" + "A" * 84
CONCURRENCY = (1, 8, 32)


def sh(*args, **kwargs):
    return subprocess.run(args, check=True, text=True, capture_output=True, **kwargs).stdout


def current_commit():
    """The short hash of the checkout's HEAD, for the results' heading."""
    return sh("git", "-C", str(ROOT), "rev-parse", "--short", "HEAD").strip()


class Server:
    """The release binary on a free port, as an operator would run it."""

    def __init__(self, database_url, workdir, extra_args=()):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        env = dict(os.environ)
        env.update(
            DATABASE_URL=database_url,
            MCP_REGISTRY_SECRET_KEY=base64.b64encode(secrets.token_bytes(32)).decode(),
            RUST_LOG="warn",
        )
        self.started = time.perf_counter()
        self.process = subprocess.Popen(
            [str(BINARY), "serve", "--bind", f"127.0.0.1:{self.port}", "--rate-limit", "0",
             "--max-concurrent-requests", "4096", *extra_args],
            cwd=workdir, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )
        wait_until(lambda: http("GET", f"{self.url}/healthz")[0] == 200)

    def peak_rss_mib(self):
        return status_mib(self.process.pid, "VmHWM")

    def stop(self):
        self.process.terminate()
        self.process.wait(timeout=30)


def status_mib(pid, field):
    """A memory figure of /proc/PID/status (VmHWM: peak RSS; VmRSS: RSS now), in MiB."""
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith(f"{field}:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def add_database_args(parser):
    """--postgres URL and --no-postgres, for a benchmark run over run_on_databases."""
    parser.add_argument("--postgres", default=os.environ.get(
        "BENCH_POSTGRES_URL", "postgres://postgres@127.0.0.1:5432/postgres"))
    parser.add_argument("--no-postgres", action="store_true")


def run_on_databases(args, prefix, measure):
    """Builds the release binary, then answers `measure(name, url, workdir)` for
    a fresh SQLite database and, unless --no-postgres, a fresh PostgreSQL one."""
    print("building the release binary ...", flush=True)
    subprocess.run(["cargo", "build", "--release", "--locked"], cwd=ROOT, check=True)
    workdir = tempfile.mkdtemp(prefix=prefix)
    backends = [("SQLite", Sqlite())]
    if not args.no_postgres:
        backends.append(("PostgreSQL", Postgres(args.postgres)))
    results = []
    for name, backend in backends:
        results.append(measure(name, backend.fresh(workdir), workdir))
        if hasattr(backend, "drop_all"):
            backend.drop_all()
    return results


def free_port():
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def http(method, url, body=None, timeout=5):
    request = urllib.request.Request(url, method=method, data=body,
                                     headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as err:
        return err.code, err.read()
    except OSError:
        return 0, b""


def require_tools(needed):
    """Installs wrk and postgresql-client when run as root on Debian and one of
    `needed` is missing; exits saying what is needed otherwise."""
    missing = [tool for tool in needed if not shutil.which(tool)]
    if missing and os.geteuid() == 0 and shutil.which("apt-get"):
        print("installing wrk and postgresql-client ...", flush=True)
        subprocess.run(["apt-get", "install", "-y", "-q", "wrk", "postgresql-client"],
                       check=False, env={**os.environ, "DEBIAN_FRONTEND": "noninteractive"},
                       stdout=subprocess.DEVNULL)
    for tool in needed:
        if not shutil.which(tool):
            sys.exit(f"{tool} is needed (Debian: apt-get install wrk postgresql-client)")


def write_block(name, lines):
    """Puts `lines` between `<!-- name:start -->` and `<!-- name:end -->` in
    bench/RESULTS.md, in place of what was there, and prints them."""
    start, end = f"<!-- {name}:start -->", f"<!-- {name}:end -->"
    block = "\n".join([start, *lines, end])
    results = BENCH / "RESULTS.md"
    text = results.read_text() if results.exists() else "# Benchmark results\n"
    if start in text and end in text:
        text = text[:text.index(start)] + block + text[text.index(end) + len(end):]
    else:
        text = text.rstrip() + "\n\n" + block + "\n"
    results.write_text(text)
    print(block)


def wait_until(check, timeout=30):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.01)
    raise RuntimeError("timed out waiting for the server")


def to_ms(text):
    value, unit = re.fullmatch(r"([\d.]+)(us|ms|s)", text).groups()
    return float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]


def wrk(url, connections, duration, script=None, timeout=None):
    args = ["wrk", "-t", str(min(connections, 2)), "-c", str(connections), "-d", f"{duration}s",
            "--latency"]
    if timeout:
        args += ["--timeout", f"{timeout}s"]
    if script:
        args += ["-s", str(script)]
    out = sh(*args, url)
    non_2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    errors = re.search(r"Socket errors: .*", out)
    return {
        "rps": float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1)),
        "p50": to_ms(re.search(r"^\s+50%\s+(\S+)", out, re.M).group(1)),
        "p99": to_ms(re.search(r"^\s+99%\s+(\S+)", out, re.M).group(1)),
        "non_2xx": int(non_2xx.group(1)) if non_2xx else 0,
        "socket_errors": errors.group(0) if errors else "",
    }


def migrate(database_url, workdir):
    subprocess.run([str(BINARY), "migrate", "up"], cwd=workdir, check=True,
                   env={**os.environ, "DATABASE_URL": database_url, "RUST_LOG": "warn"},
                   stdout=subprocess.DEVNULL)


class Postgres:
    def __init__(self, admin_url):
        self.admin_url = admin_url
        self.base = admin_url.rsplit("/", 1)[0]

    def fresh(self, workdir):
        name = f"mcp_bench_{secrets.token_hex(6)}"
        sh("psql", self.admin_url, "-qc", f"CREATE DATABASE {name}")
        url = f"{self.base}/{name}"
        migrate(url, workdir)
        # Each measured run (server or raw) starts on a fresh database right
        # after a checkpoint, so that no timed checkpoint (every 5 minutes, and
        # the full-page writes after it) lands inside one run and not another.
        subprocess.run(["psql", url, "-qc", "CHECKPOINT"], check=False, capture_output=True)
        return url

    def drop_all(self):
        names = sh("psql", self.admin_url, "-Atc",
                   "SELECT datname FROM pg_database WHERE datname LIKE 'mcp\\_bench\\_%'")
        for name in names.split():
            sh("psql", self.admin_url, "-qc", f"DROP DATABASE IF EXISTS {name}")

    def raw_inserts(self, url, connections, duration):
        """pgbench's rate and its per-transaction latencies (its -l log)."""
        logs = tempfile.mkdtemp()
        out = sh("pgbench", "-n", "-M", "prepared", "-D", "k=0",
                 "-c", str(connections), "-j", str(min(connections, 2)),
                 "-T", str(duration), "-l", "--log-prefix", f"{logs}/tx",
                 "-f", str(BENCH / "pg_insert.sql"), url)
        latencies = [int(line.split()[2]) / 1000
                     for log in Path(logs).iterdir() for line in log.read_text().splitlines()]
        shutil.rmtree(logs, ignore_errors=True)
        return raw_result(float(re.search(r"tps = ([\d.]+)", out).group(1)), latencies)

    def seed(self, url, rows):
        sh("psql", url, "-qc", f"""
            INSERT INTO mcp_servers (id, name, name_key, description, url, transport_type, status,
                                     api_key_sealed, headers_sealed, created_at, updated_at, version)
            SELECT 'mcp_' || lpad(to_hex(i), 32, '0'), 'seed-' || i, 'seed-' || i, 'seeded server',
                   'https://mcp.example.com/mcp', 'http', 'active', NULL, NULL, now(), now(), 1
            FROM generate_series(1, {rows}) AS i;""")
        # The bulk load's aftermath (autovacuum, a checkpoint flushing its pages)
        # now, not in the middle of the measurement.
        sh("psql", url, "-qc", "VACUUM (ANALYZE) mcp_servers")
        subprocess.run(["psql", url, "-qc", "CHECKPOINT"], check=False, capture_output=True)


class Sqlite:
    def fresh(self, workdir):
        path = Path(workdir) / f"bench-{secrets.token_hex(4)}.db"
        url = f"sqlite://{path}"
        migrate(url, workdir)
        return url

    @staticmethod
    def path(url):
        return url.removeprefix("sqlite://")

    def raw_inserts(self, url, connections, duration):
        """Concurrent autocommit inserts with the server's pragmas (WAL, synchronous=FULL)."""
        latencies = [[] for _ in range(connections)]
        stop = time.monotonic() + duration

        def writer(slot):
            db = sqlite3.connect(self.path(url), isolation_level=None, timeout=10)
            db.execute("PRAGMA journal_mode=WAL")
            db.execute("PRAGMA synchronous=FULL")
            while time.monotonic() < stop:
                h = secrets.token_hex(16)
                now = datetime.datetime.now(datetime.timezone.utc).isoformat()
                started = time.perf_counter()
                db.execute(
                    "INSERT INTO mcp_servers (id, name, name_key, description, url, transport_type,"
                    " status, api_key_sealed, headers_sealed, created_at, updated_at, version)"
                    " VALUES (?, ?, ?, 'benchmark server', 'https://mcp.example.com/mcp', 'http',"
                    " 'active', ?, NULL, ?, ?, 1)",
                    (f"mcp_{h}", f"bench-{h}", f"bench-{h}", SEALED_KEY, now, now))
                latencies[slot].append((time.perf_counter() - started) * 1000)
            db.close()

        threads = [threading.Thread(target=writer, args=(i,)) for i in range(connections)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        every = [ms for mine in latencies for ms in mine]
        return raw_result(len(every) / duration, every)

    def seed(self, url, rows):
        db = sqlite3.connect(self.path(url))
        now = datetime.datetime.now(datetime.timezone.utc).isoformat()
        db.execute(f"""
            WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < {rows})
            INSERT INTO mcp_servers (id, name, name_key, description, url, transport_type, status,
                                     api_key_sealed, headers_sealed, created_at, updated_at, version)
            SELECT printf('mcp_%032x', i), 'seed-' || i, 'seed-' || i, 'seeded server',
                   'https://mcp.example.com/mcp', 'http', 'active', NULL, NULL, ?, ?, 1 FROM n""",
                   (now, now))
        db.commit()
        # No ANALYZE: the server never runs one on its embedded database.
        db.close()


class MariaDb:
    """MySQL/MariaDB at 127.0.0.1:3306 as root (the CI machine's)."""

    def __init__(self, admin_url="mysql://root@127.0.0.1:3306"):
        self.admin_url = admin_url
        self.name = None

    def client(self, *args):
        return sh("mariadb", "-h", "127.0.0.1", "-P", "3306", "-u", "root", *args)

    def fresh(self, workdir):
        self.name = f"mcp_bench_{secrets.token_hex(6)}"
        self.client("-e", f"CREATE DATABASE {self.name}")
        url = f"{self.admin_url}/{self.name}"
        migrate(url, workdir)
        return url

    def raw_inserts(self, url, connections, duration):
        """mariadb-slap: each client runs the same INSERT, one per transaction
        (autocommit), ids and names from UUID_SHORT() (unique, growing with
        time, nothing hashed), the sealed api_key as a literal. It reports the
        time of the whole run only: no per-insert latencies."""
        database = url.rsplit("/", 1)[1]
        insert = (
            "INSERT INTO mcp_servers (id, name, name_key, description, url, transport_type, status,"
            " api_key_sealed, headers_sealed, created_at, updated_at, version, server_version)"
            " SELECT CONCAT('mcp_', LPAD(LOWER(HEX(u)), 32, '0')), CONCAT('bench-', u), CONCAT('bench-', u),"
            " 'benchmark server', 'https://mcp.example.com/mcp', 'http', 'active',"
            f" '{SEALED_KEY}', NULL, UTC_TIMESTAMP(6), UTC_TIMESTAMP(6), 1, '1.0.0'"
            " FROM (SELECT UUID_SHORT() AS u) AS fresh")
        # A first short run tells the rate; the measured one is sized to last `duration`.
        per_client = 200
        for _ in range(2):
            out = sh("mariadb-slap", "-h", "127.0.0.1", "-P", "3306", "-u", "root",
                     f"--create-schema={database}", f"--concurrency={connections}",
                     "--iterations=1", f"--number-of-queries={per_client * connections}",
                     f"--query={insert}")
            seconds = float(re.search(r"Average number of seconds to run all queries: ([\d.]+)",
                                      out).group(1))
            rate = per_client * connections / seconds
            per_client = max(200, int(rate * duration / connections))
        return {"rps": rate, "p50": float("nan"), "p99": float("nan")}

    def drop_all(self):
        names = self.client("-N", "-e", "SHOW DATABASES LIKE 'mcp\\_bench\\_%'")
        for name in names.split():
            self.client("-e", f"DROP DATABASE IF EXISTS {name}")


def raw_result(rate, latencies_ms):
    ordered = sorted(latencies_ms) or [float("nan")]
    pick = lambda q: ordered[min(len(ordered) - 1, int(q * len(ordered)))]
    return {"rps": rate, "p50": pick(0.50), "p99": pick(0.99)}


def create_real_rows(server, count):
    """Rows made by the server itself (sealed api_key and headers), newest of all:
    the first list page reads these; seeded rows fill the rest of the table."""
    for i in range(count):
        body = (f'{{"name":"real-{i}","url":"https://mcp.example.com/mcp","api_key":'
                f'"sk-bench-0123456789abcdef0123456789","headers":{{"X-Team":"t{i}",'
                f'"Authorization":"Bearer t{i}"}},"description":"created through the API"}}')
        status, _ = http("POST", f"{server.url}/v1/mcp-servers", body.encode())
        assert status == 201, status


def cursor_after(row):
    return base64.urlsafe_b64encode(f"v1:mcp_{row:032x}".encode()).decode().rstrip("=")


def startup_to_first_201(workdir, runs=5):
    times = []
    body = b'{"name":"first","url":"https://mcp.example.com/mcp"}'
    for _ in range(runs):
        fresh = tempfile.mkdtemp(dir=workdir)
        port = free_port()
        started = time.perf_counter()
        process = subprocess.Popen([str(BINARY), "serve", "--bind", f"127.0.0.1:{port}"],
                                   cwd=fresh, env={**os.environ, "RUST_LOG": "warn"},
                                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        wait_until(lambda: http("POST", f"http://127.0.0.1:{port}/v1/mcp-servers", body)[0] == 201)
        times.append((time.perf_counter() - started) * 1000)
        process.terminate()
        process.wait()
    return statistics.median(times)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=int, default=10, help="seconds per load run")
    parser.add_argument("--postgres", default=os.environ.get(
        "BENCH_POSTGRES_URL", "postgres://postgres@127.0.0.1:5432/postgres"))
    parser.add_argument("--no-postgres", action="store_true")
    parser.add_argument("--no-mariadb", action="store_true")
    parser.add_argument("--rows", type=int, default=1_000_000)
    args = parser.parse_args()
    require_tools(["wrk"] + ([] if args.no_postgres else ["pgbench", "psql"])
                  + ([] if args.no_mariadb else ["mariadb", "mariadb-slap"]))

    print("building the release binary ...", flush=True)
    subprocess.run(["cargo", "build", "--release", "--locked"], cwd=ROOT, check=True)
    workdir = tempfile.mkdtemp(prefix="mcp-bench-")
    backends = [("SQLite", Sqlite())]
    if not args.no_postgres:
        backends.append(("PostgreSQL", Postgres(args.postgres)))
    if not args.no_mariadb:
        backends.append(("MariaDB", MariaDb()))

    writes, reads = [], []
    for name, backend in backends:
        for connections in CONCURRENCY:
            url = backend.fresh(workdir)
            server = Server(url, workdir)
            result = wrk(server.url, connections, args.duration, BENCH / "post.lua")
            result["rss"] = server.peak_rss_mib()
            server.stop()
            raw = backend.raw_inserts(backend.fresh(workdir), connections, args.duration)
            writes.append((name, connections, result, raw))
            print(f"{name} POST c={connections}: {result['rps']:.0f}/s vs raw {raw['rps']:.0f}/s "
                  f"(ratio {result['rps'] / raw['rps']:.2f}), p50 {result['p50']:.2f} ms "
                  f"(raw {raw['p50']:.2f}), p99 {result['p99']:.2f} ms (raw {raw['p99']:.2f}), "
                  f"non-2xx {result['non_2xx']}, peak RSS {result['rss']:.1f} MiB", flush=True)

        if name == "MariaDB":
            continue  # creates only: its reads are measured by bench/search.py
        url = backend.fresh(workdir)
        print(f"{name}: seeding {args.rows:,} rows ...", flush=True)
        backend.seed(url, args.rows)
        server = Server(url, workdir)
        create_real_rows(server, 100)
        _, page = http("GET", f"{server.url}/v1/mcp-servers?limit=1")
        newest = json.loads(page)["data"][0]["id"]
        middle = args.rows // 2
        for label, path in [
            ("GET one (with api_key and headers)", f"/v1/mcp-servers/{newest}"),
            ("list, first page (server-made rows)", "/v1/mcp-servers?limit=50"),
            (f"list, page at row {middle:,}",
             f"/v1/mcp-servers?limit=50&cursor={cursor_after(middle)}"),
            ("list, last page", f"/v1/mcp-servers?limit=50&cursor={cursor_after(51)}"),
        ]:
            result = wrk(server.url + path, 8, args.duration)
            reads.append((name, label, result))
            print(f"{name} {label} c=8: {result['rps']:.0f}/s, p50 {result['p50']:.2f} ms, "
                  f"p99 {result['p99']:.2f} ms, non-2xx {result['non_2xx']}", flush=True)
        reads.append((name, "peak RSS after reads", {"rss": server.peak_rss_mib()}))
        server.stop()
    for _, backend in backends:
        if hasattr(backend, "drop_all"):
            backend.drop_all()

    startup = startup_to_first_201(workdir)
    print(f"start to first 201 (new SQLite database): {startup:.0f} ms", flush=True)
    shutil.rmtree(workdir, ignore_errors=True)
    write_results(args, writes, reads, startup)


def write_results(args, writes, reads, startup):
    commit = current_commit()
    cpu = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")), "?")
    lines = [
        "# Benchmark results",
        "",
        f"Written by `bench/run.py --duration {args.duration}` on "
        f"{datetime.datetime.now(datetime.timezone.utc):%Y-%m-%d %H:%M} UTC at commit `{commit}`;"
        f" {os.cpu_count()} cores ({cpu}). wrk, the database and the server share those cores,"
        " so compare the ratios measured in this one run, not absolute figures across runs.",
        "",
        "## Creates: server against the raw database",
        "",
        "| database | concurrency | POST/s | raw inserts/s | ratio | p50 ms (raw) | p99 ms (raw) | non-2xx | peak RSS MiB |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    def ms(value):
        return "n/a" if value != value else f"{value:.2f}"  # NaN: not measured

    for name, c, r, raw in writes:
        lines.append(f"| {name} | {c} | {r['rps']:.0f} | {raw['rps']:.0f} | {r['rps'] / raw['rps']:.2f} | "
                     f"{r['p50']:.2f} ({ms(raw['p50'])}) | {r['p99']:.2f} ({ms(raw['p99'])}) | "
                     f"{r['non_2xx']} | {r['rss']:.1f} |")
    lines += ["", f"## Reads over {args.rows:,} rows (concurrency 8)", "",
              "| database | request | req/s | p50 ms | p99 ms | non-2xx |", "|---|---|---|---|---|---|"]
    for name, label, r in reads:
        if "rps" in r:
            lines.append(f"| {name} | {label} | {r['rps']:.0f} | {r['p50']:.2f} | {r['p99']:.2f} | "
                         f"{r['non_2xx']} |")
        else:
            lines.append(f"| {name} | {label}: {r['rss']:.1f} MiB | | | | |")
    lines += ["", f"Start to first 201 on a new SQLite database (median of 5): {startup:.0f} ms", ""]

    def ratio(db, c):
        return next((r["rps"] / raw["rps"], r) for n, cc, r, raw in writes if n == db and cc == c)

    goals = []
    if any(n == "PostgreSQL" for n, *_ in writes):
        pg_ratio, pg = ratio("PostgreSQL", 32)
        _, pg1 = ratio("PostgreSQL", 1)
        goals += [("POST on PostgreSQL at c=32 ≥ 1.0× the fair raw insert rate, no non-2xx",
                   pg_ratio >= 1.0 and pg["non_2xx"] == 0, f"{pg_ratio:.2f}×, {pg['non_2xx']} non-2xx"),
                  ("p99 of POST at c=32 on PostgreSQL ≤ 10 ms", pg["p99"] <= 10, f"{pg['p99']:.2f} ms"),
                  ("p50 of POST at c=1 on PostgreSQL ≤ 0.5 ms", pg1["p50"] <= 0.5, f"{pg1['p50']:.2f} ms")]
    if any(n == "MariaDB" for n, *_ in writes):
        my_ratio, my = ratio("MariaDB", 32)
        goals.append(("POST on MariaDB at c=32 against its raw reference (reported)", my_ratio >= 1.0,
                      f"{my_ratio:.2f}×, p99 {my['p99']:.2f} ms, {my['non_2xx']} non-2xx"))
    sq_ratio, sq = ratio("SQLite", 32)
    goals.append(("POST on SQLite at c=32 ≥ 0.7× raw", sq_ratio >= 0.7, f"{sq_ratio:.2f}×"))
    list_p99 = max(r["p99"] for _, label, r in reads if label.startswith("list"))
    goals.append(("list page over 1,000,000 rows: p99 ≤ 10 ms", list_p99 <= 10, f"worst {list_p99:.2f} ms"))
    peak = max([r["rss"] for *_, r, _ in writes] + [r["rss"] for _, _, r in reads if "rss" in r])
    goals.append(("peak RSS under load ≤ 64 MiB", peak <= 64, f"{peak:.1f} MiB"))
    goals.append(("process start to first 201 ≤ 300 ms", startup <= 300, f"{startup:.0f} ms"))
    lines += ["## Goals", "", "| goal | met | measured |", "|---|---|---|"]
    lines += [f"| {g} | {'yes' if ok else '**no**'} | {m} |" for g, ok, m in goals]
    notes = BENCH / "NOTES.md"
    if notes.exists():
        lines += ["", notes.read_text().strip()]
    # The blocks of the other scripts (probe.py, gateway.py) stay as they wrote them.
    previous = (BENCH / "RESULTS.md").read_text() if (BENCH / "RESULTS.md").exists() else ""
    for match in re.finditer(r"<!-- (\S+):start -->.*?<!-- \1:end -->", previous, re.S):
        lines += ["", match.group(0)]
    (BENCH / "RESULTS.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
