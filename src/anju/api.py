"""The /api/v1 router: authenticated routes, plus the few public ones listed here."""

from __future__ import annotations

from fastapi import APIRouter

from anju.access.endpoints import router as access_router
from anju.access.terminal_endpoints import router as terminal_router
from anju.accounts.endpoints import public_router as accounts_public
from anju.accounts.endpoints import router as accounts_router
from anju.accounts.registration_endpoints import public_router as registration_public
from anju.accounts.registration_endpoints import router as registration_router
from anju.accounts.user_admin_endpoints import router as user_admin_router
from anju.alarms.endpoints import router as alarms_router
from anju.analytics.endpoints import router as analytics_router
from anju.care.endpoints import router as care_router
from anju.charging.endpoints import router as charging_router
from anju.core.errors import ErrorBody
from anju.decoration.endpoints import router as decoration_router
from anju.devices.endpoints import public_router as devices_public
from anju.devices.endpoints import router as devices_router
from anju.emergency.endpoints import router as emergency_router
from anju.facilities.endpoints import router as facilities_router
from anju.fees.endpoints import router as fees_router
from anju.governance.endpoints import router as governance_router
from anju.notices.endpoints import router as notices_router
from anju.notices.evaluation_endpoints import router as evaluation_router
from anju.notify.endpoints import router as notify_router
from anju.parking.endpoints import me_router as parking_me_router
from anju.parking.endpoints import router as parking_router
from anju.patrol.endpoints import router as patrol_router
from anju.privacy.endpoints import router as privacy_router
from anju.registry.endpoints import router as registry_router
from anju.registry.roster_endpoints import router as roster_router
from anju.registry.structure_endpoints import router as structure_router
from anju.system_endpoints import public_router as system_public
from anju.system_endpoints import router as system_router
from anju.video.endpoints import router as video_router
from anju.volunteers.endpoints import router as volunteers_router
from anju.workorders.endpoints import router as workorders_router

_ERRORS = {
    400: {"model": ErrorBody},
    401: {"model": ErrorBody},
    403: {"model": ErrorBody},
    404: {"model": ErrorBody},
    409: {"model": ErrorBody},
    422: {"model": ErrorBody},
}

api_router = APIRouter(prefix="/api/v1")
# Public routes: sign-in, health, device self-check. Everything else requires a principal.
api_router.include_router(accounts_public)
api_router.include_router(registration_public)  # resident self-registration: phone code, sign-in
api_router.include_router(system_public)
api_router.include_router(devices_public)  # POST /devices/ingest: devices authenticate per message
api_router.include_router(terminal_router, responses=_ERRORS)  # type: ignore[arg-type]  # /terminals/*: device key auth
for r in (
    accounts_router,
    user_admin_router,
    registration_router,
    registry_router,
    roster_router,
    structure_router,
    privacy_router,
    analytics_router,
    system_router,
    devices_router,
    alarms_router,
    notify_router,
    access_router,
    governance_router,
    notices_router,
    fees_router,
    workorders_router,
    patrol_router,
    parking_router,
    parking_me_router,
    facilities_router,
    care_router,
    decoration_router,
    charging_router,
    volunteers_router,
    evaluation_router,
    emergency_router,
    video_router,
):
    api_router.include_router(r, responses=_ERRORS)  # type: ignore[arg-type]
