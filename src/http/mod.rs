//! HTTP plumbing shared by every resource: the JSON body extractor, parameter error
//! handlers, pagination and list envelopes.

/// JSON number helpers, a domain concern since validated values use them.
pub use crate::domain::de;
pub mod etag;
pub mod extract;
pub mod messages;
pub mod pagination;
pub mod patch;
pub mod path;
pub mod routes;
pub mod security;

pub use extract::{ApiJson, ApiQuery};
pub use pagination::{ListParams, Paging};

/// 201 Created with a Location header.
pub fn created<T: serde::Serialize>(location: String, body: &T) -> actix_web::HttpResponse {
    actix_web::HttpResponse::Created()
        .insert_header(("Location", location))
        .json(body)
}

/// Parses a `sort` parameter against the values a list accepts.
pub fn sort_param<S>(
    raw: Option<&str>,
    default: &str,
    values: &[(&str, S)],
) -> Result<S, crate::error::ApiError>
where
    S: Copy,
{
    let wanted = raw.unwrap_or(default);
    values
        .iter()
        .find(|(name, _)| *name == wanted)
        .map(|(_, s)| *s)
        .ok_or_else(|| {
            let names: Vec<&str> = values.iter().map(|(n, _)| *n).collect();
            crate::error::ApiError::field(
                crate::error::ErrorCode::InvalidParameter,
                "sort",
                "unknown_value",
                format!("must be one of {}", names.join(", ")),
            )
        })
}
