use actix_web::{delete, get, post};
use actix_web::{web, HttpResponse};
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use crate::agencies::db as agency_db;
use crate::auth::{Role, User};
use crate::db::Db;
use crate::domain::{DeliveryOutcome, DeliveryStatus};
use crate::error::{ApiError, ApiResult, FieldError};
use crate::http::path::{AgencyPath, WebhookPath};
use crate::http::{created, ApiJson};
use crate::schema::{webhook_deliveries as wd, webhooks};

use super::egress::{self, EgressPolicy};

/// A registered endpoint.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Webhook {
    pub id: Uuid,
    pub agency_id: Uuid,
    pub url: String,
    pub description: Option<String>,
    pub active: bool,
    /// The event types delivered to it.
    #[schema(example = json!(["register.published"]))]
    pub events: Vec<String>,
    pub created_at: DateTime<Utc>,
    /// The HMAC-SHA256 key of `X-Touchpoints-Signature` (`sha256=<hex>` of the body); returned
    /// only when the webhook is created.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub secret: Option<String>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"url": "https://portal.e-dag.ru/hooks/touchpoints", "description": "Портал госуслуг РД"}))]
pub struct NewWebhook {
    #[schema(schema_with = url_schema)]
    pub url: String,
    #[serde(default)]
    #[schema(max_length = 1000)]
    pub description: Option<String>,
    /// The event types to deliver (default: `["register.published"]`): `part.submitted`,
    /// `part.returned`, `part.accepted`, `part.agreed`, `revision.agreed`, `revision.approved`,
    /// `revision.refused`, `revision.cancelled`, `deadline.overdue`, `register.published`.
    #[serde(default = "default_events")]
    #[schema(example = json!(["register.published", "part.returned"]))]
    pub events: Vec<String>,
}

fn default_events() -> Vec<String> {
    vec![crate::notices::EventType::RegisterPublished
        .as_str()
        .to_owned()]
}

/// Known event types, each once, at least one.
fn check_events(events: &[String]) -> ApiResult<Vec<String>> {
    let mut out: Vec<String> = Vec::new();
    for e in events {
        if crate::notices::EventType::parse(e).is_none() {
            return Err(ApiError::validation(vec![FieldError::new(
                "events",
                "unknown_event",
                format!("unknown event type {e:?}"),
            )]));
        }
        if !out.contains(e) {
            out.push(e.clone());
        }
    }
    if out.is_empty() {
        return Err(ApiError::validation(vec![FieldError::new(
            "events",
            "empty",
            "subscribe to at least one event type",
        )]));
    }
    Ok(out)
}

