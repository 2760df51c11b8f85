//! Offset pagination shared by every list endpoint: `{"items": [...], "total": N, "limit", "offset"}`.

use serde::Deserialize;
use utoipa::IntoParams;

use crate::error::{ApiError, ErrorCode};

pub const DEFAULT_LIMIT: i64 = 50;
pub const MAX_LIMIT: i64 = 500;

/// `limit` and `offset` of a list request.
#[derive(Debug, Clone, Copy, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListParams {
    /// Page size, 1 to 500.
    #[param(minimum = 1, maximum = 500, default = 50)]
    pub limit: Option<i64>,
    /// Number of items to skip.
    #[param(minimum = 0, maximum = 2147483647, default = 0)]
    pub offset: Option<i64>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Paging {
    pub limit: i64,
    pub offset: i64,
}

impl ListParams {
    pub fn paging(&self) -> Result<Paging, ApiError> {
        let limit = self.limit.unwrap_or(DEFAULT_LIMIT);
        let offset = self.offset.unwrap_or(0);
        if !(1..=MAX_LIMIT).contains(&limit) {
            return Err(ApiError::field(
                ErrorCode::InvalidParameter,
                "limit",
                "out_of_range",
                format!("must be between 1 and {MAX_LIMIT}"),
            ));
        }
        if !(0..=i64::from(i32::MAX)).contains(&offset) {
            return Err(ApiError::field(
                ErrorCode::InvalidParameter,
                "offset",
                "out_of_range",
                "must be between 0 and 2147483647",
            ));
        }
        Ok(Paging { limit, offset })
    }
}

/// Declares a named list envelope for a resource, so generated clients get readable types.
#[macro_export]
macro_rules! list_envelope {
    ($name:ident, $item:ty) => {
        #[derive(Debug, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
        pub struct $name {
            pub items: Vec<$item>,
            /// Number of items matching the filters, over all pages.
            pub total: i64,
            pub limit: i64,
            pub offset: i64,
        }

        impl $name {
            pub fn new(items: Vec<$item>, total: i64, paging: $crate::http::Paging) -> Self {
                $name {
                    items,
                    total,
                    limit: paging.limit,
                    offset: paging.offset,
                }
            }
        }
    };
}

/// Escapes `%`, `_` and `\` so a search text matches literally inside ILIKE.
pub fn like_pattern(q: &str) -> String {
    let mut out = String::with_capacity(q.len() + 2);
    out.push('%');
    for c in q.trim().chars() {
        if matches!(c, '%' | '_' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out.push('%');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bounds() {
        assert_eq!(
            ListParams {
                limit: None,
                offset: None
            }
            .paging()
            .unwrap(),
            Paging {
                limit: 50,
                offset: 0
            }
        );
        assert!(ListParams {
            limit: Some(0),
            offset: None
        }
        .paging()
        .is_err());
        assert!(ListParams {
            limit: Some(501),
            offset: None
        }
        .paging()
        .is_err());
        assert!(ListParams {
            limit: None,
            offset: Some(-1)
        }
        .paging()
        .is_err());
    }

    #[test]
    fn like_escapes() {
        assert_eq!(like_pattern("50%_a\\"), "%50\\%\\_a\\\\%");
    }
}
