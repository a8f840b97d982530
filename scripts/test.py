"""The whole test suite: lint and types, then pytest on SQLite, then pytest on PostgreSQL.

PostgreSQL is required: if its server does not answer, this fails (it never skips).
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys

import psycopg


def run(cmd: list[str], env: dict[str, str] | None = None) -> None:
    print("+", " ".join(cmd), flush=True)
    result = subprocess.run(cmd, env=env, check=False)  # noqa: S603 (our own commands)
    if result.returncode != 0:
        sys.exit(result.returncode)


def require_postgres(url: str) -> None:
    dsn = url.replace("postgresql+psycopg://", "postgresql://")
    try:
        psycopg.connect(dsn, connect_timeout=5).close()
    except psycopg.OperationalError as exc:
        sys.exit(f"PostgreSQL is required for the test suite and does not answer at {url}: {exc}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--postgres-url", required=True)
    parser.add_argument("pytest_args", nargs="*")
    args = parser.parse_args()
    python = sys.executable

    run([python, "-m", "ruff", "check", "src", "tests", "bench", "scripts"])
    run([python, "-m", "ruff", "format", "--check", "src", "tests", "bench", "scripts"])
    run([python, "-m", "mypy"])
    require_postgres(args.postgres_url)
    env = {**os.environ, "MOISSON_TEST_DATABASE_URL": args.postgres_url}
    pytest = [python, "-m", "pytest", "-n", "2", "tests", *args.pytest_args]
    run(pytest)
    run([*pytest, "-m", "not sqlite_only"], env)


if __name__ == "__main__":
    main()
