//! The one error type at the HTTP edge, answered as `application/problem+json` (RFC 9457).
//!
//! Every client-caused failure carries a stable machine-readable `code` (see [`ErrorCode`]);
//! anything unexpected is logged with its cause and answered with a generic 500 body.

use actix_web::http::{header, StatusCode};
use actix_web::{HttpResponse, ResponseError};
use diesel::result::{DatabaseErrorKind, Error as DieselError};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

pub const PROBLEM_JSON: &str = "application/problem+json";

/// Stable, machine-readable problem codes. Clients switch on these, never on `detail`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ErrorCode {
    /// The JSON body is not syntactically valid JSON.
    MalformedJson,
    /// A path or query parameter has the wrong shape (not a UUID, not a number, unknown value).
    InvalidParameter,
    /// The body is well-formed JSON but a field is missing, of the wrong type or invalid.
    ValidationFailed,
    /// A referenced catalog code or resource (direction, unit, channel type, need) does not exist.
    UnknownReference,
    /// No valid bearer token: missing, malformed, expired, wrong key or algorithm.
    Unauthorized,
    /// The token is valid but its roles or agency do not allow this.
    Forbidden,
    /// The addressed resource does not exist.
    NotFound,
    /// A touchpoint with the same channel and contact (or name) already exists in the process (R7).
    DuplicateTouchpoint,
    /// A unique name or code is already taken.
    AlreadyExists,
    /// The resource still has dependants (processes, touchpoints, units, organizations).
    HasDependents,
    /// The catalog entry is shared by all agencies and cannot be changed through this path.
    ReadOnly,
    /// The transition is not allowed from the current state, which the detail names.
    InvalidTransition,
    /// The caller is not the official the next open step of the approval chain needs (or, for
    /// a refusal, no official of the chain); the detail names who is expected.
    WrongOfficial,
    /// The working copy is read-only now: its part is submitted or accepted, or the revision is being approved.
    Locked,
    /// A revision of this agency's register is already in progress (`existing_id`).
    RevisionInProgress,
    /// The part has error-level findings (`findings`); fix them before submitting.
    FindingsBlockSubmission,
    /// `If-Match` names a version that is no longer current: reload and retry.
    PreconditionFailed,
    /// The request body did not arrive in time (a slow or stalled upload); send it again.
    RequestTimeout,
    /// The request body is larger than the server accepts.
    PayloadTooLarge,
    /// A webhook URL points where deliveries may not go (loopback, private, link-local, reserved
    /// ranges, this service itself); the detail names the address and why.
    /// `TOUCHPOINTS_WEBHOOK_ALLOW_HOSTS` opens exceptions.
    WebhookTargetForbidden,
    /// A per-agency limit is reached (e.g. at most 10 webhooks); remove something first.
    LimitReached,
    /// The body is not `application/json`.
    UnsupportedMediaType,
    /// The HTTP method is not allowed on this path.
    MethodNotAllowed,
    /// The database is unreachable or every connection is busy; retry later.
    ServiceUnavailable,
    /// An unexpected server fault; it has been logged.
    InternalError,
}

