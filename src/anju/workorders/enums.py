"""Work-order enums: kinds, priorities, statuses, the actions of the timeline, and the allowed transitions."""

from __future__ import annotations

from enum import StrEnum


class OrderKind(StrEnum):
    household_repair = "household_repair"  # 户内维修
    common_repair = "common_repair"  # 公共维修
    complaint = "complaint"  # 投诉: answered within N days (R-W3)
    suggestion = "suggestion"
    hazard = "hazard"  # 随手拍, with photos
    alarm = "alarm"  # opened by the alarm centre's linkage
    inspection = "inspection"  # a failed inspection item
    care_visit = "care_visit"  # 关爱上门查看: the last rung of a care silence ladder (issue 16)


class Priority(StrEnum):
    emergency = "emergency"  # 急修
    urgent = "urgent"
    normal = "normal"
    low = "low"


class OrderSource(StrEnum):
    h5 = "h5"  # the resident's phone
    phone = "phone"  # staff on behalf of a caller
    grid = "grid"  # a grid worker
    alarm = "alarm"
    inspection = "inspection"
    staff = "staff"


class OrderStatus(StrEnum):
    new = "new"
    dispatched = "dispatched"
    accepted = "accepted"
    arrived = "arrived"
    waiting_owner = "waiting_owner"  # SLA clock paused
    suspended = "suspended"  # SLA clock paused
    completed = "completed"
    followed_up = "followed_up"  # 回访 recorded (R-W1)
    closed = "closed"


class OrderAction(StrEnum):
    created = "created"
    dispatched = "dispatched"
    grabbed = "grabbed"
    accepted = "accepted"
    returned = "returned"
    transferred = "transferred"
    arrived = "arrived"
    waiting_owner = "waiting_owner"
    resumed = "resumed"
    suspended = "suspended"
    completed = "completed"
    followed_up = "followed_up"
    closed = "closed"
    reopened = "reopened"
    rated = "rated"
    photo = "photo"
    quoted = "quoted"
    quote_accepted = "quote_accepted"
    quote_declined = "quote_declined"
    reported_authority = "reported_authority"  # R-W4: a violation persuasion did not stop, reported to the authority
    warned = "warned"  # 80 % of a deadline used
    escalated = "escalated"  # a deadline breached: L1/L2/L3


class PhotoStage(StrEnum):
    before = "before"  # the problem as found (a 随手拍, the technician on arrival)
    after = "after"  # the job done
    signature = "signature"  # the customer's signature on the technician's phone at completion


class SlaState(StrEnum):
    ok = "ok"
    warning = "warning"
    breached = "breached"
    none = "none"  # no deadline (suggestions)


OPEN_STATUSES = frozenset(
    {
        OrderStatus.new,
        OrderStatus.dispatched,
        OrderStatus.accepted,
        OrderStatus.arrived,
        OrderStatus.waiting_owner,
        OrderStatus.suspended,
    }
)
PAUSED_STATUSES = frozenset({OrderStatus.waiting_owner, OrderStatus.suspended})
DONE_STATUSES = frozenset({OrderStatus.completed, OrderStatus.followed_up, OrderStatus.closed})
# The statuses from which each action may start (anything else: 409 with the reason).
ALLOWED_FROM: dict[OrderAction, frozenset[OrderStatus]] = {
    OrderAction.dispatched: frozenset({OrderStatus.new}),
    OrderAction.grabbed: frozenset({OrderStatus.new}),
    OrderAction.accepted: frozenset({OrderStatus.dispatched}),
    OrderAction.returned: frozenset({OrderStatus.dispatched, OrderStatus.accepted}),
    OrderAction.transferred: frozenset({OrderStatus.dispatched, OrderStatus.accepted}),
    OrderAction.arrived: frozenset({OrderStatus.accepted, OrderStatus.dispatched}),
    OrderAction.waiting_owner: frozenset({OrderStatus.arrived}),
    OrderAction.suspended: frozenset(
        {OrderStatus.new, OrderStatus.dispatched, OrderStatus.accepted, OrderStatus.arrived}
    ),
    OrderAction.completed: frozenset({OrderStatus.arrived}),
    OrderAction.followed_up: frozenset({OrderStatus.completed}),
    OrderAction.closed: frozenset({OrderStatus.followed_up}),
    OrderAction.reopened: frozenset({OrderStatus.completed, OrderStatus.followed_up, OrderStatus.closed}),
    OrderAction.rated: frozenset({OrderStatus.completed, OrderStatus.followed_up, OrderStatus.closed}),
    OrderAction.reported_authority: frozenset(
        {
            OrderStatus.new,
            OrderStatus.dispatched,
            OrderStatus.accepted,
            OrderStatus.arrived,
            OrderStatus.waiting_owner,
            OrderStatus.suspended,
            OrderStatus.completed,
        }
    ),
}
# R-W4: the kinds of violation that may be reported to the authorities (safety, environment, fire).
AUTHORITY_CATEGORIES = frozenset({"fire_safety", "security", "environment"})
