use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use crate::domain::{text, ClientType, ProcessKind};
use crate::error::{ApiError, FieldError};
use crate::http::patch::nullable;

/// A concrete process (конкретный процесс: услуга, функция, сервис; column 3 of the form).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[schema(example = json!({
    "id": "3d2c1b0a-9f8e-4d7c-8b6a-5f4e3d2c1b0a",
    "agency_id": "0b9a4c1e-3a52-4f7e-9f1e-6d2b8c3a5e10",
    "direction_id": "8e1b2c3d-4f5a-6b7c-8d9e-0f1a2b3c4d5e",
    "direction_label": null,
    "unit_id": null,
    "name": "Прием и рассмотрение обращений и запросов, поступающих в Министерство",
    "registry_code": "МЧС-РОЗ-01",
    "kind": "function",
    "client_type": "external",
    "position": 1,
    "touchpoint_count": 7,
    "created_at": "2026-11-22T10:00:00Z",
    "updated_at": "2026-11-22T10:00:00Z",
    "external_id": "ptv:1001"
}))]
pub struct Process {
    pub id: Uuid,
    pub agency_id: Uuid,
    pub direction_id: Uuid,
    /// The direction as the agency's own form words it, when that differs from the catalog label.
    pub direction_label: Option<String>,
    /// The owning unit; null when the process belongs to the agency as a whole.
    pub unit_id: Option<Uuid>,
    pub name: String,
    /// Code in the agency's process registry.
    pub registry_code: Option<String>,
    pub kind: ProcessKind,
    pub client_type: ClientType,
    /// Order of the process in the register.
    pub position: i32,
    /// Number of touchpoints of the process.
    pub touchpoint_count: i64,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// The integrator's own id of the process (unique within the agency), by which
    /// `PUT /agencies/{id}/processes/by-external-id/{external_id}` creates or replaces it.
    pub external_id: Option<String>,
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({
    "direction_id": "8e1b2c3d-4f5a-6b7c-8d9e-0f1a2b3c4d5e",
    "name": "Прием и рассмотрение обращений и запросов, поступающих в Министерство",
    "registry_code": "МЧС-РОЗ-01",
    "kind": "function",
    "client_type": "external"
}))]
pub struct NewProcess {
    /// A catalog direction or one of the agency's own.
    pub direction_id: Uuid,
    #[serde(default)]
    #[schema(max_length = 1000)]
    pub direction_label: Option<String>,
    /// A unit of the same agency; omit for the agency as a whole.
    #[serde(default)]
    pub unit_id: Option<Uuid>,
    #[schema(pattern = "\\S", max_length = 2000)]
    pub name: String,
    #[serde(default)]
    #[schema(max_length = 100)]
    pub registry_code: Option<String>,
    pub kind: ProcessKind,
    pub client_type: ClientType,
    /// Order in the register; by default after the agency's last process.
    #[serde(default, deserialize_with = "crate::domain::de::opt_int")]
    #[schema(minimum = 0, maximum = 1000000)]
    pub position: Option<i32>,
    /// The integrator's own id (unique within the agency): letters, digits and `._:~-`.
    #[serde(default)]
    #[schema(
        pattern = "^[A-Za-z0-9._:~-]{1,200}$",
        max_length = 200,
        example = "ptv:1001"
    )]
    pub external_id: Option<String>,
}

/// A process as `PUT /agencies/{id}/processes/by-external-id/{external_id}` replaces it: the
/// fields of [`NewProcess`], the external id coming from the path.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({
    "direction_id": "8e1b2c3d-4f5a-6b7c-8d9e-0f1a2b3c4d5e",
    "name": "Прием и рассмотрение обращений и запросов, поступающих в Министерство",
    "registry_code": "МЧС-РОЗ-01",
    "kind": "function",
    "client_type": "external"
}))]
pub struct ProcessReplacement {
    /// A catalog direction or one of the agency's own.
    pub direction_id: Uuid,
    #[serde(default)]
    #[schema(max_length = 1000)]
    pub direction_label: Option<String>,
    /// A unit of the same agency; omit for the agency as a whole.
    #[serde(default)]
    pub unit_id: Option<Uuid>,
    #[schema(pattern = "\\S", max_length = 2000)]
    pub name: String,
    #[serde(default)]
    #[schema(max_length = 100)]
    pub registry_code: Option<String>,
    pub kind: ProcessKind,
    pub client_type: ClientType,
    /// Order in the register; omitted: a new process goes after the agency's last one, an
    /// existing one keeps its place.
    #[serde(default, deserialize_with = "crate::domain::de::opt_int")]
    #[schema(minimum = 0, maximum = 1000000)]
    pub position: Option<i32>,
}

impl ProcessReplacement {
    /// The creation the replacement amounts to when no process has the external id yet.
    pub fn into_new(self, external_id: String) -> NewProcess {
        NewProcess {
            direction_id: self.direction_id,
            direction_label: self.direction_label,
            unit_id: self.unit_id,
            name: self.name,
            registry_code: self.registry_code,
            kind: self.kind,
            client_type: self.client_type,
            position: self.position,
            external_id: Some(external_id),
        }
    }
}

