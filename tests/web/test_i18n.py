"""The message catalogue: complete in both languages, and the only source of UI text."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from anju.web.i18n import MESSAGES, Translator, gettext, normalise

pytestmark = pytest.mark.db_agnostic  # pure functions: run in the SQLite pass only (scripts/test.sh)

TEMPLATES = Path(__file__).parents[2] / "src" / "anju" / "web" / "templates"
CJK = re.compile(r"[\u3000-\u303f\u3400-\u9fff\uff00-\uffef]")


def test_every_message_has_both_languages():
    missing = [k for k, (zh, en) in MESSAGES.items() if not zh or not en]
    assert missing == []


def test_templates_hold_no_chinese_text():
    offenders = [
        f"{p.name}:{n}"
        for p in TEMPLATES.rglob("*.html")
        for n, line in enumerate(p.read_text(encoding="utf-8").splitlines(), 1)
        if CJK.search(line)
    ]
    assert offenders == []


def test_every_key_used_in_templates_exists():
    used = {k for p in TEMPLATES.rglob("*.html") for k in re.findall(r"\bt\('([a-z0-9_.]+)'", p.read_text())}
    assert used and sorted(k for k in used if not k.endswith(".") and k not in MESSAGES) == []


def test_language_choice():
    assert normalise(None) == "zh-CN" and normalise("en-US") == "en" and normalise("fr") == "zh-CN"
    assert gettext("en", "nav.residents") == "Residents" and gettext("zh-CN", "nav.residents") == "住户"
    assert Translator("en")("common.total", n=3) == "3 in total"
    assert Translator("zh-CN").pick({"zh": "未找到", "en": "Not found"}) == "未找到"
    assert gettext("en", "no.such.key") == "no.such.key"
