"""CLIP export parity: open_clip (torch) vs Binsight's ONNX Runtime path, on a real architecture.

Needs the separate export environment (torch + open_clip), named by BINSIGHT_EXPORT_PYTHON:

    bash .ci/export-env.sh /work/venv-export
    BINSIGHT_EXPORT_PYTHON=/work/venv-export/bin/python pytest tests/test_clip_export.py

In that environment ``binsight models export-clip`` exports ViT-B-32 with random weights
(``--pretrained none``: the hub is out of reach here, and parity does not depend on the
weights), and tests/clip_export_reference.py saves torch's outputs for fixed images and
strings. Everything is compared here, in the main environment, which has no torch.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import cv2
import numpy as np
import pytest

from binsight.embedders.clip import ClipEmbedder
from binsight.models.manager import ModelManager

from clip_tokenizer_strings import STRINGS

pytestmark = pytest.mark.export

EXPORT_PYTHON = os.environ.get("BINSIGHT_EXPORT_PYTHON")
MODEL = "ViT-B-32"
PACK = "clip-vit-b-32-random0"
TOLERANCE = 1e-4
TESTS_DIR = Path(__file__).parent

if not EXPORT_PYTHON:
    pytest.skip(
        "export parity needs the torch/open_clip export environment: create it with "
        "`bash .ci/export-env.sh /work/venv-export` and set "
        "BINSIGHT_EXPORT_PYTHON=/work/venv-export/bin/python",
        allow_module_level=True,
    )


def test_frames() -> dict[str, np.ndarray]:
    """BGR frames: landscape HD, portrait, small, exact model size, and taller than 2:1 (the case
    where Pillow switches its resampling pass order)."""
    rng = np.random.default_rng(7)
    frames = {}
    for name, (h, w) in {"a_hd": (720, 1280), "b_portrait": (640, 360), "c_small": (80, 100),
                         "d_exact": (224, 224), "e_tall": (900, 300)}.items():
        y, x = np.mgrid[0:h, 0:w].astype(np.float32)
        base = np.stack([x / w * 255, y / h * 255, (x + y) % 64 * 4], axis=-1)
        frames[name] = np.clip(base + rng.normal(0, 20, (h, w, 3)), 0, 255).astype(np.uint8)
    return frames


test_frames.__test__ = False  # a helper, not a test


def run_export_env(*argv: str) -> None:
    subprocess.run(["nice", EXPORT_PYTHON, *argv], check=True, timeout=900, cwd=TESTS_DIR.parent)


@pytest.fixture(scope="module")
def exported(tmp_path_factory):
    """Export through the CLI into a models dir, then dump torch's reference outputs."""
    root = tmp_path_factory.mktemp("clip-export")
    models_dir, images_dir, reference = root / "models", root / "images", root / "reference"
    images_dir.mkdir()
    for name, frame in test_frames().items():
        cv2.imwrite(str(images_dir / f"{name}.png"), frame)
    run_export_env("-m", "binsight.models.cli", "--models-dir", str(models_dir),
                   "export-clip", "--model", MODEL, "--pretrained", "none")
    run_export_env(str(TESTS_DIR / "clip_export_reference.py"), "--model", MODEL,
                   "--images", str(images_dir), "--out", str(reference))
    refs = {name: np.load(reference / f"{name}.npy")
            for name in ["token_ids", "pixels", "image_features", "text_features"]}
    frames = [cv2.imread(str(p)) for p in sorted(images_dir.glob("*.png"))]
    return models_dir, frames, refs


@pytest.fixture(scope="module")
def embedder(exported):
    models_dir = exported[0]
    return ClipEmbedder(models_dir / PACK, batch_size=4, providers=["CPUExecutionProvider"])


def test_export_installs_a_verified_pack_the_manager_picks(exported):
    manager = ModelManager(exported[0], echo=lambda _: None)
    assert manager.verify(PACK) == {PACK: []}
    manifest = manager.get(PACK).manifest
    assert (manifest.family, manifest.kind, manifest.dim, manifest.model_id) == (
        "clip", "scene", 512, "clip:ViT-B-32:random0")
    assert manifest.preprocessing["image_size"] == 224
    assert manifest.extra["context_length"] == 77
    assert manager.best_scene_embedder().model_id == "clip:ViT-B-32:random0"


def test_tokenizer_matches_open_clip_on_every_string(exported, embedder):
    reference = exported[2]["token_ids"]
    ours = embedder.tokenizer(STRINGS)
    assert len(STRINGS) >= 50
    mismatched = [s for s, a, b in zip(STRINGS, ours, reference) if not np.array_equal(a, b)]
    assert not mismatched
    assert (reference[:, -1] != 0).any()  # the long strings really were truncated ...
    truncated = reference[:, -1] != 0
    assert (ours[truncated, -1] == embedder.tokenizer.eot_token_id).all()  # ... ending in EOT


def test_preprocessing_matches_open_clip(exported, embedder):
    _, frames, refs = exported
    np.testing.assert_allclose(embedder.preprocess(frames), refs["pixels"], atol=1e-6)


def test_image_tower_matches_torch(exported, embedder):
    _, frames, refs = exported
    tower_only = embedder._image.run_single(refs["pixels"])
    tower_only /= np.linalg.norm(tower_only, axis=1, keepdims=True)
    np.testing.assert_allclose(tower_only, refs["image_features"], atol=TOLERANCE)
    np.testing.assert_allclose(embedder.embed_images(frames), refs["image_features"], atol=TOLERANCE)


def test_text_tower_matches_torch(exported, embedder):
    refs = exported[2]
    np.testing.assert_allclose(embedder.embed_texts(STRINGS), refs["text_features"], atol=TOLERANCE)
