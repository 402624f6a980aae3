"""Jinja2 templates, template filters, and the one helper that renders a page."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from fastapi.templating import Jinja2Templates
from markupsafe import Markup
from starlette.requests import Request
from starlette.responses import Response

from anju import __version__
from anju.core.kit.china_time import CHINA_TZ as CST
from anju.core.text import encodable, storable
from anju.web import humanize
from anju.web.i18n import LANGS, Translator, lang_of

WEB_DIR = Path(__file__).parent
templates = Jinja2Templates(directory=WEB_DIR / "templates")
# China has one time zone and no daylight saving; a fixed offset needs no tz database.


def _localtime(value: datetime | None, fmt: str = "%Y-%m-%d %H:%M") -> str:
    if value is None:
        return ""
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(CST).strftime(fmt)


def _area(value: Decimal | None) -> str:
    return "" if value is None else f"{Decimal(value):.2f}"


def _static(path: str) -> str:
    return f"/static/{path}?v={__version__}"


def age_on(birth: date | None, today: date) -> int | None:
    """Whole years between a birth date and today."""
    if birth is None:
        return None
    return today.year - birth.year - ((today.month, today.day) < (birth.month, birth.day))


def _finalize(value: Any) -> Any:
    """Every `{{ … }}` output: stored text that cannot be encoded (an unpaired surrogate) is escaped, not a 500."""
    if isinstance(value, str) and not storable(value):
        safe = encodable(value)
        return Markup(safe) if isinstance(value, Markup) else safe
    return value


# Set before any template is compiled (Jinja reads finalize at compile time).
templates.env.finalize = _finalize
templates.env.filters["localtime"] = _localtime
templates.env.filters["area"] = _area
templates.env.globals["static"] = _static
templates.env.globals["langs"] = LANGS
templates.env.globals["version"] = __version__
templates.env.globals["human"] = humanize  # labels, units and China time instead of machine text


def is_htmx(request: Request) -> bool:
    """Whether htmx sent this request (it wants a fragment, not a page)."""
    return request.headers.get("hx-request") == "true"


def render(request: Request, name: str, context: dict[str, Any] | None = None, *, status_code: int = 200) -> Response:
    """Render a template with the language, translator and request in its context."""
    lang = lang_of(request)
    ctx: dict[str, Any] = {"lang": lang, "t": Translator(lang), "path": request.url.path}
    ctx.update(context or {})
    response = templates.TemplateResponse(request, name, ctx, status_code=status_code)
    response.headers["X-Frame-Options"] = "DENY"
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Referrer-Policy"] = "same-origin"
    response.headers["Cache-Control"] = "no-store"  # pages hold personal data
    response.headers["Vary"] = "Cookie, HX-Request"
    return response
