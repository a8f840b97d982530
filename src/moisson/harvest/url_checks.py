"""URLs written into harvested metadata must be real, public URLs (docs/udata-behaviour.md §10).

udata fails an item whose resource URL its URL validator refuses (e.g. `//host\\path\\x.xlsx`,
`javascript:alert(1)`) with a message naming `resources`, so one bad link costs the whole
dataset. We judge every URL a draft carries the same way, but one value at a time
(`usable_urls`, applied to every backend's draft before it is reconciled):

- characters a URL cannot hold (spaces, quotes, angle brackets, backslashes, braces, `|`,
  `^`, backtick, control characters) are percent-encoded, as a browser does, and the item's
  log says so; surrounding whitespace is trimmed;
- a URL still unusable then (another scheme than http, https, ftp, ftps; no host; not a host
  name; a non-public address) is dropped with a warning on the item's log naming the field
  and the value: a resource without its URL is dropped, an optional field (remote URL,
  schema URL, contact form, dataservice endpoints) is left empty. The dataset and everything
  else it says are harvested; the item is `done` with warnings.

The address policy is that of outbound fetches (docs/design.md §4): loopback, private and
other non-public addresses are refused unless they fall inside
`MOISSON_OUTBOUND_ALLOW_NETWORKS`, so an operator harvesting an intranet portal keeps its
links. No DNS lookup happens here: a name is judged by its shape.
"""

from __future__ import annotations

import ipaddress
import json
import logging
import re
from collections.abc import Sequence
from typing import Any
from urllib.parse import urlsplit

from moisson.domain.drafts import DataserviceDraft, DatasetDraft, ResourceDraft, SchemaRef
from moisson.http.ssrf import IPNetwork, blocked_reason

METADATA_SCHEMES = ("http", "https", "ftp", "ftps")
_FORBIDDEN_CHARACTERS = re.compile(r"[\s\\<>\"{}|^`]")
_LABEL = re.compile(r"^(?!-)[a-z0-9-]{1,63}(?<!-)$")


def metadata_url_problem(url: str, allow: Sequence[IPNetwork] = ()) -> str | None:
    """Why `url` cannot stand in harvested metadata, or `None` if it can (no lookup: the
    address is guarded again when the check connects). Sources and webhooks are judged by
    `services.url_policy.outbound_url_problem`."""
    if _FORBIDDEN_CHARACTERS.search(url):
        return "contains spaces, backslashes or other characters not allowed in a URL"
    try:
        parts = urlsplit(url)
        host = parts.hostname
        _ = parts.port  # raises on a malformed port
    except ValueError as exc:
        return str(exc)
    if parts.scheme.lower() not in METADATA_SCHEMES:
        return f"scheme {parts.scheme or '(none)'!r} is not one of {', '.join(METADATA_SCHEMES)}"
    if not host:
        return "has no host"
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return _hostname_problem(host, allow)
    reason = blocked_reason(address, allow)
    return f"points to a {reason} address" if reason else None


def _hostname_problem(host: str, allow: Sequence[IPNetwork]) -> str | None:
    if host == "localhost" or host.endswith(".localhost"):
        loopback_allowed = blocked_reason(ipaddress.ip_address("127.0.0.1"), allow) is None
        return None if loopback_allowed else "points to a loopback address"
    try:
        ascii_host = host.encode("idna").decode("ascii")
    except UnicodeError:
        return f"{host!r} is not a valid host name"
    labels = ascii_host.rstrip(".").split(".")
    if len(labels) < 2 or not all(_LABEL.match(label) for label in labels):
        return f"{host!r} is not a valid host name"
    tld = labels[-1]
    if not (tld.isalpha() or tld.startswith("xn--")):
        return f"invalid top-level domain {tld!r}"
    return None


#: What a URL cannot hold raw (RFC 3986 allows none of them; WHATWG percent-encodes them).
_UNSAFE_IN_URL = re.compile(r"[\x00-\x20\x7f\"<>\\^`{|}]")
_SURROUNDING = "".join(map(chr, range(0x21)))
_SHOWN_LENGTH = 300


