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


def sniff(content: bytes) -> str:
    """The media type of `content`, judged by its first bytes; anything but PDF, JPEG or PNG is refused."""
    for signature, media_type in SIGNATURES:
        if content.startswith(signature):
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
