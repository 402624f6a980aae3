"""fees: ORM models."""

from __future__ import annotations
