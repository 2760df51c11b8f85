use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use crate::domain::{contact, text};
use crate::error::{ApiError, FieldError};
use crate::http::patch::nullable;

/// An official of an agency.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[schema(example = json!({
    "id": "3f1c2b4a-5d6e-4f70-8a9b-0c1d2e3f4a5b",
    "agency_id": "0b9a4c1e-3a52-4f7e-9f1e-6d2b8c3a5e10",
    "sub": "magomedov",
    "name": "Магомедов Р.А.",
    "position": "Заместитель начальника отряда",
    "email": "magomedov@mchsrd.ru",
    "unit_id": null,
    "created_at": "2026-11-28T10:00:00Z",
    "updated_at": "2026-11-28T10:00:00Z"
}))]
pub struct Official {
    pub id: Uuid,
    pub agency_id: Uuid,
    /// The `sub` of their tokens: an agreement is theirs when the caller's `sub` is this one.
    pub sub: String,
    pub name: String,
    /// As the agency titles it, e.g. «Заместитель начальника отряда».
    pub position: String,
    pub email: String,
    /// The unit they work in, if any.
    pub unit_id: Option<Uuid>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"sub": "magomedov", "name": "Магомедов Р.А.", "position": "Заместитель начальника отряда", "email": "magomedov@mchsrd.ru"}))]
pub struct NewOfficial {
    #[schema(pattern = "\\S", max_length = 300)]
    pub sub: String,
    #[schema(pattern = "\\S", max_length = 300)]
    pub name: String,
    #[schema(pattern = "\\S", max_length = 300)]
    pub position: String,
    #[schema(schema_with = email_schema)]
    pub email: String,
    #[serde(default)]
    pub unit_id: Option<Uuid>,
}

/// Absent fields are left as they are; `unit_id: null` clears the unit.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"position": "Начальник отряда"}))]
pub struct OfficialPatch {
    #[serde(default)]
    #[schema(value_type = Option<String>, pattern = "\\S", max_length = 300)]
    pub sub: Option<String>,
    #[serde(default)]
    #[schema(value_type = Option<String>, pattern = "\\S", max_length = 300)]
    pub name: Option<String>,
    #[serde(default)]
    #[schema(value_type = Option<String>, pattern = "\\S", max_length = 300)]
    pub position: Option<String>,
    #[serde(default)]
    #[schema(schema_with = nullable_email_schema)]
    pub email: Option<String>,
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<Uuid>)]
    pub unit_id: Option<Option<Uuid>>,
}

/// Checked values, ready to store.
#[derive(Debug, Clone, Default)]
pub struct OfficialChanges {
    pub sub: Option<String>,
    pub name: Option<String>,
    pub position: Option<String>,
    pub email: Option<String>,
    pub unit_id: Option<Option<Uuid>>,
}

fn field(e: &mut Vec<FieldError>, name: &str, v: Option<&str>) -> Option<String> {
    v.and_then(|v| {
        text::required(name, v, text::PERSON_MAX)
            .map_err(|x| e.push(x))
            .ok()
    })
}

fn check(
    sub: Option<&str>,
    name: Option<&str>,
    position: Option<&str>,
    email: Option<&str>,
    unit_id: Option<Option<Uuid>>,
) -> Result<OfficialChanges, ApiError> {
    let mut e = Vec::new();
    let changes = OfficialChanges {
        sub: field(&mut e, "sub", sub),
        name: field(&mut e, "name", name),
        position: field(&mut e, "position", position),
        email: email.and_then(|m| {
            contact::normalize_email(m)
                .map_err(|msg| e.push(FieldError::new("email", "invalid_email", msg)))
                .ok()
        }),
        unit_id,
    };
    if e.is_empty() {
        Ok(changes)
    } else {
        Err(ApiError::validation(e))
    }
}

impl NewOfficial {
    pub fn validate(&self) -> Result<OfficialChanges, ApiError> {
        check(
            Some(&self.sub),
            Some(&self.name),
            Some(&self.position),
            Some(&self.email),
            Some(self.unit_id),
        )
    }
}

impl OfficialPatch {
    pub fn validate(&self) -> Result<OfficialChanges, ApiError> {
        check(
            self.sub.as_deref(),
            self.name.as_deref(),
            self.position.as_deref(),
            self.email.as_deref(),
            self.unit_id,
        )
    }
}

/// Body of `PUT /agencies/{id}/directions/{direction_id}/curator`.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"official_id": "3f1c2b4a-5d6e-4f70-8a9b-0c1d2e3f4a5b"}))]
pub struct CuratorBody {
    /// The curating official; null removes the curator.
    pub official_id: Option<Uuid>,
}

/// The curator of a direction in one agency.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct DirectionCurator {
    pub agency_id: Uuid,
    pub direction_id: Uuid,
    pub official_id: Option<Uuid>,
}

fn email_schema() -> utoipa::openapi::Object {
    crate::domain::contact::string_schema(
        crate::domain::contact::pattern::EMAIL,
        Some(crate::domain::contact::pattern::EMAIL_MAX),
        "The official's e-mail address (notices go there); stored lower-cased.",
    )
}

fn nullable_email_schema() -> utoipa::openapi::Object {
    crate::domain::contact::nullable_string_schema(
        crate::domain::contact::pattern::EMAIL,
        Some(crate::domain::contact::pattern::EMAIL_MAX),
        "The official's e-mail address; null or absent: unchanged.",
    )
}
