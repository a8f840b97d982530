"""Lookup tables only the DCAT mapping reads: data, not code (docs/udata-backends.md §2.9, §2.12).

The vocabularies other mappings share live in `moisson.mapping.frequencies`,
`moisson.mapping.hvd` and `moisson.mapping.inspire`.
"""

from __future__ import annotations

from types import MappingProxyType

#: spdx:algorithm IRI -> checksum type.
SPDX_ALGORITHMS = MappingProxyType(
    {
        "http://spdx.org/rdf/terms#checksumAlgorithm_md5": "md5",
        "http://spdx.org/rdf/terms#checksumAlgorithm_sha1": "sha1",
        "http://spdx.org/rdf/terms#checksumAlgorithm_sha256": "sha256",
    }
)

#: qudt unit -> (unit shown, metres per unit) for spatial resolutions as distance.
DISTANCE_UNITS = MappingProxyType(
    {
        "http://www.qudt.org/vocab/unit/M": ("m", 1.0),
        "http://www.qudt.org/vocab/unit/KiloM": ("km", 1000.0),
        "http://www.qudt.org/vocab/unit/FT": ("ft", 0.3048),
    }
)

#: Formats whose resources are matched by (url, title): one distribution per layer
#: (docs/udata-backends.md §2.12).
OGC_LAYER_FORMATS = frozenset({"wfs", "wms", "wmts"})
