//! The OpenAPI document. Its paths come from the route registrations themselves
//! (`routes::operations` and `routes::api_v1`, each handler's `#[utoipa::path]`); `ApiDoc`
//! holds only the info, tags and shared components. `ProblemResponses` then documents, from
//! what each operation declares, its security and its problem+json error responses.

use utoipa::openapi::path::Operation;
use utoipa::openapi::response::{Response, ResponseBuilder};
use utoipa::openapi::{ContentBuilder, RefOr};
use utoipa::{Modify, OpenApi};

use crate::error::{ErrorCode, FieldError, Problem};

#[derive(OpenApi)]
#[openapi(
    info(
        title = "touchpoints",
        description = "Registers of client touchpoints (перечни точек взаимодействия с клиентом) of Russian regional government bodies: agencies and their subordinate organizations, units, activity directions, the process registry and the touchpoints of each process, in the official 6-column form.\n\nErrors are `application/problem+json` (RFC 9457) with a stable `code`.",
        version = "1.0.0",
        license(name = "MIT", identifier = "MIT")
    ),
    components(schemas(Problem, ErrorCode, FieldError, crate::auth::Claims, crate::auth::Role, crate::directions::db::DirectionScope)),
    servers((url = "/", description = "This server")),
    tags(
        (name = "agencies", description = "Public bodies that keep a register, and their digital/offline channel rules (R1, R6)"),
        (name = "organizations", description = "Subordinate organizations, each with a register of its own (R14)"),
        (name = "units", description = "Structural units and their responsible people (R16)"),
        (name = "officials", description = "Officials an agency keeps (unit heads, curators, deputies) whom approval chains name; direction curators (R9, 003 §3.4)"),
        (name = "directions", description = "Activity directions: the shared catalog plus agency-specific ones (R2)"),
        (name = "processes", description = "The agency's process registry (R3)"),
        (name = "touchpoints", description = "Touchpoints of processes, with contacts, needs and the digital/offline mark (R4–R7)"),
        (name = "workflow", description = "Revisions, parts, remarks, approval, publication, versions, history and deadlines (R8–R12)"),
        (name = "files", description = "Files attached to a part of a revision (the unit's XLSX/CSV) with their detached CAdES signatures: signer certificate and signed digest parsed and compared, the signature value not verified"),
        (name = "calendar", description = "The working-day calendar (Russian production calendar, editable by admins)"),
        (name = "public", description = "Published registers for portals: no token, HTTP-cacheable, JSON/CSV/XLSX/HTML (R17)"),
        (name = "opendata", description = "The registers as open data: per agency and per region a set with its passport (`meta.csv`, `meta.json`), structure and dated data files, as the methodological recommendations on publishing open data (version 3.0) lay one out; the registry `list.csv`; the settings the passport needs"),
        (name = "stats", description = "Figures for dashboards: counts per agency and region, digital share, findings, version age, deadlines aggregated (R4–R6, R10–R12)"),
        (name = "webhooks", description = "Signed publication events for integrators, from a transactional outbox"),
        (name = "catalogs", description = "Read-only reference catalogs; no token needed"),
        (name = "operations", description = "Liveness and readiness"),
    )
)]
pub struct ApiDoc;

/// The spec as served: `ApiDoc` plus the paths of the registered routes.
pub fn spec() -> utoipa::openapi::OpenApi {
    use actix_web::App;
    use utoipa_actix_web::AppExt;
    let (_, operations) = App::new()
        .into_utoipa_app()
        .configure(crate::routes::operations)
        .split_for_parts();
    let (_, mut api) = App::new()
        .into_utoipa_app()
        .configure(crate::routes::api_v1)
        .split_for_parts();
    let mut doc = ApiDoc::openapi();
    ProblemResponses::components(&mut doc);
    ProblemResponses.modify(&mut api);
    doc.merge(operations);
    doc.merge(api);
    public_means_no_token(&mut doc);
    doc
}

/// The spec as served and committed (pretty JSON with a trailing newline).
pub fn spec_json() -> String {
    let mut s = spec()
        .to_pretty_json()
        .expect("the OpenAPI document serialises");
    s.push('\n');
    s
}

struct ProblemResponses;

