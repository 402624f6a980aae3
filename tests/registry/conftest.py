"""Registry fixtures: the access terminals, to check occupancy where it is enforced (the gate)."""

from tests.access.conftest import decide, points, south  # noqa: F401  (fixtures, re-exported)
