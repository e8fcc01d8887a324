"""Emulated time for one ECS backend (one account in one region).

Timestamps the emulator reports (createdAt, startedAt, stoppedAt, event times)
are wall-clock.  Durations (provisioning, image pull, stopping, the scheduler's
retry delays) are measured on an *emulated* clock that runs ``speed`` times
faster than the wall clock, so a rollout that takes about 35 s on ECS takes
about 3.5 s of wall time at the default speed.

The emulated clock starts at 0 when the backend is created.  Tests can change
the speed (0 freezes it) or step it forward; every change starts a new
*segment* so that an emulated instant can be mapped back to the wall-clock
moment it was reached (used to stamp timestamps of transitions that are
computed lazily, i.e. later than they happened).

Beside it runs a *calendar*: the instants schedule expressions name
(EventBridge Scheduler's cron, rate and at).  A schedule names calendar
times, as timestamps are wall-clock, so the calendar moves at wall-clock
pace while the clock runs (speed > 0), stands still while it is frozen and
jumps with it when it is stepped.  At any speed a ``rate(1 minute)``
schedule fires once a wall minute unless a test steps the clock; what it
runs then goes at the clock's speed.
"""

from __future__ import annotations

import bisect
import os
import time
from datetime import datetime, timezone

# Emulated seconds per wall second.  At 10, a rolling update of a 2-task
# service with the default deploymentConfiguration (100 % / 200 %) takes
# 25 s to start the new tasks + 10 s to stop the old ones = 35 emulated s,
# about 3.5 s of wall time.  See docs/emulator.md, "Clock".
DEFAULT_SPEED = 10.0
SPEED_ENV = "ECS_EMULATOR_SPEED"
MAX_SEGMENTS = 4096


def default_speed() -> float:
    """The speed a new backend starts with: $ECS_EMULATOR_SPEED or DEFAULT_SPEED."""
    raw = os.environ.get(SPEED_ENV)
    if raw is None or raw == "":
        return DEFAULT_SPEED
    try:
        value = float(raw)
    except ValueError:
        return DEFAULT_SPEED
    return value if value >= 0 else DEFAULT_SPEED


class Clock:
    def __init__(self, speed: float | None = None, wall=time.time):
        self._wall = wall
        self.default_speed = default_speed() if speed is None else float(speed)
        self.speed = self.default_speed
        self.advanced_seconds = 0.0
        start = self._wall()
        # Parallel lists: segment i starts at wall _walls[i], emulated _sims[i],
        # and runs at _speeds[i].  _sims is non-decreasing.
        self._walls = [start]
        self._sims = [0.0]
        self._speeds = [self.speed]
        # Calendar time (epoch seconds) at the start of each segment.
        self._calendars = [start]

    # -- reading -----------------------------------------------------------
    def now(self) -> float:
        """Current emulated time in seconds."""
        elapsed = max(0.0, self._wall() - self._walls[-1])
        return self._sims[-1] + elapsed * self._speeds[-1]

    def wall_time(self, sim: float) -> float:
        """Wall-clock epoch seconds at which emulated instant ``sim`` was reached.

        An instant inside a jump made by ``advance`` maps to the moment of the
        jump.  Never later than now.
        """
        i = bisect.bisect_right(self._sims, sim) - 1
        if i < 0:
            return self._walls[0]
        wall0, sim0, speed = self._walls[i], self._sims[i], self._speeds[i]
        wall = wall0 + (sim - sim0) / speed if speed > 0 else wall0
        if i + 1 < len(self._walls):
            wall = min(wall, self._walls[i + 1])
        return min(wall, self._wall())

    def calendar_now(self) -> float:
        """The calendar's epoch seconds now."""
        elapsed = max(0.0, self._wall() - self._walls[-1])
        return self._calendars[-1] + (elapsed if self._speeds[-1] > 0 else 0.0)

    def sim_at_calendar(self, calendar: float) -> float:
        """The emulated instant at which the calendar showed ``calendar`` (not
        later than now).  Inside a jump both move together, second for second."""
        i = bisect.bisect_right(self._calendars, calendar) - 1
        if i < 0:
            return self._sims[0]
        speed = self._speeds[i]
        end = self._walls[i + 1] if i + 1 < len(self._walls) else self._wall()
        ran = max(0.0, end - self._walls[i]) if speed > 0 else 0.0
        offset = calendar - self._calendars[i]
        if offset <= ran:
            sim = self._sims[i] + offset * speed
        else:
            sim = self._sims[i] + ran * speed + (offset - ran)
        return min(sim, self.now())

    def wall_datetime(self, sim: float) -> datetime:
        return datetime.fromtimestamp(self.wall_time(sim), tz=timezone.utc)

    def expected_wall_time(self, sim: float) -> float:
        """Wall-clock epoch seconds at which emulated instant ``sim`` is due: for a
        past instant when it was reached, for a future one when it will be at the
        current speed (1 emulated second per wall second while frozen, an emulator
        choice), so a deadline such as a hook's expiresAt reads as a time ahead."""
        now = self.now()
        if sim <= now:
            return self.wall_time(sim)
        speed = self._speeds[-1] if self._speeds[-1] > 0 else 1.0
        return self._wall() + (sim - now) / speed

    def expected_wall_datetime(self, sim: float) -> datetime:
        return datetime.fromtimestamp(self.expected_wall_time(sim), tz=timezone.utc)

    # -- changing ----------------------------------------------------------
    def _new_segment(self, sim_start: float, speed: float, jump: float = 0.0) -> None:
        calendar = self.calendar_now() + jump
        self._walls.append(self._wall())
        self._sims.append(sim_start)
        self._speeds.append(speed)
        self._calendars.append(calendar)
        if len(self._walls) > MAX_SEGMENTS:
            del self._walls[0], self._sims[0], self._speeds[0], self._calendars[0]

    def set_speed(self, speed: float) -> None:
        speed = float(speed)
        if speed < 0:
            raise ValueError("speed must be >= 0")
        self._new_segment(self.now(), speed)
        self.speed = speed

    def advance(self, seconds: float) -> None:
        seconds = float(seconds)
        if seconds < 0:
            raise ValueError("advance_seconds must be >= 0")
        self._new_segment(self.now() + seconds, self.speed, jump=seconds)
        self.advanced_seconds += seconds

    def describe(self) -> dict:
        return {
            "speed": self.speed,
            "default_speed": self.default_speed,
            "emulated_seconds": round(self.now(), 3),
            "advanced_seconds": self.advanced_seconds,
            "calendar_time": datetime.fromtimestamp(self.calendar_now(), tz=timezone.utc).isoformat(),
            "wall_time": datetime.now(timezone.utc).isoformat(),
        }
