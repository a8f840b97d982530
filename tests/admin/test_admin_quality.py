"""The admin shows the quality assessment: per source (bands chart, datasets to fix), per
dataset (score and results) and per job item (violations)."""

from __future__ import annotations

from sqlalchemy.orm import Session
from tests.admin.conftest import Browser
from tests.admin.seed import People, make_harvest, make_source

from moisson.storage.models import QualityAssessment

VIOLATION = {
    "severity": "Violation",
    "focus": "https://data.example.test/arbres",
    "path": "http://purl.org/dc/terms/description",
    "message": "dct:description: required, at least 1 value(s) expected",
    "component": "MinCount",
    "value": None,
}
MQA = {
    "score": 140,
    "band": "sufficient",
    "dimensions": {},
    "met": ["keywordAvailability", "licenceAvailability"],
    "unchecked": [],
}


def assessed(db: Session, people: People) -> tuple[str, str, str]:
    source = make_source(db, "Arbres", people.owner.user)
    harvest = make_harvest(db, source)
    harvest.done_item.quality = {
        "conforms": False, "violations": 1, "warnings": 2, "results": [VIOLATION], "mqa": MQA,
    }  # fmt: skip
    db.add(
        QualityAssessment(
            source_id=source.id,
            dataset_id=harvest.dataset.id,
            job_id=harvest.job.id,
            score=140,
            band="sufficient",
            violations=1,
            warnings=2,
            mqa=MQA,
            results=[VIOLATION],
        )
    )
    db.commit()
    return source.id, harvest.dataset.id, harvest.job.id


def test_source_page_shows_bands_and_datasets_to_fix(
    browser: Browser, people: People, db: Session
) -> None:
    source_id, dataset_id, _ = assessed(db, people)
    browser.sign_in(people.owner.key)
    html = browser.page(f"/admin/sources/{source_id}")
    assert "MQA average <strong>140.0</strong> / 405 over 1 dataset(s)" in html
    assert 'aria-label="Datasets per MQA rating band"' in html
    assert "<title>sufficient: 1</title>" in html
    assert f'href="/admin/datasets/{dataset_id}"' in html
    assert "<code>accessUrlStatusCode</code>" in html  # met by none, worth most points


def test_dataset_and_job_pages_show_the_results(
    browser: Browser, people: People, db: Session
) -> None:
    _, dataset_id, job_id = assessed(db, people)
    browser.sign_in(people.owner.key)
    dataset = browser.page(f"/admin/datasets/{dataset_id}")
    assert "MQA <strong>140</strong> / 405 (sufficient)" in dataset
    assert "dct:description: required, at least 1 value(s) expected" in dataset
    job = browser.page(f"/admin/jobs/{job_id}")
    assert "DCAT-AP: 1 violation(s), 2 warning(s)" in job
    assert "dct:description: required" in job
