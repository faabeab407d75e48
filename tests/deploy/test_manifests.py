"""The files in deploy/ are valid for the tools that read them, offline and in well under a
second: the compose file against the Compose Specification's schema (check-jsonschema's vendored
copy), the Kubernetes manifests against the API's schemas (kubernetes-validate, strict), and
each names only settings Sandan knows and endpoints the app serves.

Where a compose implementation is installed (`docker compose` v2, or Debian 12's
`docker-compose` 1.29, which .ci/run installs), its own `config` reads the file too, with the
variable interpolation the schema cannot check.
"""

from __future__ import annotations

import configparser
import json
import os
import re
import shutil
import subprocess
from importlib.resources import files
from pathlib import Path
from typing import Any

import jsonschema
import kubernetes_validate
import pytest
import yaml

from web.app import create_app
from workflow.config import _KNOWN, Settings

DEPLOY = Path(__file__).resolve().parents[2] / "deploy"
MANIFESTS = sorted(p for p in (DEPLOY / "kubernetes").glob("*.yaml")
                   if p.name != "kustomization.yaml")
K8S_VERSION = "1.31"


def _compose() -> dict[str, Any]:
    return yaml.safe_load((DEPLOY / "docker-compose.yml").read_text())


def _compose_schema() -> jsonschema.protocols.Validator:
    text = files("check_jsonschema.builtin_schemas.vendor").joinpath("compose-spec.json")
    schema = json.loads(text.read_text())
    return jsonschema.Draft202012Validator(schema)


def test_the_compose_file_follows_the_compose_specification() -> None:
    errors = [e.message for e in _compose_schema().iter_errors(_compose())]
    assert errors == []


def test_the_compose_check_would_catch_a_mistake() -> None:
    broken = _compose()
    broken["services"]["web"]["helthcheck"] = broken["services"]["web"].pop("healthcheck")
    assert any("helthcheck" in e.message for e in _compose_schema().iter_errors(broken))


def _compose_command() -> list[str] | None:
    if shutil.which("docker") and subprocess.run(["docker", "compose", "version"],
                                                 capture_output=True).returncode == 0:
        return ["docker", "compose"]
    return ["docker-compose"] if shutil.which("docker-compose") else None


def _compose_config(path: Path) -> subprocess.CompletedProcess[str]:
    """`docker compose config --quiet` (or docker-compose's) on `path`, with the secrets set."""
    command = _compose_command()
    if command is None:
        pytest.skip("no compose implementation (docker compose or docker-compose) installed")
    secrets = {name: "x" for name in ("SANDAN_SECRET_KEY", "SANDAN_APP_PASSWORD",
                                      "SANDAN_OWNER_PASSWORD", "POSTGRES_PASSWORD")}
    return subprocess.run([*command, "-f", str(path), "--project-directory", str(DEPLOY),
                           "config", "--quiet"], capture_output=True, text=True,
                          env={**os.environ, **secrets})


def test_docker_compose_config_accepts_the_compose_file() -> None:
    checked = _compose_config(DEPLOY / "docker-compose.yml")
    assert checked.returncode == 0, checked.stderr


def test_docker_compose_config_refuses_a_broken_file(tmp_path: Path) -> None:
    broken = _compose()
    broken["services"]["web"]["depends_on"] = {"migrate": {"condition": "service_done"}}
    path = tmp_path / "docker-compose.yml"
    path.write_text(yaml.safe_dump(broken))
    checked = _compose_config(path)
    assert checked.returncode != 0
    assert "condition" in checked.stderr or "service_done" in checked.stderr, checked.stderr


def test_the_compose_services_start_in_order() -> None:
    services = _compose()["services"]
    assert services["migrate"]["depends_on"] == {"db": {"condition": "service_healthy"}}
    for name in ("web", "worker"):
        assert services[name]["depends_on"] == {
            "migrate": {"condition": "service_completed_successfully"}}
    assert "sandan_owner" in services["migrate"]["environment"]["SANDAN_DATABASE_URL"]
    assert "sandan_app" in services["web"]["environment"]["SANDAN_DATABASE_URL"]


def _documents(path: Path) -> list[dict[str, Any]]:
    return [doc for doc in yaml.safe_load_all(path.read_text()) if doc]


