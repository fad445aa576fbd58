"""CLIP scene embeddings on ONNX Runtime: what-is-in-this-shot vectors plus text search.

A CLIP pack (see :mod:`binsight.models.export_clip` for how one is made and what it holds) has
an image tower and a text tower exported from open_clip. Running them needs only onnxruntime,
numpy and the two modules beside this one: :mod:`.preprocess` (open_clip's image transform)
and :mod:`.tokenizer` (open_clip's BPE tokenizer), both matching open_clip exactly, because a
CLIP model's vectors are only meaningful for inputs prepared the way it was trained.

The execution provider is chosen automatically (CUDA > CoreML > CPU, see
:mod:`binsight.packs.onnx_session`) and reported as ``.provider``. The text tower is loaded
on the first text query: ingest workers that only embed keyframes never pay its ~250 MB.
"""

from __future__ import annotations

from pathlib import Path
from typing import Sequence

import numpy as np

from ..packs.manifest import IMAGE_FILE, TEXT_FILE, VOCAB_FILE, PackManifest
from ..packs.onnx_session import OnnxModel
from .base import SceneEmbedder, l2_normalise
from .preprocess import ClipPreprocess
from .tokenizer import DEFAULT_SPECIAL_TOKENS, ClipTokenizer


class ClipEmbedder(SceneEmbedder):
    """Embeds BGR keyframes and text queries into one CLIP space.

    ``batch_size`` bounds how many images go through the image tower at once (memory grows
    with it; 16 is where CPU throughput stops improving for ViT-B/32). ``providers`` overrides
    the automatic choice, e.g. ``["CPUExecutionProvider"]`` for reproducible tests.
    """

    supports_text = True

    def __init__(
        self,
        pack_dir: Path,
        batch_size: int = 16,
        providers: Sequence[str] | None = None,
        intra_op_threads: int = 0,
    ) -> None:
        self.pack_dir = Path(pack_dir)
        self.manifest = PackManifest.load(self.pack_dir)
        if self.manifest.family != "clip":
            raise ValueError(f"{self.pack_dir} holds a {self.manifest.family} pack, not CLIP")
        self.model_id = self.manifest.model_id
        self.dim = self.manifest.dim
        self.license = self.manifest.license
        self.batch_size = max(1, batch_size)
        self._providers = providers
        self._threads = intra_op_threads
        self.preprocess = ClipPreprocess.from_manifest(self.manifest.preprocessing)
        self._image = OnnxModel(self.pack_dir / IMAGE_FILE, providers, intra_op_threads)
        self.provider = self._image.provider
        # A graph exported with a fixed batch dimension can only take that many images per run.
        fixed = self._image.session.get_inputs()[0].shape[0]
        self._image_batch = fixed if isinstance(fixed, int) else self.batch_size
        extra = self.manifest.extra
        self.tokenizer = ClipTokenizer(
            self.pack_dir / extra.get("vocab", VOCAB_FILE),
            context_length=int(extra.get("context_length", 77)),
            clean=extra.get("tokenizer_clean", "lower"),
            special_tokens=extra.get("special_tokens", DEFAULT_SPECIAL_TOKENS),
        )
        self._text: OnnxModel | None = None

    def embed_images(self, images: Sequence[np.ndarray]) -> np.ndarray:
        if len(images) == 0:
            return np.zeros((0, self.dim), np.float32)
        step = self._image_batch
        chunks = [
            self._image.run_single(self.preprocess(images[start : start + step]))
            for start in range(0, len(images), step)
        ]
        return l2_normalise(np.concatenate(chunks))

    def embed_texts(self, texts: Sequence[str]) -> np.ndarray:
        if len(texts) == 0:
            return np.zeros((0, self.dim), np.float32)
        if self._text is None:
            self._text = OnnxModel(self.pack_dir / TEXT_FILE, self._providers, self._threads)
        return l2_normalise(self._text.run_single(self.tokenizer(list(texts))))
