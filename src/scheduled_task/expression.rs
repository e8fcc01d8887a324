//! EventBridge Scheduler's schedule expressions, read as the Scheduler User Guide
//! ("Schedule types in EventBridge Scheduler") defines them, so status can say when a
//! schedule runs next and the operator knows when to look for a run:
//! - `rate(value unit)`: unit minute(s), hour(s) or day(s); the first run is at the
//!   StartDate, or when the schedule was created, then one every period;
//! - `cron(minutes hours day-of-month month day-of-week year)` in the schedule's time
//!   zone, with `, - * / ?`, `L`, `W`, `LW` and `#` (day-of-week 1 is Sunday; exactly
//!   one of the two day fields is `?`);
//! - `at(yyyy-mm-ddThh:mm:ss)`: once, in the schedule's time zone.

use std::collections::BTreeSet;

use jiff::civil::{Date, DateTime, Weekday};
use jiff::tz::{AmbiguousOffset, TimeZone};
use jiff::{Span, Timestamp, ToSpan};

/// The last year a cron expression may name.
const YEAR_MAX: i16 = 2199;
/// Days of eligible years searched for a cron expression's next run.
const SEARCH_DAYS: u32 = 8 * 366;

/// A parsed schedule expression with its time zone.
#[derive(Clone, Debug)]
pub enum Expression {
    Rate { seconds: i64 },
    Cron(Box<Cron>),
    At(Timestamp),
}

#[derive(Clone, Debug)]
pub struct Cron {
    minutes: BTreeSet<i8>,
    hours: BTreeSet<i8>,
    day_of_month: Option<String>,
    months: BTreeSet<i8>,
    day_of_week: Option<String>,
    years: BTreeSet<i16>,
    zone: TimeZone,
}

/// What is wrong with an expression, in words for a condition message.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("{0}")]
pub struct Invalid(String);

/// Reads `expression` in `time_zone` (an IANA name; UTC when left out).
pub fn parse(expression: &str, time_zone: Option<&str>) -> Result<Expression, Invalid> {
    let name = time_zone.unwrap_or("UTC");
    let zone = TimeZone::get(name).map_err(|_| {
        Invalid(format!(
            "spec.scheduleExpressionTimezone {name:?} is not a time zone of the IANA database, \
             such as Europe/Berlin"
        ))
    })?;
    let invalid = || {
        Invalid(format!(
            "spec.scheduleExpression {expression:?} is not rate(value unit), cron(six fields) \
             or at(yyyy-mm-ddThh:mm:ss) as EventBridge Scheduler reads them"
        ))
    };
    let text = expression.trim();
    if let Some(body) = inner(text, "rate(") {
        let (value, unit) = body.split_once(' ').ok_or_else(invalid)?;
        let value: i64 = value.parse().map_err(|_| invalid())?;
        let unit_seconds = match unit.trim() {
            "minute" | "minutes" => 60,
            "hour" | "hours" => 3600,
            "day" | "days" => 86_400,
            _ => return Err(invalid()),
        };
        if value < 1 {
            return Err(invalid());
        }
        return Ok(Expression::Rate {
            seconds: value.saturating_mul(unit_seconds),
        });
    }
    if let Some(body) = inner(text, "at(") {
        let local: DateTime = body.parse().map_err(|_| invalid())?;
        let instant = zone.to_timestamp(local).map_err(|_| invalid())?;
        return Ok(Expression::At(instant));
    }
    if let Some(body) = inner(text, "cron(") {
        return cron(body, zone)
            .map(|c| Expression::Cron(Box::new(c)))
            .ok_or_else(invalid);
    }
    Err(invalid())
}

fn inner<'a>(text: &'a str, open: &str) -> Option<&'a str> {
    text.strip_prefix(open)?.strip_suffix(')')
}

fn cron(body: &str, zone: TimeZone) -> Option<Cron> {
    let fields: Vec<&str> = body.split_whitespace().collect();
    let [minutes, hours, dom, month, dow, year] = fields.as_slice() else {
        return None;
    };
    if (*dom == "?") == (*dow == "?") {
        return None;
    }
    let cron = Cron {
        minutes: values(minutes, 0, 59, &[])?,
        hours: values(hours, 0, 23, &[])?,
        day_of_month: (*dom != "?").then(|| dom.to_ascii_uppercase()),
        months: values(month, 1, 12, &MONTHS)?,
        day_of_week: (*dow != "?").then(|| dow.to_ascii_uppercase()),
        years: values::<i16>(year, 1970, i64::from(YEAR_MAX), &[])?,
        zone,
    };
    // The day fields are matched date by date: check every item's syntax once now
    // (matching a list stops at its first hit).
    let probe = jiff::civil::date(2024, 2, 29);
    for item in dom.split(',').filter(|_| *dom != "?") {
        day_of_month_matches(&item.to_ascii_uppercase(), probe)?;
    }
    for item in dow.split(',').filter(|_| *dow != "?") {
        day_of_week_matches(&item.to_ascii_uppercase(), probe)?;
    }
    Some(cron)
}

