"""Code lists only the ISO 19139 mapping translates, with their GeoDCAT-AP correspondences.

The vocabularies other mappings share live in `moisson.mapping.frequencies`
(`ISO_MAINTENANCE_FREQUENCIES`), `moisson.mapping.hvd` and `moisson.mapping.inspire`.
"""

from __future__ import annotations

from moisson.domain.enums import ContactRole

NAMESPACES = {
    "gmd": "http://www.isotc211.org/2005/gmd",
    "gmi": "http://www.isotc211.org/2005/gmi",
    "gco": "http://www.isotc211.org/2005/gco",
    "gmx": "http://www.isotc211.org/2005/gmx",
    "srv": "http://www.isotc211.org/2005/srv",
    "gml": "http://www.opengis.net/gml",
    "gml32": "http://www.opengis.net/gml/3.2",
    "xlink": "http://www.w3.org/1999/xlink",
}

#: CI_RoleCode -> contact role, as GeoDCAT-AP maps responsible parties to properties
#: (pointOfContact -> dcat:contactPoint, author -> dct:creator, owner -> dct:rightsHolder...).
ROLES: dict[str, ContactRole] = {
    "pointOfContact": ContactRole.CONTACT,
    "author": ContactRole.CREATOR,
    "publisher": ContactRole.PUBLISHER,
    "owner": ContactRole.RIGHTS_HOLDER,
    "custodian": ContactRole.CUSTODIAN,
    "distributor": ContactRole.DISTRIBUTOR,
    "originator": ContactRole.ORIGINATOR,
    "principalInvestigator": ContactRole.PRINCIPAL_INVESTIGATOR,
    "processor": ContactRole.PROCESSOR,
    "resourceProvider": ContactRole.RESOURCE_PROVIDER,
    "user": ContactRole.USER,
}
#: udata lists contact points role by role, in this order (docs/udata-backends.md §2.10).
ROLE_ORDER = tuple(ROLES.values())

#: OGC service types a distribution can be (its udata format is the lower-cased type).
OGC_SERVICES = ("wms", "wfs", "wmts", "wcs", "csw", "sos", "wps")

#: CI_OnLineFunctionCode values that designate the data itself.
DATA_FUNCTIONS = frozenset({"download", "offlineAccess", "order", "fileAccess"})
