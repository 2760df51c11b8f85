//! The import's engine. Everything the rows are decided against is read once (a fixed number
//! of queries whatever the file's size: the catalogs, the agency's directions, processes and
//! touchpoints with their contacts and needs); the rows are then decided in memory, in file
//! order, with the rules the database and the per-row edit path apply (R7 within the file and
//! against the stored rows, the catalogs' references, the tables' checks); and only a file
//! without a rejected row is written, with multi-row inserts, in the caller's transaction,
//! together with the history entries each row makes (`import` of a process or a touchpoint,
//! `import_merge` of a touchpoint).
//!
//! A refused row leaves no trace in what the rows after it see, as a savepoint per row did:
//! a row's changes ([`Op`]) are kept only once the row is accepted.

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, Utc};
use diesel::pg::PgConnection;
use diesel::prelude::*;
use uuid::Uuid;

use super::parse::{column_letter, Columns, FormRow};
use super::{
    direction_code, from_column, recognize, ImportReport, Inferred, RowOutcome, RowReport,
};
use crate::auth::User;
use crate::domain::{text, ClientType, Contact, ContactKind, Mode, ProcessKind};
use crate::error::{ApiError, ApiResult};
use crate::processes::model::Process;
use crate::schema::{
    audit_log, channel_types, client_needs, directions, processes, touchpoint_contacts as tc,
    touchpoint_needs as tn, touchpoints as tp, units,
};
use crate::schema_views::{agency_channel_rules, touchpoint_rows as tr};
use crate::touchpoints::model::Touchpoint;
use crate::touchpoints::rules::{self, Sibling};
use crate::workflow::db as wf_db;

/// Rows per multi-row statement where one is still used (directions, the needs' updates);
/// PostgreSQL takes at most 65535 parameters per statement. New rows go in with `COPY`.
const CHUNK: usize = 1000;

/// A process of the agency as the importer finds it: id, unit, client type.
type KnownProcess = (Uuid, Option<Uuid>, ClientType);

/// A direction visible to the agency: the catalog's and its own.
struct Direction {
    id: Uuid,
    code: Option<String>,
    folded: String,
}

/// A direction the import adds to the agency.
struct NewDirection {
    id: Uuid,
    name: String,
    position: i32,
}

/// One change an accepted row makes, in the order the rows made them.
enum Op {
    Direction(NewDirection),
    Process(Box<Process>),
    /// A new touchpoint, as it stands right after its creation.
    Create(Box<Touchpoint>),
    /// A touchpoint's needs replaced (R7): the touchpoint before, and its needs after.
    Merge {
        before: Box<Touchpoint>,
        needs: Vec<String>,
    },
}

/// Why a row could not go on: a client error is the row's refusal (reported with the process
/// cell, as the per-row importer reported an error its savepoint rolled back); anything else
/// stops the import.
enum Stop {
    Row(String),
    Fatal(ApiError),
}

impl From<ApiError> for Stop {
    fn from(e: ApiError) -> Self {
        match e {
            e @ ApiError::Client { .. } => Stop::Row(e.to_string()),
            e => Stop::Fatal(e),
        }
    }
}

/// What a violated check of a table reads like (see `From<DieselError> for ApiError`).
fn broken(constraint: &str) -> String {
    format!("the values break a rule of the register ({constraint})")
}

/// The message of a unique key of the touchpoint tables (contacts of one channel once per
/// process, a need once per touchpoint).
const DUPLICATE_CONTACT: &str =
    "the process already has a touchpoint with this channel and contact (R7)";

/// PostgreSQL's `btrim(s) <> ''` (spaces only) and `length(s) <= max` (characters).
fn text_ok(s: &str, max: usize) -> bool {
    !s.trim_matches(' ').is_empty() && s.chars().count() <= max
}

fn optional_ok(s: Option<&str>, max: usize) -> bool {
    s.is_none_or(|s| s.chars().count() <= max)
}

/// The database's checks of a new process, in the order PostgreSQL applies them (by name).
fn process_checks(name: &str, direction_label: Option<&str>) -> Result<(), String> {
    if !direction_label.is_none_or(|l| text_ok(l, 1000)) {
        return Err(broken("processes_direction_label_check"));
    }
    if !text_ok(name, 2000) {
        return Err(broken("processes_name_check"));
    }
    Ok(())
}

/// The database's checks of a new touchpoint, in the order PostgreSQL applies them.
fn touchpoint_checks(t: &Touchpoint) -> Result<(), String> {
    if !optional_ok(t.features.as_deref(), 4000) {
        return Err(broken("touchpoints_features_check"));
    }
    if !optional_ok(t.interaction.as_deref(), 4000) {
        return Err(broken("touchpoints_interaction_check"));
    }
    if !text_ok(&t.name, 1000) {
        return Err(broken("touchpoints_name_check"));
    }
    Ok(())
}

