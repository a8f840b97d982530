"""The engine's queries on harvested objects: matching, slugs, links, autoarchive, contacts."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import cast

from sqlalchemy import ColumnElement, exists, func, or_, select
from sqlalchemy.orm import Session, selectinload
from sqlalchemy.orm.interfaces import ORMOption

from moisson.storage.models import (
    Dataservice,
    Dataset,
    HarvestRecord,
    Organization,
    User,
)
from moisson.storage.repositories import bulk

Harvested = Dataset | Dataservice
HarvestedModel = type[Dataset] | type[Dataservice]


def _with_resources(model: HarvestedModel) -> list[ORMOption]:
    return [selectinload(Dataset.resources)] if model is Dataset else []


def by_id(session: Session, model: HarvestedModel, object_id: str) -> Harvested | None:
    """The object, with its resources loaded if it is a dataset."""
    return cast(Harvested | None, session.get(model, object_id, options=_with_resources(model)))


def dataset_with_resources(session: Session, dataset_id: str) -> Dataset | None:
    return session.get(Dataset, dataset_id, options=_with_resources(Dataset))


def dataservice(session: Session, dataservice_id: str) -> Dataservice | None:
    return session.get(Dataservice, dataservice_id)


def same_source(
    model: type[Dataset] | type[Dataservice], source_id: str | None, domain: str
) -> ColumnElement[bool]:
    """Objects harvested from this source: by source id, or by domain
    (docs/udata-behaviour.md §6.5)."""
    by_domain = model.harvest_domain == domain
    if source_id is None:
        return by_domain
    return or_(by_domain, model.harvest_source_id == source_id)


def find_by_remote_id(
    session: Session,
    model: HarvestedModel,
    remote_id: str,
    *,
    anywhere: bool,
    source_id: str | None,
    domain: str,
) -> Harvested | None:
    """The first object with this remote id: from any source when `anywhere` (URI ids),
    else from this source or domain. Oldest first, so the choice is stable."""
    stmt = select(model).where(model.harvest_remote_id == remote_id)
    if not anywhere:
        stmt = stmt.where(same_source(model, source_id, domain))
    stmt = stmt.order_by(model.created_at, model.id).limit(1)
    return cast(Harvested | None, session.scalars(stmt.options(*_with_resources(model))).first())


def slug_in_use(session: Session, model: HarvestedModel, base: str) -> set[str]:
    """Slugs of `model` equal to `base` or shaped `base-N`; empty when `base` is free.

    The `LIKE` cannot use the slug index (an ESCAPE clause defeats SQLite's LIKE optimisation,
    a linguistic collation PostgreSQL's), so it only runs when `base` itself is taken: the
    common case, a new title, costs one indexed lookup instead of a table scan."""
    if session.scalar(select(model.slug).where(model.slug == base).limit(1)) is None:
        return set()
    return slug_family(session, model, base)


def slug_family(session: Session, model: HarvestedModel, base: str) -> set[str]:
    """Slugs of `model` equal to `base` or shaped `base-N` (a `LIKE`: not indexed)."""
    escaped = base.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    stmt = select(model.slug).where(
        or_(model.slug == base, model.slug.like(f"{escaped}-%", escape="\\"))
    )
    return set(session.scalars(stmt))


def served_dataset_ids(
    session: Session, remote_ids: Iterable[str], *, source_id: str | None, domain: str
) -> list[str]:
    """Ids of this source's datasets for each remote id, in order: an exact remote id first,
    else one whose remote id ends with it (a relative identifier); unknown ones are left out."""
    found: list[str] = []
    for remote_id in remote_ids:
        if not remote_id:
            continue
        mine = same_source(Dataset, source_id, domain)
        exact = session.scalars(
            select(Dataset.id)
            .where(mine, Dataset.harvest_remote_id == remote_id)
            .order_by(Dataset.created_at)
            .limit(1)
        ).first()
        if exact is None:
            escaped = remote_id.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
            exact = session.scalars(
                select(Dataset.id)
                .where(mine, Dataset.harvest_remote_id.like(f"%{escaped}", escape="\\"))
                .order_by(Dataset.created_at)
                .limit(1)
            ).first()
        if exact is not None and exact not in found:
            found.append(exact)
    return found


def archive_candidates(
    session: Session, model: HarvestedModel, source_id: str, cutoff: datetime
) -> list[Harvested]:
    """Objects of the source not updated since `cutoff` and whose record was not seen since
    (an unchanged record refreshes its `HarvestRecord`, not its object). Oldest first."""
    seen_recently = exists().where(
        HarvestRecord.source_id == source_id,
        HarvestRecord.remote_id == model.harvest_remote_id,
        HarvestRecord.updated_at >= cutoff,
    )
    stmt = select(model).where(
        model.harvest_source_id == source_id,
        or_(model.harvest_last_update.is_(None), model.harvest_last_update < cutoff),
        ~seen_recently,
    )
    found: list[Harvested] = list(session.scalars(stmt.order_by(model.created_at, model.id)))
    return found


def count_live(session: Session, model: type[Dataset] | type[Dataservice], source_id: str) -> int:
    stmt = select(func.count()).where(
        model.harvest_source_id == source_id,
        model.archived_at.is_(None),
        model.deleted_at.is_(None),
    )
    return int(session.scalar(stmt) or 0)


def contact_point(
    session: Session,
    *,
    name: str | None,
    email: str | None,
    contact_form: str | None,
    role: str,
    organization_id: str | None,
    owner_id: str | None,
) -> str:
    """The id of the producer's contact point with exactly these values, created if missing
    (decided by the database: two jobs creating it at once share one row)."""
    key = (name, email, contact_form, role, organization_id, owner_id)
    found, _created = bulk.get_or_create_contact_points(session, [key])
    return found[key]


def producer_label(session: Session, organization_id: str | None, owner_id: str | None) -> str:
    """How to name an object's producer in a message: `organization "Name" (id)`."""
    if organization_id is not None:
        org = session.get(Organization, organization_id)
        return f'organization "{org.name}" ({org.id})' if org else organization_id
    if owner_id is not None:
        user = session.get(User, owner_id)
        if user is None:
            return owner_id
        name = f"{user.first_name} {user.last_name}".strip() or user.slug
        return f'user "{name}" ({user.id})'
    return "nobody"


@dataclass(frozen=True, slots=True)
class ObjectState:
    """What decides whether a recorded object can be reused as is, without loading it."""

    id: str
    harvest_source_id: str | None
    harvest_remote_id: str | None
    harvest_remote_url: str | None
    archived: bool


def object_states(
    session: Session, model: HarvestedModel, object_ids: Iterable[str]
) -> dict[str, ObjectState]:
    """`ObjectState` of each existing object among `object_ids`, one query per 500 ids."""
    ids = list(dict.fromkeys(object_ids))
    found: dict[str, ObjectState] = {}
    for start in range(0, len(ids), 500):
        rows = session.execute(
            select(
                model.id,
                model.harvest_source_id,
                model.harvest_remote_id,
                model.harvest_remote_url,
                model.archived_at,
                model.harvest_archived_at,
            ).where(model.id.in_(ids[start : start + 500]))
        )
        for object_id, source_id, remote_id, remote_url, archived_at, harvest_archived_at in rows:
            found[object_id] = ObjectState(
                object_id,
                source_id,
                remote_id,
                remote_url,
                archived_at is not None or harvest_archived_at is not None,
            )
    return found


def remote_ids_in_use(
    session: Session, model: HarvestedModel, remote_ids: Iterable[str]
) -> set[str]:
    """Those of `remote_ids` that some object of `model` (of any source) carries."""
    ids = list(dict.fromkeys(remote_ids))
    found: set[str] = set()
    for start in range(0, len(ids), 500):
        found.update(
            session.scalars(
                select(model.harvest_remote_id)
                .where(model.harvest_remote_id.in_(ids[start : start + 500]))
                .distinct()
            )
        )
    return found
