"""Work-order API: intake, list, detail with timeline, actions, grab, photos, SLA policies, figures."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, File, Query, UploadFile
from fastapi.responses import Response
from sqlalchemy import select

from anju.core.deps import ReadSession, WriteSession
from anju.core.errors import NotFound
from anju.core.schemas import PageParams, page_params
from anju.workorders import dispatch, photos
from anju.workorders.auth import OrderDispatcher, OrderReader, OrderWorker
from anju.workorders.config import wo_settings
from anju.workorders.enums import OrderKind, OrderStatus, SlaState
from anju.workorders.exceptions import (
    AlreadyTaken,
    BadPhoto,
    NotReporter,
    OrderNotFound,
    OrderStateConflict,
    PhotoTooLarge,
)
from anju.workorders.figures import figures
from anju.workorders.models import SlaPolicy, WorkOrder, WorkOrderPhoto
from anju.workorders.repository import WorkOrderRepository
from anju.workorders.schemas import (
    Figures,
    OrderActionBody,
    OrderCreate,
    OrderDetail,
    OrderList,
    OrderRead,
    PhotoRead,
    SlaPolicyBody,
    SlaPolicyRead,
    TimelineRead,
)
from anju.workorders.service import work_order_service
from anju.workorders.sla import set_policy

router = APIRouter(prefix="/work-orders", tags=["work orders"])
_STATE: dict[int | str, dict[str, Any]] = {409: OrderStateConflict.doc(), 404: OrderNotFound.doc()}


def detail(session: ReadSession, order: WorkOrder) -> OrderDetail:
    repo = WorkOrderRepository(session)
    return OrderDetail(
        **OrderRead.model_validate(order).model_dump(),
        timeline=[TimelineRead.model_validate(e) for e in repo.timeline(order.id)],
        photos=[PhotoRead.model_validate(p) for p in repo.photos(order.id)],
    )


def _readable(session: ReadSession, who: OrderReader, order_id: int) -> WorkOrder:
    order = WorkOrderRepository(session).get_readable(who, order_id)
    if order is None:
        raise OrderNotFound(f"work order {order_id}")
    return order


@router.post("", response_model=OrderDetail, status_code=201)
def open_order(body: OrderCreate, who: OrderReader, session: WriteSession) -> OrderDetail:
    """Open an order: residents for their house or common areas (H5), staff on behalf of a caller, grid workers."""
    order = work_order_service.open(session, by=who, data=body)
    return detail(session, order)


@router.get("", response_model=OrderList)
def list_orders(
    who: OrderReader,
    session: ReadSession,
    page: Annotated[PageParams, Depends(page_params)],
    compound_id: int | None = None,
    status: Annotated[list[OrderStatus] | None, Query()] = None,
    sla_state: SlaState | None = None,
    kind: OrderKind | None = None,
    category: str | None = Query(None, max_length=32),
    assignee_user_id: int | None = None,
    open_only: bool = False,
) -> OrderList:
    """Orders I may see, newest first; filter by status, SLA state, kind, category, assignee."""
    items, total = WorkOrderRepository(session).search(
        who,
        compound_id=compound_id,
        status=status,
        sla_state=sla_state,
        kind=kind,
        category=category,
        assignee_user_id=assignee_user_id,
        open_only=open_only,
        offset=page.offset,
        limit=page.page_size,
    )
    return OrderList(
        items=[OrderRead.model_validate(o) for o in items], total=total, page=page.page, page_size=page.page_size
    )


@router.get("/figures", response_model=Figures)
def order_figures(
    who: OrderDispatcher, session: ReadSession, compound_id: int, since: datetime | None = None
) -> Figures:
    """MTTA/MTTR by category, SLA compliance %, satisfaction, patrol completion, grid workers' workload."""
    if not who.in_scope(compound_id):
        raise NotFound(f"compound {compound_id}")
    if since is not None and since.tzinfo is None:
        since = since.replace(tzinfo=UTC)
    return figures(session, compound_id=compound_id, since=since)


