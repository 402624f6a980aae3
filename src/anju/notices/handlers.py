"""notices: event subscribers and jobs (imported by anju.handlers)."""

from __future__ import annotations
