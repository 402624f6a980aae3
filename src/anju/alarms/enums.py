"""Alarm enums."""

from __future__ import annotations

from enum import StrEnum


class AlarmStatus(StrEnum):
    pending_review = "pending_review"  # about a person, raised by automation: a human must look first (R-A4)
    new = "new"
    acknowledged = "acknowledged"
    dispatched = "dispatched"
    resolved = "resolved"
    false_alarm = "false_alarm"


class AlarmSeverity(StrEnum):
    critical = "critical"
    major = "major"
    minor = "minor"
    info = "info"


class AlarmAction(StrEnum):
    """What an alarm_transition row records."""

    created = "created"
    repeated = "repeated"  # same dedupe key inside the window: counter + 1
    cleared = "cleared"  # the source reported normal again
    reviewed = "reviewed"
    acknowledged = "acknowledged"
    dispatched = "dispatched"
    resolved = "resolved"
    false_alarm = "false_alarm"
    escalated = "escalated"
    linked = "linked"  # its linked work order moved (completed, closed with the alarm)


class AlarmOutcome(StrEnum):
    """How a closed alarm ended: the disposal's category, required with its note to resolve (issue 17)."""

    handled = "handled"  # dealt with on site
    repaired = "repaired"  # a fault repaired
    no_danger = "no_danger"  # checked, no danger found
    resident_handled = "resident_handled"  # the household dealt with it
    referred = "referred"  # handed to fire brigade, police, utility
    false_alarm = "false_alarm"
    duplicate = "duplicate"


OPEN_STATUSES = frozenset(
    {AlarmStatus.pending_review, AlarmStatus.new, AlarmStatus.acknowledged, AlarmStatus.dispatched}
)
CLOSED_STATUSES = frozenset({AlarmStatus.resolved, AlarmStatus.false_alarm})

# The state machine: action → (allowed from-states, to-state).
TRANSITIONS: dict[AlarmAction, tuple[frozenset[AlarmStatus], AlarmStatus]] = {
    AlarmAction.acknowledged: (frozenset({AlarmStatus.new}), AlarmStatus.acknowledged),
    AlarmAction.dispatched: (frozenset({AlarmStatus.new, AlarmStatus.acknowledged}), AlarmStatus.dispatched),
    AlarmAction.resolved: (
        frozenset({AlarmStatus.new, AlarmStatus.acknowledged, AlarmStatus.dispatched}),
        AlarmStatus.resolved,
    ),
    AlarmAction.false_alarm: (
        frozenset({AlarmStatus.pending_review, AlarmStatus.new, AlarmStatus.acknowledged, AlarmStatus.dispatched}),
        AlarmStatus.false_alarm,
    ),
    AlarmAction.reviewed: (frozenset({AlarmStatus.pending_review}), AlarmStatus.new),
}
# Closing or reviewing an alarm says why: the disposal note, the false-alarm reason, the review (R-A4, R-A8).
NOTE_REQUIRED = frozenset({AlarmAction.resolved, AlarmAction.false_alarm, AlarmAction.reviewed})
