"""Cleaning of free text that people type: trimmed, within its length, no control or direction-override characters."""

from __future__ import annotations

import re

from kit import errors

# control characters, zero-width and direction marks, line/paragraph separators, word joiners and the byte-order mark
INVISIBLE = r"\x7f\u180e\u200b-\u200f\u2028-\u202e\u2060-\u2064\u2066-\u2069\ufeff"
CONTROL = re.compile(rf"[\x00-\x08\x0b\x0c\x0e-\x1f{INVISIBLE}]")
CONTROL_IN_LINE = re.compile(rf"[\x00-\x1f{INVISIBLE}]")


def clean_text(
    value: str | None, label: str, max_length: int, field_name: str, required: bool = True, multiline: bool = False
) -> str:
    """Trimmed text without invisible control characters (line breaks and tabs allowed when `multiline`)."""
    text = (value or "").replace("\r\n", "\n").strip()
    if required and not text:
        raise errors.Invalid(f"{label}不能为空", field=field_name)
    if (CONTROL if multiline else CONTROL_IN_LINE).search(text):
        raise errors.Invalid(f"{label}含有不可见的控制字符", field=field_name)
    if len(text) > max_length:
        raise errors.Invalid(f"{label}不能超过{max_length}个字", field=field_name)
    return text


def printable(value: str, limit: int = 20) -> str:
    """A user-supplied code safe to quote back in a message: no control characters, at most `limit` long."""
    return CONTROL_IN_LINE.sub("", value or "")[:limit]
