//! Each agency's own rules of the procedure: review periods (R10), the publication period
//! (R11: 10 working days in 002, 5 in 003), the yearly revision date and quarterly analysis
//! (R12), and the approval chain (R9).

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::chain::ChainStep;
use super::field::FieldError;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({
    "review_days": 5, "return_days": 1, "fix_days": 5, "resubmit_days": 1, "consolidate_days": 2,
    "publish_days": 10, "yearly_month": 2, "yearly_day": 1, "quarterly_analysis": true,
    "approval_chain": [{"kind": "unit_head"}, {"kind": "direction_curator"}, {"kind": "official", "official_id": "3f1c2b4a-5d6e-4f70-8a9b-0c1d2e3f4a5b"}, {"kind": "any_approver", "name": "Министр"}]
}))]
pub struct WorkflowSettings {
    /// Working days the authorised unit has to check a submitted part (004 §14).
    #[serde(deserialize_with = "crate::domain::de::int")]
    #[schema(minimum = 0, maximum = 60)]
    pub review_days: i32,
    /// Working days to return a part with remarks once checked (004 §15).
    #[serde(deserialize_with = "crate::domain::de::int")]
    #[schema(minimum = 0, maximum = 60)]
    pub return_days: i32,
    /// Working days the unit has to fix remarks (004 §16).
    #[serde(deserialize_with = "crate::domain::de::int")]
    #[schema(minimum = 0, maximum = 60)]
    pub fix_days: i32,
    /// Working days to resubmit once fixed (004 §17).
    #[serde(deserialize_with = "crate::domain::de::int")]
    #[schema(minimum = 0, maximum = 60)]
    pub resubmit_days: i32,
    /// Working days to consolidate once every part is in (004 §18).
    #[serde(deserialize_with = "crate::domain::de::int")]
    #[schema(minimum = 0, maximum = 60)]
    pub consolidate_days: i32,
    /// Working days to publish once approved (002 §5.5: 10; 003 §3.1: 5).
    #[serde(deserialize_with = "crate::domain::de::int")]
    #[schema(minimum = 0, maximum = 60)]
    pub publish_days: i32,
    /// Month and day by which the yearly revision is due (000: 1 Feb; 001: 1 Mar; 002: 31 Dec).
    #[serde(deserialize_with = "crate::domain::de::int")]
    #[schema(minimum = 1, maximum = 12)]
    pub yearly_month: i32,
    #[serde(deserialize_with = "crate::domain::de::int")]
    /// A day past the end of the month means its last day (31 with month 4: 30 April; 29
    /// February in a common year: 28 February).
    #[schema(minimum = 1, maximum = 31)]
    pub yearly_day: i32,
    /// Whether a quarterly analysis is required (004 §20).
    pub quarterly_analysis: bool,
    /// Ordered steps of the agreements a revision needs (R9); empty: one approval. A plain
    /// string is an `any_approver` step of that name.
    #[schema(schema_with = approval_chain_schema)]
    pub approval_chain: Vec<ChainStep>,
}

/// Longest approval chain, and longest name of one step.
const CHAIN_MAX: usize = 10;
use super::text::APPROVAL_STEP_MAX as STEP_MAX;

fn approval_chain_schema() -> utoipa::openapi::schema::Array {
    use utoipa::openapi::schema::OneOfBuilder;
    let name = utoipa::openapi::ObjectBuilder::new()
        .schema_type(utoipa::openapi::Type::String)
        .pattern(Some(crate::domain::text::NON_BLANK))
        .max_length(Some(STEP_MAX))
        .description(Some(
            "The name of an `any_approver` step, e.g. «Министр» (the form before officials existed)",
        ));
    let step = OneOfBuilder::new()
        .item(name)
        .item(<ChainStep as utoipa::PartialSchema>::schema());
    utoipa::openapi::schema::ArrayBuilder::new()
        .items(step)
        .max_items(Some(CHAIN_MAX))
        .description(Some("Ordered steps of the agreements a revision needs (R9); empty: one approval by any approver. `unit_head`: the heads of every unit whose processes the revision changed, each agreeing; `direction_curator`: the curators of every direction whose processes it changed; `official`: the named official; `any_approver`: any approver who agreed no earlier step. One person agrees once."))
        .build()
}

impl Default for WorkflowSettings {
    fn default() -> Self {
        WorkflowSettings {
            review_days: 5,
            return_days: 1,
            fix_days: 5,
            resubmit_days: 1,
            consolidate_days: 2,
            publish_days: 10,
            yearly_month: 2,
            yearly_day: 1,
            quarterly_analysis: false,
            approval_chain: Vec::new(),
        }
    }
}

impl WorkflowSettings {
    pub fn validate(mut self) -> Result<Self, Vec<FieldError>> {
        let mut e = Vec::new();
        for (name, v) in [
            ("review_days", self.review_days),
            ("return_days", self.return_days),
            ("fix_days", self.fix_days),
            ("resubmit_days", self.resubmit_days),
            ("consolidate_days", self.consolidate_days),
            ("publish_days", self.publish_days),
        ] {
            if !(0..=60).contains(&v) {
                e.push(FieldError::new(
                    name,
                    "out_of_range",
                    "must be between 0 and 60 working days",
                ));
            }
        }
        if !(1..=12).contains(&self.yearly_month) {
            e.push(FieldError::new(
                "yearly_month",
                "out_of_range",
                "must be 1 to 12",
            ));
        }
        // 31 with a 30-day month means its last day (deadlines::yearly_due), so any 1..=31 is
        // a due date: the spec can state the rule as a range
        if !(1..=31).contains(&self.yearly_day) {
            e.push(FieldError::new(
                "yearly_day",
                "out_of_range",
                "must be 1 to 31",
            ));
        }
        if self.approval_chain.len() > CHAIN_MAX {
            e.push(FieldError::new(
                "approval_chain",
                "too_many",
                "at most 10 steps",
            ));
        }
        let mut chain = Vec::new();
        for (i, step) in self.approval_chain.iter().enumerate() {
            let mut step = step.clone();
            if let Some(name) = step.name_mut().take() {
                match crate::domain::text::required(
                    &format!("approval_chain[{i}].name"),
                    &name,
                    STEP_MAX,
                ) {
                    Ok(s) => *step.name_mut() = Some(s),
                    Err(err) => e.push(err),
                }
            }
            chain.push(step);
        }
        if !e.is_empty() {
            return Err(e);
        }
        self.approval_chain = chain;
        Ok(self)
    }
}