impl ErrorCode {
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorCode::MalformedJson => "malformed_json",
            ErrorCode::InvalidParameter => "invalid_parameter",
            ErrorCode::ValidationFailed => "validation_failed",
            ErrorCode::UnknownReference => "unknown_reference",
            ErrorCode::Unauthorized => "unauthorized",
            ErrorCode::Forbidden => "forbidden",
            ErrorCode::NotFound => "not_found",
            ErrorCode::DuplicateTouchpoint => "duplicate_touchpoint",
            ErrorCode::AlreadyExists => "already_exists",
            ErrorCode::HasDependents => "has_dependents",
            ErrorCode::ReadOnly => "read_only",
            ErrorCode::InvalidTransition => "invalid_transition",
            ErrorCode::WrongOfficial => "wrong_official",
            ErrorCode::Locked => "locked",
            ErrorCode::RevisionInProgress => "revision_in_progress",
            ErrorCode::FindingsBlockSubmission => "findings_block_submission",
            ErrorCode::PreconditionFailed => "precondition_failed",
            ErrorCode::RequestTimeout => "request_timeout",
            ErrorCode::PayloadTooLarge => "payload_too_large",
            ErrorCode::WebhookTargetForbidden => "webhook_target_forbidden",
            ErrorCode::LimitReached => "limit_reached",
            ErrorCode::UnsupportedMediaType => "unsupported_media_type",
            ErrorCode::MethodNotAllowed => "method_not_allowed",
            ErrorCode::ServiceUnavailable => "service_unavailable",
            ErrorCode::InternalError => "internal_error",
        }
    }

    pub fn status(self) -> StatusCode {
        match self {
            ErrorCode::MalformedJson | ErrorCode::InvalidParameter => StatusCode::BAD_REQUEST,
            ErrorCode::ValidationFailed
            | ErrorCode::UnknownReference
            | ErrorCode::FindingsBlockSubmission
            | ErrorCode::WebhookTargetForbidden => StatusCode::UNPROCESSABLE_ENTITY,
            ErrorCode::Unauthorized => StatusCode::UNAUTHORIZED,
            ErrorCode::Forbidden | ErrorCode::WrongOfficial => StatusCode::FORBIDDEN,
            ErrorCode::NotFound => StatusCode::NOT_FOUND,
            ErrorCode::DuplicateTouchpoint
            | ErrorCode::AlreadyExists
            | ErrorCode::HasDependents
            | ErrorCode::ReadOnly
            | ErrorCode::InvalidTransition
            | ErrorCode::Locked
            | ErrorCode::RevisionInProgress
            | ErrorCode::LimitReached => StatusCode::CONFLICT,
            ErrorCode::PreconditionFailed => StatusCode::PRECONDITION_FAILED,
            ErrorCode::RequestTimeout => StatusCode::REQUEST_TIMEOUT,
            ErrorCode::PayloadTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            ErrorCode::UnsupportedMediaType => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            ErrorCode::MethodNotAllowed => StatusCode::METHOD_NOT_ALLOWED,
            ErrorCode::ServiceUnavailable => StatusCode::SERVICE_UNAVAILABLE,
            ErrorCode::InternalError => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn title(self) -> &'static str {
        match self {
            ErrorCode::MalformedJson => "Malformed JSON body",
            ErrorCode::InvalidParameter => "Invalid parameter",
            ErrorCode::ValidationFailed => "Validation failed",
            ErrorCode::UnknownReference => "Unknown reference",
            ErrorCode::Unauthorized => "Unauthorized",
            ErrorCode::Forbidden => "Forbidden",
            ErrorCode::NotFound => "Not found",
            ErrorCode::DuplicateTouchpoint => "Duplicate touchpoint",
            ErrorCode::AlreadyExists => "Already exists",
            ErrorCode::HasDependents => "Resource has dependents",
            ErrorCode::ReadOnly => "Read-only resource",
            ErrorCode::InvalidTransition => "Invalid transition",
            ErrorCode::WrongOfficial => "Wrong official",
            ErrorCode::Locked => "Locked",
            ErrorCode::RevisionInProgress => "Revision in progress",
            ErrorCode::FindingsBlockSubmission => "Findings block the submission",
            ErrorCode::PreconditionFailed => "Precondition failed",
            ErrorCode::RequestTimeout => "Request timeout",
            ErrorCode::PayloadTooLarge => "Payload too large",
            ErrorCode::WebhookTargetForbidden => "Webhook target forbidden",
            ErrorCode::LimitReached => "Limit reached",
            ErrorCode::UnsupportedMediaType => "Unsupported media type",
            ErrorCode::MethodNotAllowed => "Method not allowed",
            ErrorCode::ServiceUnavailable => "Service unavailable",
            ErrorCode::InternalError => "Internal server error",
        }
    }
}

pub use crate::domain::field::FieldError;

/// An RFC 9457 problem document, served as `application/problem+json`.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[schema(example = json!({
    "type": "/problems/duplicate_touchpoint",
    "title": "Duplicate touchpoint",
    "status": 409,
    "detail": "the process already has this touchpoint: «Телефон» (phone +78722516122); add the needs to it instead (R7)",
    "code": "duplicate_touchpoint",
    "errors": [{"field": "contacts[0]", "code": "duplicate", "message": "phone +78722516122 is already listed for this channel in the process"}],
    "existing_id": "7b0e3a52-6f0d-4a38-9a53-1d1c2d7c9e11"
}))]
pub struct Problem {
    /// A URI reference naming the problem type: `/problems/{code}`.
    #[serde(rename = "type")]
    pub type_: String,
    /// Short summary of the problem type.
    pub title: String,
    /// The HTTP status code.
    pub status: u16,
    /// Explanation specific to this occurrence.
    pub detail: String,
    /// Stable machine-readable code.
    pub code: ErrorCode,
    /// The offending fields, for validation problems.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<FieldError>,
    /// For conflicts: the id of the existing resource the request collides with.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub existing_id: Option<Uuid>,
    /// For a refused submission: the error-level findings of the part (see the rule checker).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub findings: Vec<crate::domain::finding::Finding>,
}