/// The contacts of a new touchpoint as the contacts table takes them, one after the other:
/// its checks, then R7's unique key among the touchpoint's own contacts.
fn contact_checks(contacts: &[Contact]) -> Result<(), String> {
    let mut seen: Vec<(ContactKind, &str)> = Vec::new();
    for c in contacts {
        if !c.label.as_deref().is_none_or(|l| text_ok(l, 300)) {
            return Err(broken("touchpoint_contacts_label_check"));
        }
        if c.normalized.is_empty() {
            return Err(broken("touchpoint_contacts_normalized_check"));
        }
        if !text_ok(&c.value, 2000) {
            return Err(broken("touchpoint_contacts_value_check"));
        }
        if seen.iter().any(|(k, n)| *k == c.kind && *n == c.normalized) {
            return Err(DUPLICATE_CONTACT.to_owned());
        }
        seen.push((c.kind, &c.normalized));
    }
    Ok(())
}

/// A need twice in one touchpoint breaks the needs table's key.
fn needs_unique(needs: &[String]) -> Result<(), String> {
    let mut seen = HashSet::new();
    if needs.iter().all(|n| seen.insert(n.as_str())) {
        Ok(())
    } else {
        Err(DUPLICATE_CONTACT.to_owned())
    }
}

/// Column 4 of a touchpoint as this service prints it (the agency's wording when kept).
fn printed(t: &Touchpoint) -> String {
    crate::public::render::column4(t.as_written.as_deref(), &t.name, &t.contacts)
}

fn sibling(t: &Touchpoint) -> Sibling {
    Sibling {
        id: t.id,
        name: t.name.clone(),
        channel: t.channel.clone(),
        contacts: t
            .contacts
            .iter()
            .map(|c| (c.kind, c.normalized.clone()))
            .collect(),
    }
}

/// The agency's working copy as the import sees it, read once and kept in step with the
/// accepted rows.
struct Register<'a> {
    user: &'a User,
    agency_id: Uuid,
    /// The transaction's time: what `now()` gives every row it inserts.
    now: DateTime<Utc>,
    /// Catalog need labels (folded) → codes.
    labels: HashMap<String, String>,
    /// Catalog need codes → their position (the order a touchpoint's needs are read in).
    need_positions: HashMap<String, i32>,
    /// Channel codes → the mark the agency's channel rule gives them (R6).
    implied: HashMap<String, Mode>,
    directions: Vec<Direction>,
    own_direction_max: i32,
    /// The agency of the caller's unit, when the token has one.
    unit_agency: Option<Option<Uuid>>,
    /// The agency's processes by folded name.
    processes: HashMap<String, Vec<KnownProcess>>,
    process_max: i32,
    /// Column-4 text of each process's touchpoints, folded, in position order.
    printed: HashMap<Uuid, Vec<(String, Uuid)>>,
    /// What R7 compares, per process.
    siblings: HashMap<Uuid, Vec<Sibling>>,
    position_max: HashMap<Uuid, i32>,
    touchpoints: HashMap<Uuid, Touchpoint>,
    /// `begin_edit` of each part touched so far: done, or the client error it gave.
    begun: HashMap<Option<Uuid>, Result<(), String>>,
    /// The revision the edits joined (`begin_edit`'s), for the history entries.
    revision: Option<Uuid>,
}

type TouchpointRow = (
    Uuid,
    Uuid,
    Uuid,
    String,
    String,
    Option<String>,
    Option<String>,
    Option<Mode>,
    Mode,
    i32,
    DateTime<Utc>,
    DateTime<Utc>,
    Option<String>,
);

/// id, agency (none: the catalog's), code, name, position.
type DirectionRow = (Uuid, Option<Uuid>, Option<String>, String, i32);

type ContactRow = (
    Uuid,
    ContactKind,
    String,
    String,
    Option<String>,
    Option<String>,
);

