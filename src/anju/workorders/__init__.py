"""workorders."""
