"""URL validation of harvested metadata (remote_url, resource URLs;
docs/udata-backends.md §2.3.1)."""

from __future__ import annotations

import ipaddress
import re
from urllib.parse import urlsplit

_SCHEMES = frozenset({"http", "https", "ftp", "ftps"})
# udata checks the TLD against a list; a syntactically plausible TLD is what we can check
# without shipping the IANA list: letters only (2-63), or an IDN (xn--…).
_TLD = re.compile(r"^(?:[a-z]{2,63}|xn--[a-z0-9-]{1,59})$")
_WHITESPACE = re.compile(r"\s")


def is_valid_url(url: str | None, *, allow_private: bool = False) -> bool:
    if not url or _WHITESPACE.search(url):
        return False
    try:
        parts = urlsplit(url)
        host = parts.hostname
    except ValueError:
        return False
    if parts.scheme.lower() not in _SCHEMES or not host:
        return False
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        if host == "localhost":
            return allow_private
        return bool(_TLD.match(host.rsplit(".", 1)[-1])) and "." in host
    return allow_private or address.is_global
