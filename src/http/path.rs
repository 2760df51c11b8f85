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
}
