use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use super::state::{PartStatus, RevisionStatus};
use crate::domain::text;
use crate::error::{ApiError, FieldError};

crate::domain::enums::text_enum! {
    /// Why a revision is opened (R12).
    pub enum RevisionReason {
        /// The scheduled yearly revision (by 1 Feb, 1 Mar, or the 31 Dec monitoring).
        YearlyRevision => "yearly_revision",
        /// The quarterly analysis (004 §20).
        QuarterlyAnalysis => "quarterly_analysis",
        /// A regulation changed.
        RegulationChange => "regulation_change",
        /// A process was added to or removed from the registry.
        ProcessAddedRemoved => "process_added_removed",
        TouchpointChanged => "touchpoint_changed",
        NeedsChanged => "needs_changed",
        ChannelChanged => "channel_changed",
        /// Anything else; `comment` says what.
        Other => "other",
    }
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"reason": "yearly_revision", "comment": "Ежегодная актуализация до 1 февраля"}))]
pub struct NewRevision {
    pub reason: RevisionReason,
    /// Required when the reason is `other`.
    #[serde(default)]
    #[schema(max_length = 4000)]
    pub comment: Option<String>,
}

/// A unit's part of a revision.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Part {
    /// The unit's id, or `agency` for the processes that belong to the agency as a whole.
    #[schema(example = "agency")]
    pub unit_id: String,
    pub unit_name: Option<String>,
    pub status: PartStatus,
    pub submitted_at: Option<DateTime<Utc>>,
    pub returned_at: Option<DateTime<Utc>>,
    pub accepted_at: Option<DateTime<Utc>>,
    /// Who agreed the part before its submission (000 §III.1: the official curating the unit,
    /// `POST /revisions/{id}/parts/{unit_id}/agree`): the `sub` of their token. Null: not
    /// agreed, or the agreement was cleared by an edit of the part, a return or a refusal.
    #[serde(default)]
    #[schema(example = "deputy-1")]
    pub agreed_by: Option<String>,
    #[serde(default)]
    #[schema(example = "Магомедов М.М.")]
    pub agreed_by_name: Option<String>,
    /// The official (the unit's curator) the agreement was given as.
    #[serde(default)]
    #[schema(example = "3f1c2b4a-5d6e-4f70-8a9b-0c1d2e3f4a5b")]
    pub agreed_official_id: Option<Uuid>,
    #[serde(default)]
    #[schema(example = "2026-01-20T09:30:00Z")]
    pub agreed_at: Option<DateTime<Utc>>,
    /// Send it as `If-Match` with a transition of this part to refuse a stale one (412).
    pub etag: String,
    pub updated_at: DateTime<Utc>,
}

/// One step of the approval chain (R9): who must agree it, who did.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct ApprovalStep {
    pub step: i32,
    /// `unit_head`, `direction_curator`, `official` or `any_approver`.
    #[schema(example = "unit_head")]
    pub kind: String,
    pub name: String,
    /// The officials who must agree it, each once (empty for an `any_approver` step, and for a
    /// step naming nobody because the revision changed nothing of theirs). Shown while the
    /// revision is in progress; for a published or cancelled one, `agreements` is the record.
    pub required: Vec<RequiredOfficial>,
    /// The agreements given, in order.
    pub agreements: Vec<StepAgreement>,
    /// Whether the step is agreed.
    pub done: bool,
    /// Why the step cannot be agreed as configured (a changed unit without a head, a direction
    /// without a curator, an official who no longer exists): approval stops here.
    pub problem: Option<String>,
    /// The last agreement of the step (kept for clients of the one-signature steps).
    pub approved_by: Option<String>,
    pub approved_by_name: Option<String>,
    pub approved_at: Option<DateTime<Utc>>,
}

/// An official a step needs.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct RequiredOfficial {
    pub official_id: Uuid,
    pub sub: String,
    pub name: String,
    pub position: String,
    /// Whether they have agreed (at this step or, R9, an earlier one).
    pub agreed: bool,
}

/// One agreement given.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct StepAgreement {
    pub by: String,
    pub by_name: String,
    /// The official it was recorded for (none for an `any_approver` step).
    pub official_id: Option<Uuid>,
    pub at: DateTime<Utc>,
}

/// A remark on a part, optionally pointing at one process or touchpoint.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Remark {
    pub id: Uuid,
    pub unit_id: String,
    pub process_id: Option<Uuid>,
    pub touchpoint_id: Option<Uuid>,
    pub text: String,
    pub author: String,
    pub author_name: String,
    pub created_at: DateTime<Utc>,
}

