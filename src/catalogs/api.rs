use actix_web::web;
use actix_web::{delete, get, put};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use super::db::{self as catalog_db, ChannelRule, ChannelType, Need};
use crate::agencies::db as agency_db;
use crate::auth::User;
use crate::db::Db;
use crate::domain::Mode;
use crate::error::{ApiError, ApiResult};
use crate::http::path::AgencyPath;
use crate::http::path::ChannelRulePath;
use crate::http::ApiJson;
use crate::workflow::edit::{self, edit_working_copy, Change};

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct NeedList {
    pub items: Vec<Need>,
    pub total: i64,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct ChannelTypeList {
    pub items: Vec<ChannelType>,
    pub total: i64,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct ChannelRuleList {
    pub items: Vec<ChannelRule>,
    pub total: i64,
}

/// Client needs
///
/// The catalog of client needs a touchpoint can serve (002 §3.6).
#[utoipa::path(
    security(()),
    tag = "catalogs", operation_id = "listNeeds",
    responses((status = 200, description = "Every client need, in the official order", body = NeedList))
)]
#[get("/catalogs/needs")]
pub async fn list_needs(db: web::Data<Db>) -> ApiResult<web::Json<NeedList>> {
    let items = db.run(catalog_db::needs).await?;
    Ok(web::Json(NeedList {
        total: items.len() as i64,
        items,
    }))
}

/// Channel types
///
/// The catalog of touchpoint channel types with their default digital/offline classification.
#[utoipa::path(
    security(()),
    tag = "catalogs", operation_id = "listChannelTypes",
    responses((status = 200, description = "Every channel type", body = ChannelTypeList))
)]
#[get("/catalogs/channel-types")]
pub async fn list_channel_types(db: web::Data<Db>) -> ApiResult<web::Json<ChannelTypeList>> {
    let items = db.run(catalog_db::channel_types).await?;
    Ok(web::Json(ChannelTypeList {
        total: items.len() as i64,
        items,
    }))
}

/// An agency's channel classification
///
/// How the agency classifies each channel type as digital or offline (R6): its own rule
/// where it set one, else the rule of its nearest ancestor that set one (a subordinate
/// organization follows its ministry: 002 §4.1 makes the phone offline), else the catalog
/// default; `source` and `source_agency_id` say which. Touchpoints' `implied_mode` follows it.
/// A parent's rule applies to its organizations' working copies at once; their published
/// versions keep what they printed.
#[utoipa::path(
    tag = "agencies", operation_id = "listChannelRules",
    params(AgencyPath),
    responses((status = 200, description = "The agency's classification of every channel type", body = ChannelRuleList))
)]
#[get("/agencies/{id}/channel-rules")]
pub async fn list_channel_rules(
    db: web::Data<Db>,
    user: User,
    id: web::Path<AgencyPath>,
) -> ApiResult<web::Json<ChannelRuleList>> {
    let agency_id = id.into_inner().id;
    crate::workflow::governance::may_read(&db, &user, agency_id).await?;
    let items = db
        .run(move |c| {
            agency_db::get(c, agency_id)?;
            catalog_db::channel_rules(c, agency_id)
        })
        .await?;
    Ok(web::Json(ChannelRuleList {
        total: items.len() as i64,
        items,
    }))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"mode": "offline"}))]
pub struct ChannelRuleInput {
    pub mode: Mode,
}

fn known_channel(c: &mut diesel::PgConnection, channel: &str) -> ApiResult<()> {
    if catalog_db::channel_exists(c, channel)? {
        Ok(())
    } else {
        Err(ApiError::not_found("channel type", channel))
    }
}

/// Set the agency's rule for a channel type
///
/// E.g. Минстрой Дагестана (002 §4.1.2) classifies telephone as offline.
#[utoipa::path(
    tag = "agencies", operation_id = "setChannelRule",
    params(ChannelRulePath),
    request_body = ChannelRuleInput,
    responses((status = 200, description = "The agency's classification after the change", body = ChannelRuleList))
)]
#[put("/agencies/{id}/channel-rules/{channel}")]
pub async fn set_channel_rule(
    db: web::Data<Db>,
    user: User,
    path: web::Path<ChannelRulePath>,
    body: ApiJson<ChannelRuleInput>,
) -> ApiResult<web::Json<ChannelRuleList>> {
    user.require_admin()?;
    let ChannelRulePath {
        id: agency_id,
        channel,
    } = path.into_inner();
    let mode = body.0.mode;
    let items = db
        .transaction(move |c| {
            let set =
                |c: &mut diesel::PgConnection| catalog_db::set_rule(c, agency_id, &channel, mode);
            change_rule(c, &user, agency_id, &channel, |_| mode, set)
        })
        .await?;
    Ok(web::Json(ChannelRuleList {
        total: items.len() as i64,
        items,
    }))
}

/// Drop the agency's rule for a channel type
///
/// The catalog default applies again.
#[utoipa::path(
    tag = "agencies", operation_id = "clearChannelRule",
    params(ChannelRulePath),
    responses((status = 200, description = "The agency's classification after the change", body = ChannelRuleList))
)]
#[delete("/agencies/{id}/channel-rules/{channel}")]
pub async fn clear_channel_rule(
    db: web::Data<Db>,
    user: User,
    path: web::Path<ChannelRulePath>,
) -> ApiResult<web::Json<ChannelRuleList>> {
    user.require_admin()?;
    let ChannelRulePath {
        id: agency_id,
        channel,
    } = path.into_inner();
    let items = db
        .transaction(move |c| {
            let clear =
                |c: &mut diesel::PgConnection| catalog_db::clear_rule(c, agency_id, &channel);
            change_rule(c, &user, agency_id, &channel, |r| r.inherited_mode, clear)
        })
        .await?;
    Ok(web::Json(ChannelRuleList {
        total: items.len() as i64,
        items,
    }))
}

/// Changes the agency's rule for `channel`. The rule is what column 6 prints for the agency's
/// touchpoints of that channel that left it empty, so a change that moves the mode in force
/// is an edit of the working copy of every part with such touchpoints: it opens or joins the
/// revision, is refused with 409 `locked` while one of those parts is submitted or accepted or
/// the revision is being approved, and is recorded in the revision's history.
fn change_rule(
    c: &mut diesel::PgConnection,
    user: &User,
    agency_id: Uuid,
    channel: &str,
    new_mode: impl FnOnce(&catalog_db::ChannelRule) -> crate::domain::Mode,
    change: impl FnOnce(&mut diesel::PgConnection) -> ApiResult<()>,
) -> ApiResult<Vec<catalog_db::ChannelRule>> {
    // serialises the agency's rule changes
    agency_db::lock(c, agency_id)?;
    known_channel(c, channel)?;
    let rules = catalog_db::channel_rules(c, agency_id)?;
    let Some(before) = rules.iter().find(|r| r.channel == channel) else {
        return Err(ApiError::not_found("channel type", channel));
    };
    let mode = new_mode(before);
    if mode == before.mode {
        // the mode in force stays: nothing the register prints changes
        change(c)?;
        return catalog_db::channel_rules(c, agency_id);
    }
    let state = |mode: crate::domain::Mode| serde_json::json!({"channel": channel, "mode": mode});
    let change_ = Change {
        agency_id,
        parts: edit::parts_with_channel(c, agency_id, channel)?,
        entity: "channel_rule",
        entity_id: Some(channel.to_owned()),
        action: "update",
    };
    let before_state = state(before.mode);
    edit_working_copy(c, user, change_, None, Some(&before_state), |c| {
        change(c)?;
        Ok(state(mode))
    })?;
    catalog_db::channel_rules(c, agency_id)
}
