"""The statutory intervals as plain functions (R-W2, R-S4, R-S5, R-S6), so tests can cite them by id."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

LIFT_MAINTENANCE_DAYS = 15  # R-W2: at least every 15 days
LIFT_CERT_LEAD_DAYS = 31  # R-W2: request the periodic inspection ≥ 1 month before the certificate expires
FIRE_CHECK_DAYS = 30  # R-S4: at least one 防火检查 per calendar month
FIRE_FULL_INSPECTION_DAYS = 365  # R-S5: each building's fire facilities, yearly

# R-S6 (GB 50444-2008, GA 95): first service after N years, then every M years; scrap after K years.
EXTINGUISHER = {
    "water": {"first_service": 3, "service_every": 1, "scrap": 6},
    "powder": {"first_service": 5, "service_every": 2, "scrap": 10},
    "clean_agent": {"first_service": 5, "service_every": 2, "scrap": 10},
    "co2": {"first_service": 5, "service_every": 2, "scrap": 12},
}


def add_years(d: date, years: int) -> date:
    try:
        return d.replace(year=d.year + years)
    except ValueError:  # 29 February
        return d.replace(year=d.year + years, day=28)


@dataclass(frozen=True)
class ExtinguisherDates:
    check_every_days: int
    next_service_on: date
    scrap_on: date


def extinguisher_dates(kind: str, manufactured_on: date, *, crowded: bool, today: date) -> ExtinguisherDates:
    """R-S6: monthly checks (half-monthly in crowded or basement places), service at 3 y then yearly (water)
    or 5 y then every 2 y (powder, clean agent, CO₂), scrap at 6/10/10/12 years."""
    rule = EXTINGUISHER[kind]
    service = add_years(manufactured_on, rule["first_service"])
    while service < today:
        service = add_years(service, rule["service_every"])
    return ExtinguisherDates(
        check_every_days=15 if crowded else 30,
        next_service_on=service,
        scrap_on=add_years(manufactured_on, rule["scrap"]),
    )


def lift_certificate_request_on(expires_on: date) -> date:
    """R-W2: the day by which the periodic inspection must be requested."""
    return expires_on - timedelta(days=LIFT_CERT_LEAD_DAYS)
