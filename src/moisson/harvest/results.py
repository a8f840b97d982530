"""What a preview returns: the job as it would have been, with its items and mapped objects.

The ORM objects here are detached snapshots taken before the preview's transaction was rolled
back: nothing of them exists in the database. `job.id` must be shown as null.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from moisson.storage.models import (
    Dataservice,
    Dataset,
    HarvestErrorRow,
    HarvestItem,
    HarvestJob,
    HarvestLogRow,
)


@dataclass
class PreviewItem:
    item: HarvestItem
    errors: list[HarvestErrorRow] = field(default_factory=list)
    logs: list[HarvestLogRow] = field(default_factory=list)
    dataset: Dataset | None = None
    """With `resources` loaded."""
    dataservice: Dataservice | None = None


@dataclass
class PreviewResult:
    job: HarvestJob
    errors: list[HarvestErrorRow] = field(default_factory=list)
    items: list[PreviewItem] = field(default_factory=list)
