"""What an indexing run did, whatever wrote it: :class:`IndexSummary`, the line ``news-search index`` ends with."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class IndexSummary:
    """What one indexing run did."""

    read: int
    added: int
    updated: int
    unchanged: int
    deleted: int
    skipped: int
    passages: int
    seconds: float
    committed: bool
    generation: int | None
    #: What the reader should know of the index the run left (a sentence each), beyond the counts.
    notes: tuple[str, ...] = ()

    def __str__(self) -> str:
        noun = "article" if self.read == 1 else "articles"
        passages = "passage" if self.passages == 1 else "passages"
        return (
            f"{self.read} {noun} read: {self.added} added, {self.updated} updated, "
            f"{self.unchanged} unchanged, {self.deleted} deleted, {self.skipped} skipped; "
            f"{self.passages} {passages} written in {self.seconds:.1f} s"
        )
