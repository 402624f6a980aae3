"""Decoration tests present workers' passes to the demo terminals: the access fixtures."""

from tests.access.conftest import decide, points, south, unit_terminal  # noqa: F401
