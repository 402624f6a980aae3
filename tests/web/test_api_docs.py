"""Issue 11 item 8: /docs and /redoc load their assets from the project, never a CDN."""

from __future__ import annotations

import re

import pytest

from anju.web.api_docs import ASSETS, VENDOR
from tests.conftest import service_unavailable


@pytest.fixture(autouse=True)
def _assets_installed():
    missing = [a for a in ASSETS if not (VENDOR / a).is_file()]
    if missing:
        service_unavailable(f"API docs assets {missing} (scripts/bootstrap.sh installs them from npm)")


@pytest.mark.parametrize("path", ["/docs", "/redoc"])
def test_api_docs_reference_only_local_assets(client, path):
    r = client.get(path)
    assert r.status_code == 200
    refs = re.findall(r"(?:src|href)=['\"]([^'\"]+)['\"]", r.text)
    assert refs, r.text
    for ref in refs:
        assert ref.startswith("/static/"), f"{path} references {ref}: not served by the project"
        assert client.get(ref).status_code == 200, ref
    assert "cdn" not in r.text.lower()
