"""Roster import and export (filled in by the roster work)."""

from fastapi import APIRouter

router = APIRouter(tags=["roster"])
