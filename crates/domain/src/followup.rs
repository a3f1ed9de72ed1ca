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
        let left = due.days_since_epoch() - today.days_since_epoch();
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
}
