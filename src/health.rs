//! Liveness and readiness.

use actix_web::get;
use actix_web::{web, HttpResponse};
use diesel::RunQueryDsl;
use serde::Serialize;
use utoipa::ToSchema;

use crate::db::Db;

#[derive(Serialize, ToSchema)]
pub struct HealthStatus {
    #[schema(example = "ok")]
    pub status: &'static str,
}

/// Liveness
///
/// The process is up; says nothing of the database.
#[utoipa::path(
    security(()),tag = "operations", operation_id = "health",
    responses((status = 200, description = "Alive", body = HealthStatus)))]
#[get("/health")]
pub async fn health() -> HttpResponse {
    HttpResponse::Ok().json(HealthStatus { status: "ok" })
}

/// Readiness
///
/// 200 when the database answers; 503 problem+json otherwise.
#[utoipa::path(
    security(()),tag = "operations", operation_id = "ready",
    responses(
        (status = 200, description = "Ready", body = HealthStatus),
        (status = 503, description = "The database is unreachable", body = crate::error::Problem, content_type = "application/problem+json")
    ))]
#[get("/ready")]
pub async fn ready(db: web::Data<Db>) -> Result<HttpResponse, crate::error::ApiError> {
    db.run(|c| {
        diesel::sql_query("SELECT 1")
            .execute(c)
            .map_err(|e| crate::error::ApiError::Unavailable(e.to_string()))?;
        Ok(())
    })
    .await?;
    Ok(HttpResponse::Ok().json(HealthStatus { status: "ok" }))
}