const MONTHS: [&str; 12] = [
    "JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC",
];
const WEEKDAYS: [&str; 7] = ["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"];

fn number(text: &str, names: &[&str]) -> Option<i64> {
    let upper = text.to_ascii_uppercase();
    if let Some(i) = names.iter().position(|n| *n == upper) {
        return i64::try_from(i + 1).ok();
    }
    text.parse().ok()
}

/// The values a field names: `*`, `?`, `a`, `a-b`, `a/step`, `*/step`, `a-b/step`, lists.
fn values<T: TryFrom<i64> + Ord>(
    field: &str,
    lo: i64,
    hi: i64,
    names: &[&str],
) -> Option<BTreeSet<T>> {
    let mut out = BTreeSet::new();
    for item in field.split(',') {
        let (range, step) = match item.split_once('/') {
            Some((range, step)) => (range, step.parse::<usize>().ok().filter(|s| *s >= 1)?),
            None => (item, 1),
        };
        let (first, last) = match range {
            "*" | "?" => (lo, hi),
            _ => match range.split_once('-') {
                Some((a, b)) => (number(a, names)?, number(b, names)?),
                None => {
                    let first = number(range, names)?;
                    (first, if step > 1 { hi } else { first })
                }
            },
        };
        if first < lo || last > hi || first > last {
            return None;
        }
        for v in (first..=last).step_by(step) {
            out.insert(T::try_from(v).ok()?);
        }
    }
    Some(out)
}

impl Cron {
    /// Whether `day` is one the day fields name; None when a field does not parse.
    fn day_matches(&self, day: Date) -> Option<bool> {
        match (&self.day_of_month, &self.day_of_week) {
            (Some(dom), _) => day_of_month_matches(dom, day),
            (None, Some(dow)) => day_of_week_matches(dow, day),
            (None, None) => None,
        }
    }

    /// The first minute strictly after `t` that the expression names. Across a
    /// daylight saving change a local time that does not exist is skipped and one that
    /// comes twice runs once, at its first occurrence (Scheduler User Guide, "Daylight
    /// saving time in EventBridge Scheduler"). Days are searched for eight years at most
    /// (every date a cron expression can name comes within that: 29 February does).
    fn next_after(&self, t: Timestamp) -> Option<Timestamp> {
        let local = t.to_zoned(self.zone.clone()).datetime();
        let start = local
            .with()
            .second(0)
            .subsec_nanosecond(0)
            .build()
            .ok()?
            .checked_add(1.minute())
            .ok()?;
        let mut day = start.date();
        let mut searched = 0;
        while day.year() <= YEAR_MAX && searched < SEARCH_DAYS {
            if !self.years.contains(&day.year()) {
                day = jiff::civil::date(day.year().checked_add(1)?, 1, 1);
                continue;
            }
            searched += 1;
            if self.months.contains(&day.month()) && self.day_matches(day)? {
                for hour in &self.hours {
                    for minute in &self.minutes {
                        let candidate = day.at(*hour, *minute, 0, 0);
                        if candidate < start {
                            continue;
                        }
                        let instant = match self.zone.to_ambiguous_timestamp(candidate).offset() {
                            AmbiguousOffset::Gap { .. } => continue,
                            AmbiguousOffset::Fold { before, .. } => before.to_timestamp(candidate),
                            AmbiguousOffset::Unambiguous { offset } => {
                                offset.to_timestamp(candidate)
                            }
                        };
                        match instant {
                            Ok(instant) if instant > t => return Some(instant),
                            _ => {}
                        }
                    }
                }
            }
            day = day.tomorrow().ok()?;
        }
        None
    }
}

fn cron_weekday(day: Date) -> i64 {
    i64::from(day.weekday().to_sunday_one_offset())
}

/// The weekday nearest `target` (a day of `day`'s month), not leaving the month.
fn nearest_weekday(day: Date, target: i8) -> i8 {
    let last = day.days_in_month();
    let target = target.min(last);
    let Ok(date) = day.with().day(target).build() else {
        return target;
    };
    match date.weekday() {
        Weekday::Saturday if target > 1 => target - 1,
        Weekday::Saturday => target + 2,
        Weekday::Sunday if target < last => target + 1,
        Weekday::Sunday => target - 2,
        _ => target,
    }
}

