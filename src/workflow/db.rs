//! Revisions, parts, remarks, approvals and versions in the database. Every function runs in
//! the caller's transaction and locks the revision row it changes, so concurrent transitions
//! of one revision are serialised and the loser sees the winner's state.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use diesel::pg::PgConnection;
use diesel::prelude::*;
use uuid::Uuid;

use super::audit::{self, Entry};
use super::model::{
    ApprovalStep, HistoryEntry, Part, Remark, RemarkInput, RequiredOfficial, Revision,
    RevisionReason, StepAgreement,
};
use super::snapshot::{self, RegisterContent};
use super::state::{self, PartAction, PartStatus, RevisionStatus};
use crate::auth::User;
use crate::domain::chain::{self, ChainContext, ChainStep, Needs, Person, ResolvedStep};
use crate::error::{ApiError, ApiResult, ErrorCode, FieldError};
use crate::http::etag::etag;
use crate::schema::{
    audit_log, direction_curators, directions, officials, part_agreements, processes,
    register_versions, revision_approvals, revision_parts, revision_remarks, revisions, units,
};
use crate::workflow::settings;

const PUBLISH_LOCK_KEY: i64 = 0x7470_7075_626c; // "tppubl"

type RemarkRow = (
    Uuid,
    String,
    Option<Uuid>,
    Option<Uuid>,
    String,
    String,
    String,
    DateTime<Utc>,
);
/// An agreement given: step, who, their name, when, the official it was recorded for.
type ApprovalRow = (i32, String, String, DateTime<Utc>, Option<Uuid>);
/// A part's agreement by its unit's curator: the official, who (`sub`), their name, when.
type PartAgreementRow = (Uuid, String, String, DateTime<Utc>);
type AuditRow = (
    i64,
    DateTime<Utc>,
    String,
    String,
    String,
    String,
    String,
    Option<serde_json::Value>,
    Option<serde_json::Value>,
);

/// The stored key of a part: the unit's id, or `agency`.
pub fn part_key(unit: Option<Uuid>) -> String {
    crate::domain::PartKey::of(unit).to_string()
}

#[derive(Queryable, Selectable, Clone)]
#[diesel(table_name = revisions)]
pub struct RevisionRow {
    pub id: Uuid,
    pub agency_id: Uuid,
    pub number: i32,
    pub reason: RevisionReason,
    pub comment: Option<String>,
    pub status: RevisionStatus,
    pub approval_chain: serde_json::Value,
    pub opened_by: String,
    pub opened_by_name: String,
    pub all_accepted_at: Option<DateTime<Utc>>,
    pub approved_at: Option<DateTime<Utc>>,
    pub published_at: Option<DateTime<Utc>>,
    pub version_number: Option<i32>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub cancelled_at: Option<DateTime<Utc>>,
}

impl RevisionRow {
    /// The chain as it was when the revision opened; plain strings (chains stored before
    /// officials existed) read as `any_approver` steps.
    pub fn chain(&self) -> Vec<ChainStep> {
        serde_json::from_value(self.approval_chain.clone()).unwrap_or_default()
    }

    fn in_progress(&self) -> bool {
        !matches!(
            self.status,
            RevisionStatus::Published | RevisionStatus::Cancelled
        )
    }
}

