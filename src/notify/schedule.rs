//! When the next message goes out: the first tick strictly after a moment, in the schedule's
//! time zone, daylight saving time included. Time is an input, so tests never wait.

use jiff::Timestamp;
use jiff::civil::{Date, Time};
use jiff::tz::Disambiguation;

use crate::config::{Schedule, When};

/// The first tick of `schedule` strictly after `now`. A time of day that a daylight-saving jump
/// skips goes out at the first moment after the gap; one that happens twice goes out once, at
/// the first.
pub fn next_after(schedule: &Schedule, now: Timestamp) -> Timestamp {
    let today = now.to_zoned_datetime(schedule.zone.clone()).date();
    // Ticks are at most a day apart (every N hours divides 24; at least one time of day), so
    // today, tomorrow and the day after always hold one; further days are a safe bound.
    let mut day = today.yesterday().unwrap_or(today);
    for _ in 0..5 {
        if let Some(tick) = day_ticks(schedule, day).into_iter().find(|t| *t > now) {
            return tick;
        }
        day = day.tomorrow().unwrap_or(day);
    }
    // invariant: unreachable for dates jiff can represent; an hour later is a sane fallback.
    now.checked_add(jiff::SignedDuration::from_hours(1)).unwrap_or(now)
}

/// The ticks of one civil day, as instants, in order.
fn day_ticks(schedule: &Schedule, day: Date) -> Vec<Timestamp> {
    let times: Vec<Time> = match &schedule.when {
        When::At(times) => times.clone(),
        When::EveryHours(n) => (0..24)
            .step_by(usize::try_from(*n).unwrap_or(24).max(1))
            .filter_map(|h| Time::new(h, 0, 0, 0).ok())
            .collect(),
    };
    let mut ticks: Vec<Timestamp> = times
        .into_iter()
        .filter_map(|t| {
            let civil = day.to_datetime(t);
            let ambiguous = schedule.zone.to_ambiguous_zoned_datetime(civil);
            ambiguous.disambiguate(Disambiguation::Compatible).ok().map(|z| z.timestamp())
        })
        .collect();
    ticks.sort();
    ticks.dedup();
    ticks
}

#[cfg(test)]
mod tests {
    use super::*;

    fn schedule(zone: &str, when: When) -> Schedule {
        Schedule { zone_name: zone.into(), zone: jiff::tz::db().get(zone).unwrap(), when }
    }

    fn at(times: &[(i8, i8)]) -> When {
        When::At(times.iter().map(|&(h, m)| Time::new(h, m, 0, 0).unwrap()).collect())
    }

    fn ts(text: &str) -> Timestamp {
        text.parse().unwrap()
    }

    #[test]
    fn times_of_day_follow_the_zone_not_utc() {
        let s = schedule("Europe/Madrid", at(&[(9, 0), (14, 30)]));
        // 07:59 UTC is 08:59 in Madrid in winter.
        assert_eq!(next_after(&s, ts("2026-12-07T07:59:00Z")), ts("2026-12-07T08:00:00Z"));
        assert_eq!(next_after(&s, ts("2026-12-07T08:00:00Z")), ts("2026-12-07T13:30:00Z"), "strictly after");
        assert_eq!(next_after(&s, ts("2026-12-07T20:00:00Z")), ts("2026-12-08T08:00:00Z"));
        // Summer time: 09:00 in Madrid is 07:00 UTC.
        assert_eq!(next_after(&s, ts("2026-07-01T00:00:00Z")), ts("2026-07-01T07:00:00Z"));
    }

    #[test]
    fn every_n_hours_falls_on_the_clock_from_local_midnight() {
        let s = schedule("America/New_York", When::EveryHours(6));
        // 13:10 in New York (EST, UTC-5) → next tick 18:00 local = 23:00 UTC.
        assert_eq!(next_after(&s, ts("2026-12-07T18:10:00Z")), ts("2026-12-07T23:00:00Z"));
        let mut t = ts("2026-12-07T00:00:00Z");
        let mut gaps = Vec::new();
        for _ in 0..8 {
            let next = next_after(&s, t);
            gaps.push(next.duration_since(t).as_hours());
            t = next;
        }
        assert!(gaps[1..].iter().all(|&h| h == 6), "{gaps:?}");
    }

    #[test]
    fn a_time_skipped_by_daylight_saving_goes_out_once_after_the_gap_and_a_repeated_one_once() {
        // Europe/Berlin springs forward on 2027-03-28 at 02:00 → 03:00.
        let s = schedule("Europe/Berlin", at(&[(2, 30)]));
        let tick = next_after(&s, ts("2027-03-27T23:00:00Z"));
        assert_eq!(tick, ts("2027-03-28T01:30:00Z"), "02:30 does not exist; the moment after the gap, 03:30 CEST");
        // It falls back on 2027-10-31 at 03:00 → 02:00: 02:30 happens twice, one message.
        let first = next_after(&s, ts("2027-10-30T23:00:00Z"));
        assert_eq!(first, ts("2027-10-31T00:30:00Z"));
        assert_eq!(next_after(&s, first), ts("2027-11-01T01:30:00Z"), "not again an hour later");
    }

    #[test]
    fn the_next_tick_is_always_later_and_within_a_day() {
        let s = schedule("Asia/Kolkata", at(&[(0, 0), (23, 59)]));
        let mut t = ts("2026-01-01T00:00:00Z");
        for _ in 0..2000 {
            let next = next_after(&s, t);
            assert!(next > t);
            assert!(next.duration_since(t).as_hours() <= 24);
            t = next;
        }
    }
}
