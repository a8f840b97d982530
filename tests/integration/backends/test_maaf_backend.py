"""The `maaf` backend against a real loopback server rendering Apache listings of the
shared MAAF tree (and hand-made hostile listings)."""

from __future__ import annotations

import logging
import socket
from datetime import datetime
from pathlib import Path

import httpx
import pytest
from tests.conftest import SHARED_FIXTURES
from tests.harvesting import Outcome, captured, gather_and_map
from tests.integration.backends.directory_server import DirectoryServer, Reply, apache_listing

from moisson.backends import all_backends
from moisson.backends.directory_listing import MAX_DEPTH
from moisson.backends.maaf import FETCH_CONCURRENCY, PREFETCH_WINDOW, MaafBackend
from moisson.domain.drafts import Checksum, ContactPointDraft, DatasetDraft, SpatialCoverage
from moisson.domain.enums import ChecksumType, ContactRole, Frequency, ItemKind
from moisson.domain.exceptions import SourceInvalid
from moisson.domain.records import content_hash
from moisson.harvest.context import RunContext, make_context
from moisson.mapping.maaf import CERTIFICATE_NOTE

ALIM_ID = "MINAGRI-ALIM-EPHY-Les_produits_phyto-pharmaceutiques_vus_par_leurs_substances"
SIAL_ID = "MINAGRI-SIAL-EPHY-Les_produits_phytopharmaceutiques_vues_par_leur_substances"
ALIM_DIR = "/maaf/ETALAB/ALIM/EPHY/"
ALIM_XML = f"{ALIM_DIR}{ALIM_ID}.xml"
ALIM_FILE = f"{ALIM_DIR}{ALIM_ID}_2013-11-26"
SIAL_XML = f"/maaf/ETALAB/SIAL/EPHY/{SIAL_ID}.xml"


def tree_file(path: str) -> Path:
    """The shared fixture file served at `path` (under `/maaf/`)."""
    return SHARED_FIXTURES / "maaf" / "tree" / path.removeprefix("/maaf/")


CSV_SHA256 = tree_file(f"{ALIM_FILE}.cle").read_text()


def harvest(ctx: RunContext) -> list[Outcome]:
    """gather, then map each record, keeping item errors and item logs (as the engine does)."""
    return gather_and_map(MaafBackend(), ctx, logs=True)


def serve_many_descriptors(server: DirectoryServer, count: int) -> None:
    """`/many/` lists `count` descriptors `d000.xml`, `d001.xml`…, each a copy of the ALIM
    one whose identifier is `D<number>-` + `ALIM_ID`."""
    alim = tree_file(ALIM_XML).read_bytes().replace(b"{{BASE}}", server.base_url.encode())

    def many(target: str) -> Reply | None:
        if target.startswith("/many/d") and target.endswith(".xml"):
            number = target[len("/many/d") : -len(".xml")]
            body = alim.replace(b"<id>MINAGRI-ALIM", f"<id>D{number}-MINAGRI-ALIM".encode())
            return Reply(content_type="application/xml", body=body)
        return None

    server.routes.append(many)
    names = [(f"d{n:03}.xml", False) for n in range(count)]
    server.overrides["/many/"] = Reply(body=apache_listing("/many/", names).encode())


@pytest.fixture
def context_for(http_client: httpx.Client):
    def build(url: str) -> RunContext:
        return make_context(
            MaafBackend.info, url, http_client, log=logging.getLogger("tests.maaf.backend")
        )

    return build


def test_backend_is_registered_with_its_declarations() -> None:
    assert all_backends()["maaf"] is MaafBackend
    assert MaafBackend.info.label == "MAAF"
    assert MaafBackend.info.verify_tls is False
    assert MaafBackend.info.as_api() == {
        "id": "maaf",
        "label": "MAAF",
        "filters": [],
        "features": [],
        "extra_configs": [],
    }


