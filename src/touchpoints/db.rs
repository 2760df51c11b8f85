use std::collections::HashMap;

use chrono::{DateTime, Utc};
use diesel::pg::{Pg, PgConnection};
use diesel::prelude::*;
use uuid::Uuid;

use super::model::{Touchpoint, TouchpointChanges};
use super::rules::{self, Sibling};
use crate::catalogs::db as catalog_db;
use crate::domain::hours::Hours;
use crate::domain::place::{Address, Geo};
use crate::domain::{ClientType, Contact, ContactKind, Mode};
use crate::error::{ApiError, ApiResult, ErrorCode, FieldError};
use crate::http::pagination::like_pattern;
use crate::http::Paging;
use crate::processes::db::{self as process_db, client_type_matches};
use crate::schema::{touchpoint_contacts as tc, touchpoint_needs as tn, touchpoints as tp};
use crate::schema_views::touchpoint_rows as tr;

#[derive(Queryable, Selectable)]
#[diesel(table_name = tr)]
struct Row {
    id: Uuid,
    process_id: Uuid,
    agency_id: Uuid,
    channel_code: String,
    name: String,
    interaction: Option<String>,
    features: Option<String>,
    stated_mode: Option<Mode>,
    implied_mode: Mode,
    position: i32,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
    as_written: Option<String>,
}

/// Filters of a touchpoint list.
#[derive(Debug, Clone, Default)]
pub struct TouchpointFilter {
    pub agency_id: Option<Uuid>,
    pub process_id: Option<Uuid>,
    pub direction_id: Option<Uuid>,
    pub unit: Option<Option<Uuid>>,
    pub client_type: Option<ClientType>,
    pub channel: Option<String>,
    /// Digital/offline under the agency's own rule.
    pub mode: Option<Mode>,
    /// Digital/offline as column 6 states it.
    pub stated_mode: Option<Mode>,
    /// Only rows whose column 6 contradicts the agency's rule.
    pub mode_conflict: Option<bool>,
    pub need: Option<String>,
    pub q: Option<String>,
}

#[derive(Debug, Clone, Copy)]
pub enum TouchpointSort {
    Position,
    Name,
    NameDesc,
    CreatedAt,
    UpdatedAtDesc,
}

pub const TOUCHPOINT_SORTS: &[(&str, TouchpointSort)] = &[
    ("position", TouchpointSort::Position),
    ("name", TouchpointSort::Name),
    ("-name", TouchpointSort::NameDesc),
    ("created_at", TouchpointSort::CreatedAt),
    ("-updated_at", TouchpointSort::UpdatedAtDesc),
];

fn filtered(f: &TouchpointFilter) -> tr::BoxedQuery<'static, Pg> {
    let mut q = tr::table.into_boxed();
    if let Some(v) = f.agency_id {
        q = q.filter(tr::agency_id.eq(v));
    }
    if let Some(v) = f.process_id {
        q = q.filter(tr::process_id.eq(v));
    }
    if let Some(v) = f.direction_id {
        q = q.filter(tr::direction_id.eq(v));
    }
    match f.unit {
        Some(Some(u)) => q = q.filter(tr::unit_id.eq(u)),
        Some(None) => q = q.filter(tr::unit_id.is_null()),
        None => {}
    }
    if let Some(ct) = f.client_type {
        q = q.filter(tr::client_type.eq_any(client_type_matches(ct)));
    }
    if let Some(c) = &f.channel {
        q = q.filter(tr::channel_code.eq(c.clone()));
    }
    if let Some(m) = f.mode {
        q = q.filter(tr::implied_mode.eq(m));
    }
    if let Some(m) = f.stated_mode {
        q = q.filter(tr::stated_mode.eq(m));
    }
    match f.mode_conflict {
        Some(true) => {
            q = q.filter(
                tr::stated_mode
                    .is_not_null()
                    .and(tr::stated_mode.ne(tr::implied_mode.nullable())),
            )
        }
        Some(false) => {
            q = q.filter(
                tr::stated_mode
                    .is_null()
                    .or(tr::stated_mode.eq(tr::implied_mode.nullable())),
            )
        }
        None => {}
    }
    if let Some(n) = &f.need {
        q = q.filter(
            tr::id.eq_any(
                tn::table
                    .filter(tn::need_code.eq(n.clone()))
                    .select(tn::touchpoint_id),
            ),
        );
    }
    if let Some(t) = f.q.as_deref().filter(|t| !t.trim().is_empty()) {
        let p = like_pattern(t);
        q = q.filter(
            tr::name
                .ilike(p.clone())
                .or(tr::interaction.ilike(p.clone()))
                .or(tr::id.eq_any(
                    tc::table
                        .filter(tc::value.ilike(p))
                        .select(tc::touchpoint_id),
                )),
        );
    }
    q
}