/// A revision of an agency's register.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Revision {
    pub id: Uuid,
    pub agency_id: Uuid,
    /// Running number of the agency's revisions.
    pub number: i32,
    pub reason: RevisionReason,
    pub comment: Option<String>,
    pub status: RevisionStatus,
    pub parts: Vec<Part>,
    pub approvals: Vec<ApprovalStep>,
    pub remarks: Vec<Remark>,
    pub opened_by: String,
    pub opened_by_name: String,
    pub all_accepted_at: Option<DateTime<Utc>>,
    pub approved_at: Option<DateTime<Utc>>,
    pub published_at: Option<DateTime<Utc>>,
    /// When it was cancelled (status `cancelled`).
    pub cancelled_at: Option<DateTime<Utc>>,
    /// The version number it was published as.
    pub version: Option<i32>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// Longest remark, and most remarks in one return.
pub use crate::domain::text::REMARK_MAX;
pub const REMARKS_MAX: usize = 200;

/// One remark of a return.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RemarkInput {
    #[schema(pattern = "\\S", max_length = 4000)]
    pub text: String,
    #[serde(default)]
    pub process_id: Option<Uuid>,
    #[serde(default)]
    pub touchpoint_id: Option<Uuid>,
}

/// Remarks: one text, or a list pointing at processes and touchpoints.
#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
pub enum Remarks {
    Text(String),
    List(Vec<RemarkInput>),
}

impl Remarks {
    /// The remarks of a return, checked and whitespace-normalised: at least one, at most
    /// [`REMARKS_MAX`], each non-blank and at most [`REMARK_MAX`] characters.
    pub fn checked(self) -> Result<Vec<RemarkInput>, ApiError> {
        let remarks = match self {
            Remarks::Text(text) => vec![RemarkInput {
                text,
                process_id: None,
                touchpoint_id: None,
            }],
            Remarks::List(list) => list,
        };
        if remarks.is_empty() || remarks.iter().all(|r| text::is_blank(&r.text)) {
            return Err(ApiError::validation(vec![FieldError::new(
                "remarks",
                "required",
                "a part is returned with at least one remark",
            )]));
        }
        if remarks.len() > REMARKS_MAX {
            return Err(ApiError::validation(vec![FieldError::new(
                "remarks",
                "too_many",
                format!("at most {REMARKS_MAX} remarks in one return"),
            )]));
        }
        let mut errors = Vec::new();
        let checked = remarks
            .into_iter()
            .enumerate()
            .filter_map(|(i, r)| {
                match text::required(&format!("remarks[{i}].text"), &r.text, REMARK_MAX) {
                    Ok(text) => Some(RemarkInput { text, ..r }),
                    Err(e) => {
                        errors.push(e);
                        None
                    }
                }
            })
            .collect();
        if errors.is_empty() {
            Ok(checked)
        } else {
            Err(ApiError::validation(errors))
        }
    }
}

impl utoipa::PartialSchema for Remarks {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        use utoipa::openapi::schema::{ArrayBuilder, ObjectBuilder, OneOfBuilder, Type};
        let text = ObjectBuilder::new()
            .schema_type(Type::String)
            .pattern(Some(crate::domain::text::NON_BLANK))
            .max_length(Some(REMARK_MAX))
            .description(Some("One remark about the whole part"));
        let list = ArrayBuilder::new()
            .items(utoipa::openapi::Ref::from_schema_name("RemarkInput"))
            .min_items(Some(1))
            .max_items(Some(REMARKS_MAX))
            .description(Some(
                "Remarks, each optionally pointing at a process or touchpoint",
            ));
        OneOfBuilder::new()
            .item(text)
            .item(list)
            .description(Some(
                "Remarks: one text, or a list pointing at processes and touchpoints.",
            ))
            .into()
    }
}

impl utoipa::ToSchema for Remarks {
    fn schemas(
        schemas: &mut Vec<(
            String,
            utoipa::openapi::RefOr<utoipa::openapi::schema::Schema>,
        )>,
    ) {
        schemas.push((
            "RemarkInput".into(),
            <RemarkInput as utoipa::PartialSchema>::schema(),
        ));
    }
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"remarks": [{"text": "Не указаны потребности клиента для точки «Телефон»", "touchpoint_id": "7b0e3a52-6f0d-4a38-9a53-1d1c2d7c9e11"}]}))]
pub struct ReturnBody {
    pub remarks: Remarks,
}

/// Body of `POST /revisions/{id}/refuse`.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"remarks": [{"text": "Не отражена точка «Личный приём» отдела надзорной деятельности"}], "parts": ["agency"]}))]
pub struct RefuseBody {
    /// Why, as for a part's return; recorded on every refused part.
    pub remarks: Remarks,
    /// The parts sent back (unit ids, or `agency`); absent: every part.
    #[serde(default)]
    #[schema(inline, value_type = Option<Vec<crate::domain::part::PartKey>>)]
    pub parts: Option<Vec<String>>,
}

