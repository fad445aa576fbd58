"""Torch/open_clip reference outputs for tests/test_clip_export.py; runs in the EXPORT env.

    python tests/clip_export_reference.py --model ViT-B-32 --images DIR --out DIR

Rebuilds the exported network with ``binsight.models.export_clip.build_model`` (random weights
come from a fixed seed, so it is the network the export wrote) and saves, as .npy files:
open_clip's token ids for every string in clip_tokenizer_strings.py, open_clip's preprocessed
pixels for every PNG in --images (sorted by name), and the normalised image and text features
torch computes for them. The comparison happens in the main
environment, which has no torch.
"""

from __future__ import annotations

import argparse
import runpy
from pathlib import Path

import numpy as np
import open_clip
import torch
from PIL import Image

from binsight.models.export_clip import build_model


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--model", required=True)
    parser.add_argument("--images", type=Path, required=True)
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args()
    strings = runpy.run_path(str(Path(__file__).with_name("clip_tokenizer_strings.py")))["STRINGS"]

    model, tokenizer, cfg = build_model(args.model, None)
    preprocess = open_clip.image_transform(
        cfg["size"], is_train=False, mean=cfg["mean"], std=cfg["std"],
        resize_mode=cfg["resize_mode"], interpolation=cfg["interpolation"],
    )
    images = sorted(args.images.glob("*.png"))
    pixels = torch.stack([preprocess(Image.open(path)) for path in images])
    token_ids = tokenizer(strings)
    with torch.no_grad():
        image_features = model.encode_image(pixels, normalize=True)
        text_features = model.encode_text(token_ids, normalize=True)
    args.out.mkdir(parents=True, exist_ok=True)
    np.save(args.out / "token_ids.npy", token_ids.numpy())
    np.save(args.out / "pixels.npy", pixels.numpy())
    np.save(args.out / "image_features.npy", image_features.numpy())
    np.save(args.out / "text_features.npy", text_features.numpy())


if __name__ == "__main__":
    main()