/// What a touchpoint says beside the six columns: hours, address, coordinates, accessibility.
#[derive(Debug, Clone, Default)]
pub struct Place {
    pub hours: Option<Hours>,
    pub address: Option<Address>,
    pub geo: Option<Geo>,
    pub accessibility: Option<String>,
}

type PlaceRow = (
    Uuid,
    Option<serde_json::Value>,
    Option<serde_json::Value>,
    Option<f64>,
    Option<f64>,
    Option<String>,
);

/// Hours and place of a set of touchpoints: one query. The JSON columns hold only what the
/// validation accepted; a value that no longer reads (never written by this service) is absent.
pub fn places(conn: &mut PgConnection, ids: &[Uuid]) -> ApiResult<HashMap<Uuid, Place>> {
    let rows: Vec<PlaceRow> = tp::table
        .filter(tp::id.eq_any(ids))
        .filter(
            tp::hours
                .is_not_null()
                .or(tp::address.is_not_null())
                .or(tp::lat.is_not_null())
                .or(tp::accessibility.is_not_null()),
        )
        .select((
            tp::id,
            tp::hours,
            tp::address,
            tp::lat,
            tp::lon,
            tp::accessibility,
        ))
        .load(conn)?;
    Ok(rows
        .into_iter()
        .map(|(id, hours, address, lat, lon, accessibility)| {
            (
                id,
                Place {
                    hours: hours.and_then(|v| serde_json::from_value(v).ok()),
                    address: address.and_then(|v| serde_json::from_value(v).ok()),
                    geo: lat.zip(lon).map(|(lat, lon)| Geo { lat, lon }),
                    accessibility,
                },
            )
        })
        .collect())
}

fn json_of<T: serde::Serialize>(v: &Option<T>) -> Option<serde_json::Value> {
    v.as_ref().and_then(|v| serde_json::to_value(v).ok())
}

