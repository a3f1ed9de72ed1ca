//! Reminders and escalation of task occurrences: in-app notifications, and e-mail through
//! a real SMTP client (lettre) when a relay is configured. Run by `parindex tasks remind`
//! (daily, from cron or a timer), with the day as an argument so that tests control time.

use lettre::message::{Mailbox, header::ContentType};
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use parindex_db::{Db, Recipient};
use parindex_domain::followup::{Audience, FollowUp};
use parindex_domain::text::Date;

/// An SMTP relay (plain SMTP on the local network; no TLS in this version).
#[derive(Clone)]
pub struct Mailer {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    from: Mailbox,
}

impl Mailer {
    /// From `smtp://host:port` and a sender address.
    pub fn new(url: &str, from: &str) -> Result<Mailer, String> {
        let rest = url
            .strip_prefix("smtp://")
            .ok_or_else(|| format!("địa chỉ SMTP `{url}` phải có dạng smtp://máy:cổng"))?;
        let (host, port) = match rest.rsplit_once(':') {
            Some((h, p)) => (
                h,
                p.trim_end_matches('/')
                    .parse::<u16>()
                    .map_err(|_| format!("cổng SMTP `{p}` không hợp lệ"))?,
            ),
            None => (rest.trim_end_matches('/'), 25),
        };
        let transport = AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(host)
            .port(port)
            .build();
        let from = from
            .parse()
            .map_err(|e| format!("địa chỉ gửi `{from}` không hợp lệ: {e}"))?;
        Ok(Mailer { transport, from })
    }

    async fn send(&self, to: &Recipient, subject: &str, body: &str) -> Result<(), String> {
        let Some(email) = to.email.as_deref() else {
            return Ok(());
        };
        let to_box: Mailbox = format!("{} <{email}>", to.display_name)
            .parse()
            .or_else(|_| email.parse())
            .map_err(|e| format!("{email}: {e}"))?;
        let msg = Message::builder()
            .from(self.from.clone())
            .to(to_box)
            .subject(subject)
            .header(ContentType::TEXT_PLAIN)
            .body(body.to_string())
            .map_err(|e| e.to_string())?;
        self.transport
            .send(msg)
            .await
            .map(|_| ())
            .map_err(|e| e.to_string())
    }
}

/// What one run did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Summary {
    pub notifications: usize,
    pub emails: usize,
    pub failures: usize,
}

async fn audience(
    db: &Db,
    unit: &str,
    leads: &[String],
    who: Audience,
) -> Result<Vec<Recipient>, String> {
    let mut out: Vec<Recipient> = Vec::new();
    let e = |x: parindex_db::DbError| x.to_string();
    match who {
        Audience::Assignee => {
            for l in leads {
                out.extend(db.recipients(l, "division").await.map_err(e)?);
            }
        }
        Audience::DivisionHead => {
            for l in leads {
                out.extend(db.recipients(l, "leader").await.map_err(e)?);
            }
        }
        Audience::Director => out.extend(db.recipients(unit, "leader").await.map_err(e)?),
    }
    // Nobody in the division (or no head): the unit's focal points follow it up.
    if out.is_empty() {
        out.extend(db.recipients(unit, "focal").await.map_err(e)?);
    }
    out.dedup_by(|a, b| a.username == b.username);
    Ok(out)
}

fn wording(key: &str, title: &str, due: Date, days_left: i64) -> (String, String) {
    let due_vi = due.to_vi();
    match key {
        "overdue" => (
            format!("[parindex] Quá hạn: {title}"),
            format!(
                "Nhiệm vụ “{title}” đã quá hạn {} ngày làm việc (hạn {due_vi}). Đề nghị báo cáo kết quả ngay.",
                -days_left
            ),
        ),
        "head" => (
            format!("[parindex] Nhắc trưởng phòng: {title} quá hạn"),
            format!(
                "Nhiệm vụ “{title}” của phòng đã quá hạn {} ngày làm việc (hạn {due_vi}) mà chưa có báo cáo.",
                -days_left
            ),
        ),
        "director" => (
            format!("[parindex] Báo cáo Giám đốc: {title} quá hạn"),
            format!(
                "Nhiệm vụ “{title}” đã quá hạn {} ngày làm việc (hạn {due_vi}); đã nhắc phòng và trưởng phòng.",
                -days_left
            ),
        ),
        _ => (
            format!("[parindex] Nhắc hạn {due_vi}: {title}"),
            format!("Nhiệm vụ “{title}” đến hạn ngày {due_vi} (còn {days_left} ngày làm việc)."),
        ),
    }
}

/// Creates the notifications `today` calls for (each once) and e-mails them.
pub async fn run_followups(
    db: &Db,
    mailer: Option<&Mailer>,
    cfg: &FollowUp,
    today: Date,
    now: &str,
) -> Result<Summary, String> {
    // Reminders count working days: look far enough ahead for the longest one across
    // weekends and a holiday (at most twice the calendar days, and two weeks more).
    let (cal, _) = db.active_calendar().await.map_err(|e| e.to_string())?;
    let horizon = parindex_domain::schedule::from_days(
        today.days_since_epoch() + 2 * cfg.reminders.iter().copied().max().unwrap_or(0) + 14,
    );
    let mut s = Summary::default();
    // A director's mail carries the audit trail's head, kept outside the database: a later
    // `parindex audit verify --head` with it exposes a rewritten trail.
    let (records, hash) = db.audit_head().await.map_err(|e| e.to_string())?;
    let head_line = format!(
        "\n\nMã đầu nhật ký kiểm tra: {records} {hash} (lưu thư này; đối chiếu: parindex audit verify --head \"{records} {hash}\")."
    );
    for (occ, _task, title, due_on, unit, leads) in db
        .open_occurrences_all(&horizon.to_iso())
        .await
        .map_err(|e| e.to_string())?
    {
        let Some(due) = Date::parse(&due_on) else {
            continue;
        };
        for n in cfg.notices_on(due, today, &cal) {
            let (subject, mut body) = wording(&n.key, &title, due, n.days_left);
            if n.key == "director" {
                body.push_str(&head_line);
            }
            for r in audience(db, &unit, &leads, n.audience).await? {
                let Some(id) = db
                    .record_notification(&r.username, occ, &n.key, &subject, &body, now)
                    .await
                    .map_err(|e| e.to_string())?
                else {
                    continue;
                };
                s.notifications += 1;
                if let Some(m) = mailer
                    && r.email.is_some()
                {
                    match m.send(&r, &subject, &body).await {
                        Ok(()) => {
                            db.mark_emailed(id, now).await.map_err(|e| e.to_string())?;
                            s.emails += 1;
                        }
                        Err(e) => {
                            tracing::warn!(to = %r.username, error = %e, "gửi thư thất bại");
                            s.failures += 1;
                        }
                    }
                }
            }
        }
    }
    Ok(s)
}
