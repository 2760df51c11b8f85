//! E-mail notices, in Russian, to the people concerned. Rows of `mail_outbox` are written in
//! the transition's transaction ([`enqueue`]); the worker ([`start`]) sends them over SMTP
//! (`TOUCHPOINTS_SMTP_URL`, from `TOUCHPOINTS_MAIL_FROM`) outside any transaction, with retries
//! and exponential backoff, and records the outcome (the log: `GET /agencies/{id}/mail`).
//!
//! Who gets what ([`recipients`]):
//! - part events (`part.submitted`, `part.returned`, `part.accepted`): the responsible persons
//!   with an e-mail of the part's unit (the agency-level part: of every unit); a return's mail
//!   carries the remarks' text;
//! - `revision.agreed`: the next official of the chain ([`next_official_of_chain`]);
//! - `revision.approved`, `revision.refused`, `revision.cancelled`, `register.published`:
//!   everyone with an e-mail among the responsible persons of the agency's units, and everyone
//!   in the chain ([`everyone_in_chain`]).

use std::time::Duration;

use chrono::Utc;
use diesel::pg::PgConnection;
use diesel::prelude::*;
use diesel::sql_types;
use lettre::message::header::ContentType;
use lettre::message::{Body, Mailbox};
use lettre::{Message, SmtpTransport, Transport};
use uuid::Uuid;

use super::{AgencyName, Event, EventType};
use crate::db::PgPool;
use crate::error::ApiResult;
use crate::schema::{mail_outbox as mo, units};
use crate::units::model::ResponsiblePerson;

/// Attempts before a mail is given up (`failed`).
pub const MAX_ATTEMPTS: i32 = 8;
/// How long a claimed mail stays invisible to other claims; longer than a send.
pub const LEASE: Duration = Duration::from_secs(60);
/// The SMTP conversation's timeout.
pub const SMTP_TIMEOUT: Duration = Duration::from_secs(10);

/// E-mails of a unit's responsible persons.
fn unit_emails(
    conn: &mut PgConnection,
    agency_id: Uuid,
    unit: Option<Uuid>,
) -> ApiResult<Vec<String>> {
    let mut q = units::table
        .filter(units::agency_id.eq(agency_id))
        .select(units::responsible_persons)
        .into_boxed();
    if let Some(u) = unit {
        q = q.filter(units::id.eq(u));
    }
    let rows: Vec<serde_json::Value> = q.load(conn)?;
    Ok(rows
        .into_iter()
        .filter_map(|v| serde_json::from_value::<Vec<ResponsiblePerson>>(v).ok())
        .flatten()
        .filter_map(|p| p.email)
        .filter(|e| !e.trim().is_empty())
        .collect())
}

/// The official whose agreement comes next on the chain. Officials (with e-mails) are not on
/// this branch yet: nobody.
pub fn next_official_of_chain(_conn: &mut PgConnection, _event: &Event) -> ApiResult<Vec<String>> {
    Ok(Vec::new())
}

/// Everyone on the agency's approval chain. Officials are not on this branch yet: nobody.
pub fn everyone_in_chain(_conn: &mut PgConnection, _event: &Event) -> ApiResult<Vec<String>> {
    Ok(Vec::new())
}

/// The addresses an event is mailed to, without duplicates (see the module's rule).
pub fn recipients(conn: &mut PgConnection, event: &Event) -> ApiResult<Vec<String>> {
    let mut all = match event.kind {
        EventType::PartSubmitted | EventType::PartReturned | EventType::PartAccepted => {
            unit_emails(conn, event.agency_id, event.part.flatten())?
        }
        EventType::RevisionAgreed => next_official_of_chain(conn, event)?,
        EventType::RevisionApproved
        | EventType::RevisionRefused
        | EventType::RevisionCancelled
        | EventType::RegisterPublished => {
            let mut v = unit_emails(conn, event.agency_id, None)?;
            v.extend(everyone_in_chain(conn, event)?);
            v
        }
        EventType::DeadlineOverdue => unit_emails(conn, event.agency_id, event.part.flatten())?,
    };
    let mut seen = std::collections::HashSet::new();
    all.retain(|e| seen.insert(e.to_lowercase()));
    Ok(all)
}

