//! Each agency's own rules of the procedure: review periods (R10), the publication period
//! (R11: 10 working days in 002, 5 in 003), the yearly revision date and quarterly analysis
//! (R12), and the approval chain (R9).

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use uuid::Uuid;

use super::chain::ChainStep;
use super::enums::{PartAgreement, SettingsSource};
use super::field::FieldError;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({
    "submit_days": 1, "review_days": 5, "return_days": 1, "fix_days": 5, "resubmit_days": 1, "consolidate_days": 2,
    "publish_days": 10, "yearly_month": 2, "yearly_day": 1, "quarterly_analysis": true,
    "approval_chain": [{"kind": "unit_head"}, {"kind": "direction_curator"}, {"kind": "official", "official_id": "3f1c2b4a-5d6e-4f70-8a9b-0c1d2e3f4a5b"}, {"kind": "any_approver", "name": "Министр"}],
    "part_agreement": "unit_curator", "approves_subordinates": true, "require_signed_file": false,
    "source": "own", "source_agency_id": "0b6f3c52-8f0e-4d8e-9a51-3c1f2d4e5a60"
}))]
pub struct WorkflowSettings {
    /// Working days a unit has to hand in its part, counted from the revision's opening (or
    /// the part's creation, when its unit got its first process later) or, for a returned part
    /// without `fix_days`/`resubmit_days`, from the return (004 §13: 1). Null or absent: none.
    #[serde(default, deserialize_with = "crate::domain::de::opt_int")]
    #[schema(minimum = 0, maximum = 60)]
    pub submit_days: Option<i32>,
    /// Working days the authorised unit has to check a submitted part (004 §14). Null: none
    /// (so for every deadline below).
    #[serde(deserialize_with = "crate::domain::de::opt_int")]
    #[schema(minimum = 0, maximum = 60, required = true)]
    pub review_days: Option<i32>,
    /// Working days to return a part with remarks (or accept it) once checked, after
    /// `review_days` (004 §15: 1): the approver's deadline for a submitted part.
    #[serde(deserialize_with = "crate::domain::de::opt_int")]
    #[schema(minimum = 0, maximum = 60, required = true)]
    pub return_days: Option<i32>,
    /// Working days the unit has to fix remarks (004 §16).
    #[serde(deserialize_with = "crate::domain::de::opt_int")]
    #[schema(minimum = 0, maximum = 60, required = true)]
    pub fix_days: Option<i32>,
    /// Working days to resubmit once fixed (004 §17).
    #[serde(deserialize_with = "crate::domain::de::opt_int")]
    #[schema(minimum = 0, maximum = 60, required = true)]
    pub resubmit_days: Option<i32>,
    /// Working days to consolidate once every part is in (004 §18).
    #[serde(deserialize_with = "crate::domain::de::opt_int")]
    #[schema(minimum = 0, maximum = 60, required = true)]
    pub consolidate_days: Option<i32>,
    /// Working days to publish once approved (002 §5.5: 10; 003 §3.1: 5).
    #[serde(deserialize_with = "crate::domain::de::opt_int")]
    #[schema(minimum = 0, maximum = 60, required = true)]
    pub publish_days: Option<i32>,
    /// Month and day by which the yearly revision is due (000: 1 Feb; 001: 1 Mar; 002: 31 Dec).
    /// Both null: no yearly revision (003, 004); one null without the other is refused.
    #[serde(deserialize_with = "crate::domain::de::opt_int")]
    #[schema(minimum = 1, maximum = 12, required = true)]
    pub yearly_month: Option<i32>,
    #[serde(deserialize_with = "crate::domain::de::opt_int")]
    /// A day past the end of the month means its last day (31 with month 4: 30 April; 29
    /// February in a common year: 28 February).
    #[schema(minimum = 1, maximum = 31, required = true)]
    pub yearly_day: Option<i32>,
    /// Whether a quarterly analysis is required (004 §20).
    pub quarterly_analysis: bool,
    /// Ordered steps of the agreements a revision needs (R9); empty: one approval. A plain
    /// string is an `any_approver` step of that name.
    #[schema(schema_with = approval_chain_schema)]
    pub approval_chain: Vec<ChainStep>,
    /// `unit_curator`: a unit's part needs the agreement of the official curating the unit
    /// (`POST /revisions/{id}/parts/{unit_id}/agree`) before it can be submitted (000 §III.1).
    /// Null or absent: none.
    #[serde(default)]
    pub part_agreement: Option<PartAgreement>,
    /// The agency's approvers, officials and publishers take its subordinate organizations'
    /// revisions through review, agreement and publication (002 §1.1, §5.1: the ministry's
    /// Порядок covers its organizations, the minister approves); the organizations' own
    /// submitters still submit. Absent: false.
    #[serde(default)]
    pub approves_subordinates: bool,
    /// A unit's part can be submitted only once a file with a detached signature has been
    /// uploaded to it (`POST /revisions/{id}/parts/{unit_id}/files`) since the part was opened
    /// or last returned, the signature's digest not contradicting the file. Absent: false.
    #[serde(default)]
    pub require_signed_file: bool,
    /// Read-only (ignored on PUT): `own` when the agency set these settings, `inherited` when
    /// they are an ancestor's (`source_agency_id`), `default` when nobody set any.
    #[serde(default)]
    #[schema(read_only, value_type = SettingsSource)]
    pub source: SettingsSource,
    /// Read-only (ignored on PUT): the agency whose settings these are (null: defaults).
    #[serde(default)]
    #[schema(read_only)]
    pub source_agency_id: Option<Uuid>,
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
    // the server reads a step strictly (no field its kind does not take): the schema says so
    let mut steps = <ChainStep as utoipa::PartialSchema>::schema();
    if let utoipa::openapi::RefOr::T(utoipa::openapi::schema::Schema::OneOf(one)) = &mut steps {
        for item in &mut one.items {
            if let utoipa::openapi::RefOr::T(utoipa::openapi::schema::Schema::Object(o)) = item {
                o.additional_properties = Some(Box::new(
                    utoipa::openapi::schema::AdditionalProperties::FreeForm(false),
                ));
            }
        }
    }
    let step = OneOfBuilder::new().item(name).item(steps);
    utoipa::openapi::schema::ArrayBuilder::new()
        .items(step)
        .max_items(Some(CHAIN_MAX))
        .description(Some("Ordered steps of the agreements a revision needs (R9); empty: one approval by any approver. `unit_head`: the heads of every unit whose processes the revision changed, each agreeing; `direction_curator`: the curators of every direction whose processes it changed; `official`: the named official; `any_approver`: any approver who agreed no earlier step. One person agrees once."))
        .build()
}

