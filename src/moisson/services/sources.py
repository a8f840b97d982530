"""Harvest sources: lookup, listing, creation, partial update, soft deletion.

Field rules follow docs/udata-behaviour.md (§4.3, §4.5) with docs/design.md §4's decisions:
exactly one producer; `deleted=false` hides deleted sources. Changes arrive as a mapping of
the fields the client sent (absent means untouched), already shape-checked by the caller
(the API's pydantic body model, or the CLI).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.orm import Session

from moisson.backends import all_backends, enabled_backends
from moisson.config import Settings
from moisson.domain.credentials import InvalidCredentials, parse_credentials
from moisson.domain.json import Json
from moisson.domain.source_config import validate_config
from moisson.encryption import seal
from moisson.errors import Forbidden, InvalidInput, NotFound, Redirect
from moisson.http.credentials import origin_of
from moisson.mapping.text import slugify
from moisson.services import presenters
from moisson.services.allocation import add_with_free_slug
from moisson.services.auth import Caller, require_authenticated
from moisson.services.paging import Page, PageRequest, make_page
from moisson.services.permissions import require_owner_admin
from moisson.services.url_policy import outbound_url_problem
from moisson.storage.models import HarvestSource
from moisson.storage.repositories import errors as errors_repo
from moisson.storage.repositories import jobs as jobs_repo
from moisson.storage.repositories import organizations as orgs_repo
from moisson.storage.repositories import sources as sources_repo
from moisson.storage.repositories import users as users_repo
from moisson.storage.repositories.base import is_object_id

NAME_MAX_LENGTH = 255
SLUG_MAX_BASE = 240
REQUIRED = "Field is required"
ONE_PRODUCER = "A source has exactly one producer: give either owner or organization, not both"
NO_PRODUCER = (
    "A source has exactly one producer: give its owner (a user) or its organization, "
    "since the platform itself cannot own it"
)


class SourceMoved(Redirect):
    """The `{source}` segment of a URL names a former or non-canonical slug
    (docs/udata-behaviour.md §3.6)."""

    def __init__(self, segment: str, slug: str) -> None:
        super().__init__(slug)
        self.segment = segment
        self.slug = slug


# --------------------------------------------------------------------------- reading


def list_backends(settings: Settings) -> list[Json]:
    """Enabled backends sorted by label; extra configs keep their `type` (docs/design.md §4)."""
    infos = [cls.info for cls in enabled_backends(settings.harvest.backends).values()]
    return [info.as_api() for info in sorted(infos, key=lambda info: info.label)]


def installed_backends(settings: Settings) -> list[Json]:
    """Every installed backend (enabled or not), sorted by id, in the API's shape plus an
    `enabled` flag: the CLI's `backends` (udata lists installed ones with an OK/KO mark)."""
    enabled = enabled_backends(settings.harvest.backends)
    return [
        {**cls.info.as_api(), "enabled": name in enabled}
        for name, cls in sorted(all_backends().items())
    ]


def resolve_source(session: Session, segment: str) -> HarvestSource:
    """The source a URL segment names: id, slug, slugified slug (308) or former slug (308).
    Soft-deleted sources are resolved too."""
    if is_object_id(segment):
        found = sources_repo.by_id(session, segment)
        if found is not None:
            return found
    found = sources_repo.by_slug(session, segment)
    if found is not None:
        return found
    canonical = slugify(segment)
    if canonical and canonical != segment:
        found = sources_repo.by_slug(session, canonical)
        if found is not None:
            raise SourceMoved(segment, found.slug)
    for former in dict.fromkeys((segment, canonical)):
        found = sources_repo.by_former_slug(session, former) if former else None
        if found is not None:
            raise SourceMoved(segment, found.slug)
    raise NotFound()


