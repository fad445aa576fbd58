"""Export an open_clip model to a Binsight CLIP pack (ONNX image + text towers).

This is the only module that imports torch/open_clip, and it does so inside functions, so the
server never needs them. It runs in the separate export environment (``.ci/export-env.sh``
creates one; ``pip install 'binsight[export]'`` next to a torch/torchvision pair that import
together does too), on a machine that can reach the Hugging Face hub when ``pretrained`` names
hub weights::

    binsight models export-clip --model ViT-B-32 --pretrained laion2b_s34b_b79k
    binsight models export-clip --model ViT-B-32 --pretrained /path/to/epoch_32.pt   # own checkpoint
    binsight models export-clip --model ViT-B-32 --pretrained none                   # random weights

A CLIP pack holds:

- ``image.onnx`` — ``pixels (n, 3, S, S) float32`` → ``embedding (n, D)`` (not normalised);
- ``text.onnx`` — ``tokens (n, 77) int64`` → ``embedding (n, D)`` (not normalised);
- ``bpe_simple_vocab_16e6.txt.gz`` — the BPE merges the pure-Python tokenizer reads;
- ``manifest.json`` — preprocessing (size, mean, std, resize mode), tokenizer settings, licence,
  source and sha256 of every file.

Copy the pack directory (or a zip of it) to the machine running Binsight and
``binsight models import PATH``. Licences: open_clip's code and the OpenAI, LAION and DataComp
CLIP weights are MIT; other checkpoints carry their own model-card licence, which the manifest
records as "see model card" for the user to check.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path
from typing import Any

from ..packs.manifest import IMAGE_FILE, TEXT_FILE, VOCAB_FILE, PackManifest, sha256_of
RANDOM_SEED = 0  # random-weight exports are reproducible, so a reference run can rebuild them
_MIT_TAG_PREFIXES = ("openai", "laion", "datacomp", "commonpool")
_CLEAN_MODES = {"_clean_lower": "lower", "_clean_whitespace": "whitespace"}


def weights_label(pretrained: str | None) -> str:
    """How the weights appear in pack names and model ids: the tag, "random0", or for a local
    checkpoint its stem plus a hash prefix — two fine-tunes both called ``epoch_32.pt`` are
    different embedding spaces and must not share a model id."""
    if pretrained is None:
        return f"random{RANDOM_SEED}"
    path = Path(pretrained)
    return f"{path.stem}-{sha256_of(path)[:10]}" if path.is_file() else pretrained


def default_pack_name(model_name: str, pretrained: str | None) -> str:
    label = f"{model_name}-{weights_label(pretrained)}".lower()
    return "clip-" + re.sub(r"[^a-z0-9_.-]+", "-", label).strip("-")


def _license_for(pretrained: str | None) -> str:
    if pretrained is None:
        return "MIT (open_clip code); random weights"
    if Path(pretrained).is_file():
        return "own checkpoint: see its model card"
    if pretrained.startswith(_MIT_TAG_PREFIXES):
        return "MIT"
    return "see model card"


def build_model(model_name: str, pretrained: str | None) -> tuple[Any, Any, dict[str, Any]]:
    """The open_clip model in eval mode, its tokenizer and its eval preprocessing config.

    Random weights (``pretrained=None``) come from a fixed seed, so a second call — the parity
    test's reference run — builds the same network.
    """
    import open_clip
    import torch

    torch.manual_seed(RANDOM_SEED)
    model = open_clip.create_model(model_name, pretrained=pretrained, device="cpu")
    model.eval()
    tokenizer = open_clip.get_tokenizer(model_name)
    preprocess_cfg = dict(open_clip.get_model_preprocess_cfg(model))
    return model, tokenizer, preprocess_cfg


def _tokenizer_settings(tokenizer: Any) -> dict[str, Any]:
    """What the pure-Python tokenizer needs; refuses tokenizers it cannot reproduce."""
    from open_clip.tokenizer import SimpleTokenizer

    if not isinstance(tokenizer, SimpleTokenizer):
        raise ValueError(
            f"this model uses {type(tokenizer).__name__}; Binsight's runtime tokenizer only "
            "reproduces CLIP's BPE tokenizer (OpenAI/LAION/DataComp CLIP models)"
        )
    clean = _CLEAN_MODES.get(getattr(tokenizer.clean_fn, "__name__", ""))
    if clean is None or tokenizer.reduction_fn is not None:
        raise ValueError("this model's tokenizer uses a text cleaning/reduction Binsight lacks")
    specials = sorted(tokenizer.all_special_ids)
    return {
        "context_length": int(tokenizer.context_length),
        "tokenizer_clean": clean,
        "special_tokens": [tokenizer.decoder[i] for i in specials],
        "vocab": VOCAB_FILE,
    }


def _preprocessing(cfg: dict[str, Any]) -> dict[str, Any]:
    size = cfg["size"]
    size = list(size) if isinstance(size, (list, tuple)) else [size, size]
    if size[0] != size[1] or cfg.get("resize_mode", "shortest") != "shortest" or cfg.get(
        "interpolation", "bicubic"
    ) != "bicubic":
        raise ValueError(f"unsupported preprocessing {cfg}: Binsight implements square, "
                         "shortest-side bicubic + centre crop")
    return {
        "image_size": int(size[0]),
        "resize_mode": "shortest",
        "interpolation": "bicubic",
        "mean": [float(v) for v in cfg["mean"]],
        "std": [float(v) for v in cfg["std"]],
    }


def embedding_dim(model: Any, image_size: int) -> int:
    """Read off a forward pass: configs name the width differently across open_clip towers."""
    import torch

    with torch.no_grad():
        return int(model.encode_image(torch.zeros(1, 3, image_size, image_size)).shape[-1])


def export_towers(model: Any, image_size: int, context_length: int, out_dir: Path) -> None:
    """Write ``image.onnx`` and ``text.onnx`` with a dynamic batch axis."""
    import torch

    class ImageTower(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.clip = model

        def forward(self, pixels: torch.Tensor) -> torch.Tensor:
            return self.clip.encode_image(pixels)

    class TextTower(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.clip = model

        def forward(self, tokens: torch.Tensor) -> torch.Tensor:
            return self.clip.encode_text(tokens)

    towers = [
        (ImageTower(), torch.zeros(2, 3, image_size, image_size), "pixels", IMAGE_FILE),
        (TextTower(), torch.zeros(2, context_length, dtype=torch.long), "tokens", TEXT_FILE),
    ]
    for tower, example, input_name, file_name in towers:
        # The TorchScript exporter: one self-contained file, fast, and exact for CLIP's ops.
        # Deliberately not under no_grad: in inference mode nn.MultiheadAttention takes a fused
        # fast path (aten::_native_multi_head_attention) that has no ONNX form.
        torch.onnx.export(
            tower.eval(),
            (example,),
            str(out_dir / file_name),
            input_names=[input_name],
            output_names=["embedding"],
            dynamic_axes={input_name: {0: "batch"}, "embedding": {0: "batch"}},
            opset_version=17,
            dynamo=False,
        )


def export_clip(
    model_name: str, pretrained: str | None, out_dir: Path, name: str | None = None
) -> PackManifest:
    """Export ``model_name`` with ``pretrained`` weights (tag, checkpoint path or None for random)
    into the pack directory ``out_dir``; returns the manifest written there."""
    import open_clip
    from open_clip.tokenizer import default_bpe

    model, tokenizer, preprocess_cfg = build_model(model_name, pretrained)
    preprocessing = _preprocessing(preprocess_cfg)
    settings = _tokenizer_settings(tokenizer)
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    export_towers(model, preprocessing["image_size"], settings["context_length"], out_dir)
    shutil.copyfile(default_bpe(), out_dir / VOCAB_FILE)
    label = weights_label(pretrained)
    manifest = PackManifest.for_files(
        out_dir,
        [IMAGE_FILE, TEXT_FILE, VOCAB_FILE],
        name=name or default_pack_name(model_name, pretrained),
        version="1",
        kind="scene",
        family="clip",
        model_id=f"clip:{model_name}:{label}",
        dim=embedding_dim(model, preprocessing["image_size"]),
        license=_license_for(pretrained),
        source=f"open_clip {open_clip.__version__} model={model_name} "
               f"pretrained={pretrained or 'none (random)'}",
        preprocessing=preprocessing,
        extra={**settings, "open_clip_model": model_name, "pretrained": pretrained},
    )
    manifest.save(out_dir)
    return manifest
