#!/usr/bin/env python3
"""Refresh the vendored front-end assets in web/static/vendor (maintainers only).

Run from the project root as ``python3 web/vendor.py`` (``make vendor``). It

1. runs ``npm ci --ignore-scripts`` in web/ (exact versions from web/package.json and
   web/package-lock.json, no install scripts; node_modules stays in web/node_modules and is
   ignored by git),
2. checks every installed version is the exact one web/package.json pins,
3. rebuilds web/static/vendor from scratch with only the files listed in ``FILES`` below,
   byte for byte as published (plus each package's licence files), and
4. writes web/static/vendor/MANIFEST.json::

       {"<package>": {"version": "<x.y.z>",
                      "files": {"<package>/<path>": "<sha256 hex>", ...}}, ...}

   Paths are relative to web/static/vendor, so a key can be used as it is in
   ``url_for('static', filename='vendor/' + key)``.

Only web/static/vendor is committed; users never need Node or a network.
tests/web/test_vendor.py checks the manifest against the files.

Options: ``--no-install`` reuses an existing web/node_modules instead of running ``npm ci``.
Standard library only.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import shutil
import subprocess
import sys
from pathlib import Path

WEB = Path(__file__).resolve().parent
NODE_MODULES = WEB / "node_modules"
VENDOR = WEB / "static" / "vendor"
MANIFEST = VENDOR / "MANIFEST.json"

# package -> [(path inside node_modules/<package>, path inside static/vendor/<package>)]
# Licence files are part of each list: they ship with the copies.
FILES: dict[str, list[tuple[str, str]]] = {
    "htmx.org": [
        ("dist/htmx.min.js", "htmx.min.js"),
        ("LICENSE", "LICENSE"),
    ],
    "bootstrap": [
        ("dist/css/bootstrap.min.css", "bootstrap.min.css"),
        ("dist/js/bootstrap.bundle.min.js", "bootstrap.bundle.min.js"),
        ("LICENSE", "LICENSE"),
    ],
    "bootstrap-icons": [
        # the stylesheet loads url("fonts/bootstrap-icons.woff2?...") relative to itself
        ("font/bootstrap-icons.min.css", "bootstrap-icons.min.css"),
        ("font/fonts/bootstrap-icons.woff2", "fonts/bootstrap-icons.woff2"),
        ("font/fonts/bootstrap-icons.woff", "fonts/bootstrap-icons.woff"),
        ("LICENSE", "LICENSE"),
    ],
    "echarts": [
        ("dist/echarts.min.js", "echarts.min.js"),
        ("LICENSE", "LICENSE"),
        ("NOTICE", "NOTICE"),
        ("licenses/LICENSE-d3", "licenses/LICENSE-d3"),
    ],
    "mermaid": [
        # self-contained UMD build; sets globalThis.mermaid
        ("dist/mermaid.min.js", "mermaid.min.js"),
        ("LICENSE", "LICENSE"),
    ],
    "swagger-ui-dist": [
        ("swagger-ui.css", "swagger-ui.css"),
        ("swagger-ui-bundle.js", "swagger-ui-bundle.js"),
        ("swagger-ui-standalone-preset.js", "swagger-ui-standalone-preset.js"),
        ("favicon-16x16.png", "favicon-16x16.png"),
        ("favicon-32x32.png", "favicon-32x32.png"),
        ("LICENSE", "LICENSE"),
        ("NOTICE", "NOTICE"),
        ("swagger-ui-bundle.js.LICENSE.txt", "swagger-ui-bundle.js.LICENSE.txt"),
        (
            "swagger-ui-standalone-preset.js.LICENSE.txt",
            "swagger-ui-standalone-preset.js.LICENSE.txt",
        ),
    ],
}

LARGE_FILE = 4 * 1024 * 1024  # report single files above this size


class VendorError(Exception):
    pass


def sha256(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as f:
        for chunk in iter(lambda: f.read(1 << 16), b""):
            h.update(chunk)
    return h.hexdigest()


def pinned_versions() -> dict[str, str]:
    """The dependencies of web/package.json; each must be an exact version."""
    data = json.loads((WEB / "package.json").read_text(encoding="utf-8"))
    deps: dict[str, str] = data.get("dependencies", {})
    loose = {name: spec for name, spec in deps.items() if not spec[:1].isdigit()}
    if loose:
        raise VendorError(f"web/package.json: versions must be exact, not ranges: {loose}")
    if set(deps) != set(FILES):
        raise VendorError(
            "web/package.json dependencies and FILES in web/vendor.py disagree: "
            f"only in package.json {sorted(set(deps) - set(FILES))}, "
            f"only in vendor.py {sorted(set(FILES) - set(deps))}"
        )
    return deps


def npm_ci() -> None:
    npm = shutil.which("npm")
    if npm is None:
        raise VendorError("npm not found: install Node.js (only maintainers need it)")
    if not (WEB / "package-lock.json").is_file():
        raise VendorError(
            "web/package-lock.json missing: run `npm install --ignore-scripts` in web/"
        )
    cmd = [npm, "ci", "--ignore-scripts", "--no-audit", "--no-fund"]
    print("+ (cd web && npm", " ".join(cmd[1:]) + ")", flush=True)
    subprocess.run(cmd, cwd=WEB, check=True)


def installed_version(package: str) -> str:
    meta = NODE_MODULES / package / "package.json"
    if not meta.is_file():
        raise VendorError(f"{meta.relative_to(WEB.parent)} missing: was npm ci run?")
    return json.loads(meta.read_text(encoding="utf-8"))["version"]


def human(n: float) -> str:
    for unit in ("B", "KiB", "MiB"):
        if n < 1024 or unit == "MiB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024
    raise AssertionError


def vendor(install: bool = True) -> dict[str, dict]:
    versions = pinned_versions()
    if install:
        npm_ci()
    for package, wanted in versions.items():
        got = installed_version(package)
        if got != wanted:
            raise VendorError(f"{package}: installed {got}, package.json pins {wanted}")

    # Check every source exists before touching the committed copies.
    missing = [
        f"{package}/{src}"
        for package, files in FILES.items()
        for src, _ in files
        if not (NODE_MODULES / package / src).is_file()
    ]
    if missing:
        raise VendorError(f"not found in web/node_modules: {missing}")

    if VENDOR.exists():
        shutil.rmtree(VENDOR)
    VENDOR.mkdir(parents=True)

    manifest: dict[str, dict] = {}
    total = 0
    for package in sorted(FILES):
        entries: dict[str, str] = {}
        size = 0
        for src, dest in FILES[package]:
            target = VENDOR / package / dest
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(NODE_MODULES / package / src, target)
            rel = target.relative_to(VENDOR).as_posix()
            entries[rel] = sha256(target)
            n = target.stat().st_size
            size += n
            if n > LARGE_FILE:
                print(f"  note: {rel} is {human(n)}", flush=True)
        manifest[package] = {"version": versions[package], "files": dict(sorted(entries.items()))}
        total += size
        print(f"{package} {versions[package]}: {len(entries)} files, {human(size)}", flush=True)

    MANIFEST.write_text(
        json.dumps(manifest, indent=2, sort_keys=True, ensure_ascii=False) + "\n",
        encoding="utf-8",
    )
    print(f"wrote {MANIFEST.relative_to(WEB.parent)}; total {human(total)}", flush=True)
    return manifest


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--no-install",
        action="store_true",
        help="reuse the existing web/node_modules instead of running npm ci",
    )
    args = parser.parse_args(argv)
    try:
        vendor(install=not args.no_install)
    except (VendorError, subprocess.CalledProcessError) as exc:
        print(f"vendor: error: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
