"""The configuration reference: one Markdown table generated from `Settings` itself.

`python -m moisson.settings_doc` prints it; the README carries it between two markers and a
test keeps the two identical, so the documentation cannot drift from the code.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel

from moisson.config import Settings

PREFIX = "MOISSON_"


def _default(value: Any) -> str:
    if isinstance(value, list):
        return ",".join(str(v) for v in value) or "(empty)"
    if value is None or value == "":
        return "(empty)" if value == "" else "(none)"
    return str(value)


def _rows(model: type[BaseModel], prefix: str) -> list[tuple[str, str, str]]:
    rows = []
    for name, field in model.model_fields.items():
        default = field.get_default(call_default_factory=True)
        if isinstance(default, BaseModel):
            rows.extend(_rows(type(default), f"{prefix}{name.upper()}__"))
            continue
        description = " ".join((field.description or "").split())
        rows.append((f"{prefix}{name.upper()}", _default(default), description))
    return rows


def settings_table() -> str:
    lines = ["| variable | default | meaning |", "|---|---|---|"]
    for name, default, description in _rows(Settings, PREFIX):
        cell = default.replace("|", "\\|")
        lines.append(f"| `{name}` | `{cell}` | {description} |")
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    print(settings_table(), end="")  # noqa: T201 (a command-line tool)