def find_source(session: Session, ident: str) -> HarvestSource:
    """The source an operator names: slug first, then id (udata's CLI order), then a former
    slug (renames are followed, not reported). Soft-deleted sources are found too."""
    wanted = ident.strip()
    found = sources_repo.by_slug(session, wanted)
    if found is None and is_object_id(wanted):
        found = sources_repo.by_id(session, wanted)
    if found is None and wanted:
        found = sources_repo.by_former_slug(session, wanted)
    if found is None:
        raise NotFound(f"Unknown source {ident!r} (give its slug or id)")
    return found


def present_sources(
    session: Session, caller: Caller, sources: Sequence[HarvestSource]
) -> list[Json]:
    """Sources with producers, validator and real last job, in a fixed number of queries."""
    last_jobs = jobs_repo.last_for_sources(session, (s.id for s in sources if s.id))
    related = presenters.SourceRelations(
        users=users_repo.by_ids(
            session,
            [s.owner_id for s in sources if s.owner_id]
            + [s.validation_by_id for s in sources if s.validation_by_id],
        ),
        organizations=orgs_repo.by_ids(
            session, (s.organization_id for s in sources if s.organization_id)
        ),
        last_jobs=last_jobs,
        job_errors=errors_repo.of_jobs(session, (j.id for j in last_jobs.values())),
    )
    return [presenters.present_source(s, related, caller) for s in sources]


def present_one(session: Session, caller: Caller, source: HarvestSource) -> Json:
    return present_sources(session, caller, [source])[0]


@dataclass(frozen=True, slots=True)
class SourceQuery:
    deleted: bool = False
    owner: str | None = None
    """A user or an organization id (the reference's wording)."""
    organization: str | None = None
    q: str | None = None
    scheduled: bool = False
    """Only sources with a cron or interval schedule (the CLI's `sources --scheduled`)."""


def _identifier_filter(name: str, value: str | None) -> str | None:
    if value is None or not value.strip():
        return None
    if not is_object_id(value.strip()):
        raise InvalidInput(f"`{name}` must be an identifier", field=name)
    return value.strip()


def list_sources(session: Session, caller: Caller, query: SourceQuery, paging: PageRequest) -> Page:
    filters = sources_repo.SourceFilters(
        include_deleted=query.deleted,
        producer_id=_identifier_filter("owner", query.owner),
        organization_id=_identifier_filter("organization", query.organization),
        q=query.q.strip() if query.q and query.q.strip() else None,
        scheduled=query.scheduled,
    )
    rows, total = sources_repo.page(session, filters, paging.page, paging.page_size)
    return make_page(present_sources(session, caller, rows), total, paging)


def get_source(session: Session, caller: Caller, segment: str) -> Json:
    return present_one(session, caller, resolve_source(session, segment))


# --------------------------------------------------------------------------- writing


def _unique_slug(session: Session, name: str, own_id: str | None = None) -> str:
    """`name` slugified, with `-1`, `-2`... on collision; deleted sources keep theirs."""
    base = slugify(name)[:SLUG_MAX_BASE].strip("-") or "source"
    candidate, counter = base, 0
    while True:
        holder = sources_repo.by_slug(session, candidate)
        if holder is None or holder.id == own_id:
            return candidate
        counter += 1
        candidate = f"{base}-{counter}"


def _blank_to_none(value: Any) -> Any:
    if isinstance(value, str) and not value.strip():
        return None
    return value.strip() if isinstance(value, str) else value


@dataclass
class _Checked:
    """The outcome of checking a write: the values to store, or the errors by field."""

    values: dict[str, Any]
    errors: dict[str, str]

    def fail_if_any(self) -> None:
        if self.errors:
            first = next(iter(self.errors.values()))
            raise InvalidInput(first, errors=self.errors)


