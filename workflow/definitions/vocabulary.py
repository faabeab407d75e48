"""The fixed vocabulary a definition may use.

Definitions are data: they name roles, inputs, conditions, effects and actions from these lists and
never a Python callable or import path. Adding a word here means implementing it in the engine.
"""

from __future__ import annotations

#: Roles a person can hold at an organisation; a grant applies to the organisation's subtree.
ROLES = ("issuer", "inspector", "handler", "leader", "admin")

#: Inputs a transition can require or accept.
INPUTS = {
    "comment": "a free-text comment",
    "reason": "the reason for the action (recorded in the ledger)",
    "evidence": "one or more evidence files already uploaded to the item (SHA-256 hashes)",
    "score": "a numeric score",
    "due": "a new due date (ISO 8601 date or time)",
    "assignee": "the organisation the item is (re)assigned to",
    "fields": "updated values of the item's fields",
    "verdict": "an assessment verdict: compliant, partly_compliant or non_compliant",
}

#: Conditions the engine checks before firing; a failed one refuses the trigger with a reason.
CONDITIONS = {
    "all_children_closed": "every child item from decomposition is closed",
    "linked_rectifications_closed": "every rectification item opened from this item is closed",
    "has_evidence": "at least one evidence file is attached to the item",
}

#: Effects the engine carries out inside the same transaction as the state change.
EFFECTS = {
    "spawn_rectification": "open a linked rectification item for the same unit",
    "extend_deadline": "move the due date to the `due` input; the original due date is kept",
    "reassign": "assign the item to the `assignee` input organisation",
    "pin_approval": "record the item version and evidence hashes that were approved",
    "update_fields": "merge the `fields` input into the item's fields",
}

#: Field types an item's payload may declare.
FIELD_TYPES = ("string", "text", "integer", "decimal", "boolean", "date", "choice", "url")

#: What a state's deadline clock does while an item sits in it.
CLOCKS = ("due", "review", "none")

#: Escalation actions, in the order of the accountability ladder.
ESCALATION_ACTIONS = ("remind", "urge", "admonish", "criticise")

#: Who an escalation notifies, resolved up the organisation tree.
RECIPIENTS = (
    "handler",
    "primary_responsible",
    "direct_responsible",
    "unit_head",
    "inspector",
    "issuer",
    "leader",
)
