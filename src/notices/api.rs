use actix_web::{get, web};
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use crate::agencies::db as agency_db;
use crate::auth::User;
use crate::db::Db;
use crate::error::ApiResult;
use crate::http::path::AgencyPath;
use crate::schema::mail_outbox as mo;

/// One e-mail notice and what became of it.
#[derive(Debug, Serialize, Deserialize, ToSchema, Queryable)]
pub struct Mail {
    pub id: Uuid,
    /// The event it announces (`part.returned`, `register.published`…).
    pub event_type: String,
    /// The event's id (the same as the webhook payloads' `event_id`).
    pub event_id: Uuid,
    pub recipient: String,
    pub subject: String,
    pub body: String,
    /// `pending` (retrying with backoff), `sent`, or `failed` (refused, or gave up after 8 attempts).
    pub status: String,
    pub attempts: i32,
    pub next_attempt_at: DateTime<Utc>,
    /// The last attempt: `sent`, `rejected` (the relay refused it for good), `smtp_error`
    /// (a transient refusal), `connect_error` (no connection to the relay); null before any.
    pub outcome: Option<String>,
    pub sent_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct MailList {
    pub items: Vec<Mail>,
    pub total: i64,
}

/// The e-mail log of an agency
///
/// The notices e-mailed about the agency's workflow (the 500 newest): to whom, the subject and
/// body, and the outcome. Mail is sent only when the server has `TOUCHPOINTS_SMTP_URL` and
/// `TOUCHPOINTS_MAIL_FROM`; otherwise the rows stay `pending`. Readable by admins only (it
/// holds the responsible persons' addresses).
#[utoipa::path(
    tag = "webhooks", operation_id = "listAgencyMail",
    params(AgencyPath),
    responses(
        (status = 200, description = "The mails, newest first", body = MailList),
        (status = 403, description = "Not an admin", body = crate::error::Problem, content_type = "application/problem+json")
    )
)]
#[get("/agencies/{id}/mail")]
pub async fn list_mail(
    db: web::Data<Db>,
    user: User,
    id: web::Path<AgencyPath>,
) -> ApiResult<web::Json<MailList>> {
    let agency_id = id.into_inner().id;
    user.require_admin()?;
    let items: Vec<Mail> = db
        .run(move |c| {
            agency_db::get(c, agency_id)?;
            Ok(mo::table
                .filter(mo::agency_id.eq(agency_id))
                .order(mo::created_at.desc())
                .limit(500)
                .select((
                    mo::id,
                    mo::event_type,
                    mo::event_id,
                    mo::recipient,
                    mo::subject,
                    mo::body,
                    mo::status,
                    mo::attempts,
                    mo::next_attempt_at,
                    mo::outcome,
                    mo::sent_at,
                    mo::created_at,
                ))
                .load(c)?)
        })
        .await?;
    Ok(web::Json(MailList {
        total: items.len() as i64,
        items,
    }))
}
