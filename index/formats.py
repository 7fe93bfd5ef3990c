"""The name under which every index's table of contents refers to its posting formats.

An index's table of contents holds its pickled schema, and that names the format classes by module:
``index.formats.Positions``, where they were defined before they moved to :mod:`index.store.formats`.
They are still pickled under this name (see there), so indexes of every version name this module:
it must stay importable.
"""

from index.store.formats import Characters, OnePassCharacters, OnePassPositions, Positions

__all__ = ["Characters", "OnePassCharacters", "OnePassPositions", "Positions"]
