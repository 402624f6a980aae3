"""Import every module that registers event subscribers or jobs (the worker imports this)."""

from anju.accounts import handlers as _accounts  # noqa: F401
from anju.privacy import tasks as _privacy  # noqa: F401
from anju.alarms import handlers as _alarms  # noqa: F401
from anju.alarms import tasks as _alarm_tasks  # noqa: F401
from anju.devices import tasks as _devices  # noqa: F401
from anju.notify import handlers as _notify  # noqa: F401
from anju.notify import tasks as _notify_tasks  # noqa: F401
from anju.access import handlers as _access  # noqa: F401
from anju.access import tasks as _access_tasks  # noqa: F401
