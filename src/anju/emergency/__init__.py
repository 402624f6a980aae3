"""Emergency management: plans, drills, supplies and the three-level response (issue 16)."""
