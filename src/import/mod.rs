//! Importing the official form (XLSX or CSV, as units keep it: R15) into a revision's working
//! copy, row by row, with a report. Rows that repeat a touchpoint already in the process are
//! merged into it (R7); nothing is written unless every row can be: a failed import leaves the
//! working copy as it was.

pub mod api;
pub mod file;
pub mod parse;
pub mod recognize;
pub mod xlsx;

use std::collections::HashMap;

use diesel::pg::PgConnection;
use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use crate::auth::User;
use crate::directions::db as direction_db;
use crate::domain::{text, ClientType, Contact, Mode, ProcessKind};
use crate::error::{ApiError, ApiResult, ErrorCode};
use crate::processes::db as process_db;
use crate::processes::model::ProcessChanges;
use crate::schema::{client_needs, processes};
use crate::touchpoints::db as touchpoint_db;
use crate::touchpoints::model::TouchpointChanges;
use crate::workflow::edit::{edit_working_copy, Change};
use parse::{column_letter, Columns, FormRow};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum RowOutcome {
    /// A new touchpoint (and, if needed, a new process or direction).
    Created,
    /// The same touchpoint as one already in the process (R7): its needs were added to it.
    Merged,
    /// The same touchpoint with the same wording: nothing to change.
    Unchanged,
    /// A process row without a touchpoint (R4 will report it).
    ProcessOnly,
    /// Not importable; `reason` and `cell` say why.
    Rejected,
}

/// A value the importer inferred rather than read as written, and from where.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[schema(example = json!({"field": "needs", "value": "consultation", "from": "column 5 text «Получение консультации клиентом»"}))]
pub struct Inferred {
    /// The field given the value: `channel`, `name`, `contacts`, `needs`, `stated_mode` of the
    /// touchpoint; `direction`, `client_type`, `kind`, `unit_id` of a new process.
    pub field: String,
    /// The value (a code, a contact's normalised value, a unit id).
    pub value: String,
    /// Where it came from: `column 5 text «…»`, `heading «…»`, `default: …`, `token`.
    pub from: String,
}

impl Inferred {
    fn new(field: &str, value: impl Into<String>, from: impl Into<String>) -> Self {
        Inferred {
            field: field.to_owned(),
            value: value.into(),
            from: from.into(),
        }
    }
}

/// `column N text «…»`, the cell shortened to 200 characters.
fn from_column(n: u8, cell: &str) -> String {
    let short: String = cell.chars().take(200).collect();
    let more = if short.len() < cell.len() { "…" } else { "" };
    format!("column {n} text «{short}{more}»")
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct RowReport {
    /// Row number in the file.
    pub line: usize,
    /// The cell the outcome is about, e.g. `D12`.
    pub cell: String,
    pub outcome: RowOutcome,
    pub process: String,
    pub channel: Option<String>,
    pub touchpoint_id: Option<Uuid>,
    pub reason: Option<String>,
    /// Every value of the row that was inferred rather than written (channel, contacts and
    /// needs recognised from the text, the client type of a new process from its table's
    /// heading or a default…), each with where it came from. Column 4 itself is kept as
    /// written in the touchpoint's `as_written`.
    #[serde(default)]
    pub inferred: Vec<Inferred>,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct ImportReport {
    /// True when nothing was written (a dry run, or a file with rejected rows).
    pub dry_run: bool,
    pub written: bool,
    pub rows: Vec<RowReport>,
    pub created: i64,
    pub merged: i64,
    pub unchanged: i64,
    pub rejected: i64,
}

/// Catalog direction codes recognised from an agency's own wording of a direction.
fn direction_code(wording: &str) -> Option<&'static str> {
    let w = text::fold(wording);
    let has = |s: &str| w.contains(s);
    Some(if has("обращени") {
        "appeals"
    } else if has("доступ") && has("информац") {
        "information_access"
    } else if has("внутренн") || has("кадров") {
        "internal_relations"
    } else if has("информационно-техническ") {
        "it_support"
    } else if has("бухгалтер") {
        "accounting"
    } else if has("хозяйствен") || has("закуп") {
        "procurement"
    } else if has("государственных услуг") {
        "state_services"
    } else if has("поддержк") {
        "state_support"
    } else if has("контрол") && !has("региональн") {
        "state_control"
    } else {
        return None;
    })
}

/// A process of the agency as the importer finds it: id, unit, client type.
type KnownProcess = (Uuid, Option<Uuid>, ClientType);

struct Context<'a> {
    user: &'a User,
    agency_id: Uuid,
    labels: HashMap<String, String>,
    /// The agency's processes by folded name.
    processes: HashMap<String, Vec<KnownProcess>>,
    /// Column-4 text of the touchpoints already in each process, as this service prints it.
    printed: HashMap<Uuid, Vec<(String, Uuid)>>,
}

