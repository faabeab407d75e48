"""What machine a benchmark ran on: cores, CPU model, memory, load, PostgreSQL's version."""

from __future__ import annotations

import os
import platform
from pathlib import Path
from typing import Any

import psycopg


def describe_machine(postgres_url: str | None = None) -> dict[str, Any]:
    """nproc, CPU model, RAM, load average, Python, and the server version and key settings."""
    cpu = next((line.split(":", 1)[1].strip()
                for line in Path("/proc/cpuinfo").read_text().splitlines()
                if line.startswith("model name")), "unknown")
    memory = next((int(line.split()[1]) // 1024 // 1024
                   for line in Path("/proc/meminfo").read_text().splitlines()
                   if line.startswith("MemTotal")), 0)
    found: dict[str, Any] = {
        "nproc": len(os.sched_getaffinity(0)), "cpu": cpu, "ram_gib": memory,
        "load_average": os.getloadavg(), "python": platform.python_version(),
        "platform": platform.platform(),
    }
    if postgres_url:
        with psycopg.connect(postgres_url) as conn:
            found["postgresql"] = conn.execute("SHOW server_version").fetchone()[0]  # type: ignore[index]
            found["postgresql_settings"] = dict(conn.execute(
                "SELECT name, setting || coalesce(unit, '') FROM pg_settings WHERE name IN "
                "('shared_buffers', 'work_mem', 'max_connections', 'synchronous_commit', "
                "'effective_cache_size', 'random_page_cost', 'autovacuum')").fetchall())
    return found
