use std::collections::HashMap;

use diesel::pg::PgConnection;
use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use crate::domain::Mode;
use crate::error::ApiResult;
use crate::schema::{agency_channel_modes, channel_types, client_needs};

/// A client need (удовлетворяемая потребность клиента; column 5 of the form).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, Queryable, Selectable)]
#[diesel(table_name = client_needs)]
#[schema(example = json!({"code": "consultation", "label": "Получение консультации", "position": 2}))]
pub struct Need {
    pub code: String,
    pub label: String,
    pub position: i32,
}

/// A channel type of touchpoints, with its default classification.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[schema(example = json!({"code": "phone", "label": "Телефонная связь", "default_mode": "digital", "position": 15}))]
pub struct ChannelType {
    pub code: String,
    pub label: String,
    /// Classification used when an agency has no rule of its own for this channel.
    pub default_mode: Mode,
    pub position: i32,
}

pub fn needs(conn: &mut PgConnection) -> ApiResult<Vec<Need>> {
    Ok(client_needs::table
        .select(Need::as_select())
        .order(client_needs::position)
        .load(conn)?)
}

pub fn channel_types(conn: &mut PgConnection) -> ApiResult<Vec<ChannelType>> {
    let rows: Vec<(String, String, Mode, i32)> = channel_types::table
        .select((
            channel_types::code,
            channel_types::label,
            channel_types::default_mode,
            channel_types::position,
        ))
        .order(channel_types::position)
        .load(conn)?;
    Ok(rows
        .into_iter()
        .map(|(code, label, mode, position)| ChannelType {
            code,
            label,
            default_mode: mode,
            position,
        })
        .collect())
}

pub fn channel_exists(conn: &mut PgConnection, code: &str) -> ApiResult<bool> {
    Ok(diesel::select(diesel::dsl::exists(channel_types::table.find(code))).get_result(conn)?)
}

/// Which of `codes` are not in the needs catalog.
pub fn unknown_needs(conn: &mut PgConnection, codes: &[String]) -> ApiResult<Vec<String>> {
    let known: Vec<String> = client_needs::table
        .filter(client_needs::code.eq_any(codes))
        .select(client_needs::code)
        .load(conn)?;
    Ok(codes
        .iter()
        .filter(|c| !known.contains(c))
        .cloned()
        .collect())
}

/// How one agency classifies one channel type.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[schema(example = json!({"channel": "phone", "label": "Телефонная связь", "mode": "offline", "default_mode": "digital", "overridden": false, "source": "inherited", "source_agency_id": "0b6f3c52-8f0e-4d8e-9a51-3c1f2d4e5a60", "inherited_mode": "offline"}))]
pub struct ChannelRule {
    pub channel: String,
    pub label: String,
    /// The classification in force for this agency.
    pub mode: Mode,
    pub default_mode: Mode,
    /// True when the agency set its own rule for the channel.
    pub overridden: bool,
    /// Where `mode` comes from: `own` (the agency's rule), `inherited` (the nearest ancestor
    /// agency that set one: a subordinate organization follows its ministry, 002 §4.1) or
    /// `catalog` (the channel type's default).
    pub source: RuleSource,
    /// The agency whose rule is in force (null for `catalog`).
    pub source_agency_id: Option<Uuid>,
    /// The classification without this agency's own rule: what clearing it would leave.
    pub inherited_mode: Mode,
}

/// Where an agency's classification of a channel type comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum RuleSource {
    Own,
    Inherited,
    Catalog,
}

/// The rules in force for the agency from itself or its nearest ancestor, with where from.
fn rules_in_force(
    conn: &mut PgConnection,
    agency_id: Uuid,
) -> ApiResult<HashMap<String, (Mode, Uuid)>> {
    use crate::schema_views::agency_channel_rules as r;
    let rows: Vec<(String, Mode, Uuid)> = r::table
        .filter(r::agency_id.eq(agency_id))
        .select((r::channel_code, r::mode, r::source_agency_id))
        .load(conn)?;
    Ok(rows.into_iter().map(|(c, m, s)| (c, (m, s))).collect())
}

pub fn channel_rules(conn: &mut PgConnection, agency_id: Uuid) -> ApiResult<Vec<ChannelRule>> {
    let in_force = rules_in_force(conn, agency_id)?;
    let parent: Option<Uuid> = crate::schema::agencies::table
        .find(agency_id)
        .select(crate::schema::agencies::parent_id)
        .first::<Option<Uuid>>(conn)
        .optional()?
        .flatten();
    let from_parent = match parent {
        Some(p) => rules_in_force(conn, p)?,
        None => HashMap::new(),
    };
    Ok(channel_types(conn)?
        .into_iter()
        .map(|t| {
            let rule = in_force.get(&t.code).copied();
            let (source, source_agency_id) = match rule {
                Some((_, a)) if a == agency_id => (RuleSource::Own, Some(a)),
                Some((_, a)) => (RuleSource::Inherited, Some(a)),
                None => (RuleSource::Catalog, None),
            };
            ChannelRule {
                overridden: source == RuleSource::Own,
                mode: rule.map_or(t.default_mode, |(m, _)| m),
                default_mode: t.default_mode,
                inherited_mode: from_parent.get(&t.code).map_or(t.default_mode, |(m, _)| *m),
                source,
                source_agency_id,
                label: t.label,
                channel: t.code,
            }
        })
        .collect())
}

pub fn set_rule(
    conn: &mut PgConnection,
    agency_id: Uuid,
    channel: &str,
    mode: Mode,
) -> ApiResult<()> {
    diesel::insert_into(agency_channel_modes::table)
        .values((
            agency_channel_modes::agency_id.eq(agency_id),
            agency_channel_modes::channel_code.eq(channel),
            agency_channel_modes::mode.eq(mode),
        ))
        .on_conflict((
            agency_channel_modes::agency_id,
            agency_channel_modes::channel_code,
        ))
        .do_update()
        .set(agency_channel_modes::mode.eq(mode))
        .execute(conn)?;
    Ok(())
}

pub fn clear_rule(conn: &mut PgConnection, agency_id: Uuid, channel: &str) -> ApiResult<()> {
    diesel::delete(
        agency_channel_modes::table
            .filter(agency_channel_modes::agency_id.eq(agency_id))
            .filter(agency_channel_modes::channel_code.eq(channel)),
    )
    .execute(conn)?;
    Ok(())
}
