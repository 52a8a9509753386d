"""Every access decision lives in authz, and web/ is the framework (issue #13, items 3 and 8).

These read the source: a role check written in a domain package, or a domain import in web/,
fails here before it can drift from the rules table.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[2] / "src" / "parley"

# Where reading an actor's memberships is the job itself: authz decides; auth builds the actor
# from its delegations; db/rls.py mirrors authz.visible for the database's second wall (its
# agreement with authz is tested in tests/security/test_rls.py).
MAY_READ_MEMBERSHIPS = {"authz", "auth/service.py", "db/rls.py"}
ROLE_CHECK = re.compile(r"\.membership\(|\bis_mediator\b|\.memberships\b")

DOMAIN = {
    "audit",
    "commitments",
    "exports",
    "intake",
    "notes",
    "operations",
    "positions",
    "processes",
    "records",
    "scenario",
    "sequencing",
    "sessions",
    "texts",
    "timeline",
}


def _python_files(root: Path) -> list[Path]:
    return sorted(p for p in root.rglob("*.py") if "migrations" not in p.parts)


def _allowed(path: Path) -> bool:
    relative = path.relative_to(SRC).as_posix()
    return any(relative == a or relative.startswith(a + "/") for a in MAY_READ_MEMBERSHIPS)


def test_no_role_check_outside_authz() -> None:
    found = [
        f"{path.relative_to(SRC)}:{n}: {line.strip()}"
        for path in _python_files(SRC)
        if not _allowed(path)
        for n, line in enumerate(path.read_text().splitlines(), 1)
        if ROLE_CHECK.search(line)
    ]
    assert not found, "ask parley.authz (rules, scope) instead:\n" + "\n".join(found)


def _imports(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
            names.update(f"{node.module}.{a.name}" for a in node.names)
    return names


@pytest.mark.parametrize("path", _python_files(SRC / "web"), ids=lambda p: p.name)
def test_web_imports_no_domain_package(path: Path) -> None:
    domain = sorted(
        name
        for name in _imports(path)
        if name.startswith("parley.") and name.split(".")[1] in DOMAIN
    )
    assert not domain, f"web/{path.name} imports {domain}: pages live with their domain"


def test_the_routers_are_named_in_app_py() -> None:
    """No silent skipping: every package with a views module is included by name."""
    named = _imports(SRC / "app.py")
    for views in sorted(SRC.glob("*/views*.py")):
        package, module = views.parent.name, views.stem
        if package == "web" or "router = APIRouter" not in views.read_text():
            continue  # web/ is the framework; a module without a router joins another's
        assert f"parley.{package}.{module}" in named, f"{package}.{module}"
