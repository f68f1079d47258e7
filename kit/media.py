"""The kinds of file the suite accepts as materials, as intake checks them and the gateway serves them."""

from __future__ import annotations

# media type -> the file name ending a file of that kind is given, whatever name it came with
EXTENSIONS = {"application/pdf": ".pdf", "image/png": ".png", "image/jpeg": ".jpg"}
