"""EventBridge Scheduler schedule expressions: what they mean and when each is due.

EventBridge Scheduler User Guide, "Schedule types in EventBridge Scheduler":
  rate(value unit)   value a positive integer, unit minute | minutes | hour |
                     hours | day | days; the first run is at StartDate, or at
                     once when there is none, then one every period until EndDate
  cron(fields)       six fields (minutes hours day-of-month month day-of-week
                     year), read in ScheduleExpressionTimezone (default UTC);
                     one of day-of-month and day-of-week must be ``?``
  at(yyyy-mm-ddThh:mm:ss)  once, at that time in ScheduleExpressionTimezone;
                     StartDate and EndDate do not apply
Cron fields (same guide, "Cron-based schedules"): minutes 0-59, hours 0-23,
day-of-month 1-31, month 1-12 or JAN-DEC, day-of-week 1-7 (1 is Sunday) or
SUN-SAT, year 1970-2199; wildcards ``, - * / ?`` everywhere they apply, ``L``
(last day of the month; ``5L`` in day-of-week: the month's last Thursday),
``W`` (``15W``: the weekday nearest the 15th; ``LW``: the last weekday) and
``#`` (``3#2``: the month's second Tuesday).

Instants are epoch seconds on the emulator's calendar (clock.Clock.calendar_now).
Scheduler runs a target within the minute it is due; the emulator runs it at
the start of that minute (cron, at) or at the exact instant (rate).
"""

from __future__ import annotations

import calendar as calendars
import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

MONTHS = {name: i + 1 for i, name in enumerate(
    ["JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"])}
WEEKDAYS = {name: i + 1 for i, name in enumerate(["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"])}
RATE_UNITS = {"minute": 60, "minutes": 60, "hour": 3600, "hours": 3600, "day": 86400, "days": 86400}
YEAR_MIN, YEAR_MAX = 1970, 2199

_RATE = re.compile(r"^rate\((\d+)\s+([a-z]+)\)$")
_CRON = re.compile(r"^cron\((.+)\)$")
_AT = re.compile(r"^at\((\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})\)$")


class ExpressionError(ValueError):
    """The expression or time zone is not one Scheduler takes."""


def zone(name: str | None) -> ZoneInfo:
    try:
        return ZoneInfo(name or "UTC")
    except (ZoneInfoNotFoundError, ValueError):
        raise ExpressionError(f"Invalid ScheduleExpressionTimezone: {name}")