#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error("{detail}")]
    Client {
        code: ErrorCode,
        detail: String,
        errors: Vec<FieldError>,
        existing_id: Option<Uuid>,
    },
    #[error("{detail}")]
    Findings {
        detail: String,
        findings: Vec<crate::domain::finding::Finding>,
    },
    #[error("service unavailable: {0}")]
    Unavailable(String),
    /// The server is busy with this kind of work (e.g. every import slot is taken): 503 with
    /// `Retry-After: retry_after_s`.
    #[error("busy: {detail}")]
    Busy { detail: String, retry_after_s: u32 },
    #[error("internal error: {0:#}")]
    Internal(#[from] anyhow::Error),
}

/// A domain validator's field errors are a 422 `validation_failed`.
impl From<Vec<FieldError>> for ApiError {
    fn from(errors: Vec<FieldError>) -> Self {
        ApiError::validation(errors)
    }
}

pub type ApiResult<T> = Result<T, ApiError>;

impl ApiError {
    pub fn client(code: ErrorCode, detail: impl Into<String>) -> Self {
        ApiError::Client {
            code,
            detail: detail.into(),
            errors: Vec::new(),
            existing_id: None,
        }
    }

    pub fn not_found(what: &str, id: impl std::fmt::Display) -> Self {
        Self::client(ErrorCode::NotFound, format!("{what} {id} does not exist"))
    }

    pub fn validation(errors: Vec<FieldError>) -> Self {
        let detail = match errors.as_slice() {
            [one] => format!("{}: {}", one.field, one.message),
            many => format!("{} fields are invalid", many.len()),
        };
        ApiError::Client {
            code: ErrorCode::ValidationFailed,
            detail,
            errors,
            existing_id: None,
        }
    }

    pub fn field(
        code: ErrorCode,
        field: &str,
        field_code: &str,
        message: impl Into<String>,
    ) -> Self {
        let message = message.into();
        ApiError::Client {
            code,
            detail: format!("{field}: {message}"),
            errors: vec![FieldError::new(field, field_code, message)],
            existing_id: None,
        }
    }

    pub fn with_existing(mut self, id: Uuid) -> Self {
        if let ApiError::Client { existing_id, .. } = &mut self {
            *existing_id = Some(id);
        }
        self
    }

    pub fn code(&self) -> ErrorCode {
        match self {
            ApiError::Client { code, .. } => *code,
            ApiError::Findings { .. } => ErrorCode::FindingsBlockSubmission,
            ApiError::Unavailable(_) | ApiError::Busy { .. } => ErrorCode::ServiceUnavailable,
            ApiError::Internal(_) => ErrorCode::InternalError,
        }
    }

