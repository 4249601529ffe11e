//! Opening hours: HSDS `schedule` rows as rules, evaluated in Europe/Rome with the Italian
//! national holidays.
//!
//! # Reading a schedule row
//! - `freq` `WEEKLY` (or absent) with `byday` (`MO,WE`): those weekdays every week;
//!   `MONTHLY` with `byday` ordinals (`2TU`, `-1FR`) or `bymonthday` (`1,15`, `-1`): those
//!   days of each month; `DAILY`, or no day given at all: every day.
//! - `opens_at`/`closes_at` (`HH:MM:SS` or `HH:MM`). `closes_at` before `opens_at` runs past
//!   midnight; `23:59` means until midnight. One of them missing means from midnight / until
//!   midnight.
//! - `valid_from`/`valid_to` (`dtstart`/`until` when those are absent) bound the rule.
//! - **Closures** (our convention, HSDS has no field for them): a row with dates
//!   (`valid_from` and/or `valid_to`) but neither `opens_at` nor `closes_at` says the service
//!   is closed on those days, whatever the other rows say ("chiuso ad agosto").
//! - `interval` (every other week), `byweekno`, `byyearday` and `count` are ignored.
//!
//! # Holidays
//! On an Italian national holiday ([`is_holiday`]) a rule opens only if it says so: it runs
//! every day, or it names Sunday (a service open on Sundays keeps holiday hours), or it is a
//! dated exception (`valid_from` and `valid_to` at most a week apart). Local patron-saint days
//! are not known here.
//!
//! # Time
//! Europe/Rome is CET (UTC+1) with the EU summer time rule (UTC+2 from 01:00 UTC on the last
//! Sunday of March to 01:00 UTC on the last Sunday of October), the rule in force since 1996.
//! It is written out here rather than pulling in a tz database for one zone.

use chrono::{
    DateTime, Datelike, Days, NaiveDate, NaiveDateTime, NaiveTime, Timelike, Utc, Weekday,
};
use serde::{Deserialize, Serialize};

use crate::hsds::Record;

/// A day a rule opens on: every `weekday` (`nth` = `None`), or the `nth` one of the month
/// (1–5, or -1 for the last).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Day {
    pub weekday: Weekday,
    pub nth: Option<i8>,
}

/// One opening rule (or closure) read from an HSDS `schedule` row; see the module docs.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Opening {
    /// Weekdays it opens on; empty together with `month_days`: every day.
    pub days: Vec<Day>,
    /// Days of the month (1–31, -1 for the last day).
    pub month_days: Vec<i8>,
    /// Minutes after midnight, local time. `None` for a closure.
    pub opens: Option<u16>,
    /// Minutes after midnight (1440 = midnight at the end of the day). `None` for a closure.
    pub closes: Option<u16>,
    pub valid_from: Option<NaiveDate>,
    pub valid_to: Option<NaiveDate>,
}

impl Opening {
    /// Reads a `schedule` row; `None` when it says nothing usable (no times and no dates, or
    /// unreadable days).
    pub fn from_record(row: &Record) -> Option<Opening> {
        let date = |field: &str| {
            row.text(field)
                .and_then(|s| NaiveDate::parse_from_str(s.get(..10)?, "%Y-%m-%d").ok())
        };
        let valid_from = date("valid_from").or_else(|| date("dtstart"));
        let valid_to = date("valid_to").or_else(|| date("until"));
        let opens = row.text("opens_at").and_then(minutes);
        let closes = row.text("closes_at").and_then(minutes);
        let monthly = row
            .text("freq")
            .is_some_and(|f| f.eq_ignore_ascii_case("monthly"));
        let daily = row
            .text("freq")
            .is_some_and(|f| f.eq_ignore_ascii_case("daily"));
        let mut days = Vec::new();
        let mut month_days = Vec::new();
        if !daily {
            if let Some(byday) = row.text("byday") {
                for part in byday.split(',').map(str::trim).filter(|p| !p.is_empty()) {
                    days.push(parse_day(part, monthly)?);
                }
            }
            if monthly && let Some(bymonthday) = row.text("bymonthday") {
                for part in bymonthday
                    .split(',')
                    .map(str::trim)
                    .filter(|p| !p.is_empty())
                {
                    let d: i8 = part.parse().ok()?;
                    if d == -1 || (1..=31).contains(&d) {
                        month_days.push(d);
                    }
                }
            }
        }
        match (opens, closes) {
            (None, None) if valid_from.is_none() && valid_to.is_none() => None,
            (None, None) => Some(Opening {
                days,
                month_days,
                opens: None,
                closes: None,
                valid_from,
                valid_to,
            }),
            (opens, closes) => Some(Opening {
                days,
                month_days,
                opens: Some(opens.unwrap_or(0)),
                closes: Some(closes.unwrap_or(1440)),
                valid_from,
                valid_to,
            }),
        }
    }

