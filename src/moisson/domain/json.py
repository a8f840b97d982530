"""The one name for a JSON object as Moisson's wire formats and forms pass it around."""

from __future__ import annotations

from typing import Any

Json = dict[str, Any]
"""A decoded JSON object (udata's API shapes, form changes, item payload summaries)."""
