"""Alignment: which matched pieces keep their order and which moved.

Read in B's order, the pieces that also run forward through A are the cut both versions share;
a piece out of that order is a move (or, when its A frames are shown in order elsewhere too, a
repeat). Choosing the shared order is an edit distance in which keeping a frame in place costs
nothing, inserting or deleting a frame costs one and moving a piece costs its length: the
cheapest alignment keeps the heaviest chain of pieces increasing in both files, found as a
weighted longest increasing subsequence (a Fenwick tree of best chain weights by A end frame,
O(n log n), so a cut of thousands of shots aligns instantly).
"""

from __future__ import annotations

import bisect
from dataclasses import dataclass

from .matching import Piece


@dataclass(frozen=True)
class Alignment:
    in_order: tuple[Piece, ...]  # B order, also increasing and non-overlapping in A
    out_of_order: tuple[Piece, ...]  # B order


def align(pieces: list[Piece]) -> Alignment:
    pieces = sorted(pieces, key=lambda p: p.b)
    ends = sorted({p.a_end for p in pieces})
    tree = _MaxTree(len(ends))
    best: list[tuple[int, int]] = []  # (chain weight ending at piece i, predecessor or -1)
    for i, p in enumerate(pieces):
        weight, previous = tree.best(bisect.bisect_right(ends, p.a))  # chains ending at or before p.a
        best.append((weight + p.length, previous))
        tree.offer(bisect.bisect_left(ends, p.a_end) + 1, weight + p.length, i)
    chain: set[int] = set()
    i = max(range(len(pieces)), key=lambda i: best[i][0], default=-1)
    while i >= 0:
        chain.add(i)
        i = best[i][1]
    return Alignment(tuple(p for i, p in enumerate(pieces) if i in chain),
                     tuple(p for i, p in enumerate(pieces) if i not in chain))


class _MaxTree:
    """Fenwick tree of (weight, piece) maxima over 1-based positions."""

    def __init__(self, size: int) -> None:
        self._tree = [(0, -1)] * (size + 1)

    def offer(self, position: int, weight: int, piece: int) -> None:
        while position < len(self._tree):
            if weight > self._tree[position][0]:
                self._tree[position] = (weight, piece)
            position += position & -position

    def best(self, position: int) -> tuple[int, int]:
        """Heaviest chain among positions 1..position."""
        out = (0, -1)
        while position > 0:
            if self._tree[position][0] > out[0]:
                out = self._tree[position]
            position -= position & -position
        return out