@pytest.mark.parametrize("path", MANIFESTS, ids=lambda p: p.name)
def test_the_kubernetes_manifests_pass_the_api_schemas(path: Path) -> None:
    for document in _documents(path):
        kubernetes_validate.validate(document, K8S_VERSION, strict=True)


def test_the_kubernetes_check_would_catch_a_mistake() -> None:
    deployment = _documents(DEPLOY / "kubernetes" / "web.yaml")[0]
    container = deployment["spec"]["template"]["spec"]["containers"][0]
    container["readinesProbe"] = container.pop("readinessProbe")
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(deployment, K8S_VERSION, strict=True)


def test_the_probes_point_at_the_health_endpoints(tmp_path: Path) -> None:
    web = _documents(DEPLOY / "kubernetes" / "web.yaml")[0]
    container = web["spec"]["template"]["spec"]["containers"][0]
    assert container["livenessProbe"]["httpGet"]["path"] == "/healthz"
    assert container["readinessProbe"]["httpGet"]["path"] == "/readyz"
    rules = {r.rule for r in create_app(Settings.from_env({}).with_(
        instance_path=tmp_path, secret_key="x" * 32)).url_map.iter_rules()}
    assert {"/healthz", "/readyz", "/metrics"} <= rules


def _sandan_names(text: str) -> set[str]:
    return set(re.findall(r"\b(SANDAN_[A-Z_]+)\b", text))


@pytest.mark.parametrize("name", ["docker-compose.yml", "kubernetes/configmap.yaml",
                                  "kubernetes/secret.example.yaml", "kubernetes/web.yaml",
                                  "kubernetes/worker.yaml", "systemd/sandan.env.example",
                                  "systemd/sandan-worker.service", "Dockerfile"])
def test_deploy_files_name_only_known_settings(name: str) -> None:
    """Sandan refuses unknown SANDAN_* variables at start: a typo here would stop production."""
    used = _sandan_names((DEPLOY / name).read_text())
    # names that are not given to Sandan itself: compose's .env and the postgres container's
    not_settings = {"SANDAN_OWNER_PASSWORD", "SANDAN_APP_PASSWORD"}
    assert used and sorted(used - _KNOWN - not_settings) == []


def test_the_systemd_units_wire_the_verification_alert() -> None:
    units = {}
    for path in (DEPLOY / "systemd").glob("*.service"):
        parser = configparser.ConfigParser(strict=False, interpolation=None)
        parser.optionxform = str  # type: ignore[assignment,method-assign]
        parser.read_string(path.read_text())
        units[path.name] = parser
    verify = units["sandan-ledger-verify.service"]
    assert verify["Unit"]["OnFailure"] == "sandan-alert@%N.service"
    assert verify["Service"]["ExecStart"].endswith("sandan ledger verify")
    assert "sandan-alert@.service" in units
    timer = configparser.ConfigParser(interpolation=None)
    timer.read_string((DEPLOY / "systemd" / "sandan-ledger-verify.timer").read_text())
    assert timer["Timer"]["OnCalendar"] and timer["Timer"]["Persistent"] == "true"
    for unit in units.values():  # the scripts and configs a unit runs are shipped here
        for target in re.findall(r"/opt/sandan/src/(\S+)", unit["Service"]["ExecStart"]):
            assert (DEPLOY.parent / target).is_file(), target


def test_nginx_takes_the_bodies_the_app_takes(tmp_path: Path) -> None:
    site = (DEPLOY / "nginx" / "sandan.conf").read_text()
    megabytes = int(re.search(r"client_max_body_size (\d+)m;", site).group(1))  # type: ignore[union-attr]
    app = create_app(Settings.from_env({}).with_(instance_path=tmp_path, secret_key="x" * 32))
    assert megabytes * 1024 * 1024 == app.config["MAX_CONTENT_LENGTH"]
    assert "alias /opt/sandan/src/web/static/;" in site
    assert (DEPLOY.parent / "web" / "static").is_dir()
    for header in ("X-Forwarded-For", "X-Forwarded-Proto", "X-Forwarded-Host", "X-Request-ID"):
        assert f"proxy_set_header {header} " in site