impl Default for WorkflowSettings {
    fn default() -> Self {
        WorkflowSettings {
            submit_days: None,
            review_days: Some(5),
            return_days: Some(1),
            fix_days: Some(5),
            resubmit_days: Some(1),
            consolidate_days: Some(2),
            publish_days: Some(10),
            yearly_month: Some(2),
            yearly_day: Some(1),
            quarterly_analysis: false,
            approval_chain: Vec::new(),
            part_agreement: None,
            approves_subordinates: false,
            require_signed_file: false,
            source: SettingsSource::Default,
            source_agency_id: None,
        }
    }
}

impl WorkflowSettings {
    pub fn validate(mut self) -> Result<Self, Vec<FieldError>> {
        let mut e = Vec::new();
        for (name, v) in [
            ("submit_days", self.submit_days),
            ("review_days", self.review_days),
            ("return_days", self.return_days),
            ("fix_days", self.fix_days),
            ("resubmit_days", self.resubmit_days),
            ("consolidate_days", self.consolidate_days),
            ("publish_days", self.publish_days),
        ] {
            if v.is_some_and(|v| !(0..=60).contains(&v)) {
                e.push(FieldError::new(
                    name,
                    "out_of_range",
                    "must be between 0 and 60 working days",
                ));
            }
        }
        if self.yearly_month.is_some_and(|m| !(1..=12).contains(&m)) {
            e.push(FieldError::new(
                "yearly_month",
                "out_of_range",
                "must be 1 to 12",
            ));
        }
        // 31 with a 30-day month means its last day (deadlines::yearly_due), so any 1..=31 is
        // a due date: the spec can state the rule as a range
        if self.yearly_day.is_some_and(|d| !(1..=31).contains(&d)) {
            e.push(FieldError::new(
                "yearly_day",
                "out_of_range",
                "must be 1 to 31",
            ));
        }
        if self.yearly_month.is_some() != self.yearly_day.is_some() {
            let missing = if self.yearly_month.is_none() {
                "yearly_month"
            } else {
                "yearly_day"
            };
            e.push(FieldError::new(
                missing,
                "required",
                "give both yearly_month and yearly_day, or neither (no yearly revision)",
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