    /// Whether this is a closure rather than opening hours.
    pub fn is_closure(&self) -> bool {
        self.opens.is_none()
    }
}

/// `"09:30:00"` / `"09:30"` → 570; `"23:59"` → 1440 (until midnight).
fn minutes(text: &str) -> Option<u16> {
    let t = NaiveTime::parse_from_str(text.trim(), "%H:%M:%S")
        .or_else(|_| NaiveTime::parse_from_str(text.trim(), "%H:%M"))
        .ok()?;
    let m = u16::try_from(t.hour() * 60 + t.minute()).ok()?;
    Some(if m == 1439 { 1440 } else { m })
}

fn parse_day(part: &str, monthly: bool) -> Option<Day> {
    let split = part.len().checked_sub(2)?;
    let (nth, code) = part.split_at(split);
    let weekday = match code.to_ascii_uppercase().as_str() {
        "MO" => Weekday::Mon,
        "TU" => Weekday::Tue,
        "WE" => Weekday::Wed,
        "TH" => Weekday::Thu,
        "FR" => Weekday::Fri,
        "SA" => Weekday::Sat,
        "SU" => Weekday::Sun,
        _ => return None,
    };
    let nth = match nth.trim_start_matches('+') {
        "" => None,
        n => {
            let n: i8 = n.parse().ok()?;
            if n == -1 || (1..=5).contains(&n) {
                // An ordinal means nothing in a weekly rule.
                monthly.then_some(n)
            } else {
                return None;
            }
        }
    };
    Some(Day { weekday, nth })
}

// ---------------------------------------------------------------------------------------------
// Time in Rome, holidays
// ---------------------------------------------------------------------------------------------

/// Local time in Europe/Rome.
pub fn rome_time(now: DateTime<Utc>) -> NaiveDateTime {
    let year = now.year();
    let switch = |month: u32| {
        last_sunday(year, month)
            .and_hms_opt(1, 0, 0)
            .expect("01:00 exists")
            .and_utc()
    };
    let summer = now >= switch(3) && now < switch(10);
    let offset = if summer { 2 } else { 1 };
    now.naive_utc() + chrono::Duration::hours(offset)
}

fn last_sunday(year: i32, month: u32) -> NaiveDate {
    let last = NaiveDate::from_ymd_opt(year, month + 1, 1)
        .expect("month + 1 <= 12 here")
        .pred_opt()
        .expect("not the first day ever");
    last - Days::new(u64::from(last.weekday().num_days_from_sunday()))
}

/// Easter Sunday of `year` in the Gregorian calendar (the anonymous algorithm of Meeus,
/// Jones and Butcher).
pub fn easter(year: i32) -> NaiveDate {
    let a = year % 19;
    let b = year / 100;
    let c = year % 100;
    let d = b / 4;
    let e = b % 4;
    let f = (b + 8) / 25;
    let g = (b - f + 1) / 3;
    let h = (19 * a + b - d - g + 15) % 30;
    let i = c / 4;
    let k = c % 4;
    let l = (32 + 2 * e + 2 * i - h - k) % 7;
    let m = (a + 11 * h + 22 * l) / 451;
    let month = (h + l - 7 * m + 114) / 31;
    let day = (h + l - 7 * m + 114) % 31 + 1;
    NaiveDate::from_ymd_opt(year, month as u32, day as u32).expect("Easter is a real date")
}

