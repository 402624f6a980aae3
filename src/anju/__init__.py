"""Anju (安居): smart residential community platform."""

__version__ = "0.1.0"