fn url_schema() -> utoipa::openapi::Object {
    use utoipa::openapi::schema::{ObjectBuilder, Type};
    ObjectBuilder::new()
        .schema_type(Type::String)
        .max_length(Some(crate::domain::text::WEBHOOK_URL_MAX))
        .description(Some(
            "Where to POST: an http(s) address without credentials (`https://` is assumed when no scheme is given). \
             It must not point inside the network: loopback, private (10/8, 172.16/12, 192.168/16, 100.64/10), link-local, \
             unique-local, multicast, broadcast, unspecified, documentation or reserved addresses (IPv4-mapped IPv6 forms included) \
             and this service's own address are refused with 422 `webhook_target_forbidden`, for an IP address and for every \
             address a host name resolves to; the server's `TOUCHPOINTS_WEBHOOK_ALLOW_HOSTS` opens exceptions. Deliveries \
             check again when they connect.",
        ))
        .build()
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct WebhookList {
    pub items: Vec<Webhook>,
    pub total: i64,
}

/// One delivery of an event to an endpoint.
#[derive(Debug, Serialize, Deserialize, ToSchema, Queryable)]
pub struct Delivery {
    pub id: Uuid,
    pub event_type: String,
    #[schema(value_type = Object)]
    pub payload: serde_json::Value,
    /// `pending` (retrying with backoff), `delivered`, or `failed` (gave up after 12 attempts).
    #[schema(value_type = String)]
    pub status: DeliveryStatus,
    pub attempts: i32,
    /// When the next attempt is due (while one is under way: when it is retried if this
    /// instance stops meanwhile).
    pub next_attempt_at: DateTime<Utc>,
    /// The HTTP status of the last answer, with `outcome` `delivered` or `http_error`.
    pub last_status: Option<i32>,
    pub delivered_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    /// What became of the last attempt: `delivered` (2xx), `http_error` (another status, see
    /// `last_status`; redirects are not followed), `timeout` (no answer within 5 s),
    /// `connect_error` (no connection, or it broke), `blocked` (the host resolves to an address
    /// the egress policy refuses); null while no attempt was made.
    #[schema(value_type = Option<String>, example = "http_error")]
    pub outcome: Option<DeliveryOutcome>,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct DeliveryList {
    pub items: Vec<Delivery>,
    pub total: i64,
}

fn require_manager(user: &User, agency_id: Uuid) -> ApiResult<()> {
    // integrators are registered by the agency's publishers (or an admin)
    user.require_role_in(Role::Publisher, agency_id)
}

/// Register a webhook
///
/// Every event of the agency the webhook subscribes to (`events`, by default only
/// `register.published`) is then POSTed to the URL as JSON — `register.published`: agency,
/// version, SHA-256, links; the workflow's events (`part.submitted`, `part.returned`,
/// `part.accepted`, `part.agreed`, `revision.agreed`, `revision.approved`, …): `type`,
/// `event_id`, `agency`, `revision` {id, number}, `part` {unit_id, key} for part events,
/// `remarks` [{text}] for a return or a refusal, `occurred_at`; `deadline.overdue` (once per
/// deadline and due date): `deadline` {kind, due, since, unit_id, unit_name,
/// responsible_role, responsible_official, what, revision_id} and `revision` (null for a
/// deadline of the agency) — signed in `X-Touchpoints-Signature: sha256=<HMAC-SHA256 of the
/// body, hex>` with the secret returned here once; `X-Touchpoints-Delivery` identifies the delivery
/// for deduplication. Non-2xx answers (redirects are not followed), timeouts (3 s to connect, 5 s in
/// all) and connection failures are retried with exponential backoff.
///
/// An agency has at most 10 webhooks (409 `limit_reached`). The URL must not point inside the
/// network (422 `webhook_target_forbidden`, see `NewWebhook.url`); every delivery connects only
/// to addresses the same policy accepts, or is logged `blocked`.
#[utoipa::path(
    tag = "webhooks", operation_id = "createWebhook",
    params(AgencyPath),
    request_body = NewWebhook,
    responses(
        (status = 201, description = "Registered; the secret is shown only now", body = Webhook),
        (status = 409, description = "The agency already has the most webhooks allowed (10): `limit_reached`", body = crate::error::Problem, content_type = "application/problem+json",
            example = json!({"type": "/problems/limit_reached", "title": "Limit reached", "status": 409, "detail": "an agency may register at most 10 webhooks; delete one first", "code": "limit_reached"})),
        (status = 422, description = "An invalid body (`validation_failed`), or a URL that points inside the network (`webhook_target_forbidden`: the detail names the address and why)", body = crate::error::Problem, content_type = "application/problem+json",
            examples(
                ("webhook_target_forbidden" = (summary = "The URL points inside the network", value = json!({"type": "/problems/webhook_target_forbidden", "title": "Webhook target forbidden", "status": 422,
                    "detail": "url: 169.254.169.254 is a link-local (169.254.0.0/16) address; webhooks may not reach it (the server's TOUCHPOINTS_WEBHOOK_ALLOW_HOSTS opens exceptions)",
                    "code": "webhook_target_forbidden",
                    "errors": [{"field": "url", "code": "forbidden_target", "message": "169.254.169.254 is a link-local (169.254.0.0/16) address; webhooks may not reach it (the server's TOUCHPOINTS_WEBHOOK_ALLOW_HOSTS opens exceptions)"}]}))),
                ("validation_failed" = (summary = "The URL is not an http(s) address", value = json!({"type": "/problems/validation_failed", "title": "Validation failed", "status": 422,
                    "detail": "url: only http and https addresses are accepted", "code": "validation_failed",
                    "errors": [{"field": "url", "code": "invalid_url", "message": "only http and https addresses are accepted"}]})))
            ))
    )
)]
#[post("/agencies/{id}/webhooks")]
pub async fn create(
    db: web::Data<Db>,
    policy: web::Data<EgressPolicy>,
    user: User,
    id: web::Path<AgencyPath>,
    body: ApiJson<NewWebhook>,
) -> ApiResult<HttpResponse> {
    let agency_id = id.into_inner().id;
    require_manager(&user, agency_id)?;
    let target = egress::parse_target(&body.0.url)
        .map_err(|m| ApiError::validation(vec![FieldError::new("url", "invalid_url", m)]))?;
    let description = crate::domain::text::optional(
        "description",
        body.0.description.as_deref(),
        crate::domain::text::WEBHOOK_DESCRIPTION_MAX,
    )
    .map_err(|e| ApiError::validation(vec![e]))?;
    let events = check_events(&body.0.events)?;
    // name resolution blocks: on the blocking pool, never on the async worker
    let url =
        web::block(move || super::check_target(&policy, &target).map(|()| target.to_string()))
            .await
            .map_err(|e| ApiError::Internal(anyhow::anyhow!("blocking task failed: {e}")))??;
    let secret = format!("{}{}", Uuid::new_v4().simple(), Uuid::new_v4().simple());
    let hook = db
        .run(move |c| {
            c.transaction(|c| {
                // the agency's row serialises registrations, so the limit holds under concurrency
                agency_db::lock(c, agency_id)?;
                let existing: i64 = webhooks::table
                    .filter(webhooks::agency_id.eq(agency_id))
                    .count()
                    .get_result(c)?;
                super::ensure_below_limit(existing)?;
                let (id, created_at): (Uuid, DateTime<Utc>) = diesel::insert_into(webhooks::table)
                    .values((
                        webhooks::agency_id.eq(agency_id),
                        webhooks::url.eq(&url),
                        webhooks::description.eq(&description),
                        webhooks::secret.eq(&secret),
                        webhooks::events.eq(events.iter().cloned().map(Some).collect::<Vec<_>>()),
                    ))
                    .returning((webhooks::id, webhooks::created_at))
                    .get_result(c)?;
                Ok(Webhook {
                    id,
                    agency_id,
                    url,
                    description,
                    active: true,
                    events,
                    created_at,
                    secret: Some(secret),
                })
            })
        })
        .await?;
    Ok(created(format!("/api/v1/webhooks/{}", hook.id), &hook))
}