def _check_fields(
    settings: Settings, changes: Mapping[str, Any], stored: HarvestSource | None
) -> _Checked:
    """Name, description, url, backend and config of a create (`stored` None) or an update."""
    checked = _Checked(values={}, errors={})
    creating = stored is None

    if creating or "name" in changes:
        name = _blank_to_none(changes.get("name"))
        if name is None:
            checked.errors["name"] = REQUIRED
        elif len(name) > NAME_MAX_LENGTH:
            checked.errors["name"] = "String value is too long"
        else:
            checked.values["name"] = name

    if "description" in changes:
        checked.values["description"] = _blank_to_none(changes.get("description"))

    if creating or "url" in changes:
        url = _blank_to_none(changes.get("url"))
        problem = (
            REQUIRED if url is None else outbound_url_problem(url, settings.outbound_allow_networks)
        )
        if problem:
            checked.errors["url"] = problem
        else:
            checked.values["url"] = url

    # The backend is re-checked on every write, even one that does not touch it: a source
    # whose backend was disabled cannot be saved until it is moved to an enabled one.
    backend = _blank_to_none(changes.get("backend")) if "backend" in changes else None
    if backend is None and not creating and "backend" not in changes:
        backend = stored.backend if stored is not None else None
    enabled = enabled_backends(settings.harvest.backends)
    if backend is None:
        checked.errors["backend"] = REQUIRED
    elif backend not in enabled:
        checked.errors["backend"] = f'Unknown backend "{backend}"'
    else:
        checked.values["backend"] = backend

    config: Any = changes.get("config") if "config" in changes else None
    if config is None:
        config = {} if stored is None or "config" in changes else dict(stored.config or {})
    if backend in enabled:
        problems = validate_config(config, enabled[backend].info)
        if problems:
            checked.errors["config"] = "; ".join(problems)
        else:
            checked.values["config"] = dict(config)

    for flag in ("active", "autoarchive"):
        if flag in changes:
            checked.values[flag] = changes[flag]
    if "credentials" in changes:
        _check_credentials(settings, changes["credentials"], checked)
    elif stored is not None and stored.credentials_kind and _moves_origin(stored, checked):
        # Credentials were given for one origin: a URL moved elsewhere (by a co-admin, say)
        # must not carry them there. Sending them again with the new URL keeps them.
        checked.values["credentials_kind"] = None
        checked.values["credentials_token"] = None
    return checked


def _moves_origin(stored: HarvestSource, checked: _Checked) -> bool:
    new_url = checked.values.get("url")
    return new_url is not None and origin_of(new_url) != origin_of(stored.url)


def _check_credentials(settings: Settings, payload: Any, checked: _Checked) -> None:
    """Encrypt new credentials; null (or `{"set": false}`) removes them; the read shape
    `{"type": ..., "set": true}` sent back by a read-modify-write client keeps them."""
    if isinstance(payload, Mapping) and "set" in payload and set(payload) <= {"type", "set"}:
        if payload["set"] is True:
            return
        payload = None
    if payload is None:
        checked.values["credentials_kind"] = None
        checked.values["credentials_token"] = None
        return
    try:
        credentials = parse_credentials(payload)
    except InvalidCredentials as exc:
        checked.errors["credentials"] = str(exc)
        return
    checked.values["credentials_kind"] = credentials.kind
    checked.values["credentials_token"] = seal(settings, credentials)


def _producers_for_create(
    session: Session,
    caller: Caller,
    changes: Mapping[str, Any],
    checked: _Checked,
    *,
    saving: bool,
) -> None:
    """Owner/organization of a new source: 400s first, then the org-admin 403
    (docs/udata-behaviour.md §4.3). A source that is only previewed (`saving` false) may stay
    without a producer."""
    user = require_authenticated(caller)
    owner_id = _blank_to_none(changes.get("owner"))
    org_id = _blank_to_none(changes.get("organization"))
    if owner_id is not None:
        if not is_object_id(owner_id) or users_repo.by_id(session, owner_id) is None:
            checked.errors["owner"] = f"Unknown reference '{owner_id}'"
        elif owner_id != user.id and not caller.is_sysadmin:
            checked.errors["owner"] = "You can only set yourself as owner"
    if org_id is not None:
        if not is_object_id(org_id) or orgs_repo.by_id(session, org_id) is None:
            checked.errors["organization"] = f"Unknown reference '{org_id}'"
        elif not caller.is_sysadmin and not caller.is_org_member(org_id):
            checked.errors["organization"] = "Permission denied for this organization"
    if owner_id is not None and org_id is not None and "organization" not in checked.errors:
        checked.errors["organization"] = ONE_PRODUCER
    checked.fail_if_any()
    if org_id is not None and not caller.is_sysadmin and not caller.is_org_admin(org_id):
        raise Forbidden()
    checked.values["owner_id"] = owner_id if org_id is None else None
    checked.values["organization_id"] = org_id
    if owner_id is None and org_id is None:
        if user.id is None and saving:  # the system caller (operator commands) owns nothing
            raise InvalidInput(NO_PRODUCER, field="owner")
        checked.values["owner_id"] = user.id


