use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use crate::domain::{contact, hours, text, AgencyKind};
use crate::error::{ApiError, FieldError};
use crate::http::patch::nullable;

/// A public body that keeps a register: a ministry, an agency, or a subordinate organization.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[schema(example = json!({
    "id": "0b9a4c1e-3a52-4f7e-9f1e-6d2b8c3a5e10",
    "parent_id": null,
    "name": "Министерство по делам гражданской обороны, чрезвычайным ситуациям и ликвидации последствий стихийных бедствий Республики Дагестан",
    "short_name": "МЧС Дагестана",
    "region": "Республика Дагестан",
    "kind": "ministry",
    "website": "https://www.mchsrd.ru",
    "time_zone": "Europe/Moscow",
    "created_at": "2026-11-22T10:00:00Z",
    "updated_at": "2026-11-22T10:00:00Z"
}))]
pub struct Agency {
    pub id: Uuid,
    /// The parent agency of a subordinate organization; null for a top-level body.
    pub parent_id: Option<Uuid>,
    pub name: String,
    pub short_name: Option<String>,
    pub region: String,
    pub kind: AgencyKind,
    pub website: Option<String>,
    /// IANA time zone; the hours of the touchpoints are local times there.
    #[schema(value_type = crate::domain::hours::TimeZoneName)]
    pub time_zone: String,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// Body of a create request.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({
    "name": "Министерство строительства, архитектуры и жилищно-коммунального хозяйства Республики Дагестан",
    "short_name": "Минстрой Дагестана",
    "region": "Республика Дагестан",
    "kind": "ministry",
    "website": "www.minstroy.e-dag.ru"
}))]
pub struct NewAgency {
    #[schema(pattern = "\\S", max_length = 1000)]
    pub name: String,
    #[serde(default)]
    #[schema(max_length = 300)]
    pub short_name: Option<String>,
    #[schema(pattern = "\\S", max_length = 300)]
    pub region: String,
    pub kind: AgencyKind,
    /// Official website; `www.site.ru` is read as `https://www.site.ru`.
    #[serde(default)]
    #[schema(schema_with = website_schema)]
    pub website: Option<String>,
    /// IANA time zone of the agency (Dagestan `Europe/Moscow`, Udmurtia `Europe/Samara`,
    /// Sverdlovsk oblast `Asia/Yekaterinburg`); default `Europe/Moscow`.
    #[serde(default)]
    #[schema(value_type = Option<crate::domain::hours::TimeZoneName>)]
    pub time_zone: Option<String>,
}

/// Body of a PATCH request: absent fields are left as they are, `null` clears optional ones.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"short_name": "МЧС РД", "website": "https://www.mchsrd.ru"}))]
pub struct AgencyPatch {
    #[serde(default)]
    #[schema(value_type = Option<String>, pattern = "\\S", max_length = 1000)]
    pub name: Option<String>,
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<String>, max_length = 300)]
    pub short_name: Option<Option<String>>,
    #[serde(default)]
    #[schema(value_type = Option<String>, pattern = "\\S", max_length = 300)]
    pub region: Option<String>,
    #[serde(default)]
    pub kind: Option<AgencyKind>,
    #[serde(default, deserialize_with = "nullable")]
    #[schema(schema_with = website_schema)]
    pub website: Option<Option<String>>,
    #[serde(default)]
    #[schema(value_type = Option<crate::domain::hours::TimeZoneName>)]
    pub time_zone: Option<String>,
}

/// Checked values of an agency, ready to store.
#[derive(Debug, Clone, Default)]
pub struct AgencyChanges {
    pub name: Option<String>,
    pub short_name: Option<Option<String>>,
    pub region: Option<String>,
    pub kind: Option<AgencyKind>,
    pub website: Option<Option<String>>,
    pub time_zone: Option<String>,
}

pub(crate) fn website_schema() -> utoipa::openapi::Object {
    contact::nullable_string_schema(
        contact::pattern::URL_OR_EMPTY,
        Some(contact::pattern::URL_MAX),
        "Official website; `www.site.ru` is read as `https://www.site.ru`. Empty or null: none.",
    )
}

fn check_website(errors: &mut Vec<FieldError>, raw: Option<&str>) -> Option<String> {
    let raw = raw.filter(|s| !s.is_empty())?;
    match contact::normalize_url(raw) {
        Ok((v, _)) => Some(v),
        Err(m) => {
            errors.push(FieldError::new("website", "invalid_url", m));
            None
        }
    }
}

fn collect<T>(errors: &mut Vec<FieldError>, r: Result<T, FieldError>) -> Option<T> {
    r.map_err(|e| errors.push(e)).ok()
}

impl NewAgency {
    pub fn validate(&self) -> Result<AgencyChanges, ApiError> {
        let mut errors = Vec::new();
        let name = collect(
            &mut errors,
            text::required("name", &self.name, text::NAME_MAX),
        );
        let short_name = collect(
            &mut errors,
            text::optional(
                "short_name",
                self.short_name.as_deref(),
                text::SHORT_NAME_MAX,
            ),
        );
        let region = collect(
            &mut errors,
            text::required("region", &self.region, text::REGION_MAX),
        );
        let website = check_website(&mut errors, self.website.as_deref());
        let time_zone = self
            .time_zone
            .as_deref()
            .and_then(|z| collect(&mut errors, hours::check_time_zone("time_zone", z)));
        if !errors.is_empty() {
            return Err(ApiError::validation(errors));
        }
        Ok(AgencyChanges {
            name,
            short_name,
            region,
            kind: Some(self.kind),
            website: Some(website),
            time_zone,
        })
    }
}

impl AgencyPatch {
    pub fn validate(&self) -> Result<AgencyChanges, ApiError> {
        let mut errors = Vec::new();
        let name = self
            .name
            .as_deref()
            .and_then(|n| collect(&mut errors, text::required("name", n, text::NAME_MAX)));
        let short_name = self.short_name.as_ref().map(|s| {
            collect(
                &mut errors,
                text::optional("short_name", s.as_deref(), text::SHORT_NAME_MAX),
            )
            .flatten()
        });
        let region = self
            .region
            .as_deref()
            .and_then(|r| collect(&mut errors, text::required("region", r, text::REGION_MAX)));
        let website = self
            .website
            .as_ref()
            .map(|w| check_website(&mut errors, w.as_deref()));
        let time_zone = self
            .time_zone
            .as_deref()
            .and_then(|z| collect(&mut errors, hours::check_time_zone("time_zone", z)));
        if !errors.is_empty() {
            return Err(ApiError::validation(errors));
        }
        Ok(AgencyChanges {
            name,
            short_name,
            region,
            kind: self.kind,
            website,
            time_zone,
        })
    }
}