impl<'a> Register<'a> {
    fn load(conn: &mut PgConnection, user: &'a User, agency_id: Uuid) -> ApiResult<Self> {
        // every edit of the working copy takes the revision's lock first (`begin_edit`): taken
        // now, nothing read below changes before the import is written
        wf_db::active(conn, agency_id, true)?;
        let now: DateTime<Utc> =
            diesel::select(diesel::dsl::sql::<diesel::sql_types::Timestamptz>("now()"))
                .get_result(conn)?;
        let needs: Vec<(String, String, i32)> = client_needs::table
            .select((
                client_needs::label,
                client_needs::code,
                client_needs::position,
            ))
            .load(conn)?;
        let labels = needs
            .iter()
            .map(|(l, c, _)| (text::fold(l), c.clone()))
            .collect();
        let need_positions = needs.into_iter().map(|(_, c, p)| (c, p)).collect();
        let channels: Vec<(String, Mode)> = channel_types::table
            .select((channel_types::code, channel_types::default_mode))
            .load(conn)?;
        let rules: HashMap<String, Mode> = agency_channel_rules::table
            .filter(agency_channel_rules::agency_id.eq(agency_id))
            .select((
                agency_channel_rules::channel_code,
                agency_channel_rules::mode,
            ))
            .load::<(String, Mode)>(conn)?
            .into_iter()
            .collect();
        let implied = channels
            .into_iter()
            .map(|(c, default)| {
                let m = rules.get(&c).copied().unwrap_or(default);
                (c, m)
            })
            .collect();
        let dirs: Vec<DirectionRow> = directions::table
            .filter(
                directions::agency_id
                    .is_null()
                    .or(directions::agency_id.eq(agency_id)),
            )
            .select((
                directions::id,
                directions::agency_id,
                directions::code,
                directions::name,
                directions::position,
            ))
            .load(conn)?;
        let own_direction_max = dirs
            .iter()
            .filter(|d| d.1.is_some())
            .map(|d| d.4)
            .max()
            .unwrap_or(0);
        let directions = dirs
            .into_iter()
            .map(|(id, _, code, name, _)| Direction {
                id,
                code,
                folded: text::fold(&name),
            })
            .collect();
        let unit_agency = match user.unit_id {
            Some(u) => Some(
                units::table
                    .find(u)
                    .select(units::agency_id)
                    .first::<Uuid>(conn)
                    .optional()?,
            ),
            None => None,
        };
        let procs: Vec<(Uuid, String, Option<Uuid>, ClientType, i32)> = processes::table
            .filter(processes::agency_id.eq(agency_id))
            .order((processes::position, processes::id))
            .select((
                processes::id,
                processes::name,
                processes::unit_id,
                processes::client_type,
                processes::position,
            ))
            .load(conn)?;
        let process_max = procs.iter().map(|p| p.4).max().unwrap_or(0);
        let mut known: HashMap<String, Vec<KnownProcess>> = HashMap::new();
        for (id, name, unit, ct, _) in &procs {
            known
                .entry(text::fold(name))
                .or_default()
                .push((*id, *unit, *ct));
        }
        let touchpoints = load_touchpoints(conn, agency_id)?;
        let mut register = Register {
            user,
            agency_id,
            now,
            labels,
            need_positions,
            implied,
            directions,
            own_direction_max,
            unit_agency,
            processes: known,
            process_max,
            printed: HashMap::new(),
            siblings: HashMap::new(),
            position_max: HashMap::new(),
            touchpoints: HashMap::new(),
            begun: HashMap::new(),
            revision: None,
        };
        for (id, ..) in &procs {
            register.printed.insert(*id, Vec::new());
            register.siblings.insert(*id, Vec::new());
        }
        for t in touchpoints {
            register.add_touchpoint(t);
        }
        Ok(register)
    }

    fn add_touchpoint(&mut self, t: Touchpoint) {
        let max = self.position_max.entry(t.process_id).or_insert(0);
        *max = (*max).max(t.position);
        self.printed
            .entry(t.process_id)
            .or_default()
            .push((text::fold(&printed(&t)), t.id));
        self.siblings
            .entry(t.process_id)
            .or_default()
            .push(sibling(&t));
        self.touchpoints.insert(t.id, t);
    }

    /// Keeps an accepted row's changes, so the rows after it see them.
    fn commit(&mut self, ops: &[Op]) {
        for op in ops {
            match op {
                Op::Direction(d) => {
                    self.own_direction_max = d.position;
                    self.directions.push(Direction {
                        id: d.id,
                        code: None,
                        folded: text::fold(&d.name),
                    });
                }
                Op::Process(p) => {
                    self.process_max = p.position;
                    self.processes
                        .entry(text::fold(&p.name))
                        .or_default()
                        .push((p.id, p.unit_id, p.client_type));
                    self.printed.insert(p.id, Vec::new());
                    self.siblings.insert(p.id, Vec::new());
                }
                Op::Create(t) => self.add_touchpoint((**t).clone()),
                Op::Merge { before, needs } => {
                    if let Some(t) = self.touchpoints.get_mut(&before.id) {
                        t.needs = needs.clone();
                    }
                }
            }
        }
    }

