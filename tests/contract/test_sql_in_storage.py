"""No SQL outside `storage/`: every query and write statement lives in a repository; and
jobs reach a runner only through the one hand-over after the commit.

Other layers may hold a `Session` (the unit of work: add, commit, rollback), catch the
database's exceptions and name a result row's type, but they build no statement and run
none: `select`/`update`/`delete`/`insert`/`func`/`text` and `session.execute`/`scalars`/
`scalar`/`get` appear only under `storage/` (and in the migrations, which are SQL by nature).
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[2] / "src" / "moisson"
EXEMPT = ("storage", "migrations")

#: What a module outside storage may import from SQLAlchemy.
ALLOWED_IMPORTS = {
    "sqlalchemy.orm": {"Session", "sessionmaker"},
    "sqlalchemy": {"Row"},
}
#: `sqlalchemy.exc` is allowed whole: catching a database error is not SQL.
ALLOWED_MODULES = {"sqlalchemy.exc"}
#: Session methods that run a statement.
RUNNING = {"execute", "scalars", "scalar", "get", "query"}


def outside_storage() -> list[Path]:
    return sorted(
        path for path in PACKAGE.rglob("*.py") if path.relative_to(PACKAGE).parts[0] not in EXEMPT
    )


def sql_uses(path: Path) -> list[str]:
    """What in this module builds or runs SQL, one line each (`line: what`), in line order."""
    found: list[tuple[int, str]] = []
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            found += [
                (node.lineno, f"import {alias.name}")
                for alias in node.names
                if alias.name.startswith("sqlalchemy")
            ]
        elif isinstance(node, ast.ImportFrom) and (node.module or "").startswith("sqlalchemy"):
            module = node.module or ""
            if module in ALLOWED_MODULES:
                continue
            allowed = ALLOWED_IMPORTS.get(module, set())
            found += [
                (node.lineno, f"from {module} import {alias.name}")
                for alias in node.names
                if alias.name not in allowed
            ]
        elif (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr in RUNNING
            and _is_session(node.func.value)
        ):
            found.append((node.lineno, f"session.{node.func.attr}(...)"))
    return [f"{line}: {what}" for line, what in sorted(found)]


def _is_session(node: ast.expr) -> bool:
    """`session`, `self.session`, `db`...: a name or attribute that reads as a session."""
    name = node.attr if isinstance(node, ast.Attribute) else getattr(node, "id", "")
    return name in {"session", "db", "_session"}


@pytest.mark.parametrize("path", outside_storage(), ids=lambda p: str(p.relative_to(PACKAGE)))
def test_no_sql_outside_storage(path: Path) -> None:
    assert sql_uses(path) == [], f"{path.relative_to(PACKAGE)} builds or runs SQL"


def test_the_check_sees_sql(tmp_path: Path) -> None:
    module = tmp_path / "module.py"
    module.write_text(
        "from sqlalchemy import select, Row\n"
        "from sqlalchemy.orm import Session, selectinload\n"
        "from sqlalchemy.exc import IntegrityError\n"
        "def f(session):\n"
        "    session.execute(select(1))\n"
        "    session.add(object())\n"
        "    return session.get(int, 1)\n"
    )
    assert sql_uses(module) == [
        "1: from sqlalchemy import select",
        "2: from sqlalchemy.orm import selectinload",
        "5: session.execute(...)",
        "7: session.get(...)",
    ]


# --------------------------------------------------------------------------- job hand-over

#: Where a runner's `submit` may be called: the one hand-over rule, and the in-process
#: worker itself (it re-queues the pending jobs its sweep finds).
HAND_OVER_HOMES = {Path("services/runs.py"), Path("tasks/local.py")}
THREAD_POOLS = "backends"  # `submit` of the backends' own thread pools


def submit_calls(path: Path) -> list[int]:
    """Lines calling `<something>.submit(...)` outside a method itself named `submit` (a
    runner wrapping another, as the CLI's reporting one, is handed over like any runner)."""
    lines: list[int] = []

    def visit(node: ast.AST, inside_submit: bool) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef):
                visit(child, inside_submit or child.name == "submit")
                continue
            if (
                isinstance(child, ast.Call)
                and isinstance(child.func, ast.Attribute)
                and child.func.attr == "submit"
                and not inside_submit
            ):
                lines.append(child.lineno)
            visit(child, inside_submit)

    visit(ast.parse(path.read_text(), str(path)), inside_submit=False)
    return sorted(lines)


def test_jobs_reach_a_runner_only_through_the_hand_over_after_commit() -> None:
    calls = {
        str(path.relative_to(PACKAGE)): submit_calls(path)
        for path in PACKAGE.rglob("*.py")
        if path.relative_to(PACKAGE) not in HAND_OVER_HOMES
        and path.relative_to(PACKAGE).parts[0] != THREAD_POOLS
    }
    assert {module: lines for module, lines in calls.items() if lines} == {}


def test_the_hand_over_check_sees_a_direct_submit(tmp_path: Path) -> None:
    module = tmp_path / "module.py"
    module.write_text(
        "def view(runner, job_id):\n"
        "    runner.submit(job_id)\n"
        "class Wrapper:\n"
        "    def submit(self, job_id):\n"
        "        self.inner.submit(job_id)\n"
    )
    assert submit_calls(module) == [2]