@router.get("/sla", response_model=list[SlaPolicyRead])
def list_sla(who: OrderDispatcher, session: ReadSession, compound_id: int) -> list[SlaPolicy]:
    """The compound's own deadlines (categories without a row use the grade presets, R-W1)."""
    if not who.in_scope(compound_id):
        raise NotFound(f"compound {compound_id}")
    return list(
        session.execute(
            select(SlaPolicy)
            .where(SlaPolicy.compound_id == compound_id)
            .order_by(SlaPolicy.category, SlaPolicy.priority)
        ).scalars()
    )


@router.put("/sla", response_model=SlaPolicyRead)
def set_sla(body: SlaPolicyBody, who: OrderDispatcher, session: WriteSession) -> SlaPolicy:
    """Set a compound's deadline for a category and priority (complaints: category "complaint", R-W3)."""
    if not who.in_scope(body.compound_id):
        raise NotFound(f"compound {body.compound_id}")
    return set_policy(
        session,
        compound_id=body.compound_id,
        category=body.category,
        priority=body.priority,
        response_minutes=body.response_minutes,
        resolution_minutes=body.resolution_minutes,
        calendar=body.calendar,
    )


@router.get("/technicians", response_model=list[int])
def list_technicians(who: OrderDispatcher, session: ReadSession, compound_id: int) -> list[int]:
    """User ids that may be dispatched orders of the compound."""
    if not who.in_scope(compound_id):
        raise NotFound(f"compound {compound_id}")
    return dispatch.technicians(session, compound_id=compound_id)


@router.get("/{order_id}", response_model=OrderDetail, responses={404: OrderNotFound.doc()})
def get_order(order_id: int, who: OrderReader, session: ReadSession) -> OrderDetail:
    """One order with its full timeline and photo list."""
    return detail(session, _readable(session, who, order_id))


@router.post(
    "/{order_id}/actions",
    response_model=OrderDetail,
    responses={**_STATE, 403: NotReporter.doc()},
)
def act(order_id: int, body: OrderActionBody, who: OrderReader, session: WriteSession) -> OrderDetail:
    """Dispatch, accept, return, transfer, arrive, wait for owner, suspend, resume, complete, follow up, close,
    reopen, rate (reporter only), quote / accept quote. Illegal moves get a 409 with the reason."""
    order = work_order_service.act(session, by=who, order_id=order_id, body=body)
    return detail(session, order)


@router.post(
    "/{order_id}/grab",
    response_model=OrderDetail,
    responses={**_STATE, 409: AlreadyTaken.doc()},
)
def grab(order_id: int, who: OrderWorker, session: WriteSession) -> OrderDetail:
    """Grab mode: take an unassigned order; of two technicians grabbing at once exactly one wins."""
    return detail(session, work_order_service.grab(session, by=who, order_id=order_id))


@router.post(
    "/{order_id}/photos",
    response_model=PhotoRead,
    status_code=201,
    responses={413: PhotoTooLarge.doc(), 415: BadPhoto.doc(), 404: OrderNotFound.doc()},
)
def add_photo(
    order_id: int, who: OrderReader, session: WriteSession, file: Annotated[UploadFile, File()]
) -> WorkOrderPhoto:
    """Attach a JPEG/PNG/WebP/GIF photo (checked by decoding, size-capped)."""
    order = _readable(session, who, order_id)
    data = photos.read_capped(file.file, wo_settings().photo_max_bytes)
    return photos.attach(session, by=who, order=order, data=data)


@router.get(
    "/{order_id}/photos/{photo_id}",
    responses={200: {"content": {"image/*": {}}}, 404: OrderNotFound.doc()},
)
def get_photo(order_id: int, photo_id: int, who: OrderReader, session: ReadSession) -> Response:
    """The photo's bytes, for those who may see the order."""
    _readable(session, who, order_id)
    photo = session.get(WorkOrderPhoto, photo_id)
    if photo is None or photo.order_id != order_id:
        raise NotFound(f"photo {photo_id}")
    return Response(
        photo.data,
        media_type=photo.content_type,
        headers={"Cache-Control": "private, max-age=3600", "X-Content-Type-Options": "nosniff"},
    )
