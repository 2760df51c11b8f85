//! Reviews of the register that may find nothing to change: the quarterly analysis (004 §20)
//! and the yearly monitoring (002, by 31 Dec). A review `no_changes` satisfies its deadline
//! without a new version («при наличии изменений», 000 §III.1); `changes_found` opens (or
//! joins) a revision with the matching reason.

pub mod api;
pub mod db;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use crate::workflow::model::RevisionReason;

crate::domain::enums::text_enum! {
    /// Which periodic review.
    pub enum ReviewKind {
        /// The quarterly analysis «на предмет выявления необходимости внесения изменений» (004 §20).
        QuarterlyAnalysis => "quarterly_analysis",
        /// The yearly monitoring (002: by 31 Dec), or the yearly revision that found nothing.
        YearlyMonitoring => "yearly_monitoring",
    }
}

crate::domain::enums::text_enum! {
    /// What the review found.
    pub enum ReviewOutcome {
        /// Nothing to change: the deadline is met, no revision, no version.
        NoChanges => "no_changes",
        /// Changes are needed: a revision is opened (or the one in progress joined).
        ChangesFound => "changes_found",
    }
}

impl ReviewKind {
    /// The reason of the revision a `changes_found` review opens.
    pub fn reason(self) -> RevisionReason {
        match self {
            ReviewKind::QuarterlyAnalysis => RevisionReason::QuarterlyAnalysis,
            ReviewKind::YearlyMonitoring => RevisionReason::YearlyRevision,
        }
    }
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"kind": "quarterly_analysis", "outcome": "no_changes", "comment": "Анализ перечня за III квартал: изменений не требуется"}))]
pub struct NewReview {
    pub kind: ReviewKind,
    pub outcome: ReviewOutcome,
    /// What was looked at and found; with `changes_found`, also the comment of the revision it
    /// opens.
    #[serde(default)]
    #[schema(max_length = 4000)]
    pub comment: Option<String>,
}

/// A recorded review.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Review {
    pub id: Uuid,
    pub agency_id: Uuid,
    pub kind: ReviewKind,
    pub outcome: ReviewOutcome,
    pub comment: Option<String>,
    /// The revision a `changes_found` review opened or joined; null for `no_changes`.
    pub revision_id: Option<Uuid>,
    /// Who recorded it (the token's `sub`) and their name.
    pub reviewed_by: String,
    pub reviewed_by_name: String,
    pub created_at: DateTime<Utc>,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct ReviewList {
    pub items: Vec<Review>,
    pub total: i64,
}

#[cfg(test)]
mod tests {
    #[test]
    fn words() {
        crate::domain::enums::check_words::<super::ReviewKind>();
        crate::domain::enums::check_words::<super::ReviewOutcome>();
    }
}
