//! Authentication (bearer JWT, verified only: a region's identity provider signs tokens) and
//! the role rules of the procedures: submitters edit their agency's (and unit's) working copy
//! and submit it, approvers review and approve, publishers publish, admins manage reference
//! data. The rules are plain functions on [`User`]; handlers take a `User` argument, so a
//! handler that forgets authentication does not compile.

pub mod dev;
pub mod token;

use std::collections::BTreeSet;
use std::future::{ready, Ready};

use actix_web::dev::Payload;
use actix_web::http::header;
use actix_web::{web, FromRequest, HttpRequest};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use crate::error::{ApiError, ErrorCode};
pub use token::{AuthConfig, Claims};

#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, ToSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// Fills in the agency's (or the unit's) part of the register and submits it.
    Submitter,
    /// Reviews parts, returns them with remarks, accepts them and approves revisions.
    Approver,
    /// Publishes approved revisions.
    Publisher,
    /// Manages agencies, units, catalogs, the calendar and the agencies' rules.
    Admin,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Submitter => "submitter",
            Role::Approver => "approver",
            Role::Publisher => "publisher",
            Role::Admin => "admin",
        }
    }
}

/// The authenticated caller.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct User {
    pub sub: String,
    pub name: String,
    pub roles: BTreeSet<Role>,
    /// The agency or subordinate organization the user works for; `None` only for admins.
    pub agency_id: Option<Uuid>,
    /// A submitter with a unit may edit only that unit's processes and touchpoints.
    pub unit_id: Option<Uuid>,
}

fn forbidden(detail: impl Into<String>) -> ApiError {
    ApiError::client(ErrorCode::Forbidden, detail)
}

impl User {
    pub fn is_admin(&self) -> bool {
        self.roles.contains(&Role::Admin)
    }

    pub fn has(&self, role: Role) -> bool {
        self.roles.contains(&role)
    }

    /// How the user appears in the history.
    pub fn display(&self) -> String {
        if self.name.is_empty() {
            self.sub.clone()
        } else {
            self.name.clone()
        }
    }

    pub fn require_admin(&self) -> Result<(), ApiError> {
        if self.is_admin() {
            Ok(())
        } else {
            Err(forbidden("only an admin may do this"))
        }
    }

    /// May read the agency's internal (not yet public) data: its own people and admins.
    pub fn require_member(&self, agency_id: Uuid) -> Result<(), ApiError> {
        if self.is_admin() || self.agency_id == Some(agency_id) {
            Ok(())
        } else {
            Err(forbidden(format!(
                "the data of agency {agency_id} is not open to users of another agency"
            )))
        }
    }

    /// Holds `role` in the agency (admins hold every role everywhere).
    pub fn require_role_in(&self, role: Role, agency_id: Uuid) -> Result<(), ApiError> {
        self.require_member(agency_id)?;
        if self.is_admin() || self.has(role) {
            Ok(())
        } else {
            Err(forbidden(format!("this needs the {} role", role.as_str())))
        }
    }

    /// May edit the working copy of a process owned by `unit_id` (None = the agency's own part):
    /// a submitter of the agency, restricted to their unit when the token names one.
    pub fn require_editor(&self, agency_id: Uuid, unit_id: Option<Uuid>) -> Result<(), ApiError> {
        self.require_role_in(Role::Submitter, agency_id)?;
        match self.unit_id {
            Some(mine) if !self.is_admin() && unit_id != Some(mine) => Err(forbidden(
                "a submitter of a unit may edit only that unit's processes and touchpoints",
            )),
            _ => Ok(()),
        }
    }
}

impl FromRequest for User {
    type Error = ApiError;
    type Future = Ready<Result<User, ApiError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        ready(authenticate(req))
    }
}

fn authenticate(req: &HttpRequest) -> Result<User, ApiError> {
    let config = req
        .app_data::<web::Data<AuthConfig>>()
        .ok_or_else(|| ApiError::Internal(anyhow::anyhow!("AuthConfig is not registered")))?;
    let value = req
        .headers()
        .get(header::AUTHORIZATION)
        .ok_or_else(|| unauthorized("send Authorization: Bearer <token>"))?;
    let value = value
        .to_str()
        .map_err(|_| unauthorized("the Authorization header is not ASCII"))?;
    let token = value
        .strip_prefix("Bearer ")
        .or_else(|| value.strip_prefix("bearer "))
        .ok_or_else(|| unauthorized("the Authorization header must be `Bearer <token>`"))?;
    config.verify(token.trim())
}

pub fn unauthorized(detail: impl Into<String>) -> ApiError {
    ApiError::client(ErrorCode::Unauthorized, detail)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn user(roles: &[Role], agency: Option<Uuid>, unit: Option<Uuid>) -> User {
        User {
            sub: "u".into(),
            name: "Иванова".into(),
            roles: roles.iter().copied().collect(),
            agency_id: agency,
            unit_id: unit,
        }
    }

    #[test]
    fn members_only_see_their_agency() {
        let (a, b) = (Uuid::new_v4(), Uuid::new_v4());
        let u = user(&[Role::Submitter], Some(a), None);
        assert!(u.require_member(a).is_ok());
        assert_eq!(
            u.require_member(b).unwrap_err().code(),
            ErrorCode::Forbidden
        );
        assert!(user(&[Role::Admin], None, None).require_member(b).is_ok());
    }

    #[test]
    fn roles_are_checked_within_the_agency() {
        let a = Uuid::new_v4();
        let approver = user(&[Role::Approver], Some(a), None);
        assert!(approver.require_role_in(Role::Approver, a).is_ok());
        assert!(approver.require_role_in(Role::Publisher, a).is_err());
        assert!(approver
            .require_role_in(Role::Approver, Uuid::new_v4())
            .is_err());
    }

    #[test]
    fn a_unit_submitter_edits_only_the_unit() {
        let (a, unit, other) = (Uuid::new_v4(), Uuid::new_v4(), Uuid::new_v4());
        let s = user(&[Role::Submitter], Some(a), Some(unit));
        assert!(s.require_editor(a, Some(unit)).is_ok());
        assert!(s.require_editor(a, Some(other)).is_err());
        assert!(s.require_editor(a, None).is_err());
        let agency_wide = user(&[Role::Submitter], Some(a), None);
        assert!(agency_wide.require_editor(a, Some(other)).is_ok());
        assert!(user(&[Role::Approver], Some(a), None)
            .require_editor(a, None)
            .is_err());
    }
}
