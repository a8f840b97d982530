"""What every command needs: settings and a session factory, built once per invocation."""

from __future__ import annotations

from dataclasses import dataclass, field

import typer
from sqlalchemy.orm import Session, sessionmaker

from moisson.config import Settings
from moisson.storage.session import make_engine, make_sessionmaker


@dataclass
class CliState:
    settings: Settings = field(default_factory=Settings)
    session_factory: sessionmaker[Session] | None = None

    def sessions(self) -> sessionmaker[Session]:
        if self.session_factory is None:
            self.session_factory = make_sessionmaker(make_engine(self.settings))
        return self.session_factory


def state_of(ctx: typer.Context) -> CliState:
    if not isinstance(ctx.obj, CliState):
        ctx.obj = CliState()
    return ctx.obj
