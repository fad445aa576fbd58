"""Reading slates (clapperboards) offline, to name clips by scene and take.

``read_slate(path, info)`` searches a clip's first and last seconds (and the start of any shot
given) for a board, reads it with PP-OCR (``rapidocr-onnxruntime``, weights in its wheel) and
parses the fields. Every field carries a confidence; a read not sure enough to name anything is
``unsure`` and names nothing (``label() == ""``), and a clip without a slate reads as None.

Modules, one concept each: ``frames`` (which frames, decoded how), ``detector`` (board-like
regions, no weights), ``ocr`` (text lines both ways up), ``layout`` (labels and their values on
the board), ``fields`` (what a value must look like), ``parser`` (one page into fields),
``reader`` (frames into one read), ``types`` (the records).
"""

from binsight.slates.reader import read_slate
from binsight.slates.types import SlateConfig, SlateField, SlateRead

__all__ = ["SlateConfig", "SlateField", "SlateRead", "read_slate"]
