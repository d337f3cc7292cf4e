"""``make audit``: pip-audit over what the project runs, the installed runtime dependencies of scv-lakehouse.

The audited set is the closure of ``[project.dependencies]`` as installed (the app's Gradio, FastAPI,
Starlette, uvicorn, bcrypt, ... and the pipeline's), pinned to the installed versions; dev tools are not in it.

pip-audit needs an advisory source: PyPI's JSON API per release (``/pypi/<name>/<version>/json``, which
carries the release's known vulnerabilities) or OSV (``https://api.osv.dev/v1/query``). Each is probed
first. When none answers the audit is SKIPPED with what was tried and why, and exits 0 so that ``make check``
still runs offline (``SCV_AUDIT_REQUIRED=1`` makes a skip fail instead). When one answers, a known
vulnerability in any audited package fails the audit (exit 1).

Environment: ``SCV_AUDIT_SERVICES`` (default ``pypi,osv``: the order tried), ``SCV_AUDIT_OSV_URL``,
``SCV_AUDIT_REQUIRED``.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import urllib.error
import urllib.request
from importlib import metadata
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

PROJECT = "scv-lakehouse"
OSV_URL = "https://api.osv.dev/v1/query"
PYPI_RELEASE_URL = "https://pypi.org/pypi/{name}/{version}/json"
PROBE_TIMEOUT_S = 10


def runtime_requirements(project: str = PROJECT) -> list[str]:
    """``name==version`` of every installed distribution the project needs at run time (not its extras)."""
    seen: dict[str, str] = {}
    todo = [Requirement(r) for r in metadata.requires(project) or []]
    while todo:
        requirement = todo.pop()
        if requirement.marker is not None and not requirement.marker.evaluate({"extra": ""}):
            continue
        name = canonicalize_name(requirement.name)
        if name in seen:
            continue
        try:
            dist = metadata.distribution(requirement.name)
        except metadata.PackageNotFoundError:
            continue  # an optional dependency that is not installed is not run either
        seen[name] = dist.version
        wanted = set(requirement.extras)
        for sub in dist.requires or []:
            sub_req = Requirement(sub)
            marker = sub_req.marker
            if marker is None or any(marker.evaluate({"extra": e}) for e in wanted | {""}):
                todo.append(sub_req)
    return sorted(f"{name}=={version}" for name, version in seen.items())


def probe_pypi(requirement: str) -> str | None:
    """None when PyPI's per-release JSON API answers, else why not."""
    name, version = requirement.split("==")
    try:
        with urllib.request.urlopen(PYPI_RELEASE_URL.format(name=name, version=version), timeout=PROBE_TIMEOUT_S) as r:
            body = json.load(r)
    except urllib.error.HTTPError as exc:
        return f"/pypi/{name}/{version}/json answered HTTP {exc.code}"
    except (OSError, ValueError) as exc:
        return f"unreachable ({type(exc).__name__}: {exc})"
    return None if "vulnerabilities" in body else "the release JSON carries no 'vulnerabilities' field"


def probe_osv(url: str, requirement: str) -> str | None:
    """None when the OSV API at ``url`` answers a query, else why not."""
    name, version = requirement.split("==")
    query = json.dumps({"package": {"name": name, "ecosystem": "PyPI"}, "version": version}).encode()
    request = urllib.request.Request(url, data=query, headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=PROBE_TIMEOUT_S) as response:
            json.load(response)
    except urllib.error.HTTPError as exc:
        return f"{url} answered HTTP {exc.code}"
    except (OSError, ValueError) as exc:
        return f"{url} unreachable ({type(exc).__name__}: {exc})"
    return None


def run_pip_audit(requirements: list[str], service: str, osv_url: str) -> dict:
    """pip-audit's JSON report for the pinned ``requirements`` (no resolution, nothing installed)."""
    with tempfile.TemporaryDirectory() as folder:
        pinned, report = Path(folder) / "requirements.txt", Path(folder) / "report.json"
        pinned.write_text("\n".join(requirements) + "\n", encoding="utf-8")
        command = [sys.executable, "-m", "pip_audit", "-r", str(pinned), "--no-deps", "--disable-pip"]
        command += ["-s", service, "-f", "json", "-o", str(report), "--progress-spinner", "off"]
        if service == "osv":
            command += ["--osv-url", osv_url]
        done = subprocess.run(command, capture_output=True, text=True)
        if not report.exists():
            raise RuntimeError(f"pip-audit failed (exit {done.returncode}): {done.stderr.strip()[-2000:]}")
        return json.loads(report.read_text(encoding="utf-8"))


def main() -> int:
    services = [s.strip() for s in os.environ.get("SCV_AUDIT_SERVICES", "pypi,osv").split(",") if s.strip()]
    osv_url = os.environ.get("SCV_AUDIT_OSV_URL", OSV_URL)
    is_required = os.environ.get("SCV_AUDIT_REQUIRED", "") not in ("", "0")
    requirements = runtime_requirements()
    probes = {"pypi": lambda: probe_pypi(requirements[0]), "osv": lambda: probe_osv(osv_url, requirements[0])}
    reasons: dict[str, str] = {}
    service = None
    for name in services:
        reason = probes[name]() if name in probes else "unknown service"
        if reason is None:
            service = name
            break
        reasons[name] = reason
    if service is None:
        print(f"audit SKIPPED: no vulnerability advisory source reachable for {len(requirements)} runtime packages")
        for name, reason in reasons.items():
            print(f"  {name}: {reason}")
        print("  run `make audit` where PyPI's JSON API or OSV is reachable (SCV_AUDIT_REQUIRED=1 fails instead)")
        return 1 if is_required else 0
    report = run_pip_audit(requirements, service, osv_url)
    vulnerable = [d for d in report["dependencies"] if d.get("vulns")]
    skipped = [d for d in report["dependencies"] if d.get("skip_reason")]
    audited = len(report["dependencies"]) - len(skipped)
    print(f"audit: {audited} of {len(requirements)} runtime packages checked against {service}")
    for dep in vulnerable:
        for vuln in dep["vulns"]:
            fixed = ", ".join(vuln.get("fix_versions") or []) or "no fix yet"
            print(f"  VULNERABLE {dep['name']}=={dep['version']}: {vuln['id']} (fixed in: {fixed})")
    for dep in skipped:
        print(f"  NOT AUDITED {dep['name']}: {dep['skip_reason']}")
    if vulnerable:
        return 1
    if skipped and is_required:
        return 1
    print("audit: no known vulnerabilities" + (" in the packages checked" if skipped else ""))
    return 0


if __name__ == "__main__":
    sys.exit(main())
