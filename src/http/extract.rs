//! Request extractors and error handlers that answer client mistakes as problem+json.

use std::future::Future;
use std::pin::Pin;

use actix_web::dev::Payload;
use actix_web::error::{PathError, QueryPayloadError};
use actix_web::http::header;
use actix_web::{web, FromRequest, HttpRequest};
use serde::de::DeserializeOwned;

use crate::error::{ApiError, ErrorCode, FieldError};

/// Maximum nesting of a JSON body; deeper documents are refused before deserialising.
pub const MAX_JSON_DEPTH: usize = 32;

/// A JSON body whose errors name the offending field (`contacts[1].kind`) and map onto the
/// documented statuses: 415 for another media type, 413 when too large, 400 for broken JSON,
/// 422 for well-formed JSON that does not fit the schema.
pub struct ApiJson<T>(pub T);

impl<T: DeserializeOwned + 'static> FromRequest for ApiJson<T> {
    type Error = ApiError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, ApiError>>>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let content_type_ok = match req
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
        {
            Some(ct) => {
                let essence = ct
                    .split(';')
                    .next()
                    .unwrap_or("")
                    .trim()
                    .to_ascii_lowercase();
                essence == "application/json" || essence.ends_with("+json")
            }
            None => false,
        };
        let bytes = web::Bytes::from_request(req, payload);
        Box::pin(async move {
            if !content_type_ok {
                return Err(ApiError::client(
                    ErrorCode::UnsupportedMediaType,
                    "send the body as application/json",
                ));
            }
            let body = bytes.await.map_err(|e| {
                let status = e.as_response_error().status_code();
                if status == actix_web::http::StatusCode::PAYLOAD_TOO_LARGE {
                    ApiError::client(
                        ErrorCode::PayloadTooLarge,
                        "the body is larger than the server accepts",
                    )
                } else {
                    ApiError::client(
                        ErrorCode::MalformedJson,
                        format!("could not read the body: {e}"),
                    )
                }
            })?;
            parse_json(&body).map(ApiJson)
        })
    }
}

/// An optional JSON body: an empty body (a call that sends none) is `None`; anything else is
/// read as [`ApiJson`] reads it.
pub struct OptionalJson<T>(pub Option<T>);

impl<T: DeserializeOwned + 'static> FromRequest for OptionalJson<T> {
    type Error = ApiError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, ApiError>>>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let json_type = req
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .map(|ct| {
                let essence = ct
                    .split(';')
                    .next()
                    .unwrap_or("")
                    .trim()
                    .to_ascii_lowercase();
                essence == "application/json" || essence.ends_with("+json")
            });
        let bytes = web::Bytes::from_request(req, payload);
        Box::pin(async move {
            let body = bytes.await.map_err(|e| {
                if e.as_response_error().status_code()
                    == actix_web::http::StatusCode::PAYLOAD_TOO_LARGE
                {
                    ApiError::client(
                        ErrorCode::PayloadTooLarge,
                        "the body is larger than the server accepts",
                    )
                } else {
                    ApiError::client(
                        ErrorCode::MalformedJson,
                        format!("could not read the body: {e}"),
                    )
                }
            })?;
            // no body, or JSON `null`: nothing said
            if body.iter().all(u8::is_ascii_whitespace) || body.trim_ascii() == b"null" {
                return Ok(OptionalJson(None));
            }
            if json_type != Some(true) {
                return Err(ApiError::client(
                    ErrorCode::UnsupportedMediaType,
                    "send the body as application/json",
                ));
            }
            parse_json(&body).map(|v| OptionalJson(Some(v)))
        })
    }
}

