"""Volunteers (邻里守望, issue 18 item 5): registration with skills and availability, patrol shifts and events
with sign-up, hours recorded by the volunteer's own check-in and check-out, points and a rewards ledger."""
