"""URLs written into harvested metadata must be real, public URLs (behaviour spec 10).

udata fails an item whose resource URL its URL validator refuses (e.g. `//host\\path\\x.xlsx`)
with a message naming `resources`. We apply the same rule to every URL a draft carries, and
the same address policy as outbound fetches (DESIGN.md section 4): loopback, private and
other non-public addresses are refused unless they fall inside
`MOISSON_OUTBOUND_ALLOW_NETWORKS`, so an operator harvesting an intranet portal keeps its
links. No DNS lookup happens here: a name is judged by its shape.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterator, Sequence
from urllib.parse import urlsplit

from moisson.domain.drafts import DataserviceDraft, DatasetDraft
from moisson.domain.exceptions import InvalidItem
from moisson.http.ssrf import IPNetwork, blocked_reason

METADATA_SCHEMES = ("http", "https", "ftp", "ftps")
_FORBIDDEN_CHARACTERS = re.compile(r"[\s\\<>\"{}|^`]")
_LABEL = re.compile(r"^(?!-)[a-z0-9-]{1,63}(?<!-)$")


def url_problem(url: str, allow: Sequence[IPNetwork] = ()) -> str | None:
    """Why `url` cannot stand in harvested metadata, or `None` if it can."""
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


def _draft_urls(draft: DatasetDraft | DataserviceDraft) -> Iterator[tuple[str, str | None]]:
    yield "harvest.remote_url", draft.harvest.remote_url
    if isinstance(draft, DatasetDraft):
        for index, resource in enumerate(draft.resources):
            yield f"resources.{index}.url", resource.url
    else:
        yield "base_api_url", draft.base_api_url
        yield "endpoint_description_url", draft.endpoint_description_url
        yield "machine_documentation_url", draft.machine_documentation_url
        yield "technical_documentation_url", draft.technical_documentation_url


def check_draft_urls(
    draft: DatasetDraft | DataserviceDraft, allow: Sequence[IPNetwork] = ()
) -> None:
    """Raise `InvalidItem` listing every unacceptable URL of the draft (spec 1.6 format)."""
    problems = [
        f"[{path}] invalid URL ({problem}): {url}"
        for path, url in _draft_urls(draft)
        if url is not None and (problem := url_problem(url, allow)) is not None
    ]
    if problems:
        raise InvalidItem("Validation error:\n- " + "\n- ".join(problems))
