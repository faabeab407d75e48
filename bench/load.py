"""The load driver of bench/scale.py: HTTP from its own process, as the users of a province would.

    .venv/bin/python bench/load.py PLAN.json RESULT.json

PLAN names the base URLs, the personas (bearer tokens of branch handlers, inspectors and
leaders), the number of concurrent virtual users and the phases to run; RESULT receives, per
phase and per endpoint, every latency, the statuses, the errors, and every transition the server
accepted (item, trigger, new version, ledger hash), so bench/scale.py can check afterwards that
none was lost or applied twice. bench/scale.py writes the plan and starts this process; it is a
separate process so that the client's CPU never runs inside the server's.

Phases:
  ceiling  GET of a minimal Flask JSON endpoint (bench/ceiling.py) under the same gunicorn
  reads    GET /api/v1/items/{id} of items the persona can see (the API's item read)
  dashboards  leaders only, each /api/v1/dashboards/... route in turn, nothing else running
  mixed    each virtual user acts as its persona: inbox and item lists, item reads, dashboards,
           transitions with the version it read (a 409 from a genuine race is counted apart),
           evidence uploads followed by a submit
Every phase ends by itself after its seconds; requests time out after 30 s.
"""

from __future__ import annotations

import asyncio
import json
import os
import random
import sys
import time
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

TIMEOUT = 30.0
#: what each persona does in the mixed phase, by weight
MIX = {
    "handler": {"inbox": 15, "list": 15, "read": 35, "transition": 25, "upload": 10},
    "inspector": {"list_submitted": 30, "read": 40, "review": 30},
    "leader": {"dashboard": 50, "list_overdue": 20, "read": 30},
}


@dataclass
class Stats:
    """Everything measured in one phase."""

    latencies: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    statuses: dict[str, dict[int, int]] = field(
        default_factory=lambda: defaultdict(lambda: defaultdict(int)))
    errors: list[str] = field(default_factory=list)
    conflicts: int = 0
    transitions: list[tuple[int, str, int, str]] = field(default_factory=list)
    seconds: float = 0.0

    def as_json(self) -> dict[str, Any]:
        return {"latencies": self.latencies, "statuses": self.statuses, "errors": self.errors,
                "conflicts": self.conflicts, "transitions": self.transitions,
                "seconds": self.seconds}


@dataclass
class Persona:
    role: str
    token: str
    username: str
    open_items: list[int] = field(default_factory=list)
    submitted: list[int] = field(default_factory=list)