/// The touchpoint of the process whose column 4 reads exactly like this cell: a file exported
/// by this service comes back to the same touchpoints whatever the recogniser would make of it.
fn printed_match(
    conn: &mut PgConnection,
    ctx: &mut Context<'_>,
    process_id: Uuid,
    cell: &str,
) -> ApiResult<Option<Uuid>> {
    if let std::collections::hash_map::Entry::Vacant(slot) = ctx.printed.entry(process_id) {
        let filter = crate::touchpoints::db::TouchpointFilter {
            process_id: Some(process_id),
            ..Default::default()
        };
        let (points, _) = touchpoint_db::list(
            conn,
            &filter,
            crate::touchpoints::db::TouchpointSort::Position,
            crate::http::Paging {
                limit: 10_000,
                offset: 0,
            },
        )?;
        slot.insert(
            points
                .iter()
                .map(|t| (text::fold(&printed(t)), t.id))
                .collect(),
        );
    }
    let wanted = text::fold(cell);
    Ok(ctx
        .printed
        .get(&process_id)
        .and_then(|v| v.iter().find(|(p, _)| *p == wanted).map(|(_, id)| *id)))
}

/// Column 4 of a touchpoint as this service prints it (the agency's wording when kept).
fn printed(t: &crate::touchpoints::model::Touchpoint) -> String {
    crate::public::render::column4(t.as_written.as_deref(), &t.name, &t.contacts)
}

/// Needs from column 5: the catalog labels this service writes, else the wording's meaning;
/// none for an empty cell. Each is reported as inferred, with the cell it was read from.
fn needs_of(ctx: &Context<'_>, cell: &str, inferred: &mut Vec<Inferred>) -> Vec<String> {
    let parts: Vec<String> = cell
        .split(';')
        .map(text::fold)
        .filter(|p| !p.is_empty())
        .collect();
    let needs = if !parts.is_empty() && parts.iter().all(|p| ctx.labels.contains_key(p)) {
        parts.iter().map(|p| ctx.labels[p].clone()).collect()
    } else {
        recognize::needs(cell)
    };
    for n in &needs {
        inferred.push(Inferred::new("needs", n.clone(), from_column(5, cell)));
    }
    needs
}

