//! The demo data: the two real registers of the seeds (МЧС Республики Дагестан, both tables;
//! Агентство информации и печати РД), transcribed in `data/demo/registers.json` and loaded
//! through the same validation and R7 checks as the API.

use std::collections::HashMap;

use anyhow::Context;
use diesel::pg::PgConnection;
use diesel::prelude::*;
use serde::Deserialize;
use uuid::Uuid;

use crate::agencies::db as agency_db;
use crate::agencies::NewAgency;
use crate::directions::db as direction_db;
use crate::domain::{
    text, AgencyKind, ClientType, Contact, ContactInput, ContactKind, Mode, ProcessKind,
};
use crate::error::{ApiError, ErrorCode};
use crate::processes::db as process_db;
use crate::processes::model::ProcessChanges;
use crate::schema::agencies;
use crate::touchpoints::db as touchpoint_db;
use crate::touchpoints::model::TouchpointChanges;
use crate::units::db as unit_db;
use crate::units::model::NewUnit;

/// The transcription, compiled into the binary so `serve --demo` works from any directory.
pub const REGISTERS_JSON: &str = include_str!("../data/demo/registers.json");

#[derive(Debug, Deserialize)]
pub struct DemoFile {
    pub agencies: Vec<DemoAgency>,
}

#[derive(Debug, Deserialize)]
pub struct DemoAgency {
    pub key: String,
    pub source: String,
    pub name: String,
    pub short_name: Option<String>,
    pub region: String,
    pub kind: AgencyKind,
    pub website: Option<String>,
    /// The yearly revision's due day, `MM-DD` (000 §3: by 1 February; 001 §3: by 1 March).
    pub yearly_revision: Option<String>,
    /// The form the register prints in (R13), as the seed prints it.
    #[serde(default)]
    pub form_profile: Option<crate::forms::db::FormProfile>,
    /// The order that approved the register (000: «28» 03 2024 г. № 53).
    #[serde(default)]
    pub approval_act: Option<crate::workflow::model::ApprovalActBody>,
    pub units: Vec<DemoUnit>,
    pub registers: Vec<DemoRegister>,
}

#[derive(Debug, Deserialize)]
pub struct DemoUnit {
    pub name: String,
}

#[derive(Debug, Deserialize)]
pub struct DemoRegister {
    pub client_type: ClientType,
    pub title: String,
    pub rows: Vec<DemoRow>,
}

/// One row of the seed's table: one touchpoint.
#[derive(Debug, Deserialize)]
pub struct DemoRow {
    pub n: u32,
    pub direction: String,
    pub direction_code: Option<String>,
    pub process: String,
    pub process_client_type: ClientType,
    pub unit: Option<String>,
    /// Column 4 exactly as the seed writes it (typos included); kept as the touchpoint's
    /// `as_written` and printed by the exports.
    pub touchpoint: String,
    pub channel: String,
    pub name: String,
    pub contacts: Vec<ContactInput>,
    pub needs: Vec<String>,
    pub interaction: String,
    pub features: String,
    pub stated_mode: Option<Mode>,
    pub note: Option<String>,
}

pub fn demo_file() -> anyhow::Result<DemoFile> {
    serde_json::from_str(REGISTERS_JSON).context("data/demo/registers.json does not parse")
}

/// What a load did.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct LoadReport {
    pub agencies_created: usize,
    pub agencies_skipped: usize,
    pub processes: usize,
    pub touchpoints: usize,
    /// Rows that duplicated a touchpoint of their process (R7) and were merged into it.
    pub merged: usize,
}

/// True when the database holds no agency at all (`serve --demo` loads only then).
pub fn database_is_empty(conn: &mut PgConnection) -> anyhow::Result<bool> {
    let n: i64 = agencies::table.count().get_result(conn)?;
    Ok(n == 0)
}

/// Loads every demo agency that is not there yet (matched by region and name); one
/// transaction per agency.
pub fn load(conn: &mut PgConnection) -> anyhow::Result<LoadReport> {
    let file = demo_file()?;
    let mut report = LoadReport::default();
    for agency in &file.agencies {
        let exists: bool = diesel::select(diesel::dsl::exists(
            agencies::table
                .filter(agencies::region.eq(&agency.region))
                .filter(agencies::name.eq(&agency.name)),
        ))
        .get_result(conn)?;
        if exists {
            report.agencies_skipped += 1;
            continue;
        }
        conn.transaction(|c| {
            let id = load_agency(c, agency, &mut report)?;
            if let Some(p) = &agency.form_profile {
                let p = p.clone().validate().map_err(ApiError::validation)?;
                crate::forms::db::put(c, id, &p, "demo-loader")?;
            }
            let act = match &agency.approval_act {
                Some(a) => a.clone().checked()?,
                None => Default::default(),
            };
            publish_baseline(c, id, &act)
        })
        .map_err(|e| anyhow::anyhow!("loading {} ({}): {e}", agency.key, agency.source))?;
        report.agencies_created += 1;
    }
    Ok(report)
}

