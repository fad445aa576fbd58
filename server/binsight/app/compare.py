"""CompareService: what changed between two versions of a cut."""

from __future__ import annotations

from ..errors import Unsupported


class CompareService:
    def compare_cuts(self, before: bytes, after: bytes, fmt: str) -> list:
        raise Unsupported("comparing two versions of a cut is not offered by this server yet")
