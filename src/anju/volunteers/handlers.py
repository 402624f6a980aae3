"""Volunteers: no subscribers or jobs yet (imported by anju.handlers for the vocabulary's sake)."""
