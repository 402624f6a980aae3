"""Charging enumerations (stored as strings)."""

from enum import StrEnum


class SessionStatus(StrEnum):
    running = "running"  # the socket is switched on; the countdown runs
    paused = "paused"  # the device reported a power cut: the countdown stops until power is back
    ended = "ended"


LIVE = frozenset({SessionStatus.running, SessionStatus.paused})


class StartMode(StrEnum):
    duration = "duration"  # a chosen number of hours
    full = "full"  # until the charger reports full (at most the tariff's cap)


class StartVia(StrEnum):
    scan = "scan"  # the socket's QR on the resident's phone
    card = "card"  # a charging card swiped at the pile


class EndReason(StrEnum):
    time_up = "time_up"
    full = "full"
    stopped = "stopped"  # the resident stopped it
    device_cut = "device_cut"  # the pile switched off by itself (over-temperature, overload, unplugged)
    fault = "fault"
    power_cut = "power_cut"  # the power stayed off past the paid time


class PayMethod(StrEnum):
    wallet = "wallet"  # prepaid from the resident's wallet, the unused part credited back to it
    single = "single"  # paid for this session alone (no wallet), the unused part refunded to the payer
