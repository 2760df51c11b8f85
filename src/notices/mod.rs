//! Notices: every transition of the workflow is an [`Event`]. [`emit`] is the one way the
//! workflow announces one: in the caller's transaction it writes a webhook delivery for each of
//! the agency's webhooks subscribed to the event's type, and an e-mail (in Russian) for each
//! person concerned ([`mail::recipients`]) into the mail outbox. Both outboxes are sent by
//! workers of their own, after the commit, with retries; so an event commits with its
//! transition or not at all.

pub mod api;
pub mod mail;

use chrono::{DateTime, Utc};
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
    /// One agreement of the approval chain that did not yet approve the revision.
    #[serde(rename = "revision.agreed")]
    RevisionAgreed,
    #[serde(rename = "revision.approved")]
    RevisionApproved,
    /// Declared for the refusal transition (not on this branch yet).
    #[serde(rename = "revision.refused")]
    RevisionRefused,
    /// Declared for the cancellation transition (not on this branch yet).
    #[serde(rename = "revision.cancelled")]
    RevisionCancelled,
    /// Declared for the deadlines' overdue notices (not on this branch yet).
    #[serde(rename = "deadline.overdue")]
    DeadlineOverdue,
    #[serde(rename = "register.published")]
    RegisterPublished,
}

impl EventType {
    pub const ALL: [EventType; 9] = [
        EventType::PartSubmitted,
        EventType::PartReturned,
        EventType::PartAccepted,
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
    pub occurred_at: DateTime<Utc>,
}

impl Event {
    pub fn new(kind: EventType, agency_id: Uuid, revision_id: Uuid, revision_number: i32) -> Self {
        Event {
            kind,
            agency_id,
            revision_id,
            revision_number,
            part: None,
            remarks: Vec::new(),
            published: None,
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
    let mut v = serde_json::json!({
        "type": event.kind.as_str(),
        "event_id": event_id,
        "agency": agency_json,
        "revision": {"id": event.revision_id, "number": event.revision_number},
        "occurred_at": event.occurred_at,
    });
    if let Some(part) = event.part {
        v["part"] = serde_json::json!({
            "unit_id": part,
            "key": crate::domain::PartKey::of(part).to_string(),
        });
    }
    if event.kind == EventType::PartReturned {
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
    let (name, region): (String, String) = agencies::table
        .find(event.agency_id)
        .select((agencies::name, agencies::region))
        .first(conn)?;
    let agency = AgencyName { name, region };
    let body = payload(event, event_id, &agency);
    crate::webhooks::enqueue(conn, event.agency_id, event.kind.as_str(), &body)?;
    mail::enqueue(conn, event, event_id, &agency)?;
    Ok(event_id)
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
