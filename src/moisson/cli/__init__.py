"""The `moisson` command. Every command opens one unit of work and calls services.

Commands read `Settings()` from the environment, unless a `CliState` is handed in as Typer's
context object (tests pass the test database's session factory that way).
"""

from __future__ import annotations

from moisson.cli.app import app


def main() -> None:
    app()


__all__ = ["app", "main"]
