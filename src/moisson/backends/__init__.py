"""The registry of harvest backends: one explicit dict from name to class.

Which of them a deployment offers is the `MOISSON_HARVEST__BACKENDS` setting (glob patterns,
as udata's `HARVESTER_BACKENDS`).
"""

from __future__ import annotations

from fnmatch import fnmatch

from moisson.backends.base import Backend
from moisson.errors import InvalidInput

_REGISTRY: dict[str, type[Backend]] = {}


def register(cls: type[Backend]) -> type[Backend]:
    """Add a backend class to the registry (used by the built-in modules below)."""
    _REGISTRY[cls.info.id] = cls
    return cls


def _load_builtins() -> None:
    # Imported here so that each backend module registers itself exactly once.
    import importlib

    for module in ("dcat", "csw_dcat", "csw_iso19139", "ckan", "dkan", "maaf"):
        try:
            importlib.import_module(f"moisson.backends.{module}")
        except ModuleNotFoundError as exc:  # a backend not written yet is simply absent
            if exc.name != f"moisson.backends.{module}":
                raise


_builtins_loaded = False


def all_backends() -> dict[str, type[Backend]]:
    global _builtins_loaded
    # A flag, not "the registry is empty": a process that imported one backend module
    # directly (a test, a task) would otherwise never see the others.
    if not _builtins_loaded:
        _load_builtins()
        _builtins_loaded = True
    return dict(_REGISTRY)


def enabled_backends(patterns: list[str]) -> dict[str, type[Backend]]:
    return {
        name: cls
        for name, cls in sorted(all_backends().items())
        if any(fnmatch(name, pattern) for pattern in patterns)
    }


def get_backend(name: str, patterns: list[str]) -> type[Backend]:
    enabled = enabled_backends(patterns)
    try:
        return enabled[name]
    except KeyError:
        valid = ", ".join(sorted(enabled)) or "none"
        raise InvalidInput(
            f'Unknown backend "{name}" (enabled backends: {valid})', field="backend"
        ) from None
