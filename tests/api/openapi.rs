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
        "openapi/openapi.json is stale: run `cargo run -q -- openapi > openapi/openapi.json` and commit it"
    );
}

#[actix_web::test]
async fn every_operation_is_named_and_documents_its_errors() {
    let app = TestApp::spawn().await;
    let (_, spec) = app.get("/api-docs/openapi.json").await;
    let mut ids = std::collections::HashSet::new();
    for (path, item) in spec["paths"].as_object().unwrap() {
        for (method, op) in item.as_object().unwrap() {
            let id = op["operationId"]
                .as_str()
                .unwrap_or_else(|| panic!("{method} {path} has no operationId"));
            assert!(ids.insert(id.to_owned()), "operationId {id} repeats");
            assert!(op["summary"].is_string(), "{id} has no summary");
            let responses = op["responses"].as_object().unwrap();
            if path.starts_with("/api/") {
                for code in ["400", "500", "503"] {
                    assert!(
                        responses.contains_key(code),
                        "{id} does not document {code}"
                    );
                }
                if path.contains('{') {
                    assert!(responses.contains_key("404"), "{id} does not document 404");
                }
                if matches!(method.as_str(), "post" | "patch" | "put") {
                    assert!(
                        responses.contains_key("422") && responses.contains_key("413"),
                        "{id}"
                    );
                }
            }
        }
    }
    assert!(ids.len() >= 38, "{} operations", ids.len());
    assert!(spec["components"]["schemas"]["Problem"].is_object());
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
