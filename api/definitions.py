"""The list definitions: summaries, one normalised definition, its state diagram."""

from __future__ import annotations

from typing import Any

from flask.views import MethodView

from api.common import make_blueprint, runtime, statuses
from api.schemas import DefinitionOut, DefinitionQuery, DefinitionSummaryOut, DiagramOut
from workflow.definitions.loader import to_normalised
from workflow.machine import diagram

bp = make_blueprint("Definitions", "List definitions (state machines written in YAML).")
KIND = "/definitions/<string(maxlength=64):kind>"


@bp.route("/definitions")
class Definitions(MethodView):
    @bp.response(200, DefinitionSummaryOut(many=True))
    @statuses(bp, 401)
    def get(self) -> list[dict[str, Any]]:
        """Every list kind at its latest version, with the versions still known.

        Statuses: 200; 401.
        """
        registry = runtime().definitions
        every = registry.all()
        return [
            {"kind": d.kind, "version": d.version, "label": d.label.to_dict(),
             "description": d.description.to_dict() if d.description else None,
             "versions": [v.version for v in every if v.kind == d.kind]}
            for d in registry.latest()
        ]


@bp.route(KIND)
class Definition(MethodView):
    @bp.arguments(DefinitionQuery, location="query", unknown="raise")
    @bp.response(200, DefinitionOut)
    @statuses(bp, 401, 404)
    def get(self, query: dict[str, Any], kind: str) -> dict[str, Any]:
        """One definition, normalised: every key present, defaults filled.

        Statuses: 200; 401; 404 unknown kind or version; 422 bad version.
        """
        return to_normalised(runtime().definitions.get(kind, query.get("version")))


@bp.route(KIND + "/diagram")
class Diagram(MethodView):
    @bp.arguments(DefinitionQuery, location="query", unknown="raise")
    @bp.response(200, DiagramOut)
    @statuses(bp, 401, 404)
    def get(self, query: dict[str, Any], kind: str) -> dict[str, Any]:
        """The state diagram as mermaid text (render it with mermaid.js).

        Statuses: 200; 401; 404 unknown kind or version; 422 bad version.
        """
        definition = runtime().definitions.get(kind, query.get("version"))
        return {"kind": definition.kind, "version": definition.version,
                "mermaid": diagram(definition)}
