//! Why a value a client sent is refused, naming the field: what every validator in `domain`
//! returns, and what a 422 problem lists. A value type below the HTTP error it ends up in.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// One offending field of a request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct FieldError {
    /// JSON path of the field, e.g. `contacts[1].value`; `body` for the whole body.
    #[schema(example = "contacts[0].value")]
    pub field: String,
    /// Stable code of what is wrong with the field.
    #[schema(example = "invalid_phone")]
    pub code: String,
    /// Human-readable explanation.
    #[schema(example = "not a Russian phone number: expected +7 and 10 digits")]
    pub message: String,
}

impl FieldError {
    pub fn new(field: impl Into<String>, code: &str, message: impl Into<String>) -> Self {
        FieldError {
            field: field.into(),
            code: code.to_owned(),
            message: message.into(),
        }
    }
}