def percent_encoded(url: str) -> str:
    """`url` trimmed, with what a URL cannot hold percent-encoded (UTF-8 bytes)."""
    return _UNSAFE_IN_URL.sub(_encode_match, url.strip(_SURROUNDING))


def _encode_match(match: re.Match[str]) -> str:
    return "".join(f"%{byte:02X}" for byte in match.group().encode("utf-8"))


def usable_urls(
    draft: DatasetDraft | DataserviceDraft,
    allow: Sequence[IPNetwork],
    log: logging.Logger,
) -> DatasetDraft | DataserviceDraft:
    """`draft` with every URL usable: repaired, or dropped with a warning on `log`."""
    check = _UrlCheck(allow, log)
    harvest = draft.harvest.model_copy(
        update={"remote_url": check("harvest.remote_url", draft.harvest.remote_url)}
    )
    contact_points = (
        None
        if draft.contact_points is None
        else tuple(
            point.model_copy(
                update={
                    "contact_form": check(f"contact_points.{i}.contact_form", point.contact_form)
                }
            )
            for i, point in enumerate(draft.contact_points)
        )
    )
    update: dict[str, Any] = {"harvest": harvest, "contact_points": contact_points}
    if isinstance(draft, DatasetDraft):
        update["schema_"] = _schema(check, "schema", draft.schema_)
        update["resources"] = tuple(
            kept
            for i, resource in enumerate(draft.resources)
            if (kept := _resource(check, i, resource)) is not None
        )
    else:
        for name in (
            "base_api_url",
            "endpoint_description_url",
            "machine_documentation_url",
            "technical_documentation_url",
        ):
            update[name] = check(name, getattr(draft, name))
    if not check.changed:
        return draft
    return draft.model_copy(update=update)


class _UrlCheck:
    """Judges the URLs of one draft, logging each repair and each drop."""

    def __init__(self, allow: Sequence[IPNetwork], log: logging.Logger) -> None:
        self.allow = allow
        self.log = log
        self.changed = False

    def __call__(self, path: str, url: str | None, dropping: str = "") -> str | None:
        """The usable form of `url`, or `None` (logged) when there is none."""
        if url is None:
            return None
        repaired = percent_encoded(url)
        problem = metadata_url_problem(repaired, self.allow)
        if problem is not None:
            self.changed = True
            self.log.warning(
                "[%s] unusable URL dropped (%s): %s%s", path, problem, _shown(url), dropping
            )
            return None
        if repaired != url:
            self.changed = True
            if repaired != url.strip(_SURROUNDING):
                self.log.warning(
                    "[%s] characters a URL cannot hold were percent-encoded: %s became %s",
                    path,
                    _shown(url),
                    _shown(repaired),
                )
        return repaired


def _resource(check: _UrlCheck, index: int, resource: ResourceDraft) -> ResourceDraft | None:
    url = check(
        f"resources.{index}.url",
        resource.url,
        f"; the resource {_shown(resource.title)} is not harvested",
    )
    if url is None:
        return None
    schema = _schema(check, f"resources.{index}.schema", resource.schema_)
    if url == resource.url and schema is resource.schema_:
        return resource
    return resource.model_copy(update={"url": url, "schema_": schema})


def _schema(check: _UrlCheck, path: str, schema: SchemaRef | None) -> SchemaRef | None:
    if schema is None or schema.url is None:
        return schema
    url = check(f"{path}.url", schema.url)
    if url == schema.url:
        return schema
    if url is None and schema.name is None:
        return None  # nothing left to refer to
    return schema.model_copy(update={"url": url})


def _shown(value: str) -> str:
    """A value as a JSON string (control characters visible), cut when very long."""
    if len(value) > _SHOWN_LENGTH:
        value = value[: _SHOWN_LENGTH - 1] + "…"
    return json.dumps(value, ensure_ascii=False)
