//! Notices: every transition of the workflow is an [`Event`]. [`emit`] is the one way the
//! workflow announces one: in the caller's transaction it writes a webhook delivery for each of
//! the agency's webhooks subscribed to the event's type, and an e-mail (in Russian) for each
//! person concerned ([`mail::recipients`]) into the mail outbox. Both outboxes are sent by
//! workers of their own, after the commit, with retries; so an event commits with its
//! transition or not at all.

pub mod api;
pub mod mail;

use chrono::{DateTime, NaiveDate, Utc};
use diesel::pg::PgConnection;
use diesel::prelude::*;
use serde::Serialize;
use uuid::Uuid;

use crate::error::ApiResult;
use crate::schema::agencies;

/// Every event type, by its contract name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, utoipa::ToSchema)]
pub enum EventType {
    #[serde(rename = "part.submitted")]
    PartSubmitted,
    #[serde(rename = "part.returned")]
    PartReturned,
    #[serde(rename = "part.accepted")]
    PartAccepted,
    /// The official curating the part's unit agreed it before its submission (000 §III.1).
    #[serde(rename = "part.agreed")]
    PartAgreed,
    /// One agreement of the approval chain that did not yet approve the revision.
    #[serde(rename = "revision.agreed")]
    RevisionAgreed,
    #[serde(rename = "revision.approved")]
    RevisionApproved,
    /// An official of the chain refused the revision: parts back to `returned`, with remarks.
    #[serde(rename = "revision.refused")]
    RevisionRefused,
    /// The revision was cancelled without publishing.
    #[serde(rename = "revision.cancelled")]
    RevisionCancelled,
    /// A deadline passed (announced once per agency, deadline and due date by the sweep,
    /// `deadlines::overdue::sweep`).
    #[serde(rename = "deadline.overdue")]
    DeadlineOverdue,
    #[serde(rename = "register.published")]
    RegisterPublished,
}

impl EventType {
    pub const ALL: [EventType; 10] = [
        EventType::PartSubmitted,
        EventType::PartReturned,
        EventType::PartAccepted,
        EventType::PartAgreed,
        EventType::RevisionAgreed,
        EventType::RevisionApproved,
        EventType::RevisionRefused,
        EventType::RevisionCancelled,
        EventType::DeadlineOverdue,
        EventType::RegisterPublished,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            EventType::PartSubmitted => "part.submitted",
            EventType::PartReturned => "part.returned",
            EventType::PartAccepted => "part.accepted",
            EventType::PartAgreed => "part.agreed",
            EventType::RevisionAgreed => "revision.agreed",
            EventType::RevisionApproved => "revision.approved",
            EventType::RevisionRefused => "revision.refused",
            EventType::RevisionCancelled => "revision.cancelled",
            EventType::DeadlineOverdue => "deadline.overdue",
            EventType::RegisterPublished => "register.published",
        }
    }

    pub fn parse(s: &str) -> Option<EventType> {
        EventType::ALL.into_iter().find(|e| e.as_str() == s)
    }
}

/// What a publication froze, for its announcement (the `register.published` payload).
#[derive(Debug, Clone)]
pub struct Published {
    pub version: i32,
    pub sha256: String,
    pub published_at: DateTime<Utc>,
}

/// The deadline a `deadline.overdue` event announces (as `GET /agencies/{id}/deadlines` shows
/// it).
#[derive(Debug, Clone, Serialize)]
pub struct OverdueDeadline {
    /// `submit`, `review`, `return`, `fix`, `consolidate`, `publish`, `yearly_revision`,
    /// `quarterly_analysis`, `obligation`.
    pub kind: String,
    /// The last day to act (a Moscow date).
    pub due: NaiveDate,
    pub since: Option<NaiveDate>,
    /// The part concerned (a unit id or `agency`); null for the revision or the agency.
    pub unit_id: Option<String>,
    pub unit_name: Option<String>,
    /// Who has to act: `submitter` (the unit), `approver`, `publisher`.
    pub responsible_role: String,
    /// The official responsible, when there is one: the head of the unit whose part is due.
    pub responsible_official: Option<ResponsibleOfficial>,
    /// An obligation's wording.
    pub what: Option<String>,
    /// The revision concerned, if any.
    pub revision_id: Option<Uuid>,
}

/// An official named by an event.
#[derive(Debug, Clone, Serialize)]
pub struct ResponsibleOfficial {
    pub id: Uuid,
    pub name: String,
    pub position: String,
}

/// One event of the workflow.
#[derive(Debug, Clone)]
pub struct Event {
    pub kind: EventType,
    pub agency_id: Uuid,
    pub revision_id: Uuid,
    pub revision_number: i32,
    /// The part concerned (part events): `Some(None)` is the agency-level part.
    pub part: Option<Option<Uuid>>,
    /// The remarks' texts (`part.returned`).
    pub remarks: Vec<String>,
    /// Set for `register.published`.
    pub published: Option<Published>,
    /// Set for `deadline.overdue` (whose `revision_id` is nil when no revision is concerned).
    pub deadline: Option<OverdueDeadline>,
    pub occurred_at: DateTime<Utc>,
}