/// Walks the loaded register through the workflow once, so the demo has a published version 1
/// with its history: opened, every part submitted and accepted, approved, published.
fn publish_baseline(
    conn: &mut PgConnection,
    agency_id: Uuid,
    act: &crate::forms::db::ActInput,
) -> Result<(), ApiError> {
    use crate::domain::state::PartAction;
    use crate::workflow::db as wf;
    use crate::workflow::model::RevisionReason;
    let loader = crate::auth::User {
        sub: "demo-loader".into(),
        name: "Загрузка демонстрационных данных".into(),
        roles: [crate::auth::Role::Admin].into_iter().collect(),
        agency_id: None,
        unit_id: None,
    };
    let none = crate::http::etag::IfMatch(None);
    let r = wf::open(
        conn,
        &loader,
        agency_id,
        RevisionReason::Other,
        Some("Перечень, утверждённый приказом (демонстрационные данные)".into()),
    )?;
    for part in wf::parts(conn, r.id)? {
        for action in [PartAction::Submit, PartAction::Accept] {
            crate::workflow::usecases::move_part(
                conn,
                &loader,
                r.id,
                part.unit_id,
                action,
                &none,
                Vec::new(),
            )?;
        }
    }
    wf::approve(conn, &loader, r.id, &none)?;
    crate::workflow::usecases::publish(conn, &loader, r.id, &none, act)?;
    Ok(())
}

fn load_agency(
    conn: &mut PgConnection,
    a: &DemoAgency,
    report: &mut LoadReport,
) -> Result<Uuid, ApiError> {
    let changes = NewAgency {
        name: a.name.clone(),
        short_name: a.short_name.clone(),
        region: a.region.clone(),
        kind: a.kind,
        website: a.website.clone(),
        // the demo bodies are Dagestan's: Moscow time, the default
        time_zone: None,
    }
    .validate()?;
    let agency = agency_db::insert(conn, None, changes)?;
    if let Some((m, d)) = a.yearly_revision.as_deref().and_then(|s| s.split_once('-')) {
        let mut settings = crate::workflow::settings::WorkflowSettings::default();
        settings.yearly_month = m.parse().ok().or(settings.yearly_month);
        settings.yearly_day = d.parse().ok().or(settings.yearly_day);
        crate::workflow::settings::put(conn, agency.id, &settings.validate()?)?;
    }
    let mut units: HashMap<String, Uuid> = HashMap::new();
    for u in &a.units {
        let unit = unit_db::insert(
            conn,
            agency.id,
            NewUnit {
                name: u.name.clone(),
                responsible_persons: Vec::new(),
            }
            .validate()?,
        )?;
        units.insert(u.name.clone(), unit.id);
    }
    let mut processes: HashMap<(Uuid, ClientType, String), Uuid> = HashMap::new();
    for register in &a.registers {
        for row in &register.rows {
            let at = || format!("{} row {}", register.title, row.n);
            let (direction_id, catalog_label) = direction_for(conn, agency.id, row)?;
            let key = (
                direction_id,
                row.process_client_type,
                text::fold(&row.process),
            );
            let process_id = match processes.get(&key) {
                Some(id) => *id,
                None => {
                    let unit_id = match &row.unit {
                        Some(name) => Some(*units.get(name).ok_or_else(|| {
                            ApiError::client(
                                ErrorCode::UnknownReference,
                                format!("{}: unit «{name}» is not listed", at()),
                            )
                        })?),
                        None => None,
                    };
                    let direction_label = (text::fold(&catalog_label)
                        != text::fold(&row.direction))
                    .then(|| text::normalize_spaces(&row.direction));
                    let process = process_db::insert(
                        conn,
                        agency.id,
                        ProcessChanges {
                            direction_id: Some(direction_id),
                            direction_label: Some(direction_label),
                            unit_id: Some(unit_id),
                            name: Some(text::normalize_spaces(&row.process)),
                            registry_code: None,
                            kind: Some(ProcessKind::Function),
                            client_type: Some(row.process_client_type),
                            position: None,
                            external_id: None,
                        },
                    )?;
                    report.processes += 1;
                    processes.insert(key, process.id);
                    process.id
                }
            };
            let mut contacts: Vec<Contact> = Vec::with_capacity(row.contacts.len());
            for (i, c) in row.contacts.iter().enumerate() {
                let parsed = Contact::read(&format!("contacts[{i}]"), c).or_else(|e| {
                    // «+7(8722) 55-05-28, 51-61-24»: a local number shares the previous one's area code
                    let previous = contacts
                        .iter()
                        .rev()
                        .find(|p| p.kind == ContactKind::Phone)
                        .map(|p| p.value.clone());
                    match (
                        c.kind,
                        previous
                            .and_then(|p| crate::domain::contact::expand_local_phone(&c.value, &p)),
                    ) {
                        (ContactKind::Phone, Some(full)) => Contact::parse(
                            "c",
                            &ContactInput {
                                kind: ContactKind::Phone,
                                value: full,
                                label: c.label.clone(),
                            },
                        )
                        .map(|p| p.written_as(&c.value)),
                        _ => Err(e),
                    }
                });
                contacts.push(parsed.unwrap_or_else(|e| {
                    // keep what the seed wrote rather than drop it
                    tracing::warn!(row = %at(), error = %e.message, "demo contact kept as text");
                    Contact::parse(
                        "c",
                        &ContactInput {
                            kind: ContactKind::Text,
                            value: c.value.clone(),
                            label: c.label.clone(),
                        },
                    )
                    .expect("a non-empty text contact is valid")
                }));
            }
            let changes = TouchpointChanges {
                channel: Some(row.channel.clone()),
                name: Some(text::normalize_spaces(&row.name)),
                // column 4 exactly as the seed writes it: the exports print this
                as_written: Some(Some(row.touchpoint.clone())),
                contacts: Some(contacts),
                needs: Some(row.needs.clone()),
                interaction: Some(
                    text::optional("interaction", Some(&row.interaction), text::DETAILS_MAX)
                        .map_err(|e| ApiError::validation(vec![e]))?,
                ),
                features: Some(
                    text::optional("features", Some(&row.features), text::DETAILS_MAX)
                        .map_err(|e| ApiError::validation(vec![e]))?,
                ),
                stated_mode: Some(row.stated_mode),
                position: None,
                external_id: None,
                // the seeds print no hours or addresses of their own: none are made up
                ..Default::default()
            };
            match touchpoint_db::insert(conn, process_id, changes) {
                Ok(_) => report.touchpoints += 1,
                Err(ApiError::Client {
                    code: ErrorCode::DuplicateTouchpoint,
                    existing_id: Some(existing),
                    ..
                }) => {
                    // R7: one touchpoint, several needs
                    let current = touchpoint_db::get(conn, existing)?;
                    let mut needs = current.needs.clone();
                    needs.extend(
                        row.needs
                            .iter()
                            .filter(|n| !current.needs.contains(n))
                            .cloned(),
                    );
                    touchpoint_db::update(
                        conn,
                        existing,
                        TouchpointChanges {
                            needs: Some(needs),
                            ..Default::default()
                        },
                    )?;
                    report.merged += 1;
                }
                Err(e) => return Err(ApiError::client(e.code(), format!("{}: {e}", at()))),
            }
        }
    }
    Ok(agency.id)
}

