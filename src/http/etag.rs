//! Optimistic concurrency: every mutable resource has an `ETag` derived from its `updated_at`;
//! a write that sends a stale `If-Match` gets 412 instead of overwriting someone's change.

use std::future::{ready, Ready};

use actix_web::dev::Payload;
use actix_web::http::header;
use actix_web::{FromRequest, HttpRequest, HttpResponseBuilder};
use chrono::{DateTime, Utc};

use crate::error::{ApiError, ErrorCode};

/// The strong entity tag of a row last changed at `updated_at`.
pub fn etag(updated_at: DateTime<Utc>) -> String {
    format!("\"{:x}\"", updated_at.timestamp_micros())
}

pub fn with_etag(
    mut builder: HttpResponseBuilder,
    updated_at: DateTime<Utc>,
) -> HttpResponseBuilder {
    builder.insert_header((header::ETAG, etag(updated_at)));
    builder
}

/// The request's `If-Match` header, if any. A handler that takes it lists it in its
/// `#[utoipa::path(params(IfMatch))]`, which documents the header (and so the 412 answer).
#[derive(Debug, Clone, Default, utoipa::IntoParams)]
#[into_params(names("If-Match"), parameter_in = Header)]
pub struct IfMatch(
    /// The ETag from the last read; a stale one is refused with 412 (optimistic concurrency)
    pub Option<String>,
);

impl IfMatch {
    /// Passes when no `If-Match` was sent, or when it names the current tag (or `*`).
    pub fn check(&self, updated_at: DateTime<Utc>) -> Result<(), ApiError> {
        let Some(wanted) = &self.0 else { return Ok(()) };
        let current = etag(updated_at);
        let ok = wanted
            .split(',')
            .map(str::trim)
            .any(|t| t == "*" || t == current || t.strip_prefix("W/") == Some(current.as_str()));
        if ok {
            Ok(())
        } else {
            Err(ApiError::client(ErrorCode::PreconditionFailed, format!("If-Match {wanted} is stale: the resource is now {current}; reload it and retry")))
        }
    }
}

impl FromRequest for IfMatch {
    type Error = ApiError;
    type Future = Ready<Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        ready(match req.headers().get(header::IF_MATCH) {
            None => Ok(IfMatch(None)),
            Some(v) => v
                .to_str()
                .map(|s| IfMatch(Some(s.to_owned())))
                .map_err(|_| {
                    ApiError::client(ErrorCode::InvalidParameter, "If-Match is not ASCII")
                }),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn if_match() {
        let t = Utc::now();
        assert!(IfMatch(None).check(t).is_ok());
        assert!(IfMatch(Some(etag(t))).check(t).is_ok());
        assert!(IfMatch(Some("*".into())).check(t).is_ok());
        assert!(IfMatch(Some(format!("W/{}", etag(t)))).check(t).is_ok());
        let later = t + chrono::Duration::microseconds(1);
        assert_eq!(
            IfMatch(Some(etag(t))).check(later).unwrap_err().code(),
            ErrorCode::PreconditionFailed
        );
    }
}
