"""Free text people type: trimmed, bounded, and without characters a reader cannot see."""

from __future__ import annotations

import pytest

from kit import errors
from kit.text import clean_text


def test_invisible_characters_are_refused_and_blanks_trimmed():
    assert clean_text("  鸿远物流园二期  ", "项目名称", 200, "name") == "鸿远物流园二期"
    assert clean_text("第一行\n第二行", "意见", 200, "note", multiline=True) == "第一行\n第二行"
    for hidden in ("\ufeff名称", "名\u200b称", "名\u202e称", "名\u2028称", "名\u2060称", "名\x00称", "名\x7f称"):
        with pytest.raises(errors.Invalid, match="不可见的控制字符") as refused:
            clean_text(hidden, "项目名称", 200, "name")
        assert refused.value.details["field"] == "name"
    with pytest.raises(errors.Invalid, match="不能为空"):
        clean_text("   ", "项目名称", 200, "name")
    with pytest.raises(errors.Invalid, match="不能超过5个字"):
        clean_text("一二三四五六", "项目名称", 5, "name")
