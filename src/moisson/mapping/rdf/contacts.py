"""Contact points from the agent roles of a dataset or dataservice (docs/udata-backends.md §2.10).

Roles are read in `ROLE_PREDICATES` order, objects in document order: the order of the
result is what `contact_points[i]` means. `dcat:contactPoint` is usually a vCard (tried
first), the other roles usually FOAF agents (tried first).
"""

from __future__ import annotations

import logging

from pyoxigraph import Literal, NamedNode

from moisson.domain.drafts import ContactPointDraft
from moisson.domain.enums import ContactRole
from moisson.mapping.rdf.accessors import single_text
from moisson.mapping.rdf.graph import RdfGraph, Term
from moisson.mapping.rdf.namespaces import DCAT, DCT, FOAF, GEODCATAP, ORG, SKOS, VCARD

#: Role -> predicate, in the order udata processes them. DCAT-AP roles first, then the
#: GeoDCAT-AP ones (`profiles.py` splits them between the two profiles).
DCAT_ROLE_PREDICATES: tuple[tuple[ContactRole, NamedNode], ...] = (
    (ContactRole.CONTACT, DCAT.contactPoint),
    (ContactRole.CREATOR, DCT.creator),
    (ContactRole.PUBLISHER, DCT.publisher),
    (ContactRole.RIGHTS_HOLDER, DCT.rightsHolder),
)
GEODCAT_ROLE_PREDICATES: tuple[tuple[ContactRole, NamedNode], ...] = (
    (ContactRole.CUSTODIAN, GEODCATAP.custodian),
    (ContactRole.DISTRIBUTOR, GEODCATAP.distributor),
    (ContactRole.ORIGINATOR, GEODCATAP.originator),
    (ContactRole.PRINCIPAL_INVESTIGATOR, GEODCATAP.principalInvestigator),
    (ContactRole.PROCESSOR, GEODCATAP.processor),
    (ContactRole.RESOURCE_PROVIDER, GEODCATAP.resourceProvider),
    (ContactRole.USER, GEODCATAP.user),
)
ROLE_PREDICATES = DCAT_ROLE_PREDICATES + GEODCAT_ROLE_PREDICATES

Extracted = tuple[str | None, str | None, str | None]
"""(name, email, contact_form)"""


def contact_points_from_rdf(
    graph: RdfGraph,
    node: Term,
    roles: tuple[tuple[ContactRole, NamedNode], ...] = ROLE_PREDICATES,
    language: str | None = None,
    log: logging.Logger | None = None,
) -> list[ContactPointDraft]:
    contacts: list[ContactPointDraft] = []
    for role, predicate in roles:
        for agent in graph.objects(node, predicate):
            contact = contact_from_rdf(graph, agent, role, language)
            if contact is None:
                continue
            if role == ContactRole.CONTACT and not (contact.email or contact.contact_form):
                # udata's ContactPoint validation refuses a `contact` nobody can reach.
                if log:
                    log.warning(
                        'Contact point "%s" skipped: no email nor contact form', contact.name
                    )
                continue
            contacts.append(contact)
    return contacts


def contact_from_rdf(
    graph: RdfGraph, agent: Term, role: ContactRole, language: str | None = None
) -> ContactPointDraft | None:
    if isinstance(agent, Literal):
        text = agent.value.strip()
        return ContactPointDraft(name=text, role=role) if text else None
    readers = (_vcard, _foaf) if role == ContactRole.CONTACT else (_foaf, _vcard)
    for reader in readers:
        name, email, form = reader(graph, agent, language)
        if name or email or form:
            return ContactPointDraft(name=name, email=email, contact_form=form, role=role)
    return None


def combine(main: str | None, secondary: str | None) -> str | None:
    """`A (B)` when both exist, else whichever does."""
    if main and secondary:
        return f"{main} ({secondary})"
    return main or secondary


def clean_email(value: str | None) -> str | None:
    if not value:
        return None
    value = value.strip()
    if value.lower().startswith("mailto:"):
        value = value[len("mailto:") :].strip()
    return value or None


def _first_text(
    graph: RdfGraph, node: Term, predicates: tuple[NamedNode, ...], language: str | None
) -> str | None:
    for predicate in predicates:
        text = single_text(graph, node, predicate, language)
        if text:
            return text
    return None


def _vcard(graph: RdfGraph, agent: Term, language: str | None) -> Extracted:
    organisation = single_text(graph, agent, VCARD["organization-name"], language)
    if not organisation:
        org = graph.value(agent, VCARD.org)
        if org is not None:
            organisation = _first_text(
                graph, org, (VCARD["organization-name"], VCARD["organisation-name"]), language
            )
    name = combine(single_text(graph, agent, VCARD.fn, language), organisation)
    email = clean_email(_first_text(graph, agent, (VCARD.hasEmail, VCARD.email), language))
    form = _first_text(graph, agent, (VCARD.hasURL, VCARD.url, VCARD.hasUrl), language)
    return name, email, form


def _foaf_name(graph: RdfGraph, node: Term, language: str | None) -> str | None:
    return _first_text(graph, node, (FOAF.name, SKOS.prefLabel), language)


def _mbox(graph: RdfGraph, node: Term) -> str | None:
    return clean_email(single_text(graph, node, FOAF.mbox))


def _foaf(graph: RdfGraph, agent: Term, language: str | None) -> Extracted:
    organisation = graph.value(agent, ORG.memberOf)
    if organisation is not None:
        name = combine(
            _foaf_name(graph, agent, language),
            single_text(graph, organisation, FOAF.name, language),
        )
        return name, _mbox(graph, agent) or _mbox(graph, organisation), None
    member = graph.value(agent, FOAF.member)
    if member is not None:
        name = combine(
            single_text(graph, member, FOAF.name, language), _foaf_name(graph, agent, language)
        )
        return name, _mbox(graph, member) or _mbox(graph, agent), None
    return _foaf_name(graph, agent, language), _mbox(graph, agent), None
