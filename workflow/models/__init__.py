"""The engine's tables, one module per aggregate. Importing this package registers them all."""

from workflow.models.definitions import DefinitionVersion
from workflow.models.evidence import EvidenceFile, ItemEvidence
from workflow.models.items import Item, ItemLink, ItemList
from workflow.models.ledger import LedgerEntry
from workflow.models.orgs import InspectorAssignment, Organisation, Person, RoleGrant

__all__ = [
    "DefinitionVersion",
    "EvidenceFile",
    "InspectorAssignment",
    "Item",
    "ItemEvidence",
    "ItemLink",
    "ItemList",
    "LedgerEntry",
    "Organisation",
    "Person",
    "RoleGrant",
]