/// The subject and body of an event's mail, in Russian.
pub fn compose(event: &Event, agency: &AgencyName) -> (String, String) {
    let n = event.revision_number;
    let part = match event.part {
        Some(Some(_)) => "часть подразделения",
        _ => "часть ведомства",
    };
    let subject = match event.kind {
        EventType::PartSubmitted => {
            format!("Часть перечня направлена на проверку (пересмотр № {n})")
        }
        EventType::PartReturned => {
            format!("Часть перечня возвращена на доработку (пересмотр № {n})")
        }
        EventType::PartAccepted => format!("Часть перечня принята (пересмотр № {n})"),
        EventType::RevisionAgreed => {
            format!("Перечень ожидает вашего согласования (пересмотр № {n})")
        }
        EventType::RevisionApproved => format!("Перечень утверждён (пересмотр № {n})"),
        EventType::RevisionRefused => format!("В утверждении перечня отказано (пересмотр № {n})"),
        EventType::RevisionCancelled => format!("Пересмотр перечня № {n} отменён"),
        EventType::DeadlineOverdue => format!("Срок по пересмотру перечня № {n} пропущен"),
        EventType::RegisterPublished => match &event.published {
            Some(p) => format!(
                "Опубликована версия {} перечня точек взаимодействия",
                p.version
            ),
            None => "Перечень точек взаимодействия опубликован".to_owned(),
        },
    };
    let mut body = format!(
        "Здравствуйте!\n\n{}.\n\nВедомство: {} ({}).\nПересмотр перечня точек взаимодействия с клиентом № {n}, {part}.\n",
        subject, agency.name, agency.region
    );
    if event.kind == EventType::PartReturned && !event.remarks.is_empty() {
        body.push_str("\nЗамечания:\n");
        for (i, r) in event.remarks.iter().enumerate() {
            body.push_str(&format!("{}. {}\n", i + 1, r));
        }
    }
    body.push_str("\nЭто письмо отправлено автоматически, отвечать на него не нужно.\n");
    (subject, body)
}

/// Writes one outbox row per recipient, in the caller's transaction.
pub fn enqueue(
    conn: &mut PgConnection,
    event: &Event,
    event_id: Uuid,
    agency: &AgencyName,
) -> ApiResult<usize> {
    let to = recipients(conn, event)?;
    if to.is_empty() {
        return Ok(0);
    }
    let (subject, body) = compose(event, agency);
    let rows: Vec<_> = to
        .iter()
        .map(|r| {
            (
                mo::agency_id.eq(event.agency_id),
                mo::event_type.eq(event.kind.as_str()),
                mo::event_id.eq(event_id),
                mo::recipient.eq(r),
                mo::subject.eq(&subject),
                mo::body.eq(&body),
            )
        })
        .collect();
    Ok(diesel::insert_into(mo::table).values(rows).execute(conn)?)
}

/// Where and as whom mail is sent.
#[derive(Clone)]
pub struct MailConfig {
    /// `TOUCHPOINTS_SMTP_URL`: `smtp://host:port` (plain, a local relay), `smtp://…?tls=required`
    /// (STARTTLS), `smtps://user:pass@host` (TLS).
    pub smtp_url: String,
    /// `TOUCHPOINTS_MAIL_FROM`.
    pub from: String,
    /// The first retry's delay (doubles each time).
    pub backoff_ms: u64,
    pub poll: Duration,
}

#[derive(Debug, Clone, QueryableByName)]
struct Due {
    #[diesel(sql_type = sql_types::Uuid)]
    id: Uuid,
    #[diesel(sql_type = sql_types::Text)]
    recipient: String,
    #[diesel(sql_type = sql_types::Text)]
    subject: String,
    #[diesel(sql_type = sql_types::Text)]
    body: String,
    #[diesel(sql_type = sql_types::Integer)]
    attempts: i32,
}

/// What became of an attempt, coarse.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Sent,
    /// A permanent refusal (5xx), or an address that cannot be a mailbox: not retried.
    Rejected,
    /// A transient SMTP error (4xx): retried.
    SmtpError,
    /// No connection (or TLS) to the relay: retried.
    ConnectError,
}

impl Outcome {
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Sent => "sent",
            Outcome::Rejected => "rejected",
            Outcome::SmtpError => "smtp_error",
            Outcome::ConnectError => "connect_error",
        }
    }
}

/// The SMTP transport of `TOUCHPOINTS_SMTP_URL`.
pub fn transport(url: &str) -> anyhow::Result<SmtpTransport> {
    Ok(SmtpTransport::from_url(url)?
        .timeout(Some(SMTP_TIMEOUT))
        .build())
}

fn message(from: &Mailbox, due: &Due) -> Result<Message, Outcome> {
    let to: Mailbox = due.recipient.parse().map_err(|_| Outcome::Rejected)?;
    // lettre chooses quoted-printable or base64 (8bit would need lines under 76 bytes: ~37
    // Cyrillic letters)
    let body = Body::new(due.body.clone());
    Message::builder()
        .from(from.clone())
        .to(to)
        .subject(due.subject.clone())
        .header(ContentType::TEXT_PLAIN)
        .body(body)
        .map_err(|_| Outcome::Rejected)
}