    pub fn to_problem(&self) -> Problem {
        let code = self.code();
        let findings = match self {
            ApiError::Findings { findings, .. } => findings.clone(),
            _ => Vec::new(),
        };
        let (detail, errors, existing_id) = match self {
            ApiError::Client {
                detail,
                errors,
                existing_id,
                ..
            } => (detail.clone(), errors.clone(), *existing_id),
            ApiError::Findings { detail, .. } | ApiError::Busy { detail, .. } => {
                (detail.clone(), Vec::new(), None)
            }
            ApiError::Unavailable(_) => (
                "the database is unavailable or busy; retry in a few seconds".to_owned(),
                Vec::new(),
                None,
            ),
            ApiError::Internal(_) => (
                "an unexpected error occurred; it has been logged".to_owned(),
                Vec::new(),
                None,
            ),
        };
        Problem {
            type_: format!("/problems/{}", code.as_str()),
            title: code.title().to_owned(),
            status: code.status().as_u16(),
            detail,
            code,
            errors,
            existing_id,
            findings,
        }
    }
}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        self.code().status()
    }

    fn error_response(&self) -> HttpResponse {
        match self {
            ApiError::Internal(err) => tracing::error!(error = ?err, "request failed"),
            ApiError::Unavailable(why) => tracing::warn!(reason = %why, "database unavailable"),
            ApiError::Busy { detail, .. } => tracing::info!(reason = %detail, "busy"),
            ApiError::Client { .. } | ApiError::Findings { .. } => {}
        }
        let mut response = HttpResponse::build(self.status_code());
        response.insert_header((header::CONTENT_TYPE, PROBLEM_JSON));
        match self {
            ApiError::Unavailable(_) => {
                response.insert_header((header::RETRY_AFTER, "2"));
            }
            ApiError::Busy { retry_after_s, .. } => {
                response.insert_header((header::RETRY_AFTER, retry_after_s.to_string()));
            }
            _ => {}
        }
        if self.code() == ErrorCode::Unauthorized {
            response.insert_header((header::WWW_AUTHENTICATE, "Bearer"));
        }
        let mut response = response.json(self.to_problem());
        // the access log names the problem code (telemetry::access_log)
        response.extensions_mut().insert(self.code());
        response
    }
}

/// Database errors: the constraint that fired says which client mistake it was. Constraint
/// names are fixed by the migrations.
impl From<DieselError> for ApiError {
    fn from(err: DieselError) -> Self {
        match &err {
            DieselError::NotFound => {
                ApiError::client(ErrorCode::NotFound, "the resource does not exist")
            }
            DieselError::DatabaseError(kind, info) => {
                let constraint = info.constraint_name().unwrap_or_default();
                match kind {
                    DatabaseErrorKind::UniqueViolation => {
                        if constraint.starts_with("touchpoint") {
                            ApiError::client(
                                ErrorCode::DuplicateTouchpoint,
                                "the process already has a touchpoint with this channel and contact (R7)",
                            )
                        } else {
                            ApiError::client(
                                ErrorCode::AlreadyExists,
                                format!(
                                    "a resource with these values already exists ({constraint})"
                                ),
                            )
                        }
                    }
                    DatabaseErrorKind::ForeignKeyViolation => {
                        // Deleting a referenced row: "update or delete on table … violates …"
                        if info.message().starts_with("update or delete") {
                            ApiError::client(
                                ErrorCode::HasDependents,
                                format!("the resource is still referenced ({constraint})"),
                            )
                        } else {
                            ApiError::client(
                                ErrorCode::UnknownReference,
                                format!("a referenced resource does not exist ({constraint})"),
                            )
                        }
                    }
                    DatabaseErrorKind::CheckViolation | DatabaseErrorKind::NotNullViolation => {
                        ApiError::client(
                            ErrorCode::ValidationFailed,
                            format!("the values break a rule of the register ({constraint})"),
                        )
                    }
                    DatabaseErrorKind::ClosedConnection => ApiError::Unavailable(err.to_string()),
                    // the server went away under a pooled connection: the pool drops it, the
                    // client may retry
                    _ if connection_lost(info.message()) => ApiError::Unavailable(err.to_string()),
                    // statement_timeout fired: the request took too long; the client may retry
                    _ if info
                        .message()
                        .contains("canceling statement due to statement timeout") =>
                    {
                        ApiError::Unavailable(err.to_string())
                    }
                    _ => ApiError::Internal(anyhow::Error::new(err)),
                }
            }
            DieselError::BrokenTransactionManager => ApiError::Unavailable(err.to_string()),
            _ => ApiError::Internal(anyhow::Error::new(err)),
        }
    }
}

/// libpq's and PostgreSQL's words for a connection that is gone (server restart, admin shutdown).
fn connection_lost(message: &str) -> bool {
    let m = message.to_ascii_lowercase();
    [
        "server closed the connection",
        "terminating connection",
        "connection to server",
        "no connection to the server",
        "could not receive data",
        "could not send data",
        "the database system is shutting down",
        "the database system is starting up",
    ]
    .iter()
    .any(|p| m.contains(p))
}

impl From<r2d2_error::PoolError> for ApiError {
    fn from(err: r2d2_error::PoolError) -> Self {
        ApiError::Unavailable(err.to_string())
    }
}

mod r2d2_error {
    pub type PoolError = diesel::r2d2::PoolError;
}