/// Contacts and needs of a set of touchpoints: two queries, whatever the number of rows.
fn hydrate(conn: &mut PgConnection, rows: Vec<Row>) -> ApiResult<Vec<Touchpoint>> {
    let ids: Vec<Uuid> = rows.iter().map(|r| r.id).collect();
    type ContactRow = (
        Uuid,
        ContactKind,
        String,
        String,
        Option<String>,
        Option<String>,
    );
    let contact_rows: Vec<ContactRow> = tc::table
        .filter(tc::touchpoint_id.eq_any(&ids))
        .order((tc::touchpoint_id, tc::position))
        .select((
            tc::touchpoint_id,
            tc::kind,
            tc::value,
            tc::normalized,
            tc::label,
            tc::as_written,
        ))
        .load(conn)?;
    let mut contacts: HashMap<Uuid, Vec<Contact>> = HashMap::new();
    for (id, kind, value, normalized, label, as_written) in contact_rows {
        contacts.entry(id).or_default().push(Contact {
            kind,
            value,
            label,
            as_written,
            normalized,
        });
    }
    let need_rows: Vec<(Uuid, String)> = tn::table
        .inner_join(crate::schema::client_needs::table)
        .filter(tn::touchpoint_id.eq_any(&ids))
        .order((tn::touchpoint_id, crate::schema::client_needs::position))
        .select((tn::touchpoint_id, tn::need_code))
        .load(conn)?;
    let mut needs: HashMap<Uuid, Vec<String>> = HashMap::new();
    for (id, code) in need_rows {
        needs.entry(id).or_default().push(code);
    }
    let mut external_ids: HashMap<Uuid, String> = tp::table
        .filter(tp::id.eq_any(&ids))
        .filter(tp::external_id.is_not_null())
        .select((tp::id, tp::external_id.assume_not_null()))
        .load::<(Uuid, String)>(conn)?
        .into_iter()
        .collect();
    let mut places: HashMap<Uuid, Place> = places(conn, &ids)?;
    Ok(rows
        .into_iter()
        .map(|r| {
            let stated = r.stated_mode;
            let implied = r.implied_mode;
            let place = places.remove(&r.id).unwrap_or_default();
            Touchpoint {
                hours: place.hours,
                address: place.address,
                geo: place.geo,
                accessibility: place.accessibility,
                contacts: contacts.remove(&r.id).unwrap_or_default(),
                needs: needs.remove(&r.id).unwrap_or_default(),
                id: r.id,
                process_id: r.process_id,
                agency_id: r.agency_id,
                channel: r.channel_code,
                name: r.name,
                as_written: r.as_written,
                interaction: r.interaction,
                features: r.features,
                stated_mode: stated,
                implied_mode: implied,
                mode_conflict: rules::mode_conflict(stated, implied),
                position: r.position,
                created_at: r.created_at,
                updated_at: r.updated_at,
                external_id: external_ids.remove(&r.id),
            }
        })
        .collect())
}

/// A page of touchpoints: four queries whatever the page size.
pub fn list(
    conn: &mut PgConnection,
    f: &TouchpointFilter,
    sort: TouchpointSort,
    page: Paging,
) -> ApiResult<(Vec<Touchpoint>, i64)> {
    let total: i64 = filtered(f).count().get_result(conn)?;
    let q = filtered(f)
        .select(Row::as_select())
        .limit(page.limit)
        .offset(page.offset);
    let q = match sort {
        TouchpointSort::Position => q.order((
            tr::agency_id.asc(),
            tr::process_position.asc(),
            tr::process_id.asc(),
            tr::position.asc(),
            tr::id.asc(),
        )),
        TouchpointSort::Name => q.order((tr::name.asc(), tr::id.asc())),
        TouchpointSort::NameDesc => q.order((tr::name.desc(), tr::id.asc())),
        TouchpointSort::CreatedAt => q.order((tr::created_at.asc(), tr::id.asc())),
        TouchpointSort::UpdatedAtDesc => q.order((tr::updated_at.desc(), tr::id.asc())),
    };
    let rows: Vec<Row> = q.load(conn)?;
    Ok((hydrate(conn, rows)?, total))
}

pub fn get(conn: &mut PgConnection, id: Uuid) -> ApiResult<Touchpoint> {
    let row = tr::table
        .find(id)
        .select(Row::as_select())
        .first::<Row>(conn)
        .optional()?
        .ok_or_else(|| ApiError::not_found("touchpoint", id))?;
    Ok(hydrate(conn, vec![row])?.remove(0))
}

