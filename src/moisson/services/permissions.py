"""Who may do what to a harvest source (docs/udata-behaviour.md §5).

- owner-admin: the source's owner user, or an admin of its organization;
- owner-editor: owner-admin, plus editors of its organization;
- a sysadmin passes every check.
"""

from __future__ import annotations

from moisson.errors import Forbidden
from moisson.services.auth import Caller, require_authenticated
from moisson.storage.models import HarvestSource


def is_owner_admin(caller: Caller, source: HarvestSource) -> bool:
    if caller.user is None:
        return False
    if caller.is_sysadmin:
        return True
    if source.owner_id is not None and source.owner_id == caller.user.id:
        return True
    return caller.is_org_admin(source.organization_id)


def is_owner_editor(caller: Caller, source: HarvestSource) -> bool:
    return is_owner_admin(caller, source) or caller.is_org_member(source.organization_id)


def source_permissions(caller: Caller, source: HarvestSource) -> dict[str, bool]:
    """The `permissions` object of a source for this caller. `run` follows owner-admin only,
    as udata's does: neither the manual-run setting nor the validation state enter it."""
    admin = is_owner_admin(caller, source)
    return {
        "edit": admin,
        "delete": admin,
        "run": admin,
        "preview": is_owner_editor(caller, source),
        "validate": caller.is_sysadmin,
        "schedule": caller.is_sysadmin,
    }


def require_owner_admin(caller: Caller, source: HarvestSource) -> None:
    require_authenticated(caller)
    if not is_owner_admin(caller, source):
        raise Forbidden()


def require_owner_editor(caller: Caller, source: HarvestSource) -> None:
    require_authenticated(caller)
    if not is_owner_editor(caller, source):
        raise Forbidden()


def require_sysadmin(caller: Caller) -> None:
    require_authenticated(caller)
    if not caller.is_sysadmin:
        raise Forbidden()
