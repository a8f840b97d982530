"""ISO 19139 (`gmd:MD_Metadata`, `gmi:MI_Metadata`) -> dataset drafts, directly in Python.

udata converts each record to DCAT with an XSLT 2.0 stylesheet fetched at run time and
then reads the RDF; this package follows the same GeoDCAT-AP correspondences over lxml,
offline and in one pass.
"""

from moisson.mapping.iso19139.dataset import (
    dataset_from_iso,
    file_identifier,
    hierarchy_level,
    iso_remote_id,
)

__all__ = ["dataset_from_iso", "file_identifier", "hierarchy_level", "iso_remote_id"]
