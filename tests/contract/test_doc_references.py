"""Every comment and docstring cites a document inside the repository, by a section that exists.

Citations read `docs/<name>.md §N.M` (several sections: `§2.3, §10.9`, `§9.2 and §9.3`,
`(§4.3, §4.5)`). A section exists when the document has a heading numbered `N.M`, or when
section `N` has an `M.` item in a numbered list.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
DOCS = ROOT / "docs"
SCANNED = ("src", "tests", "bench")
THIS_FILE = Path(__file__).resolve()

SECTION = r"§\d+(?:\.\d+)*"
SEPARATOR = r"(?:,|\s+and)\s+(?:#:?\s+)?"
CITATION = re.compile(
    rf"docs/(?P<doc>[\w-]+\.md) \(?(?P<sections>{SECTION}(?:{SEPARATOR}{SECTION})*)"
)
HEADING = re.compile(r"^#+\s+(\d+(?:\.\d+)*)\.?\s")
TOP_HEADING = re.compile(r"^##\s+(\d+)\.?\s")
LIST_ITEM = re.compile(r"^(\d+)\.\s")

#: What a reader of the repository cannot follow: notes kept outside it.
OUTSIDE = {
    "DESIGN.md": re.compile(r"DESIGN\.md|\bDESIGN \d"),
    "STYLE.md": re.compile(r"STYLE\.md|\bSTYLE \d"),
    "../shared": re.compile(r"\.\./shared"),
    "behaviour spec": re.compile(r"behaviour spec"),
    "backends spec": re.compile(r"backends spec"),
    "bare spec N": re.compile(r"\bspec \(?\d"),
}


def sections_of(doc: Path) -> set[str]:
    """The section numbers a citation of `doc` may name."""
    found: set[str] = set()
    top: str | None = None
    for line in doc.read_text(encoding="utf-8").splitlines():
        if heading := HEADING.match(line):
            found.add(heading.group(1))
            top_heading = TOP_HEADING.match(line)
            top = top_heading.group(1) if top_heading else None
        elif top is not None and (item := LIST_ITEM.match(line)):
            found.add(f"{top}.{item.group(1)}")
    return found


def scanned_files(*tops: str) -> Iterator[Path]:
    for top in tops:
        for path in sorted((ROOT / top).rglob("*")):
            if path.suffix in {".py", ".md"} and path.is_file() and path.resolve() != THIS_FILE:
                yield path


def citations(paths: Iterator[Path]) -> Iterator[tuple[str, str, str]]:
    """(where, document, section number) of every section cited in `paths`."""
    for path in paths:
        text = path.read_text(encoding="utf-8")
        for match in CITATION.finditer(text):
            line = text.count("\n", 0, match.start()) + 1
            where = f"{path.relative_to(ROOT)}:{line}"
            for number in re.findall(r"§(\d+(?:\.\d+)*)", match.group("sections")):
                yield where, match.group("doc"), number


def broken_citations(found: list[tuple[str, str, str]]) -> list[str]:
    indexes: dict[str, set[str] | None] = {}
    problems = []
    for where, doc, number in found:
        if doc not in indexes:
            path = DOCS / doc
            indexes[doc] = sections_of(path) if path.is_file() else None
        index = indexes[doc]
        if index is None:
            problems.append(f"{where}: docs/{doc} does not exist")
        elif number not in index:
            problems.append(f"{where}: docs/{doc} has no section {number}")
    return problems


def test_the_code_cites_the_docs_by_section() -> None:
    found = list(citations(scanned_files("src")))
    assert len(found) >= 100, f"only {len(found)} section citations found in src/"
    assert {doc for _, doc, _ in found} >= {"udata-behaviour.md", "udata-backends.md", "design.md"}


def test_every_cited_section_exists() -> None:
    found = list(citations(scanned_files(*SCANNED)))
    assert broken_citations(found) == []


def test_a_missing_section_or_document_is_reported() -> None:
    found = [
        ("a.py:1", "udata-backends.md", "2.3.1"),
        ("a.py:2", "udata-backends.md", "10.9"),  # item 9 of the list of section 10
        ("a.py:3", "udata-backends.md", "2.3.9"),
        ("a.py:4", "udata-behaviour.md", "99"),
        ("a.py:5", "nowhere.md", "1"),
    ]
    assert broken_citations(found) == [
        "a.py:3: docs/udata-backends.md has no section 2.3.9",
        "a.py:4: docs/udata-behaviour.md has no section 99",
        "a.py:5: docs/nowhere.md does not exist",
    ]


def test_citation_lists_are_read_in_full() -> None:
    text = "(docs/udata-backends.md §2.3, §10.9) and docs/design.md (§3 and\n    # §4)."
    read = [(m.group("doc"), m.group("sections")) for m in CITATION.finditer(text)]
    assert read == [("udata-backends.md", "§2.3, §10.9"), ("design.md", "§3 and\n    # §4")]


def test_nothing_cites_notes_outside_the_repository() -> None:
    problems = []
    for path in scanned_files(*SCANNED):
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            for name, pattern in OUTSIDE.items():
                if pattern.search(line):
                    problems.append(f"{path.relative_to(ROOT)}:{number}: {name}: {line.strip()}")
    assert problems == []
