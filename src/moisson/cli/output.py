"""What commands print and how they end: tables on stdout, `--json` data alone on stdout,
errors as one `Error: ...` line on stderr, and exit codes scripts can rely on.

Exit codes: 0 done (or success), 1 done with errors (some items, or some rows, failed),
2 failed, or the input was refused (unknown source, invalid cron, validation error).
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, NoReturn

import typer
from rich.console import Console

from moisson.domain.enums import JobStatus
from moisson.errors import MoissonError

EXIT_OK = 0
EXIT_DONE_ERRORS = 1
EXIT_FAILED = 2


#: Width of tables written to a file or a pipe (a terminal gets its own width).
PIPE_WIDTH = 160


def stdout() -> Console:
    """A console on the current stdout (built per call: test runners swap the stream)."""
    width = None if sys.stdout.isatty() else PIPE_WIDTH
    return Console(highlight=False, soft_wrap=False, width=width)


def stderr() -> Console:
    width = None if sys.stderr.isatty() else PIPE_WIDTH
    return Console(stderr=True, highlight=False, width=width)


def print_json(data: Any) -> None:
    """`data` as indented JSON, and nothing else, on stdout."""
    typer.echo(json.dumps(data, ensure_ascii=False, indent=2, default=str))


def say(message: str) -> None:
    """A line for the operator on stderr, so that stdout stays machine-readable."""
    typer.echo(message, err=True)


def fail(message: str, code: int = EXIT_FAILED) -> NoReturn:
    typer.echo(f"Error: {' '.join(message.split())}", err=True)
    raise typer.Exit(code)


@contextmanager
def operator_errors() -> Iterator[None]:
    """Turn the errors services raise for bad input into `Error: <message>` and exit 2.
    Anything else is a bug and keeps its traceback."""
    try:
        yield
    except MoissonError as exc:
        details = exc.errors or {}
        extra = [f"{name}: {text}" for name, text in details.items() if text != exc.message]
        fail("; ".join([exc.message, *extra]))


def exit_code_of(status: str) -> int:
    """The exit code a job's final status maps to."""
    if status == JobStatus.DONE:
        return EXIT_OK
    if status == JobStatus.DONE_ERRORS:
        return EXIT_DONE_ERRORS
    return EXIT_FAILED
