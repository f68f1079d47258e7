"""Material files on disk, stored once per content hash under `var/intake/blobs/`, with the type checked by
content (PDF, JPEG or PNG), not by name."""

from __future__ import annotations

import hashlib
import logging
import os
import tempfile
from pathlib import Path

from kit import errors

log = logging.getLogger(__name__)

SIGNATURES = (
    (b"%PDF-", "application/pdf"),
    (b"\x89PNG\r\n\x1a\n", "image/png"),
    (b"\xff\xd8\xff", "image/jpeg"),
)
# how far from the end a file's closing mark may sit (writers pad PDFs and JPEGs after it)
TAIL = 4096
KIND_ZH = {"application/pdf": "PDF", "image/png": "PNG", "image/jpeg": "JPEG"}


def _whole(content: bytes, media_type: str) -> bool:
    """Whether the file is shaped as its type says from start to end, not a header glued to something else: a PDF
    closes with %%EOF, a PNG starts with its IHDR chunk and closes with IEND, a JPEG closes with its EOI mark."""
    tail = content[-TAIL:]
    if media_type == "application/pdf":
        return content[5:8].rstrip(b"\r\n").replace(b".", b"").isdigit() and b"%%EOF" in tail
    if media_type == "image/png":
        return content[12:16] == b"IHDR" and content.rstrip(b"\x00").endswith(b"IEND\xaeB`\x82")
    return b"\xff\xd9" in tail


def sniff(content: bytes) -> str:
    """The media type of `content`, judged by its bytes; anything but a whole PDF, JPEG or PNG is refused."""
    for signature, media_type in SIGNATURES:
        if content.startswith(signature):
            if not _whole(content, media_type):
                raise errors.UnsupportedMedia(
                    f"文件开头是{KIND_ZH[media_type]}，但内容不完整或夹带了其他内容，请重新导出或扫描后上传",
                    accepted=[m for _, m in SIGNATURES],
                )
            return media_type
    raise errors.UnsupportedMedia("只接受 PDF、JPEG 或 PNG 文件（按文件内容判断）", accepted=[m for _, m in SIGNATURES])


class BlobStore:
    def __init__(self, root: Path, max_bytes: int):
        self.root = root
        self.max_bytes = max_bytes

    def path(self, sha256: str) -> Path:
        return self.root / sha256[:2] / sha256

    def check(self, content: bytes) -> str:
        """Size and type checks before anything is written; returns the media type."""
        if not content:
            raise errors.Invalid("文件为空", field="file")
        if len(content) > self.max_bytes:
            limit = self.max_bytes / 1024 / 1024
            raise errors.TooLarge(f"文件超过大小上限 {limit:g} MiB", max_bytes=self.max_bytes)
        return sniff(content)

    def put(self, content: bytes) -> str:
        """Store `content` once (atomically) and return its SHA-256."""
        digest = hashlib.sha256(content).hexdigest()
        target = self.path(digest)
        if not target.exists():
            target.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".upload-")
            with os.fdopen(fd, "wb") as handle:
                handle.write(content)
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(tmp, target)
        return digest

    def get(self, sha256: str) -> bytes:
        """The content stored under `sha256`; a file gone from disk is an error for operators, not a 404."""
        try:
            return self.path(sha256).read_bytes()
        except FileNotFoundError:
            log.error("material file %s is missing from %s", sha256, self.root)
            raise errors.Unavailable("材料文件暂时无法读取，请联系系统运维") from None