fn problem_response(description: &str, code: ErrorCode, detail: &str) -> Response {
    let example = serde_json::json!({
        "type": format!("/problems/{}", code.as_str()),
        "title": description,
        "status": code.status().as_u16(),
        "detail": detail,
        "code": code,
    });
    ResponseBuilder::new()
        .description(description)
        .content(
            crate::error::PROBLEM_JSON,
            ContentBuilder::new()
                .schema(Some(RefOr::Ref(utoipa::openapi::Ref::from_schema_name(
                    "Problem",
                ))))
                .example(Some(example))
                .build(),
        )
        .build()
}

const STANDARD: &[(&str, &str, ErrorCode, &str)] = &[
    (
        "400",
        "BadRequest",
        ErrorCode::InvalidParameter,
        "invalid query string: limit: must be between 1 and 500",
    ),
    (
        "401",
        "Unauthorized",
        ErrorCode::Unauthorized,
        "the token has expired",
    ),
    (
        "403",
        "Forbidden",
        ErrorCode::Forbidden,
        "this needs the approver role",
    ),
    (
        "404",
        "NotFound",
        ErrorCode::NotFound,
        "agency 0b9a4c1e-3a52-4f7e-9f1e-6d2b8c3a5e10 does not exist",
    ),
    (
        "409",
        "Conflict",
        ErrorCode::AlreadyExists,
        "a resource with these values already exists",
    ),
    (
        "412",
        "PreconditionFailed",
        ErrorCode::PreconditionFailed,
        "If-Match \"5f3a\" is stale: the resource is now \"5f3b\"; reload it and retry",
    ),
    (
        "413",
        "PayloadTooLarge",
        ErrorCode::PayloadTooLarge,
        "the body is larger than the server accepts",
    ),
    (
        "415",
        "UnsupportedMediaType",
        ErrorCode::UnsupportedMediaType,
        "send the body as application/json",
    ),
    (
        "422",
        "UnprocessableEntity",
        ErrorCode::ValidationFailed,
        "contacts[0].value: not a Russian phone number: expected +7 and 10 digits",
    ),
    (
        "500",
        "InternalError",
        ErrorCode::InternalError,
        "an unexpected error occurred; it has been logged",
    ),
    (
        "503",
        "ServiceUnavailable",
        ErrorCode::ServiceUnavailable,
        "the database is unavailable or busy; retry in a few seconds",
    ),
];

fn add(op: &mut Operation, status: &str) {
    let name = STANDARD
        .iter()
        .find(|s| s.0 == status)
        .map(|s| s.1)
        .unwrap_or("InternalError");
    op.responses
        .responses
        .entry(status.to_owned())
        .or_insert_with(|| RefOr::Ref(utoipa::openapi::Ref::from_response_name(name)));
}

