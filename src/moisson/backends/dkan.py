"""DKAN 7 backend: CKAN's machinery with DKAN's differences (docs/udata-backends.md §7).

DKAN's "CKAN-compatible" API has no `package_search`, so listing is always `package_list`
then `package_show` (whose `result` is a one-package list). The mapping is CKAN's: it
already reads French day-first dates, `"42 octets"` sizes, HTML notes, `"Active"` states
and `"Dataset"` types. DKAN reports `private: true` on public datasets (the recorded
hautsdefrance package is one), so the flag is ignored here, as udata does.
"""

from __future__ import annotations

from typing import ClassVar

from moisson.backends import register
from moisson.backends.ckan import CkanBackend
from moisson.domain.capabilities import BackendInfo


@register
class DkanBackend(CkanBackend):
    info: ClassVar[BackendInfo] = BackendInfo(id="dkan", label="DKAN")
    use_search: ClassVar[bool] = False
    skip_private: ClassVar[bool] = False
