"""The vendored front-end assets are exactly what the manifest says, and nothing of ours loads
an asset from the network (the app must work offline, without a CDN).

No Flask app is needed: these tests only read files under web/.
"""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path

import pytest

WEB = Path(__file__).resolve().parents[2] / "web"
VENDOR = WEB / "static" / "vendor"
MANIFEST = VENDOR / "MANIFEST.json"

TEXT_SUFFIXES = {".html", ".htm", ".jinja", ".j2", ".txt", ".xml", ".svg", ".css", ".js", ".mjs"}


def _manifest() -> dict:
    return json.loads(MANIFEST.read_text(encoding="utf-8"))


def _listed() -> dict[str, str]:
    files: dict[str, str] = {}
    for package, entry in _manifest().items():
        for rel, digest in entry["files"].items():
            assert rel.startswith(f"{package}/"), f"{rel} is not under {package}/"
            files[rel] = digest
    return files


def test_manifest_shape_and_versions_match_package_json():
    manifest = _manifest()
    pinned = json.loads((WEB / "package.json").read_text(encoding="utf-8"))["dependencies"]
    assert {p: e["version"] for p, e in manifest.items()} == pinned
    for package, entry in manifest.items():
        assert entry["files"], f"{package}: no files"
        assert any(Path(rel).name.startswith(("LICENSE", "LICENCE")) for rel in entry["files"]), (
            f"{package}: no licence file vendored"
        )
        for rel, digest in entry["files"].items():
            assert re.fullmatch(r"[0-9a-f]{64}", digest), f"{rel}: bad sha256 {digest!r}"


def test_every_listed_file_exists_with_its_sha256():
    for rel, digest in _listed().items():
        path = VENDOR / rel
        assert path.is_file(), f"web/static/vendor/{rel} is listed but missing"
        assert hashlib.sha256(path.read_bytes()).hexdigest() == digest, (
            f"web/static/vendor/{rel} differs from MANIFEST.json: run `make vendor`"
        )


def test_nothing_unlisted_in_vendor():
    present = {p.relative_to(VENDOR).as_posix() for p in VENDOR.rglob("*") if p.is_file()} - {
        "MANIFEST.json"
    }
    unlisted = sorted(present - set(_listed()))
    assert not unlisted, f"files in web/static/vendor not in MANIFEST.json: {unlisted}"


def _our_text_files() -> list[Path]:
    roots = [WEB / "templates", WEB / "static"]
    files = []
    for root in roots:
        for path in sorted(root.rglob("*")):
            if not path.is_file() or VENDOR in path.parents:
                continue
            if path.suffix.lower() in TEXT_SUFFIXES:
                files.append(path)
    return files


# An absolute (http://, https://) or protocol-relative (//host) URL ...
_EXTERNAL = r"""(?:https?:)?//[^\s"'()<>]+"""
_PATTERNS = [
    # ... in a src= or srcset= attribute of any tag,
    re.compile(rf"""\b(?:src|srcset)\s*=\s*["']?\s*({_EXTERNAL})""", re.IGNORECASE),
    # ... in href= of any tag but <a> (a link to another site is not an asset),
    re.compile(
        rf"""<(?!a[\s>])[a-z][^>]*?\b(?:xlink:)?href\s*=\s*["']?\s*({_EXTERNAL})""",
        re.IGNORECASE | re.DOTALL,
    ),
    # ... in CSS url(...) (which covers @import url(...)) or @import "...",
    re.compile(rf"""\burl\(\s*["']?\s*({_EXTERNAL})""", re.IGNORECASE),
    re.compile(rf"""@import\s+["']\s*({_EXTERNAL})""", re.IGNORECASE),
    # ... or a JavaScript import / dynamic import.
    re.compile(rf"""\b(?:import\s*\(|from)\s*["']({_EXTERNAL})""", re.IGNORECASE),
]


def _external_refs(text: str) -> list[str]:
    return [m.group(1) for pattern in _PATTERNS for m in pattern.finditer(text)]


def test_scanner_catches_external_assets():
    bad = """
      <script src="https://cdn.example.org/x.js"></script>
      <link rel="stylesheet" href='//fonts.example.org/css'>
      <img srcset="http://img.example.org/a.png 2x">
      <style>@import url("https://x.example.org/a.css"); b { background: url(//x.example/i.png) }
      @import 'http://y.example.org/b.css';</style>
      <script>import("https://esm.example/m.js")</script>
    """
    assert len(_external_refs(bad)) == 7
    fine = """
      <a href="https://github.com/example">site</a>
      <link rel="stylesheet" href="{{ url_for('static', filename='sandan.css') }}">
      <svg xmlns="http://www.w3.org/2000/svg"></svg> <img src="data:image/png;base64,AA==">
      <link rel="icon" href="data:,">
    """
    assert _external_refs(fine) == []


@pytest.mark.parametrize("path", _our_text_files(), ids=lambda p: p.relative_to(WEB).as_posix())
def test_no_external_assets_in_our_templates_and_static(path: Path):
    refs = _external_refs(path.read_text(encoding="utf-8"))
    assert not refs, f"{path.relative_to(WEB.parent)} loads external assets: {refs}"


def test_there_are_templates_and_static_files_to_scan():
    names = {p.relative_to(WEB).as_posix() for p in _our_text_files()}
    assert "templates/base.html" in names


def test_vendor_assets_used_by_templates_are_vendored():
    listed = set(_listed())
    used = set()
    for path in (WEB / "templates").rglob("*.html"):
        text = path.read_text(encoding="utf-8")
        used |= set(re.findall(r"""filename\s*=\s*['"]vendor/([^'"]+)['"]""", text))
    missing = sorted(used - listed)
    assert not missing, f"templates refer to vendor files not in MANIFEST.json: {missing}"
