//! The workflow's use cases that reach beyond the revision itself, one function per thing a
//! person does, each running in the caller's transaction: the database layer (`db`) moves the
//! revision; these add what the procedure asks around the move — the rule checker before a
//! part goes for review, and the announcements of a publication — so `db` never imports the
//! checker, the public cache or the notices. Every transition is announced through
//! `notices::emit` (webhooks and e-mail outboxes), in the same transaction.

use diesel::pg::PgConnection;
use uuid::Uuid;

use super::db::{self as wf_db, Publication};
use super::governance;
use super::model::{RemarkInput, Revision};
use crate::auth::{Role, User};
use crate::domain::finding::Severity;
use crate::domain::state::PartAction;
use crate::domain::state::RevisionStatus;
use crate::error::{ApiError, ApiResult};
use crate::http::etag::IfMatch;
use crate::notices::{self, Event, EventType, Published};

/// Submits, returns or accepts a unit's part (R8–R10), by a submitter of that part or an
/// approver. A part with error-level findings is not sent for review (422 with the findings).
pub fn move_part(
    conn: &mut PgConnection,
    user: &User,
    revision_id: Uuid,
    unit: Option<Uuid>,
    action: PartAction,
    if_match: &IfMatch,
    remarks: Vec<RemarkInput>,
) -> ApiResult<Revision> {
    let r = wf_db::row(conn, revision_id, false)?;
    match action {
        PartAction::Submit => user.require_editor(r.agency_id, unit)?,
        _ => governance::require_role(conn, user, Role::Approver, r.agency_id)?,
    }
    let texts: Vec<String> = remarks.iter().map(|r| r.text.clone()).collect();
    let revision = wf_db::transition_part(
        conn,
        user,
        revision_id,
        unit,
        action,
        if_match,
        remarks,
        |c, r| {
            if action == PartAction::Submit {
                // 000 §III.1: agreed by the unit's curator first, when the agency asks it
                wf_db::require_part_agreement(c, r, unit)?;
                no_errors_in_part(c, r.agency_id, unit)?;
                crate::files::require_signed_file(c, r.id, r.agency_id, unit)
            } else {
                Ok(())
            }
        },
    )?;
    let kind = match action {
        PartAction::Submit => EventType::PartSubmitted,
        PartAction::Return => EventType::PartReturned,
        PartAction::Accept => EventType::PartAccepted,
        PartAction::Edit => return Ok(revision),
    };
    let mut event = Event::new(kind, revision.agency_id, revision.id, revision.number);
    event.part = Some(unit);
    event.remarks = texts;
    notices::emit(conn, &event)?;
    Ok(revision)
}

/// The curator of the part's unit agrees it before its submission (000 §III.1): only that
/// official (the db layer checks who and when); `part.agreed` is announced.
pub fn agree_part(
    conn: &mut PgConnection,
    user: &User,
    revision_id: Uuid,
    unit: Option<Uuid>,
    if_match: &IfMatch,
) -> ApiResult<Revision> {
    let revision = wf_db::agree_part(conn, user, revision_id, unit, if_match)?;
    let mut event = Event::new(
        EventType::PartAgreed,
        revision.agency_id,
        revision.id,
        revision.number,
    );
    event.part = Some(unit);
    notices::emit(conn, &event)?;
    Ok(revision)
}

/// One agreement of the approval chain (R9), by an approver: `revision.agreed` while the chain
/// goes on, `revision.approved` when it makes the revision approved.
pub fn approve(
    conn: &mut PgConnection,
    user: &User,
    revision_id: Uuid,
    if_match: &IfMatch,
    act: &crate::forms::db::ActInput,
) -> ApiResult<Revision> {
    let r = wf_db::row(conn, revision_id, false)?;
    // officials are recognised by their `sub`; `any_approver` steps check the role themselves
    governance::require_reader(conn, user, r.agency_id)?;
    let revision = wf_db::approve(conn, user, revision_id, if_match)?;
    // the act is recorded once the agreement is (whoever may agree may name the act)
    crate::forms::db::save_act(conn, revision_id, act)?;
    let kind = if revision.status == RevisionStatus::Approved {
        EventType::RevisionApproved
    } else {
        EventType::RevisionAgreed
    };
    notices::emit(
        conn,
        &Event::new(kind, revision.agency_id, revision.id, revision.number),
    )?;
    Ok(revision)
}