fn siblings(
    conn: &mut PgConnection,
    process_id: Uuid,
    except: Option<Uuid>,
) -> ApiResult<Vec<Sibling>> {
    let rows: Vec<(Uuid, String, String)> = tp::table
        .filter(tp::process_id.eq(process_id))
        .select((tp::id, tp::name, tp::channel_code))
        .load(conn)?;
    let contact_rows: Vec<(Uuid, ContactKind, String)> = tc::table
        .filter(tc::process_id.eq(process_id))
        .select((tc::touchpoint_id, tc::kind, tc::normalized))
        .load(conn)?;
    let mut by_id: HashMap<Uuid, Vec<(ContactKind, String)>> = HashMap::new();
    for (id, kind, norm) in contact_rows {
        by_id.entry(id).or_default().push((kind, norm));
    }
    Ok(rows
        .into_iter()
        .filter(|(id, _, _)| Some(*id) != except)
        .map(|(id, name, channel)| Sibling {
            contacts: by_id.remove(&id).unwrap_or_default(),
            id,
            name,
            channel,
        })
        .collect())
}

fn check_references(conn: &mut PgConnection, c: &TouchpointChanges) -> ApiResult<()> {
    let mut errors = Vec::new();
    if let Some(ch) = &c.channel {
        if !catalog_db::channel_exists(conn, ch)? {
            errors.push(FieldError::new(
                "channel",
                "unknown",
                format!("{ch:?} is not a channel type code (see /api/v1/catalogs/channel-types)"),
            ));
        }
    }
    if let Some(needs) = &c.needs {
        let unknown = catalog_db::unknown_needs(conn, needs)?;
        for u in unknown {
            let i = needs.iter().position(|n| *n == u).unwrap_or(0);
            errors.push(FieldError::new(
                format!("needs[{i}]"),
                "unknown",
                format!("{u:?} is not a client need code (see /api/v1/catalogs/needs)"),
            ));
        }
    }
    if errors.is_empty() {
        Ok(())
    } else {
        let detail = errors
            .iter()
            .map(|e| e.message.clone())
            .collect::<Vec<_>>()
            .join("; ");
        Err(ApiError::Client {
            code: ErrorCode::UnknownReference,
            detail,
            errors,
            existing_id: None,
        })
    }
}

fn enforce_r7(
    conn: &mut PgConnection,
    process_id: Uuid,
    except: Option<Uuid>,
    channel: &str,
    name: &str,
    contacts: &[Contact],
) -> ApiResult<()> {
    let sibs = siblings(conn, process_id, except)?;
    match rules::find_duplicate(&sibs, channel, name, contacts) {
        None => Ok(()),
        Some(d) => Err(ApiError::Client {
            code: ErrorCode::DuplicateTouchpoint,
            detail: d.message.clone(),
            errors: vec![FieldError::new(d.field, "duplicate", d.message)],
            existing_id: Some(d.existing_id),
        }),
    }
}

fn write_contacts(
    conn: &mut PgConnection,
    touchpoint_id: Uuid,
    process_id: Uuid,
    channel: &str,
    contacts: &[Contact],
) -> ApiResult<()> {
    let rows: Vec<_> = contacts
        .iter()
        .enumerate()
        .map(|(i, c)| {
            (
                tc::touchpoint_id.eq(touchpoint_id),
                tc::process_id.eq(process_id),
                tc::channel_code.eq(channel.to_owned()),
                tc::kind.eq(c.kind),
                tc::value.eq(c.value.clone()),
                tc::normalized.eq(c.normalized.clone()),
                tc::label.eq(c.label.clone()),
                tc::as_written.eq(c.as_written.clone()),
                tc::position.eq(i as i32),
            )
        })
        .collect();
    if !rows.is_empty() {
        diesel::insert_into(tc::table).values(rows).execute(conn)?;
    }
    Ok(())
}

fn write_needs(conn: &mut PgConnection, touchpoint_id: Uuid, needs: &[String]) -> ApiResult<()> {
    let rows: Vec<_> = needs
        .iter()
        .map(|n| {
            (
                tn::touchpoint_id.eq(touchpoint_id),
                tn::need_code.eq(n.clone()),
            )
        })
        .collect();
    if !rows.is_empty() {
        diesel::insert_into(tn::table).values(rows).execute(conn)?;
    }
    Ok(())
}