class TestCrawl:
    def test_every_descriptor_of_the_tree_in_listing_order(
        self, maaf_server: DirectoryServer, context_for
    ) -> None:
        records = list(MaafBackend().gather(context_for(f"{maaf_server.base_url}/maaf/")))

        assert [r.remote_id for r in records] == [ALIM_ID, SIAL_ID]
        assert [r.url for r in records] == [
            f"{maaf_server.base_url}{ALIM_XML}",
            f"{maaf_server.base_url}{SIAL_XML}",
        ]
        assert {r.kind for r in records} == {ItemKind.DATASET}
        # Data files are never downloaded; only listings, descriptors and the needed .cle.
        fetched = set(maaf_server.paths)
        assert f"{ALIM_FILE}.csv" not in fetched
        assert "/maaf/ETALAB/SIAL/LISEZMOI.txt" not in fetched
        assert "/maaf/ETALAB/SIAL/EPHY/notice.pdf" not in fetched
        assert maaf_server.paths.count(f"{ALIM_FILE}.cle") == 1

    def test_fancy_listings_give_the_same_records_and_sort_links_are_ignored(
        self, maaf_server: DirectoryServer, context_for
    ) -> None:
        maaf_server.fancy = True
        records = list(MaafBackend().gather(context_for(f"{maaf_server.base_url}/maaf/")))

        assert [r.remote_id for r in records] == [ALIM_ID, SIAL_ID]
        assert not [path for path in maaf_server.paths if "?" in path]

    def test_a_source_url_without_trailing_slash_is_a_directory(
        self, maaf_server: DirectoryServer, context_for
    ) -> None:
        records = list(MaafBackend().gather(context_for(f"{maaf_server.base_url}/maaf")))

        assert [r.remote_id for r in records] == [ALIM_ID, SIAL_ID]
        assert maaf_server.paths[0] == "/maaf/"

    def test_a_source_below_the_root_never_climbs_to_its_parent(
        self, maaf_server: DirectoryServer, context_for
    ) -> None:
        source = f"{maaf_server.base_url}/maaf/ETALAB/SIAL/"
        records = list(MaafBackend().gather(context_for(source)))

        assert [r.remote_id for r in records] == [SIAL_ID]
        assert all(path.startswith("/maaf/ETALAB/SIAL/") for path in maaf_server.paths)

    def test_links_out_of_the_tree_and_loops_are_not_followed(
        self, maaf_server: DirectoryServer, context_for
    ) -> None:
        base = maaf_server.base_url
        port = base.rsplit(":", 1)[1]
        hostile = [
            "/",  # parent directory, as Apache writes it
            "../",
            "./",
            "/negative/",
            "/negative/bad-frequency.xml",
            "/maaf/ETALAB/../../negative/",
            "%2e%2e/negative/",
            "..%2fnegative/",
            "http://catalog.invalid/maaf/ETALAB/",
            "http://catalog.invalid/descriptor.xml",
            f"https://127.0.0.1:{port}/maaf/ETALAB/",
            f"http://localhost:{port}/maaf/ETALAB/",
            f"http://user@127.0.0.1:{port}/maaf/ETALAB/",
            "ftp://127.0.0.1/maaf/ETALAB/",
            "?C=N;O=D",
            "ETALAB/?C=M;O=A",
            "#top",
            "ETALAB/",
            f"{ALIM_XML}",  # an absolute link to a descriptor listed elsewhere too
        ]
        listing = "".join(f'<li><a href="{href}">x</a></li>' for href in hostile)
        maaf_server.overrides["/maaf/"] = Reply(body=f"<ul>{listing}</ul>".encode())
        # A subdirectory linking back to the root and to itself.
        back = '<ul><li><a href="/maaf/">root</a></li><li><a href="/maaf/ETALAB/SIAL/">self</a>'
        back += '</li><li><a href="EPHY/">EPHY/</a></li></ul>'
        maaf_server.overrides["/maaf/ETALAB/SIAL/"] = Reply(body=back.encode())

        records = list(MaafBackend().gather(context_for(f"{base}/maaf/")))

        assert [r.remote_id for r in records] == [ALIM_ID, SIAL_ID]
        assert all(path.startswith("/maaf/") for path in maaf_server.paths)
        assert {request.host for request in maaf_server.requests} == {f"127.0.0.1:{port}"}
        assert maaf_server.paths.count("/maaf/") == 1
        assert maaf_server.paths.count("/maaf/ETALAB/SIAL/") == 1
        assert maaf_server.paths.count(ALIM_XML) == 1

    def test_an_endlessly_nested_directory_stops_at_the_depth_limit(
        self, maaf_server: DirectoryServer, context_for
    ) -> None:
        # What a server-side symlink loop looks like from outside: /maaf/loop/loop/loop/...
        def loop(target: str) -> Reply | None:
            if not target.startswith("/maaf/loop/"):
                return None
            return Reply(body=apache_listing(target, [("loop", True)]).encode())

        maaf_server.routes.append(loop)
        root = apache_listing("/maaf/", [("ETALAB", True), ("loop", True)])
        maaf_server.overrides["/maaf/"] = Reply(body=root.encode())
        ctx = context_for(f"{maaf_server.base_url}/maaf/")

        with captured(ctx.log) as logs:
            records = list(MaafBackend().gather(ctx))

        assert [r.remote_id for r in records] == [ALIM_ID, SIAL_ID]
        assert len([p for p in maaf_server.paths if p.startswith("/maaf/loop/")]) == MAX_DEPTH
        assert any("stops at 16 levels" in r.getMessage() for r in logs)

    def test_an_unreadable_listing_fails_the_crawl(
        self, maaf_server: DirectoryServer, context_for
    ) -> None:
        maaf_server.overrides["/maaf/ETALAB/SIAL/"] = Reply(503, body=b"busy")

        with pytest.raises(httpx.HTTPStatusError, match="503"):
            list(MaafBackend().gather(context_for(f"{maaf_server.base_url}/maaf/")))

    def test_a_source_that_is_not_a_listing_is_invalid(
        self, maaf_server: DirectoryServer, context_for
    ) -> None:
        source = f"{maaf_server.base_url}{ALIM_XML}"

        with pytest.raises(SourceInvalid, match="not an HTML directory listing"):
            list(MaafBackend().gather(context_for(source)))

    def test_a_listed_descriptor_that_is_gone_fails_its_item_alone(
        self, maaf_server: DirectoryServer, context_for
    ) -> None:
        root = '<ul><li><a href="/">Parent</a></li><li><a href="ghost.xml">ghost</a></li>'
        root += '<li><a href="ETALAB/">ETALAB/</a></li></ul>'
        maaf_server.overrides["/maaf/"] = Reply(body=root.encode())

        outcomes = harvest(context_for(f"{maaf_server.base_url}/maaf/"))

        ghost_url = f"{maaf_server.base_url}/maaf/ghost.xml"
        assert [o.record.remote_id for o in outcomes] == [ghost_url, ALIM_ID, SIAL_ID]
        assert outcomes[0].error == f"The descriptor {ghost_url} could not be fetched: HTTP 404"
        assert outcomes[1].draft is not None
        assert outcomes[2].draft is not None

    def test_stopping_early_fetches_a_bounded_number_of_descriptors(
        self, maaf_server: DirectoryServer, context_for
    ) -> None:
        serve_many_descriptors(maaf_server, 60)

        gathered = MaafBackend().gather(context_for(f"{maaf_server.base_url}/many/"))
        first = [next(gathered) for _ in range(3)]
        gathered.close()

        assert [r.remote_id for r in first] == [f"D{n:03}-{ALIM_ID}" for n in range(3)]
        descriptors = [p for p in maaf_server.paths if p.endswith(".xml")]
        assert len(descriptors) <= 3 + PREFETCH_WINDOW + FETCH_CONCURRENCY

    def test_all_descriptors_of_a_large_directory_come_in_listing_order(
        self, maaf_server: DirectoryServer, context_for
    ) -> None:
        serve_many_descriptors(maaf_server, 40)

        records = list(MaafBackend().gather(context_for(f"{maaf_server.base_url}/many/")))

        assert [r.remote_id for r in records] == [f"D{n:03}-{ALIM_ID}" for n in range(40)]