class Driver:
    def __init__(self, plan: dict[str, Any], client: httpx.AsyncClient) -> None:
        self.plan, self.client = plan, client
        self.base = plan["base_url"]
        self.personas = [Persona(p["role"], p["token"], p["username"]) for p in plan["personas"]]
        self.dashboards: list[str] = plan.get("dashboards", [])
        self.rng = random.Random(plan.get("seed", 7))
        self.stats = Stats()

    async def call(self, label: str, method: str, url: str, persona: Persona | None,
                   expect: tuple[int, ...] = (200,), **kwargs: Any) -> httpx.Response | None:
        headers = {"Authorization": f"Bearer {persona.token}"} if persona else {}
        started = time.perf_counter()
        try:
            answer = await self.client.request(method, url, headers=headers, **kwargs)
        except httpx.HTTPError as exc:
            self.stats.errors.append(f"{label}: {type(exc).__name__} {exc}")
            return None
        self.stats.latencies[label].append((time.perf_counter() - started) * 1000)
        self.stats.statuses[label][answer.status_code] += 1
        if answer.status_code == 409 and label == "transition":
            self.stats.conflicts += 1
        elif answer.status_code not in expect:
            self.stats.errors.append(f"{label} {method} {url}: {answer.status_code} "
                                     f"{answer.text[:200]}")
        return answer

    # warm-up: what each persona can see (not measured)
    async def discover(self) -> None:
        for persona in self.personas:
            if persona.role == "handler":
                persona.open_items = await self._ids(persona, {"open": "true"}, pages=10)
            elif persona.role == "inspector":
                persona.submitted = await self._ids(persona, {"state": "submitted"}, pages=4)
                persona.open_items = await self._ids(persona, {"open": "true"}, pages=2)
            else:
                persona.open_items = await self._ids(persona, {"overdue": "false"}, pages=4)
        self.stats = Stats()

    async def _ids(self, persona: Persona, query: dict[str, str], pages: int) -> list[int]:
        ids: list[int] = []
        cursor = None
        for _ in range(pages):
            params = {**query, "limit": "100", **({"cursor": cursor} if cursor else {})}
            answer = await self.call("warm-up", "GET", f"{self.base}/api/v1/items", persona,
                                     params=params)
            if answer is None or answer.status_code != 200:
                break
            page = answer.json()
            ids += [item["id"] for item in page["items"]]
            cursor = page["next_cursor"]
            if not cursor:
                break
        return ids

    async def run(self, phase: str, seconds: float, users: int) -> Stats:
        deadline = time.monotonic() + seconds
        started = time.perf_counter()
        step = {"ceiling": self.ceiling, "reads": self.read_only, "mixed": self.mixed,
                "dashboards": self.dashboards_only}[phase]
        roles = ("leader",) if phase == "dashboards" else ("handler", "inspector", "leader")
        await asyncio.gather(*(self._loop(step, n, deadline, roles) for n in range(users)))
        self.stats.seconds = time.perf_counter() - started
        stats, self.stats = self.stats, Stats()
        return stats

    async def _loop(self, step: Any, number: int, deadline: float,
                    roles: tuple[str, ...]) -> None:
        usable = [p for p in self.personas if p.open_items and p.role in roles]
        persona = usable[number % len(usable)]
        rng = random.Random(number)
        while time.monotonic() < deadline:
            await step(persona, rng)

    async def ceiling(self, _persona: Persona, _rng: random.Random) -> None:
        await self.call("ceiling", "GET", f"{self.plan['ceiling_url']}/ping", None)

    async def dashboards_only(self, persona: Persona, rng: random.Random) -> None:
        if self.dashboards:
            await self._dashboard(persona, rng)
        else:
            await asyncio.sleep(1)

    async def read_only(self, persona: Persona, rng: random.Random) -> None:
        await self._item(persona, rng.choice(persona.open_items))

    async def mixed(self, persona: Persona, rng: random.Random) -> None:
        weights = MIX[persona.role]
        if persona.role == "leader" and not self.dashboards:
            weights = {k: v for k, v in weights.items() if k != "dashboard"}
        action = rng.choices(list(weights), list(weights.values()))[0]
        await getattr(self, f"_{action}")(persona, rng)

    async def _inbox(self, persona: Persona, _rng: random.Random) -> None:
        await self.call("inbox", "GET", f"{self.base}/api/v1/inbox", persona,
                        params={"limit": "20"})

    async def _list(self, persona: Persona, _rng: random.Random) -> None:
        await self.call("items list", "GET", f"{self.base}/api/v1/items", persona,
                        params={"open": "true", "limit": "20"})

    async def _list_submitted(self, persona: Persona, _rng: random.Random) -> None:
        await self.call("items list", "GET", f"{self.base}/api/v1/items", persona,
                        params={"state": "submitted", "limit": "20"})

    async def _list_overdue(self, persona: Persona, _rng: random.Random) -> None:
        await self.call("items list", "GET", f"{self.base}/api/v1/items", persona,
                        params={"overdue": "true", "limit": "20"})

    async def _read(self, persona: Persona, rng: random.Random) -> None:
        await self._item(persona, rng.choice(persona.open_items))

    async def _item(self, persona: Persona, item_id: int) -> dict[str, Any] | None:
        answer = await self.call("item read", "GET", f"{self.base}/api/v1/items/{item_id}",
                                 persona)
        return answer.json() if answer is not None and answer.status_code == 200 else None

    async def _dashboard(self, persona: Persona, rng: random.Random) -> None:
        path = rng.choice(self.dashboards)
        await self.call(f"dashboard {path}", "GET", f"{self.base}{path}", persona)

    async def _transition(self, persona: Persona, rng: random.Random) -> None:
        item = await self._item(persona, rng.choice(persona.open_items))
        if item is None:
            return
        triggers = {a["trigger"] for a in item["actions"]}
        for trigger, inputs in (("sign_for", {}), ("start", {}),
                                ("report_progress", {"comment": "本周完成学习记录整理"})):
            if trigger in triggers:
                await self._fire(persona, item, trigger, inputs)
                return

    async def _upload(self, persona: Persona, rng: random.Random) -> None:
        """Attach a new file to an item in progress, then submit it with that file."""
        item = await self._item(persona, rng.choice(persona.open_items))
        if item is None or item["state"] != "in_progress":
            return
        content = b"%PDF-1.4\n" + os.urandom(2048) + b"\n%%EOF\n"
        answer = await self.call(
            "evidence upload", "POST", f"{self.base}/api/v1/items/{item['id']}/evidence",
            persona, expect=(201,), files={"file": ("会议记录.pdf", content, "application/pdf")})
        if answer is None or answer.status_code != 201:
            return
        await self._fire(persona, item, "submit", {"evidence": [answer.json()["sha256"]],
                                                   "comment": "材料已上传，请审核"})

    async def _review(self, persona: Persona, rng: random.Random) -> None:
        if not persona.submitted:
            return
        item = await self._item(persona, rng.choice(persona.submitted))
        if item is None:
            return
        if "send_back" in {a["trigger"] for a in item["actions"]}:
            await self._fire(persona, item, "send_back", {"comment": "佐证材料不完整，请补充"})

    async def _fire(self, persona: Persona, item: dict[str, Any], trigger: str,
                    inputs: dict[str, Any]) -> None:
        body = {"trigger": trigger, "version": item["version"], "inputs": inputs}
        answer = await self.call("transition", "POST",
                                 f"{self.base}/api/v1/items/{item['id']}/transitions", persona,
                                 json=body)
        if answer is not None and answer.status_code == 200:
            done = answer.json()
            self.stats.transitions.append((done["item_id"], done["trigger"], done["version"],
                                           done["ledger_hash"]))


async def main(plan_path: str, result_path: str) -> None:
    plan = json.loads(Path(plan_path).read_text(encoding="utf-8"))
    limits = httpx.Limits(max_connections=plan["users"] + 4,
                          max_keepalive_connections=plan["users"] + 4)
    async with httpx.AsyncClient(timeout=TIMEOUT, limits=limits) as client:
        driver = Driver(plan, client)
        await driver.discover()
        results = {"phases": []}
        for phase in plan["phases"]:
            stats = await driver.run(phase["name"], phase["seconds"],
                                     phase.get("users", plan["users"]))
            results["phases"].append({"name": phase["name"], **stats.as_json()})
            print(f"load: {phase['name']} done, {sum(map(len, stats.latencies.values()))} "
                  f"requests in {stats.seconds:.1f} s", file=sys.stderr, flush=True)
    with open(result_path, "w", encoding="utf-8") as out:
        json.dump(results, out)


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], sys.argv[2]))