impl Event {
    /// Whether the event concerns no revision (a deadline of the agency: yearly revision,
    /// quarterly analysis, obligation).
    pub fn without_revision(&self) -> bool {
        self.deadline
            .as_ref()
            .is_some_and(|d| d.revision_id.is_none())
    }

    pub fn new(kind: EventType, agency_id: Uuid, revision_id: Uuid, revision_number: i32) -> Self {
        Event {
            kind,
            agency_id,
            revision_id,
            revision_number,
            part: None,
            remarks: Vec::new(),
            published: None,
            deadline: None,
            occurred_at: Utc::now(),
        }
    }
}

/// The agency's name and region, as the payloads and mails name it.
pub struct AgencyName {
    pub name: String,
    pub region: String,
}

/// The webhook payload of an event. `register.published` keeps its original shape.
pub fn payload(event: &Event, event_id: Uuid, agency: &AgencyName) -> serde_json::Value {
    let agency_json =
        serde_json::json!({"id": event.agency_id, "name": agency.name, "region": agency.region});
    if let (EventType::RegisterPublished, Some(p)) = (event.kind, &event.published) {
        let base = format!("/api/v1/public/agencies/{}/register", event.agency_id);
        let version = p.version;
        return serde_json::json!({
            "event_id": event_id,
            "type": event.kind.as_str(),
            "agency": agency_json,
            "version": version,
            "sha256": p.sha256,
            "published_at": p.published_at,
            "links": {
                "version": format!("{base}/versions/{version}"),
                "current": base,
                "diff": (version > 1).then(|| format!("{base}/diff?from={}&to={version}", version - 1)),
            },
        });
    }
    let revision = if event.without_revision() {
        serde_json::Value::Null
    } else {
        serde_json::json!({"id": event.revision_id, "number": event.revision_number})
    };
    let mut v = serde_json::json!({
        "type": event.kind.as_str(),
        "event_id": event_id,
        "agency": agency_json,
        "revision": revision,
        "occurred_at": event.occurred_at,
    });
    if let Some(d) = &event.deadline {
        v["deadline"] = serde_json::to_value(d).unwrap_or_default();
    }
    if let Some(part) = event.part {
        v["part"] = serde_json::json!({
            "unit_id": part,
            "key": crate::domain::PartKey::of(part).to_string(),
        });
    }
    if matches!(
        event.kind,
        EventType::PartReturned | EventType::RevisionRefused
    ) {
        v["remarks"] = serde_json::json!(event
            .remarks
            .iter()
            .map(|t| serde_json::json!({ "text": t }))
            .collect::<Vec<_>>());
    }
    v
}

/// Announces an event in the caller's transaction: webhook deliveries to the subscribed
/// webhooks, and e-mails to the people concerned. Returns the event's id.
pub fn emit(conn: &mut PgConnection, event: &Event) -> ApiResult<Uuid> {
    let event_id = Uuid::new_v4();
    emit_as(conn, event, event_id)?;
    Ok(event_id)
}

/// [`emit`] with an id chosen by the caller (who records it beside the event).
pub fn emit_as(conn: &mut PgConnection, event: &Event, event_id: Uuid) -> ApiResult<()> {
    let (name, region): (String, String) = agencies::table
        .find(event.agency_id)
        .select((agencies::name, agencies::region))
        .first(conn)?;
    let agency = AgencyName { name, region };
    let body = payload(event, event_id, &agency);
    crate::webhooks::enqueue(conn, event.agency_id, event.kind.as_str(), &body)?;
    mail::enqueue(conn, event, event_id, &agency)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for e in EventType::ALL {
            assert_eq!(EventType::parse(e.as_str()), Some(e));
            assert_eq!(serde_json::to_value(e).unwrap(), e.as_str());
        }
        assert_eq!(EventType::parse("part.eaten"), None);
    }

    #[test]
    fn a_return_carries_its_remarks() {
        let mut e = Event::new(EventType::PartReturned, Uuid::nil(), Uuid::nil(), 3);
        e.part = Some(None);
        e.remarks = vec!["Нет телефона".into()];
        let a = AgencyName {
            name: "Минтруд".into(),
            region: "РД".into(),
        };
        let v = payload(&e, Uuid::nil(), &a);
        assert_eq!(v["type"], "part.returned");
        assert_eq!(v["revision"]["number"], 3);
        assert_eq!(v["part"]["key"], "agency");
        assert_eq!(v["remarks"][0]["text"], "Нет телефона");
    }
}
