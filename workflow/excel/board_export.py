"""Exports of rankings (公示栏) and of the accountability register (追责问责台账).

Both read through the engine's own services (`rank_units`, `register_entries`), so a breakdown
the actor may not see is blank in the file as on the page, and register entries outside the
actor's scope are not written.
"""

from __future__ import annotations

from typing import Any

from workflow.access import Scope
from workflow.excel.cells import new_workbook, to_bytes, write_table
from workflow.excel.items_export import Export
from workflow.models import Person
from workflow.runtime import Runtime
from workflow.services.rankings import rank_units
from workflow.services.register_reads import RegisterFilter, register_view

STATUS = {"ranked": "已排名", "vetoed": "一票否决", "pending": "待评分"}
RANKING_HEADERS = ("名次", "单位", "状态", "总分", "并列", "等次", "星级", "否决事项", "分项得分")
RANKING_NOTES = ("rank", "unit or member", "status", "total", "tied", "grade", "stars", "veto",
                 "breakdown by section")
REGISTER_HEADERS = ("编号", "事项编号", "事项名称", "单位", "第一责任人", "直接责任人", "等级",
                    "措施", "事由", "列入时间", "处理结果", "处理说明", "处理人", "处理时间",
                    "暂缓督办")
REGISTER_NOTES = ("entry", "item id", "item", "unit", "primary responsible",
                  "direct responsible", "level", "ladder step", "reason", "entered", "outcome",
                  "outcome note", "decided by", "outcome recorded", "escalation waiver")
OUTCOMES = {"talk_held": "已约谈", "notice_published": "已通报", "waived": "免予问责"}
MAX_REGISTER_ROWS = 100_000


def export_rankings(rt: Runtime, actor: Person | Scope, *, checklist: str, period: str,
                    org_id: int, level: str | None = None) -> Export:
    """One ranking as a sheet; raises what `rank_units` raises (NotFound, InvalidInput)."""
    ranking = rank_units(rt, actor, checklist=checklist, period=period, org_id=org_id,
                         level=level)
    rows = [[s.rank, s.subject.name, STATUS.get(s.status, s.status), s.total,
             "是" if s.tied else "", s.grade, "★" * s.stars, "、".join(s.veto),
             _sections(s.breakdown)] for s in ranking.standings]
    book = new_workbook(write_only=True)
    write_table(book, "排名", RANKING_HEADERS, rows, notes=RANKING_NOTES,
                widths=(6, 24, 10, 10, 6, 10, 8, 24, 60))
    write_table(book, "规则", ("排名规则 ranking rule",), [[ranking.rule]], widths=(120,))
    name = f"{ranking.org_name}_{ranking.period}_{ranking.checklist}_排名.xlsx"
    return Export(name, to_bytes(book), len(rows))


def export_register(rt: Runtime, actor: Person | Scope,
                    flt: RegisterFilter | None = None) -> Export:
    """The register entries in the actor's scope under the register page's filter, newest first.

    Raises InvalidInput for an unknown outcome filter, as the page does.
    """
    rows = [[r.entry.id, r.entry.item_id, r.item_title, r.unit, r.primary, r.direct,
             r.entry.level, r.step.zh if r.step else r.entry.action, r.entry.reason,
             r.entry.created_at, OUTCOMES.get(r.entry.outcome or "", r.entry.outcome),
             r.entry.outcome_note, r.decided_by, r.entry.outcome_at,
             f"{r.waiver.reason}（至 {r.waiver.until.astimezone(rt.settings.tz):%Y-%m-%d}）"
             if r.waiver else None]
            for r in register_view(rt, actor, flt or RegisterFilter(), limit=MAX_REGISTER_ROWS)]
    book = new_workbook(write_only=True)
    write_table(book, "问责台账", REGISTER_HEADERS, rows, tz=rt.settings.tz, notes=REGISTER_NOTES,
                widths=(6, 8, 30, 18, 12, 12, 6, 12, 40, 18, 10, 30, 12, 18, 30))
    stamp = rt.clock.now().astimezone(rt.settings.tz).strftime("%Y%m%d")
    return Export(f"追责问责台账_{stamp}.xlsx", to_bytes(book), len(rows))


def _sections(breakdown: dict[str, Any]) -> str:
    parts = breakdown.get("sections") or breakdown.get("parts") or []
    return "；".join(f"{p.get('name')}: {p.get('score', p.get('total'))}" for p in parts)
