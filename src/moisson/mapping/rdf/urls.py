"""URL validation of harvested metadata (remote_url, resource URLs;
docs/udata-backends.md §2.3.1)."""

from __future__ import annotations

import ipaddress
import re
from urllib.parse import urlsplit

from moisson.mapping.values import is_link

# udata checks the TLD against a list; a syntactically plausible TLD is what we can check
# without shipping the IANA list: letters only (2-63), or an IDN (xn--…).
_TLD = re.compile(r"^(?:[a-z]{2,63}|xn--[a-z0-9-]{1,59})$")


def is_valid_url(url: str | None, *, allow_private: bool = False) -> bool:
    """A link (`mapping.values.is_link`) to a host one may publish: a global address, or a
    name under a plausible top-level domain (`localhost` and private addresses only with
    `allow_private`)."""
    if not is_link(url):
        return False
    host = urlsplit(url).hostname
    assert host is not None  # noqa: S101 (is_link made sure)
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        if host == "localhost":
            return allow_private
        return bool(_TLD.match(host.rsplit(".", 1)[-1])) and "." in host
    return allow_private or address.is_global
