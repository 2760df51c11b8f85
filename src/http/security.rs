//! Security headers on every response (issue «Hostile input and hostile neighbours»):
//! `X-Content-Type-Options: nosniff`, `Referrer-Policy: no-referrer`, and a
//! `Content-Security-Policy` fitted to what the response is — the printable HTML register
//! (which agencies embed on their sites: `frame-ancestors` from `TOUCHPOINTS_FRAME_ANCESTORS`),
//! Swagger UI (its own scripts and styles, nothing from elsewhere), or API data (nothing at all).

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{self, HeaderValue};
use actix_web::middleware::Next;
use actix_web::web;
use base64::Engine;
use sha2::{Digest, Sha256};

/// The policies, built once at start-up.
#[derive(Clone)]
pub struct SecurityHeaders {
    register: HeaderValue,
    swagger: HeaderValue,
    api: HeaderValue,
}

/// Swagger UI runs its own bundled scripts and styles (it sets inline `style` attributes and
/// shows `data:` images) and reads the spec from this origin; it is never framed.
pub const SWAGGER_CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self'; font-src 'self' data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";
/// JSON, CSV, XLSX, problems: nothing in them may run or be framed.
pub const API_CSP: &str = "default-src 'none'; frame-ancestors 'none'; sandbox";

impl SecurityHeaders {
    /// `frame_ancestors`: the CSP source list of the sites that may embed the HTML register;
    /// `register_style`: the register page's one inline stylesheet.
    pub fn new(frame_ancestors: &str, register_style: &str) -> anyhow::Result<Self> {
        let register = register_csp(frame_ancestors, register_style);
        Ok(SecurityHeaders {
            register: HeaderValue::from_str(&register).map_err(|_| {
                anyhow::anyhow!(
                    "TOUCHPOINTS_FRAME_ANCESTORS={frame_ancestors:?} is not a valid header value"
                )
            })?,
            swagger: HeaderValue::from_static(SWAGGER_CSP),
            api: HeaderValue::from_static(API_CSP),
        })
    }
}

/// The printable register: its one inline stylesheet (allowed by its hash), no script at all.
pub fn register_csp(frame_ancestors: &str, style: &str) -> String {
    let hash = base64::engine::general_purpose::STANDARD.encode(Sha256::digest(style.as_bytes()));
    format!("default-src 'none'; style-src 'sha256-{hash}'; img-src 'self' data:; base-uri 'none'; form-action 'none'; frame-ancestors {frame_ancestors}")
}

pub async fn security_headers(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let policies = req.app_data::<web::Data<SecurityHeaders>>().cloned();
    let swagger = req.path().starts_with("/swagger-ui");
    let mut res = next.call(req).await?;
    let headers = res.headers_mut();
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    headers.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    if let Some(p) = policies {
        if !headers.contains_key(header::CONTENT_SECURITY_POLICY) {
            let html = headers
                .get(header::CONTENT_TYPE)
                .and_then(|v| v.to_str().ok())
                .is_some_and(|v| v.starts_with("text/html"));
            let policy = if swagger {
                &p.swagger
            } else if html {
                &p.register
            } else {
                &p.api
            };
            headers.insert(header::CONTENT_SECURITY_POLICY, policy.clone());
        }
    }
    Ok(res)
}