/// The row's process: the agency's process of that name (of the client type the row's table
/// names, when it names one), else a new one, in the submitter's unit when their token has one.
/// What a new process was given and why goes to `inferred`.
fn process_for(
    conn: &mut PgConnection,
    ctx: &mut Context<'_>,
    row: &FormRow,
    inferred: &mut Vec<Inferred>,
) -> ApiResult<(Uuid, Option<Uuid>)> {
    let key = text::fold(&row.process);
    let stated = row.table.as_ref().map(|(ct, _)| *ct);
    if let Some(p) = ctx.processes.get(&key).and_then(|known| {
        known
            .iter()
            .find(|(_, _, ct)| stated.is_none_or(|s| s == *ct))
    }) {
        return Ok((p.0, p.1));
    }
    let (direction_id, label) =
        match direction_db::find_by_name(conn, ctx.agency_id, &row.direction)? {
            Some(d) => (d.id, None),
            None => match direction_code(&row.direction)
                .map(|c| direction_db::by_code(conn, c).map(|d| d.map(|d| (c, d))))
                .transpose()?
                .flatten()
            {
                Some((code, d)) => {
                    inferred.push(Inferred::new(
                        "direction",
                        code,
                        from_column(2, &row.direction),
                    ));
                    (d.id, Some(row.direction.clone()))
                }
                None => (
                    direction_db::insert(conn, ctx.agency_id, row.direction.clone())?.id,
                    None,
                ),
            },
        };
    let client_type = match &row.table {
        Some((ct, heading)) => {
            inferred.push(Inferred::new(
                "client_type",
                ct.as_str(),
                format!("heading «{heading}»"),
            ));
            *ct
        }
        None => {
            inferred.push(Inferred::new(
                "client_type",
                ClientType::External.as_str(),
                "default: the file names no client type (no heading «…с внутренним/внешним клиентом»)",
            ));
            ClientType::External
        }
    };
    inferred.push(Inferred::new(
        "kind",
        ProcessKind::Function.as_str(),
        "default: the form does not say service, function or digital service",
    ));
    // a unit's submitter fills in their unit's part: the processes they add are the unit's
    let unit = ctx.user.unit_id.filter(|_| !ctx.user.is_admin());
    if let Some(u) = unit {
        inferred.push(Inferred::new(
            "unit_id",
            u.to_string(),
            "token: the submitter's unit",
        ));
    }
    let changes = ProcessChanges {
        direction_id: Some(direction_id),
        direction_label: Some(label),
        unit_id: Some(unit),
        name: Some(row.process.clone()),
        registry_code: None,
        kind: Some(ProcessKind::Function),
        client_type: Some(client_type),
        position: None,
    };
    let agency_id = ctx.agency_id;
    let p = edit_working_copy(
        conn,
        ctx.user,
        import_change(ctx, unit, "process", None, "import"),
        None,
        None::<&()>,
        |c| process_db::insert(c, agency_id, changes),
    )?;
    ctx.processes
        .entry(key)
        .or_default()
        .push((p.id, unit, client_type));
    Ok((p.id, unit))
}