    /// `begin_edit` of a part, once per part: it joins the revision in progress, clears the
    /// part's agreement and reopens a returned part; done again it changes nothing. A part it
    /// refuses is refused in a savepoint, so the refusal leaves nothing behind either.
    fn begin_edit(&mut self, conn: &mut PgConnection, unit: Option<Uuid>) -> Result<(), Stop> {
        if let Some(done) = self.begun.get(&unit) {
            return done.clone().map_err(Stop::Row);
        }
        let (user, agency_id) = (self.user, self.agency_id);
        let outcome =
            conn.transaction::<_, ApiError, _>(|c| wf_db::begin_edit(c, user, agency_id, &[unit]));
        let done = match outcome {
            Ok(revision) => {
                self.revision = Some(revision);
                Ok(())
            }
            Err(e @ ApiError::Client { .. }) => Err(e.to_string()),
            Err(e) => return Err(Stop::Fatal(e)),
        };
        self.begun.insert(unit, done.clone());
        done.map_err(Stop::Row)
    }

    /// The catalog's order of needs, as the database reads a touchpoint's needs back.
    fn in_catalog_order(&self, mut needs: Vec<String>) -> Vec<String> {
        needs.sort_by_key(|n| self.need_positions.get(n).copied().unwrap_or(i32::MAX));
        needs
    }

    /// The codes of `needs` that are not in the catalog, with the field errors' messages.
    fn unknown_needs(&self, needs: &[String]) -> Vec<(String, String)> {
        needs
            .iter()
            .filter(|n| !self.need_positions.contains_key(*n))
            .map(|u| {
                let i = needs.iter().position(|n| n == u).unwrap_or(0);
                (
                    format!("needs[{i}]"),
                    format!("{u:?} is not a client need code (see /api/v1/catalogs/needs)"),
                )
            })
            .collect()
    }

    /// Needs from column 5: the catalog labels this service writes, else the wording's meaning;
    /// none for an empty cell. Each is reported as inferred, with the cell it was read from.
    fn needs_of(&self, cell: &str, inferred: &mut Vec<Inferred>) -> Vec<String> {
        let parts: Vec<String> = cell
            .split(';')
            .map(text::fold)
            .filter(|p| !p.is_empty())
            .collect();
        let needs = if !parts.is_empty() && parts.iter().all(|p| self.labels.contains_key(p)) {
            parts.iter().map(|p| self.labels[p].clone()).collect()
        } else {
            recognize::needs(cell)
        };
        for n in &needs {
            inferred.push(Inferred::new("needs", n.clone(), from_column(5, cell)));
        }
        needs
    }

