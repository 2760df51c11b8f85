//! Importing the official form (XLSX or CSV, as units keep it: R15) into a revision's working
//! copy, row by row, with a report. Rows that repeat a touchpoint already in the process are
//! merged into it (R7); nothing is written unless every row can be: a failed import leaves the
//! working copy as it was.

pub mod api;
mod bulk;
pub mod file;
pub mod parse;
pub mod recognize;
pub mod xlsx;

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use crate::domain::text;

pub use bulk::apply;

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
