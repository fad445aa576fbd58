"""Pixel helpers every face backend shares: the rescale before detection and the sharpness of an
aligned chip. The 5-point similarity alignment itself stays with each backend's library
(dlib ``get_face_chip``, InsightFace ``norm_crop``, OpenCV ``FaceRecognizerSF.alignCrop``): each
recogniser was trained on its own template, and re-implementing them here would only let the
crops drift from what the weights expect."""

from __future__ import annotations

import cv2
import numpy as np


def rescale(image: np.ndarray, scale: float) -> np.ndarray:
    """Resize by ``scale`` (from ``FaceConfig.detection_scale``): area-averaged when shrinking so
    small faces do not alias away, bicubic when enlarging (on the shared wide-shot clip it finds a
    45 px face in slightly more frames than bilinear)."""
    if abs(scale - 1.0) < 1e-3:
        return image
    height, width = image.shape[:2]
    size = (max(1, round(width * scale)), max(1, round(height * scale)))
    interpolation = cv2.INTER_AREA if scale < 1.0 else cv2.INTER_CUBIC
    return cv2.resize(image, size, interpolation=interpolation)


def laplacian_sharpness(chip: np.ndarray) -> float:
    """Variance of the Laplacian of an aligned face chip's luminance: low means blurred (motion,
    focus, or a tiny face upsampled into the chip). Computed on the channel mean so RGB and BGR
    chips score alike; values compare only between chips of one backend (chip sizes differ)."""
    gray = chip.astype(np.float32).mean(axis=2) if chip.ndim == 3 else chip.astype(np.float32)
    return float(cv2.Laplacian(gray, cv2.CV_32F).var())
