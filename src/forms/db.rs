//! Form profiles and approval acts in the database.

use chrono::NaiveDate;
use diesel::pg::PgConnection;
use diesel::prelude::*;
use uuid::Uuid;

pub use crate::domain::form::*;

use crate::domain::enums::SettingsSource;
use crate::error::{ApiError, ApiResult};
use crate::schema::{
    agency_form_profiles as p, officials, revision_approval_acts as acts, revision_approvals,
};

/// The profile in force for an agency: its own, else its nearest ancestor's, else the
/// defaults; `source` and `source_agency_id` say which.
pub fn get(conn: &mut PgConnection, agency_id: Uuid) -> ApiResult<FormProfileInForce> {
    let line = crate::agencies::db::ancestors_many(conn, &[agency_id])?
        .remove(&agency_id)
        .unwrap_or_else(|| vec![agency_id]);
    let own: Vec<(Uuid, serde_json::Value)> = p::table
        .filter(p::agency_id.eq_any(&line))
        .select((p::agency_id, p::profile))
        .load(conn)?;
    for (depth, a) in line.iter().enumerate() {
        if let Some((_, v)) = own.iter().find(|(id, _)| id == a) {
            let profile: FormProfile = serde_json::from_value(v.clone()).map_err(|e| {
                ApiError::Internal(anyhow::anyhow!("form profile of agency {a}: {e}"))
            })?;
            return Ok(FormProfileInForce {
                profile,
                source: if depth == 0 {
                    SettingsSource::Own
                } else {
                    SettingsSource::Inherited
                },
                source_agency_id: Some(*a),
            });
        }
    }
    Ok(FormProfileInForce {
        profile: FormProfile::default(),
        source: SettingsSource::Default,
        source_agency_id: None,
    })
}

pub fn put(
    conn: &mut PgConnection,
    agency_id: Uuid,
    profile: &FormProfile,
    by: &str,
) -> ApiResult<()> {
    let value = serde_json::to_value(profile).map_err(|e| ApiError::Internal(e.into()))?;
    diesel::insert_into(p::table)
        .values((
            p::agency_id.eq(agency_id),
            p::profile.eq(&value),
            p::updated_by.eq(by),
        ))
        .on_conflict(p::agency_id)
        .do_update()
        .set((p::profile.eq(&value), p::updated_by.eq(by)))
        .execute(conn)?;
    Ok(())
}

/// Drops the agency's own profile: it prints in its parent's again (or the default form).
pub fn delete(conn: &mut PgConnection, agency_id: Uuid) -> ApiResult<bool> {
    Ok(diesel::delete(p::table.filter(p::agency_id.eq(agency_id))).execute(conn)? > 0)
}

/// What a caller says of the approving act (the body of the last `approve` or of `publish`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ActInput {
    pub order_number: Option<String>,
    pub order_date: Option<NaiveDate>,
    pub order_date_text: Option<String>,
}

impl ActInput {
    pub fn is_empty(&self) -> bool {
        self.order_number.is_none() && self.order_date.is_none() && self.order_date_text.is_none()
    }
}

/// Records (or completes: a field not given keeps what an earlier call gave) the act of a
/// revision.
pub fn save_act(conn: &mut PgConnection, revision_id: Uuid, act: &ActInput) -> ApiResult<()> {
    if act.is_empty() {
        return Ok(());
    }
    let before = load_act(conn, revision_id)?;
    let merged = ActInput {
        order_number: act.order_number.clone().or(before.order_number),
        order_date: act.order_date.or(before.order_date),
        order_date_text: act.order_date_text.clone().or(before.order_date_text),
    };
    let values = (
        acts::order_number.eq(&merged.order_number),
        acts::order_date.eq(merged.order_date),
        acts::order_date_text.eq(&merged.order_date_text),
    );
    diesel::insert_into(acts::table)
        .values((acts::revision_id.eq(revision_id), values))
        .on_conflict(acts::revision_id)
        .do_update()
        .set(values)
        .execute(conn)?;
    Ok(())
}

pub fn load_act(conn: &mut PgConnection, revision_id: Uuid) -> ApiResult<ActInput> {
    let row: Option<(Option<String>, Option<NaiveDate>, Option<String>)> = acts::table
        .find(revision_id)
        .select((acts::order_number, acts::order_date, acts::order_date_text))
        .first(conn)
        .optional()?;
    Ok(row
        .map(|(order_number, order_date, order_date_text)| ActInput {
            order_number,
            order_date,
            order_date_text,
        })
        .unwrap_or_default())
}

/// The approval of a revision as its published version prints it: the act, and the official
/// who signed last among the chain's named officials (name and position as the agency keeps
/// them), else whoever gave the last agreement (their display name, no position).
pub fn approval(
    conn: &mut PgConnection,
    revision_id: Uuid,
    style: ApprovalStyle,
) -> ApiResult<Approval> {
    let act = load_act(conn, revision_id)?;
    let signed: Vec<(String, Option<Uuid>)> = revision_approvals::table
        .filter(revision_approvals::revision_id.eq(revision_id))
        .order((
            revision_approvals::step.desc(),
            revision_approvals::created_at.desc(),
        ))
        .select((
            revision_approvals::approved_by_name,
            revision_approvals::official_id,
        ))
        .load(conn)?;
    // the latest signature of a named official, else the latest agreement
    let last = signed
        .iter()
        .find(|(_, o)| o.is_some())
        .or(signed.first())
        .cloned();
    let (name, position) = match last {
        None => (None, None),
        Some((display, None)) => (Some(display), None),
        Some((display, Some(official))) => {
            let o: Option<(String, String)> = officials::table
                .find(official)
                .select((officials::name, officials::position))
                .first(conn)
                .optional()?;
            match o {
                Some((n, p)) => (Some(n), Some(p)),
                None => (Some(display), None),
            }
        }
    };
    Ok(Approval {
        order_number: act.order_number,
        order_date: act.order_date,
        order_date_text: act.order_date_text,
        approver_name: name,
        approver_position: position,
        style,
    })
}