fn operations_mut(
    item: &mut utoipa::openapi::path::PathItem,
) -> [(&'static str, &mut Option<Operation>); 5] {
    [
        ("get", &mut item.get),
        ("post", &mut item.post),
        ("put", &mut item.put),
        ("patch", &mut item.patch),
        ("delete", &mut item.delete),
    ]
}

/// `security(())` in a handler's attribute declares an operation that needs no token; utoipa
/// renders it as one empty requirement (`[{}]`), stated here as no requirement (`[]`).
fn public_means_no_token(openapi: &mut utoipa::openapi::OpenApi) {
    let empty = utoipa::openapi::security::SecurityRequirement::default();
    for item in openapi.paths.paths.values_mut() {
        for (_, op) in operations_mut(item) {
            let Some(op) = op.as_mut() else { continue };
            if let Some(security) = &mut op.security {
                security.retain(|s| *s != empty);
            }
        }
    }
}

impl ProblemResponses {
    /// The shared problem responses and the bearer scheme, as components.
    fn components(openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        for (_, name, code, detail) in STANDARD {
            let description = match code {
                ErrorCode::InvalidParameter => "Malformed JSON or an invalid path or query parameter",
                ErrorCode::Unauthorized => "No valid bearer token (missing, malformed, expired, not yet valid, too long-lived, wrong key or algorithm)",
                ErrorCode::Forbidden => "The token's roles or agency do not allow this",
                ErrorCode::PreconditionFailed => "If-Match names a version that is no longer current",
                ErrorCode::NotFound => "The resource does not exist",
                ErrorCode::AlreadyExists => "Conflict: a duplicate (R7), a taken name, dependants, a read-only catalog entry, a locked working copy or a transition the current state does not allow",
                ErrorCode::PayloadTooLarge => "The body is too large",
                ErrorCode::UnsupportedMediaType => "The body is not application/json",
                ErrorCode::ValidationFailed => "The body is well-formed but invalid; `errors` names the fields",
                ErrorCode::InternalError => "Unexpected server error",
                _ => "The database is unavailable or the pool is exhausted; retry after `Retry-After` seconds",
            };
            components.responses.insert(
                (*name).to_owned(),
                RefOr::T(problem_response(description, *code, detail)),
            );
        }
        let mut bearer = utoipa::openapi::security::HttpBuilder::new()
            .scheme(utoipa::openapi::security::HttpAuthScheme::Bearer)
            .bearer_format("JWT")
            .build();
        bearer.description = Some("A JWT signed by the region's identity provider (HS256 with TOUCHPOINTS_JWT_SECRET, or RS256/EdDSA with TOUCHPOINTS_JWT_PUBLIC_KEY). Claims: `sub`, `name`, `roles` (submitter, approver, publisher, admin), `agency_id` (absent only for admin), `unit_id` (optional), `exp` (required), `iat` and `nbf` (optional, enforced); `iss`/`aud` when the server is configured with them. A token may live at most TOUCHPOINTS_JWT_MAX_TTL_S seconds (24 h by default) from its `iat`, or from now without one. `touchpoints token` mints a development token.".to_owned());
        components.add_security_scheme(
            "bearer",
            utoipa::openapi::security::SecurityScheme::Http(bearer),
        );
    }
}

/// Applied to the `/api/v1` operations only (the operations endpoints have their own answers).
/// Everything follows from the operation's declaration and its method, never from its path:
/// a bearer token unless the handler declares `security(())`; 412 where it takes `If-Match`
/// (`params(IfMatch)`); 404 where it has path parameters; the body answers for
/// POST/PUT/PATCH; 409 for every write.
impl Modify for ProblemResponses {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::path::ParameterIn;
        for item in openapi.paths.paths.values_mut() {
            for (method, op) in operations_mut(item) {
                let Some(op) = op.as_mut() else { continue };
                let params = op.parameters.iter().flatten();
                let has_path_params = params
                    .clone()
                    .any(|p| matches!(p.parameter_in, ParameterIn::Path));
                let conditional = params.clone().any(|p| p.name == "If-Match");
                // If-Match is an optional plain string (utoipa renders Option<String> as nullable)
                for p in op.parameters.iter_mut().flatten() {
                    if p.name == "If-Match" {
                        p.required = utoipa::openapi::Required::False;
                        p.schema = Some(RefOr::T(
                            utoipa::openapi::schema::Object::with_type(
                                utoipa::openapi::schema::Type::String,
                            )
                            .into(),
                        ));
                    }
                }
                add(op, "400");
                if op.security.is_none() {
                    op.security = Some(vec![utoipa::openapi::security::SecurityRequirement::new(
                        "bearer",
                        Vec::<String>::new(),
                    )]);
                    add(op, "401");
                    add(op, "403");
                }
                if conditional {
                    add(op, "412");
                }
                if has_path_params {
                    add(op, "404");
                }
                if matches!(method, "post" | "put" | "patch") {
                    add(op, "413");
                    add(op, "415");
                    add(op, "422");
                }
                if matches!(method, "post" | "put" | "patch" | "delete") {
                    add(op, "409");
                }
                add(op, "500");
                add(op, "503");
            }
        }
    }
}

#[cfg(test)]
mod tests {
    /// A handler documents `If-Match` (and so 412) exactly when it takes the `IfMatch`
    /// extractor: checked on the sources, as the attribute cannot see the signature's types.
    #[test]
    fn if_match_is_documented_exactly_where_a_handler_takes_it() {
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/src");
        let mut checked = 0;
        for module in std::fs::read_dir(dir).unwrap() {
            let api = module.unwrap().path().join("api.rs");
            let Ok(source) = std::fs::read_to_string(&api) else {
                continue;
            };
            for chunk in source.split("#[utoipa::path(").skip(1) {
                let (attribute, rest) = chunk.split_once("\npub async fn ").unwrap();
                let signature = &rest[..rest.find('{').unwrap()];
                let takes = signature.contains(": IfMatch");
                let documents = attribute.contains("IfMatch") || attribute.contains("\"If-Match\"");
                assert_eq!(
                    takes,
                    documents,
                    "{}: {}",
                    api.display(),
                    &rest[..rest.find('(').unwrap()]
                );
                checked += 1;
            }
        }
        assert!(checked > 60, "only {checked} handlers found");
    }
}
