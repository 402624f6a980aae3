"""Concurrency (issue 18): two overlapping applications filed at once make one; parallel taps on "text the
link" never exceed the per-pass SMS limit."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select

from anju.access.config import access_settings
from anju.access.models import VisitorPass
from anju.access.schemas import VisitorPassCreate
from anju.access.share_service import visitor_share_service
from anju.access.visitor_service import visitor_pass_service
from anju.core.db import transaction
from anju.core.kit.china_time import china_date
from anju.decoration.models import DecorationApplication
from anju.decoration.schemas import DecorationCreate, WorkerIn
from anju.decoration.service import decoration_service
from anju.notify.models import Delivery
from anju.registry.models import House
from tests.conftest import principal_of
from tests.core.databases import dedicated_database
from tests.core.job_race import race


def _li_house(s) -> int:
    return s.execute(select(House.id).where(House.label == "3-1-0802")).scalar_one()


def test_two_overlapping_applications_at_once_make_one(tmp_path):
    with dedicated_database(tmp_path, "decoration_race", seed=True):
        with transaction() as s:
            house = _li_house(s)
        today = china_date()
        out: list[object] = []

        def file(i: int) -> None:
            data = DecorationCreate(
                house_id=house,
                start_date=today + timedelta(days=1 + i),
                end_date=today + timedelta(days=10 + i),
                scope="并发申请",
                contractor="安居装饰",
                workers=[WorkerIn(name="张师傅")],
            )
            try:
                with transaction() as s:
                    who = principal_of(s, "resident_li")
                    out.append(decoration_service.apply(s, who=who, data=data, now=datetime.now(UTC)).id)
            except Exception as exc:  # noqa: BLE001 - the test asserts on what happened
                out.append(exc)

        race(2, file)
        with transaction() as s:
            n = s.execute(
                select(func.count(DecorationApplication.id)).where(DecorationApplication.house_id == house)
            ).scalar_one()
        assert n == 1, out
        assert sum(isinstance(o, int) for o in out) == 1


def test_parallel_sms_taps_stay_within_the_limit(tmp_path):
    with dedicated_database(tmp_path, "share_sms_race", seed=True):
        with transaction() as s:
            who = principal_of(s, "resident_li")
            vp = visitor_pass_service.create(
                s,
                who=who,
                data=VisitorPassCreate(
                    host_house_id=_li_house(s),
                    visitor_name="王阿姨",
                    visitor_phone="13912345678",
                    valid_until=datetime.now(UTC) + timedelta(hours=2),
                ),
                now=datetime.now(UTC),
            )
            pass_id = vp.id
        limit = access_settings().share_sms_max

        def tap(_: int) -> bool:
            try:
                with transaction() as s:
                    who = principal_of(s, "resident_li")
                    visitor_share_service.send_sms(s, who=who, pass_id=pass_id, now=datetime.now(UTC))
                return True
            except Exception:  # noqa: BLE001 - refused (limit) or busy: either way nothing was queued
                return False

        results = race(limit + 2, tap)
        with transaction() as s:
            sent = s.execute(select(VisitorPass.sms_sent).where(VisitorPass.id == pass_id)).scalar_one()
            queued = s.execute(
                select(func.count(Delivery.id)).where(Delivery.recipient_ref == f"visitor:{pass_id}")
            ).scalar_one()
        assert sent == queued == sum(results) <= limit
