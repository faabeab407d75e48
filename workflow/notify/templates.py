"""Message texts in Chinese and English. Parameters are stored with the outbox row; the text is
rendered at delivery in the recipient's language, with times shown in the configured zone."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

TEMPLATES: dict[str, dict[str, tuple[str, str]]] = {
    "reminder": {
        "zh": ("【到期提醒】{title}", "事项“{title}”将于{due}到期，请按时办理。"),
        "en": ("[Due soon] {title}", "“{title}” is due on {due}. Please complete it in time."),
    },
    "start_reminder": {
        "zh": ("【开始提醒】{title}", "事项“{title}”计划于{start}开始，请提前做好准备。"),
        "en": ("[Starting soon] {title}", "“{title}” is planned to start on {start}."),
    },
    "remind": {
        "zh": ("【逾期提醒】{title}",
               "事项“{title}”已于{due}逾期（{unit}），请尽快办理并报告进展。"),
        "en": ("[Overdue] {title}", "“{title}” ({unit}) has been overdue since {due}. "
               "Please complete it and report progress."),
    },
    "urge": {
        "zh": ("【催办】{title}", "事项“{title}”（{unit}）逾期未办结，现予催办，请立即落实。"),
        "en": ("[Urged] {title}", "“{title}” ({unit}) is overdue and is hereby urged: act now."),
    },
    "admonish": {
        "zh": ("【约谈】{title}", "事项“{title}”（{unit}）逾期且未回应，已启动约谈程序。"),
        "en": ("[Admonishment talk] {title}", "“{title}” ({unit}) is overdue and unanswered; "
               "an admonishment talk has been called."),
    },
    "criticise": {
        "zh": ("【通报批评】{title}", "事项“{title}”（{unit}）严重逾期，予以通报批评。"),
        "en": ("[Public criticism] {title}", "“{title}” ({unit}) is seriously overdue and is "
               "publicly criticised."),
    },
    "review_overdue": {
        "zh": ("【审核超时】{title}",
               "事项“{title}”（{unit}）待审核已超过时限（{due}），请尽快处理。"),
        "en": ("[Review overdue] {title}", "The review of “{title}” ({unit}) passed its limit "
               "({due}). Please deal with it."),
    },
    "recur": {
        "zh": ("【新任务】{title}", "已生成周期任务“{title}”，请于{due}前完成。"),
        "en": ("[New task] {title}", "The periodic task “{title}” was issued; due {due}."),
    },
}

DIGEST = {
    "zh": ("三单提醒汇总（{count}条）", "以下事项需要关注："),
    "en": ("Sandan digest ({count} messages)", "These items need attention:"),
}


def render(template: str, params: dict[str, Any], lang: str, tz: ZoneInfo) -> tuple[str, str]:
    """The subject and body of one message in `lang` (zh or en)."""
    subject, body = TEMPLATES[template]["en" if lang == "en" else "zh"]
    values = {key: _show(value, tz) for key, value in params.items()}
    values.setdefault("unit", "")
    return subject.format_map(_Blank(values)), body.format_map(_Blank(values))


def render_digest(lines: list[tuple[str, str]], lang: str) -> tuple[str, str]:
    """One message gathering several: the subject counts them, the body lists each."""
    if len(lines) == 1:
        return lines[0]
    subject, intro = DIGEST["en" if lang == "en" else "zh"]
    body = "\n".join(f"- {text}" for _subject, text in lines)
    return subject.format(count=len(lines)), f"{intro}\n{body}"


def _show(value: Any, tz: ZoneInfo) -> Any:
    """Times are stored as ISO UTC text and shown as local `YYYY-MM-DD HH:MM`."""
    if isinstance(value, str) and len(value) >= 19 and value[10:11] == "T":
        try:
            return datetime.fromisoformat(value).astimezone(tz).strftime("%Y-%m-%d %H:%M")
        except ValueError:
            return value
    return value


class _Blank(dict[str, Any]):
    def __missing__(self, key: str) -> str:
        return ""
