"""Phone and ID numbers never rest in plaintext: not in the SQLite file, not in a PostgreSQL dump.

Copies the full demo (示范小区, ~5,000 people; built once per test process, shared with the other tests of the
xdist group "full_demo") into its own database, then reads the raw bytes and looks for every resident's
decrypted phone and ID number.
"""

from __future__ import annotations

import random
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from sqlalchemy import select, text
from sqlalchemy.engine import make_url

from anju.core.crypto import decrypt
from anju.registry.models import EmergencyContact, Person
from tests.conftest import DB_KIND, service_unavailable
from tests.core.databases import dedicated_database

pytestmark = pytest.mark.xdist_group("full_demo")  # one process builds the full demo template once


def _secrets(engine) -> tuple[set[str], set[str], set[str], list[str]]:
    """Decrypted phones, ID numbers and contact phones of everyone, and some plaintext names."""
    phones, id_numbers, contact_phones, names = set(), set(), set(), []
    with engine.connect() as conn:
        for name, phone_enc, id_enc in conn.execute(select(Person.name, Person.phone_enc, Person.id_number_enc)):
            names.append(name)
            if phone_enc:
                phones.add(decrypt(phone_enc, context="person.phone"))
            if id_enc:
                id_numbers.add(decrypt(id_enc, context="person.id_number"))
        for (enc,) in conn.execute(select(EmergencyContact.phone_enc)):
            if enc:
                contact_phones.add(decrypt(enc, context="contact.phone"))
    return phones, id_numbers, contact_phones, names


def _digit_windows(blob: bytes, width: int, pattern: bytes) -> set[str]:
    """Every `width`-long window of every run of ID-ish characters in the bytes."""
    out: set[str] = set()
    for run in re.findall(pattern, blob):
        s = run.decode()
        out.update(s[k : k + width] for k in range(len(s) - width + 1))
    return out


def _assert_no_plaintext(blob: bytes, engine) -> None:
    phones, id_numbers, contact_phones, names = _secrets(engine)
    assert len(phones) > 3000 and len(id_numbers) > 4000 and contact_phones
    # Positive control: the bytes are searchable (names are stored in the clear, masks too).
    assert sum(n.encode() in blob for n in random.Random(1).sample(names, 20)) >= 15
    assert re.search(rb"1[3-9][0-9]\*{4}[0-9]{4}", blob)
    found_phones = _digit_windows(blob, 11, rb"[0-9]{11,}")
    found_ids = _digit_windows(blob, 18, rb"[0-9X]{18,}")
    assert not (phones | contact_phones) & found_phones
    assert not id_numbers & found_ids
    # And a direct look for a sample, in case a value sits between other characters.
    rnd = random.Random(2)
    for value in rnd.sample(sorted(phones), 100) + rnd.sample(sorted(id_numbers), 100):
        assert value.encode() not in blob


class TestPiiAtRest:
    @pytest.mark.sqlite_only
    def test_r_p1_sqlite_file_holds_no_plaintext_phone_or_id(self, tmp_path: Path):
        if DB_KIND != "sqlite":
            pytest.skip("reads the SQLite file")
        with dedicated_database(tmp_path, "pii_file", seed="full") as (url, engine):
            with engine.connect() as conn:
                conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
            path = Path(make_url(url).database)
            blob = path.read_bytes()
            wal = path.with_name(path.name + "-wal")
            if wal.exists():
                blob += wal.read_bytes()
            _assert_no_plaintext(blob, engine)

    @pytest.mark.postgres
    def test_r_p1_postgresql_dump_holds_no_plaintext_phone_or_id(self, tmp_path: Path):
        if DB_KIND != "postgresql":
            pytest.skip("dumps a PostgreSQL database")
        pg_dump = shutil.which("pg_dump") or next(
            (str(p) for p in sorted(Path("/usr/lib/postgresql").glob("*/bin/pg_dump"), reverse=True)), None
        )
        if pg_dump is None:
            service_unavailable("pg_dump not installed")
        with dedicated_database(tmp_path, "pii_dump", seed="full") as (url, engine):
            u = make_url(url)
            dump = subprocess.run(
                [
                    pg_dump,
                    "-h",
                    u.host or "127.0.0.1",
                    "-p",
                    str(u.port or 5432),
                    "-U",
                    u.username or "postgres",
                    "--no-owner",
                    u.database,
                ],
                capture_output=True,
                check=True,
                timeout=300,
            )
            assert b"COPY public.person" in dump.stdout
            _assert_no_plaintext(dump.stdout, engine)
            with engine.connect() as conn:
                assert conn.execute(text("SELECT count(*) FROM person")).scalar_one() > 4000