#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"unit_id": "5c3f7a10-8d2e-4b6a-9c1d-2e3f4a5b6c7d", "registry_code": null}))]
pub struct ProcessPatch {
    #[serde(default)]
    pub direction_id: Option<Uuid>,
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<String>, max_length = 1000)]
    pub direction_label: Option<Option<String>>,
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<Uuid>)]
    pub unit_id: Option<Option<Uuid>>,
    #[serde(default)]
    #[schema(value_type = Option<String>, pattern = "\\S", max_length = 2000)]
    pub name: Option<String>,
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<String>, max_length = 100)]
    pub registry_code: Option<Option<String>>,
    #[serde(default)]
    pub kind: Option<ProcessKind>,
    #[serde(default)]
    pub client_type: Option<ClientType>,
    #[serde(default, deserialize_with = "crate::domain::de::opt_int")]
    #[schema(minimum = 0, maximum = 1000000)]
    pub position: Option<i32>,
    /// `null` drops the external id.
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<String>, pattern = "^[A-Za-z0-9._:~-]{1,200}$", max_length = 200)]
    pub external_id: Option<Option<String>>,
}

/// Checked changes of a process.
#[derive(Debug, Clone, Default)]
pub struct ProcessChanges {
    pub direction_id: Option<Uuid>,
    pub direction_label: Option<Option<String>>,
    pub unit_id: Option<Option<Uuid>>,
    pub name: Option<String>,
    pub registry_code: Option<Option<String>>,
    pub kind: Option<ProcessKind>,
    pub client_type: Option<ClientType>,
    pub position: Option<i32>,
    pub external_id: Option<Option<String>>,
}

impl ProcessChanges {
    /// Whether applying these changes to `p` would leave it as it is.
    pub fn changes_nothing(&self, p: &Process) -> bool {
        fn same<T: PartialEq>(new: &Option<T>, old: &T) -> bool {
            new.as_ref().is_none_or(|n| n == old)
        }
        same(&self.direction_id, &p.direction_id)
            && same(&self.direction_label, &p.direction_label)
            && same(&self.unit_id, &p.unit_id)
            && same(&self.name, &p.name)
            && same(&self.registry_code, &p.registry_code)
            && same(&self.kind, &p.kind)
            && same(&self.client_type, &p.client_type)
            && same(&self.position, &p.position)
            && same(&self.external_id, &p.external_id)
    }
}

fn check_external_id(e: &mut Vec<FieldError>, v: Option<&str>) -> Option<String> {
    v.and_then(|v| keep(e, text::external_id("external_id", v)))
}

fn keep<T>(errors: &mut Vec<FieldError>, r: Result<T, FieldError>) -> Option<T> {
    r.map_err(|e| errors.push(e)).ok()
}

fn check_position(errors: &mut Vec<FieldError>, p: Option<i32>) -> Option<i32> {
    match p {
        Some(v) if !(0..=1_000_000).contains(&v) => {
            errors.push(FieldError::new(
                "position",
                "out_of_range",
                "must be between 0 and 1000000",
            ));
            None
        }
        other => other,
    }
}

impl NewProcess {
    pub fn validate(&self) -> Result<ProcessChanges, ApiError> {
        let mut e = Vec::new();
        let name = keep(
            &mut e,
            text::required("name", &self.name, text::PROCESS_NAME_MAX),
        );
        let label = keep(
            &mut e,
            text::optional(
                "direction_label",
                self.direction_label.as_deref(),
                text::DIRECTION_LABEL_MAX,
            ),
        );
        let code = keep(
            &mut e,
            text::optional(
                "registry_code",
                self.registry_code.as_deref(),
                text::REGISTRY_CODE_MAX,
            ),
        );
        let position = check_position(&mut e, self.position);
        let external_id = check_external_id(&mut e, self.external_id.as_deref());
        if !e.is_empty() {
            return Err(ApiError::validation(e));
        }
        Ok(ProcessChanges {
            direction_id: Some(self.direction_id),
            direction_label: label,
            unit_id: Some(self.unit_id),
            name,
            registry_code: code,
            kind: Some(self.kind),
            client_type: Some(self.client_type),
            position,
            external_id: Some(external_id),
        })
    }
}

impl ProcessPatch {
    pub fn validate(&self) -> Result<ProcessChanges, ApiError> {
        let mut e = Vec::new();
        let name = self
            .name
            .as_deref()
            .and_then(|n| keep(&mut e, text::required("name", n, text::PROCESS_NAME_MAX)));
        let label = self.direction_label.as_ref().map(|l| {
            keep(
                &mut e,
                text::optional("direction_label", l.as_deref(), text::DIRECTION_LABEL_MAX),
            )
            .flatten()
        });
        let code = self.registry_code.as_ref().map(|c| {
            keep(
                &mut e,
                text::optional("registry_code", c.as_deref(), text::REGISTRY_CODE_MAX),
            )
            .flatten()
        });
        let position = check_position(&mut e, self.position);
        let external_id = self
            .external_id
            .as_ref()
            .map(|x| check_external_id(&mut e, x.as_deref()));
        if !e.is_empty() {
            return Err(ApiError::validation(e));
        }
        Ok(ProcessChanges {
            direction_id: self.direction_id,
            direction_label: label,
            unit_id: self.unit_id,
            name,
            registry_code: code,
            kind: self.kind,
            client_type: self.client_type,
            position,
            external_id,
        })
    }
}
