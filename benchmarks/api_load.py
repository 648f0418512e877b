"""API load: requests/s and p50/p95/p99 latency of the events, panel and map endpoints at 50
concurrent clients, on the Mali store served by `peacewatch serve`; then 20 concurrent reporters
file incidents and the store is checked for lost or duplicated ones.

Goals: issue 6, p95 under 100 ms for the same panel and map queries asked by 50 dashboards, no
errors, no lost or duplicated incident; issue 14, p95 under 150 ms for *distinct* queries
(every request different: periods, units, pages), after one request per route and unit kind
has built the country's panel and shapes (the server keeps them per store state).

    .venv/bin/python benchmarks/api_load.py [--requests 1000]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import httpx
import numpy as np
import pandas as pd
import psutil
from impact_speed import mali_store

from peacewatch import accounts
from peacewatch.store import Store

ENDPOINTS = {
    "events (page of 100, MLI 2022)": "/api/events?country=MLI&date_from=2022-01-01"
    "&date_to=2022-12-31&limit=100",
    "panel (admin-1, MLI, 2018-2023)": "/api/panels?country=MLI&unit=admin1"
    "&date_from=2018-01-01&date_to=2023-12-31&limit=1000",
    "map (admin-1 GeoJSON, MLI 2023)": "/api/map/admin1?country=MLI&date_from=2023-01-01"
    "&date_to=2023-12-31",
}


async def _get(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, request: bytes) -> int:
    """One GET on a kept-alive connection; the status code (body read and dropped)."""
    writer.write(request)
    await writer.drain()
    head = await reader.readuntil(b"\r\n\r\n")
    status = int(head.split(b" ", 2)[1])
    length = 0
    for line in head.split(b"\r\n"):
        if line.lower().startswith(b"content-length:"):
            length = int(line.split(b":", 1)[1])
    await reader.readexactly(length)
    return status


async def hammer(
    base: str, paths: list[str], total: int, clients: int
) -> tuple[list[float], int, float]:
    """`total` GETs of `path` over `clients` kept-alive connections: latencies (s), errors, wall.

    Run after `cold` (one request that computes and caches the answer): this measures what 50
    dashboards asking the same thing cost.
    A minimal HTTP/1.1 client on asyncio streams: httpx costs ~2 ms of CPU per request, which
    on a 2-core machine measures the client rather than the server.
    """
    host, port = base.removeprefix("http://").split(":")
    requests = [f"GET {p} HTTP/1.1\r\nHost: {host}\r\n\r\n".encode() for p in paths]
    latencies: list[float] = []
    errors = 0
    remaining = total

    async def worker(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        nonlocal errors, remaining
        while remaining > 0:
            remaining -= 1
            request = requests[remaining % len(requests)]
            start = time.perf_counter()
            status = await _get(reader, writer, request)
            latencies.append(time.perf_counter() - start)
            errors += status != 200
        writer.close()

    connections = [await asyncio.open_connection(host, int(port)) for _ in range(clients)]
    start = time.perf_counter()
    await asyncio.gather(*(worker(r, w) for r, w in connections))
    return latencies, errors, time.perf_counter() - start


def distinct(n: int, seed: int = 6) -> dict[str, list[str]]:
    """`n` different requests per route, as analysts ask them: random periods (whole months
    for the panels, as a dashboard asks; any days for the map and events), units, pages."""
    rng = np.random.default_rng(seed)
    months = pd.period_range("2012-01", "2023-12", freq="M")
    days = pd.date_range("2012-01-01", "2023-12-31")
    seen: dict[str, set[str]] = {}

    def unique(label: str, make: Callable[[], str]) -> None:
        bucket = seen.setdefault(label, set())
        while len(bucket) < n:
            bucket.add(make())

    def month_range() -> tuple[str, str]:
        a, b = sorted(rng.choice(len(months), 2, replace=False))
        return str(months[a].start_time.date()), str(months[b].end_time.date())

    def day_range() -> tuple[str, str]:
        a, b = sorted(rng.choice(len(days), 2, replace=False))
        return str(days[a].date()), str(days[b].date())

    def panel_path() -> str:
        start, end = month_range()
        unit = rng.choice(["admin1", "country", "priogrid"])
        return (
            f"/api/panels?country=MLI&unit={unit}&date_from={start}&date_to={end}"
            f"&limit=1000&offset={int(rng.integers(0, 3)) * 100}"
        )

    def map_path() -> str:
        start, end = day_range()
        kind = rng.choice(["admin1", "grid"])
        return f"/api/map/{kind}?country=MLI&date_from={start}&date_to={end}"

    def events_path() -> str:
        start, end = day_range()
        return (
            f"/api/events?country=MLI&date_from={start}&date_to={end}&limit=100"
            f"&offset={int(rng.integers(0, 5)) * 100}"
        )

    unique("panel (MLI, whole months)", panel_path)
    unique("map (admin-1 or grid, any days)", map_path)
    unique("events (page of 100, any days)", events_path)
    return {label: sorted(paths) for label, paths in seen.items()}


async def cold(base: str, path: str) -> float:
    """Latency (s) of the first request: computed, not cached."""
    host, port = base.removeprefix("http://").split(":")
    reader, writer = await asyncio.open_connection(host, int(port))
    start = time.perf_counter()
    await _get(reader, writer, f"GET {path} HTTP/1.1\r\nHost: {host}\r\n\r\n".encode())
    writer.close()
    return time.perf_counter() - start


async def reporters(base: str, tokens: list[str]) -> list[int]:
    """Each token files one incident at the same moment; the ids returned."""

    async def file(token: str, i: int) -> int:
        body = {
            "occurred_on": "2023-06-01",
            "latitude": 16.27,
            "longitude": -0.04,
            "category": "ied",
            "description": f"load test {i}",
            "confidentiality": "public",
        }
        async with httpx.AsyncClient(base_url=base, timeout=60) as client:
            response = await client.post(
                "/api/incidents", json=body, headers={"Authorization": f"Bearer {token}"}
            )
            response.raise_for_status()
            return int(response.json()["incident_id"])

    return list(await asyncio.gather(*(file(t, i) for i, t in enumerate(tokens))))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--requests", type=int, default=1000)
    parser.add_argument("--clients", type=int, default=50)
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="pw-api-"))
    store_path = work / "api.duckdb"
    with Store.open(mali_store()) as source:
        source.copy_to(store_path)
    with Store.open(store_path) as st:
        tokens = []
        for i in range(20):
            accounts.add_user(st, f"reporter{i}", "reporter", "load test password")
            tokens.append(accounts.issue_token(st, f"reporter{i}"))
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    exe = Path(sys.executable).with_name("peacewatch")
    server = subprocess.Popen(
        [str(exe), "serve", "--port", str(port), "--store", str(store_path)],
        env={**os.environ, "PEACEWATCH_STORE": str(store_path)},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(200):
            try:
                if httpx.get(f"{base}/api/health").status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.1)
        print(f"{args.requests} requests per endpoint, {args.clients} concurrent clients")
        print(
            f"{'endpoint':34}{'req/s':>8}{'p50 ms':>8}{'p95 ms':>8}{'p99 ms':>8}{'errors':>8}"
            f"{'server CPU ms/req':>19}{'client CPU ms/req':>19}{'cold ms':>9}"
        )
        watched = psutil.Process(server.pid)
        for label, path in ENDPOINTS.items():
            first = asyncio.run(cold(base, path)) * 1000
            server_before = sum(watched.cpu_times()[:2])
            client_before = time.process_time()
            lat, errors, wall = asyncio.run(hammer(base, [path], args.requests, args.clients))
            server_ms = (sum(watched.cpu_times()[:2]) - server_before) * 1000 / len(lat)
            client_ms = (time.process_time() - client_before) * 1000 / len(lat)
            p50, p95, p99 = np.percentile(np.array(lat) * 1000, [50, 95, 99])
            print(
                f"{label:34}{len(lat) / wall:8.0f}{p50:8.0f}{p95:8.0f}{p99:8.0f}{errors:8d}"
                f"{server_ms:19.2f}{client_ms:19.2f}{first:9.0f}"
            )
        warm = {
            f"panel {u}": f"/api/panels?country=MLI&unit={u}&date_from=2012-01-01"
            "&date_to=2012-01-31"
            for u in ("admin1", "country", "priogrid")
        } | {
            f"map {k}": f"/api/map/{k}?country=MLI&date_from=2012-01-01&date_to=2012-01-02"
            for k in ("admin1", "grid")
        }
        built = ", ".join(f"{k} {asyncio.run(cold(base, v)) * 1000:.0f}" for k, v in warm.items())
        print(f"first request of each kind (builds and keeps the panel / shapes), ms: {built}")
        print(f"distinct: every request different ({args.requests} per route; goal p95 < 150 ms)")
        for label, paths in distinct(args.requests).items():
            server_before = sum(watched.cpu_times()[:2])
            lat, errors, wall = asyncio.run(hammer(base, paths, args.requests, args.clients))
            server_ms = (sum(watched.cpu_times()[:2]) - server_before) * 1000 / len(lat)
            p50, p95, p99 = np.percentile(np.array(lat) * 1000, [50, 95, 99])
            print(
                f"{label:34}{len(lat) / wall:8.0f}{p50:8.0f}{p95:8.0f}{p99:8.0f}{errors:8d}"
                f"{server_ms:19.2f}"
            )
        ids = asyncio.run(reporters(base, tokens))
    finally:
        server.terminate()
        server.wait(timeout=30)
    with Store.open(store_path, read_only=True) as st:
        rows = st.con.execute(
            "SELECT incident_id, description FROM incidents WHERE description LIKE 'load test %'"
        ).fetchall()
    described = sorted(r[1] for r in rows)
    lost = 20 - len({r[1] for r in rows})
    duplicated = len(rows) - len({r[1] for r in rows})
    print(
        f"20 concurrent reporters: {len(set(ids))} distinct ids returned, {len(rows)} rows stored, "
        f"lost {lost}, duplicated {duplicated}"
        + ("" if described == sorted(f"load test {i}" for i in range(20)) else " (MISMATCH)")
    )


if __name__ == "__main__":
    main()