#[derive(Queryable, Selectable, Clone)]
#[diesel(table_name = revision_parts)]
pub struct PartRow {
    pub revision_id: Uuid,
    pub part_key: String,
    pub unit_id: Option<Uuid>,
    pub status: PartStatus,
    pub submitted_at: Option<DateTime<Utc>>,
    pub returned_at: Option<DateTime<Utc>>,
    pub accepted_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

fn illegal(e: state::Illegal) -> ApiError {
    ApiError::client(ErrorCode::InvalidTransition, e.message)
}

pub fn row(conn: &mut PgConnection, id: Uuid, lock: bool) -> ApiResult<RevisionRow> {
    let q = revisions::table.find(id).select(RevisionRow::as_select());
    let r = if lock {
        q.for_update().first(conn).optional()?
    } else {
        q.first(conn).optional()?
    };
    r.ok_or_else(|| ApiError::not_found("revision", id))
}

/// The agency's revision in progress (neither published nor cancelled), locked when asked.
pub fn active(
    conn: &mut PgConnection,
    agency_id: Uuid,
    lock: bool,
) -> ApiResult<Option<RevisionRow>> {
    let q = revisions::table
        .filter(revisions::agency_id.eq(agency_id))
        .filter(revisions::status.ne(RevisionStatus::Published))
        .filter(revisions::status.ne(RevisionStatus::Cancelled))
        .select(RevisionRow::as_select());
    Ok(if lock {
        q.for_update().first(conn).optional()?
    } else {
        q.first(conn).optional()?
    })
}

pub fn parts(conn: &mut PgConnection, revision_id: Uuid) -> ApiResult<Vec<PartRow>> {
    Ok(revision_parts::table
        .filter(revision_parts::revision_id.eq(revision_id))
        .order(revision_parts::created_at.asc())
        .then_order_by(revision_parts::part_key.asc())
        .select(PartRow::as_select())
        .load(conn)?)
}

fn part_row(
    conn: &mut PgConnection,
    revision_id: Uuid,
    key: &str,
    lock: bool,
) -> ApiResult<Option<PartRow>> {
    let q = revision_parts::table
        .find((revision_id, key))
        .select(PartRow::as_select());
    Ok(if lock {
        q.for_update().first(conn).optional()?
    } else {
        q.first(conn).optional()?
    })
}

/// Adds the part of `unit` when the revision has none yet (a unit that gained its first process).
fn ensure_part(
    conn: &mut PgConnection,
    revision_id: Uuid,
    unit: Option<Uuid>,
) -> ApiResult<PartRow> {
    let key = part_key(unit);
    diesel::insert_into(revision_parts::table)
        .values((
            revision_parts::revision_id.eq(revision_id),
            revision_parts::part_key.eq(&key),
            revision_parts::unit_id.eq(unit),
        ))
        .on_conflict_do_nothing()
        .execute(conn)?;
    part_row(conn, revision_id, &key, true)?
        .ok_or_else(|| ApiError::Internal(anyhow::anyhow!("part {key} vanished")))
}

/// Loads a revision with its parts, approvals and remarks.
pub fn load(conn: &mut PgConnection, r: RevisionRow) -> ApiResult<Revision> {
    let mut one = load_many(conn, vec![r])?;
    one.pop()
        .ok_or_else(|| ApiError::Internal(anyhow::anyhow!("a loaded revision vanished")))
}

/// Loads revisions with their parts (and their curators' agreements), approvals and remarks:
/// five queries however many.
pub fn load_many(conn: &mut PgConnection, rows: Vec<RevisionRow>) -> ApiResult<Vec<Revision>> {
    let ids: Vec<Uuid> = rows.iter().map(|r| r.id).collect();
    let part_rows: Vec<PartRow> = revision_parts::table
        .filter(revision_parts::revision_id.eq_any(&ids))
        .order((
            revision_parts::created_at.asc(),
            revision_parts::part_key.asc(),
        ))
        .select(PartRow::as_select())
        .load(conn)?;
    let unit_ids: Vec<Uuid> = part_rows.iter().filter_map(|p| p.unit_id).collect();
    let names: HashMap<Uuid, String> = units::table
        .filter(units::id.eq_any(&unit_ids))
        .select((units::id, units::name))
        .load::<(Uuid, String)>(conn)?
        .into_iter()
        .collect();
    let approval_rows: Vec<(Uuid, ApprovalRow)> = revision_approvals::table
        .filter(revision_approvals::revision_id.eq_any(&ids))
        .order((revision_approvals::step, revision_approvals::created_at))
        .select((
            revision_approvals::revision_id,
            (
                revision_approvals::step,
                revision_approvals::approved_by,
                revision_approvals::approved_by_name,
                revision_approvals::created_at,
                revision_approvals::official_id,
            ),
        ))
        .load(conn)?;
    let remark_rows: Vec<(Uuid, RemarkRow)> = revision_remarks::table
        .filter(revision_remarks::revision_id.eq_any(&ids))
        .order((revision_remarks::created_at, revision_remarks::id))
        .select((
            revision_remarks::revision_id,
            (
                revision_remarks::id,
                revision_remarks::part_key,
                revision_remarks::process_id,
                revision_remarks::touchpoint_id,
                revision_remarks::text,
                revision_remarks::author,
                revision_remarks::author_name,
                revision_remarks::created_at,
            ),
        ))
        .load(conn)?;
    let part_agreement_rows: Vec<(Uuid, String, PartAgreementRow)> = part_agreements::table
        .filter(part_agreements::revision_id.eq_any(&ids))
        .select((
            part_agreements::revision_id,
            part_agreements::part_key,
            (
                part_agreements::official_id,
                part_agreements::agreed_by,
                part_agreements::agreed_by_name,
                part_agreements::created_at,
            ),
        ))
        .load(conn)?;
    let part_agreements_of: HashMap<(Uuid, String), PartAgreementRow> = part_agreement_rows
        .into_iter()
        .map(|(rid, key, a)| ((rid, key), a))
        .collect();
    let mut parts_of: HashMap<Uuid, Vec<PartRow>> = HashMap::new();
    for p in part_rows {
        parts_of.entry(p.revision_id).or_default().push(p);
    }
    let mut approvals_of: HashMap<Uuid, Vec<ApprovalRow>> = HashMap::new();
    for (rid, a) in approval_rows {
        approvals_of.entry(rid).or_default().push(a);
    }
    // who must sign: resolved for revisions in progress (at most one per agency)
    let mut steps_of: HashMap<Uuid, Vec<ResolvedStep>> = HashMap::new();
    for r in rows.iter().filter(|r| r.in_progress()) {
        let ctx = chain_context(conn, r)?;
        steps_of.insert(r.id, chain::resolve(&r.chain(), &ctx));
    }
    let mut remarks_of: HashMap<Uuid, Vec<RemarkRow>> = HashMap::new();
    for (rid, remark) in remark_rows {
        remarks_of.entry(rid).or_default().push(remark);
    }
    Ok(rows
        .into_iter()
        .map(|r| {
            let parts = parts_of.remove(&r.id).unwrap_or_default();
            let approvals = approvals_of.remove(&r.id).unwrap_or_default();
            let remarks = remarks_of.remove(&r.id).unwrap_or_default();
            let steps = steps_of.remove(&r.id);
            assemble(
                r,
                parts,
                &names,
                &part_agreements_of,
                &approvals,
                steps,
                remarks,
            )
        })
        .collect())
}

fn assemble(
    r: RevisionRow,
    part_rows: Vec<PartRow>,
    names: &HashMap<Uuid, String>,
    part_agreements: &HashMap<(Uuid, String), PartAgreementRow>,
    approvals: &[ApprovalRow],
    resolved: Option<Vec<ResolvedStep>>,
    remarks: Vec<RemarkRow>,
) -> Revision {
    // a finished revision shows its chain as configured and the agreements it got
    let resolved = resolved
        .unwrap_or_else(|| chain::resolve(&r.chain(), &ChainContext::default()))
        .into_iter()
        .map(|mut s| {
            if !r.in_progress() {
                s.needs = Needs::Officials(Vec::new());
                s.problem = None;
            }
            s
        })
        .collect::<Vec<_>>();
    let agreements: Vec<chain::Agreement> = approvals
        .iter()
        .map(|a| chain::Agreement {
            step: a.0 as usize,
            sub: a.1.clone(),
        })
        .collect();
    let approvals = resolved
        .iter()
        .map(|s| {
            let given: Vec<StepAgreement> = approvals
                .iter()
                .filter(|a| a.0 == s.step as i32)
                .map(|a| StepAgreement {
                    by: a.1.clone(),
                    by_name: a.2.clone(),
                    official_id: a.4,
                    at: a.3,
                })
                .collect();
            let required = match &s.needs {
                Needs::AnyApprover => Vec::new(),
                Needs::Officials(people) => people
                    .iter()
                    .map(|p| RequiredOfficial {
                        official_id: p.official_id,
                        sub: p.sub.clone(),
                        name: p.name.clone(),
                        position: p.position.clone(),
                        agreed: agreements
                            .iter()
                            .any(|a| a.sub == p.sub && a.step <= s.step),
                    })
                    .collect(),
            };
            let done = if r.in_progress() {
                chain::step_done(s, &agreements)
            } else {
                !given.is_empty() || r.status == RevisionStatus::Published
            };
            let last = given.last().cloned();
            ApprovalStep {
                step: s.step as i32,
                kind: s.kind.to_owned(),
                name: s.name.clone(),
                required,
                done,
                problem: s.problem.clone(),
                approved_by: last.as_ref().map(|a| a.by.clone()),
                approved_by_name: last.as_ref().map(|a| a.by_name.clone()),
                approved_at: last.as_ref().map(|a| a.at),
                agreements: given,
            }
        })
        .collect();
    Revision {
        id: r.id,
        agency_id: r.agency_id,
        number: r.number,
        reason: r.reason,
        comment: r.comment.clone(),
        status: r.status,
        parts: part_rows
            .into_iter()
            .map(|p| {
                let agreed = part_agreements.get(&(p.revision_id, p.part_key.clone()));
                Part {
                    unit_name: p.unit_id.and_then(|u| names.get(&u).cloned()),
                    status: p.status,
                    submitted_at: p.submitted_at,
                    returned_at: p.returned_at,
                    accepted_at: p.accepted_at,
                    agreed_by: agreed.map(|a| a.1.clone()),
                    agreed_by_name: agreed.map(|a| a.2.clone()),
                    agreed_official_id: agreed.map(|a| a.0),
                    agreed_at: agreed.map(|a| a.3),
                    unit_id: p.part_key,
                    etag: etag(p.updated_at),
                    updated_at: p.updated_at,
                }
            })
            .collect(),
        approvals,
        remarks: remarks
            .into_iter()
            .map(
                |(id, key, process_id, touchpoint_id, text, author, author_name, created_at)| {
                    Remark {
                        id,
                        unit_id: key,
                        process_id,
                        touchpoint_id,
                        text,
                        author,
                        author_name,
                        created_at,
                    }
                },
            )
            .collect(),
        opened_by: r.opened_by,
        opened_by_name: r.opened_by_name,
        all_accepted_at: r.all_accepted_at,
        approved_at: r.approved_at,
        published_at: r.published_at,
        cancelled_at: r.cancelled_at,
        version: r.version_number,
        created_at: r.created_at,
        updated_at: r.updated_at,
    }
}

pub fn get(conn: &mut PgConnection, id: Uuid) -> ApiResult<Revision> {
    let r = row(conn, id, false)?;
    load(conn, r)
}

pub fn list(conn: &mut PgConnection, agency_id: Uuid) -> ApiResult<Vec<Revision>> {
    let rows: Vec<RevisionRow> = revisions::table
        .filter(revisions::agency_id.eq(agency_id))
        .order(revisions::number.desc())
        .select(RevisionRow::as_select())
        .load(conn)?;
    load_many(conn, rows)
}

/// Opens a revision: one part per unit that owns processes, and the agency's own part when
/// some processes have no unit.
pub fn open(
    conn: &mut PgConnection,
    user: &User,
    agency_id: Uuid,
    reason: RevisionReason,
    comment: Option<String>,
) -> ApiResult<RevisionRow> {
    crate::agencies::db::lock(conn, agency_id)?;
    if let Some(existing) = active(conn, agency_id, false)? {
        return Err(ApiError::client(
            ErrorCode::RevisionInProgress,
            format!(
                "revision {} of this agency is {}; finish it before opening another",
                existing.number, existing.status
            ),
        )
        .with_existing(existing.id));
    }
    if reason == RevisionReason::Other && comment.is_none() {
        return Err(ApiError::validation(vec![FieldError::new(
            "comment",
            "required",
            "say what the revision is for when the reason is `other`",
        )]));
    }
    let number: Option<i32> = revisions::table
        .filter(revisions::agency_id.eq(agency_id))
        .select(diesel::dsl::max(revisions::number))
        .first(conn)?;
    let chain = settings::get(conn, agency_id)?.approval_chain;
    let r: RevisionRow = diesel::insert_into(revisions::table)
        .values((
            revisions::agency_id.eq(agency_id),
            revisions::number.eq(number.unwrap_or(0) + 1),
            revisions::reason.eq(reason),
            revisions::comment.eq(comment),
            revisions::approval_chain.eq(serde_json::to_value(&chain).unwrap_or_default()),
            revisions::opened_by.eq(&user.sub),
            revisions::opened_by_name.eq(user.display()),
        ))
        .returning(RevisionRow::as_returning())
        .get_result(conn)?;
    // parts of units that gain their first process later are added by `begin_edit`
    let mut owners: Vec<Option<Uuid>> = processes::table
        .filter(processes::agency_id.eq(agency_id))
        .select(processes::unit_id)
        .distinct()
        .load(conn)?;
    owners.sort();
    for unit in owners {
        ensure_part(conn, r.id, unit)?;
    }
    crate::metrics::TRANSITIONS
        .with_label_values(&["open"])
        .inc();
    audit::record(
        conn,
        user,
        Entry {
            agency_id,
            revision_id: Some(r.id),
            entity: "revision",
            entity_id: r.id.to_string(),
            action: "open",
            before: None,
            after: Some(
                serde_json::json!({"number": r.number, "reason": r.reason, "comment": r.comment}),
            ),
        },
    )?;
    Ok(r)
}

/// Called before every edit of the working copy: finds (or opens) the revision in progress,
/// makes sure the edited units' parts exist and are editable, clears their curators'
/// agreements (000 §III.1: what was agreed changed) and reopens a returned part as a draft.
/// Returns the revision id for the audit log.
pub fn begin_edit(
    conn: &mut PgConnection,
    user: &User,
    agency_id: Uuid,
    units: &[Option<Uuid>],
) -> ApiResult<Uuid> {
    let r = match active(conn, agency_id, true)? {
        Some(r) => r,
        None => open(
            conn,
            user,
            agency_id,
            RevisionReason::Other,
            Some("Открыта автоматически при первом изменении".to_owned()),
        )?,
    };
    // an edit of a part's rows needs its curator's agreement again (000 §III.1)
    let keys: Vec<String> = units.iter().map(|u| part_key(*u)).collect();
    clear_part_agreements(conn, user, &r, &keys, "edit")?;
    for unit in units {
        let part = ensure_part(conn, r.id, *unit)?;
        let next =
            state::part_transition(r.status, part.status, PartAction::Edit).map_err(|e| {
                ApiError::client(
                    ErrorCode::Locked,
                    format!(
                        "the working copy of part {} is read-only: {}",
                        part.part_key, e.message
                    ),
                )
            })?;
        if next != part.status {
            set_part_status(conn, &part, next)?;
            audit::record(
                conn,
                user,
                Entry {
                    agency_id,
                    revision_id: Some(r.id),
                    entity: "part",
                    entity_id: part.part_key.clone(),
                    action: "reopen",
                    before: Some(serde_json::json!({"status": part.status})),
                    after: Some(serde_json::json!({"status": next.as_str()})),
                },
            )?;
        }
    }
    Ok(r.id)
}

fn set_part_status(
    conn: &mut PgConnection,
    part: &PartRow,
    next: PartStatus,
) -> ApiResult<PartRow> {
    let now = diesel::dsl::now;
    let target = revision_parts::table.find((part.revision_id, part.part_key.clone()));
    let q = diesel::update(target);
    let updated = match next {
        PartStatus::Submitted => q
            .set((
                revision_parts::status.eq(next),
                revision_parts::submitted_at.eq(now),
            ))
            .returning(PartRow::as_returning())
            .get_result(conn)?,
        PartStatus::Returned => q
            .set((
                revision_parts::status.eq(next),
                revision_parts::returned_at.eq(now),
            ))
            .returning(PartRow::as_returning())
            .get_result(conn)?,
        PartStatus::Accepted => q
            .set((
                revision_parts::status.eq(next),
                revision_parts::accepted_at.eq(now),
            ))
            .returning(PartRow::as_returning())
            .get_result(conn)?,
        PartStatus::Draft => q
            .set(revision_parts::status.eq(next))
            .returning(PartRow::as_returning())
            .get_result(conn)?,
    };
    Ok(updated)
}

/// Submits, returns or accepts one part. The revision row is read (not locked) and the part
/// row locked, so different units' parts move in parallel while one part moves once.
// the part's address, the move, its precondition and remarks, and the use case's guard
#[allow(clippy::too_many_arguments)]
pub fn transition_part(
    conn: &mut PgConnection,
    user: &User,
    revision_id: Uuid,
    unit: Option<Uuid>,
    action: PartAction,
    if_match: &crate::http::etag::IfMatch,
    remarks: Vec<RemarkInput>,
    guard: impl FnOnce(&mut PgConnection, &RevisionRow) -> ApiResult<()>,
) -> ApiResult<Revision> {
    let r = row(conn, revision_id, false)?;
    let key = part_key(unit);
    let part = part_row(conn, revision_id, &key, true)?
        .ok_or_else(|| ApiError::not_found("part", format!("{key} of revision {revision_id}")))?;
    if_match.check(part.updated_at)?;
    let next = state::part_transition(r.status, part.status, action).map_err(illegal)?;
    // the use case's own condition, once the transition is known to be legal
    guard(conn, &r)?;
    let updated = set_part_status(conn, &part, next)?;
    if action == PartAction::Return {
        clear_part_agreements(conn, user, &r, std::slice::from_ref(&key), "return")?;
    }
    let action_name = match action {
        PartAction::Submit => "submit",
        PartAction::Return => "return",
        PartAction::Accept => "accept",
        PartAction::Edit => "edit",
    };
    crate::metrics::TRANSITIONS
        .with_label_values(&[action_name])
        .inc();
    audit::record(
        conn,
        user,
        Entry {
            agency_id: r.agency_id,
            revision_id: Some(r.id),
            entity: "part",
            entity_id: key.clone(),
            action: action_name,
            before: Some(serde_json::json!({"status": part.status})),
            after: Some(serde_json::json!({"status": updated.status})),
        },
    )?;
    // checked and normalised by Remarks::checked before anything was locked
    add_remarks(conn, user, &r, &key, &remarks)?;
    if next == PartStatus::Accepted {
        // the last acceptance starts the consolidation deadline (R10: 2 working days)
        let statuses: Vec<PartStatus> = revision_parts::table
            .filter(revision_parts::revision_id.eq(r.id))
            .select(revision_parts::status)
            .load(conn)?;
        if statuses.iter().all(|s| *s == PartStatus::Accepted) {
            diesel::update(revisions::table.find(r.id))
                .set(revisions::all_accepted_at.eq(diesel::dsl::now))
                .execute(conn)?;
        }
    }
    get(conn, revision_id)
}

/// The official curating a unit (000 §III.1), as a part's agreement needs them.
pub struct Curator {
    pub unit_name: String,
    /// `None`: the unit has no curator (an admin sets `curator_official_id`).
    pub official: Option<Person>,
    /// The agency the curator is an official of.
    pub official_agency: Option<Uuid>,
}

impl Curator {
    fn describe(p: &Person) -> String {
        format!("{} ({}, sub {})", p.name, p.position, p.sub)
    }

