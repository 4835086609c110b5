"""办理结果公开: the public text of an issued reply (redaction), its confirmation, the public
versions, their place in the search index and the publication deadline's warnings."""


def init_app(app) -> None:
    from tracker.publication import index, jobs  # noqa: F401 (jobs)
    from tracker.search import index as search_index

    search_index.register_source(index.public_rows)
