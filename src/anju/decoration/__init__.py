"""Decoration applications (装修申请, issue 18): apply, approve with conditions, worker passes, inspections."""