    fn missing(&self, unit: Uuid) -> ApiError {
        ApiError::client(
            ErrorCode::InvalidTransition,
            format!(
                "unit «{}» has no curating official: an admin must set the unit's curator first (PATCH /api/v1/units/{unit} with curator_official_id)",
                self.unit_name
            ),
        )
    }
}

/// The curator of `unit`; 409 `invalid_transition` when the unit no longer exists.
pub fn unit_curator(conn: &mut PgConnection, unit: Uuid) -> ApiResult<Curator> {
    let (unit_name, curator): (String, Option<Uuid>) = units::table
        .find(unit)
        .select((units::name, units::curator_official_id))
        .first(conn)
        .optional()?
        .ok_or_else(|| {
            ApiError::client(
                ErrorCode::InvalidTransition,
                format!("unit {unit} no longer exists: its part has nobody to agree it"),
            )
        })?;
    let found = match curator {
        None => None,
        Some(id) => officials::table
            .find(id)
            .select((
                officials::sub,
                officials::name,
                officials::position,
                officials::agency_id,
            ))
            .first::<(String, String, String, Uuid)>(conn)
            .optional()?
            .map(|(sub, name, position, agency)| {
                (
                    Person {
                        official_id: id,
                        sub,
                        name,
                        position,
                    },
                    agency,
                )
            }),
    };
    Ok(Curator {
        unit_name,
        official_agency: found.as_ref().map(|f| f.1),
        official: found.map(|f| f.0),
    })
}

/// The curator of the part's unit agrees the part before its submission (000 §III.1): only
/// that official, by the `sub` of their token (403 `wrong_official` naming them; an admin does
/// not stand in), only while the part could be submitted (409 `invalid_transition`). The
/// agency-level part has no curator and needs no agreement (409). Recorded on the part and in
/// the history; an edit of the part, a return or a refusal clears it.
pub fn agree_part(
    conn: &mut PgConnection,
    user: &User,
    revision_id: Uuid,
    unit: Option<Uuid>,
    if_match: &crate::http::etag::IfMatch,
) -> ApiResult<Revision> {
    let r = row(conn, revision_id, false)?;
    let key = part_key(unit);
    let part = part_row(conn, revision_id, &key, true)?
        .ok_or_else(|| ApiError::not_found("part", format!("{key} of revision {revision_id}")))?;
    let Some(unit_id) = unit else {
        return Err(ApiError::client(
            ErrorCode::InvalidTransition,
            "the agency-level part (`agency`) belongs to no unit and has no curating official: it needs no agreement",
        ));
    };
    let curator = unit_curator(conn, unit_id)?;
    let Some(official) = curator.official.clone() else {
        return Err(curator.missing(unit_id));
    };
    // the curator's token is of the curator's agency; anyone else must read the revision (and
    // outsiders learn nothing of the agency's officials)
    if user.agency_id.is_none() || user.agency_id != curator.official_agency {
        super::governance::require_reader(conn, user, r.agency_id)?;
    }
    if official.sub != user.sub {
        return Err(ApiError::client(
            ErrorCode::WrongOfficial,
            format!(
                "the part of unit «{}» is agreed by the official curating the unit: {}",
                curator.unit_name,
                Curator::describe(&official)
            ),
        ));
    }
    if_match.check(part.updated_at)?;
    state::agree_part(r.status, part.status).map_err(illegal)?;
    let existing: Option<(String, DateTime<Utc>)> = part_agreements::table
        .find((r.id, &key))
        .select((part_agreements::agreed_by_name, part_agreements::created_at))
        .first(conn)
        .optional()?;
    if let Some((by, at)) = existing {
        return Err(ApiError::client(
            ErrorCode::InvalidTransition,
            format!("the part is already agreed (by {by}, {at}); an edit, a return or a refusal clears the agreement"),
        ));
    }
    diesel::insert_into(part_agreements::table)
        .values((
            part_agreements::revision_id.eq(r.id),
            part_agreements::part_key.eq(&key),
            part_agreements::official_id.eq(official.official_id),
            part_agreements::agreed_by.eq(&user.sub),
            part_agreements::agreed_by_name.eq(user.display()),
        ))
        .execute(conn)?;
    // the part's etag moves: a submission sent with the old one is stale
    diesel::update(revision_parts::table.find((r.id, &key)))
        .set(revision_parts::updated_at.eq(diesel::dsl::now))
        .execute(conn)?;
    crate::metrics::TRANSITIONS
        .with_label_values(&["agree_part"])
        .inc();
    audit::record(
        conn,
        user,
        Entry {
            agency_id: r.agency_id,
            revision_id: Some(r.id),
            entity: "part",
            entity_id: key.clone(),
            action: "agree",
            before: Some(serde_json::json!({"status": part.status})),
            after: Some(serde_json::json!({
                "status": part.status,
                "agreed_by": user.sub,
                "official_id": official.official_id,
                "official_name": official.name,
                "official_position": official.position,
            })),
        },
    )?;
    get(conn, revision_id)
}

/// Clears the curator's agreement of these parts (an edit, a return, a refusal: `why`), each
/// with its history entry; the parts' etags move.
pub fn clear_part_agreements(
    conn: &mut PgConnection,
    user: &User,
    r: &RevisionRow,
    keys: &[String],
    why: &str,
) -> ApiResult<()> {
    let cleared: Vec<(String, Uuid, String, DateTime<Utc>)> = diesel::delete(
        part_agreements::table
            .filter(part_agreements::revision_id.eq(r.id))
            .filter(part_agreements::part_key.eq_any(keys)),
    )
    .returning((
        part_agreements::part_key,
        part_agreements::official_id,
        part_agreements::agreed_by,
        part_agreements::created_at,
    ))
    .get_results(conn)?;
    for (key, official_id, by, at) in cleared {
        diesel::update(revision_parts::table.find((r.id, &key)))
            .set(revision_parts::updated_at.eq(diesel::dsl::now))
            .execute(conn)?;
        audit::record(
            conn,
            user,
            Entry {
                agency_id: r.agency_id,
                revision_id: Some(r.id),
                entity: "part",
                entity_id: key,
                action: "agreement_cleared",
                before: Some(
                    serde_json::json!({"agreed_by": by, "official_id": official_id, "agreed_at": at}),
                ),
                after: Some(serde_json::json!({ "by": why })),
            },
        )?;
    }
    Ok(())
}

/// With `part_agreement: unit_curator`, a unit's part goes for review only agreed by the
/// unit's current curator (409 `invalid_transition` naming them otherwise). The agency-level
/// part has no curator and needs none.
pub fn require_part_agreement(
    conn: &mut PgConnection,
    r: &RevisionRow,
    unit: Option<Uuid>,
) -> ApiResult<()> {
    let needed = settings::get(conn, r.agency_id)?.part_agreement;
    let (Some(crate::domain::enums::PartAgreement::UnitCurator), Some(unit_id)) = (needed, unit)
    else {
        return Ok(());
    };
    let curator = unit_curator(conn, unit_id)?;
    let Some(official) = curator.official.clone() else {
        return Err(curator.missing(unit_id));
    };
    let agreed: Option<Uuid> = part_agreements::table
        .find((r.id, part_key(unit)))
        .select(part_agreements::official_id)
        .first(conn)
        .optional()?;
    if agreed == Some(official.official_id) {
        return Ok(());
    }
    Err(ApiError::client(
        ErrorCode::InvalidTransition,
        format!(
            "the part of unit «{}» is submitted once agreed by the official curating the unit, {} (POST /api/v1/revisions/{}/parts/{unit_id}/agree); an edit, a return or a refusal clears an agreement",
            curator.unit_name,
            Curator::describe(&official),
            r.id
        ),
    ))
}

/// Records remarks on a part, each with its history entry.
fn add_remarks(
    conn: &mut PgConnection,
    user: &User,
    r: &RevisionRow,
    key: &str,
    remarks: &[RemarkInput],
) -> ApiResult<()> {
    for remark in remarks {
        let text = &remark.text;
        let id: Uuid = diesel::insert_into(revision_remarks::table)
            .values((
                revision_remarks::revision_id.eq(r.id),
                revision_remarks::part_key.eq(key),
                revision_remarks::process_id.eq(remark.process_id),
                revision_remarks::touchpoint_id.eq(remark.touchpoint_id),
                revision_remarks::text.eq(text),
                revision_remarks::author.eq(&user.sub),
                revision_remarks::author_name.eq(user.display()),
            ))
            .returning(revision_remarks::id)
            .get_result(conn)?;
        audit::record(
            conn,
            user,
            Entry {
                agency_id: r.agency_id,
                revision_id: Some(r.id),
                entity: "remark",
                entity_id: id.to_string(),
                action: "create",
                before: None,
                after: Some(
                    serde_json::json!({"part": key, "text": text, "process_id": remark.process_id, "touchpoint_id": remark.touchpoint_id}),
                ),
            },
        )?;
    }
    Ok(())
}

/// What the chain of a revision needs to know: which units and directions it changed, who
/// heads and curates them, and the agency's officials.
///
/// "Changed" is read from the history (the audit log), not from the parts: every entry of the
/// revision on a `process` (the unit and direction it had before and after the change, so a
/// process moved between units counts for both), a `touchpoint` (its process's unit and
/// direction), a `unit` (renamed: that unit) or a `direction` (renamed: that direction). A
/// part that is merely reviewed, or a unit whose part was opened and never edited, changed
/// nothing. The history of revisions cancelled since the last publication counts too: their
/// edits stayed in the working copy and are published with this one.
pub fn chain_context(conn: &mut PgConnection, r: &RevisionRow) -> ApiResult<ChainContext> {
    let last_published: Option<i32> = revisions::table
        .filter(revisions::agency_id.eq(r.agency_id))
        .filter(revisions::status.eq(RevisionStatus::Published))
        .select(diesel::dsl::max(revisions::number))
        .first(conn)?;
    let mut revision_ids: Vec<Uuid> = revisions::table
        .filter(revisions::agency_id.eq(r.agency_id))
        .filter(revisions::status.eq(RevisionStatus::Cancelled))
        .filter(revisions::number.gt(last_published.unwrap_or(0)))
        .filter(revisions::number.lt(r.number))
        .select(revisions::id)
        .load(conn)?;
    revision_ids.push(r.id);
    type Touched = (
        String,
        String,
        Option<serde_json::Value>,
        Option<serde_json::Value>,
    );
    let entries: Vec<Touched> = audit_log::table
        .filter(audit_log::revision_id.eq_any(&revision_ids))
        .filter(audit_log::entity.eq_any(["process", "touchpoint", "unit", "direction"]))
        .select((
            audit_log::entity,
            audit_log::entity_id,
            audit_log::before,
            audit_log::after,
        ))
        .load(conn)?;
    let mut ctx = ChainContext::default();
    let mut touched_processes: Vec<Uuid> = Vec::new();
    let id_of = |v: &serde_json::Value, field: &str| {
        v.get(field)
            .and_then(|x| x.as_str())
            .and_then(|x| x.parse::<Uuid>().ok())
    };
    for (entity, entity_id, before, after) in &entries {
        let values = [before, after].into_iter().flatten();
        match entity.as_str() {
            "process" => {
                for v in values {
                    ctx.changed_units.extend(id_of(v, "unit_id"));
                    ctx.changed_directions.extend(id_of(v, "direction_id"));
                }
            }
            "touchpoint" => {
                for v in values {
                    touched_processes.extend(id_of(v, "process_id"));
                }
            }
            "unit" => ctx.changed_units.extend(entity_id.parse::<Uuid>().ok()),
            _ => ctx
                .changed_directions
                .extend(entity_id.parse::<Uuid>().ok()),
        }
    }
    let owners: Vec<(Option<Uuid>, Uuid)> = processes::table
        .filter(processes::id.eq_any(&touched_processes))
        .select((processes::unit_id, processes::direction_id))
        .load(conn)?;
    for (unit, direction) in owners {
        ctx.changed_units.extend(unit);
        ctx.changed_directions.insert(direction);
    }
    let changed_units: Vec<Uuid> = ctx.changed_units.iter().copied().collect();
    let changed_directions: Vec<Uuid> = ctx.changed_directions.iter().copied().collect();
    // units of another agency (or deleted since) have no part here
    let unit_rows: Vec<(Uuid, String, Option<Uuid>)> = units::table
        .filter(units::id.eq_any(&changed_units))
        .filter(units::agency_id.eq(r.agency_id))
        .select((units::id, units::name, units::head_official_id))
        .load(conn)?;
    ctx.changed_units = unit_rows.iter().map(|u| u.0).collect();
    for (id, name, head) in unit_rows {
        ctx.unit_names.insert(id, name);
        if let Some(h) = head {
            ctx.unit_heads.insert(id, h);
        }
    }
    ctx.direction_names = directions::table
        .filter(directions::id.eq_any(&changed_directions))
        .select((directions::id, directions::name))
        .load::<(Uuid, String)>(conn)?
        .into_iter()
        .collect();
    ctx.direction_curators = direction_curators::table
        .filter(direction_curators::agency_id.eq(r.agency_id))
        .filter(direction_curators::direction_id.eq_any(&changed_directions))
        .select((
            direction_curators::direction_id,
            direction_curators::official_id,
        ))
        .load::<(Uuid, Uuid)>(conn)?
        .into_iter()
        .collect();
    // a chain inherited from the parent names the parent's officials; a governing parent's
    // officials agree the organization's revisions
    let line = crate::agencies::db::ancestors_many(conn, &[r.agency_id])?
        .remove(&r.agency_id)
        .unwrap_or_else(|| vec![r.agency_id]);
    ctx.officials = officials::table
        .filter(officials::agency_id.eq_any(&line))
        .select((
            officials::id,
            officials::sub,
            officials::name,
            officials::position,
        ))
        .load::<(Uuid, String, String, String)>(conn)?
        .into_iter()
        .map(|(official_id, sub, name, position)| {
            (
                official_id,
                Person {
                    official_id,
                    sub,
                    name,
                    position,
                },
            )
        })
        .collect();
    Ok(ctx)
}

fn refused(e: chain::Refusal) -> ApiError {
    match e {
        chain::Refusal::Illegal(e) => illegal(e),
        chain::Refusal::WrongOfficial(m) => ApiError::client(ErrorCode::WrongOfficial, m),
    }
}

/// Whether the caller acts as an approver of this revision: an admin, or an approver of the
/// agency that governs the revision's agency (itself, or the parent approving subordinates).
fn is_approver(conn: &mut PgConnection, user: &User, r: &RevisionRow) -> ApiResult<bool> {
    if user.is_admin() {
        return Ok(true);
    }
    let governing = super::governance::governing(conn, r.agency_id)?;
    Ok(super::governance::is_approver_for(user, governing))
}

/// The agreements given so far, as the chain functions read them.
pub fn agreements(conn: &mut PgConnection, revision_id: Uuid) -> ApiResult<Vec<(i32, String)>> {
    Ok(revision_approvals::table
        .filter(revision_approvals::revision_id.eq(revision_id))
        .order((revision_approvals::step, revision_approvals::created_at))
        .select((revision_approvals::step, revision_approvals::approved_by))
        .load(conn)?)
}

/// One agreement of the chain, by the caller, who must be who the next open step needs (403
/// `wrong_official` otherwise, naming them); the last one approves the revision. One person
/// agrees once (R9).
pub fn approve(
    conn: &mut PgConnection,
    user: &User,
    revision_id: Uuid,
    if_match: &crate::http::etag::IfMatch,
) -> ApiResult<Revision> {
    let r = row(conn, revision_id, true)?;
    let ctx = chain_context(conn, &r)?;
    let approver = is_approver(conn, user, &r)?;
    // rights first: only approvers and the agency's officials agree anything
    if !approver && !ctx.officials.values().any(|p| p.sub == user.sub) {
        return Err(ApiError::client(
            ErrorCode::Forbidden,
            "only an approver of the agency that reviews this register (its own, or its parent when the parent approves its subordinates) or an official of its chain agrees a revision",
        ));
    }
    if_match.check(r.updated_at)?;
    let statuses: Vec<PartStatus> = parts(conn, r.id)?.iter().map(|p| p.status).collect();
    let done: Vec<chain::Agreement> = agreements(conn, r.id)?
        .into_iter()
        .map(|(step, sub)| chain::Agreement {
            step: step as usize,
            sub,
        })
        .collect();
    let steps = chain::resolve(&r.chain(), &ctx);
    let agreed =
        chain::agree(r.status, &statuses, &steps, &done, &user.sub, approver).map_err(refused)?;
    let next = agreed.status;
    let step = agreed.step as i32;
    let step_name = steps[agreed.step].name.clone();
    diesel::insert_into(revision_approvals::table)
        .values((
            revision_approvals::revision_id.eq(r.id),
            revision_approvals::step.eq(step),
            revision_approvals::step_name.eq(&step_name),
            revision_approvals::approved_by.eq(&user.sub),
            revision_approvals::approved_by_name.eq(user.display()),
            revision_approvals::official_id.eq(agreed.official_id),
        ))
        .execute(conn)?;
    let q = diesel::update(revisions::table.find(r.id));
    if next == RevisionStatus::Approved {
        q.set((
            revisions::status.eq(next),
            revisions::approved_at.eq(diesel::dsl::now),
        ))
        .execute(conn)?;
    } else {
        q.set(revisions::status.eq(next)).execute(conn)?;
    }
    crate::metrics::TRANSITIONS
        .with_label_values(&["approve"])
        .inc();
    audit::record(
        conn,
        user,
        Entry {
            agency_id: r.agency_id,
            revision_id: Some(r.id),
            entity: "revision",
            entity_id: r.id.to_string(),
            action: "approve",
            before: Some(serde_json::json!({"status": r.status})),
            after: Some(
                serde_json::json!({"status": next.as_str(), "step": step, "step_name": step_name, "official_id": agreed.official_id}),
            ),
        },
    )?;
    get(conn, revision_id)
}

/// A refusal by an official of the chain (or an approver, when the chain has an
/// `any_approver` step): the named parts (`None`: all) go back to `returned` with the
/// remarks, every agreement given so far is cleared (the history keeps them), and the
/// revision is `open` again; the consolidation and approval clocks restart.
pub fn refuse(
    conn: &mut PgConnection,
    user: &User,
    revision_id: Uuid,
    if_match: &crate::http::etag::IfMatch,
    named: Option<Vec<Option<Uuid>>>,
    remarks: Vec<RemarkInput>,
) -> ApiResult<Revision> {
    let r = row(conn, revision_id, true)?;
    let all = parts(conn, r.id)?;
    let ctx = chain_context(conn, &r)?;
    let steps = chain::resolve(&r.chain(), &ctx);
    if !chain::may_refuse(&steps, &user.sub, is_approver(conn, user, &r)?) {
        let names: Vec<String> = steps
            .iter()
            .flat_map(|s| match &s.needs {
                Needs::AnyApprover => vec!["an approver of the agency".to_owned()],
                Needs::Officials(p) => p
                    .iter()
                    .map(|p| format!("{} ({}, sub {})", p.name, p.position, p.sub))
                    .collect(),
            })
            .collect();
        return Err(ApiError::client(
            ErrorCode::WrongOfficial,
            format!(
                "only an official of this revision's approval chain may refuse it: {}",
                names.join(", ")
            ),
        ));
    }
    if_match.check(r.updated_at)?;
    let statuses: Vec<PartStatus> = all.iter().map(|p| p.status).collect();
    let next = state::refuse(r.status, &statuses).map_err(illegal)?;
    let mut keys: Vec<String> = match named {
        None => all.iter().map(|p| p.part_key.clone()).collect(),
        Some(list) => list.into_iter().map(part_key).collect(),
    };
    // each part once, in the order named ([u2, u1, u2] refuses u2 once)
    let mut seen = std::collections::HashSet::new();
    keys.retain(|k| seen.insert(k.clone()));
    for key in &keys {
        let part = part_row(conn, r.id, key, true)?.ok_or_else(|| {
            ApiError::not_found("part", format!("{key} of revision {revision_id}"))
        })?;
        let updated = set_part_status(conn, &part, PartStatus::Returned)?;
        clear_part_agreements(conn, user, &r, std::slice::from_ref(key), "refuse")?;
        audit::record(
            conn,
            user,
            Entry {
                agency_id: r.agency_id,
                revision_id: Some(r.id),
                entity: "part",
                entity_id: key.clone(),
                action: "refuse",
                before: Some(serde_json::json!({"status": part.status})),
                after: Some(serde_json::json!({"status": updated.status})),
            },
        )?;
        add_remarks(conn, user, &r, key, &remarks)?;
    }
    let cleared: Vec<serde_json::Value> = agreements(conn, r.id)?
        .into_iter()
        .map(|(step, by)| serde_json::json!({"step": step, "by": by}))
        .collect();
    diesel::delete(revision_approvals::table.filter(revision_approvals::revision_id.eq(r.id)))
        .execute(conn)?;
    diesel::update(revisions::table.find(r.id))
        .set((
            revisions::status.eq(next),
            revisions::approved_at.eq(None::<DateTime<Utc>>),
            revisions::all_accepted_at.eq(None::<DateTime<Utc>>),
        ))
        .execute(conn)?;
    crate::metrics::TRANSITIONS
        .with_label_values(&["refuse"])
        .inc();
    let texts: Vec<&str> = remarks.iter().map(|m| m.text.as_str()).collect();
    audit::record(
        conn,
        user,
        Entry {
            agency_id: r.agency_id,
            revision_id: Some(r.id),
            entity: "revision",
            entity_id: r.id.to_string(),
            action: "refuse",
            before: Some(serde_json::json!({"status": r.status, "agreements": cleared})),
            after: Some(
                serde_json::json!({"status": next.as_str(), "parts": keys, "remarks": texts}),
            ),
        },
    )?;
    get(conn, revision_id)
}

/// Ends a revision without publishing it.
///
/// Its edits **stay in the working copy**: the register's rows are edited in place (there
/// is no per-revision copy to throw away), so restoring the published content would mean
/// rewriting every process and touchpoint from the last version's snapshot — and losing work
/// the agency usually still wants (a revision is cancelled because it was opened for the
/// wrong reason or by mistake far more often than because its content is wrong). The next
/// revision starts from that working copy, its chain counts the cancelled revision's edits as
/// changed ([`chain_context`]), and nothing reaches the public register until a revision is
/// published. Whoever wants the published content back edits it back, under the next revision.
pub fn cancel(
    conn: &mut PgConnection,
    user: &User,
    revision_id: Uuid,
    if_match: &crate::http::etag::IfMatch,
    reason: String,
) -> ApiResult<Revision> {
    let r = row(conn, revision_id, true)?;
    if_match.check(r.updated_at)?;
    let next = state::cancel(r.status).map_err(illegal)?;
    diesel::update(revisions::table.find(r.id))
        .set((
            revisions::status.eq(next),
            revisions::cancelled_at.eq(diesel::dsl::now),
        ))
        .execute(conn)?;
    crate::metrics::TRANSITIONS
        .with_label_values(&["cancel"])
        .inc();
    audit::record(
        conn,
        user,
        Entry {
            agency_id: r.agency_id,
            revision_id: Some(r.id),
            entity: "revision",
            entity_id: r.id.to_string(),
            action: "cancel",
            before: Some(serde_json::json!({"status": r.status})),
            after: Some(serde_json::json!({"status": next.as_str(), "reason": reason})),
        },
    )?;
    get(conn, revision_id)
}

/// Freezes the working copy as the next numbered version; the previous one stays readable as
/// an archived version.
/// What a publication froze, for the use case to announce.
pub struct Publication {
    pub revision: Revision,
    pub number: i32,
    pub sha256: String,
    pub content: RegisterContent,
}

/// The working copy as the version freezes it: the rows, the form profile in force (R13,
/// whose six headers become `columns`) and the approval act (`act` completes what the
/// revision's agreements recorded).
pub fn publish(
    conn: &mut PgConnection,
    user: &User,
    revision_id: Uuid,
    if_match: &crate::http::etag::IfMatch,
    act: &crate::forms::db::ActInput,
) -> ApiResult<Publication> {
    let r = row(conn, revision_id, true)?;
    if_match.check(r.updated_at)?;
    let next = state::publish(r.status).map_err(illegal)?;
    // publications commit one at a time, so the change feed's seq order is commit order
    diesel::sql_query(format!("SELECT pg_advisory_xact_lock({PUBLISH_LOCK_KEY})")).execute(conn)?;
    crate::forms::db::save_act(conn, r.id, act)?;
    let mut content = snapshot::build(conn, r.agency_id)?;
    let profile = crate::forms::db::get(conn, r.agency_id)?.profile;
    content.approval = Some(crate::forms::db::approval(
        conn,
        r.id,
        profile.approval_style,
    )?);
    content.columns = profile.columns.clone();
    content.profile = Some(profile);
    let value = serde_json::to_value(&content).map_err(|e| ApiError::Internal(e.into()))?;
    let sha = snapshot::sha256_hex(&value);
    let last: Option<i32> = register_versions::table
        .filter(register_versions::agency_id.eq(r.agency_id))
        .select(diesel::dsl::max(register_versions::number))
        .first(conn)?;
    let number = last.unwrap_or(0) + 1;
    let version_id: Uuid = diesel::insert_into(register_versions::table)
        .values((
            register_versions::agency_id.eq(r.agency_id),
            register_versions::number.eq(number),
            register_versions::revision_id.eq(r.id),
            register_versions::content.eq(&value),
            register_versions::sha256.eq(&sha),
            register_versions::approved_at.eq(r.approved_at.unwrap_or_else(Utc::now)),
            register_versions::published_by.eq(&user.sub),
            register_versions::published_by_name.eq(user.display()),
        ))
        .returning(register_versions::id)
        .get_result(conn)?;
    // its pieces of the region's CSV and HTML, made once with the version
    crate::public::pieces::store(conn, version_id, &content, number, &sha)?;
    // what it did to each touchpoint, for the touchpoint change feed (under the same lock)
    crate::sync::db::record(conn, r.agency_id, number, &content)?;
    diesel::update(revisions::table.find(r.id))
        .set((
            revisions::status.eq(next),
            revisions::published_at.eq(diesel::dsl::now),
            revisions::version_number.eq(number),
        ))
        .execute(conn)?;
    crate::metrics::TRANSITIONS
        .with_label_values(&["publish"])
        .inc();
    audit::record(
        conn,
        user,
        Entry {
            agency_id: r.agency_id,
            revision_id: Some(r.id),
            entity: "revision",
            entity_id: r.id.to_string(),
            action: "publish",
            before: Some(serde_json::json!({"status": r.status})),
            after: Some(
                serde_json::json!({"status": next.as_str(), "version": number, "sha256": sha}),
            ),
        },
    )?;
    Ok(Publication {
        revision: get(conn, revision_id)?,
        number,
        sha256: sha,
        content,
    })
}

pub fn history(conn: &mut PgConnection, revision_id: Uuid) -> ApiResult<Vec<HistoryEntry>> {
    row(conn, revision_id, false)?;
    let rows: Vec<AuditRow> = audit_log::table
        .filter(audit_log::revision_id.eq(revision_id))
        .order(audit_log::id.asc())
        .select((
            audit_log::id,
            audit_log::created_at,
            audit_log::actor,
            audit_log::actor_name,
            audit_log::entity,
            audit_log::entity_id,
            audit_log::action,
            audit_log::before,
            audit_log::after,
        ))
        .load(conn)?;
    Ok(rows
        .into_iter()
        .map(
            |(id, at, actor, actor_name, entity, entity_id, action, before, after)| HistoryEntry {
                id,
                at,
                actor,
                actor_name,
                entity,
                entity_id,
                action,
                before,
                after,
            },
        )
        .collect())
}

// ---- versions ----

#[derive(Queryable, Selectable)]
#[diesel(table_name = register_versions)]
pub struct VersionRow {
    pub id: Uuid,
    pub seq: i64,
    pub agency_id: Uuid,
    pub number: i32,
    pub revision_id: Uuid,
    pub content: serde_json::Value,
    pub sha256: String,
    pub approved_at: DateTime<Utc>,
    pub published_by: String,
    pub published_by_name: String,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl VersionRow {
    pub fn content(&self) -> ApiResult<RegisterContent> {
        serde_json::from_value(self.content.clone())
            .map_err(|e| ApiError::Internal(anyhow::anyhow!("version {} content: {e}", self.id)))
    }
}

pub fn versions(conn: &mut PgConnection, agency_id: Uuid) -> ApiResult<Vec<VersionRow>> {
    Ok(register_versions::table
        .filter(register_versions::agency_id.eq(agency_id))
        .order(register_versions::number.desc())
        .select(VersionRow::as_select())
        .load(conn)?)
}

pub fn version(conn: &mut PgConnection, agency_id: Uuid, number: i32) -> ApiResult<VersionRow> {
    register_versions::table
        .filter(register_versions::agency_id.eq(agency_id))
        .filter(register_versions::number.eq(number))
        .select(VersionRow::as_select())
        .first(conn)
        .optional()?
        .ok_or_else(|| ApiError::not_found("version", format!("{number} of agency {agency_id}")))
}

/// Several versions, named by (agency, number), in one query; those that do not exist are
/// simply absent.
pub fn versions_by_key(
    conn: &mut PgConnection,
    wanted: &[(Uuid, i32)],
) -> ApiResult<Vec<VersionRow>> {
    use diesel::dsl::sql;
    use diesel::sql_types::{Array, Bool, Integer, Uuid as SqlUuid};
    let (agencies, numbers): (Vec<Uuid>, Vec<i32>) = wanted.iter().copied().unzip();
    Ok(register_versions::table
        .filter(
            sql::<Bool>(
                "(register_versions.agency_id, register_versions.number) IN (SELECT * FROM unnest(",
            )
            .bind::<Array<SqlUuid>, _>(agencies)
            .sql(", ")
            .bind::<Array<Integer>, _>(numbers)
            .sql("))"),
        )
        .select(VersionRow::as_select())
        .load(conn)?)
}

pub fn latest_version_number(conn: &mut PgConnection, agency_id: Uuid) -> ApiResult<Option<i32>> {
    Ok(register_versions::table
        .filter(register_versions::agency_id.eq(agency_id))
        .select(diesel::dsl::max(register_versions::number))
        .first(conn)?)
}
