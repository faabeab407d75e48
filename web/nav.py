"""The navbar: which page groups a person sees, by role.

One row per link: the endpoint, its label, a bootstrap-icons name, and the roles that see it
(None: everyone signed in). A link shows only once its endpoint exists, so a page group appears
in the navbar as soon as its blueprint is registered under the endpoint named here; change the
endpoint here if a blueprint names its view differently.
"""

from __future__ import annotations

from dataclasses import dataclass

from flask import current_app, request, url_for
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from workflow.access import Scope


@dataclass(frozen=True)
class NavLink:
    endpoint: str
    label: object  # a lazy string: translated when rendered
    icon: str
    roles: tuple[str, ...] | None = None


NAV = (
    NavLink("items.inbox", _l("My inbox"), "inbox"),
    NavLink("issue.index", _l("Issue a list"), "send", ("issuer", "admin")),
    NavLink("review.queue", _l("Review queue"), "clipboard-check", ("inspector", "admin")),
    NavLink("dashboard.index", _l("Dashboard"), "bar-chart", ("leader", "issuer", "admin")),
    NavLink("board.index", _l("Rankings"), "trophy"),
    NavLink("register.index", _l("Accountability register"), "journal-text",
            ("leader", "issuer", "inspector", "admin")),
    NavLink("definitions.index", _l("Definitions"), "diagram-3"),
    NavLink("admin.index", _l("Administration"), "gear", ("admin",)),
)


@dataclass(frozen=True)
class ShownLink:
    url: str
    label: str
    icon: str
    active: bool


def nav_links() -> list[ShownLink]:
    """The links the signed-in person may use, whose pages exist; none for visitors."""
    if not current_user.is_authenticated:
        return []
    scope = Scope.of(current_user._get_current_object())
    held = set(scope.roles) | ({"inspector"} if scope.inspected else set())
    shown = []
    for link in NAV:
        if link.endpoint not in current_app.view_functions:
            continue
        if link.roles is not None and not held & set(link.roles):
            continue
        group = link.endpoint.split(".")[0]
        active = (request.endpoint or "").split(".")[0] == group
        shown.append(ShownLink(url_for(link.endpoint), str(link.label), link.icon, active))
    return shown