def _producers_for_update(
    session: Session,
    caller: Caller,
    source: HarvestSource,
    changes: Mapping[str, Any],
    checked: _Checked,
) -> None:
    """Re-sending the stored producer is a no-op; changing it is for sysadmins only, and
    then the other producer field is cleared."""
    owner_id = source.owner_id
    org_id = source.organization_id
    for field, stored, label in (
        ("owner", source.owner_id, "owner"),
        ("organization", source.organization_id, "organization"),
    ):
        if field not in changes:
            continue
        wanted = _blank_to_none(changes[field])
        if wanted == stored:
            continue
        if not caller.is_sysadmin:
            checked.errors[field] = f"Cannot modify {label} after creation"
            continue
        exists = users_repo.by_id if field == "owner" else orgs_repo.by_id
        if wanted is not None and (not is_object_id(wanted) or exists(session, wanted) is None):
            checked.errors[field] = f"Unknown reference '{wanted}'"
            continue
        if field == "owner":
            owner_id = wanted
            if wanted is not None and "organization" not in changes:
                org_id = None
        else:
            org_id = wanted
            if wanted is not None and "owner" not in changes:
                owner_id = None
    if not checked.errors and (owner_id is None) == (org_id is None):
        checked.errors["owner" if "owner" in changes else "organization"] = ONE_PRODUCER
    checked.values["owner_id"] = owner_id
    checked.values["organization_id"] = org_id


def check_new_source(
    session: Session,
    settings: Settings,
    caller: Caller,
    changes: Mapping[str, Any],
    *,
    saving: bool = True,
) -> dict[str, Any]:
    """The column values of a source to create (or, `saving` false, to preview), or
    400/401/403."""
    require_authenticated(caller)
    checked = _check_fields(settings, changes, None)
    _producers_for_create(session, caller, changes, checked, saving=saving)
    checked.fail_if_any()
    return checked.values


def create_source(
    session: Session, settings: Settings, caller: Caller, changes: Mapping[str, Any]
) -> Json:
    values = check_new_source(session, settings, caller, changes)
    source = add_with_free_slug(
        session,
        lambda slug: HarvestSource(**values, slug=slug),
        lambda: _unique_slug(session, values["name"]),
    )
    return present_one(session, caller, source)


def update_source(
    session: Session,
    settings: Settings,
    caller: Caller,
    segment: str,
    changes: Mapping[str, Any],
) -> Json:
    """Partial update: only the keys sent are written; read-only keys were dropped before."""
    source = resolve_source(session, segment)
    require_owner_admin(caller, source)
    checked = _check_fields(settings, changes, source)
    _producers_for_update(session, caller, source, changes, checked)
    checked.fail_if_any()
    new_name = checked.values.get("name")
    if new_name is not None and new_name != source.name:
        slug = _unique_slug(session, new_name, own_id=source.id)
        if slug != source.slug:
            sources_repo.remember_former_slug(session, source.slug, source.id)
            source.slug = slug
    for key, value in checked.values.items():
        setattr(source, key, value)
    session.flush()
    return present_one(session, caller, source)


def delete_source(session: Session, caller: Caller, segment: str) -> None:
    """Soft delete: jobs, schedule and harvested objects stay until the purge."""
    source = resolve_source(session, segment)
    require_owner_admin(caller, source)
    source.deleted_at = datetime.now(UTC)
    session.flush()