/// Parses a JSON document into `T`, classifying errors as the API documents them.
pub fn parse_json<T: DeserializeOwned>(body: &[u8]) -> Result<T, ApiError> {
    if json_depth_exceeds(body, MAX_JSON_DEPTH) {
        return Err(ApiError::client(
            ErrorCode::ValidationFailed,
            format!("the JSON body is nested deeper than {MAX_JSON_DEPTH} levels"),
        ));
    }
    // syntax first, over the whole body (trailing content included), so a broken document is
    // always 400 whatever its first fields say
    if let Err(e) = serde_json::from_slice::<serde::de::IgnoredAny>(body) {
        return Err(ApiError::client(
            ErrorCode::MalformedJson,
            format!("the body is not valid JSON: {e}"),
        ));
    }
    // every body of this API is an object; serde would otherwise map an array onto fields by position
    if body.iter().find(|b| !b.is_ascii_whitespace()) != Some(&b'{') {
        return Err(ApiError::validation(vec![FieldError::new(
            "body",
            "not_an_object",
            "the body must be a JSON object",
        )]));
    }
    // PostgreSQL text cannot hold NUL, and no field of the register needs it
    if contains_nul_escape(body) {
        return Err(ApiError::validation(vec![FieldError::new(
            "body",
            "nul_character",
            "text may not contain the NUL character (\\u0000)",
        )]));
    }
    let de = &mut serde_json::Deserializer::from_slice(body);
    let result: Result<T, _> = serde_path_to_error::deserialize(de);
    match result {
        Ok(v) => Ok(v),
        Err(err) => {
            let path = err.path().to_string();
            let inner = err.into_inner();
            match inner.classify() {
                serde_json::error::Category::Data => {
                    let field = if path == "." { "body".to_owned() } else { path };
                    let message = super::messages::describe(&strip_position(&inner.to_string()));
                    Err(ApiError::validation(vec![FieldError::new(
                        field, "invalid", message,
                    )]))
                }
                _ => Err(ApiError::client(
                    ErrorCode::MalformedJson,
                    format!("the body is not valid JSON: {inner}"),
                )),
            }
        }
    }
}

/// True when a JSON text contains the escape `\u0000` (case-insensitive).
fn contains_nul_escape(body: &[u8]) -> bool {
    body.windows(6)
        .any(|w| w[0] == b'\\' && (w[1] == b'u' || w[1] == b'U') && &w[2..] == b"0000")
}

fn strip_position(msg: &str) -> String {
    match msg.find(" at line ") {
        Some(i) => msg[..i].to_owned(),
        None => msg.to_owned(),
    }
}

/// True when brackets nest deeper than `max` (strings are skipped), so a hostile body of a
/// million `[` never reaches the recursive parser.
pub fn json_depth_exceeds(body: &[u8], max: usize) -> bool {
    let (mut depth, mut in_string, mut escaped) = (0usize, false, false);
    for &b in body {
        if in_string {
            match (escaped, b) {
                (true, _) => escaped = false,
                (false, b'\\') => escaped = true,
                (false, b'"') => in_string = false,
                _ => {}
            }
            continue;
        }
        match b {
            b'"' => in_string = true,
            b'[' | b'{' => {
                depth += 1;
                if depth > max {
                    return true;
                }
            }
            b']' | b'}' => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    false
}

/// A query string read as `T`, whose errors name the parameter at fault (`limit: "abc" is not
/// a non-negative integer`) in the API's terms: 400 `invalid_parameter`. Use it instead of
/// `web::Query`, whose errors say neither.
pub struct ApiQuery<T>(pub T);

impl<T> ApiQuery<T> {
    pub fn into_inner(self) -> T {
        self.0
    }
}

impl<T> std::ops::Deref for ApiQuery<T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.0
    }
}

impl<T: DeserializeOwned> FromRequest for ApiQuery<T> {
    type Error = ApiError;
    type Future = std::future::Ready<Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        std::future::ready(parse_query(req.query_string()).map(ApiQuery))
    }
}