/// The rule checker on the part's rows of the working copy: error-level findings refuse.
fn no_errors_in_part(
    conn: &mut PgConnection,
    agency_id: Uuid,
    unit: Option<Uuid>,
) -> ApiResult<()> {
    let mut content = super::snapshot::build(conn, agency_id)?;
    content.rows.retain(|row| row.unit_id == unit);
    let errors: Vec<_> = crate::rules::check(&content)
        .into_iter()
        .filter(|f| f.severity == Severity::Error)
        .collect();
    match errors.first() {
        None => Ok(()),
        Some(first) => Err(ApiError::Findings {
            detail: format!(
                "the part has {} error(s) to fix before submission: {}",
                errors.len(),
                first.message
            ),
            findings: errors,
        }),
    }
}

/// Publishes an approved revision (R11), by a publisher: the next immutable version, then —
/// in the same transaction — NOTIFY to every instance's cache and one outbox row per webhook,
/// so the announcements commit with the publication or not at all.
pub fn publish(
    conn: &mut PgConnection,
    user: &User,
    revision_id: Uuid,
    if_match: &IfMatch,
    act: &crate::forms::db::ActInput,
) -> ApiResult<Publication> {
    let r = wf_db::row(conn, revision_id, false)?;
    governance::require_role(conn, user, Role::Publisher, r.agency_id)?;
    let p = wf_db::publish(conn, user, revision_id, if_match, act)?;
    crate::public::cache::notify(conn, r.agency_id, p.number)?;
    let mut event = Event::new(
        EventType::RegisterPublished,
        r.agency_id,
        r.id,
        p.revision.number,
    );
    event.published = Some(Published {
        version: p.number,
        sha256: p.sha256.clone(),
        published_at: event.occurred_at,
    });
    notices::emit(conn, &event)?;
    Ok(p)
}

/// Refuses the revision (an official of the chain): the named parts go back, the agreements
/// are cleared; the people concerned hear of it (`revision.refused`).
pub fn refuse(
    conn: &mut PgConnection,
    user: &User,
    revision_id: Uuid,
    if_match: &IfMatch,
    parts: Option<Vec<Option<Uuid>>>,
    remarks: Vec<RemarkInput>,
) -> ApiResult<Revision> {
    let r = wf_db::row(conn, revision_id, false)?;
    // officials are recognised by their `sub`: the db layer decides who may refuse
    governance::require_reader(conn, user, r.agency_id)?;
    let texts: Vec<String> = remarks.iter().map(|m| m.text.clone()).collect();
    let revision = wf_db::refuse(conn, user, revision_id, if_match, parts, remarks)?;
    let mut event = Event::new(
        EventType::RevisionRefused,
        revision.agency_id,
        revision.id,
        revision.number,
    );
    event.remarks = texts;
    notices::emit(conn, &event)?;
    Ok(revision)
}

/// Cancels the revision (an approver or admin); `revision.cancelled` is announced.
pub fn cancel(
    conn: &mut PgConnection,
    user: &User,
    revision_id: Uuid,
    if_match: &IfMatch,
    reason: String,
) -> ApiResult<Revision> {
    let r = wf_db::row(conn, revision_id, false)?;
    governance::require_role(conn, user, Role::Approver, r.agency_id)?;
    let revision = wf_db::cancel(conn, user, revision_id, if_match, reason)?;
    notices::emit(
        conn,
        &Event::new(
            EventType::RevisionCancelled,
            revision.agency_id,
            revision.id,
            revision.number,
        ),
    )?;
    Ok(revision)
}