/// Body of `POST /revisions/{id}/cancel`.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"reason": "Открыта ошибочно: актуализация перенесена на I квартал"}))]
pub struct CancelBody {
    /// Why the revision ends without publishing (kept in its history).
    #[schema(pattern = "\\S", max_length = 4000)]
    pub reason: String,
}

/// One line of the history: who did what, when, with the values before and after.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct HistoryEntry {
    pub id: i64,
    pub at: DateTime<Utc>,
    pub actor: String,
    pub actor_name: String,
    /// `revision`, `part`, `remark`, `process`, `touchpoint` or `part_file` (an upload).
    pub entity: String,
    pub entity_id: String,
    /// e.g. `open`, `submit`, `return`, `accept`, `approve`, `publish`, `create`, `update`, `delete`.
    pub action: String,
    #[schema(value_type = Option<Object>)]
    pub before: Option<serde_json::Value>,
    #[schema(value_type = Option<Object>)]
    pub after: Option<serde_json::Value>,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct History {
    pub items: Vec<HistoryEntry>,
    pub total: i64,
}

/// The answer to a publication.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Published {
    /// The new version number.
    pub version: i32,
    pub sha256: String,
    /// The approval act frozen into the version (and hashed with it).
    pub approval: crate::domain::form::Approval,
    pub revision: Revision,
}

/// The act that approves the revision: the optional body of `approve` (the agreement that
/// makes the revision approved, or an earlier one) and of `publish`. Each field given is
/// kept with the revision (a later call completes or corrects it) and frozen into the
/// published version as `approval`. No body, or `{}`: nothing changes.
#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"order_number": "53", "order_date": "2024-03-28", "order_date_text": "«28» 03 2024 г."}))]
pub struct ApprovalActBody {
    /// The order's number as printed after «№».
    #[serde(default)]
    #[schema(max_length = 100, example = "53")]
    pub order_number: Option<String>,
    /// The order's date, YYYY-MM-DD.
    #[serde(default)]
    #[schema(value_type = Option<String>, format = Date, example = "2024-03-28")]
    pub order_date: Option<chrono::NaiveDate>,
    /// The date as the act prints it («28» 03 2024 г.); without it the date prints
    /// «28» марта 2024 г.
    #[serde(default)]
    #[schema(max_length = 100, example = "«28» 03 2024 г.")]
    pub order_date_text: Option<String>,
}

impl ApprovalActBody {
    /// Trimmed; empty texts are absent; 422 for one too long or with control characters.
    pub fn checked(self) -> crate::error::ApiResult<crate::forms::db::ActInput> {
        let mut errors = Vec::new();
        let max = crate::domain::text::ACT_TEXT_MAX;
        let mut text = |field: &str, v: Option<String>| -> Option<String> {
            crate::domain::text::optional(field, v.as_deref(), max).unwrap_or_else(|e| {
                errors.push(e);
                None
            })
        };
        let order_number = text("order_number", self.order_number);
        let order_date_text = text("order_date_text", self.order_date_text);
        if !errors.is_empty() {
            return Err(crate::error::ApiError::validation(errors));
        }
        Ok(crate::forms::db::ActInput {
            order_number,
            order_date: self.order_date,
            order_date_text,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn revision_reason_words() {
        crate::domain::enums::check_words::<RevisionReason>();
    }

    fn fields(e: ApiError) -> Vec<String> {
        match e {
            ApiError::Client { errors, .. } => errors.into_iter().map(|e| e.field).collect(),
            other => panic!("{other}"),
        }
    }

    #[test]
    fn remarks_are_checked_and_normalised() {
        let ok = Remarks::Text("  Укажите\n потребности ".into())
            .checked()
            .unwrap();
        assert_eq!(ok[0].text, "Укажите потребности");
        let list = |texts: &[&str]| {
            Remarks::List(
                texts
                    .iter()
                    .map(|t| RemarkInput {
                        text: (*t).into(),
                        process_id: None,
                        touchpoint_id: None,
                    })
                    .collect(),
            )
        };
        assert_eq!(fields(list(&[]).checked().unwrap_err()), ["remarks"]);
        assert_eq!(
            fields(Remarks::Text(" \t".into()).checked().unwrap_err()),
            ["remarks"]
        );
        assert_eq!(
            fields(list(&["есть", " "]).checked().unwrap_err()),
            ["remarks[1].text"]
        );
        assert_eq!(
            fields(list(&[&"з".repeat(REMARK_MAX + 1)]).checked().unwrap_err()),
            ["remarks[0].text"]
        );
        assert_eq!(
            fields(list(&["x"; REMARKS_MAX + 1]).checked().unwrap_err()),
            ["remarks"]
        );
        assert_eq!(list(&["a", "b"]).checked().unwrap().len(), 2);
    }
}