/// The agency's touchpoint with this external id, if any.
pub fn by_external_id(
    conn: &mut PgConnection,
    agency_id: Uuid,
    external_id: &str,
) -> ApiResult<Option<Touchpoint>> {
    let id: Option<Uuid> = tp::table
        .inner_join(crate::schema::processes::table)
        .filter(crate::schema::processes::agency_id.eq(agency_id))
        .filter(tp::external_id.eq(external_id))
        .select(tp::id)
        .first(conn)
        .optional()?;
    id.map(|id| get(conn, id)).transpose()
}

/// An external id names one touchpoint of the agency (409 `already_exists`, naming it). The
/// database keeps it unique within a process; across the agency's processes, the caller
/// holds the agency's lock (`agencies::db::lock`) whenever it sets one.
fn check_external_id(
    conn: &mut PgConnection,
    process_id: Uuid,
    except: Option<Uuid>,
    c: &TouchpointChanges,
) -> ApiResult<()> {
    let Some(Some(x)) = &c.external_id else {
        return Ok(());
    };
    let agency_id = process_db::get(conn, process_id)?.agency_id;
    match by_external_id(conn, agency_id, x)? {
        Some(other) if Some(other.id) != except => Err(ApiError::Client {
            code: ErrorCode::AlreadyExists,
            detail: format!(
                "the agency's touchpoint «{}» already has external_id {x:?}",
                other.name
            ),
            errors: vec![FieldError::new(
                "external_id",
                "taken",
                "another touchpoint of the agency has this external id",
            )],
            existing_id: Some(other.id),
        }),
        _ => Ok(()),
    }
}

/// Adds a touchpoint to a process, refusing a duplicate (R7). Runs inside the caller's
/// transaction; the process row is locked so two concurrent adds cannot both pass R7.
pub fn insert(
    conn: &mut PgConnection,
    process_id: Uuid,
    c: TouchpointChanges,
) -> ApiResult<Touchpoint> {
    process_db::lock(conn, process_id)?;
    check_references(conn, &c)?;
    check_external_id(conn, process_id, None, &c)?;
    let channel = c.channel.clone().unwrap_or_default();
    let name = c.name.clone().unwrap_or_default();
    let contacts = c.contacts.clone().unwrap_or_default();
    enforce_r7(conn, process_id, None, &channel, &name, &contacts)?;
    let position = match c.position {
        Some(p) => p,
        None => {
            let max: Option<i32> = tp::table
                .filter(tp::process_id.eq(process_id))
                .select(diesel::dsl::max(tp::position))
                .first(conn)?;
            max.unwrap_or(0) + 1
        }
    };
    let id: Uuid = diesel::insert_into(tp::table)
        .values((
            tp::process_id.eq(process_id),
            tp::channel_code.eq(&channel),
            tp::name.eq(&name),
            tp::as_written.eq(c.as_written.clone().flatten()),
            tp::interaction.eq(c.interaction.clone().flatten()),
            tp::features.eq(c.features.clone().flatten()),
            tp::stated_mode.eq(c.stated_mode.flatten()),
            tp::contactless_key.eq(rules::contactless_key(&name, &contacts)),
            tp::position.eq(position),
            tp::external_id.eq(c.external_id.clone().flatten()),
            tp::hours.eq(json_of(&c.hours.clone().flatten())),
            tp::address.eq(json_of(&c.address.clone().flatten())),
            tp::lat.eq(c.geo.flatten().map(|g| g.lat)),
            tp::lon.eq(c.geo.flatten().map(|g| g.lon)),
            tp::accessibility.eq(c.accessibility.clone().flatten()),
        ))
        .returning(tp::id)
        .get_result(conn)?;
    write_contacts(conn, id, process_id, &channel, &contacts)?;
    write_needs(conn, id, &c.needs.unwrap_or_default())?;
    get(conn, id)
}

