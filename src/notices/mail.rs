//! E-mail notices, in Russian, to the people concerned. Rows of `mail_outbox` are written in
//! the transition's transaction ([`enqueue`]); the worker ([`start`]) sends them over SMTP
//! (`TOUCHPOINTS_SMTP_URL`, from `TOUCHPOINTS_MAIL_FROM`) outside any transaction, with retries
//! and exponential backoff, and records the outcome (the log: `GET /agencies/{id}/mail`).
//!
//! Who gets what ([`recipients`]):
//! - part events (`part.submitted`, `part.returned`, `part.accepted`, `part.agreed`): the
//!   responsible persons with an e-mail of the part's unit (the agency-level part: of every
//!   unit); a return's mail carries the remarks' text;
//! - `revision.agreed`, and a `part.accepted` that makes every part accepted: the officials
//!   whose agreement the next open step of the chain waits for ([`next_official_of_chain`]),
//!   «Перечень ожидает вашего согласования»;
//! - `revision.approved`, `revision.refused`, `revision.cancelled`, `register.published`:
//!   everyone with an e-mail among the responsible persons of the agency's units, and every
//!   official the revision's chain names ([`everyone_in_chain`]); a refusal's mail carries
//!   the remarks' text;
//! - `deadline.overdue`: the responsible persons of the unit whose part is due (a deadline of
//!   the revision or the agency: of every unit).

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
use crate::domain::chain::{self, Needs, ResolvedStep};
use crate::error::ApiResult;
use crate::schema::{mail_outbox as mo, officials, units};
use crate::units::model::ResponsiblePerson;
use crate::workflow::db as wf_db;

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

/// The event's revision and its chain, resolved against what the revision changed.
fn chain_of(
    conn: &mut PgConnection,
    event: &Event,
) -> ApiResult<Option<(wf_db::RevisionRow, Vec<ResolvedStep>)>> {
    if event.without_revision() || event.revision_id.is_nil() {
        return Ok(None);
    }
    let r = wf_db::row(conn, event.revision_id, false)?;
    let ctx = wf_db::chain_context(conn, &r)?;
    let steps = chain::resolve(&r.chain(), &ctx);
    Ok(Some((r, steps)))
}

/// The e-mails of these officials, in their order, without the empty ones.
fn official_emails(conn: &mut PgConnection, ids: &[Uuid]) -> ApiResult<Vec<String>> {
    let found: std::collections::HashMap<Uuid, String> = officials::table
        .filter(officials::id.eq_any(ids))
        .select((officials::id, officials::email))
        .load::<(Uuid, String)>(conn)?
        .into_iter()
        .collect();
    Ok(ids
        .iter()
        .filter_map(|id| found.get(id))
        .filter(|e| !e.trim().is_empty())
        .cloned()
        .collect())
}

/// The officials whose agreement the next open step of the revision's chain waits for (those
/// of the step who have not agreed yet), while the revision is up for agreement (every part
/// accepted, not yet approved); nobody for an `any_approver` step (approvers are roles, not
/// people with addresses).
pub fn next_official_of_chain(conn: &mut PgConnection, event: &Event) -> ApiResult<Vec<String>> {
    let Some((r, steps)) = chain_of(conn, event)? else {
        return Ok(Vec::new());
    };
    let statuses: Vec<_> = wf_db::parts(conn, r.id)?.iter().map(|p| p.status).collect();
    if crate::domain::state::ready_for_agreement(r.status, &statuses).is_err() {
        return Ok(Vec::new());
    }
    let done: Vec<chain::Agreement> = wf_db::agreements(conn, r.id)?
        .into_iter()
        .map(|(step, sub)| chain::Agreement {
            step: step as usize,
            sub,
        })
        .collect();
    let Some(next) = steps.iter().find(|s| !chain::step_done(s, &done)) else {
        return Ok(Vec::new());
    };
    let pending: Vec<Uuid> = match &next.needs {
        Needs::AnyApprover => Vec::new(),
        Needs::Officials(people) => people
            .iter()
            .filter(|p| !done.iter().any(|a| a.sub == p.sub))
            .map(|p| p.official_id)
            .collect(),
    };
    official_emails(conn, &pending)
}

