"""Mapping-only rate of the dcat backend on a generated RDF/XML page.

One Hydra page of N datasets × 3 distributions (contacts, themes, temporal, spatial,
licence) is served by an httpx.MockTransport; the script times `gather` (fetch, parse once,
split into record payloads) and `map` (parse each payload, build the draft) separately and
together, and prints datasets per second.

    PYTHONPATH=src python bench/bench_dcat_mapping.py [datasets=500] [rounds=5]
"""

from __future__ import annotations

import sys
import time

import httpx

from moisson.backends.dcat import DcatBackend
from moisson.harvest.context import make_context

HEADER = """<?xml version="1.0" encoding="utf-8"?>
<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"
  xmlns:rdfs="http://www.w3.org/2000/01/rdf-schema#" xmlns:dcat="http://www.w3.org/ns/dcat#"
  xmlns:dct="http://purl.org/dc/terms/" xmlns:foaf="http://xmlns.com/foaf/0.1/"
  xmlns:vcard="http://www.w3.org/2006/vcard/ns#" xmlns:schema="http://schema.org/"
  xmlns:locn="http://www.w3.org/ns/locn#" xmlns:hydra="http://www.w3.org/ns/hydra/core#">
<dcat:Catalog rdf:about="http://bench.test/">
"""

DATASET = """<dcat:dataset><dcat:Dataset rdf:about="http://bench.test/datasets/{i}">
  <dct:identifier>{i}</dct:identifier>
  <dct:title xml:lang="fr">Jeu de données {i}</dct:title>
  <dct:description>&lt;p&gt;Description &lt;b&gt;{i}&lt;/b&gt;&lt;/p&gt;</dct:description>
  <dct:issued rdf:datatype="http://www.w3.org/2001/XMLSchema#dateTime">2020-01-01T00:00:00</dct:issued>
  <dct:modified rdf:datatype="http://www.w3.org/2001/XMLSchema#dateTime">2021-01-01T00:00:00</dct:modified>
  <dcat:keyword>mot clé {i}</dcat:keyword><dcat:keyword>transport</dcat:keyword>
  <dcat:theme rdf:resource="http://data.europa.eu/bna/c_b79e35eb"/>
  <dcat:landingPage rdf:resource="http://bench.test/datasets/{i}/page"/>
  <dct:license>Licence Ouverte Version 2.0</dct:license>
  <dct:accrualPeriodicity rdf:resource="http://purl.org/cld/freq/daily"/>
  <dct:temporal><dct:PeriodOfTime>
    <schema:startDate rdf:datatype="http://www.w3.org/2001/XMLSchema#date">2020-01-01</schema:startDate>
    <schema:endDate rdf:datatype="http://www.w3.org/2001/XMLSchema#date">2020-12-31</schema:endDate>
  </dct:PeriodOfTime></dct:temporal>
  <dct:spatial><dct:Location>
    <locn:geometry rdf:datatype="http://www.opengis.net/ont/geosparql#wktLiteral"
      >POLYGON((2 48, 3 48, 3 49, 2 49, 2 48))</locn:geometry>
  </dct:Location></dct:spatial>
  <dcat:contactPoint><vcard:Organization><vcard:fn>Service {i}</vcard:fn>
    <vcard:hasEmail rdf:resource="mailto:contact{i}@bench.test"/>
  </vcard:Organization></dcat:contactPoint>
  <dct:publisher rdf:resource="http://bench.test/org"/>
  {distributions}
</dcat:Dataset></dcat:dataset>
"""

DISTRIBUTION = """<dcat:distribution><dcat:Distribution rdf:about="http://bench.test/datasets/{i}/r/{j}">
    <dct:title>Ressource {i}-{j}</dct:title><dct:format>CSV</dct:format>
    <dcat:mediaType rdf:resource="https://www.iana.org/assignments/media-types/text/csv"/>
    <dcat:downloadURL rdf:resource="http://bench.test/datasets/{i}/r/{j}/file.csv"/>
    <dcat:byteSize>1234</dcat:byteSize>
  </dcat:Distribution></dcat:distribution>"""

FOOTER = """</dcat:Catalog>
<foaf:Organization rdf:about="http://bench.test/org"><foaf:name>Org</foaf:name></foaf:Organization>
<hydra:PartialCollectionView rdf:about="http://bench.test/catalog.rdf"/>
</rdf:RDF>
"""


def make_page(count: int) -> bytes:
    datasets = (
        DATASET.format(i=i, distributions="".join(DISTRIBUTION.format(i=i, j=j) for j in range(3)))
        for i in range(count)
    )
    return (HEADER + "".join(datasets) + FOOTER).encode("utf-8")


def main() -> None:
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 500
    rounds = int(sys.argv[2]) if len(sys.argv) > 2 else 5
    page = make_page(count)
    transport = httpx.MockTransport(lambda request: httpx.Response(200, content=page))
    ctx = make_context(
        DcatBackend.info, "http://bench.test/catalog.rdf", httpx.Client(transport=transport)
    )
    backend = DcatBackend()
    print(f"page: {count} datasets x 3 distributions, {len(page) / 1e6:.1f} MB of RDF/XML")
    best_gather = best_map = float("inf")
    for _ in range(rounds):
        start = time.perf_counter()
        records = list(backend.gather(ctx))
        gathered = time.perf_counter()
        drafts = [backend.map(record, ctx) for record in records]
        mapped = time.perf_counter()
        if len(drafts) != count or any(len(d.resources) != 3 for d in drafts):
            raise SystemExit("the mapping lost datasets or resources")
        best_gather = min(best_gather, gathered - start)
        best_map = min(best_map, mapped - gathered)
    print(f"gather (fetch + parse + split): {count / best_gather:8.0f} datasets/s")
    print(f"map (payload -> draft):         {count / best_map:8.0f} datasets/s")
    print(f"gather + map:                   {count / (best_gather + best_map):8.0f} datasets/s")


if __name__ == "__main__":
    main()
