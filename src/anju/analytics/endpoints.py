"""Aggregate figures for the 数据大屏 and street-office oversight."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter

from anju.analytics.permissions import AnalyticsPerm
from anju.analytics.queries import overview
from anju.core.auth import Principal, requires
from anju.core.deps import ReadSession
from anju.core.kit.china_time import china_date

router = APIRouter(tags=["analytics"])
AnalyticsReader = Annotated[Principal, requires(AnalyticsPerm.read)]


@router.get("/analytics/overview")
def analytics_overview(who: AnalyticsReader, session: ReadSession, compound_id: int | None = None) -> dict[str, Any]:
    """Population structure, households, tags and vehicles (counts only)."""
    return overview(session, who=who, compound_id=compound_id, today=china_date())