/// Italian national holidays: 1 and 6 January, Easter Sunday and Monday, 25 April, 1 May,
/// 2 June, 15 August, 1 November, 8, 25 and 26 December.
pub fn is_holiday(date: NaiveDate) -> bool {
    const FIXED: [(u32, u32); 10] = [
        (1, 1),
        (1, 6),
        (4, 25),
        (5, 1),
        (6, 2),
        (8, 15),
        (11, 1),
        (12, 8),
        (12, 25),
        (12, 26),
    ];
    if FIXED.contains(&(date.month(), date.day())) {
        return true;
    }
    let easter = easter(date.year());
    date == easter || date == easter + Days::new(1)
}

/// Whether a service with these rules is open at `now`. No rules: not known to be open.
pub fn is_open(rules: &[Opening], now: DateTime<Utc>) -> bool {
    let mut bytes = Vec::new();
    encode(rules, &mut bytes);
    OpenAt::new(now).check(&bytes)
}

// ---------------------------------------------------------------------------------------------
// Compact form, evaluated at query time (the search index stores it per service)
// ---------------------------------------------------------------------------------------------

/// Bytes per rule in the compact form.
const RULE_BYTES: usize = 24;
const FLAG_CLOSURE: u8 = 1;
const FLAG_EVERY_DAY: u8 = 2;
const FLAG_HOLIDAYS: u8 = 4;
/// Ordinals with a weekday mask each in the compact form: 1st–5th and last.
const ORDINALS: [i8; 6] = [1, 2, 3, 4, 5, -1];

fn day_number(date: NaiveDate) -> i32 {
    date.num_days_from_ce()
}

/// The rules as fixed-size records, in a canonical order so equal schedules give equal bytes
/// (the index stores them in a dictionary-encoded column: a pattern shared by many services
/// is evaluated once per query and segment). [`OpenAt::check`] reads them.
pub fn encode(rules: &[Opening], out: &mut Vec<u8>) {
    let mut records: Vec<[u8; RULE_BYTES]> = rules.iter().map(encode_rule).collect();
    records.sort_unstable();
    records.dedup();
    for r in records {
        out.extend_from_slice(&r);
    }
}

fn encode_rule(rule: &Opening) -> [u8; RULE_BYTES] {
    let mut r = [0u8; RULE_BYTES];
    let every_day = rule.days.is_empty() && rule.month_days.is_empty();
    let sunday = rule
        .days
        .iter()
        .any(|d| d.weekday == Weekday::Sun && d.nth.is_none());
    let dated_exception = match (rule.valid_from, rule.valid_to) {
        (Some(from), Some(to)) => (to - from).num_days() <= 6,
        _ => false,
    };
    let mut flags = 0;
    if rule.is_closure() {
        flags |= FLAG_CLOSURE;
    }
    if every_day {
        flags |= FLAG_EVERY_DAY;
    }
    if every_day || sunday || dated_exception {
        flags |= FLAG_HOLIDAYS;
    }
    r[0] = flags;
    for day in &rule.days {
        let bit = 1u8 << day.weekday.num_days_from_monday();
        match day.nth {
            None => r[1] |= bit,
            Some(n) => {
                if let Some(i) = ORDINALS.iter().position(|o| *o == n) {
                    r[2 + i] |= bit;
                }
            }
        }
    }
    let mut month_mask = 0u32;
    for &d in &rule.month_days {
        month_mask |= if d == -1 { 1 << 31 } else { 1 << (d - 1) };
    }
    r[8..12].copy_from_slice(&month_mask.to_le_bytes());
    r[12..14].copy_from_slice(&rule.opens.unwrap_or(0).to_le_bytes());
    r[14..16].copy_from_slice(&rule.closes.unwrap_or(0).to_le_bytes());
    let from = rule.valid_from.map_or(i32::MIN, day_number);
    let to = rule.valid_to.map_or(i32::MAX, day_number);
    r[16..20].copy_from_slice(&from.to_le_bytes());
    r[20..24].copy_from_slice(&to.to_le_bytes());
    r
}