    /// The row's process: the agency's process of that name (of the client type the row's
    /// table names, when it names one), else a new one, in the submitter's unit when their
    /// token has one. What a new process was given and why goes to `inferred`.
    fn process_for(
        &mut self,
        conn: &mut PgConnection,
        row: &FormRow,
        inferred: &mut Vec<Inferred>,
        ops: &mut Vec<Op>,
    ) -> Result<(Uuid, Option<Uuid>), Stop> {
        let key = text::fold(&row.process);
        let stated = row.table.as_ref().map(|(ct, _)| *ct);
        if let Some(p) = self.processes.get(&key).and_then(|known| {
            known
                .iter()
                .find(|(_, _, ct)| stated.is_none_or(|s| s == *ct))
        }) {
            return Ok((p.0, p.1));
        }
        let folded = text::fold(&row.direction);
        let found = self.directions.iter().find(|d| d.folded == folded);
        let (direction_id, label) = match found {
            Some(d) => (d.id, None),
            None => {
                let by_code = direction_code(&row.direction).and_then(|code| {
                    self.directions
                        .iter()
                        .find(|d| d.code.as_deref() == Some(code))
                        .map(|d| (code, d.id))
                });
                match by_code {
                    Some((code, id)) => {
                        inferred.push(Inferred::new(
                            "direction",
                            code,
                            from_column(2, &row.direction),
                        ));
                        (id, Some(row.direction.clone()))
                    }
                    None => {
                        if !text_ok(&row.direction, 1000) {
                            return Err(Stop::Row(broken("directions_name_check")));
                        }
                        let d = NewDirection {
                            id: Uuid::now_v7(),
                            name: row.direction.clone(),
                            position: self.own_direction_max + 1,
                        };
                        let id = d.id;
                        ops.push(Op::Direction(d));
                        (id, None)
                    }
                }
            }
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
        let unit = self.user.unit_id.filter(|_| !self.user.is_admin());
        if let Some(u) = unit {
            inferred.push(Inferred::new(
                "unit_id",
                u.to_string(),
                "token: the submitter's unit",
            ));
        }
        // the edit path: rights, the part, the references, the table's checks
        self.user.require_editor(self.agency_id, unit)?;
        self.begin_edit(conn, unit)?;
        if let Some(u) = unit {
            if self.unit_agency.flatten() != Some(self.agency_id) {
                return Err(Stop::Row(format!(
                    "unit_id: unit {u} is not a unit of this agency"
                )));
            }
        }
        process_checks(&row.process, label.as_deref()).map_err(Stop::Row)?;
        // time-ordered ids (UUIDv7): a file's thousands of new rows land at the right edge of
        // each index that starts with an id, not on thousands of random pages (each dirtied
        // page costs a full-page image in the WAL after a checkpoint, and the cache its room)
        let p = Process {
            id: Uuid::now_v7(),
            agency_id: self.agency_id,
            direction_id,
            direction_label: label,
            unit_id: unit,
            name: row.process.clone(),
            registry_code: None,
            kind: ProcessKind::Function,
            client_type,
            position: self.process_max + 1,
            touchpoint_count: 0,
            created_at: self.now,
            updated_at: self.now,
            external_id: None,
        };
        let id = p.id;
        ops.push(Op::Process(Box::new(p)));
        Ok((id, unit))
    }

    /// A row that repeats an existing touchpoint (R7): its needs join the touchpoint's, unless
    /// the row words column 5 exactly as the touchpoint already does.
    fn merge(
        &self,
        mut report: RowReport,
        before: &Touchpoint,
        needs: Vec<String>,
        interaction: &str,
        ops: &mut Vec<Op>,
    ) -> Result<RowReport, Stop> {
        let same_wording =
            before.interaction.as_deref().map(text::fold) == Some(text::fold(interaction));
        let mut merged = before.needs.clone();
        merged.extend(needs.into_iter().filter(|n| !before.needs.contains(n)));
        if same_wording || merged == before.needs {
            report.outcome = RowOutcome::Unchanged;
        } else {
            let unknown = self.unknown_needs(&merged);
            if !unknown.is_empty() {
                let detail: Vec<String> = unknown.into_iter().map(|(_, m)| m).collect();
                return Err(Stop::Row(detail.join("; ")));
            }
            needs_unique(&merged).map_err(Stop::Row)?;
            ops.push(Op::Merge {
                before: Box::new(before.clone()),
                needs: self.in_catalog_order(merged),
            });
            report.outcome = RowOutcome::Merged;
        }
        Ok(report)
    }

    /// The first touchpoint of the process whose column 4 reads exactly like this cell: a file
    /// exported by this service comes back to the same touchpoints whatever the recogniser
    /// would make of it.
    fn printed_match(&self, process_id: Uuid, cell: &str) -> Option<Uuid> {
        let wanted = text::fold(cell);
        self.printed
            .get(&process_id)
            .and_then(|v| v.iter().find(|(p, _)| *p == wanted).map(|(_, id)| *id))
    }

    fn touchpoint(&self, id: Uuid) -> Result<&Touchpoint, Stop> {
        self.touchpoints
            .get(&id)
            .ok_or_else(|| Stop::Row(format!("touchpoint {id} does not exist")))
    }

    fn row(
        &mut self,
        conn: &mut PgConnection,
        cols: &Columns,
        row: &FormRow,
        ops: &mut Vec<Op>,
    ) -> Result<RowReport, Stop> {
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
        let (process_id, unit) = self.process_for(conn, row, &mut report.inferred, ops)?;
        if row.touchpoint.is_empty() {
            report.outcome = RowOutcome::ProcessOnly;
            return Ok(report);
        }
        self.user.require_editor(self.agency_id, unit)?;
        self.begin_edit(conn, unit)?;
        if let Some(existing) = self.printed_match(process_id, &row.touchpoint) {
            let before = self.touchpoint(existing)?;
            report.channel = Some(before.channel.clone());
            report.touchpoint_id = Some(existing);
            let needs = self.needs_of(&row.interaction, &mut report.inferred);
            return self.merge(report, before, needs, &row.interaction, ops);
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
        let needs = self.needs_of(&row.interaction, &mut report.inferred);
        let stated_mode = Mode::from_features(&row.features);
        if let Some(m) = stated_mode {
            report.inferred.push(Inferred::new(
                "stated_mode",
                m.as_str(),
                from_column(6, &row.features),
            ));
        }
        // the references first: the channel and the needs are the catalog's
        let mut unknown = Vec::new();
        if !self.implied.contains_key(channel) {
            unknown.push((
                "channel".to_owned(),
                format!(
                    "{channel:?} is not a channel type code (see /api/v1/catalogs/channel-types)"
                ),
            ));
        }
        unknown.extend(self.unknown_needs(&needs));
        if let Some((field, message)) = unknown.into_iter().next() {
            report.outcome = RowOutcome::Rejected;
            report.reason = Some(format!("{field}: {message}"));
            return Ok(report);
        }
        // R7: a touchpoint of the process it repeats takes the row's needs instead
        let duplicate = self
            .siblings
            .get(&process_id)
            .and_then(|s| rules::find_duplicate(s, channel, &name, &contacts));
        if let Some(d) = duplicate {
            report.touchpoint_id = Some(d.existing_id);
            let before = self.touchpoint(d.existing_id)?;
            return self.merge(report, before, needs, &row.interaction, ops);
        }
        let implied_mode = self.implied[channel];
        let t = Touchpoint {
            // time-ordered, as the processes' ids are
            id: Uuid::now_v7(),
            process_id,
            agency_id: self.agency_id,
            channel: channel.to_owned(),
            name,
            as_written: Some(row.touchpoint.clone()),
            contacts,
            needs: Vec::new(),
            interaction: Some(row.interaction.clone()).filter(|s| !s.is_empty()),
            features: Some(row.features.clone()).filter(|s| !s.is_empty()),
            stated_mode,
            implied_mode,
            mode_conflict: rules::mode_conflict(stated_mode, implied_mode),
            position: self.position_max.get(&process_id).copied().unwrap_or(0) + 1,
            hours: None,
            address: None,
            geo: None,
            accessibility: None,
            created_at: self.now,
            updated_at: self.now,
            external_id: None,
        };
        let checked = touchpoint_checks(&t)
            .and_then(|()| contact_checks(&t.contacts))
            .and_then(|()| needs_unique(&needs));
        if let Err(reason) = checked {
            report.outcome = RowOutcome::Rejected;
            report.reason = Some(reason);
            return Ok(report);
        }
        report.touchpoint_id = Some(t.id);
        let needs = self.in_catalog_order(needs);
        ops.push(Op::Create(Box::new(Touchpoint { needs, ..t })));
        Ok(report)
    }
}

/// The agency's touchpoints with their contacts and needs: three queries.
fn load_touchpoints(conn: &mut PgConnection, agency_id: Uuid) -> ApiResult<Vec<Touchpoint>> {
    let of_agency = processes::table
        .filter(processes::agency_id.eq(agency_id))
        .select(processes::id);
    let rows: Vec<TouchpointRow> = tr::table
        .filter(tr::agency_id.eq(agency_id))
        .order((tr::process_id, tr::position, tr::id))
        .select((
            tr::id,
            tr::process_id,
            tr::agency_id,
            tr::channel_code,
            tr::name,
            tr::interaction,
            tr::features,
            tr::stated_mode,
            tr::implied_mode,
            tr::position,
            tr::created_at,
            tr::updated_at,
            tr::as_written,
        ))
        .load(conn)?;
    let contact_rows: Vec<ContactRow> = tc::table
        .filter(tc::process_id.eq_any(of_agency))
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
        .inner_join(client_needs::table)
        .inner_join(tp::table)
        .filter(
            tp::process_id.eq_any(
                processes::table
                    .filter(processes::agency_id.eq(agency_id))
                    .select(processes::id),
            ),
        )
        .order((tn::touchpoint_id, client_needs::position))
        .select((tn::touchpoint_id, tn::need_code))
        .load(conn)?;
    let mut needs: HashMap<Uuid, Vec<String>> = HashMap::new();
    for (id, code) in need_rows {
        needs.entry(id).or_default().push(code);
    }
    Ok(rows
        .into_iter()
        .map(|r| Touchpoint {
            contacts: contacts.remove(&r.0).unwrap_or_default(),
            needs: needs.remove(&r.0).unwrap_or_default(),
            id: r.0,
            process_id: r.1,
            agency_id: r.2,
            channel: r.3,
            name: r.4,
            interaction: r.5,
            features: r.6,
            stated_mode: r.7,
            implied_mode: r.8,
            mode_conflict: rules::mode_conflict(r.7, r.8),
            position: r.9,
            // the import neither reads nor writes hours and places
            hours: None,
            address: None,
            geo: None,
            accessibility: None,
            created_at: r.10,
            updated_at: r.11,
            as_written: r.12,
            external_id: None,
        })
        .collect())
}

/// Decides every row (nothing is written yet): the report, and the accepted rows' changes.
fn decide(
    conn: &mut PgConnection,
    register: &mut Register<'_>,
    cols: &Columns,
    rows: &[FormRow],
) -> ApiResult<(Vec<RowReport>, Vec<Op>)> {
    let mut out = Vec::with_capacity(rows.len());
    let mut accepted = Vec::new();
    for row in rows {
        let mut ops = Vec::new();
        match register.row(conn, cols, row, &mut ops) {
            Ok(r) => {
                if r.outcome != RowOutcome::Rejected {
                    register.commit(&ops);
                    accepted.append(&mut ops);
                }
                out.push(r);
            }
            Err(Stop::Row(reason)) => out.push(RowReport {
                line: row.line,
                cell: format!("{}{}", column_letter(cols.process), row.line),
                outcome: RowOutcome::Rejected,
                process: row.process.clone(),
                channel: None,
                touchpoint_id: None,
                reason: Some(reason),
                inferred: Vec::new(),
            }),
            Err(Stop::Fatal(e)) => return Err(e),
        }
    }
    Ok((out, accepted))
}

/// Imports the rows into the agency's working copy inside the caller's transaction: every row
/// is decided first, then, when none is rejected, everything is written at once.
pub fn apply(
    conn: &mut PgConnection,
    user: &User,
    agency_id: Uuid,
    cols: &Columns,
    rows: &[FormRow],
) -> ApiResult<ImportReport> {
    let started = std::time::Instant::now();
    let mut register = Register::load(conn, user, agency_id)?;
    let loaded = started.elapsed();
    let (out, ops) = decide(conn, &mut register, cols, rows)?;
    let decided = started.elapsed();
    let count = |o: RowOutcome| out.iter().filter(|r| r.outcome == o).count() as i64;
    let report = ImportReport {
        dry_run: false,
        written: false,
        created: count(RowOutcome::Created),
        merged: count(RowOutcome::Merged),
        unchanged: count(RowOutcome::Unchanged),
        rejected: count(RowOutcome::Rejected),
        rows: out,
    };
    if report.rejected == 0 {
        write(conn, &register, ops)?;
    }
    // where an import's time goes, for the operator (and the import benchmark)
    tracing::info!(
        rows = rows.len(),
        load_ms = loaded.as_millis() as u64,
        decide_ms = (decided - loaded).as_millis() as u64,
        write_ms = (started.elapsed() - decided).as_millis() as u64,
        "import applied"
    );
    Ok(report)
}

/// Writes the accepted rows' changes, then their history entries in the rows' order: new
/// processes, touchpoints, contacts, needs and history entries each with one binary `COPY`
/// (no binding and planning of thousands of parameters, as multi-row INSERTs cost).
fn write(conn: &mut PgConnection, register: &Register<'_>, ops: Vec<Op>) -> ApiResult<()> {
    let agency_id = register.agency_id;
    let mut new_directions = Vec::new();
    let mut new_processes = Vec::new();
    let mut created: Vec<&Touchpoint> = Vec::new();
    // final needs of each touchpoint the rows merged into, and which of them are stored ones
    let mut final_needs: HashMap<Uuid, &Vec<String>> = HashMap::new();
    let mut merged_order: Vec<Uuid> = Vec::new();
    for op in &ops {
        match op {
            Op::Direction(d) => new_directions.push((
                directions::id.eq(d.id),
                directions::agency_id.eq(agency_id),
                directions::name.eq(&d.name),
                directions::position.eq(d.position),
            )),
            Op::Process(p) => new_processes.push((
                processes::id.eq(p.id),
                processes::agency_id.eq(agency_id),
                processes::direction_id.eq(p.direction_id),
                processes::direction_label.eq(&p.direction_label),
                processes::unit_id.eq(p.unit_id),
                processes::name.eq(&p.name),
                processes::kind.eq(p.kind),
                processes::client_type.eq(p.client_type),
                processes::position.eq(p.position),
            )),
            Op::Create(t) => created.push(t),
            Op::Merge { before, needs } => {
                if final_needs.insert(before.id, needs).is_none() {
                    merged_order.push(before.id);
                }
            }
        }
    }
    for chunk in new_directions.chunks(CHUNK) {
        diesel::insert_into(directions::table)
            .values(chunk)
            .execute(conn)?;
    }
    if !new_processes.is_empty() {
        diesel::copy_from(processes::table)
            .from_insertable(new_processes)
            .execute(conn)?;
    }
    let created_ids: HashSet<Uuid> = created.iter().map(|t| t.id).collect();
    if !created.is_empty() {
        let rows: Vec<_> = created
            .iter()
            .map(|t| {
                (
                    tp::id.eq(t.id),
                    tp::process_id.eq(t.process_id),
                    tp::channel_code.eq(&t.channel),
                    tp::name.eq(&t.name),
                    tp::as_written.eq(&t.as_written),
                    tp::interaction.eq(&t.interaction),
                    tp::features.eq(&t.features),
                    tp::stated_mode.eq(t.stated_mode),
                    tp::contactless_key.eq(rules::contactless_key(&t.name, &t.contacts)),
                    tp::position.eq(t.position),
                )
            })
            .collect();
        diesel::copy_from(tp::table)
            .from_insertable(rows)
            .execute(conn)?;
    }
    let contacts: Vec<_> = created
        .iter()
        .flat_map(|t| {
            t.contacts.iter().enumerate().map(|(i, c)| {
                (
                    // time-ordered here too (the column's default is a random UUID)
                    tc::id.eq(Uuid::now_v7()),
                    tc::touchpoint_id.eq(t.id),
                    tc::process_id.eq(t.process_id),
                    tc::channel_code.eq(&t.channel),
                    tc::kind.eq(c.kind),
                    tc::value.eq(&c.value),
                    tc::normalized.eq(&c.normalized),
                    tc::label.eq(&c.label),
                    tc::as_written.eq(&c.as_written),
                    tc::position.eq(i as i32),
                )
            })
        })
        .collect();
    if !contacts.is_empty() {
        diesel::copy_from(tc::table)
            .from_insertable(contacts)
            .execute(conn)?;
    }
    // stored touchpoints merged into get their needs anew, as an update of the needs does
    let stored: Vec<Uuid> = merged_order
        .iter()
        .copied()
        .filter(|id| !created_ids.contains(id))
        .collect();
    if !stored.is_empty() {
        diesel::delete(tn::table.filter(tn::touchpoint_id.eq_any(&stored))).execute(conn)?;
    }
    let needs: Vec<_> = created
        .iter()
        .map(|t| (t.id, final_needs.get(&t.id).copied().unwrap_or(&t.needs)))
        .chain(stored.iter().map(|id| (*id, final_needs[id])))
        .flat_map(|(id, needs)| {
            needs
                .iter()
                .map(move |n| (tn::touchpoint_id.eq(id), tn::need_code.eq(n)))
        })
        .collect();
    if !needs.is_empty() {
        diesel::copy_from(tn::table)
            .from_insertable(needs)
            .execute(conn)?;
    }
    // a touchpoint whose needs changed is updated, so its updated_at says so
    let mut updated_at: HashMap<Uuid, DateTime<Utc>> = HashMap::new();
    for chunk in merged_order.chunks(CHUNK) {
        let rows: Vec<(Uuid, DateTime<Utc>)> =
            diesel::update(tp::table.filter(tp::id.eq_any(chunk)))
                .set(tp::updated_at.eq(diesel::dsl::now))
                .returning((tp::id, tp::updated_at))
                .get_results(conn)?;
        updated_at.extend(rows);
    }
    record(conn, register, &ops, &updated_at)
}

/// The history entries of the rows, in their order: each new process and touchpoint
/// (`import`, its value after) and each merge (`import_merge`, the touchpoint before and after).
fn record(
    conn: &mut PgConnection,
    register: &Register<'_>,
    ops: &[Op],
    updated_at: &HashMap<Uuid, DateTime<Utc>>,
) -> ApiResult<()> {
    let user = register.user;
    let json = |v: serde_json::Result<serde_json::Value>| {
        v.map_err(|e| ApiError::Internal(anyhow::anyhow!("a history entry: {e}")))
    };
    let revision = register.revision;
    let mut merged: HashSet<Uuid> = HashSet::new();
    let mut entries = Vec::new();
    for op in ops {
        let (entity, entity_id, action, before, after) = match op {
            Op::Direction(_) => continue,
            Op::Process(p) => (
                "process",
                p.id,
                "import",
                None,
                json(serde_json::to_value(p))?,
            ),
            Op::Create(t) => (
                "touchpoint",
                t.id,
                "import",
                None,
                json(serde_json::to_value(t))?,
            ),
            Op::Merge { before, needs } => {
                let mut before = (**before).clone();
                if merged.contains(&before.id) {
                    if let Some(at) = updated_at.get(&before.id) {
                        before.updated_at = *at;
                    }
                }
                merged.insert(before.id);
                let mut after = before.clone();
                after.needs = needs.clone();
                if let Some(at) = updated_at.get(&after.id) {
                    after.updated_at = *at;
                }
                (
                    "touchpoint",
                    before.id,
                    "import_merge",
                    Some(json(serde_json::to_value(&before))?),
                    json(serde_json::to_value(&after))?,
                )
            }
        };
        entries.push((
            audit_log::agency_id.eq(register.agency_id),
            audit_log::revision_id.eq(revision),
            audit_log::entity.eq(entity),
            audit_log::entity_id.eq(entity_id.to_string()),
            audit_log::action.eq(action),
            audit_log::actor.eq(&user.sub),
            audit_log::actor_name.eq(user.display()),
            audit_log::before.eq(before),
            audit_log::after.eq(Some(after)),
        ));
    }
    if !entries.is_empty() {
        diesel::copy_from(audit_log::table)
            .from_insertable(entries)
            .execute(conn)?;
    }
    Ok(())
}
