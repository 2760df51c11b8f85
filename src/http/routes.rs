//! The answers for requests no route took: 405 with `Allow` when the path is a documented
//! one (the methods come from the generated OpenAPI paths, i.e. from the same registrations
//! as the router), 404 problem+json otherwise.

use actix_web::{web, HttpRequest, HttpResponse};
use utoipa::openapi::OpenApi;

use crate::error::ApiError;

/// Each documented path template, split into segments, with the methods registered on it.
#[derive(Debug, Default)]
pub struct AllowedMethods {
    templates: Vec<(Vec<String>, Vec<&'static str>)>,
}

impl AllowedMethods {
    pub fn from_openapi(spec: &OpenApi) -> Self {
        let templates = spec
            .paths
            .paths
            .iter()
            .map(|(path, item)| {
                let segments = path.split('/').map(str::to_owned).collect();
                // the order of an `Allow` header: GET, POST, PUT, PATCH, DELETE
                let methods = [
                    ("GET", item.get.is_some()),
                    ("POST", item.post.is_some()),
                    ("PUT", item.put.is_some()),
                    ("PATCH", item.patch.is_some()),
                    ("DELETE", item.delete.is_some()),
                    ("HEAD", item.head.is_some()),
                    ("OPTIONS", item.options.is_some()),
                    ("TRACE", item.trace.is_some()),
                ]
                .into_iter()
                .filter_map(|(m, present)| present.then_some(m))
                .collect();
                (segments, methods)
            })
            .collect();
        AllowedMethods { templates }
    }

    /// The methods of every template the path matches (`{name}` matches one non-empty
    /// segment), in `Allow` order; `None` for an unknown path.
    pub fn allowed(&self, path: &str) -> Option<String> {
        let segments: Vec<&str> = path.split('/').collect();
        let mut methods: Vec<&'static str> = Vec::new();
        for (template, allowed) in &self.templates {
            let matches = template.len() == segments.len()
                && template
                    .iter()
                    .zip(&segments)
                    .all(|(t, s)| segment_matches(t, s));
            if matches {
                for m in allowed {
                    if !methods.contains(m) {
                        methods.push(m);
                    }
                }
            }
        }
        if methods.is_empty() {
            return None;
        }
        const ORDER: [&str; 8] = [
            "GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS", "TRACE",
        ];
        methods.sort_by_key(|m| ORDER.iter().position(|o| o == m));
        Some(methods.join(", "))
    }
}

/// Whether a path segment matches a template segment: `{name}` stands for a non-empty run of
/// characters, so `structure-{stamp}.csv` matches `structure-20261129T0300.csv`.
fn segment_matches(template: &str, segment: &str) -> bool {
    // literal pieces between the placeholders, in order
    let mut pieces: Vec<&str> = Vec::new();
    let mut rest = template;
    while let Some(open) = rest.find('{') {
        let Some(close) = rest[open..].find('}') else {
            break;
        };
        pieces.push(&rest[..open]);
        rest = &rest[open + close + 1..];
    }
    pieces.push(rest);
    if pieces.len() == 1 {
        return template == segment;
    }
    let (first, last) = (pieces[0], pieces[pieces.len() - 1]);
    let Some(mut s) = segment.strip_prefix(first) else {
        return false;
    };
    for piece in &pieces[1..pieces.len() - 1] {
        // each placeholder takes at least one character before the next literal
        match s.get(1..).and_then(|t| t.find(piece)) {
            Some(i) => s = &s[1 + i + piece.len()..],
            None => return false,
        }
    }
    s.len() > last.len() && s.ends_with(last)
}

/// The app's default service.
pub async fn fallback(
    req: HttpRequest,
    allowed: web::Data<AllowedMethods>,
) -> Result<HttpResponse, ApiError> {
    match allowed.allowed(req.path()) {
        Some(allow) => Ok(super::extract::method_not_allowed(&req, &allow)),
        None => super::extract::not_found(req).await,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn allow_follows_the_registered_templates() {
        let table = AllowedMethods {
            templates: vec![
                (
                    "/api/v1/agencies/{id}"
                        .split('/')
                        .map(str::to_owned)
                        .collect(),
                    vec!["GET", "PATCH", "DELETE"],
                ),
                (
                    "/api/v1/agencies/{id}/versions/{n}"
                        .split('/')
                        .map(str::to_owned)
                        .collect(),
                    vec!["GET"],
                ),
                (
                    "/api/v1/agencies/{id}/versions/diff"
                        .split('/')
                        .map(str::to_owned)
                        .collect(),
                    vec!["GET"],
                ),
            ],
        };
        assert_eq!(
            table.allowed("/api/v1/agencies/x").as_deref(),
            Some("GET, PATCH, DELETE")
        );
        assert_eq!(
            table.allowed("/api/v1/agencies/x/versions/diff").as_deref(),
            Some("GET")
        );
        assert_eq!(table.allowed("/api/v1/agencies/"), None);
        assert_eq!(table.allowed("/api/v1/agencies/x/y"), None);
    }

    #[test]
    fn the_served_spec_gives_every_registered_path_its_methods() {
        let table = AllowedMethods::from_openapi(&crate::openapi::spec());
        let id = "0b9a4c1e-3a52-4f7e-9f1e-6d2b8c3a5e10";
        for (path, allow) in [
            ("/health".to_owned(), "GET"),
            ("/metrics".to_owned(), "GET"),
            ("/api/v1/agencies".to_owned(), "GET, POST"),
            (format!("/api/v1/agencies/{id}"), "GET, PATCH, DELETE"),
            (
                format!("/api/v1/agencies/{id}/channel-rules/phone"),
                "PUT, DELETE",
            ),
            (
                format!("/api/v1/agencies/{id}/workflow-settings"),
                "GET, PUT, DELETE",
            ),
            (
                format!("/api/v1/revisions/{id}/parts/agency/submit"),
                "POST",
            ),
            ("/api/v1/calendar/2027-02-22".to_owned(), "PUT, DELETE"),
            (
                format!("/api/v1/public/opendata/agencies/{id}/structure-20261129T0300.csv"),
                "GET",
            ),
            (
                format!("/api/v1/public/opendata/agencies/{id}/data-20261129T0300-structure-20261129T0300.csv"),
                "GET",
            ),
            (format!("/api/v1/public/opendata/agencies/{id}/meta.csv"), "GET"),
        ] {
            assert_eq!(table.allowed(&path).as_deref(), Some(allow), "{path}");
        }
        for unknown in [
            "/api/v1/nothing-here",
            "/api/v1/agencies/",
            "/bench/static/10",
            "/",
            "/api/v1/public/opendata/agencies/x/structure-.csv",
            "/api/v1/public/opendata/agencies/x/data--structure-1.csv",
            "/api/v1/public/opendata/agencies/x/other.csv",
        ] {
            assert_eq!(table.allowed(unknown), None, "{unknown}");
        }
    }
}
