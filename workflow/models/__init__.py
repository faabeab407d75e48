"""The engine's tables, one module per aggregate. Importing this package registers them all."""

from workflow.models.accountability import AccountabilityEntry, EscalationWaiver
from workflow.models.assessments import (
    Assessment,
    AssessmentScore,
    ChecklistVersion,
    CriterionScore,
    Proposal,
    ScoreCorrection,
    ScoreEvidence,
)
from workflow.models.definitions import DefinitionVersion
from workflow.models.evidence import EvidenceFile, ItemEvidence
from workflow.models.forecasts import ForecastCount, ForecastEscalation, ForecastSnapshot
from workflow.models.items import Item, ItemLink, ItemList
from workflow.models.ledger import LedgerEntry
from workflow.models.notifications import (
    Notification,
    NotificationPreference,
    NotificationRobot,
)
from workflow.models.orgs import InspectorAssignment, Organisation, Person, RoleGrant
from workflow.models.rollups import ClosureCount, OverdueCount, RollupMark
from workflow.models.spot_checks import SpotCheck, SpotCheckReview
from workflow.models.tokens import PersonToken

__all__ = [
    "AccountabilityEntry",
    "EscalationWaiver",
    "Notification",
    "NotificationPreference",
    "NotificationRobot",
    "Assessment",
    "AssessmentScore",
    "ClosureCount",
    "ChecklistVersion",
    "CriterionScore",
    "DefinitionVersion",
    "EvidenceFile",
    "ForecastCount",
    "ForecastEscalation",
    "ForecastSnapshot",
    "InspectorAssignment",
    "Item",
    "ItemEvidence",
    "ItemLink",
    "ItemList",
    "LedgerEntry",
    "Organisation",
    "OverdueCount",
    "Person",
    "PersonToken",
    "Proposal",
    "RoleGrant",
    "RollupMark",
    "ScoreCorrection",
    "ScoreEvidence",
    "SpotCheck",
    "SpotCheckReview",
]
