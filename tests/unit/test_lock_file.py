"""The lock file pins every dependency that pyproject.toml declares (installs are reproducible)."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _name(requirement: str) -> str:
    """The normalised project name of a PEP 508 requirement (`celery[redis]>=5.4` -> `celery`)."""
    match = re.match(r"[A-Za-z0-9][A-Za-z0-9._-]*", requirement.strip())
    assert match, requirement
    return re.sub(r"[-_.]+", "-", match.group(0)).lower()


def _pinned() -> dict[str, str]:
    pins: dict[str, str] = {}
    for line in (ROOT / "requirements.lock").read_text().splitlines():
        if line and not line.startswith((" ", "#", "-")):
            name, _, version = line.partition("==")
            assert version, f"not an exact pin in requirements.lock: {line!r}"
            pins[_name(name)] = version.split()[0]
    return pins


def test_every_declared_dependency_is_pinned_exactly() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    declared = list(project["dependencies"]) + list(project["optional-dependencies"]["dev"])
    pinned = _pinned()
    missing = sorted(_name(req) for req in declared if _name(req) not in pinned)
    assert missing == [], f"run `make lock`: {missing} are declared but not pinned"


def test_the_lock_names_no_local_path() -> None:
    text = (ROOT / "requirements.lock").read_text()
    assert "--find-links" not in text
    assert "file://" not in text
