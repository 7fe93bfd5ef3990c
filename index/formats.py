"""The name under which indexes written by earlier versions refer to their posting formats.

An index's table of contents holds its pickled schema, and that names the format classes by the
module they were defined in: ``index.formats.Positions`` for indexes written before the formats
moved to :mod:`index.store.formats`. This module keeps that name importable, so they keep opening.
"""

from index.store.formats import Characters, OnePassCharacters, OnePassPositions, Positions

__all__ = ["Characters", "OnePassCharacters", "OnePassPositions", "Positions"]
