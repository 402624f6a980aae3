"""Roster import benchmark: a 5,000-row roster into the demo compound, against a bare-insert baseline.

Run from the repository root:  .venv/bin/python bench/bench_import.py [--rows 5000] [--pg] [--small]

It also times the structure generator creating a 2,000-house compound, against a bare insert of as
many house rows.

It builds a throw-away database per backend (a temporary SQLite file; with --pg also a
temporary PostgreSQL database on 127.0.0.1:5432), migrates it and builds the demo
community, then times: the import, the idempotent re-import, and a baseline of a bare
bulk insert of the same number of person rows (same encryption calls, no validation,
no change records, no occupancies). The ratio is import time / baseline time.
"""

from __future__ import annotations

import argparse
import io
import os
import shutil
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date, timedelta
from typing import Any

os.environ.setdefault("ANJU_ENV", "development")
os.environ.setdefault("ANJU_SECRET_KEY", "bench-secret-key")

from openpyxl import Workbook
from sqlalchemy import create_engine, insert, select, text

from anju.core import db as core_db
from anju.core.config import reset_settings
from anju.core.crypto import blind_index, encrypt, mask_id_number, mask_phone, reset_keys

PG_ADMIN_URL = os.environ.get("ANJU_BENCH_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
SEED = 5000
HEADER = [
    "姓名",
    "手机",
    "身份证号",
    "房屋",
    "关系",
    "人口类型",
    "性别",
    "出生日期",
    "标签",
    "租约到期",
    "紧急联系人",
    "紧急联系电话",
]


@contextmanager
def sqlite_db() -> Iterator[str]:
    tmp = tempfile.mkdtemp(prefix="anju_bench_")
    try:
        yield f"sqlite:///{tmp}/bench.db"
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


@contextmanager
def pg_db() -> Iterator[str]:
    name = f"anju_bench_{uuid.uuid4().hex[:8]}"
    admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as c:
        c.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield PG_ADMIN_URL.rsplit("/", 1)[0] + "/" + name
    finally:
        core_db.set_engine(None)
        with admin.connect() as c:
            c.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def prepare(url: str, small: bool) -> tuple[int, int, list[str]]:
    """Migrate, build the demo; returns the main and second compound ids and the main compound's labels."""
    from anju.core.migrate import upgrade
    from anju.registry.models import House
    from anju.sim.demo import MAIN, SECOND, SMALL, build_demo
    from anju.startup import post_upgrade

    os.environ["ANJU_DATABASE_URL"] = url
    reset_settings()
    reset_keys()
    core_db.set_engine(core_db.make_engine(url))
    upgrade()
    post_upgrade()
    with core_db.transaction() as s:
        result = build_demo(s, main_spec=SMALL if small else MAIN, second_spec=SECOND)
    a, b = result.compound_ids["SFXQ"], result.compound_ids["XFL"]
    with core_db.transaction() as s:
        labels = list(s.execute(select(House.label).where(House.compound_id == a).order_by(House.id)).scalars())
    return a, b, labels


def roster_rows(n: int, labels: list[str]) -> list[list[Any]]:
    """A deterministic roster: owners, family, co-owners and tenants spread over the compound's houses."""
    from anju.sim.names import Faker

    fk = Faker(SEED)
    today = date(2026, 11, 1)
    rows: list[list[Any]] = []
    for i in range(n):
        female = fk.r.random() < 0.5
        local = fk.r.random() < 0.7
        birth = fk.birth_date(18, 85, today)
        roll = fk.r.random()
        role = "业主" if roll < 0.45 else "家属" if roll < 0.75 else "共有人" if roll < 0.82 else "租户"
        lease = (date(2030, 1, 1) + timedelta(days=fk.r.randint(0, 700))).isoformat() if role == "租户" else ""
        tags = "独居老人" if birth.year < 1950 and fk.r.random() < 0.3 else ""
        contact = (fk.name(), fk.phone()) if fk.r.random() < 0.2 else ("", "")
        rows.append(
            [
                fk.name(),
                fk.phone(),
                fk.id_number(birth, female, local),
                labels[i % len(labels)],
                role,
                "户籍" if local else "流动",
                "女" if female else "男",
                birth.isoformat(),
                tags,
                lease,
                *contact,
            ]
        )
    return rows


def to_xlsx(rows: list[list[Any]]) -> bytes:
    wb = Workbook(write_only=True)
    ws = wb.create_sheet("住户名册")
    ws.append(HEADER)
    for r in rows:
        ws.append(r)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def timed(fn: Callable[[], Any]) -> tuple[float, Any]:
    started, cpu = time.perf_counter(), time.process_time()
    out = fn()
    CPU.append(time.process_time() - cpu)  # this process only: steadier than wall time on a busy machine
    return time.perf_counter() - started, out


CPU: list[float] = []


def import_once(compound_id: int, data: bytes) -> Any:
    from anju.registry.roster import import_roster

    with core_db.transaction() as s:
        return import_roster(s, who=None, compound_id=compound_id, filename="bench.xlsx", data=data)


def bare_insert(compound_id: int, rows: list[list[Any]]) -> int:
    """The baseline: the same person rows with the same encryption calls, one bulk core INSERT."""
    from anju.registry.models import Person

    values = []
    for name, phone, idn, _label, _role, pop, gender, birth, *_ in rows:
        values.append(
            {
                "compound_id": compound_id,
                "name": name,
                "gender": "female" if gender == "女" else "male",
                "birth_date": date.fromisoformat(birth),
                "phone_enc": encrypt(phone, context="person.phone"),
                "phone_bidx": blind_index(phone, context="phone"),
                "phone_masked": mask_phone(phone),
                "id_number_enc": encrypt(idn, context="person.id_number"),
                "id_number_bidx": blind_index(idn, context="id_number"),
                "id_number_masked": mask_id_number(idn),
                "population_type": "registered" if pop == "户籍" else "floating",
                "status": "active",
            }
        )
    with core_db.transaction() as s:
        s.execute(insert(Person), values)
    return len(values)


GENERATOR_SPEC = {
    "buildings_from": 1,
    "buildings_to": 10,
    "units": 2,
    "floors_from": 1,
    "floors_to": 25,
    "houses_per_floor": 4,
    "areas": {"1": "89.50", "2": "120.00", "3": "120.00", "4": "89.50"},
}


def generate_compound() -> int:
    """The structure generator creating a 2,000-house compound from nothing, as the console's one step does."""
    from anju.registry.schemas import CompoundCreate
    from anju.registry.structure_schemas import GeneratorSpec
    from anju.registry.structure_service import structure_service

    with core_db.transaction() as s:
        c = structure_service.create_compound(
            s, who=None, data=CompoundCreate(code="GEN2000", name="生成测试小区", address="生成路 1 号")
        )
        preview = structure_service.generate(s, who=None, compound=c, spec=GeneratorSpec.model_validate(GENERATOR_SPEC))
    return preview.houses


def bare_houses(n: int) -> int:
    """The generator's baseline: one building, one unit and n house rows in one bulk core INSERT."""
    from anju.registry.models import Building, Compound, House, Unit

    with core_db.transaction() as s:
        c = Compound(code="BARE2000", name="基线", address="基线路")
        s.add(c)
        s.flush()
        b = Building(compound_id=c.id, number="1", name="1号楼", floors=25)
        s.add(b)
        s.flush()
        u = Unit(compound_id=c.id, building_id=b.id, number="1", floors=25)
        s.add(u)
        s.flush()
        s.execute(
            insert(House),
            [
                {
                    "compound_id": c.id,
                    "building_id": b.id,
                    "unit_id": u.id,
                    "floor": 1,
                    "number": str(i),
                    "label": f"B{i}",
                }
                for i in range(n)
            ],
        )
    return n


def bench(kind: str, url: str, n: int, small: bool) -> None:
    t_prep, (a, b, labels) = timed(lambda: prepare(url, small))
    rows = roster_rows(n, labels)
    data = to_xlsx(rows)
    CPU.clear()
    t_base, _ = timed(lambda: bare_insert(b, rows))
    t_imp, report = timed(lambda: import_once(a, data))
    t_again, again = timed(lambda: import_once(a, data))
    cpu_base, cpu_imp, cpu_again = CPU[:3]
    print(f"[{kind}] demo built in {t_prep:.1f} s ({len(labels)} houses); roster {len(data) // 1024} KB")
    print(f"[{kind}] first pass: {report.summary()}")
    print(f"[{kind}] re-import:  {again.summary()}")
    if report.errors:
        print(f"[{kind}] first errors: {[e.model_dump() for e in report.errors[:3]]}")
    print(
        f"[{kind}] import: {n} rows in {t_imp:.1f} s ({n / t_imp:.0f} rows/s); bare insert baseline "
        f"{t_base:.2f} s; ratio {t_imp / t_base:.1f}x; re-import {t_again:.1f} s ({n / t_again:.0f} rows/s)"
    )
    print(
        f"[{kind}] process CPU: import {cpu_imp:.1f} s, baseline {cpu_base:.2f} s (ratio {cpu_imp / cpu_base:.1f}x), "
        f"re-import {cpu_again:.1f} s"
    )
    t_gen, houses = timed(generate_compound)
    t_bare_houses, _ = timed(lambda: bare_houses(houses))
    print(
        f"[{kind}] generator: a {houses}-house compound (10 buildings, 2 units, 25 floors, 4 a floor) in "
        f"{t_gen:.2f} s ({houses / t_gen:.0f} houses/s); bare insert of as many house rows {t_bare_houses:.2f} s "
        f"(ratio {t_gen / t_bare_houses:.1f}x)"
    )
    core_db.set_engine(None)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rows", type=int, default=5000)
    ap.add_argument("--pg", action="store_true", help="also run on a temporary PostgreSQL database")
    ap.add_argument("--small", action="store_true", help="use the small test demo compound (faster set-up)")
    args = ap.parse_args()
    with sqlite_db() as url:
        bench("sqlite", url, args.rows, args.small)
    if args.pg:
        with pg_db() as url:
            bench("postgresql", url, args.rows, args.small)
    return 0


if __name__ == "__main__":
    sys.exit(main())
