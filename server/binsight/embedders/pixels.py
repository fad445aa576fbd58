"""A weight-free scene embedder, so Binsight sorts footage on a fresh, air-gapped machine.

The vector concatenates descriptions of a keyframe, each normalised and weighted:

* ``structure``: Lab colour on a coarse grid with the frame's own mean removed and lightness and
  chroma scaled by their spread - where the light and colour are, independent of exposure and
  white balance (which change from take to take of one setup);
* ``tone``: the frame's mean Lab colour, weighted low - keeps day and night of one place apart
  without letting an exposure change split a setup;
* ``colours``: hue/saturation histogram (Hellinger-mapped; value is left out because it moves with
  exposure) - which colours, wherever they are;
* ``contrast``: histogram of standardised lightness - how light is distributed, exposure-free;
* ``texture``: gradient-orientation histograms per quadrant plus local-contrast energy relative
  to mean brightness - what the surfaces look like;
* ``edges``: square-rooted distribution of gradient energy over a 4x4 grid and orientations -
  where the detail is.

Against v1 (raw Lab layout, HSV histogram with value, absolute gradient energy), on the two
bench/clusters.py datasets (each at its best thresholds) scene BCubed F1 rose from 0.769 to 0.924
after recluster and from 0.761 to 0.891 for online assignment, mostly by no longer splitting grey
and dark setups on exposure and white-balance changes. Each part is centred so that unrelated
frames score low cosine rather than the ~0.8 two positive histograms always share.

v3 (the default) describes a half grey-world balanced copy of the frame (each channel scaled by
(grey mean / channel mean) ** 0.5), so a colourist's white-balance and look changes move every part
less; only ``tone`` still reads the frame as shot, at weight 0.35, so day and night of one place
stay apart. On bench/clusters.py's real re-cut footage (strong per-delivery looks) the plain
cosine's best BCubed F1 went 0.900/0.827 -> 0.905/0.909 (two seeds), on the shared media 0.861 ->
0.909, and on the generated set 0.925 -> 0.902 (its "night twins" are other setups told apart by a
blue cast, which v3 deliberately weighs less).
"""

from __future__ import annotations

from typing import Sequence

import cv2
import numpy as np

from .base import SceneEmbedder, l2_normalise

_SIZE = 96  # working resolution; fine detail does not help telling locations apart
_GRID = 4
_HS_BINS = (12, 4)
_TONE_BINS = 12
_ORIENT_BINS = 8