/// Parses a query string into `T`, naming the parameter whose value does not fit.
pub fn parse_query<T: DeserializeOwned>(query: &str) -> Result<T, ApiError> {
    let de = serde_urlencoded::Deserializer::new(url::form_urlencoded::parse(query.as_bytes()));
    serde_path_to_error::deserialize(de).map_err(|err| {
        let path = err.path().to_string();
        let raw = strip_position(&err.into_inner().to_string());
        let message = super::messages::describe(&raw);
        // a value that fails to parse as a number says nothing of itself: name it
        let value = (!path.is_empty() && path != "." && path != "?")
            .then(|| {
                url::form_urlencoded::parse(query.as_bytes())
                    .find(|(k, _)| *k == path)
                    .map(|(_, v)| v.into_owned())
            })
            .flatten();
        let message = match value {
            Some(v) if raw.contains("digit") || raw.contains("number") || raw.contains("float") => {
                format!("{v:?} is not a valid number")
            }
            _ => message,
        };
        let field = if path.is_empty() || path == "." || path == "?" {
            raw.split('`')
                .nth(1)
                .filter(|f| query.contains(&format!("{f}=")))
                .unwrap_or("query")
                .to_owned()
        } else {
            path
        };
        ApiError::Client {
            code: ErrorCode::InvalidParameter,
            detail: format!("{field}: {message}"),
            errors: vec![FieldError::new(field, "invalid", message)],
            existing_id: None,
        }
    })
}

pub fn query_error(err: QueryPayloadError, _req: &HttpRequest) -> actix_web::Error {
    let raw = strip_position(&err.to_string());
    let field = raw
        .split('`')
        .nth(1)
        .map(str::to_owned)
        .unwrap_or_else(|| "query".to_owned());
    let message = super::messages::describe(&raw);
    ApiError::Client {
        code: ErrorCode::InvalidParameter,
        detail: format!("invalid query string: {message}"),
        errors: vec![FieldError::new(field, "invalid", message)],
        existing_id: None,
    }
    .into()
}

pub fn path_error(err: PathError, req: &HttpRequest) -> actix_web::Error {
    let message = super::messages::describe(&err.to_string());
    // the parameter at fault: for a UUID error the first segment that is not one
    let params: Vec<(&str, &str)> = req.match_info().iter().collect();
    let at = params
        .iter()
        .find(|(_, v)| {
            if message.contains("UUID") {
                uuid::Uuid::parse_str(v).is_err()
            } else {
                v.parse::<i64>().is_err()
            }
        })
        .or_else(|| params.first())
        .map(|(k, _)| (*k).to_owned());
    match at {
        Some(field) => ApiError::Client {
            code: ErrorCode::InvalidParameter,
            detail: format!("invalid path parameter `{field}`: {message}"),
            errors: vec![FieldError::new(field, "invalid", message)],
            existing_id: None,
        },
        None => ApiError::client(
            ErrorCode::InvalidParameter,
            format!("invalid path parameter: {message}"),
        ),
    }
    .into()
}

/// Refuses a NUL character anywhere in the path or query string (PostgreSQL text cannot hold
/// it), before any handler or query sees it.
pub async fn reject_nul(
    req: actix_web::dev::ServiceRequest,
    next: actix_web::middleware::Next<impl actix_web::body::MessageBody + 'static>,
) -> Result<
    actix_web::dev::ServiceResponse<actix_web::body::EitherBody<impl actix_web::body::MessageBody>>,
    actix_web::Error,
> {
    let raw = req.uri().path_and_query().map(|p| p.as_str()).unwrap_or("");
    // `%00` (digits only: nothing to fold), looked for in place (every request passes here)
    if raw
        .as_bytes()
        .windows(3)
        .any(|w| w[0] == b'%' && w[1] == b'0' && w[2] == b'0')
    {
        let resp = actix_web::ResponseError::error_response(&ApiError::client(
            ErrorCode::InvalidParameter,
            "the path or query string contains a NUL character",
        ));
        return Ok(req.into_response(resp).map_into_right_body());
    }
    Ok(next.call(req).await?.map_into_left_body())
}

/// Unknown paths answer problem+json too.
pub async fn not_found(req: HttpRequest) -> Result<actix_web::HttpResponse, ApiError> {
    Err(ApiError::client(
        ErrorCode::NotFound,
        format!("no resource at {}", req.path()),
    ))
}