class TestGatherAndMap:
    def test_the_tree_maps_to_the_expected_datasets(
        self, maaf_server: DirectoryServer, context_for
    ) -> None:
        base = maaf_server.base_url
        alim, sial = harvest(context_for(f"{base}/maaf/"))

        assert alim.error is None
        assert alim.draft == DatasetDraft(
            title="Les produits phytopharmaceutiques vus par leurs substances",
            description=(
                "Liste des produits phytopharmaceutiques autorisés en France, vus par leurs "
                "substances actives."
            ),
            tags=("pesticides", "phytopharmaceutique", "substance-active"),
            license="fr-lo",
            frequency=Frequency.ANNUAL,
            spatial=SpatialCoverage(zones=("country/fr",), granularity="country"),
            resources=(
                {
                    "url": f"{base}{ALIM_FILE}.csv",
                    "title": "Données brutes produites le 26-11-2013",
                    "description": (
                        f"Produits phytopharmaceutiques vus par leurs substances\n\n"
                        f"{CERTIFICATE_NOTE}"
                    ),
                    "format": "csv",
                    "checksum": Checksum(type=ChecksumType.SHA256, value=CSV_SHA256),
                    "last_modified": datetime(2013, 11, 26),
                },
            ),
            extras={
                "author": "Service de publication des données ouvertes",
                "author_email": "support@open-data.agriculture.gouv.fr",
                "Quartier": "ALIM",
                "Source": "EPHY",
                "ETL": "0",
            },
            # Beyond udata: the author as a contact point (the extras keep it as udata does).
            contact_points=(
                ContactPointDraft(
                    name="Service de publication des données ouvertes",
                    email="support@open-data.agriculture.gouv.fr",
                    role=ContactRole.CREATOR,
                ),
            ),
        )
        assert alim.draft.private is False
        assert alim.draft.temporal_coverage is None
        assert alim.draft.harvest.remote_url is None

        assert sial.error is None
        assert sial.draft is not None
        assert (
            sial.draft.title == "Les produits phytopharmaceutiques vus par leurs substances (SIAL)"
        )
        assert sial.draft.description == (
            "Documentation des usages autorisés (espaces et retours à la ligne volontaires)."
        )
        assert sial.draft.tags == ("ephy",)
        assert sial.draft.frequency is Frequency.MONTHLY
        assert sial.draft.spatial == SpatialCoverage(
            zones=("country-group/world",), granularity="country"
        )
        assert [(r.url, r.format, r.checksum, r.last_modified) for r in sial.draft.resources] == [
            (f"{base}/maaf/ETALAB/SIAL/EPHY/notice.pdf", "pdf", None, None)
        ]
        assert sial.draft.extras == {
            "author": "Service de publication des données ouvertes",
            "Quartier": "SIAL",
        }
        assert sial.draft.contact_points == (
            ContactPointDraft(
                name="Service de publication des données ouvertes", role=ContactRole.CREATOR
            ),
        )

    def test_payload_holds_the_descriptor_and_its_checksums(
        self, maaf_server: DirectoryServer, context_for
    ) -> None:
        base = maaf_server.base_url
        alim, sial = MaafBackend().gather(context_for(f"{base}/maaf/"))

        served = tree_file(ALIM_XML).read_text()
        assert alim.payload == {
            "descriptor": served.replace("{{BASE}}", base),
            "checksums": {f"{base}{ALIM_FILE}.cle": CSV_SHA256},
        }
        assert alim.content_hash == content_hash(alim.payload)
        assert sial.payload["checksums"] == {}

    def test_hashes_are_stable_and_follow_the_checksum_file(
        self, maaf_server: DirectoryServer, context_for
    ) -> None:
        source = f"{maaf_server.base_url}/maaf/"
        first = [r.content_hash for r in MaafBackend().gather(context_for(source))]
        again = [r.content_hash for r in MaafBackend().gather(context_for(source))]
        maaf_server.overrides[f"{ALIM_FILE}.cle"] = Reply(content_type="text/plain", body=b"0" * 64)
        changed = [r.content_hash for r in MaafBackend().gather(context_for(source))]

        assert first == again
        assert changed[0] != first[0]
        assert changed[1] == first[1]

    def test_departures_from_the_xsd_are_item_warnings(
        self, maaf_server: DirectoryServer, context_for
    ) -> None:
        alim, sial = harvest(context_for(f"{maaf_server.base_url}/maaf/"))

        assert alim.draft is not None
        assert sial.draft is not None
        xsd_lines = [r for r in alim.logs if "does not follow maaf.xsd" in r.getMessage()]
        assert xsd_lines
        assert {r.levelno for r in xsd_lines} == {logging.WARNING}
        assert "Element 'extras': This element is not expected" in alim.log_text()
        assert "temporal_coverage_from" in sial.log_text()
        assert "last_modified" in sial.log_text()

    def test_an_unreadable_checksum_file_leaves_the_resource_without_checksum(
        self, maaf_server: DirectoryServer, context_for
    ) -> None:
        base = maaf_server.base_url
        maaf_server.overrides[f"{ALIM_FILE}.cle"] = Reply(404, body=b"gone")

        alim, _ = harvest(context_for(f"{base}/maaf/"))

        assert alim.draft is not None
        assert alim.draft.resources[0].checksum is None
        assert f"Checksum file {base}{ALIM_FILE}.cle could not be fetched: HTTP 404" in (
            alim.log_text()
        )

    def test_a_latin1_descriptor_is_decoded_by_its_declaration(
        self, maaf_server: DirectoryServer, context_for, tmp_path: Path
    ) -> None:
        served = tree_file(ALIM_XML).read_text()
        latin1 = served.replace('encoding="UTF-8"', 'encoding="ISO-8859-1"').replace("’", "'")
        (tmp_path / "latin1.xml").write_bytes(latin1.encode("iso-8859-1"))
        maaf_server.mounts["/latin1/"] = tmp_path

        (outcome,) = harvest(context_for(f"{maaf_server.base_url}/latin1/"))

        assert outcome.draft is not None
        assert outcome.draft.description.startswith("Liste des produits phytopharmaceutiques")
        assert "autorisés en France" in outcome.draft.description


