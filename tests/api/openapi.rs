use std::collections::{BTreeMap, BTreeSet};

use reqwest::StatusCode;
use serde_json::Value;

use crate::helpers::TestApp;

/// The committed spec is what the server serves. Regenerate with
/// `cargo run -q -- openapi > openapi/openapi.json`.
#[actix_web::test]
async fn committed_spec_equals_the_served_one() {
    let app = TestApp::spawn().await;
    let (s, served) = app.get("/api-docs/openapi.json").await;
    assert_eq!(s, StatusCode::OK);
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/openapi/openapi.json");
    let committed: Value = serde_json::from_str(
        &std::fs::read_to_string(path).expect("openapi/openapi.json is committed"),
    )
    .unwrap();
    assert!(
        served == committed,
        "openapi/openapi.json is stale: run \
         `cargo run -q -- openapi > openapi/openapi.json` and commit it"
    );
}

/// Every operation of the served spec: (path, method, operation).
fn operations(spec: &Value) -> Vec<(&str, &str, &Value)> {
    let mut out = Vec::new();
    for (path, item) in spec["paths"].as_object().unwrap() {
        for (method, op) in item.as_object().unwrap() {
            if ["get", "post", "put", "patch", "delete"].contains(&method.as_str()) {
                out.push((path.as_str(), method.as_str(), op));
            }
        }
    }
    out
}

/// The path with every `{param}` filled with an id nothing has (a UUID, or a number where the
/// parameter's schema says integer).
fn concrete(path: &str, op: &Value) -> String {
    let mut out = path.to_owned();
    for p in op["parameters"].as_array().into_iter().flatten() {
        if p["in"] != "path" {
            continue;
        }
        let name = p["name"].as_str().unwrap();
        let value = match p["schema"]["type"].as_str() {
            Some("integer") => "1".to_owned(),
            _ if p["schema"]["format"] == "date" => "2026-06-15".to_owned(),
            _ if p["schema"]["format"] == "uuid" => uuid::Uuid::new_v4().to_string(),
            _ => "phone".to_owned(),
        };
        out = out.replace(&format!("{{{name}}}"), &value);
    }
    out
}

/// Names, summaries and parameters are the handlers' own attributes, which the modifier does
/// not touch: a copied attribute repeats an operationId, a path parameter renamed in the route
/// and not in `params(..)` (or the other way round) leaves clients guessing.
#[actix_web::test]
async fn operations_are_named_once_and_declare_exactly_their_path_parameters() {
    let app = TestApp::spawn().await;
    let (_, spec) = app.get("/api-docs/openapi.json").await;
    let mut ids = std::collections::HashSet::new();
    for (path, method, op) in operations(&spec) {
        let id = op["operationId"]
            .as_str()
            .unwrap_or_else(|| panic!("{method} {path} has no operationId"));
        assert!(ids.insert(id.to_owned()), "operationId {id} repeats");
        assert!(op["summary"].is_string(), "{id} has no summary");
        let mut in_path: Vec<&str> = path
            .split('{')
            .skip(1)
            .map(|s| s.split('}').next().unwrap())
            .collect();
        let mut declared: Vec<&str> = op["parameters"]
            .as_array()
            .into_iter()
            .flatten()
            .filter(|p| p["in"] == "path")
            .map(|p| {
                assert_eq!(p["required"], true, "{id}: path parameter {p} is optional");
                p["name"].as_str().unwrap()
            })
            .collect();
        in_path.sort();
        declared.sort();
        assert_eq!(in_path, declared, "{id}: path parameters");
    }
}