#[derive(AsChangeset)]
#[diesel(table_name = tp)]
struct TouchpointChangeset {
    channel_code: Option<String>,
    name: Option<String>,
    as_written: Option<Option<String>>,
    interaction: Option<Option<String>>,
    features: Option<Option<String>>,
    stated_mode: Option<Option<Mode>>,
    contactless_key: Option<Option<String>>,
    position: Option<i32>,
    external_id: Option<Option<String>>,
    hours: Option<Option<serde_json::Value>>,
    address: Option<Option<serde_json::Value>>,
    lat: Option<Option<f64>>,
    lon: Option<Option<f64>>,
    accessibility: Option<Option<String>>,
}

pub fn update(conn: &mut PgConnection, id: Uuid, c: TouchpointChanges) -> ApiResult<Touchpoint> {
    let process_id: Uuid = tp::table
        .find(id)
        .select(tp::process_id)
        .first(conn)
        .optional()?
        .ok_or_else(|| ApiError::not_found("touchpoint", id))?;
    process_db::lock(conn, process_id)?;
    check_references(conn, &c)?;
    check_external_id(conn, process_id, Some(id), &c)?;
    let current = get(conn, id)?;
    let channel = c.channel.clone().unwrap_or(current.channel.clone());
    let name = c.name.clone().unwrap_or(current.name.clone());
    let contacts = c.contacts.clone().unwrap_or(current.contacts.clone());
    let identity_changes = c.channel.is_some() || c.name.is_some() || c.contacts.is_some();
    if identity_changes {
        enforce_r7(conn, process_id, Some(id), &channel, &name, &contacts)?;
    }
    // Replace contacts before the channel changes, so the old ones never collide in between.
    if c.contacts.is_some() {
        diesel::delete(tc::table.filter(tc::touchpoint_id.eq(id))).execute(conn)?;
    }
    let set = TouchpointChangeset {
        channel_code: c.channel.clone(),
        name: c.name.clone(),
        as_written: c.as_written.clone(),
        interaction: c.interaction.clone(),
        features: c.features.clone(),
        stated_mode: c.stated_mode,
        contactless_key: identity_changes.then(|| rules::contactless_key(&name, &contacts)),
        position: c.position,
        external_id: c.external_id.clone(),
        hours: c.hours.as_ref().map(json_of),
        address: c.address.as_ref().map(json_of),
        lat: c.geo.map(|g| g.map(|g| g.lat)),
        lon: c.geo.map(|g| g.map(|g| g.lon)),
        accessibility: c.accessibility.clone(),
    };
    let empty = set.channel_code.is_none()
        && set.name.is_none()
        && set.as_written.is_none()
        && set.interaction.is_none()
        && set.features.is_none()
        && set.stated_mode.is_none()
        && set.contactless_key.is_none()
        && set.position.is_none()
        && set.external_id.is_none()
        && !c.touches_place();
    if !empty {
        diesel::update(tp::table.find(id)).set(set).execute(conn)?;
    }
    if let Some(new_contacts) = &c.contacts {
        write_contacts(conn, id, process_id, &channel, new_contacts)?;
    }
    if let Some(needs) = &c.needs {
        diesel::delete(tn::table.filter(tn::touchpoint_id.eq(id))).execute(conn)?;
        write_needs(conn, id, needs)?;
    }
    if c.contacts.is_some() || c.needs.is_some() {
        // the parent row changes with its parts, so updated_at tells a client something changed
        diesel::update(tp::table.find(id))
            .set(tp::updated_at.eq(diesel::dsl::now))
            .execute(conn)?;
    }
    get(conn, id)
}

pub fn delete(conn: &mut PgConnection, id: Uuid) -> ApiResult<()> {
    match diesel::delete(tp::table.find(id)).execute(conn)? {
        0 => Err(ApiError::not_found("touchpoint", id)),
        _ => Ok(()),
    }
}
