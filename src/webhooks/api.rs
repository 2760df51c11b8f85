use actix_web::{web, HttpResponse};
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use crate::agencies::db as agency_db;
use crate::auth::{Role, User};
use crate::db::Db;
use crate::error::{ApiError, ApiResult};
use crate::http::{created, ApiJson};
use crate::schema::{webhook_deliveries as wd, webhooks};

/// A registered endpoint.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Webhook {
    pub id: Uuid,
    pub agency_id: Uuid,
    pub url: String,
    pub description: Option<String>,
    pub active: bool,
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
}

fn url_schema() -> utoipa::openapi::Object {
    crate::domain::contact::string_schema(
        crate::domain::contact::pattern::URL,
        Some(crate::domain::contact::pattern::URL_MAX),
        "Where to POST: an http(s) address (`https://` is assumed when no scheme is given).",
    )
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
    pub status: String,
    pub attempts: i32,
    pub next_attempt_at: DateTime<Utc>,
    pub last_status: Option<i32>,
    pub last_error: Option<String>,
    pub delivered_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
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
/// Every publication of the agency's register is then POSTed to the URL as JSON (`register.published`:
/// agency, version, SHA-256, links), signed in `X-Touchpoints-Signature: sha256=<HMAC-SHA256 of the
/// body, hex>` with the secret returned here once; `X-Touchpoints-Delivery` identifies the delivery
/// for deduplication. Non-2xx answers are retried with exponential backoff.
#[utoipa::path(
    post, path = "/api/v1/agencies/{id}/webhooks", tag = "webhooks", operation_id = "createWebhook",
    params(("id" = Uuid, Path, description = "Agency id")),
    request_body = NewWebhook,
    responses((status = 201, description = "Registered; the secret is shown only now", body = Webhook))
)]
pub async fn create(db: web::Data<Db>, user: User, id: web::Path<Uuid>, body: ApiJson<NewWebhook>) -> ApiResult<HttpResponse> {
    let agency_id = id.into_inner();
    require_manager(&user, agency_id)?;
    let url = crate::domain::contact::normalize_url(&body.0.url).map_err(|m| ApiError::validation(vec![crate::error::FieldError::new("url", "invalid_url", m)]))?.0;
    let description = crate::domain::text::optional("description", body.0.description.as_deref(), 1000).map_err(|e| ApiError::validation(vec![e]))?;
    let secret = format!("{}{}", Uuid::new_v4().simple(), Uuid::new_v4().simple());
    let hook = db
        .run(move |c| {
            agency_db::get(c, agency_id)?;
            let (id, created_at): (Uuid, DateTime<Utc>) = diesel::insert_into(webhooks::table)
                .values((webhooks::agency_id.eq(agency_id), webhooks::url.eq(&url), webhooks::description.eq(&description), webhooks::secret.eq(&secret)))
                .returning((webhooks::id, webhooks::created_at))
                .get_result(c)?;
            Ok(Webhook { id, agency_id, url, description, active: true, created_at, secret: Some(secret) })
        })
        .await?;
    Ok(created(format!("/api/v1/webhooks/{}", hook.id), &hook))
}

/// List an agency's webhooks
#[utoipa::path(
    get, path = "/api/v1/agencies/{id}/webhooks", tag = "webhooks", operation_id = "listWebhooks",
    params(("id" = Uuid, Path, description = "Agency id")),
    responses((status = 200, description = "The webhooks (without secrets)", body = WebhookList))
)]
pub async fn list(db: web::Data<Db>, user: User, id: web::Path<Uuid>) -> ApiResult<web::Json<WebhookList>> {
    let agency_id = id.into_inner();
    user.require_member(agency_id)?;
    type Row = (Uuid, String, Option<String>, bool, DateTime<Utc>);
    let rows: Vec<Row> = db
        .run(move |c| {
            agency_db::get(c, agency_id)?;
            Ok(webhooks::table
                .filter(webhooks::agency_id.eq(agency_id))
                .order(webhooks::created_at)
                .select((webhooks::id, webhooks::url, webhooks::description, webhooks::active, webhooks::created_at))
                .load(c)?)
        })
        .await?;
    let items: Vec<Webhook> = rows.into_iter().map(|(id, url, description, active, created_at)| Webhook { id, agency_id, url, description, active, created_at, secret: None }).collect();
    Ok(web::Json(WebhookList { total: items.len() as i64, items }))
}

async fn owner(db: &Db, id: Uuid) -> ApiResult<Uuid> {
    db.run(move |c| webhooks::table.find(id).select(webhooks::agency_id).first(c).optional()?.ok_or_else(|| ApiError::not_found("webhook", id))).await
}

/// Remove a webhook
///
/// Its pending deliveries go with it.
#[utoipa::path(
    delete, path = "/api/v1/webhooks/{id}", tag = "webhooks", operation_id = "deleteWebhook",
    params(("id" = Uuid, Path, description = "Webhook id")),
    responses((status = 204, description = "Removed"))
)]
pub async fn delete(db: web::Data<Db>, user: User, id: web::Path<Uuid>) -> ApiResult<HttpResponse> {
    let id = id.into_inner();
    require_manager(&user, owner(&db, id).await?)?;
    db.run(move |c| Ok(diesel::delete(webhooks::table.find(id)).execute(c)?)).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// The delivery log of a webhook
///
/// Newest first: status, attempts, the last HTTP status or error, when it was delivered.
#[utoipa::path(
    get, path = "/api/v1/webhooks/{id}/deliveries", tag = "webhooks", operation_id = "listWebhookDeliveries",
    params(("id" = Uuid, Path, description = "Webhook id")),
    responses((status = 200, description = "Deliveries", body = DeliveryList))
)]
pub async fn deliveries(db: web::Data<Db>, user: User, id: web::Path<Uuid>) -> ApiResult<web::Json<DeliveryList>> {
    let id = id.into_inner();
    user.require_member(owner(&db, id).await?)?;
    let items: Vec<Delivery> = db
        .run(move |c| {
            Ok(wd::table
                .filter(wd::webhook_id.eq(id))
                .order(wd::created_at.desc())
                .limit(500)
                .select((wd::id, wd::event_type, wd::payload, wd::status, wd::attempts, wd::next_attempt_at, wd::last_status, wd::last_error, wd::delivered_at, wd::created_at))
                .load(c)?)
        })
        .await?;
    Ok(web::Json(DeliveryList { total: items.len() as i64, items }))
}
