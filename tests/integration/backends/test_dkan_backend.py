"""The DKAN backend against a loopback DKAN 7 API replaying opendata.hautsdefrance.fr."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime

import httpx
import pytest
from tests.conftest import SHARED_FIXTURES
from tests.integration.backends.ckan_server import Canned, CkanReplayServer

from moisson.backends import all_backends
from moisson.backends.dkan import DkanBackend
from moisson.domain.drafts import ContactPointDraft, DatasetDraft
from moisson.domain.enums import ContactRole, Frequency
from moisson.harvest.context import make_context

HAUTS_DE_FRANCE = SHARED_FIXTURES / "dkan" / "hautsdefrance" / "dkan-french-w-license.json"
NAME = "antennes-regionales-de-la-region-hauts-de-france-au-01102019-0"


@pytest.fixture
def client() -> Iterator[httpx.Client]:
    with httpx.Client(timeout=10) as client:
        yield client


@pytest.fixture
def harvested(client: httpx.Client) -> Iterator[tuple[CkanReplayServer, list[DatasetDraft]]]:
    show = {"fake-name": Canned(body=HAUTS_DE_FRANCE.read_bytes())}
    with CkanReplayServer(names=["fake-name"], show=show) as server:
        ctx = make_context(DkanBackend.info, server.url, client)
        backend = DkanBackend()
        records = list(backend.gather(ctx))
        assert [r.remote_id for r in records] == ["04be6288-696d-4331-850d-a144871a7e3a"]
        yield server, [backend.map(r, ctx) for r in records]


class TestHautsDeFrance:
    def test_requests(self, harvested: tuple[CkanReplayServer, list[DatasetDraft]]) -> None:
        server, _ = harvested
        # DKAN 7 has no package_search: straight to package_list and package_show.
        assert server.counts == {"package_list": 1, "package_show": 1}
        assert server.requests[1][1] == {"id": "fake-name"}

    def test_dataset(self, harvested: tuple[CkanReplayServer, list[DatasetDraft]]) -> None:
        _, (draft,) = harvested
        assert draft.title == "Antennes régionales de la Région Hauts-de-France (au 01/10/2019)"
        assert draft.description == (
            "Liste et coordonnées des antennes de proximité du conseil régional Hauts-de-France."
        )
        assert draft.harvest.created_at == datetime(2019, 12, 10, 0, 0)
        assert draft.harvest.ckan_name == NAME
        assert draft.harvest.remote_url == f"https://opendata.hautsdefrance.fr/?q=dataset/{NAME}"
        assert draft.tags == (
            "administration",
            "adresse",
            "aisne",
            "antenne-regionale",
            "donnees-ouvertes",
            "hauts-de-france",
            "nord",
            "oise",
            "pas-de-calais",
            "politique-regionale",
            "proximite",
            "services-d-utilite-publique-et-services-publics",
            "somme",
        )
        # Every extra is copied raw, as udata copies them.
        assert len(draft.extras) == 23
        assert draft.extras["frequency-of-update"] == "asNeeded"
        assert draft.extras["spatial_harvester"] == "true"

    def test_beyond_udata(self, harvested: tuple[CkanReplayServer, list[DatasetDraft]]) -> None:
        """What udata leaves out of this record and we keep (README, "More than udata")."""
        _, (draft,) = harvested
        # ckanext-spatial's ISO 19115 maintenance code.
        assert draft.frequency == Frequency.PUNCTUAL
        # The bbox-* extras.
        assert draft.spatial is not None
        assert draft.spatial.geom == {
            "type": "MultiPolygon",
            "coordinates": [
                [
                    [
                        [1.18652344, 48.80546301],
                        [4.65820313, 48.80546301],
                        [4.65820313, 51.16423318],
                        [1.18652344, 51.16423318],
                        [1.18652344, 48.80546301],
                    ]
                ]
            ],
        }
        # The historical Licence Ouverte page.
        assert draft.license == "fr-lo"
        # maintainer*, responsible-party + contact-email, author_email.
        assert draft.contact_points == (
            ContactPointDraft(
                name="Opendata de la Région Hauts-de-France",
                email="opendata@hautsdefrance.fr",
                role=ContactRole.CONTACT,
            ),
            ContactPointDraft(
                name="Région Hauts-de-France",
                email="sig@hautsdefrance.fr",
                role=ContactRole.CONTACT,
            ),
            ContactPointDraft(email="sig@hautsdefrance.fr", role=ContactRole.CREATOR),
        )
        # dataset-reference-date `revision` (metadata_modified stays unread, as in udata).
        assert draft.harvest.modified_at == datetime(2019, 10, 1)

    def test_resources(self, harvested: tuple[CkanReplayServer, list[DatasetDraft]]) -> None:
        _, (draft,) = harvested
        assert len(draft.resources) == 2
        xlsx, viewer = draft.resources
        assert "xlsx" in [r.format for r in draft.resources]
        assert xlsx.title == "coordonnees_antennes.xlsx"
        assert xlsx.mime == "xlsx"
        assert xlsx.filesize == 42
        assert xlsx.description == "Tableau des données"
        assert xlsx.harvest.remote_id == "33f30271-cd5c-49ae-b44b-595caae16126"
        assert xlsx.harvest.issued_at is not None
        assert xlsx.harvest.issued_at.date().isoformat() == "2019-12-19"
        assert xlsx.harvest.modified_at is not None
        assert xlsx.harvest.modified_at.date().isoformat() == "2019-12-19"
        assert viewer.title == "Visionneuse mviewer"
        assert viewer.url == "https://sig.hautsdefrance.fr/ext/mv/?config=antenne_regionale.xml#"
        assert viewer.format is None
        assert viewer.filesize is None
        assert viewer.harvest.remote_id == "ab5948b1-95be-4806-ad8d-efaa9ffe43dc"


def test_declarations() -> None:
    assert all_backends()["dkan"] is DkanBackend
    assert DkanBackend.info.as_api() == {
        "id": "dkan",
        "label": "DKAN",
        "filters": [],
        "features": [],
        "extra_configs": [],
    }


def test_empty_show_list_fails_only_its_record(client: httpx.Client) -> None:
    show = {"gone": Canned(body={"success": True, "result": []})}
    with CkanReplayServer(names=["gone"], show=show) as server:
        ctx = make_context(DkanBackend.info, server.url, client)
        (record,) = DkanBackend().gather(ctx)
    assert record.remote_id == "gone"
    assert record.failure == "package_show returned no package for gone"
