"""Sparse random selection: which of n items an independent event with probability p hits.

Drawing one uniform per item and comparing it with ``p`` costs a draw per item even when only a
few in a thousand are selected (monthly dropout, separations, on-the-job search). A Bernoulli
process can be drawn exactly from its gaps instead: the distance between consecutive selected
items is geometric with parameter ``p``, so the draws scale with the number selected, not with
``n``. The selected set has exactly the law of ``flatnonzero(rng.random(n) < p)`` (each item
independently with probability ``p``); only the draws consumed from ``rng`` differ.
"""

from __future__ import annotations

import math

import numpy as np

DENSE_ABOVE = 0.25
"""Above this probability one uniform per item is cheaper than geometric gaps."""


def bernoulli_positions(rng: np.random.Generator, n: int, p: float) -> np.ndarray:
    """Ascending positions in ``[0, n)``, each present independently with probability ``p``.

    Args:
        rng: The random stream to draw from.
        n: Number of items.
        p: Selection probability of each item (clipped to ``[0, 1]``).

    Returns:
        The selected positions (int64, ascending, distinct).
    """
    n = int(n)
    if n <= 0 or p <= 0.0:
        return np.empty(0, dtype=np.int64)
    if p >= 1.0:
        return np.arange(n, dtype=np.int64)
    if p > DENSE_ABOVE:
        return np.flatnonzero(rng.random(n) < p)
    # Gaps by inversion, ceil(E / -log(1 - p)) with E standard exponential: numpy's own method
    # for small p, vectorised (about twice as fast as rng.geometric).
    rate = -math.log1p(-p)
    expected = n * p
    chunk = int(expected + 6.0 * math.sqrt(expected) + 16)
    parts: list[np.ndarray] = []
    last = -1
    while last < n:
        gaps = rng.standard_exponential(chunk)
        with np.errstate(over="ignore"):  # an infinite gap is past the end like any other
            np.divide(gaps, rate, out=gaps)
        np.ceil(gaps, out=gaps)
        # E = 0 (probability 2**-53) is a gap of 1. A gap past the end ends the selection;
        # capping it keeps the sum far from overflow.
        np.clip(gaps, 1, n + 1, out=gaps)
        positions = np.cumsum(gaps.astype(np.int64)) + last
        parts.append(positions)
        last = int(positions[-1])
    positions = np.concatenate(parts) if len(parts) > 1 else parts[0]
    return positions[: np.searchsorted(positions, n)]


def bernoulli_subset(rng: np.random.Generator, rows: np.ndarray, p: float) -> np.ndarray:
    """The elements of ``rows`` each kept independently with probability ``p``, in order."""
    return rows[bernoulli_positions(rng, rows.size, p)]


def categorical(rng: np.random.Generator, p: np.ndarray, size: int) -> np.ndarray:
    """Categories drawn with probabilities ``p``: ``rng.choice(p.size, size=size, p=p)`` exactly.

    The same uniforms are drawn and each is mapped to the same category (the number of entries of
    the normalised cumulative ``p`` at or below it), but through a guide table: for most draws
    the cell of ``[0, 1)`` it falls in holds no step of the cumulative ``p`` and gives the answer
    directly; only the others are searched. At 1M draws over 2,000 categories, about 6x faster.

    Args:
        rng: The random stream to draw from.
        p: Probabilities of the categories (non-negative, summing to one).
        size: Number of draws.

    Returns:
        The categories drawn (int64).
    """
    cdf = np.cumsum(p, dtype=np.float64)
    cdf /= cdf[-1]
    u = rng.random(size)
    # Cells of [0, 1) with edges k / cells, exact in binary, as is u * cells (a power of two).
    cells = 1 << min(20, max(4, math.ceil(math.log2(32 * cdf.size))))
    edges = np.arange(cells + 1) / cells
    first = cdf.searchsorted(edges[:-1], side="right")  # a draw in cell k maps at least here
    last = cdf.searchsorted(edges[1:], side="left")  # ... and at most here
    cell = (u * cells).astype(np.intp)
    category = first[cell]
    unsure = np.flatnonzero(last[cell] != category)
    category[unsure] = cdf.searchsorted(u[unsure], side="right")
    return category
