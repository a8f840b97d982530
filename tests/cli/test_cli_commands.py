"""The `moisson` command, run with Typer's CliRunner against the test database."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import inspect, select
from sqlalchemy.orm import Session, sessionmaker
from typer.testing import CliRunner

from moisson.cli import app
from moisson.cli.app import bootstrap_admin
from moisson.cli.state import CliState
from moisson.config import Settings
from moisson.services.auth import authenticate
from moisson.storage.models import Member, Organization, User
from moisson.storage.session import make_engine

runner = CliRunner()


def invoke(state: CliState, *args: str):
    return runner.invoke(app, list(args), obj=state, catch_exceptions=False)


def test_users_create_prints_a_working_key_last(
    settings: Settings, session_factory: sessionmaker[Session], db: Session
) -> None:
    state = CliState(settings, session_factory)
    result = invoke(state, "users", "create", "Ana@Example.test", "--admin")
    assert result.exit_code == 0, result.output
    key = result.stdout.strip().splitlines()[-1]
    assert key.startswith("moisson_")
    caller = authenticate(db, settings, key)
    assert caller.user is not None
    assert caller.user.email == "ana@example.test"
    assert caller.is_sysadmin


def test_users_create_refuses_a_duplicate(
    settings: Settings, session_factory: sessionmaker[Session]
) -> None:
    state = CliState(settings, session_factory)
    assert invoke(state, "users", "create", "bob@example.test").exit_code == 0
    again = invoke(state, "users", "create", "bob@example.test")
    assert again.exit_code == 1
    assert "already exists" in again.stderr


def test_orgs_create_with_members(
    settings: Settings, session_factory: sessionmaker[Session], db: Session
) -> None:
    state = CliState(settings, session_factory)
    invoke(state, "users", "create", "eve@example.test")
    result = invoke(
        state,
        "orgs",
        "create",
        "Ville de Brest",
        "--member",
        "eve@example.test",
        "--role",
        "editor",
    )
    assert result.exit_code == 0, result.output
    org_id = result.stdout.strip().splitlines()[-1]
    org = db.get(Organization, org_id)
    assert org is not None
    assert org.slug == "ville-de-brest"
    member = db.scalars(select(Member).where(Member.organization_id == org_id)).one()
    assert member.role == "editor"


def test_orgs_create_with_an_unknown_member_fails_and_creates_nothing(
    settings: Settings, session_factory: sessionmaker[Session], db: Session
) -> None:
    state = CliState(settings, session_factory)
    result = invoke(state, "orgs", "create", "Ghost town", "--member", "nobody@example.test")
    assert result.exit_code == 1
    assert "No user with e-mail" in result.stderr
    assert db.scalars(select(Organization)).all() == []


def test_first_start_creates_one_admin(
    settings: Settings, session_factory: sessionmaker[Session], db: Session
) -> None:
    state = CliState(settings, session_factory)
    created = bootstrap_admin(state)
    assert created is not None
    assert created.user.email == "admin@localhost"
    assert authenticate(db, settings, created.api_key).is_sysadmin
    assert bootstrap_admin(state) is None
    assert len(db.scalars(select(User)).all()) == 1


def test_db_upgrade_on_a_fresh_sqlite_file(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'fresh.db'}"
    state = CliState(Settings(_env_file=None, database_url=url))  # type: ignore[call-arg]
    result = invoke(state, "db", "upgrade")
    assert result.exit_code == 0, result.output
    engine = make_engine(Settings(_env_file=None, database_url=url))  # type: ignore[call-arg]
    try:
        tables = set(inspect(engine).get_table_names())
    finally:
        engine.dispose()
    assert {"harvest_sources", "harvest_jobs", "users", "api_keys"} <= tables


def test_serve_is_offered() -> None:
    result = runner.invoke(app, ["serve", "--help"])
    assert result.exit_code == 0
    assert "--port" in result.stdout