fn send(mailer: &SmtpTransport, from: &Mailbox, due: &Due) -> Outcome {
    let msg = match message(from, due) {
        Ok(m) => m,
        Err(o) => return o,
    };
    match mailer.send(&msg) {
        Ok(_) => Outcome::Sent,
        Err(e) => {
            tracing::info!(mail = %due.id, error = %e, "mail not sent");
            if e.is_permanent() {
                Outcome::Rejected
            } else if e.is_transient() {
                Outcome::SmtpError
            } else {
                Outcome::ConnectError
            }
        }
    }
}

fn claim(conn: &mut PgConnection) -> anyhow::Result<Vec<Due>> {
    conn.transaction::<_, anyhow::Error, _>(|c| {
        let due: Vec<Due> = diesel::sql_query(
            "SELECT id, recipient, subject, body, attempts FROM mail_outbox
              WHERE status = 'pending' AND next_attempt_at <= now()
              ORDER BY next_attempt_at LIMIT 16 FOR UPDATE SKIP LOCKED",
        )
        .load(c)?;
        if !due.is_empty() {
            let ids: Vec<Uuid> = due.iter().map(|d| d.id).collect();
            let until = Utc::now() + chrono::Duration::from_std(LEASE)?;
            diesel::update(mo::table.filter(mo::id.eq_any(&ids)))
                .set(mo::next_attempt_at.eq(until))
                .execute(c)?;
        }
        Ok(due)
    })
}

fn record(
    conn: &mut PgConnection,
    config: &MailConfig,
    due: &Due,
    outcome: Outcome,
) -> anyhow::Result<()> {
    let attempts = due.attempts + 1;
    let status = match outcome {
        Outcome::Sent => "sent",
        Outcome::Rejected => "failed",
        _ if attempts >= MAX_ATTEMPTS => "failed",
        _ => "pending",
    };
    let next = Utc::now()
        + chrono::Duration::milliseconds(crate::webhooks::backoff_ms(
            config.backoff_ms,
            attempts - 1,
        ) as i64);
    let sent_at = (outcome == Outcome::Sent).then(Utc::now);
    diesel::update(mo::table.find(due.id))
        .set((
            mo::status.eq(status),
            mo::attempts.eq(attempts),
            mo::outcome.eq(outcome.as_str()),
            mo::next_attempt_at.eq(next),
            mo::sent_at.eq(sent_at),
        ))
        .execute(conn)?;
    Ok(())
}

/// Starts the mail worker: one thread that claims due mails (leased, `SKIP LOCKED`, so
/// instances never send the same one at once), sends them one by one and records outcomes.
pub fn start(
    pool: PgPool,
    config: MailConfig,
    background: &crate::background::Background,
) -> anyhow::Result<()> {
    let mailer = transport(&config.smtp_url)?;
    let from: Mailbox = config
        .from
        .parse()
        .map_err(|e| anyhow::anyhow!("TOUCHPOINTS_MAIL_FROM={:?}: {e}", config.from))?;
    background.spawn("mail-sender", move |bg| {
        while !bg.stopping() {
            let claimed = match pool.get() {
                Ok(mut c) => claim(&mut c).unwrap_or_else(|e| {
                    tracing::warn!(error = %e, "mail worker");
                    Vec::new()
                }),
                Err(_) => Vec::new(),
            };
            if claimed.is_empty() {
                bg.sleep(config.poll);
                continue;
            }
            for due in claimed {
                let outcome = send(&mailer, &from, &due);
                let written = pool
                    .get()
                    .map_err(anyhow::Error::from)
                    .and_then(|mut c| record(&mut c, &config, &due, outcome));
                if let Err(e) = written {
                    // the lease brings the mail back: at least once
                    tracing::warn!(mail = %due.id, error = %e, "could not record a mail outcome");
                }
            }
        }
    });
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_return_mail_lists_the_remarks_in_russian() {
        let mut e = Event::new(EventType::PartReturned, Uuid::nil(), Uuid::nil(), 2);
        e.part = Some(Some(Uuid::nil()));
        e.remarks = vec!["Укажите часы приёма".into()];
        let (subject, body) = compose(
            &e,
            &AgencyName {
                name: "Минтруд".into(),
                region: "РД".into(),
            },
        );
        assert_eq!(
            subject,
            "Часть перечня возвращена на доработку (пересмотр № 2)"
        );
        assert!(
            body.contains("Замечания:\n1. Укажите часы приёма"),
            "{body}"
        );
    }

    #[test]
    fn transports_follow_the_url() {
        assert!(transport("smtp://127.0.0.1:2525").is_ok());
        assert!(transport("smtps://user:pass@mail.example.ru").is_ok());
        assert!(transport("http://mail.example.ru").is_err());
    }
}