class TestNegativeSamples:
    def test_the_xxe_sample_fails_its_item_and_leaks_nothing(
        self, maaf_server: DirectoryServer, context_for
    ) -> None:
        outcomes = harvest(context_for(f"{maaf_server.base_url}/negative/"))
        by_url = {o.record.url.rsplit("/", 1)[1]: o for o in outcomes if o.record.url}

        xxe = by_url["xxe-parameter-entity.xml"]
        assert xxe.draft is None
        assert xxe.error is not None
        assert "declaring entities are refused" in xxe.error
        # Unreadable: the remote id stays the descriptor URL (no id could be read safely).
        assert xxe.record.remote_id == xxe.record.url
        secret = socket.gethostname()  # what /etc/hostname, the entity's target, holds
        assert secret not in xxe.error
        assert secret not in xxe.log_text(logging.DEBUG)

    @pytest.mark.parametrize(
        ("doctype", "title"),
        [
            ('<!ENTITY % remote SYSTEM "{secret_url}">\n  %remote;', "t"),
            ('<!ENTITY leak SYSTEM "{secret_url}">', "&leak;"),
            ('<!ENTITY a "lol"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;">', "&b;"),
        ],
        ids=["parameter-entity", "external-entity", "internal-entities"],
    )
    def test_dtds_are_refused_whatever_they_declare(
        self,
        maaf_server: DirectoryServer,
        context_for,
        tmp_path: Path,
        doctype: str,
        title: str,
    ) -> None:
        secret = "SECRET-4d1f0c2e-never-shown"
        (tmp_path / "secret.txt").write_text(secret)
        served = tmp_path / "served"
        served.mkdir()
        alim = tree_file(ALIM_XML).read_text()
        declarations = doctype.format(secret_url=(tmp_path / "secret.txt").as_uri())
        body = alim.replace(
            "<ETALAB>", f"<!DOCTYPE ETALAB [\n  {declarations}\n]>\n<ETALAB>"
        ).replace("<title>Les produits", f"<title>{title} Les produits")
        (served / "hostile.xml").write_text(body)
        maaf_server.mounts["/hostile/"] = served

        (outcome,) = harvest(context_for(f"{maaf_server.base_url}/hostile/"))

        assert outcome.draft is None
        assert outcome.error is not None
        assert "declaring entities are refused" in outcome.error
        assert secret not in outcome.error
        assert secret not in outcome.log_text(logging.DEBUG)
        assert secret not in repr(outcome.record)

    def test_an_invalid_frequency_and_licence_fail_the_item_with_a_clear_message(
        self, maaf_server: DirectoryServer, context_for
    ) -> None:
        outcomes = harvest(context_for(f"{maaf_server.base_url}/negative/"))
        (bad,) = [o for o in outcomes if o.record.remote_id == "MINAGRI-BAD-FREQ"]

        assert bad.draft is None
        assert bad.error == (
            "Validation error:\n"
            "- [metadata.frequency] value must be one of annuelle, aucune, bimensuelle, "
            "bimestrielle, hebdomadaire, mensuelle, ponctuelle, quinquennale, quotidienne, "
            "semestrielle, temps réel, triennale, trimestrielle: au fil de l'eau\n"
            "- [metadata.license_id] not a valid value (MAAF descriptors must use fr-lo): cc-by"
        )
