"""Notifications: in-app inbox, SMS/voice through a provider interface, signed webhooks, delivery log."""