/// The catalog direction the row names by code, or the agency's own direction of that name
/// (created on first use). Returns the direction's id and its label.
fn direction_for(
    conn: &mut PgConnection,
    agency_id: Uuid,
    row: &DemoRow,
) -> Result<(Uuid, String), ApiError> {
    if let Some(code) = &row.direction_code {
        let d = direction_db::by_code(conn, code)?.ok_or_else(|| {
            ApiError::client(
                ErrorCode::UnknownReference,
                format!("row {}: no catalog direction {code}", row.n),
            )
        })?;
        return Ok((d.id, d.name));
    }
    let name = text::normalize_spaces(&row.direction);
    match direction_db::find_by_name(conn, agency_id, &name)? {
        Some(d) => Ok((d.id, d.name)),
        None => {
            let d = direction_db::insert(conn, agency_id, name)?;
            Ok((d.id, d.name))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_transcription_is_complete_and_consistent() {
        let file = demo_file().unwrap();
        assert_eq!(file.agencies.len(), 2);
        for a in &file.agencies {
            let units: Vec<&str> = a.units.iter().map(|u| u.name.as_str()).collect();
            for r in &a.registers {
                for (i, row) in r.rows.iter().enumerate() {
                    assert_eq!(row.n as usize, i + 1, "{} numbering", a.key);
                    assert!(
                        !row.needs.is_empty(),
                        "{} row {} has no needs",
                        a.key,
                        row.n
                    );
                    // each contact is spelled as in the cell, which is kept verbatim
                    for c in &row.contacts {
                        assert!(
                            row.touchpoint.contains(&c.value),
                            "{} row {}: «{}» is not in «{}»",
                            a.key,
                            row.n,
                            c.value,
                            row.touchpoint
                        );
                    }
                    if let Some(u) = &row.unit {
                        assert!(
                            units.contains(&u.as_str()),
                            "{} row {}: unknown unit {u}",
                            a.key,
                            row.n
                        );
                    }
                    assert_eq!(
                        row.stated_mode,
                        Mode::from_features(&row.features).or(row.stated_mode),
                        "{} row {}",
                        a.key,
                        row.n
                    );
                }
            }
        }
    }
}