fn day_of_month_matches(field: &str, day: Date) -> Option<bool> {
    for item in field.split(',') {
        let hit = match item {
            "L" => day.day() == day.days_in_month(),
            "LW" => day.day() == nearest_weekday(day, day.days_in_month()),
            _ if item.ends_with('W') => {
                let target: i8 = item.trim_end_matches('W').parse().ok()?;
                if !(1..=31).contains(&target) {
                    return None;
                }
                day.day() == nearest_weekday(day, target)
            }
            _ => values::<i8>(item, 1, 31, &[])?.contains(&day.day()),
        };
        if hit {
            return Some(true);
        }
    }
    Some(false)
}

fn day_of_week_matches(field: &str, day: Date) -> Option<bool> {
    let weekday = cron_weekday(day);
    for item in field.split(',') {
        let hit = if let Some((wd, nth)) = item.split_once('#') {
            let wd = number(wd, &WEEKDAYS).filter(|w| (1..=7).contains(w))?;
            let nth: i64 = nth.parse().ok().filter(|n| (1..=5).contains(n))?;
            weekday == wd && (i64::from(day.day()) - 1) / 7 + 1 == nth
        } else if item.len() > 1 && item.ends_with('L') {
            let wd =
                number(item.trim_end_matches('L'), &WEEKDAYS).filter(|w| (1..=7).contains(w))?;
            weekday == wd && day.day() + 7 > day.days_in_month()
        } else {
            let item = if item == "L" { "7" } else { item };
            values::<i64>(item, 1, 7, &WEEKDAYS)?.contains(&weekday)
        };
        if hit {
            return Some(true);
        }
    }
    Some(false)
}

