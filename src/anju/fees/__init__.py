"""fees."""
