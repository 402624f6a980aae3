"""Parking reacts to no other domain's events yet; alarms are asked for with AlarmRequested."""
