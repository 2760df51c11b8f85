use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use crate::domain::{contact, text};
use crate::error::{ApiError, FieldError};

/// A structural unit (структурное подразделение) of an agency.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[schema(example = json!({
    "id": "5c3f7a10-8d2e-4b6a-9c1d-2e3f4a5b6c7d",
    "agency_id": "0b9a4c1e-3a52-4f7e-9f1e-6d2b8c3a5e10",
    "name": "Управление делами",
    "responsible_persons": [{"name": "Иванова Анна Петровна", "position": "начальник управления", "email": "delo@e-dag.ru", "phone": "+78722516122"}],
    "created_at": "2026-11-22T10:00:00Z",
    "updated_at": "2026-11-22T10:00:00Z"
}))]
pub struct Unit {
    pub id: Uuid,
    pub agency_id: Uuid,
    pub name: String,
    /// People responsible for the unit's part of the register.
    pub responsible_persons: Vec<ResponsiblePerson>,
    /// The official heading the unit (agrees `unit_head` steps of the approval chain).
    #[serde(default)]
    pub head_official_id: Option<Uuid>,
    /// The deputy who supervises the unit.
    #[serde(default)]
    pub curator_official_id: Option<Uuid>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// A person responsible for interaction with clients within a unit.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ResponsiblePerson {
    /// Full name.
    #[schema(pattern = "\\S", max_length = 300)]
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(max_length = 300)]
    pub position: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(schema_with = email_schema)]
    pub email: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(schema_with = phone_schema)]
    pub phone: Option<String>,
}

fn email_schema() -> utoipa::openapi::Object {
    contact::nullable_string_schema(
        contact::pattern::EMAIL_OR_EMPTY,
        Some(contact::pattern::EMAIL_MAX),
        "E-mail address; stored lower-cased. Empty or null: none.",
    )
}

fn phone_schema() -> utoipa::openapi::Object {
    contact::nullable_string_schema(contact::pattern::PHONE_OR_EMPTY, None, "Russian phone number in any usual spelling; stored in E.164 (`+78722516122`). Empty or null: none.")
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"name": "Отдел правовой, кадровой и организационной работы", "responsible_persons": []}))]
pub struct NewUnit {
    #[schema(pattern = "\\S", max_length = 1000)]
    pub name: String,
    #[serde(default)]
    pub responsible_persons: Vec<ResponsiblePerson>,
}

#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"responsible_persons": [{"name": "Агаев М.А.", "position": "начальник отдела"}]}))]
pub struct UnitPatch {
    #[serde(default)]
    #[schema(value_type = Option<String>, pattern = "\\S", max_length = 1000)]
    pub name: Option<String>,
    /// Replaces the whole list.
    #[serde(default)]
    pub responsible_persons: Option<Vec<ResponsiblePerson>>,
    /// An official of the agency heading the unit; null clears it.
    #[serde(default, deserialize_with = "crate::http::patch::nullable")]
    #[schema(value_type = Option<Uuid>)]
    pub head_official_id: Option<Option<Uuid>>,
    /// An official of the agency supervising the unit (the curating deputy); null clears it.
    #[serde(default, deserialize_with = "crate::http::patch::nullable")]
    #[schema(value_type = Option<Uuid>)]
    pub curator_official_id: Option<Option<Uuid>>,
}

pub struct UnitChanges {
    pub name: Option<String>,
    pub responsible_persons: Option<Vec<ResponsiblePerson>>,
    pub head_official_id: Option<Option<Uuid>>,
    pub curator_official_id: Option<Option<Uuid>>,
}

fn check_persons(
    errors: &mut Vec<FieldError>,
    persons: &[ResponsiblePerson],
) -> Vec<ResponsiblePerson> {
    if persons.len() > 50 {
        errors.push(FieldError::new(
            "responsible_persons",
            "too_many",
            "at most 50 persons",
        ));
        return Vec::new();
    }
    let mut out = Vec::with_capacity(persons.len());
    for (i, p) in persons.iter().enumerate() {
        let f = |name: &str| format!("responsible_persons[{i}].{name}");
        let name = text::required(&f("name"), &p.name, text::PERSON_MAX)
            .map_err(|e| errors.push(e))
            .ok();
        let position = text::optional(&f("position"), p.position.as_deref(), text::PERSON_MAX)
            .map_err(|e| errors.push(e))
            .ok()
            .flatten();
        let email = match p.email.as_deref().filter(|e| !e.is_empty()) {
            Some(e) => contact::normalize_email(e)
                .map_err(|m| errors.push(FieldError::new(f("email"), "invalid_email", m)))
                .ok(),
            None => None,
        };
        let phone = match p.phone.as_deref().filter(|e| !e.is_empty()) {
            Some(e) => contact::normalize_phone(e)
                .map_err(|m| errors.push(FieldError::new(f("phone"), "invalid_phone", m)))
                .ok(),
            None => None,
        };
        if let Some(name) = name {
            out.push(ResponsiblePerson {
                name,
                position,
                email,
                phone,
            });
        }
    }
    out
}

impl NewUnit {
    pub fn validate(&self) -> Result<UnitChanges, ApiError> {
        let mut errors = Vec::new();
        let name = text::required("name", &self.name, text::NAME_MAX)
            .map_err(|e| errors.push(e))
            .ok();
        let persons = check_persons(&mut errors, &self.responsible_persons);
        if !errors.is_empty() {
            return Err(ApiError::validation(errors));
        }
        Ok(UnitChanges {
            name,
            responsible_persons: Some(persons),
            head_official_id: None,
            curator_official_id: None,
        })
    }
}

impl UnitPatch {
    pub fn validate(&self) -> Result<UnitChanges, ApiError> {
        let mut errors = Vec::new();
        let name = self.name.as_deref().and_then(|n| {
            text::required("name", n, text::NAME_MAX)
                .map_err(|e| errors.push(e))
                .ok()
        });
        let persons = self
            .responsible_persons
            .as_deref()
            .map(|p| check_persons(&mut errors, p));
        if !errors.is_empty() {
            return Err(ApiError::validation(errors));
        }
        Ok(UnitChanges {
            name,
            responsible_persons: persons,
            head_official_id: self.head_official_id,
            curator_official_id: self.curator_official_id,
        })
    }
}
