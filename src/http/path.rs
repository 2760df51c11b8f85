//! Typed path parameters: each is declared once here (name, type, description) and used both
//! by the handler (`web::Path<AgencyPath>`) and by its `#[utoipa::path(params(AgencyPath))]`.

use serde::Deserialize;
use utoipa::IntoParams;
use uuid::Uuid;

macro_rules! id_path {
    ($(#[$doc:meta] $name:ident => $field_doc:literal;)*) => {$(
        #[$doc]
        #[derive(Debug, Clone, Copy, Deserialize, IntoParams)]
        #[into_params(parameter_in = Path)]
        pub struct $name {
            #[doc = $field_doc]
            pub id: Uuid,
        }
    )*};
}

id_path! {
    /// `{id}` of an agency (a top-level body or a subordinate organization).
    AgencyPath => "Agency id";
    /// `{id}` of a subordinate organization.
    OrganizationPath => "Organization id";
    /// `{id}` of a structural unit.
    UnitPath => "Unit id";
    /// `{id}` of an activity direction.
    DirectionPath => "Direction id";
    /// `{id}` of a process.
    ProcessPath => "Process id";
    /// `{id}` of a touchpoint.
    TouchpointPath => "Touchpoint id";
    /// `{id}` of a revision.
    RevisionPath => "Revision id";
    /// `{id}` of a webhook subscription.
    WebhookPath => "Webhook id";
    /// `{id}` of an official of an agency.
    OfficialPath => "Official id";
    /// `{id}` of a file attached to a part of a revision.
    FilePath => "File id";
}

/// `{id}/…/{channel}` of an agency's rule for one channel type.
#[derive(Debug, Clone, Deserialize, IntoParams)]
#[into_params(parameter_in = Path)]
pub struct ChannelRulePath {
    /// Agency id
    pub id: Uuid,
    /// Channel type code
    #[param(value_type = crate::domain::catalog::ChannelCode, example = "phone")]
    pub channel: String,
}

/// `{id}/directions/{direction_id}` of an agency's view of a direction (catalog or own).
#[derive(Debug, Clone, Copy, Deserialize, IntoParams)]
#[into_params(parameter_in = Path)]
pub struct AgencyDirectionPath {
    /// Agency id
    pub id: Uuid,
    /// Direction id (of the shared catalog or the agency's own)
    pub direction_id: Uuid,
}

/// `{id}/parts/{unit_id}` of one part of a revision.
#[derive(Debug, Clone, Deserialize, IntoParams)]
#[into_params(parameter_in = Path)]
pub struct PartPath {
    /// Revision id
    pub id: Uuid,
    /// Unit id, or `agency`
    #[param(inline, value_type = crate::domain::part::PartKey, example = "agency")]
    pub unit_id: String,
}

/// `{id}/versions/{number}` of a published version of an agency's register.
#[derive(Debug, Clone, Copy, Deserialize, IntoParams)]
#[into_params(parameter_in = Path)]
pub struct VersionPath {
    /// Agency id
    pub id: Uuid,
    /// Version number
    pub number: i32,
}

/// `{id}/register/versions/{n}` of a published version, on the public side.
#[derive(Debug, Clone, Copy, Deserialize, IntoParams)]
#[into_params(parameter_in = Path)]
pub struct PublicVersionPath {
    /// Agency id
    pub id: Uuid,
    /// Version number
    pub n: i32,
}

/// `{date}` of a day of the working-day calendar.
#[derive(Debug, Clone, Copy, Deserialize, IntoParams)]
#[into_params(parameter_in = Path)]
pub struct DayPath {
    /// The day, 1990 to 2100
    #[param(value_type = String, format = Date, example = "2027-02-22", pattern = "^(199[0-9]|20[0-9]{2}|2100)-[0-9]{2}-[0-9]{2}$")]
    pub date: chrono::NaiveDate,
}

/// `{region}` of a region's consolidated register.
#[derive(Debug, Clone, Deserialize, IntoParams)]
#[into_params(parameter_in = Path)]
pub struct RegionPath {
    /// Region, as the agencies name it
    #[param(example = "Республика Дагестан")]
    pub region: String,
}
