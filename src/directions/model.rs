use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

/// An activity direction (направление деятельности; column 2 of the form).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[schema(example = json!({
    "id": "8e1b2c3d-4f5a-6b7c-8d9e-0f1a2b3c4d5e",
    "agency_id": null,
    "code": "appeals",
    "name": "Рассмотрение обращений и запросов",
    "is_catalog": true,
    "position": 4,
    "created_at": "2026-11-22T10:00:00Z",
    "updated_at": "2026-11-22T10:00:00Z"
}))]
pub struct Direction {
    pub id: Uuid,
    /// The agency that added it; null for the shared catalog.
    pub agency_id: Option<Uuid>,
    /// Stable code of a catalog direction; null for an agency's own.
    pub code: Option<String>,
    pub name: String,
    /// True for the shared catalog, which is read-only here.
    pub is_catalog: bool,
    pub position: i32,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"name": "Региональный государственный надзор в области защиты населения и территорий от чрезвычайных ситуаций природного и техногенного характера"}))]
pub struct NewDirection {
    #[schema(pattern = "\\S", max_length = 1000)]
    pub name: String,
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"name": "Региональный государственный надзор в области защиты населения и территорий от ЧС"}))]
pub struct DirectionPatch {
    #[serde(default)]
    #[schema(value_type = Option<String>, pattern = "\\S", max_length = 1000)]
    pub name: Option<String>,
}
