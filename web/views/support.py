"""What the board, register, definitions and administration pages share: the runtime, the
signed-in actor (the same helpers as the API's, re-exported), and engine errors placed next to
the form field they are about."""

from __future__ import annotations

import re

from flask_babel import lazy_gettext as _l

from api.common import actor, runtime, scope
from web.forms import GENERAL, field_errors, general_message, translate
from workflow.errors import InvalidInput, SandanError

__all__ = ["ORG_KIND_LABELS", "ROLE_LABELS", "actor", "form_errors", "runtime", "scope"]

#: engine messages name their field first: "name: 1 to 200 characters"
_FIELD_FIRST = re.compile(r"^(\w+): (.+)$", re.DOTALL)


def form_errors(error: SandanError) -> dict[str, list[str]]:
    """Messages by field, in the page's language where known; the engine's own sentence when it
    says more than a field's short code ("required"), and a general line on top."""
    found = field_errors(error)
    named = _FIELD_FIRST.match(error.message) if isinstance(error, InvalidInput) else None
    if named and (GENERAL in found or named.group(1) in found):
        found.pop(GENERAL, None)
        found[named.group(1)] = [translate(named.group(2))]
    if GENERAL not in found:
        found[GENERAL] = [general_message(error)]
    return found


#: organisation kinds (workflow/services/orgs.ORG_KINDS) in the page's language
ORG_KIND_LABELS = {"committee": _l("Committee"), "working_committee": _l("Working committee"),
                   "enterprise": _l("Enterprise"), "branch": _l("Branch"), "group": _l("Group"),
                   "inspection_team": _l("Inspection team"), "department": _l("Department"),
                   "member": _l("Member")}
#: roles (workflow/definitions/vocabulary.ROLES) in the page's language
ROLE_LABELS = {"issuer": _l("Issuing committee"), "inspector": _l("Inspector"),
               "handler": _l("Handler"), "leader": _l("Leader"), "admin": _l("Administrator")}
