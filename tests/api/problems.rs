//! Every client mistake gets a documented 4xx problem+json, never a 5xx.

use reqwest::{Method, StatusCode};
use serde_json::json;

use crate::helpers::{assert_problem, TestApp};

#[actix_web::test]
async fn broken_bodies_get_the_documented_statuses() {
    let app = TestApp::spawn().await;
    let (s, body) = app
        .raw(
            Method::POST,
            "/api/v1/agencies",
            "application/json",
            b"{\"name\": ".to_vec(),
        )
        .await;
    assert_problem(s, &body, 400, "malformed_json", None);
    let (s, body) = app
        .raw(
            Method::POST,
            "/api/v1/agencies",
            "application/json",
            b"{} trailing".to_vec(),
        )
        .await;
    assert_problem(s, &body, 400, "malformed_json", None);
    let (s, body) = app
        .raw(
            Method::POST,
            "/api/v1/agencies",
            "text/plain",
            b"{}".to_vec(),
        )
        .await;
    assert_problem(s, &body, 415, "unsupported_media_type", None);
    let big = format!(
        "{{\"name\": \"{}\", \"region\": \"x\", \"kind\": \"ministry\"}}",
        "я".repeat(300 * 1024)
    );
    let (s, body) = app
        .raw(
            Method::POST,
            "/api/v1/agencies",
            "application/json",
            big.into_bytes(),
        )
        .await;
    assert_problem(s, &body, 413, "payload_too_large", None);
    let deep = format!("{}{}", "[".repeat(10_000), "]".repeat(10_000));
    let (s, body) = app
        .raw(
            Method::POST,
            "/api/v1/agencies",
            "application/json",
            deep.into_bytes(),
        )
        .await;
    assert_problem(s, &body, 422, "validation_failed", None);
    let (s, body) = app
        .post(
            "/api/v1/agencies",
            json!({"name": "x", "region": "y", "kind": "ministry", "colour": "red"}),
        )
        .await;
    assert_problem(s, &body, 422, "validation_failed", None);
    let (s, body) = app
        .post(
            "/api/v1/agencies",
            json!({"name": 42, "region": "y", "kind": "ministry"}),
        )
        .await;
    assert_problem(s, &body, 422, "validation_failed", Some("name"));
    let (s, body) = app.post("/api/v1/agencies", json!("МЧС")).await;
    assert_problem(s, &body, 422, "validation_failed", Some("body"));
    let (s, body) = app
        .raw(
            Method::POST,
            "/api/v1/agencies",
            "application/json",
            vec![0xff, 0xfe, 0x00],
        )
        .await;
    assert_eq!(s.as_u16() / 100, 4, "{body}");
}

#[actix_web::test]
async fn bad_paths_and_parameters_are_4xx() {
    let app = TestApp::spawn().await;
    let (s, body) = app.get("/api/v1/agencies/not-a-uuid").await;
    assert_problem(s, &body, 400, "invalid_parameter", None);
    let (s, body) = app.get("/api/v1/nothing-here").await;
    assert_problem(s, &body, 404, "not_found", None);
    let (s, body) = app
        .request(Method::PUT, "/api/v1/agencies", Some(&json!({})))
        .await;
    assert_problem(s, &body, 405, "method_not_allowed", None);
    let (s, body) = app.get("/api/v1/agencies?limit=0").await;
    assert_problem(s, &body, 400, "invalid_parameter", Some("limit"));
    let (s, body) = app.get("/api/v1/agencies?limit=abc").await;
    assert_problem(s, &body, 400, "invalid_parameter", None);
    let (s, body) = app.get("/api/v1/agencies?offset=-5").await;
    assert_problem(s, &body, 400, "invalid_parameter", Some("offset"));
    let (s, body) = app.get("/api/v1/agencies?sort=population").await;
    assert_problem(s, &body, 400, "invalid_parameter", Some("sort"));
    let (s, body) = app.get("/api/v1/agencies?kind=embassy").await;
    assert_problem(s, &body, 400, "invalid_parameter", None);
    let (s, body) = app
        .get(&format!("/api/v1/processes/{}", uuid::Uuid::new_v4()))
        .await;
    assert_problem(s, &body, 404, "not_found", None);
    let (s, body) = app
        .patch(
            &format!("/api/v1/points/{}", uuid::Uuid::new_v4()),
            json!({"name": "x"}),
        )
        .await;
    assert_problem(s, &body, 404, "not_found", None);
}

/// Found by Schemathesis: NUL characters, arrays as bodies, dates outside chrono's range.
#[actix_web::test]
async fn inputs_the_fuzzer_found_are_4xx() {
    let app = TestApp::spawn().await;
    let a = app.agency("МЧС Республики Дагестан").await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let (s, body) = app
        .post(
            &format!("/api/v1/agencies/{a}/directions"),
            json!({"name": "a\u{0}b"}),
        )
        .await;
    assert_problem(s, &body, 422, "validation_failed", Some("body"));
    let (s, body) = app.get("/api/v1/agencies?q=a%00b").await;
    assert_problem(s, &body, 400, "invalid_parameter", None);
    let (s, body) = app
        .delete(&format!("/api/v1/agencies/{a}/channel-rules/ph%00one"))
        .await;
    assert_problem(s, &body, 400, "invalid_parameter", None);
    let (s, body) = app
        .request(
            Method::PATCH,
            &format!("/api/v1/agencies/{a}"),
            Some(&json!([null, null])),
        )
        .await;
    assert_problem(s, &body, 422, "validation_failed", Some("body"));
    let (_, agency) = app.get(&format!("/api/v1/agencies/{a}")).await;
    assert_eq!(
        agency["website"], "https://www.example.ru",
        "nothing was changed"
    );
    for path in [
        format!("/api/v1/agencies/{a}/deadlines?on=-262142-01-01"),
        "/api/v1/deadlines?on=%2B100000-06-01".to_owned(),
    ] {
        let (s, body) = app.get(&path).await;
        assert_eq!(s.as_u16() / 100, 4, "{path}: {body}");
    }
    let (s, body) = app
        .put(
            "/api/v1/calendar/-0001-01-01",
            json!({"working": false, "name": "x"}),
        )
        .await;
    assert_eq!(s.as_u16() / 100, 4, "{body}");
    let resp = app
        .client
        .request(Method::PUT, app.url("/api/v1/agencies"))
        .bearer_auth(&app.admin)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status().as_u16(), 405);
    assert_eq!(resp.headers()["allow"], "GET, POST");
}