/// A known path with a method it does not support: 405 with the `Allow` header (RFC 9110).
/// `allow` comes from the registered routes (see `crate::http::routes`).
pub fn method_not_allowed(req: &HttpRequest, allow: &str) -> actix_web::HttpResponse {
    let err = ApiError::client(
        ErrorCode::MethodNotAllowed,
        format!(
            "{} is not supported on {}; allowed: {allow}",
            req.method(),
            req.path()
        ),
    );
    let mut resp = actix_web::ResponseError::error_response(&err);
    if let Ok(value) = header::HeaderValue::from_str(allow) {
        resp.headers_mut().insert(header::ALLOW, value);
    }
    resp
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Body {
        name: String,
        items: Vec<Item>,
    }
    #[derive(Debug, Deserialize)]
    #[allow(dead_code)]
    struct Item {
        kind: crate::domain::ContactKind,
    }

    #[derive(Debug, Deserialize)]
    #[allow(dead_code)]
    struct Query {
        limit: Option<u32>,
        kind: Option<crate::domain::ContactKind>,
        agency_id: Option<uuid::Uuid>,
        region: Option<String>,
    }

    fn query_problem(q: &str) -> (String, String) {
        match parse_query::<Query>(q) {
            Err(ApiError::Client { errors, code, .. }) => {
                assert_eq!(code, ErrorCode::InvalidParameter);
                (errors[0].field.clone(), errors[0].message.clone())
            }
            other => panic!("{q}: {:?}", other.map(|_| ())),
        }
    }

    #[test]
    fn a_query_error_names_its_parameter_in_the_apis_terms() {
        assert_eq!(
            query_problem("region=x&limit=abc"),
            ("limit".into(), "\"abc\" is not a valid number".into())
        );
        let (field, message) = query_problem("kind=fax");
        assert_eq!(field, "kind");
        assert!(
            message.starts_with("unknown variant `fax`, expected one of `url`"),
            "{message}"
        );
        assert_eq!(
            query_problem("agency_id=zz"),
            (
                "agency_id".into(),
                "expected a UUID (32 hexadecimal digits in groups 8-4-4-4-12)".into()
            )
        );
        assert!(parse_query::<Query>("limit=5&region=%D0%94").is_ok());
    }

    #[test]
    fn names_the_offending_field() {
        let err = parse_json::<Body>(br#"{"name":"x","items":[{"kind":"url"},{"kind":"fax"}]}"#)
            .unwrap_err();
        let p = err.to_problem();
        assert_eq!(p.code, ErrorCode::ValidationFailed);
        assert_eq!(p.errors[0].field, "items[1].kind");
    }

    #[test]
    fn syntax_errors_are_malformed() {
        assert_eq!(
            parse_json::<Body>(b"{\"name\":").unwrap_err().code(),
            ErrorCode::MalformedJson
        );
        assert_eq!(
            parse_json::<Body>(b"{} {}").unwrap_err().code(),
            ErrorCode::MalformedJson
        );
        assert_eq!(
            parse_json::<Body>(b"[]").unwrap_err().code(),
            ErrorCode::ValidationFailed
        );
        assert_eq!(
            parse_json::<Body>(br#"["x", []]"#)
                .unwrap_err()
                .to_problem()
                .errors[0]
                .code,
            "not_an_object"
        );
        assert_eq!(
            parse_json::<Body>(br#"{"name":"a\u0000b","items":[]}"#)
                .unwrap_err()
                .to_problem()
                .errors[0]
                .code,
            "nul_character"
        );
        assert_eq!(
            parse_json::<Body>(br#"{"name":"x","items":[],"extra":1}"#)
                .unwrap_err()
                .code(),
            ErrorCode::ValidationFailed
        );
    }

    #[test]
    fn depth_limit() {
        let deep = "[".repeat(100_000);
        assert!(json_depth_exceeds(deep.as_bytes(), MAX_JSON_DEPTH));
        assert!(!json_depth_exceeds(
            br#"{"a":"[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[["}"#,
            3
        ));
        assert_eq!(
            parse_json::<Body>(deep.as_bytes()).unwrap_err().code(),
            ErrorCode::ValidationFailed
        );
    }
}
