"""Model packs on disk, below every model family: what a pack directory holds (its manifest and
file layout) and how an ONNX file in it is opened. ``embedders``, ``faces`` and the ``models``
catalog all build on this package; it imports none of them."""