fn import_row(
    conn: &mut PgConnection,
    ctx: &mut Context<'_>,
    cols: &Columns,
    row: &FormRow,
) -> ApiResult<RowReport> {
    let cell = |col: usize| format!("{}{}", column_letter(col), row.line);
    let mut report = RowReport {
        line: row.line,
        cell: cell(cols.touchpoint),
        outcome: RowOutcome::Created,
        process: row.process.clone(),
        channel: None,
        touchpoint_id: None,
        reason: None,
        inferred: Vec::new(),
    };
    if row.process.is_empty() || row.direction.is_empty() {
        report.outcome = RowOutcome::Rejected;
        report.cell = cell(if row.direction.is_empty() {
            cols.direction
        } else {
            cols.process
        });
        report.reason = Some("no direction or process above this row".into());
        return Ok(report);
    }
    let (process_id, unit) = process_for(conn, ctx, row, &mut report.inferred)?;
    if row.touchpoint.is_empty() {
        report.outcome = RowOutcome::ProcessOnly;
        return Ok(report);
    }
    ctx.user.require_editor(ctx.agency_id, unit)?;
    crate::workflow::db::begin_edit(conn, ctx.user, ctx.agency_id, &[unit])?;
    if let Some(existing) = printed_match(conn, ctx, process_id, &row.touchpoint)? {
        let before = touchpoint_db::get(conn, existing)?;
        report.channel = Some(before.channel.clone());
        report.touchpoint_id = Some(existing);
        let needs = needs_of(ctx, &row.interaction, &mut report.inferred);
        return merge(conn, ctx, unit, report, before, needs, &row.interaction);
    }
    let (name, written) = recognize::contacts_as_written(&row.touchpoint);
    let inputs: Vec<_> = written.iter().map(|(c, _)| c.clone()).collect();
    let channel = recognize::channel(&row.touchpoint, &inputs);
    report.channel = Some(channel.to_owned());
    let column4 = from_column(4, &row.touchpoint);
    report
        .inferred
        .push(Inferred::new("channel", channel, column4.clone()));
    let mut contacts = Vec::new();
    for (i, (c, spelled)) in written.iter().enumerate() {
        match Contact::parse(&format!("contacts[{i}]"), c) {
            Ok(c) => {
                report.inferred.push(Inferred::new(
                    "contacts",
                    format!("{} {}", c.kind.as_str(), c.value),
                    column4.clone(),
                ));
                contacts.push(c.written_as(spelled));
            }
            Err(e) => {
                report.outcome = RowOutcome::Rejected;
                report.reason = Some(format!("{}: {}", c.value, e.message));
                return Ok(report);
            }
        }
    }
    let name = if name.is_empty() {
        row.touchpoint.chars().take(200).collect()
    } else {
        name
    };
    report
        .inferred
        .push(Inferred::new("name", name.clone(), column4.clone()));
    let needs = needs_of(ctx, &row.interaction, &mut report.inferred);
    let stated_mode = Mode::from_features(&row.features);
    if let Some(m) = stated_mode {
        report.inferred.push(Inferred::new(
            "stated_mode",
            m.as_str(),
            from_column(6, &row.features),
        ));
    }
    let changes = TouchpointChanges {
        channel: Some(channel.to_owned()),
        name: Some(name),
        as_written: Some(Some(row.touchpoint.clone())),
        contacts: Some(contacts),
        needs: Some(needs.clone()),
        interaction: Some(Some(row.interaction.clone()).filter(|s| !s.is_empty())),
        features: Some(Some(row.features.clone()).filter(|s| !s.is_empty())),
        stated_mode: Some(stated_mode),
        position: None,
    };
    let change = import_change(ctx, unit, "touchpoint", None, "import");
    let inserted = edit_working_copy(conn, ctx.user, change, None, None::<&()>, |c| {
        touchpoint_db::insert(c, process_id, changes)
    });
    match inserted {
        Ok(t) => {
            report.touchpoint_id = Some(t.id);
            if let Some(v) = ctx.printed.get_mut(&process_id) {
                v.push((text::fold(&printed(&t)), t.id));
            }
        }
        Err(ApiError::Client {
            code: ErrorCode::DuplicateTouchpoint,
            existing_id: Some(existing),
            ..
        }) => {
            report.touchpoint_id = Some(existing);
            let before = touchpoint_db::get(conn, existing)?;
            return merge(conn, ctx, unit, report, before, needs, &row.interaction);
        }
        Err(ApiError::Client { detail, errors, .. }) => {
            report.outcome = RowOutcome::Rejected;
            report.reason = Some(
                errors
                    .first()
                    .map(|e| format!("{}: {}", e.field, e.message))
                    .unwrap_or(detail),
            );
        }
        Err(e) => return Err(e),
    }
    Ok(report)
}

/// A row that repeats an existing touchpoint (R7): its needs join the touchpoint's, unless the
/// row words column 5 exactly as the touchpoint already does. `unit` owns the row's process.
fn merge(
    conn: &mut PgConnection,
    ctx: &Context<'_>,
    unit: Option<Uuid>,
    mut report: RowReport,
    before: crate::touchpoints::model::Touchpoint,
    needs: Vec<String>,
    interaction: &str,
) -> ApiResult<RowReport> {
    let same_wording =
        before.interaction.as_deref().map(text::fold) == Some(text::fold(interaction));
    let mut merged = before.needs.clone();
    merged.extend(needs.into_iter().filter(|n| !before.needs.contains(n)));
    if same_wording || merged == before.needs {
        report.outcome = RowOutcome::Unchanged;
    } else {
        let id = before.id;
        let change = import_change(ctx, unit, "touchpoint", Some(id), "import_merge");
        let changes = TouchpointChanges {
            needs: Some(merged),
            ..Default::default()
        };
        edit_working_copy(conn, ctx.user, change, None, Some(&before), |c| {
            touchpoint_db::update(c, id, changes)
        })?;
        report.outcome = RowOutcome::Merged;
    }
    Ok(report)
}

