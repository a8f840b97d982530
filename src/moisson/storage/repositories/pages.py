"""`HarvestPage` rows behind the `moisson.domain.pages.PageCache` protocol."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import delete
from sqlalchemy.orm import Session, sessionmaker

from moisson.domain.enums import ItemKind
from moisson.domain.pages import CachedPage
from moisson.storage.models import HarvestPage


def clear_pages(session: Session, source_ids: Iterable[str]) -> None:
    """Forget the cached pages of these sources: their next run reads every page again."""
    ids = list(source_ids)
    if ids:
        session.execute(delete(HarvestPage).where(HarvestPage.source_id.in_(ids)))


class DbPageCache:
    """The page cache of one source, written in the caller's session.

    With `reads`, a read is made in a short read-only session of its own: a backend asks
    the cache between two page fetches, so a read in the caller's session would leave its
    transaction open across the next network wait."""

    def __init__(
        self, session: Session, source_id: str, *, reads: sessionmaker[Session] | None = None
    ) -> None:
        self.session = session
        self.source_id = source_id
        self.reads = reads

    def get(self, key: str) -> CachedPage | None:
        if self.reads is None:
            return self._get(self.session, key)
        with self.reads() as session:
            page = self._get(session, key)
            session.rollback()
        return page

    def _get(self, session: Session, key: str) -> CachedPage | None:
        row = session.get(HarvestPage, (self.source_id, key))
        if row is None:
            return None
        return CachedPage(
            key=row.key,
            digest=row.digest,
            records=tuple((str(rid), ItemKind(kind)) for rid, kind in row.records),
            next_key=row.next_key,
            etag=row.etag,
            last_modified=row.last_modified,
        )

    def put(self, page: CachedPage) -> None:
        row = self.session.get(HarvestPage, (self.source_id, page.key))
        if row is None:
            row = HarvestPage(source_id=self.source_id, key=page.key)
            self.session.add(row)
        row.digest = page.digest
        row.records = [[rid, str(kind)] for rid, kind in page.records]
        row.next_key = page.next_key
        row.etag = page.etag
        row.last_modified = page.last_modified
