//! `GET /`: where a person who opens the service's address in a browser starts — the
//! service's name and version, Swagger UI, the spec, and the published registers (the public
//! API's printable pages). Not part of the API: it is not in the spec.

use actix_web::http::header;
use actix_web::{web, HttpResponse};
use diesel::prelude::*;
use uuid::Uuid;

use crate::db::ReadDb;
use crate::error::ApiResult;
use crate::public::render::{escape, HTML_STYLE};
use crate::schema::{agencies, register_versions};

/// How many published registers the page lists (the public API pages through all of them).
const LISTED: i64 = 100;

pub async fn page(db: web::Data<ReadDb>) -> ApiResult<HttpResponse> {
    let published: Vec<(Uuid, String, Option<String>)> = db
        .run(|c| {
            Ok(agencies::table
                .filter(diesel::dsl::exists(
                    register_versions::table.filter(register_versions::agency_id.eq(agencies::id)),
                ))
                .order((agencies::name, agencies::id))
                .select((agencies::id, agencies::name, agencies::short_name))
                .limit(LISTED)
                .load(c)?)
        })
        .await?;
    Ok(HttpResponse::Ok()
        .insert_header((header::CONTENT_TYPE, "text/html; charset=utf-8"))
        .insert_header((header::CACHE_CONTROL, "no-cache"))
        .body(html(&published)))
}

/// The page itself: a pure function of the published agencies.
pub fn html(published: &[(Uuid, String, Option<String>)]) -> String {
    let mut items = String::new();
    for (id, name, _short) in published {
        let base = format!("/api/v1/public/agencies/{id}/register");
        items.push_str(&format!(
            "<li>{} — <a href=\"{base}?format=html\">HTML</a> · <a href=\"{base}\">JSON</a> · \
             <a href=\"{base}?format=csv\">CSV</a> · <a href=\"{base}?format=xlsx\">XLSX</a></li>",
            escape(name)
        ));
    }
    if items.is_empty() {
        items.push_str("<li>Пока ни один перечень не опубликован.</li>");
    }
    format!(
        "<!DOCTYPE html><html lang=\"ru\"><head><meta charset=\"utf-8\">\
         <title>touchpoints {version}</title><style>{HTML_STYLE}</style></head><body>\
         <h1>touchpoints {version}</h1>\
         <p>Перечни точек взаимодействия с клиентом: ведение, согласование, утверждение и публикация.</p>\
         <ul><li><a href=\"/swagger-ui/\">Swagger UI</a> — the API, try it with a token (Authorize)</li>\
         <li><a href=\"/api-docs/openapi.json\">OpenAPI spec</a> — generate a client from it</li>\
         <li><a href=\"/api/v1/public/agencies\">Public API</a> — published registers, no token</li>\
         <li><a href=\"/health\">/health</a> · <a href=\"/ready\">/ready</a> · <a href=\"/metrics\">/metrics</a></li></ul>\
         <h2>Опубликованные перечни</h2><ul>{items}</ul></body></html>",
        version = env!("CARGO_PKG_VERSION"),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_escaped_and_each_register_is_linked() {
        let id = Uuid::nil();
        let page = html(&[(id, "ГКУ «<b>»".to_owned(), None)]);
        assert!(page.contains("ГКУ «&lt;b&gt;»"));
        assert!(page.contains(&format!(
            "/api/v1/public/agencies/{id}/register?format=html"
        )));
        assert!(html(&[]).contains("Пока ни один перечень не опубликован."));
    }
}