/// Imports the rows into the agency's working copy inside the caller's transaction (each row
/// through `workflow::edit`, which joins the agency's revision in progress: the one the caller
/// checked). Returns the report and whether everything can be kept (no rejected row).
pub fn apply(
    conn: &mut PgConnection,
    user: &User,
    agency_id: Uuid,
    cols: &Columns,
    rows: &[FormRow],
) -> ApiResult<ImportReport> {
    let labels: HashMap<String, String> = client_needs::table
        .select((client_needs::label, client_needs::code))
        .load::<(String, String)>(conn)?
        .into_iter()
        .map(|(l, c)| (text::fold(&l), c))
        .collect();
    let procs: Vec<(Uuid, String, Option<Uuid>, ClientType)> = processes::table
        .filter(processes::agency_id.eq(agency_id))
        .order((processes::position, processes::id))
        .select((
            processes::id,
            processes::name,
            processes::unit_id,
            processes::client_type,
        ))
        .load(conn)?;
    let mut known: HashMap<String, Vec<KnownProcess>> = HashMap::new();
    for (id, name, unit, ct) in procs {
        known
            .entry(text::fold(&name))
            .or_default()
            .push((id, unit, ct));
    }
    let mut ctx = Context {
        user,
        agency_id,
        labels,
        processes: known,
        printed: HashMap::new(),
    };
    let mut out = Vec::with_capacity(rows.len());
    for row in rows {
        // a savepoint per row, so a refused row leaves no trace while the others go on
        let saved = (ctx.processes.clone(), ctx.printed.clone());
        let r = conn.transaction::<RowReport, ApiError, _>(|c| {
            let r = import_row(c, &mut ctx, cols, row)?;
            if r.outcome == RowOutcome::Rejected {
                Err(RowRejected(r).into())
            } else {
                Ok(r)
            }
        });
        match r {
            Ok(r) => out.push(r),
            Err(e) => {
                (ctx.processes, ctx.printed) = saved;
                match e {
                    ApiError::Internal(e) if e.is::<RowRejected>() => out.push(
                        e.downcast::<RowRejected>()
                            .map(|r| r.0)
                            .map_err(ApiError::Internal)?,
                    ),
                    e @ ApiError::Client { .. } => out.push(RowReport {
                        line: row.line,
                        cell: format!("{}{}", column_letter(cols.process), row.line),
                        outcome: RowOutcome::Rejected,
                        process: row.process.clone(),
                        channel: None,
                        touchpoint_id: None,
                        reason: Some(e.to_string()),
                        inferred: Vec::new(),
                    }),
                    e => return Err(e),
                }
            }
        }
    }
    let count = |o: RowOutcome| out.iter().filter(|r| r.outcome == o).count() as i64;
    Ok(ImportReport {
        dry_run: false,
        written: false,
        created: count(RowOutcome::Created),
        merged: count(RowOutcome::Merged),
        unchanged: count(RowOutcome::Unchanged),
        rejected: count(RowOutcome::Rejected),
        rows: out,
    })
}

/// A rejected row travels out of its savepoint as an error, so the savepoint rolls back.
#[derive(Debug)]
struct RowRejected(RowReport);

impl std::fmt::Display for RowRejected {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "row {} rejected", self.0.line)
    }
}

impl std::error::Error for RowRejected {}

impl From<RowRejected> for ApiError {
    fn from(r: RowRejected) -> Self {
        ApiError::Internal(anyhow::Error::new(r))
    }
}

/// An imported row's change of the working copy (see `workflow::edit`).
fn import_change<'a>(
    ctx: &Context<'_>,
    unit: Option<Uuid>,
    entity: &'a str,
    id: Option<Uuid>,
    action: &'a str,
) -> Change<'a> {
    Change {
        agency_id: ctx.agency_id,
        parts: vec![unit],
        entity,
        entity_id: id.map(|i| i.to_string()),
        action,
    }
}
