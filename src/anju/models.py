"""Import every ORM module so Base.metadata is complete (Alembic, tests, create_all)."""

from anju.access import models as _access  # noqa: F401
from anju.accounts import models as _accounts  # noqa: F401
from anju.accounts import onboarding_models as _onboarding  # noqa: F401
from anju.alarms import models as _alarms  # noqa: F401
from anju.analytics import models as _analytics  # noqa: F401
from anju.care import models as _care  # noqa: F401
from anju.charging import models as _charging  # noqa: F401
from anju.core import audit as _audit  # noqa: F401
from anju.core import events as _events  # noqa: F401
from anju.core import jobs as _jobs  # noqa: F401
from anju.core import rollup as _rollup  # noqa: F401
from anju.core.db import Base
from anju.decoration import models as _decoration  # noqa: F401
from anju.devices import models as _devices  # noqa: F401
from anju.emergency import models as _emergency  # noqa: F401
from anju.facilities import models as _facilities  # noqa: F401
from anju.fees import models as _fees  # noqa: F401
from anju.governance import models as _governance  # noqa: F401
from anju.notices import models as _notices  # noqa: F401
from anju.notify import models as _notify  # noqa: F401
from anju.parking import models as _parking  # noqa: F401
from anju.patrol import models as _patrol  # noqa: F401
from anju.privacy import models as _privacy  # noqa: F401
from anju.registry import models as _registry  # noqa: F401
from anju.video import models as _video  # noqa: F401
from anju.vision import models as _vision  # noqa: F401
from anju.volunteers import models as _volunteers  # noqa: F401
from anju.workorders import models as _workorders  # noqa: F401

metadata = Base.metadata
