"""The errors our code raises on purpose; each edge (HTTP, CLI) maps them to a status or exit code."""

from __future__ import annotations


class NewsSearchError(Exception):
    """Base of our errors: a machine ``code``, a human ``message`` and the offending ``parameter``."""

    code = "error"

    def __init__(self, message: str, parameter: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.parameter = parameter

    def to_json(self) -> dict:
        """The body of an HTTP error response: ``{"error": {"code", "message", "parameter"}}``."""
        return {"error": {"code": self.code, "message": self.message, "parameter": self.parameter}}


class IndexNotFound(NewsSearchError):
    """There is no index at the configured location (or it cannot be opened)."""

    code = "index_not_found"


class IndexBusy(NewsSearchError):
    """Another process holds the index's write lock."""

    code = "index_busy"


class ArticleNotFound(NewsSearchError):
    """No article has the requested id."""

    code = "not_found"


class BadConfiguration(NewsSearchError, ValueError):
    """A setting (an environment variable, a config value) names something that cannot be."""

    code = "bad_configuration"


class IndexDamaged(NewsSearchError):
    """The index on disk cannot be read: a file it names is missing, cut short or garbled. Answered
    with 503 until a good generation is committed (``news-search index --rebuild``)."""

    code = "index_damaged"


class DiskFull(NewsSearchError):
    """The disk holding the index filled up while an indexing run wrote to it: the run was not
    committed, and what it had written was deleted again."""

    code = "disk_full"
