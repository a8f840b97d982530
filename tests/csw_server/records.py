"""ISO 19139 records for the pycsw server: the recorded real ones and small written ones."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from xml.sax.saxutils import escape

from lxml import etree

CSW = "http://www.opengis.net/cat/csw/2.0.2"


def recorded_records(*responses: Path) -> Iterator[tuple[str, bytes]]:
    """The `gmd:MD_Metadata` records of recorded `GetRecordsResponse` files, one file each."""
    for response in responses:
        root = etree.parse(str(response)).getroot()
        results = root.find(f"{{{CSW}}}SearchResults")
        assert results is not None, response
        records = [child for child in results if isinstance(child.tag, str)]
        for n, record in enumerate(records, 1):
            xml = etree.tostring(record, xml_declaration=True, encoding="UTF-8")
            yield f"{response.stem}-{n}.xml", bytes(xml)


def iso_record(
    file_id: str,
    *,
    title: str | None = None,
    level: str = "dataset",
    code: str | None = None,
    code_space: str | None = None,
    abstract: str = "A record written for the CSW tests.",
    keywords: tuple[str, ...] = ("test", "csw"),
    download: str | None = None,
    landing_page: str | None = None,
) -> bytes:
    """A small but complete ISO 19139 record.

    `code`/`code_space`: the citation identifier (an `RS_Identifier` when `code_space` is
    given), none when `code` is `None`. `level` `service` writes a service identification.
    `landing_page`: an online resource without function (the dataset's remote URL).
    """
    title = title if title is not None else f"Title of {file_id}"
    identifier = ""
    if code is not None:
        space = (
            f"<gmd:codeSpace><gco:CharacterString>{escape(code_space)}</gco:CharacterString>"
            "</gmd:codeSpace>"
            if code_space
            else ""
        )
        kind = "RS_Identifier" if code_space else "MD_Identifier"
        identifier = (
            f"<gmd:identifier><gmd:{kind}><gmd:code><gco:CharacterString>{escape(code)}"
            f"</gco:CharacterString></gmd:code>{space}</gmd:{kind}></gmd:identifier>"
        )
    words = "".join(
        f"<gmd:keyword><gco:CharacterString>{escape(k)}</gco:CharacterString></gmd:keyword>"
        for k in keywords
    )
    body = (
        f"<gmd:citation><gmd:CI_Citation><gmd:title><gco:CharacterString>{escape(title)}"
        "</gco:CharacterString></gmd:title><gmd:date><gmd:CI_Date><gmd:date><gco:Date>"
        "2024-03-01</gco:Date></gmd:date><gmd:dateType><gmd:CI_DateTypeCode "
        'codeList="http://standards.iso.org/iso/19139/resources/gmxCodelists.xml#CI_DateTypeCode"'
        ' codeListValue="publication">publication</gmd:CI_DateTypeCode></gmd:dateType>'
        f"</gmd:CI_Date></gmd:date>{identifier}</gmd:CI_Citation></gmd:citation>"
        f"<gmd:abstract><gco:CharacterString>{escape(abstract)}</gco:CharacterString>"
        "</gmd:abstract>"
        "<gmd:pointOfContact><gmd:CI_ResponsibleParty><gmd:organisationName>"
        "<gco:CharacterString>Test producer</gco:CharacterString></gmd:organisationName>"
        "<gmd:contactInfo><gmd:CI_Contact><gmd:address><gmd:CI_Address>"
        "<gmd:electronicMailAddress><gco:CharacterString>producer@example.test"
        "</gco:CharacterString></gmd:electronicMailAddress></gmd:CI_Address></gmd:address>"
        "</gmd:CI_Contact></gmd:contactInfo><gmd:role><gmd:CI_RoleCode "
        'codeList="http://standards.iso.org/iso/19139/resources/gmxCodelists.xml#CI_RoleCode"'
        ' codeListValue="pointOfContact">pointOfContact</gmd:CI_RoleCode></gmd:role>'
        "</gmd:CI_ResponsibleParty></gmd:pointOfContact>"
        f"<gmd:descriptiveKeywords><gmd:MD_Keywords>{words}</gmd:MD_Keywords>"
        "</gmd:descriptiveKeywords>"
    )
    extent = (
        "<gmd:extent><gmd:EX_Extent><gmd:geographicElement><gmd:EX_GeographicBoundingBox>"
        "<gmd:westBoundLongitude><gco:Decimal>1.5</gco:Decimal></gmd:westBoundLongitude>"
        "<gmd:eastBoundLongitude><gco:Decimal>3.5</gco:Decimal></gmd:eastBoundLongitude>"
        "<gmd:southBoundLatitude><gco:Decimal>49.0</gco:Decimal></gmd:southBoundLatitude>"
        "<gmd:northBoundLatitude><gco:Decimal>51.0</gco:Decimal></gmd:northBoundLatitude>"
        "</gmd:EX_GeographicBoundingBox></gmd:geographicElement></gmd:EX_Extent></gmd:extent>"
    )
    if level == "service":
        info = (
            f"<gmd:identificationInfo><srv:SV_ServiceIdentification>{body}"
            "<srv:serviceType><gco:LocalName>view</gco:LocalName></srv:serviceType>"
            f"<srv:extent><gmd:EX_Extent/></srv:extent></srv:SV_ServiceIdentification>"
            "</gmd:identificationInfo>"
        )
    else:
        info = (
            f"<gmd:identificationInfo><gmd:MD_DataIdentification>{body}"
            "<gmd:language><gmd:LanguageCode "
            'codeList="http://www.loc.gov/standards/iso639-2/" codeListValue="fre">fre'
            "</gmd:LanguageCode></gmd:language>"
            f"{extent}</gmd:MD_DataIdentification></gmd:identificationInfo>"
        )
    url = download or f"https://data.example.test/files/{file_id}.csv"
    landing = (
        f"<gmd:onLine><gmd:CI_OnlineResource><gmd:linkage><gmd:URL>{escape(landing_page)}"
        "</gmd:URL></gmd:linkage></gmd:CI_OnlineResource></gmd:onLine>"
        if landing_page
        else ""
    )
    distribution = (
        "<gmd:distributionInfo><gmd:MD_Distribution><gmd:distributionFormat><gmd:MD_Format>"
        "<gmd:name><gco:CharacterString>CSV</gco:CharacterString></gmd:name><gmd:version>"
        "<gco:CharacterString>1</gco:CharacterString></gmd:version></gmd:MD_Format>"
        "</gmd:distributionFormat><gmd:transferOptions><gmd:MD_DigitalTransferOptions>"
        f"<gmd:onLine><gmd:CI_OnlineResource><gmd:linkage><gmd:URL>{escape(url)}</gmd:URL>"
        "</gmd:linkage><gmd:protocol><gco:CharacterString>WWW:DOWNLOAD-1.0-http--download"
        "</gco:CharacterString></gmd:protocol><gmd:name><gco:CharacterString>Download"
        "</gco:CharacterString></gmd:name><gmd:function><gmd:CI_OnLineFunctionCode "
        'codeList="http://standards.iso.org/iso/19139/resources/gmxCodelists.xml#CI_OnLineFunctionCode"'
        ' codeListValue="download">download</gmd:CI_OnLineFunctionCode></gmd:function>'
        f"</gmd:CI_OnlineResource></gmd:onLine>{landing}</gmd:MD_DigitalTransferOptions>"
        "</gmd:transferOptions></gmd:MD_Distribution></gmd:distributionInfo>"
    )
    xml = (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<gmd:MD_Metadata xmlns:gmd="http://www.isotc211.org/2005/gmd" '
        'xmlns:gco="http://www.isotc211.org/2005/gco" '
        'xmlns:srv="http://www.isotc211.org/2005/srv">'
        f"<gmd:fileIdentifier><gco:CharacterString>{escape(file_id)}</gco:CharacterString>"
        "</gmd:fileIdentifier>"
        "<gmd:language><gmd:LanguageCode "
        'codeList="http://www.loc.gov/standards/iso639-2/" codeListValue="fre">fre'
        "</gmd:LanguageCode></gmd:language>"
        "<gmd:hierarchyLevel><gmd:MD_ScopeCode "
        'codeList="http://standards.iso.org/iso/19139/resources/gmxCodelists.xml#MD_ScopeCode"'
        f' codeListValue="{level}">{level}</gmd:MD_ScopeCode></gmd:hierarchyLevel>'
        "<gmd:contact><gmd:CI_ResponsibleParty><gmd:organisationName><gco:CharacterString>"
        "Test catalog</gco:CharacterString></gmd:organisationName><gmd:role><gmd:CI_RoleCode "
        'codeList="http://standards.iso.org/iso/19139/resources/gmxCodelists.xml#CI_RoleCode"'
        ' codeListValue="pointOfContact">pointOfContact</gmd:CI_RoleCode></gmd:role>'
        "</gmd:CI_ResponsibleParty></gmd:contact>"
        "<gmd:dateStamp><gco:DateTime>2024-03-01T10:00:00</gco:DateTime></gmd:dateStamp>"
        f"{info}{distribution}</gmd:MD_Metadata>"
    )
    return xml.encode("utf-8")