/// One calendar day as the rules see it.
#[derive(Debug, Clone, Copy)]
struct DayFacts {
    number: i32,
    weekday_bit: u8,
    /// Bit of the weekday's ordinal masks that apply: its nth occurrence, and "last".
    ordinal_slot: usize,
    is_last_of_weekday: bool,
    month_bit: u32,
    holiday: bool,
}

impl DayFacts {
    fn new(date: NaiveDate) -> Self {
        let day = date.day();
        let days_in_month = NaiveDate::from_ymd_opt(
            if date.month() == 12 {
                date.year() + 1
            } else {
                date.year()
            },
            if date.month() == 12 {
                1
            } else {
                date.month() + 1
            },
            1,
        )
        .and_then(|d| d.pred_opt())
        .map_or(31, |d| d.day());
        let mut month_bit = 1u32 << (day - 1);
        if day == days_in_month {
            month_bit |= 1 << 31;
        }
        DayFacts {
            number: day_number(date),
            weekday_bit: 1 << date.weekday().num_days_from_monday(),
            ordinal_slot: ((day - 1) / 7) as usize,
            is_last_of_weekday: day + 7 > days_in_month,
            month_bit,
            holiday: is_holiday(date),
        }
    }
}

/// A moment in Rome, ready to check compact schedules against.
#[derive(Debug, Clone, Copy)]
pub struct OpenAt {
    today: DayFacts,
    yesterday: DayFacts,
    minute: u16,
}

impl OpenAt {
    /// `now` in Rome: today's and yesterday's facts (yesterday for hours past midnight).
    pub fn new(now: DateTime<Utc>) -> Self {
        let local = rome_time(now);
        let date = local.date();
        OpenAt {
            today: DayFacts::new(date),
            yesterday: DayFacts::new(date.pred_opt().unwrap_or(date)),
            minute: u16::try_from(local.hour() * 60 + local.minute()).unwrap_or(0),
        }
    }

    /// Whether the compact rules ([`encode`]) open at this moment.
    pub fn check(&self, bytes: &[u8]) -> bool {
        let rules = bytes.chunks_exact(RULE_BYTES);
        // A closure wins over every opening.
        if rules
            .clone()
            .any(|r| r[0] & FLAG_CLOSURE != 0 && applies_on(r, &self.today))
        {
            return false;
        }
        rules.filter(|r| r[0] & FLAG_CLOSURE == 0).any(|r| {
            let opens = u16::from_le_bytes([r[12], r[13]]);
            let closes = u16::from_le_bytes([r[14], r[15]]);
            let m = self.minute;
            if opens < closes {
                opens <= m && m < closes && opens_on(r, &self.today)
            } else {
                // Past midnight: the evening of today or the early hours after yesterday.
                (m >= opens && opens_on(r, &self.today))
                    || (m < closes && opens_on(r, &self.yesterday))
            }
        })
    }
}

/// Whether a rule is in force on a day and names it (ignoring holidays).
fn applies_on(r: &[u8], day: &DayFacts) -> bool {
    let from = i32::from_le_bytes([r[16], r[17], r[18], r[19]]);
    let to = i32::from_le_bytes([r[20], r[21], r[22], r[23]]);
    if day.number < from || day.number > to {
        return false;
    }
    if r[0] & FLAG_EVERY_DAY != 0 {
        return true;
    }
    if r[1] & day.weekday_bit != 0 {
        return true;
    }
    let nth_mask = r[2 + day.ordinal_slot.min(4)];
    if nth_mask & day.weekday_bit != 0 {
        return true;
    }
    if day.is_last_of_weekday && r[7] & day.weekday_bit != 0 {
        return true;
    }
    let month_mask = u32::from_le_bytes([r[8], r[9], r[10], r[11]]);
    month_mask & day.month_bit != 0
}