/// Every official the steps of the revision's chain name (the heads of the units and the
/// curators of the directions it changed, the named officials), once each.
pub fn everyone_in_chain(conn: &mut PgConnection, event: &Event) -> ApiResult<Vec<String>> {
    let Some((_, steps)) = chain_of(conn, event)? else {
        return Ok(Vec::new());
    };
    let mut ids: Vec<Uuid> = Vec::new();
    for s in &steps {
        if let Needs::Officials(people) = &s.needs {
            for p in people {
                if !ids.contains(&p.official_id) {
                    ids.push(p.official_id);
                }
            }
        }
    }
    official_emails(conn, &ids)
}

fn dedup(mut all: Vec<String>) -> Vec<String> {
    let mut seen = std::collections::HashSet::new();
    all.retain(|e| seen.insert(e.to_lowercase()));
    all
}

/// Who is mailed the event as it is (see the module's rule), without duplicates.
fn addressees(conn: &mut PgConnection, event: &Event) -> ApiResult<Vec<String>> {
    let all = match event.kind {
        EventType::PartSubmitted
        | EventType::PartReturned
        | EventType::PartAccepted
        | EventType::PartAgreed => unit_emails(conn, event.agency_id, event.part.flatten())?,
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
    Ok(dedup(all))
}

/// Who is asked to agree because of the event: the next officials of the chain when an
/// acceptance makes every part accepted (the revision is up for agreement).
fn asked_to_agree(conn: &mut PgConnection, event: &Event) -> ApiResult<Vec<String>> {
    match event.kind {
        EventType::PartAccepted => Ok(dedup(next_official_of_chain(conn, event)?)),
        _ => Ok(Vec::new()),
    }
}

/// The addresses an event is mailed to, without duplicates (see the module's rule).
pub fn recipients(conn: &mut PgConnection, event: &Event) -> ApiResult<Vec<String>> {
    let mut all = addressees(conn, event)?;
    all.extend(asked_to_agree(conn, event)?);
    Ok(dedup(all))
}

/// The Russian wording of a deadline's kind (`deadline.overdue` mails).
fn deadline_words(kind: &str) -> &'static str {
    match kind {
        "submit" => "представление части перечня на проверку",
        "review" => "проверка части перечня",
        "return" => "возврат части перечня на доработку или её принятие",
        "fix" => "доработка и повторное представление части перечня",
        "consolidate" => "формирование сводного перечня",
        "publish" => "размещение утверждённого перечня",
        "yearly_revision" => "ежегодная актуализация перечня",
        "quarterly_analysis" => "ежеквартальный анализ перечня",
        "obligation" => "исполнение обязательства ведомства",
        _ => "срок по перечню",
    }
}