/// When a schedule runs next after `now`: `anchor` is a rate schedule's first run (its
/// StartDate, else its creation), and runs before `start` or after `end` do not count
/// (neither applies to an `at` schedule). None when it will not run again.
pub fn next_run(
    expression: &Expression,
    now: Timestamp,
    anchor: Timestamp,
    start: Option<Timestamp>,
    end: Option<Timestamp>,
) -> Option<Timestamp> {
    let next = match expression {
        Expression::At(at) => return (*at > now).then_some(*at),
        Expression::Rate { seconds } => {
            if now < anchor {
                anchor
            } else {
                let since = now.duration_since(anchor).as_secs();
                let periods = since / seconds + 1;
                anchor
                    .checked_add(Span::new().seconds(periods.checked_mul(*seconds)?))
                    .ok()?
            }
        }
        Expression::Cron(cron) => match start {
            // A run may fall on the start itself.
            Some(start) if start > now => {
                cron.next_after(start.checked_sub(Span::new().seconds(1)).ok()?)?
            }
            _ => cron.next_after(now)?,
        },
    };
    match end {
        Some(end) if next > end => None,
        _ => Some(next),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn utc(text: &str) -> Timestamp {
        format!("{text}Z").parse().unwrap()
    }

    fn next_cron(expression: &str, after: &str, zone: Option<&str>) -> Option<Timestamp> {
        let parsed = parse(expression, zone).unwrap();
        next_run(&parsed, utc(after), utc(after), None, None)
    }

    #[test]
    fn cron_fields_name_the_minutes_the_scheduler_guide_describes() {
        let jan1 = "2026-01-01T00:00:00"; // a Thursday
        let cases = [
            ("cron(0 2 * * ? *)", "2026-01-01T02:00:00"),
            ("cron(15 10 ? * MON-FRI *)", "2026-01-01T10:15:00"),
            ("cron(0 0 L * ? *)", "2026-01-31T00:00:00"),
            ("cron(0 0 LW * ? *)", "2026-01-30T00:00:00"),
            ("cron(0 0 1W * ? *)", "2026-02-02T00:00:00"),
            ("cron(0 9 ? * 2#2 *)", "2026-01-12T09:00:00"),
            ("cron(0 9 ? * 6L *)", "2026-01-30T09:00:00"),
            ("cron(0 0 1 JAN ? 2027)", "2027-01-01T00:00:00"),
            ("cron(30 */6 * * ? *)", "2026-01-01T00:30:00"),
            ("cron(0/5 * * * ? *)", "2026-01-01T00:05:00"),
        ];
        for (expression, expected) in cases {
            assert_eq!(
                next_cron(expression, jan1, None),
                Some(utc(expected)),
                "{expression}"
            );
        }
    }

    #[test]
    fn cron_reads_its_time_zone() {
        // 02:00 in Berlin in winter is 01:00 UTC.
        assert_eq!(
            next_cron(
                "cron(0 2 * * ? *)",
                "2026-01-01T00:00:00",
                Some("Europe/Berlin")
            ),
            Some(utc("2026-01-01T01:00:00"))
        );
    }

    #[test]
    fn a_cron_expression_past_its_years_runs_no_more() {
        assert_eq!(
            next_cron("cron(0 0 1 1 ? 2025)", "2026-01-01T00:00:00", None),
            None
        );
    }

    #[test]
    fn rate_runs_from_its_anchor_every_period() {
        let rate = parse("rate(2 hours)", None).unwrap();
        let anchor = utc("2026-01-01T00:00:00");
        let next = |now: &str| next_run(&rate, utc(now), anchor, None, None);
        assert_eq!(
            next("2026-01-01T00:00:00"),
            Some(utc("2026-01-01T02:00:00"))
        );
        assert_eq!(
            next("2026-01-01T03:59:59"),
            Some(utc("2026-01-01T04:00:00"))
        );
        assert_eq!(next("2025-12-31T23:00:00"), Some(anchor));
        let end = Some(utc("2026-01-01T03:00:00"));
        assert_eq!(
            next_run(&rate, utc("2026-01-01T02:30:00"), anchor, None, end),
            None
        );
    }

    #[test]
    fn a_rate_schedule_with_a_later_start_runs_first_at_the_start() {
        let rate = parse("rate(1 day)", None).unwrap();
        let start = utc("2026-02-01T00:00:00");
        let now = utc("2026-01-15T00:00:00");
        assert_eq!(next_run(&rate, now, start, Some(start), None), Some(start));
    }

    #[test]
    fn a_cron_start_on_a_named_minute_runs_then() {
        let cron = parse("cron(0 2 * * ? *)", None).unwrap();
        let start = utc("2026-02-01T02:00:00");
        let now = utc("2026-01-15T00:00:00");
        assert_eq!(next_run(&cron, now, now, Some(start), None), Some(start));
    }

    #[test]
    fn daylight_saving_skips_a_missing_time_and_runs_a_repeated_one_once() {
        // Berlin springs forward at 02:00 on 29 March 2026: 02:30 does not exist.
        assert_eq!(
            next_cron(
                "cron(30 2 * * ? *)",
                "2026-03-28T12:00:00",
                Some("Europe/Berlin")
            ),
            Some(utc("2026-03-30T00:30:00"))
        );
        // It falls back at 03:00 on 25 October 2026: 02:30 comes twice, runs at the first.
        let first = next_cron(
            "cron(30 2 * * ? *)",
            "2026-10-24T12:00:00",
            Some("Europe/Berlin"),
        );
        assert_eq!(first, Some(utc("2026-10-25T00:30:00")));
        let after_first = next_cron(
            "cron(30 2 * * ? *)",
            "2026-10-25T00:45:00",
            Some("Europe/Berlin"),
        );
        assert_eq!(after_first, Some(utc("2026-10-26T01:30:00")));
    }

    #[test]
    fn a_date_that_never_comes_ends_the_search() {
        assert_eq!(
            next_cron("cron(0 0 31 2 ? *)", "2026-01-01T00:00:00", None),
            None
        );
    }

    #[test]
    fn at_runs_once() {
        let at = parse("at(2026-03-01T12:00:00)", Some("Europe/Berlin")).unwrap();
        let now = utc("2026-02-01T00:00:00");
        assert_eq!(
            next_run(&at, now, now, None, None),
            Some(utc("2026-03-01T11:00:00"))
        );
        assert_eq!(
            next_run(&at, utc("2026-03-02T00:00:00"), now, None, None),
            None
        );
    }

    #[test]
    fn what_the_scheduler_refuses_is_refused_naming_the_field() {
        for (expression, zone, field) in [
            ("cron(0 2 * * * *)", None, "scheduleExpression"),
            ("cron(0 2 * * ?)", None, "scheduleExpression"),
            ("cron(61 2 * * ? *)", None, "scheduleExpression"),
            ("cron(0 2 ? * 9#1 *)", None, "scheduleExpression"),
            ("cron(0 0 29,FOO * ? *)", None, "scheduleExpression"),
            ("cron(0 0 ? * MON,9 *)", None, "scheduleExpression"),
            ("rate(0 minutes)", None, "scheduleExpression"),
            ("rate(5 weeks)", None, "scheduleExpression"),
            ("at(2026-02-30T00:00:00)", None, "scheduleExpression"),
            ("every day", None, "scheduleExpression"),
            (
                "rate(1 minute)",
                Some("Mars/Olympus"),
                "scheduleExpressionTimezone",
            ),
        ] {
            let error = parse(expression, zone).unwrap_err();
            assert!(error.0.contains(field), "{expression}: {error}");
        }
    }
}
