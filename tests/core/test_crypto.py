"""Field-level encryption, blind indexes and masks of personal data (R-P1, R-P6)."""

from __future__ import annotations

import base64
from collections.abc import Iterator

import pytest
from cryptography.exceptions import InvalidTag

from anju.core.config import reset_settings
from anju.core.crypto import (
    blind_index,
    decrypt,
    encrypt,
    mask_id_number,
    mask_name,
    mask_phone,
    reset_keys,
)

pytestmark = pytest.mark.db_agnostic  # pure functions: run in the SQLite pass only (scripts/test.sh)

PHONE = "13812345678"
ID_NUMBER = "11010519491231002X"


@pytest.fixture
def fresh_keys() -> Iterator[None]:
    """Re-derive keys for this test and again afterwards (the environment is patched)."""
    reset_settings()
    reset_keys()
    yield
    reset_settings()
    reset_keys()


class TestEncrypt:
    def test_round_trip(self):
        token = encrypt(PHONE, context="person.phone")
        assert token is not None and token.startswith("v1:")
        assert PHONE not in token
        assert decrypt(token, context="person.phone") == PHONE

    def test_round_trip_keeps_unicode(self):
        assert decrypt(encrypt("张三·李四", context="x"), context="x") == "张三·李四"

    def test_same_value_encrypts_differently_each_time(self):
        assert encrypt(PHONE, context="person.phone") != encrypt(PHONE, context="person.phone")

    def test_empty_values_are_not_stored(self):
        assert encrypt(None, context="person.phone") is None
        assert encrypt("", context="person.phone") is None
        assert decrypt(None, context="person.phone") is None

    def test_context_mismatch_fails(self):
        # The field name is bound as associated data: a phone ciphertext copied into
        # the ID-number column does not decrypt.
        token = encrypt(PHONE, context="person.phone")
        with pytest.raises(InvalidTag):
            decrypt(token, context="person.id_number")

    def test_tampered_ciphertext_fails(self):
        token = encrypt(PHONE, context="person.phone")
        raw = bytearray(base64.b64decode(token[3:]))
        raw[-1] ^= 0x01
        with pytest.raises(InvalidTag):
            decrypt("v1:" + base64.b64encode(bytes(raw)).decode(), context="person.phone")

    def test_unknown_version_is_refused(self):
        with pytest.raises(ValueError):
            decrypt("v0:AAAA", context="person.phone")

    def test_another_data_key_cannot_decrypt(self, monkeypatch, fresh_keys):
        token = encrypt(PHONE, context="person.phone")
        monkeypatch.setenv("ANJU_DATA_KEY", "another-data-key")
        reset_settings()
        reset_keys()
        with pytest.raises(InvalidTag):
            decrypt(token, context="person.phone")


class TestBlindIndex:
    def test_is_deterministic(self):
        assert blind_index(PHONE, context="phone") == blind_index(PHONE, context="phone")

    def test_normalises_case_and_spaces(self):
        assert blind_index(ID_NUMBER.lower(), context="id_number") == blind_index(f" {ID_NUMBER} ", context="id_number")

    def test_separates_contexts_and_values(self):
        assert blind_index(PHONE, context="phone") != blind_index(PHONE, context="id_number")
        assert blind_index(PHONE, context="phone") != blind_index("13812345679", context="phone")

    def test_reveals_nothing_of_the_value(self):
        digest = blind_index(PHONE, context="phone")
        assert digest is not None and len(digest) == 32
        assert PHONE not in digest and PHONE[-4:] not in digest[:4]

    def test_depends_on_the_key(self, monkeypatch, fresh_keys):
        before = blind_index(PHONE, context="phone")
        monkeypatch.setenv("ANJU_DATA_KEY", "another-data-key")
        reset_settings()
        reset_keys()
        assert blind_index(PHONE, context="phone") != before

    def test_empty_values_have_no_index(self):
        assert blind_index(None, context="phone") is None
        assert blind_index("", context="phone") is None


class TestMasks:
    def test_r_p6_phone_mask(self):
        assert mask_phone(PHONE) == "138****5678"

    def test_r_p6_id_number_mask(self):
        masked = mask_id_number(ID_NUMBER)
        assert masked == "110***********002X"
        assert len(masked) == len(ID_NUMBER)

    def test_r_p6_name_mask(self):
        assert mask_name("张三") == "张*"
        assert mask_name("欧阳明月") == "欧**月"
        assert mask_name(None) is None

    def test_short_values_are_fully_masked(self):
        assert mask_phone("12345") == "*****"
        assert mask_id_number("1234") == "****"