class PixelsEmbedder(SceneEmbedder):
    model_id = "pixels-v3"
    weights = {"structure": 1.0, "tone": 0.35, "colours": 1.0, "contrast": 0.8, "texture": 0.8,
               "edges": 1.0}
    balance_exponent = 0.5  # 0 = describe the frame as shot (v2), 1 = full grey-world

    def __init__(self) -> None:
        self.dim = len(self._describe(np.zeros((8, 8, 3), np.uint8)))

    def embed_images(self, images: Sequence[np.ndarray]) -> np.ndarray:
        if len(images) == 0:
            return np.zeros((0, self.dim), np.float32)
        return l2_normalise(np.stack([self._describe(img) for img in images]))

    def _describe(self, image: np.ndarray) -> np.ndarray:
        shot = cv2.resize(image, (_SIZE, _SIZE), interpolation=cv2.INTER_AREA)
        small = self._balance(shot)
        lab = cv2.cvtColor(small, cv2.COLOR_BGR2LAB).astype(np.float32)
        cells = cv2.resize(lab, (_GRID, _GRID), interpolation=cv2.INTER_AREA).reshape(-1, 3)
        tone_cells = cells if small is shot else cv2.resize(
            cv2.cvtColor(shot, cv2.COLOR_BGR2LAB).astype(np.float32), (_GRID, _GRID),
            interpolation=cv2.INTER_AREA).reshape(-1, 3)
        grey = cv2.cvtColor(small, cv2.COLOR_BGR2GRAY).astype(np.float32) / 255.0
        gx = cv2.Sobel(grey, cv2.CV_32F, 1, 0, ksize=3)
        gy = cv2.Sobel(grey, cv2.CV_32F, 0, 1, ksize=3)
        magnitude, angle = cv2.cartToPolar(gx, gy)
        orient = np.minimum((angle % np.pi) / np.pi * _ORIENT_BINS, _ORIENT_BINS - 1).astype(int)
        parts = {
            "structure": self._structure(cells),
            "tone": tone_cells.mean(axis=0) - 128.0,
            "colours": self._colours(small),
            "contrast": self._contrast(grey),
            "texture": self._texture(grey, magnitude, orient),
            "edges": self._edges(magnitude, orient),
        }
        return np.concatenate(
            [self.weights[name] * l2_normalise(vec) for name, vec in parts.items()]
        ).astype(np.float32)

    def _balance(self, small: np.ndarray) -> np.ndarray:
        """Partial grey-world white balance (``balance_exponent``); the input when it is 0."""
        if not self.balance_exponent:
            return small
        f = small.astype(np.float32)
        means = f.reshape(-1, 3).mean(axis=0) + 1.0
        gains = (means.mean() / means) ** self.balance_exponent
        return np.clip(f * gains, 0, 255).astype(np.uint8)

    @staticmethod
    def _structure(cells: np.ndarray) -> np.ndarray:
        centred = cells - cells.mean(axis=0)
        centred[:, 0] /= max(float(centred[:, 0].std()), 1.0)
        centred[:, 1:] /= max(float(np.sqrt((centred[:, 1:] ** 2).mean())), 1.0)
        return centred.reshape(-1)

    @staticmethod
    def _colours(small: np.ndarray) -> np.ndarray:
        hsv = cv2.cvtColor(small, cv2.COLOR_BGR2HSV)
        hist = cv2.calcHist([hsv], [0, 1], None, list(_HS_BINS), [0, 180, 0, 256])
        # the hue of near-grey pixels is noise (a slight white-balance shift spins it round the
        # wheel), so the least saturated column counts as one "grey" bin whatever its hue
        hist = np.concatenate([[hist[:, 0].sum()], hist[:, 1:].reshape(-1)])
        hellinger = np.sqrt(hist / max(float(hist.sum()), 1.0))
        return hellinger - hellinger.mean()

    @staticmethod
    def _contrast(grey: np.ndarray) -> np.ndarray:
        standard = (grey - grey.mean()) / max(float(grey.std()), 1.0 / 255.0)
        hist = np.histogram(np.clip(standard, -3, 3), bins=_TONE_BINS, range=(-3, 3))[0]
        hellinger = np.sqrt(hist / max(float(hist.sum()), 1.0))
        return hellinger - hellinger.mean()

    @staticmethod
    def _texture(grey: np.ndarray, magnitude: np.ndarray, orient: np.ndarray) -> np.ndarray:
        cell = _SIZE // 2
        features = []
        for y in range(0, _SIZE, cell):
            for x in range(0, _SIZE, cell):
                b = orient[y : y + cell, x : x + cell].ravel()
                m = magnitude[y : y + cell, x : x + cell].ravel()
                hist = np.bincount(b, weights=m, minlength=_ORIENT_BINS)
                features.append(hist / max(hist.sum(), 1e-6) - 1.0 / _ORIENT_BINS)
        laplacian = cv2.Laplacian(grey, cv2.CV_32F)
        energy = np.asarray([magnitude.mean(), magnitude.std(), np.abs(laplacian).mean(), grey.std()],
                            np.float32) / max(float(grey.mean()), 0.05)
        return np.concatenate(features + [energy])

    @staticmethod
    def _edges(magnitude: np.ndarray, orient: np.ndarray) -> np.ndarray:
        cell = _SIZE // _GRID
        hists = [
            np.bincount(orient[y : y + cell, x : x + cell].ravel(),
                        weights=magnitude[y : y + cell, x : x + cell].ravel(), minlength=_ORIENT_BINS)
            for y in range(0, _SIZE, cell)
            for x in range(0, _SIZE, cell)
        ]
        spread = np.sqrt(np.stack(hists) / max(float(magnitude.sum()), 1e-6))
        return (spread - spread.mean()).reshape(-1)


class PixelsV2Embedder(PixelsEmbedder):
    """The previous version, kept so the benchmark can compare it and old projects can be read
    (its vectors are never compared with v3's: another model id)."""

    model_id = "pixels-v2"
    weights = {**PixelsEmbedder.weights, "tone": 0.5}
    balance_exponent = 0.0
