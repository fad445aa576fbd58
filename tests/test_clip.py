"""ClipEmbedder, its preprocessing and tokenizer, on tiny CLIP-signature ONNX packs (no torch).

Parity with open_clip itself (real architecture, real tokenizer vocabulary) is in
tests/test_clip_export.py, which needs the export environment.
"""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import onnxruntime as ort
import pytest
from PIL import Image

from binsight.embedders.clip import ClipEmbedder
from binsight.embedders.preprocess import ClipPreprocess
from binsight.embedders.tokenizer import ClipTokenizer, clean_text, fix_text, pre_tokenize
from binsight.packs.onnx_session import choose_providers

from clip_pack_factory import CONTEXT, DIM, IMAGE_SIZE, MEAN, STD, make_clip_pack

CPU = ["CPUExecutionProvider"]


def reference_preprocess(bgr: np.ndarray, size: int) -> np.ndarray:
    """open_clip's eval transform written out with PIL: Resize(size, BICUBIC) on the shortest
    side (long side truncated), CenterCrop(size) (offsets rounded like torchvision), /255,
    (x - mean) / std, CHW."""
    image = Image.fromarray(bgr[:, :, ::-1] if bgr.ndim == 3 else bgr).convert("RGB")
    w, h = image.size
    new_w, new_h = (size, int(size * h / w)) if w <= h else (int(size * w / h), size)
    if (new_w, new_h) != (w, h):
        image = image.resize((new_w, new_h), Image.BICUBIC)
    top, left = int(round((new_h - size) / 2.0)), int(round((new_w - size) / 2.0))
    image = image.crop((left, top, left + size, top + size))
    pixels = np.asarray(image, np.float32) / np.float32(255.0)
    pixels = (pixels - np.asarray(MEAN, np.float32)) / np.asarray(STD, np.float32)
    return pixels.transpose(2, 0, 1)


def frames(count: int, seed: int = 1) -> list[np.ndarray]:
    """Textured BGR frames of assorted shapes (landscape, portrait, smaller than the model input)."""
    rng = np.random.default_rng(seed)
    shapes = [(90, 160), (160, 90), (48, 64), (20, 30), (33, 33), (120, 121)]
    out = []
    for i in range(count):
        h, w = shapes[i % len(shapes)]
        ramp = np.linspace(0, 255, w, dtype=np.float32)[None, :, None]
        noise = rng.integers(0, 80, (h, w, 3)).astype(np.float32)
        out.append(np.clip(ramp * (i + 1) / count + noise, 0, 255).astype(np.uint8))
    return out


@pytest.fixture(scope="module")
def pack(tmp_path_factory):
    pack_dir = tmp_path_factory.mktemp("packs") / "clip-tiny"
    make_clip_pack(pack_dir)
    return pack_dir


@pytest.fixture(scope="module")
def embedder(pack):
    return ClipEmbedder(pack, batch_size=4, providers=CPU)


def test_preprocess_matches_pil_reference():
    preprocess = ClipPreprocess(IMAGE_SIZE, tuple(MEAN), tuple(STD))
    rng = np.random.default_rng(0)
    shapes = [(1080, 1920), (300, 301), (480, 360), (20, 30), (32, 32), (37, 900), (1000, 33)]
    shapes += [tuple(rng.integers(8, 240, 2)) for _ in range(40)]  # incl. Pillow's pass-order switch
    for h, w in shapes:
        bgr = rng.integers(0, 256, (h, w, 3), dtype=np.uint8)
        ours = preprocess([bgr])[0]
        np.testing.assert_allclose(ours, reference_preprocess(bgr, IMAGE_SIZE), atol=1e-6,
                                   err_msg=f"{h}x{w}")


def test_preprocess_reads_manifest_and_handles_greyscale():
    preprocess = ClipPreprocess.from_manifest(
        {"image_size": IMAGE_SIZE, "resize_mode": "shortest", "interpolation": "bicubic",
         "mean": MEAN, "std": STD})
    grey = np.tile(np.arange(64, dtype=np.uint8), (48, 1))
    np.testing.assert_allclose(preprocess([grey])[0], reference_preprocess(grey, IMAGE_SIZE), atol=1e-6)
    with pytest.raises(ValueError, match="shortest-side bicubic"):
        ClipPreprocess.from_manifest({"image_size": 32, "resize_mode": "squash", "mean": MEAN, "std": STD})


