"""Results in display order, as far as a page needs: the first of the order without sorting every match.

A page shows ten results of perhaps a hundred thousand matches, and sorting them all cost more than
scoring them. Display order sorts by two keys: a tier (results holding every word first; by date,
dated results first) and a value (score, or time), ties in index order. :func:`leading` picks the
results that can stand among the first *count* by partial selection (NumPy's introselect, linear
in the matches) and sorts only those: the same first results, in the same order, as the full sort.
"""

from __future__ import annotations

import numpy as np


def leading(keys: tuple[np.ndarray, np.ndarray], count: int | None = None) -> np.ndarray:
    """Indices of the first *count* results (or more, never fewer unless there are fewer) in the order
    of *keys* (the value, smaller first, then the tier, ``False`` first, as :func:`numpy.lexsort` reads
    them), ties in index order; every result when *count* is ``None``.

    Whatever is returned is exactly the beginning of the full order: a result is left out only when
    every one returned comes before it.

    >>> values, tiers = np.array([5.0, 1.0, 3.0, 1.0, 0.0]), np.array([False, False, False, False, True])
    >>> leading((values, tiers), 2).tolist(), leading((values, tiers)).tolist()
    ([1, 3], [1, 3, 2, 0, 4])
    """
    values, tiers = keys
    size = len(values)
    if count is None or count >= size:
        return np.lexsort(keys)
    first = np.flatnonzero(~tiers)
    if len(first) >= count:
        pool, taken = first, np.zeros(0, dtype=np.int64)
    else:
        pool, taken, count = np.flatnonzero(tiers), first, count - len(first)
    pooled = values[pool]
    threshold = np.partition(pooled, count - 1)[count - 1]
    if threshold != threshold:  # NaN: no partial order to trust
        return np.lexsort(keys)
    chosen = np.concatenate([taken, pool[pooled <= threshold]])  # ties at the threshold all kept
    return chosen[np.lexsort((values[chosen], tiers[chosen]))]


def ordered(keys: tuple[np.ndarray, np.ndarray], indices: np.ndarray) -> np.ndarray:
    """*indices* (increasing) in display order.

    >>> ordered((np.array([2.0, 1.0, 0.0]), np.array([False, False, True])), np.array([0, 2])).tolist()
    [0, 2]
    """
    values, tiers = keys
    return indices[np.lexsort((values[indices], tiers[indices]))]
