"""Import every module that registers event subscribers or jobs (the worker imports this)."""

from anju.access import handlers as _access  # noqa: F401
from anju.access import tasks as _access_tasks  # noqa: F401
from anju.accounts import handlers as _accounts  # noqa: F401
from anju.alarms import handlers as _alarms  # noqa: F401
from anju.alarms import tasks as _alarm_tasks  # noqa: F401
from anju.analytics import tasks as _analytics_tasks  # noqa: F401
from anju.care import handlers as _care  # noqa: F401
from anju.care import tasks as _care_tasks  # noqa: F401
from anju.charging import handlers as _charging  # noqa: F401
from anju.decoration import handlers as _decoration  # noqa: F401
from anju.decoration import tasks as _decoration_tasks  # noqa: F401
from anju.devices import tasks as _devices  # noqa: F401
from anju.emergency import handlers as _emergency  # noqa: F401
from anju.emergency import tasks as _emergency_tasks  # noqa: F401
from anju.facilities import handlers as _facilities_handlers  # noqa: F401
from anju.fees import handlers as _fees_handlers  # noqa: F401
from anju.governance import handlers as _governance_handlers  # noqa: F401
from anju.notices import handlers as _notices_handlers  # noqa: F401
from anju.notify import handlers as _notify  # noqa: F401
from anju.notify import tasks as _notify_tasks  # noqa: F401
from anju.parking import handlers as _parking_handlers  # noqa: F401
from anju.parking import tasks as _parking_tasks  # noqa: F401
from anju.patrol import handlers as _patrol_handlers  # noqa: F401
from anju.privacy import handlers as _privacy  # noqa: F401
from anju.video import handlers as _video_handlers  # noqa: F401
from anju.workorders import handlers as _workorders_handlers  # noqa: F401
