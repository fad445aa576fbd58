"""Compare two analysed versions of a cut: align first, then diff.

Index-by-index comparison (segment i of A against segment i of B) marks everything after one
inserted shot as different. Here B's units are first found in A wherever they are
(:mod:`matching`), the matches are put in the order both cuts share (:mod:`alignment`), and only
then is each difference named (:mod:`classify`). Nothing is decoded: a comparison reads the two
analyses' fingerprints, so thresholds can change from call to call.
"""

from __future__ import annotations

from .alignment import align
from .analysis import CutAnalysis
from .classify import Classifier
from .config import CompareConfig
from .difference import Comparison
from .fingerprint import Signatures
from .matching import Matcher
from .units import units


def compare(a: CutAnalysis, b: CutAnalysis, config: CompareConfig = CompareConfig()) -> Comparison:
    """Differences of B (the new version) against A (the old one)."""
    sig_a, sig_b = Signatures.of(a.luma, a.chroma), Signatures.of(b.luma, b.chroma)
    units_a, units_b = units(a, config), units(b, config)
    pieces = Matcher(sig_a, sig_b, units_a, units_b, config).pieces()
    differences, unchanged = Classifier(a, b, sig_a, sig_b, units_b, align(pieces), config).run()
    return Comparison(a=a, b=b, config=config, differences=differences, unchanged=unchanged,
                      warnings=_warnings(a, b))


def _warnings(a: CutAnalysis, b: CutAnalysis) -> tuple[str, ...]:
    out = [f"A: {w}" for w in a.warnings] + [f"B: {w}" for w in b.warnings]
    if a.frame_rate != b.frame_rate:
        out.append(f"A runs at {float(a.frame_rate):.3f} fps and B at {float(b.frame_rate):.3f} "
                   "fps: frames are lined up one to one, so footage retimed between them (pulldown, "
                   "a conform to another rate) is reported as replaced; compare versions at one "
                   "rate")
    return tuple(out)
