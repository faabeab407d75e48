"""The scale test's report as text: the tables docs/benchmarks.md copies."""

from __future__ import annotations

from typing import Any


def render(report: dict[str, Any]) -> str:
    lines = [_machine(report["machine"]), _seeded(report["seeded"]),
             f"gunicorn: {report['gunicorn']}", ""]
    ceiling, reads = _best(report["calibration"]["phases"])
    rounds = sum(1 for p in report["calibration"]["phases"] if p["name"] == "reads")
    lines += [f"calibration (the best of {rounds} runs each):",
              _table({"ceiling GET /ping": ceiling["endpoints"]["ceiling"],
                      "API GET /api/v1/items/{id}": reads["endpoints"]["item read"]}),
              f"item reads / ceiling: {reads['per_second'] / ceiling['per_second']:.2f} "
              "(target >= 0.5)", ""]
    if "mixed" not in report:  # --calibrate-only
        return "\n".join(lines)
    empty: dict[str, Any] = {"endpoints": {}}
    alone = (report["dashboards_alone"]["phases"][0]["summary"]
             if "dashboards_alone" in report else empty)
    if alone["endpoints"]:
        lines += ["dashboards alone (leaders only, 4 users, nothing else running):",
                  _table(alone["endpoints"]), ""]
    mixed = report["mixed"]["phases"][0]
    summary = mixed["summary"]
    lines += [f"mixed load, {mixed['seconds']:.0f} s, {report['args']['users']} users: "
              f"{summary['requests']:,} requests, {summary['per_second']:.0f}/s, "
              f"{summary['errors']} errors, {summary['conflicts']} version conflicts (409), "
              f"{summary['transitions']} transitions accepted",
              _table(summary["endpoints"])]
    for name, endpoints in (("alone", alone["endpoints"]), ("mixed", summary["endpoints"])):
        worst = [(v["p95"], k) for k, v in endpoints.items() if k.startswith("dashboard")]
        if worst:
            lines.append(f"dashboard p95, {name}, worst endpoint: {max(worst)[0]:.1f} ms "
                         f"({max(worst)[1]}; target < 50)")
    if not alone["endpoints"]:
        lines.append("dashboards: no /api/v1/dashboards endpoint answered; none measured")
    if report["args"].get("exclude_dashboard"):
        lines.append(f"left out of the mixed load: {report['args']['exclude_dashboard']}")
    if mixed["errors"]:
        lines += ["errors (first 10):", *[f"  {e}" for e in mixed["errors"][:10]]]
    lines += ["", "checks:", *[f"  {k}: {v}" for k, v in report["checks"].items()]]
    sweeps = [line for line in report.get("workers", []) if "swept" in line]
    lines += ["", f"workers: {len(sweeps)} cycle reports", *[f"  {s}" for s in sweeps[-6:]]]
    return "\n".join(lines)


def _best(phases: list[dict[str, Any]]) -> tuple[dict[str, Any], dict[str, Any]]:
    ceiling = max((p["summary"] for p in phases if p["name"] == "ceiling"),
                  key=lambda s: s["per_second"])
    reads = max((p["summary"] for p in phases if p["name"] == "reads"),
                key=lambda s: s["per_second"])
    return ceiling, reads


def _table(endpoints: dict[str, dict[str, Any]]) -> str:
    rows = ["| endpoint | requests | per s | p50 ms | p95 ms | p99 ms | statuses |",
            "|---|---:|---:|---:|---:|---:|---|"]
    for label, e in sorted(endpoints.items()):
        statuses = ", ".join(f"{k}: {v}" for k, v in sorted(e["statuses"].items()))
        rows.append(f"| {label} | {e['requests']:,} | {e['per_second']:.0f} | {e['p50']:.1f} | "
                    f"{e['p95']:.1f} | {e['p99']:.1f} | {statuses} |")
    return "\n".join(rows)


def _machine(m: dict[str, Any]) -> str:
    return (f"machine: nproc {m['nproc']}, {m['cpu']}, {m['ram_gib']} GiB RAM, "
            f"PostgreSQL {m.get('postgresql')}, Python {m['python']}, load average "
            f"{', '.join(f'{x:.2f}' for x in m['load_average'])}\n"
            f"postgresql settings: {m.get('postgresql_settings')}")


def _seeded(s: dict[str, Any]) -> str:
    seconds = ", ".join(f"{k} {v:.0f} s" for k, v in s["seconds"].items())
    sizes = ", ".join(f"{k} {v / 2**20:,.0f} MiB" for k, v in s["bytes"].items() if v)
    return (f"seeded: {s['items']:,} items, {s['units']:,} units, {s['people']:,} people, "
            f"{s['ledger_entries']:,} ledger entries ({seconds}); {sizes}")
