"""Import every module that registers event subscribers or jobs (the worker imports this)."""

from anju.accounts import handlers as _accounts  # noqa: F401
from anju.privacy import tasks as _privacy  # noqa: F401
