//! Follow-up of task occurrences: reminders before the day, then an overdue alert to the
//! assignee, then escalation to the division head and to the director. Pure: the clock is
//! an argument, so tests move time without sleeping.

use crate::text::Date;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FollowUp {
    /// Reminders this many days before the day (e.g. 7, 3, 1).
    pub reminders: Vec<i64>,
    /// Days after the day for the division head, then for the director.
    pub head_after: i64,
    pub director_after: i64,
}

impl Default for FollowUp {
    fn default() -> Self {
        FollowUp {
            reminders: vec![7, 3, 1],
            head_after: 3,
            director_after: 7,
        }
    }
}

/// Who a notice goes to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Audience {
    Assignee,
    DivisionHead,
    Director,
}

/// One notice an occurrence calls for today: a stable key (sent once) and its audience.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Notice {
    /// `r7`, `r3`, `r1`, `overdue`, `head`, `director`.
    pub key: String,
    pub audience: Audience,
    /// Days left (negative: days late).
    pub days_left: i64,
}

impl FollowUp {
    /// The notices due for an open occurrence on `today`. A reminder whose day was missed
    /// (the job did not run) gives way to the nearest one; each key is sent once by the caller.
    pub fn notices(&self, due: Date, today: Date) -> Vec<Notice> {
        self.notices_by(due.days_since_epoch() - today.days_since_epoch())
    }

    /// The same, with the days counted on the working-day calendar: a reminder "3 days
    /// before" is three working days before, and escalation waits for working days late.
    pub fn notices_on(
        &self,
        due: Date,
        today: Date,
        cal: &crate::calendar::Calendar,
    ) -> Vec<Notice> {
        let left = cal.working_days_from(today, due);
        // Past the due day the task is late, even when no working day has passed since
        // (a Saturday after a Friday deadline).
        let left = if today > due { left.min(-1) } else { left };
        self.notices_by(left)
    }

    /// The notices for `left` days left (negative: days late).
    fn notices_by(&self, left: i64) -> Vec<Notice> {
        let mut out = Vec::new();
        if left >= 0 {
            let mut days: Vec<i64> = self
                .reminders
                .iter()
                .copied()
                .filter(|d| *d >= left)
                .collect();
            days.sort_unstable();
            if let Some(d) = days.first() {
                out.push(Notice {
                    key: format!("r{d}"),
                    audience: Audience::Assignee,
                    days_left: left,
                });
            }
            return out;
        }
        let late = -left;
        out.push(Notice {
            key: "overdue".into(),
            audience: Audience::Assignee,
            days_left: left,
        });
        if late >= self.head_after {
            out.push(Notice {
                key: "head".into(),
                audience: Audience::DivisionHead,
                days_left: left,
            });
        }
        if late >= self.director_after {
            out.push(Notice {
                key: "director".into(),
                audience: Audience::Director,
                days_left: left,
            });
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> Date {
        Date::parse(s).unwrap_or(Date {
            year: 2000,
            month: 1,
            day: 1,
        })
    }

    #[test]
    fn reminders_then_escalation() {
        let f = FollowUp::default();
        let due = d("2021-06-30");
        let keys = |today: &str| {
            f.notices(due, d(today))
                .into_iter()
                .map(|n| n.key)
                .collect::<Vec<_>>()
        };
        assert!(
            keys("2021-06-20").is_empty(),
            "ten days before: nothing yet"
        );
        assert_eq!(keys("2021-06-23"), ["r7"]);
        assert_eq!(
            keys("2021-06-25"),
            ["r7"],
            "the 7-day reminder until the 3-day one is due"
        );
        assert_eq!(keys("2021-06-27"), ["r3"]);
        assert_eq!(keys("2021-06-29"), ["r1"]);
        assert_eq!(keys("2021-06-30"), ["r1"]);
        assert_eq!(keys("2021-07-01"), ["overdue"]);
        assert_eq!(keys("2021-07-03"), ["overdue", "head"]);
        assert_eq!(keys("2021-07-07"), ["overdue", "head", "director"]);
    }

    #[test]
    fn on_the_calendar_days_are_working_days() {
        let cal = crate::calendar::parse_calendar("vn", crate::calendar::SHIPPED).unwrap();
        let f = FollowUp::default();
        // Due Friday 30/04/2021 would be a holiday (30/4, 1/5, 3/5 off in 2021): a task
        // dated then is due Tuesday 04/05, and its reminders count back working days.
        let due = cal.working_on_or_after(d("2021-04-30"));
        assert_eq!(due, d("2021-05-04"));
        let keys = |today: &str| {
            f.notices_on(due, d(today), &cal)
                .into_iter()
                .map(|n| (n.key, n.days_left))
                .collect::<Vec<_>>()
        };
        // 29/04 (Thu) is one working day before 04/05: the 1-day reminder, not the 3-day.
        assert_eq!(keys("2021-04-29"), [("r1".to_string(), 1)]);
        // 27/04 (Tue): 28, 29, 04/05 are three working days ahead.
        assert_eq!(keys("2021-04-27"), [("r3".to_string(), 3)]);
        // Late: Friday 07/05 is three working days after 04/05; the weekend does not count.
        assert_eq!(
            keys("2021-05-06").len(),
            1,
            "two working days late: overdue only"
        );
        assert_eq!(
            keys("2021-05-07")
                .into_iter()
                .map(|k| k.0)
                .collect::<Vec<_>>(),
            ["overdue", "head"]
        );
        assert_eq!(keys("2021-05-09").len(), 2, "Sunday adds nothing");
        // The day after a Friday deadline is a Saturday: late already, one day.
        let friday = d("2021-05-07");
        let sat = f.notices_on(friday, d("2021-05-08"), &cal);
        assert_eq!(
            sat.iter()
                .map(|n| (n.key.as_str(), n.days_left))
                .collect::<Vec<_>>(),
            [("overdue", -1)]
        );
        // The calendar's count both ways.
        assert_eq!(cal.working_days_from(d("2021-04-29"), d("2021-05-04")), 1);
        assert_eq!(cal.working_days_from(d("2021-05-04"), d("2021-04-29")), -1);
        assert_eq!(cal.working_days_from(d("2021-05-04"), d("2021-05-04")), 0);
    }
}
