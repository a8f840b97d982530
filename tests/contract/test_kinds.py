"""Whether a harvested thing is a dataset or a dataservice is asked of `harvest/kinds.py`,
not decided by class tests and enum comparisons spread through the harvest and storage."""

from __future__ import annotations

import re
from pathlib import Path

SRC = Path(__file__).resolve().parents[2] / "src" / "moisson"
SCANNED = ("harvest", "storage")
STRATEGY = SRC / "harvest" / "kinds.py"

#: A kind decided in place: a class test, or a comparison with one kind.
KIND_TEST = re.compile(
    r"isinstance\([^)]*\b(Dataset|Dataservice|DatasetDraft|DataserviceDraft)\b"
    r"|(==|!=|\bis)\s*ItemKind\.(DATASET|DATASERVICE)\b"
    r"|ItemKind\.(DATASET|DATASERVICE)\s*(==|!=|\bis)"
)

#: Where a class test stays, each for a reason the strategy cannot take over.
ALLOWED = {
    # The batch of new objects is for datasets only: narrowing the draft's type for it.
    ("harvest/engine.py", "if isinstance(draft, DatasetDraft) and not self.lookups.may_exist("),
    # What the mapping returned is a draft at all (a backend's contract, not a kind).
    ("harvest/engine.py", "if not isinstance(draft, DatasetDraft | DataserviceDraft):"),
    # Resources exist on datasets only: the type narrowing reads them.
    ("harvest/url_checks.py", "if isinstance(draft, DatasetDraft):"),
    ("harvest/quality.py", "if isinstance(draft, DatasetDraft):"),
    ("harvest/reconcile.py", "if isinstance(obj, Dataset):"),
}


def kind_tests() -> list[tuple[str, str]]:
    found = []
    for top in SCANNED:
        for path in sorted((SRC / top).rglob("*.py")):
            if path == STRATEGY:
                continue
            for line in path.read_text(encoding="utf-8").splitlines():
                if KIND_TEST.search(line):
                    found.append((str(path.relative_to(SRC)), line.strip()))
    return found


def test_only_the_strategy_asks_what_kind_a_thing_is() -> None:
    assert [found for found in kind_tests() if found not in ALLOWED] == []


def test_the_check_sees_kind_tests() -> None:
    assert KIND_TEST.search("if isinstance(obj, Dataservice):")
    assert KIND_TEST.search("if outcome.kind == ItemKind.DATASET:")
    assert not KIND_TEST.search("kind=kinds.DATASETS.item,")
    assert set(kind_tests()) == ALLOWED  # every allowance is still needed