/// Whether an opening rule opens on a day, holidays included.
fn opens_on(r: &[u8], day: &DayFacts) -> bool {
    applies_on(r, day) && (!day.holiday || r[0] & FLAG_HOLIDAYS != 0)
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;

    fn row(fields: &[(&str, &str)]) -> Record {
        let mut r = Record::new("schedule", "s");
        for (k, v) in fields {
            r.set(k, *v);
        }
        r
    }

    fn at(y: i32, mo: u32, d: u32, h: u32, mi: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(y, mo, d, h, mi, 0).unwrap()
    }

    fn weekdays_morning() -> Opening {
        Opening::from_record(&row(&[
            ("freq", "WEEKLY"),
            ("byday", "MO,TU,WE,TH,FR"),
            ("opens_at", "09:00:00"),
            ("closes_at", "12:30:00"),
        ]))
        .unwrap()
    }

    #[test]
    fn easter_dates() {
        assert_eq!(easter(2024), NaiveDate::from_ymd_opt(2024, 3, 31).unwrap());
        assert_eq!(easter(2025), NaiveDate::from_ymd_opt(2025, 4, 20).unwrap());
        assert_eq!(easter(2026), NaiveDate::from_ymd_opt(2026, 4, 5).unwrap());
        assert_eq!(easter(2027), NaiveDate::from_ymd_opt(2027, 3, 28).unwrap());
        assert!(is_holiday(NaiveDate::from_ymd_opt(2026, 4, 6).unwrap()));
        assert!(is_holiday(NaiveDate::from_ymd_opt(2026, 6, 2).unwrap()));
        assert!(!is_holiday(NaiveDate::from_ymd_opt(2026, 6, 3).unwrap()));
    }

    #[test]
    fn rome_switches_to_summer_time_on_the_last_sundays_of_march_and_october() {
        // 2026: 29 March and 25 October.
        assert_eq!(rome_time(at(2026, 3, 29, 0, 59)).hour(), 1);
        assert_eq!(rome_time(at(2026, 3, 29, 1, 0)).hour(), 3);
        assert_eq!(rome_time(at(2026, 10, 25, 0, 59)).hour(), 2);
        assert_eq!(rome_time(at(2026, 10, 25, 1, 0)).hour(), 2);
        assert_eq!(rome_time(at(2026, 7, 1, 8, 0)).hour(), 10);
        assert_eq!(rome_time(at(2026, 1, 5, 9, 0)).hour(), 10);
    }

    #[test]
    fn weekly_hours_in_rome_time() {
        let rules = [weekdays_morning()];
        // Monday 16 November 2026, 10:00 in Rome = 09:00 UTC.
        assert!(is_open(&rules, at(2026, 11, 16, 9, 0)));
        assert!(!is_open(&rules, at(2026, 11, 16, 7, 59))); // 08:59
        assert!(is_open(&rules, at(2026, 11, 16, 8, 0))); // 09:00
        assert!(!is_open(&rules, at(2026, 11, 16, 11, 30))); // 12:30
        // Sunday.
        assert!(!is_open(&rules, at(2026, 11, 15, 9, 0)));
        // Summer: 10:00 in Rome = 08:00 UTC.
        assert!(is_open(&rules, at(2026, 7, 6, 8, 0)));
        assert!(!is_open(&[], at(2026, 11, 16, 9, 0)));
    }

    #[test]
    fn holidays_close_weekday_offices_but_not_every_day_services() {
        let weekday = [weekdays_morning()];
        // Friday 25 December 2026 and Easter Monday 6 April 2026, 10:00 in Rome.
        assert!(!is_open(&weekday, at(2026, 12, 25, 9, 0)));
        assert!(!is_open(&weekday, at(2026, 4, 6, 8, 0)));
        assert!(is_open(&weekday, at(2026, 12, 28, 9, 0)));
        let h24 = [Opening::from_record(&row(&[
            ("freq", "WEEKLY"),
            ("byday", "MO,TU,WE,TH,FR,SA,SU"),
            ("opens_at", "00:00:00"),
            ("closes_at", "23:59:00"),
        ]))
        .unwrap()];
        assert!(is_open(&h24, at(2026, 12, 25, 9, 0)));
        assert!(is_open(&h24, at(2026, 12, 25, 22, 58)));
        // A dated exception opens on the holiday.
        let exception = Opening::from_record(&row(&[
            ("opens_at", "10:00"),
            ("closes_at", "12:00"),
            ("valid_from", "2026-12-25"),
            ("valid_to", "2026-12-25"),
        ]))
        .unwrap();
        assert!(is_open(
            &[weekdays_morning(), exception],
            at(2026, 12, 25, 9, 30)
        ));
    }

    #[test]
    fn validity_dates_and_closures() {
        let mut rule = weekdays_morning();
        rule.valid_to = NaiveDate::from_ymd_opt(2026, 11, 1);
        assert!(!is_open(
            std::slice::from_ref(&rule),
            at(2026, 11, 16, 9, 0)
        ));
        rule.valid_to = None;
        rule.valid_from = NaiveDate::from_ymd_opt(2026, 11, 17);
        assert!(!is_open(&[rule], at(2026, 11, 16, 9, 0)));
        let closure = Opening::from_record(&row(&[
            ("valid_from", "2026-11-10"),
            ("valid_to", "2026-11-20"),
            ("description", "Chiuso per lavori"),
        ]))
        .unwrap();
        assert!(closure.is_closure());
        assert!(!is_open(
            &[weekdays_morning(), closure.clone()],
            at(2026, 11, 16, 9, 0)
        ));
        assert!(is_open(
            &[weekdays_morning(), closure],
            at(2026, 11, 23, 9, 0)
        ));
    }

    #[test]
    fn monthly_ordinals_and_overnight_hours() {
        let second_tuesday = Opening::from_record(&row(&[
            ("freq", "MONTHLY"),
            ("byday", "2TU"),
            ("opens_at", "10:00:00"),
            ("closes_at", "13:00:00"),
        ]))
        .unwrap();
        // November 2026: Tuesdays 3, 10, 17, 24.
        assert!(is_open(
            std::slice::from_ref(&second_tuesday),
            at(2026, 11, 10, 10, 0)
        ));
        assert!(!is_open(&[second_tuesday], at(2026, 11, 17, 10, 0)));
        let last_friday = Opening::from_record(&row(&[
            ("freq", "MONTHLY"),
            ("byday", "-1FR"),
            ("opens_at", "10:00"),
            ("closes_at", "13:00"),
        ]))
        .unwrap();
        assert!(is_open(
            std::slice::from_ref(&last_friday),
            at(2026, 11, 27, 10, 0)
        ));
        assert!(!is_open(&[last_friday], at(2026, 11, 20, 10, 0)));
        let night = Opening::from_record(&row(&[
            ("byday", "FR"),
            ("opens_at", "20:00"),
            ("closes_at", "08:00"),
        ]))
        .unwrap();
        // Friday 20 November 2026 at 23:00 and Saturday at 02:00 in Rome.
        assert!(is_open(
            std::slice::from_ref(&night),
            at(2026, 11, 20, 22, 0)
        ));
        assert!(is_open(
            std::slice::from_ref(&night),
            at(2026, 11, 21, 1, 0)
        ));
        assert!(!is_open(&[night], at(2026, 11, 21, 8, 0)));
    }

    #[test]
    fn rows_without_times_or_dates_say_nothing() {
        assert_eq!(Opening::from_record(&row(&[("byday", "MO")])), None);
        assert_eq!(
            Opening::from_record(&row(&[("byday", "XX"), ("opens_at", "09:00")])),
            None
        );
    }
}