/// List an agency's webhooks
#[utoipa::path(
    tag = "webhooks", operation_id = "listWebhooks",
    params(AgencyPath),
    responses((status = 200, description = "The webhooks (without secrets)", body = WebhookList))
)]
#[get("/agencies/{id}/webhooks")]
pub async fn list(
    db: web::Data<Db>,
    user: User,
    id: web::Path<AgencyPath>,
) -> ApiResult<web::Json<WebhookList>> {
    let agency_id = id.into_inner().id;
    user.require_member(agency_id)?;
    type Row = (
        Uuid,
        String,
        Option<String>,
        bool,
        Vec<Option<String>>,
        DateTime<Utc>,
    );
    let rows: Vec<Row> = db
        .run(move |c| {
            agency_db::get(c, agency_id)?;
            Ok(webhooks::table
                .filter(webhooks::agency_id.eq(agency_id))
                .order(webhooks::created_at)
                .select((
                    webhooks::id,
                    webhooks::url,
                    webhooks::description,
                    webhooks::active,
                    webhooks::events,
                    webhooks::created_at,
                ))
                .load(c)?)
        })
        .await?;
    let items: Vec<Webhook> = rows
        .into_iter()
        .map(
            |(id, url, description, active, events, created_at)| Webhook {
                id,
                agency_id,
                url,
                description,
                active,
                events: events.into_iter().flatten().collect(),
                created_at,
                secret: None,
            },
        )
        .collect();
    Ok(web::Json(WebhookList {
        total: items.len() as i64,
        items,
    }))
}

async fn owner(db: &Db, id: Uuid) -> ApiResult<Uuid> {
    db.run(move |c| {
        webhooks::table
            .find(id)
            .select(webhooks::agency_id)
            .first(c)
            .optional()?
            .ok_or_else(|| ApiError::not_found("webhook", id))
    })
    .await
}

/// Remove a webhook
///
/// Its pending deliveries go with it.
#[utoipa::path(
    tag = "webhooks", operation_id = "deleteWebhook",
    params(WebhookPath),
    responses((status = 204, description = "Removed"))
)]
#[delete("/webhooks/{id}")]
pub async fn delete(
    db: web::Data<Db>,
    user: User,
    id: web::Path<WebhookPath>,
) -> ApiResult<HttpResponse> {
    let id = id.into_inner().id;
    require_manager(&user, owner(&db, id).await?)?;
    db.run(move |c| Ok(diesel::delete(webhooks::table.find(id)).execute(c)?))
        .await?;
    Ok(HttpResponse::NoContent().finish())
}

/// The delivery log of a webhook
///
/// Newest first: status, attempts, the outcome of the last attempt (and its HTTP status), when
/// it was delivered. Readable by the agency's publishers and admins (who manage webhooks).
#[utoipa::path(
    tag = "webhooks", operation_id = "listWebhookDeliveries",
    params(WebhookPath),
    responses(
        (status = 200, description = "Deliveries", body = DeliveryList),
        (status = 403, description = "Not a publisher of the webhook's agency (nor an admin)", body = crate::error::Problem, content_type = "application/problem+json",
            example = json!({"type": "/problems/forbidden", "title": "Forbidden", "status": 403, "detail": "this needs the publisher role", "code": "forbidden"}))
    )
)]
#[get("/webhooks/{id}/deliveries")]
pub async fn deliveries(
    db: web::Data<Db>,
    user: User,
    id: web::Path<WebhookPath>,
) -> ApiResult<web::Json<DeliveryList>> {
    let id = id.into_inner().id;
    require_manager(&user, owner(&db, id).await?)?;
    let items: Vec<Delivery> = db
        .run(move |c| {
            Ok(wd::table
                .filter(wd::webhook_id.eq(id))
                .order(wd::created_at.desc())
                .limit(500)
                .select((
                    wd::id,
                    wd::event_type,
                    wd::payload,
                    wd::status,
                    wd::attempts,
                    wd::next_attempt_at,
                    wd::last_status,
                    wd::delivered_at,
                    wd::created_at,
                    wd::outcome,
                ))
                .load(c)?)
        })
        .await?;
    Ok(web::Json(DeliveryList {
        total: items.len() as i64,
        items,
    }))
}
