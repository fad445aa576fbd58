"""A weight-free scene embedder, so Binsight sorts footage on a fresh, air-gapped machine.

The vector concatenates three descriptions of a keyframe, each normalised and weighted:
colour layout (mean Lab colour on a coarse grid: where the colours are), a colour histogram
(hue/saturation/value, Hellinger-mapped: which colours, wherever they are) and gradient/texture
statistics (orientation histograms per cell plus local-contrast energy: what the surfaces look
like). The layout is centred on neutral grey so that unrelated frames score low cosine rather
than the ~0.8 two positive histograms always share.
"""

from __future__ import annotations

from typing import Sequence

import cv2
import numpy as np

from .base import SceneEmbedder, l2_normalise

_SIZE = 96  # working resolution; fine detail does not help telling locations apart
_GRID = 4
_HIST_BINS = (12, 4, 4)
_ORIENT_BINS = 8


class PixelsEmbedder(SceneEmbedder):
    model_id = "pixels-v1"
    weights = {"layout": 1.0, "histogram": 1.0, "texture": 0.8}

    def __init__(self) -> None:
        self.dim = len(self._describe(np.zeros((8, 8, 3), np.uint8)))

    def embed_images(self, images: Sequence[np.ndarray]) -> np.ndarray:
        if len(images) == 0:
            return np.zeros((0, self.dim), np.float32)
        return l2_normalise(np.stack([self._describe(img) for img in images]))

    def _describe(self, image: np.ndarray) -> np.ndarray:
        small = cv2.resize(image, (_SIZE, _SIZE), interpolation=cv2.INTER_AREA)
        parts = {
            "layout": self._layout(small),
            "histogram": self._histogram(small),
            "texture": self._texture(small),
        }
        return np.concatenate(
            [self.weights[name] * l2_normalise(vec) for name, vec in parts.items()]
        ).astype(np.float32)

    @staticmethod
    def _layout(small: np.ndarray) -> np.ndarray:
        lab = cv2.cvtColor(small, cv2.COLOR_BGR2LAB).astype(np.float32)
        cells = cv2.resize(lab, (_GRID, _GRID), interpolation=cv2.INTER_AREA)
        return (cells - 128.0).reshape(-1)

    @staticmethod
    def _histogram(small: np.ndarray) -> np.ndarray:
        hsv = cv2.cvtColor(small, cv2.COLOR_BGR2HSV)
        hist = cv2.calcHist([hsv], [0, 1, 2], None, list(_HIST_BINS), [0, 180, 0, 256, 0, 256])
        hist = hist.reshape(-1) / max(hist.sum(), 1.0)
        hellinger = np.sqrt(hist)
        return hellinger - hellinger.mean()

    @staticmethod
    def _texture(small: np.ndarray) -> np.ndarray:
        grey = cv2.cvtColor(small, cv2.COLOR_BGR2GRAY).astype(np.float32) / 255.0
        gx = cv2.Sobel(grey, cv2.CV_32F, 1, 0, ksize=3)
        gy = cv2.Sobel(grey, cv2.CV_32F, 0, 1, ksize=3)
        magnitude, angle = cv2.cartToPolar(gx, gy)
        bins = np.minimum((angle % np.pi) / np.pi * _ORIENT_BINS, _ORIENT_BINS - 1).astype(int)
        cell = _SIZE // 2
        features = []
        for y in range(0, _SIZE, cell):
            for x in range(0, _SIZE, cell):
                b = bins[y : y + cell, x : x + cell].ravel()
                m = magnitude[y : y + cell, x : x + cell].ravel()
                hist = np.bincount(b, weights=m, minlength=_ORIENT_BINS)
                features.append(hist / max(hist.sum(), 1e-6) - 1.0 / _ORIENT_BINS)
        laplacian = cv2.Laplacian(grey, cv2.CV_32F)
        energy = [magnitude.mean(), magnitude.std(), np.abs(laplacian).mean(), grey.std()]
        return np.concatenate(features + [np.asarray(energy, np.float32)])
