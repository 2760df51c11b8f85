//! Publication webhooks (issue «Publishing to portals»): on every publication an event goes to
//! each of the agency's registered endpoints, signed with HMAC-SHA256. Deliveries are rows of a
//! transactional outbox written in the publishing transaction; the worker ([`worker`]) sends
//! them concurrently, outside any transaction, with retries and exponential backoff, so an event
//! is never lost and is delivered at least once (receivers deduplicate by
//! `X-Touchpoints-Delivery`). Targets are held to an egress policy ([`egress`]) at registration
//! and again at every connection, so a webhook cannot probe the inside of the network.

pub mod api;
pub mod egress;
pub mod worker;

use diesel::pg::PgConnection;
use diesel::prelude::*;
use hmac::{Hmac, Mac};
use sha2::Sha256;
use uuid::Uuid;

use crate::error::{ApiError, ApiResult, ErrorCode};
use crate::schema::{webhook_deliveries as wd, webhooks};

pub const EVENT_PUBLISHED: &str = "register.published";

/// `sha256=<hex>` of the body under the webhook's secret.
pub fn signature(secret: &str, body: &[u8]) -> String {
    let mut mac =
        Hmac::<Sha256>::new_from_slice(secret.as_bytes()).expect("HMAC takes any key length");
    mac.update(body);
    format!("sha256={}", hex::encode(mac.finalize().into_bytes()))
}

/// Writes one delivery of `payload` per active webhook of the agency subscribed to
/// `event_type`, inside the caller's transaction (see `crate::notices::emit`).
pub fn enqueue(
    conn: &mut PgConnection,
    agency_id: Uuid,
    event_type: &str,
    payload: &serde_json::Value,
) -> ApiResult<usize> {
    let hooks: Vec<(Uuid, Vec<Option<String>>)> = webhooks::table
        .filter(webhooks::agency_id.eq(agency_id))
        .filter(webhooks::active.eq(true))
        .select((webhooks::id, webhooks::events))
        .load(conn)?;
    let rows: Vec<_> = hooks
        .iter()
        .filter(|(_, events)| events.iter().flatten().any(|e| e == event_type))
        .map(|(h, _)| {
            (
                wd::webhook_id.eq(*h),
                wd::event_type.eq(event_type),
                wd::payload.eq(payload),
            )
        })
        .collect();
    if rows.is_empty() {
        return Ok(0);
    }
    Ok(diesel::insert_into(wd::table).values(rows).execute(conn)?)
}

/// Seconds to wait after the n-th failed attempt: base·2ⁿ, capped at an hour.
pub fn backoff_ms(base_ms: u64, attempts: i32) -> u64 {
    let exp = attempts.clamp(0, 20) as u32;
    base_ms.saturating_mul(1u64 << exp).min(3_600_000)
}

pub const MAX_ATTEMPTS: i32 = 12;

/// Webhooks one agency may register: each publication fans out to all of them.
pub const MAX_WEBHOOKS_PER_AGENCY: i64 = 10;

/// Refuses a registration beyond [`MAX_WEBHOOKS_PER_AGENCY`].
pub fn ensure_below_limit(existing: i64) -> ApiResult<()> {
    if existing >= MAX_WEBHOOKS_PER_AGENCY {
        return Err(ApiError::client(ErrorCode::LimitReached, format!("an agency may register at most {MAX_WEBHOOKS_PER_AGENCY} webhooks; delete one first")));
    }
    Ok(())
}

/// Checks a webhook target against the egress policy, resolving a host name with the system
/// resolver (this blocks: call it off the async workers).
pub fn check_target(policy: &egress::EgressPolicy, url: &url::Url) -> ApiResult<()> {
    use std::net::ToSocketAddrs;
    policy.check_url(url, |host, port| (host, port).to_socket_addrs().map(Iterator::collect)).map_err(|refusal| {
        ApiError::field(
            ErrorCode::WebhookTargetForbidden,
            "url",
            "forbidden_target",
            format!("{refusal}; webhooks may not reach it (the server's TOUCHPOINTS_WEBHOOK_ALLOW_HOSTS opens exceptions)"),
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signature_is_hmac_sha256_hex() {
        // RFC 4231 test case 2
        assert_eq!(
            signature("Jefe", b"what do ya want for nothing?"),
            "sha256=5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
    }

    #[test]
    fn the_eleventh_webhook_is_refused() {
        assert!(ensure_below_limit(9).is_ok());
        assert_eq!(
            ensure_below_limit(10).unwrap_err().code(),
            ErrorCode::LimitReached
        );
    }

    #[test]
    fn backoff_doubles_and_caps() {
        assert_eq!(backoff_ms(1000, 0), 1000);
        assert_eq!(backoff_ms(1000, 3), 8000);
        assert_eq!(backoff_ms(1000, 30), 3_600_000);
    }
}