#[actix_web::test]
async fn health_and_readiness() {
    let app = TestApp::spawn().await;
    let (s, body) = app.get("/health").await;
    assert_eq!((s, body), (StatusCode::OK, json!({"status": "ok"})));
    let (s, body) = app.get("/ready").await;
    assert_eq!((s, body), (StatusCode::OK, json!({"status": "ok"})));
    let resp = app
        .client
        .get(app.url("/api/v1/agencies"))
        .bearer_auth(&app.admin)
        .send()
        .await
        .unwrap();
    let id = resp.headers()["x-request-id"].to_str().unwrap();
    assert!(uuid::Uuid::parse_str(id).is_ok(), "request id {id}");
}

#[actix_web::test]
async fn an_unreachable_database_answers_503_not_500() {
    // a pool pointed at a port where nothing listens: the service still starts and says so
    let app = TestApp::spawn_with(|s| {
        s.database_url.0 = "postgres://postgres@127.0.0.1:1/touchpoints".into();
        s.pool_timeout_ms = 300;
    })
    .await;
    let (s, body) = app.get("/ready").await;
    assert_problem(s, &body, 503, "service_unavailable", None);
    let (s, body) = app.get("/api/v1/agencies").await;
    assert_problem(s, &body, 503, "service_unavailable", None);
    let (s, _) = app.get("/health").await;
    assert_eq!(s, StatusCode::OK);
}

#[actix_web::test]
async fn metrics_count_requests_by_route_and_status() {
    let app = TestApp::spawn().await;
    app.get("/api/v1/agencies").await;
    app.get(&format!("/api/v1/agencies/{}", uuid::Uuid::new_v4()))
        .await;
    let text = app
        .client
        .get(app.url("/metrics"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(text.contains(r#"touchpoints_http_requests_total{method="GET",route="/api/v1/agencies",status="200"} 1"#), "{text}");
    assert!(text.contains(r#"touchpoints_http_requests_total{method="GET",route="/api/v1/agencies/{id}",status="404"} 1"#), "{text}");
    assert!(text.contains("touchpoints_http_request_duration_seconds_bucket"));
    assert!(text.contains(r#"touchpoints_db_pool_connections{state="max"} 4"#));
}

/// A pool with no free connection answers 503 at once instead of queueing.
#[actix_web::test]
async fn an_exhausted_pool_answers_503_quickly() {
    let app = TestApp::spawn_with(|s| {
        s.pool_size = 1;
        s.pool_timeout_ms = 200;
    })
    .await;
    let held = app.pool.get().unwrap(); // the only connection
    let started = std::time::Instant::now();
    let (s, body) = app.get("/api/v1/agencies").await;
    assert_problem(s, &body, 503, "service_unavailable", None);
    assert!(
        started.elapsed() < std::time::Duration::from_secs(2),
        "{:?}",
        started.elapsed()
    );
    drop(held);
    let (s, _) = app.get("/api/v1/agencies").await;
    assert_eq!(s, StatusCode::OK);
}

#[actix_web::test]
async fn type_errors_name_the_field_and_what_is_expected_in_the_apis_terms() {
    let app = TestApp::spawn().await;
    let a = app.agency("Министерство печати и информации РД").await;
    let p = app
        .process(a["id"].as_str().unwrap(), "Прием обращений")
        .await;
    let path = format!("/api/v1/processes/{}/points", p["id"].as_str().unwrap());
    let (s, body) = app
        .post(
            &path,
            json!({"channel": "phone", "name": "Телефон", "contacts": ["+7 8722 51-00-51"], "needs": ["consultation"]}),
        )
        .await;
    assert_problem(s, &body, 422, "validation_failed", Some("contacts[0]"));
    assert_eq!(
        body["errors"][0]["message"],
        r#"invalid type: string "+7 8722 51-00-51", expected an object {kind, value, label?}"#
    );
    // a number where an array belongs, a UUID that is not one (query and path)
    let (s, body) = app
        .post(
            &path,
            json!({"channel": "phone", "name": "Телефон", "contacts": 5}),
        )
        .await;
    assert_problem(s, &body, 422, "validation_failed", Some("contacts"));
    assert_eq!(
        body["errors"][0]["message"],
        "invalid type: integer `5`, expected an array"
    );
    let (s, body) = app.get("/api/v1/processes/not-a-uuid/points").await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "{body}");
    assert!(
        body["detail"].as_str().unwrap().contains("expected a UUID"),
        "{body}"
    );
}