def test_image_vectors_are_the_tower_output_of_the_reference_preprocessing(pack, embedder):
    images = frames(3)
    session = ort.InferenceSession(str(pack / "image.onnx"), providers=CPU)
    raw = session.run(None, {"pixels": np.stack([reference_preprocess(i, IMAGE_SIZE) for i in images])})[0]
    expected = raw / np.linalg.norm(raw, axis=1, keepdims=True)
    np.testing.assert_allclose(embedder.embed_images(images), expected, atol=1e-5)


def test_batching_gives_the_same_vectors_as_one_by_one(embedder):
    images = frames(7)  # batch_size 4: one full batch and a partial one
    batched = embedder.embed_images(images)
    single = np.concatenate([embedder.embed_images([image]) for image in images])
    assert batched.shape == (7, DIM)
    np.testing.assert_allclose(batched, single, atol=1e-5)
    np.testing.assert_allclose(np.linalg.norm(batched, axis=1), 1.0, atol=1e-5)


def test_fixed_batch_graph_is_fed_one_image_at_a_time(tmp_path, embedder):
    make_clip_pack(tmp_path / "fixed", batch=1)  # same seed: same weights as the fixture pack
    fixed = ClipEmbedder(tmp_path / "fixed", batch_size=16, providers=CPU)
    images = frames(5)
    np.testing.assert_allclose(fixed.embed_images(images), embedder.embed_images(images), atol=1e-5)


def test_text_vectors_are_normalised_and_distinct(embedder):
    vectors = embedder.embed_texts(["the dog", "a cat", "THE DOG"])
    assert vectors.shape == (3, DIM) and vectors.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    assert not np.allclose(vectors[0], vectors[1])
    np.testing.assert_allclose(vectors[0], vectors[2], atol=1e-6)  # lower-cased before tokenising


def test_empty_inputs_give_empty_arrays(embedder):
    assert embedder.embed_images([]).shape == (0, DIM)
    assert embedder.embed_texts([]).shape == (0, DIM)


def test_embedder_reports_identity_and_provider(embedder):
    assert embedder.model_id == "clip:tiny:clip-tiny-0"
    assert embedder.supports_text and embedder.dim == DIM
    assert embedder.provider == "cpu"


def test_provider_preference_is_cuda_then_coreml_then_cpu():
    assert choose_providers(["CPUExecutionProvider", "CUDAExecutionProvider"])[0] == "CUDAExecutionProvider"
    assert choose_providers(["CPUExecutionProvider", "CoreMLExecutionProvider"])[0] == "CoreMLExecutionProvider"
    assert choose_providers(["AzureExecutionProvider", "CPUExecutionProvider"]) == ["CPUExecutionProvider"]


def test_tokenizer_frames_truncates_and_pads(embedder):
    tokenizer: ClipTokenizer = embedder.tokenizer
    ids = tokenizer(["the dog", "dog " * 200, ""])
    assert ids.shape == (3, CONTEXT) and ids.dtype == np.int64
    sot, eot = tokenizer.sot_token_id, tokenizer.eot_token_id
    the, dog = tokenizer.encoder["the</w>"], tokenizer.encoder["dog</w>"]
    assert ids[0, :4].tolist() == [sot, the, dog, eot] and not ids[0, 4:].any()
    assert ids[1, 0] == sot and ids[1, -1] == eot and (ids[1, 1:-1] == dog).all()
    assert ids[2, :2].tolist() == [sot, eot]


def test_pre_tokenize_follows_open_clip_pattern():
    assert list(pre_tokenize("it's 42 dogs!! rock'n'roll")) == [
        "it", "'s", "4", "2", "dogs", "!!", "rock", "'", "n", "'", "roll"]
    assert list(pre_tokenize("<start_of_text>café 東京😀!")) == ["<start_of_text>", "café", "東京", "😀!"]


def test_text_cleaning_follows_ftfy_and_open_clip():
    assert fix_text("“ﬁne” ＡＢＣ\u3000x &amp; y\ufeff") == '"fine" ABC x & y'
    assert clean_text("  Tom &amp;amp; JERRY \n\t ok ") == "tom & jerry ok"
    assert clean_text("cafe\u0301") == "café"  # NFC


def test_runtime_modules_never_import_torch():
    """torch is an export-time dependency only: loading the CLIP runtime must not pull it in."""
    code = ("import sys, binsight.embedders.clip, binsight.models.manager, binsight.models.cli; "
            "print(sorted(m for m in ('torch', 'open_clip') if m in sys.modules))")
    result = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True)
    assert result.stdout.strip() == "[]"
