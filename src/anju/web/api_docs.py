"""Offline API documentation: Swagger UI and ReDoc served from the project's own static files.

The assets come from the npm registry at set-up (`scripts/bootstrap.sh` copies them into
`static/vendor/`), so `/docs` and `/redoc` work on a closed network; no CDN is referenced.
"""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.responses import HTMLResponse

from anju.web.render import WEB_DIR

VENDOR = WEB_DIR / "static" / "vendor"
ASSETS = {
    "swagger-ui/swagger-ui-bundle.js",
    "swagger-ui/swagger-ui.css",
    "redoc/redoc.standalone.js",
}

_MISSING = (
    "<!doctype html><html lang='en'><meta charset='utf-8'><title>API docs</title>"
    "<p>The API documentation assets are not installed: run <code>bash scripts/bootstrap.sh</code> "
    "(it copies them from the npm registry). The machine-readable description is at "
    "<a href='{openapi}'>{openapi}</a>.</p></html>"
)


def missing_assets() -> list[str]:
    """Vendor files the docs pages need that set-up has not installed."""
    return sorted(a for a in ASSETS if not (VENDOR / a).is_file())


def mount_api_docs(app: FastAPI, *, title: str) -> None:
    """Serve /docs (Swagger UI) and /redoc (ReDoc) with local assets only."""
    openapi = app.openapi_url or "/openapi.json"

    @app.get("/docs", include_in_schema=False)
    def swagger_ui() -> HTMLResponse:
        if missing_assets():
            return HTMLResponse(_MISSING.format(openapi=openapi), status_code=503)
        return HTMLResponse(
            "<!doctype html><html lang='en'><head><meta charset='utf-8'>"
            f"<title>{title} — Swagger UI</title>"
            "<link rel='stylesheet' href='/static/vendor/swagger-ui/swagger-ui.css'></head>"
            f"<body><div id='swagger-ui' data-openapi-url='{openapi}'></div>"
            "<script src='/static/vendor/swagger-ui/swagger-ui-bundle.js'></script>"
            "<script src='/static/swagger-init.js'></script></body></html>"
        )

    @app.get("/redoc", include_in_schema=False)
    def redoc() -> HTMLResponse:
        if missing_assets():
            return HTMLResponse(_MISSING.format(openapi=openapi), status_code=503)
        return HTMLResponse(
            "<!doctype html><html lang='en'><head><meta charset='utf-8'>"
            f"<title>{title} — ReDoc</title></head>"
            f"<body><redoc spec-url='{openapi}'></redoc>"
            "<script src='/static/vendor/redoc/redoc.standalone.js'></script></body></html>"
        )