/// The subject and body of an event's mail, in Russian.
pub fn compose(event: &Event, agency: &AgencyName) -> (String, String) {
    let n = event.revision_number;
    let part = match event.part {
        Some(Some(_)) => ", часть подразделения",
        Some(None) => ", часть ведомства",
        None => "",
    };
    let subject = match event.kind {
        EventType::PartSubmitted => {
            format!("Часть перечня направлена на проверку (пересмотр № {n})")
        }
        EventType::PartReturned => {
            format!("Часть перечня возвращена на доработку (пересмотр № {n})")
        }
        EventType::PartAccepted => format!("Часть перечня принята (пересмотр № {n})"),
        EventType::PartAgreed => format!(
            "Часть перечня согласована курирующим заместителем руководителя (пересмотр № {n})"
        ),
        EventType::RevisionAgreed => {
            format!("Перечень ожидает вашего согласования (пересмотр № {n})")
        }
        EventType::RevisionApproved => format!("Перечень утверждён (пересмотр № {n})"),
        EventType::RevisionRefused => format!("В утверждении перечня отказано (пересмотр № {n})"),
        EventType::RevisionCancelled => format!("Пересмотр перечня № {n} отменён"),
        EventType::DeadlineOverdue => match &event.deadline {
            Some(d) => format!(
                "Пропущен срок: {} (до {})",
                deadline_words(&d.kind),
                d.due.format("%d.%m.%Y")
            ),
            None => format!("Срок по пересмотру перечня № {n} пропущен"),
        },
        EventType::RegisterPublished => match &event.published {
            Some(p) => format!(
                "Опубликована версия {} перечня точек взаимодействия",
                p.version
            ),
            None => "Перечень точек взаимодействия опубликован".to_owned(),
        },
    };
    let mut body = format!(
        "Здравствуйте!\n\n{}.\n\nВедомство: {} ({}).\n",
        subject, agency.name, agency.region
    );
    if !event.without_revision() {
        body.push_str(&format!(
            "Пересмотр перечня точек взаимодействия с клиентом № {n}{part}.\n"
        ));
    }
    if let Some(d) = &event.deadline {
        if let Some(unit) = &d.unit_name {
            body.push_str(&format!("Подразделение: {unit}.\n"));
        }
        if let Some(what) = &d.what {
            body.push_str(&format!("Что требуется: {what}.\n"));
        }
        if let Some(o) = &d.responsible_official {
            body.push_str(&format!("Ответственный: {}, {}.\n", o.name, o.position));
        }
        body.push_str(&format!(
            "Последний день срока: {}.\n",
            d.due.format("%d.%m.%Y")
        ));
    }
    if matches!(
        event.kind,
        EventType::PartReturned | EventType::RevisionRefused
    ) && !event.remarks.is_empty()
    {
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
    let to = addressees(conn, event)?;
    // an acceptance that opens the agreement asks the next officials in the words of an
    // agreement's mail («ожидает вашего согласования»); they get that one mail
    let asked: Vec<String> = asked_to_agree(conn, event)?
        .into_iter()
        .filter(|a| !to.iter().any(|t| t.eq_ignore_ascii_case(a)))
        .collect();
    let mut mails: Vec<(String, String, String)> = Vec::new();
    if !to.is_empty() {
        let (subject, body) = compose(event, agency);
        mails.extend(to.into_iter().map(|r| (r, subject.clone(), body.clone())));
    }
    if !asked.is_empty() {
        let ask = Event {
            kind: EventType::RevisionAgreed,
            part: None,
            ..event.clone()
        };
        let (subject, body) = compose(&ask, agency);
        mails.extend(
            asked
                .into_iter()
                .map(|r| (r, subject.clone(), body.clone())),
        );
    }
    if mails.is_empty() {
        return Ok(0);
    }
    let rows: Vec<_> = mails
        .iter()
        .map(|(r, subject, body)| {
            (
                mo::agency_id.eq(event.agency_id),
                mo::event_type.eq(event.kind.as_str()),
                mo::event_id.eq(event_id),
                mo::recipient.eq(r),
                mo::subject.eq(subject),
                mo::body.eq(body),
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
    fn an_overdue_mail_says_which_deadline_in_russian() {
        let mut e = Event::new(EventType::DeadlineOverdue, Uuid::nil(), Uuid::nil(), 0);
        e.deadline = Some(super::super::OverdueDeadline {
            kind: "yearly_revision".into(),
            due: chrono::NaiveDate::from_ymd_opt(2026, 2, 1).unwrap(),
            since: None,
            unit_id: None,
            unit_name: None,
            responsible_role: "approver".into(),
            responsible_official: None,
            what: None,
            revision_id: None,
        });
        let (subject, body) = compose(
            &e,
            &AgencyName {
                name: "МЧС Дагестана".into(),
                region: "РД".into(),
            },
        );
        assert_eq!(
            subject,
            "Пропущен срок: ежегодная актуализация перечня (до 01.02.2026)"
        );
        assert!(!body.contains("Пересмотр"), "no revision: {body}");
        assert!(body.contains("Последний день срока: 01.02.2026"), "{body}");
    }

    #[test]
    fn a_refusal_mail_carries_its_remarks() {
        let mut e = Event::new(EventType::RevisionRefused, Uuid::nil(), Uuid::nil(), 4);
        e.remarks = vec!["Не отражён личный приём".into()];
        let (subject, body) = compose(
            &e,
            &AgencyName {
                name: "Минтруд".into(),
                region: "РД".into(),
            },
        );
        assert_eq!(subject, "В утверждении перечня отказано (пересмотр № 4)");
        assert!(body.contains("1. Не отражён личный приём"), "{body}");
        assert!(body.contains("№ 4.\n"), "no part named: {body}");
    }

    #[test]
    fn transports_follow_the_url() {
        assert!(transport("smtp://127.0.0.1:2525").is_ok());
        assert!(transport("smtps://user:pass@mail.example.ru").is_ok());
        assert!(transport("http://mail.example.ru").is_err());
    }
}
