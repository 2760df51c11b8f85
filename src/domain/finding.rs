//! A finding of the rule checker: what is wrong with a register, pointing at a row. A value
//! type below everything that reports findings (the checker, the errors of a refused
//! submission).

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    /// Breaks a rule of the procedure: a part with such findings cannot be submitted.
    Error,
    /// Kept as written, but worth a look (e.g. column 6 contradicting the agency's own rule).
    Warning,
}

/// One finding.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[schema(example = json!({"rule": "R6", "code": "mode_contradicts_rule", "severity": "warning", "row": 37,
    "process_id": "3d2c1b0a-9f8e-4d7c-8b6a-5f4e3d2c1b0a", "touchpoint_id": "7b0e3a52-6f0d-4a38-9a53-1d1c2d7c9e11",
    "message": "column 6 says digital, but the agency classifies «Почта России» (post) as offline"}))]
pub struct Finding {
    /// The procedures' rule: R4, R5, R6, R7, R10–R12 (deadlines) or `contacts`.
    pub rule: String,
    /// Stable code of the finding.
    pub code: String,
    pub severity: Severity,
    /// Row number (column 1) in the form; null for findings about the revision as a whole.
    pub row: Option<i32>,
    pub process_id: Option<Uuid>,
    pub touchpoint_id: Option<Uuid>,
    pub message: String,
}
