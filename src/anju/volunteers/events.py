"""Volunteer events: none published yet (the safety committee's decisions as notices are not built)."""
