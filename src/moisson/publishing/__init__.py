"""Publishing what was harvested: the DCAT-AP 3 mapping of local datasets and dataservices
(`dcat_ap`), the catalog page around them (`catalog`) and the RDF syntaxes (`syntaxes`).

Like `mapping/`, this layer knows only the domain (drafts and the plain views of
`views`), never the storage: the API adapts stored rows into views, a harvest can pass drafts.
"""
