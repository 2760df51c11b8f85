//! The problem bodies of the main error classes, captured once each (`tests/api/snapshots/`).
//! Ids and ETags in `detail` are redacted; everything else (status, code, type, title, the
//! wording of the detail, field errors, the `Allow` header) is compared as committed. A change
//! fails the test; review it with `cargo insta review` and commit the new snapshot.

use reqwest::Method;
use serde_json::{json, Value};

use crate::client::{PointSpec, ProcessSpec};
use crate::helpers::{token, TestApp};

/// What the snapshot holds: the status, the `Allow` header when there is one, the body.
async fn exchange(
    app: &TestApp,
    token: Option<&str>,
    method: Method,
    path: &str,
    content: Option<(&str, Vec<u8>)>,
    if_match: Option<&str>,
) -> Value {
    let mut rb = app.client.request(method, app.url(path));
    if let Some(t) = token {
        rb = rb.bearer_auth(t);
    }
    if let Some(m) = if_match {
        rb = rb.header("if-match", m);
    }
    if let Some((ct, body)) = content {
        rb = rb.header("content-type", ct).body(body);
    }
    let resp = rb.send().await.unwrap();
    let status = resp.status().as_u16();
    let content_type = resp.headers()["content-type"].to_str().unwrap().to_owned();
    let allow = resp
        .headers()
        .get("allow")
        .map(|v| v.to_str().unwrap().to_owned());
    let body: Value = resp.json().await.unwrap();
    json!({"status": status, "content_type": content_type, "allow": allow, "body": body})
}

/// UUIDs and quoted ETags inside the detail text.
fn redact_detail(value: insta::internals::Content, _: insta::internals::ContentPath) -> String {
    let text = value.as_str().unwrap_or_default();
    let uuid =
        regex::Regex::new(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}").unwrap();
    let etag = regex::Regex::new(r#""[0-9a-zA-Z_-]{6,}""#).unwrap();
    let text = uuid.replace_all(text, "[uuid]");
    etag.replace_all(&text, "\"[etag]\"").into_owned()
}

macro_rules! snapshot {
    ($name:literal, $value:expr) => {
        insta::assert_json_snapshot!($name, $value, {
            ".body.detail" => insta::dynamic_redaction(redact_detail),
            ".body.existing_id" => "[uuid]",
        })
    };
}

#[actix_web::test]
async fn problem_bodies_of_the_main_error_classes() {
    let app = TestApp::spawn().await;
    let admin = Some(app.admin.as_str());
    let json_body = |v: Value| Some(("application/json", serde_json::to_vec(&v).unwrap()));

    let v = exchange(
        &app,
        admin,
        Method::GET,
        "/api/v1/agencies/not-a-uuid",
        None,
        None,
    )
    .await;
    snapshot!("400_invalid_parameter", v);

    let v = exchange(&app, None, Method::GET, "/api/v1/agencies", None, None).await;
    snapshot!("401_unauthorized", v);

    let approver = token(
        "u",
        &[touchpoints::auth::Role::Approver],
        Some(&uuid::Uuid::nil().to_string()),
        None,
    );
    let body = json_body(json!({"working": false, "name": "x"}));
    let v = exchange(
        &app,
        Some(&approver),
        Method::PUT,
        "/api/v1/calendar/2026-06-15",
        body,
        None,
    )
    .await;
    snapshot!("403_forbidden", v);

    let missing = format!("/api/v1/agencies/{}", uuid::Uuid::new_v4());
    let v = exchange(&app, admin, Method::GET, &missing, None, None).await;
    snapshot!("404_not_found", v);

    let v = exchange(&app, admin, Method::PUT, "/api/v1/agencies", None, None).await;
    snapshot!("405_method_not_allowed", v);

    let too_big = json_body(json!({"name": "я".repeat(200_000)}));
    let v = exchange(&app, admin, Method::POST, "/api/v1/agencies", too_big, None).await;
    snapshot!("413_payload_too_large", v);

    let text = Some(("text/plain", b"name=x".to_vec()));
    let v = exchange(&app, admin, Method::POST, "/api/v1/agencies", text, None).await;
    snapshot!("415_unsupported_media_type", v);

    let invalid = json_body(json!({
        "name": " ", "region": "Республика Дагестан", "kind": "ministry", "website": "не сайт"
    }));
    let v = exchange(&app, admin, Method::POST, "/api/v1/agencies", invalid, None).await;
    snapshot!("422_validation_failed", v);

    // a touchpoint of a submitted part: locked (409); and a stale If-Match (412)
    let org = app
        .org("МЧС Республики Дагестан")
        .with_unit("Отдел надзорной деятельности")
        .build()
        .await;
    let s1 = org.submitter_of(0);
    let p = s1
        .create_process(
            org.id(),
            ProcessSpec::function("Плановая проверка").of(org.unit(0)),
        )
        .await
        .unwrap();
    let phone = PointSpec::new("phone", "Телефон")
        .phone("+7 (8722) 55-05-28")
        .needs(&["consultation"]);
    let t = s1.add_point(p.id, phone).await.unwrap();
    let point = format!("/api/v1/points/{}", t.id);
    let rename = || json_body(json!({"name": "Телефон приёмной"}));
    let v = exchange(
        &app,
        Some(&s1.token),
        Method::PATCH,
        &point,
        rename(),
        Some("\"stale\""),
    )
    .await;
    snapshot!("412_precondition_failed", v);

    let rev = s1.current_revision(org.id()).await.unwrap();
    s1.submit(&rev, org.unit(0)).await.unwrap();
    let v = exchange(&app, Some(&s1.token), Method::PATCH, &point, rename(), None).await;
    snapshot!("409_locked", v);
}