/// Every error answer (4xx, 5xx) is described by the Problem schema: through one of the shared
/// responses, or inline by the handler's own `responses(..)`, where a wrong `body =` is easy.
#[actix_web::test]
async fn every_error_response_is_a_problem() {
    let app = TestApp::spawn().await;
    let (_, spec) = app.get("/api-docs/openapi.json").await;
    let shared = &spec["components"]["responses"];
    let problem = &spec["components"]["schemas"]["Problem"];
    for (path, method, op) in operations(&spec) {
        for (code, response) in op["responses"].as_object().unwrap() {
            if !(code.starts_with('4') || code.starts_with('5')) {
                continue;
            }
            let response = match response["$ref"].as_str() {
                Some(r) => &shared[r.trim_start_matches("#/components/responses/")],
                None => response,
            };
            let schema = &response["content"]["application/problem+json"]["schema"];
            let name = schema["$ref"]
                .as_str()
                .and_then(|r| r.strip_prefix("#/components/schemas/"))
                .unwrap_or_else(|| panic!("{method} {path}: {code} is not problem+json"));
            // the Problem itself, or a problem with more members (ImportRejected's report)
            let schema = &spec["components"]["schemas"][name];
            let required: Vec<&Value> = schema["required"].as_array().unwrap().iter().collect();
            for member in problem["required"].as_array().unwrap() {
                assert!(
                    required.contains(&member),
                    "{method} {path}: {code} ({name}) lacks {member}"
                );
            }
            assert_eq!(
                schema["properties"]["code"]["$ref"], "#/components/schemas/ErrorCode",
                "{method} {path}: {code} ({name})"
            );
        }
    }
}

/// The spec and the server agree on each documented path: the methods the server answers there
/// (its `Allow` on a method it does not support) are exactly the documented ones, and whether
/// an operation needs a token is what the server enforces (401 without one) or not.
#[actix_web::test]
async fn the_server_answers_what_the_spec_documents_and_guards_what_it_says() {
    let app = TestApp::spawn().await;
    let (_, spec) = app.get("/api-docs/openapi.json").await;
    let mut documented: BTreeMap<&str, BTreeSet<String>> = BTreeMap::new();
    for (path, method, op) in operations(&spec) {
        documented
            .entry(path)
            .or_default()
            .insert(method.to_uppercase());
        let url = concrete(path, op);
        let bearer = op["security"]
            .as_array()
            .map(|s| s.iter().any(|r| r.get("bearer").is_some()))
            .unwrap_or(false);
        let method_ = reqwest::Method::from_bytes(method.to_uppercase().as_bytes()).unwrap();
        let mut rb = app.client.request(method_, app.url(&url));
        if ["post", "put", "patch"].contains(&method) {
            rb = rb.json(&serde_json::json!({}));
        }
        let status = rb.send().await.unwrap().status();
        assert_ne!(status, StatusCode::METHOD_NOT_ALLOWED, "{method} {path}");
        if bearer {
            assert_eq!(
                status,
                StatusCode::UNAUTHORIZED,
                "{method} {url} needs a token"
            );
        } else {
            assert_ne!(
                status,
                StatusCode::UNAUTHORIZED,
                "{method} {url} needs none"
            );
        }
    }
    for (path, methods) in documented {
        // the operations of a path share its parameters; any of them fills it in
        let op = operations(&spec)
            .into_iter()
            .find(|(p, _, _)| *p == path)
            .unwrap()
            .2;
        let resp = app
            .client
            .request(reqwest::Method::TRACE, app.url(&concrete(path, op)))
            .send()
            .await
            .unwrap();
        assert_eq!(
            resp.status(),
            StatusCode::METHOD_NOT_ALLOWED,
            "TRACE {path}"
        );
        let allow: BTreeSet<String> = resp.headers()["allow"]
            .to_str()
            .unwrap()
            .split(',')
            .map(|m| m.trim().to_owned())
            .filter(|m| m != "HEAD" && m != "OPTIONS")
            .collect();
        assert_eq!(
            allow, methods,
            "{path}: the server's Allow and the spec's methods"
        );
    }
}

#[actix_web::test]
async fn swagger_ui_is_served_without_downloads() {
    let app = TestApp::spawn().await;
    let resp = app
        .client
        .get(app.url("/swagger-ui/"))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    assert!(resp.text().await.unwrap().contains("swagger-ui"));
    let no_redirect = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let resp = no_redirect
        .get(app.url("/swagger-ui"))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::PERMANENT_REDIRECT);
    assert_eq!(resp.headers()["location"], "/swagger-ui/");
}
