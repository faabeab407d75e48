"""The OpenAPI document: valid, complete for every /api/v1 route, described, docs offline."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from openapi_spec_validator import validate

from web.app import create_app
from workflow.config import Settings
from workflow.runtime import Runtime

DOCS = {"/api/v1/openapi.json", "/api/v1/docs"}


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory) -> Flask:
    """An app whose runtime never touches its database: the document needs none."""
    instance = tmp_path_factory.mktemp("openapi")
    settings = Settings.from_env({}).with_(instance_path=instance, environment="test",
                                           database_url=f"sqlite:///{instance}/unused.db",
                                           secret_key="test-secret")
    return create_app(runtime=Runtime(settings))


@pytest.fixture(scope="module")
def spec(app: Flask) -> dict[str, Any]:
    answer = app.test_client().get("/api/v1/openapi.json")
    assert answer.status_code == 200
    document: dict[str, Any] = answer.get_json()
    return document


def test_the_document_is_valid_openapi_3(spec: dict[str, Any]) -> None:
    validate(spec)
    assert spec["openapi"].startswith("3.")
    assert "Idempotency-Key" in spec["info"]["description"]
    assert set(spec["components"]["securitySchemes"]) == {"bearerAuth", "cookieAuth"}


def test_every_api_route_is_documented_with_its_methods(app: Flask,
                                                        spec: dict[str, Any]) -> None:
    served = 0
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith("/api/v1") or rule.rule in DOCS:
            continue
        path = re.sub(r"<(?:[^:<>]+:)?([^<>]+)>", r"{\1}", rule.rule)
        assert path in spec["paths"], f"{rule.rule} is served but not documented"
        for method in (rule.methods or set()) - {"HEAD", "OPTIONS"}:
            assert method.lower() in spec["paths"][path], f"{method} {path} undocumented"
            served += 1
    documented = sum(len([m for m in ops if m != "parameters"]) for ops in spec["paths"].values())
    assert served == documented >= 18


def test_each_operation_is_described_with_its_statuses(spec: dict[str, Any]) -> None:
    for path, operations in spec["paths"].items():
        for method, operation in operations.items():
            if method == "parameters":
                continue
            where = f"{method.upper()} {path}"
            assert operation.get("summary") and "Statuses" in operation["description"], where
            assert "401" in operation["responses"], where
            assert "default" in operation["responses"], where
            if "{item_id}" in path or "{kind}" in path:
                assert "404" in operation["responses"], where


def test_errors_and_bodies_have_schemas_and_examples(spec: dict[str, Any]) -> None:
    error = spec["components"]["schemas"]["Error"] if "Error" in spec["components"]["schemas"] \
        else spec["components"]["schemas"]["ErrorOut"]
    assert set(error["properties"]) == {"code", "message", "details"}
    issue = spec["paths"]["/api/v1/lists"]["post"]["requestBody"]["content"]["application/json"]
    assert issue["example"]["items"][0]["assignee_org_id"]
    upload = spec["paths"]["/api/v1/items/{item_id}/evidence"]["post"]
    assert "multipart/form-data" in upload["requestBody"]["content"]
    assert "413" in upload["responses"]


def test_the_docs_page_works_offline(app: Flask) -> None:
    client = app.test_client()
    page = client.get("/api/v1/docs").get_data(as_text=True)
    assert not re.search(r"(src|href)=\"https?://", page)
    assets = re.findall(r'(?:src|href)="([^"]+swagger-ui[^"]*)"', page)
    assert len(assets) == 3
    for asset in assets:
        resolved = str(Path("/api/v1/docs").parent / asset)
        resolved = re.sub(r"/[^/]+/\.\./", "/", re.sub(r"/[^/]+/\.\./", "/", resolved))
        assert client.get(resolved).status_code == 200, resolved