@dataclass(frozen=True)
class Rate:
    seconds: int

    def due(self, anchor: float, after: float, until: float) -> list[float]:
        """Runs in (after, until]: anchor, anchor + period, ..."""
        if until < anchor:
            return []
        first = 0 if after < anchor else int((after - anchor) // self.seconds) + 1
        last = int((until - anchor) // self.seconds)
        return [anchor + k * self.seconds for k in range(first, last + 1)]


@dataclass(frozen=True)
class At:
    instant: float

    def due(self, anchor: float, after: float, until: float) -> list[float]:
        return [self.instant] if after < self.instant <= until else []


@dataclass(frozen=True)
class Cron:
    minutes: frozenset[int]
    hours: frozenset[int]
    day_of_month: str
    months: frozenset[int]
    day_of_week: str
    years: frozenset[int]
    tz: ZoneInfo

    def due(self, anchor: float, after: float, until: float) -> list[float]:
        found = []
        t = after
        while True:
            t = self.next_after(t)
            if t is None or t > until:
                return found
            found.append(t)

    def next_after(self, t: float) -> float | None:
        """The first minute strictly after t that the expression names."""
        start = datetime.fromtimestamp(t, self.tz).replace(second=0, microsecond=0, tzinfo=None)
        start += timedelta(minutes=1)
        day = start.date()
        while day.year <= YEAR_MAX:
            if day.year not in self.years:
                day = date(day.year + 1, 1, 1)
                continue
            if day.month in self.months and self._day_matches(day):
                for hour in sorted(self.hours):
                    for minute in sorted(self.minutes):
                        local = datetime(day.year, day.month, day.day, hour, minute)
                        if local >= start:
                            return local.replace(tzinfo=self.tz).timestamp()
            day += timedelta(days=1)
        return None

    def _day_matches(self, day: date) -> bool:
        if self.day_of_month != "?":
            return _matches_day_of_month(self.day_of_month, day)
        return _matches_day_of_week(self.day_of_week, day)


def parse(expression: str, timezone_name: str | None = None) -> Rate | At | Cron:
    tz = zone(timezone_name)
    text = (expression or "").strip()
    if m := _RATE.match(text):
        value, unit = int(m.group(1)), m.group(2)
        if value < 1 or unit not in RATE_UNITS:
            raise ExpressionError(f"Invalid Schedule Expression {expression}.")
        return Rate(value * RATE_UNITS[unit])
    if m := _AT.match(text):
        try:
            local = datetime(*(int(g) for g in m.groups()))
        except ValueError:
            raise ExpressionError(f"Invalid Schedule Expression {expression}.")
        return At(local.replace(tzinfo=tz).timestamp())
    if m := _CRON.match(text):
        return _parse_cron(expression, m.group(1).split(), tz)
    raise ExpressionError(f"Invalid Schedule Expression {expression}.")


def _parse_cron(expression: str, fields: list[str], tz: ZoneInfo) -> Cron:
    invalid = ExpressionError(f"Invalid Schedule Expression {expression}.")
    if len(fields) != 6:
        raise invalid
    minutes, hours, dom, month, dow, year = fields
    # Exactly one of the two day fields is "?".
    if (dom == "?") == (dow == "?"):
        raise invalid
    try:
        cron = Cron(
            minutes=_values(minutes, 0, 59),
            hours=_values(hours, 0, 23),
            day_of_month=dom.upper(),
            months=_values(month, 1, 12, MONTHS),
            day_of_week=dow.upper(),
            years=_values(year, YEAR_MIN, YEAR_MAX),
            tz=tz,
        )
        # Day fields are matched per date; check their syntax once here.
        probe = date(2024, 2, 29)
        if cron.day_of_month != "?":
            _matches_day_of_month(cron.day_of_month, probe)
        else:
            _matches_day_of_week(cron.day_of_week, probe)
    except ValueError:
        raise invalid
    return cron


def _number(text: str, names: dict[str, int] | None) -> int:
    if names and text.upper() in names:
        return names[text.upper()]
    return int(text)


def _values(field: str, lo: int, hi: int, names: dict[str, int] | None = None) -> frozenset[int]:
    out: set[int] = set()
    for item in field.split(","):
        step = 1
        if "/" in item:
            item, step_text = item.split("/", 1)
            step = int(step_text)
            if step < 1:
                raise ValueError(field)
        if item in ("*", "?"):
            first, last = lo, hi
        elif "-" in item:
            a, b = item.split("-", 1)
            first, last = _number(a, names), _number(b, names)
        else:
            first = _number(item, names)
            last = hi if step > 1 else first
        if not (lo <= first <= hi and lo <= last <= hi) or first > last:
            raise ValueError(field)
        out.update(range(first, last + 1, step))
    return frozenset(out)


def _weekday(day: date) -> int:
    """Cron's day-of-week: 1 is Sunday, 7 Saturday."""
    return (day.weekday() + 1) % 7 + 1


def _last_day(day: date) -> int:
    return calendars.monthrange(day.year, day.month)[1]


def _nearest_weekday(year: int, month: int, target: int) -> int:
    """The weekday nearest the target day, not leaving the month."""
    last = calendars.monthrange(year, month)[1]
    target = min(target, last)
    wd = date(year, month, target).weekday()  # Monday 0
    if wd == 5:
        return target - 1 if target > 1 else target + 2
    if wd == 6:
        return target + 1 if target < last else target - 2
    return target


def _matches_day_of_month(field: str, day: date) -> bool:
    for item in field.split(","):
        if item == "L":
            if day.day == _last_day(day):
                return True
        elif item == "LW":
            if day.day == _nearest_weekday(day.year, day.month, _last_day(day)):
                return True
        elif item.endswith("W"):
            target = int(item[:-1])
            if not 1 <= target <= 31:
                raise ValueError(field)
            if day.day == _nearest_weekday(day.year, day.month, target):
                return True
        elif day.day in _values(item, 1, 31):
            return True
    return False


def _matches_day_of_week(field: str, day: date) -> bool:
    weekday = _weekday(day)
    for item in field.split(","):
        if "#" in item:
            wd_text, nth_text = item.split("#", 1)
            wd, nth = _number(wd_text, WEEKDAYS), int(nth_text)
            if not (1 <= wd <= 7 and 1 <= nth <= 5):
                raise ValueError(field)
            if weekday == wd and (day.day - 1) // 7 + 1 == nth:
                return True
        elif item.endswith("L") and item != "L":
            wd = _number(item[:-1], WEEKDAYS)
            if not 1 <= wd <= 7:
                raise ValueError(field)
            if weekday == wd and day.day + 7 > _last_day(day):
                return True
        elif weekday in _values("7" if item == "L" else item, 1, 7, WEEKDAYS):
            return True
    return False


def epoch(value) -> float | None:
    """A StartDate or EndDate as moto keeps it (epoch seconds, or ISO text)."""
    if value is None or value == "":
        return None
    if isinstance(value, (int, float)):
        return float(value)
    try:
        return float(value)
    except ValueError:
        parsed = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
        if parsed.tzinfo is None:
            parsed = parsed.replace(tzinfo=timezone.utc)
        return parsed.timestamp()
