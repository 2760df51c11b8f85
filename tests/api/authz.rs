//! The authorization matrix: every write endpoint × every kind of bad or insufficient token.
//! Nothing outside the rules may get a 2xx, and nothing may get a 5xx.

use reqwest::Method;
use serde_json::{json, Value};
use touchpoints::auth::Role;

use crate::helpers::{token, token_with, TestApp, TEST_SECRET};

/// Unpadded base64url, to forge tokens.
fn b64(data: &[u8]) -> String {
    use base64::Engine;
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(data)
}

struct Endpoint {
    method: Method,
    path: String,
    body: Option<Value>,
    /// Roles of the same agency that may call it (admins always may).
    allowed: &'static [Role],
}

#[actix_web::test]
async fn nothing_outside_the_rules_gets_a_2xx() {
    let app = TestApp::spawn().await;
    let a = app.agency("МЧС Республики Дагестан").await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let other = app.agency("Минстрой Дагестана").await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let (_, org) = app
        .post(
            &format!("/api/v1/agencies/{a}/organizations"),
            json!({"name": "ГКУ «Пожарная охрана»"}),
        )
        .await;
    let org = org["id"].as_str().unwrap().to_owned();
    let (_, unit) = app
        .post(
            &format!("/api/v1/agencies/{a}/units"),
            json!({"name": "Управление делами"}),
        )
        .await;
    let unit = unit["id"].as_str().unwrap().to_owned();
    let (_, dir) = app
        .post(
            &format!("/api/v1/agencies/{a}/directions"),
            json!({"name": "Региональный надзор"}),
        )
        .await;
    let dir = dir["id"].as_str().unwrap().to_owned();
    let p = app.process(&a, "Приём обращений").await;
    let p = p["id"].as_str().unwrap().to_owned();
    let t = app.point(&p, json!({"channel": "phone", "name": "Телефон", "contacts": [{"kind": "phone", "value": "+78722516122"}]})).await;
    let t = t["id"].as_str().unwrap().to_owned();
    let (_, revs) = app.get(&format!("/api/v1/agencies/{a}/revisions")).await;
    let r = revs["items"][0]["id"].as_str().unwrap().to_owned();
    let appeals = app.catalog_direction("appeals").await;

    use Role::*;
    let e =
        |method: Method, path: String, body: Option<Value>, allowed: &'static [Role]| Endpoint {
            method,
            path,
            body,
            allowed,
        };
    let endpoints = vec![
        e(
            Method::POST,
            "/api/v1/agencies".into(),
            Some(json!({"name": "x", "region": "y", "kind": "agency"})),
            &[],
        ),
        e(
            Method::PATCH,
            format!("/api/v1/agencies/{a}"),
            Some(json!({"short_name": "x"})),
            &[],
        ),
        e(Method::DELETE, format!("/api/v1/agencies/{a}"), None, &[]),
        e(
            Method::POST,
            format!("/api/v1/agencies/{a}/organizations"),
            Some(json!({"name": "x"})),
            &[],
        ),
        e(
            Method::PATCH,
            format!("/api/v1/organizations/{org}"),
            Some(json!({"short_name": "x"})),
            &[],
        ),
        e(
            Method::DELETE,
            format!("/api/v1/organizations/{org}"),
            None,
            &[],
        ),
        e(
            Method::PUT,
            format!("/api/v1/agencies/{a}/channel-rules/phone"),
            Some(json!({"mode": "offline"})),
            &[],
        ),
        e(
            Method::DELETE,
            format!("/api/v1/agencies/{a}/channel-rules/phone"),
            None,
            &[],
        ),
        e(
            Method::POST,
            format!("/api/v1/agencies/{a}/units"),
            Some(json!({"name": "x"})),
            &[],
        ),
        e(
            Method::PATCH,
            format!("/api/v1/units/{unit}"),
            Some(json!({"name": "x"})),
            &[],
        ),
        e(Method::DELETE, format!("/api/v1/units/{unit}"), None, &[]),
        e(
            Method::POST,
            format!("/api/v1/agencies/{a}/directions"),
            Some(json!({"name": "x"})),
            &[Submitter, Approver],
        ),
        e(
            Method::PATCH,
            format!("/api/v1/directions/{dir}"),
            Some(json!({"name": "x"})),
            &[Submitter, Approver],
        ),
        e(
            Method::DELETE,
            format!("/api/v1/directions/{dir}"),
            None,
            &[Submitter, Approver],
        ),
        e(
            Method::POST,
            format!("/api/v1/agencies/{a}/processes"),
            Some(
                json!({"direction_id": appeals, "name": "x", "kind": "function", "client_type": "external"}),
            ),
            &[Submitter],
        ),
        e(
            Method::PATCH,
            format!("/api/v1/processes/{p}"),
            Some(json!({"name": "x"})),
            &[Submitter],
        ),
        e(
            Method::DELETE,
            format!("/api/v1/processes/{p}?cascade=true"),
            None,
            &[Submitter],
        ),
        e(
            Method::POST,
            format!("/api/v1/processes/{p}/points"),
            Some(json!({"channel": "email", "name": "x"})),
            &[Submitter],
        ),
        e(
            Method::PATCH,
            format!("/api/v1/points/{t}"),
            Some(json!({"name": "x"})),
            &[Submitter],
        ),
        e(
            Method::DELETE,
            format!("/api/v1/points/{t}"),
            None,
            &[Submitter],
        ),
        e(
            Method::POST,
            format!("/api/v1/agencies/{a}/revisions"),
            Some(json!({"reason": "yearly_revision"})),
            &[Approver],
        ),
        e(
            Method::POST,
            format!("/api/v1/revisions/{r}/parts/agency/submit"),
            None,
            &[Submitter],
        ),
        e(
            Method::POST,
            format!("/api/v1/revisions/{r}/parts/agency/return"),
            Some(json!({"remarks": "x"})),
            &[Approver],
        ),
        e(
            Method::POST,
            format!("/api/v1/revisions/{r}/parts/agency/accept"),
            None,
            &[Approver],
        ),
        e(
            Method::POST,
            format!("/api/v1/revisions/{r}/approve"),
            None,
            &[Approver],
        ),
        e(
            Method::POST,
            format!("/api/v1/revisions/{r}/publish"),
            None,
            &[Publisher],
        ),
        e(
            Method::PUT,
            format!("/api/v1/agencies/{a}/workflow-settings"),
            Some(
                json!({"review_days": 5, "return_days": 1, "fix_days": 5, "resubmit_days": 1, "consolidate_days": 2, "publish_days": 5, "yearly_month": 2, "yearly_day": 1, "quarterly_analysis": false, "approval_chain": []}),
            ),
            &[],
        ),
        e(
            Method::PUT,
            "/api/v1/calendar/2026-06-15".into(),
            Some(json!({"working": false, "name": "x"})),
            &[],
        ),
        e(
            Method::DELETE,
            "/api/v1/calendar/2026-01-02".into(),
            None,
            &[],
        ),
    ];

    let claims = |agency: &str| json!({"sub": "x", "roles": ["admin"], "agency_id": agency, "exp": chrono::Utc::now().timestamp() + 3600});
    let alg_none = format!(
        "{}.{}.",
        b64(br#"{"alg":"none","typ":"JWT"}"#),
        b64(claims(&a).to_string().as_bytes())
    );
    let wrong_key = {
        let c: touchpoints::auth::Claims = serde_json::from_value(claims(&a)).unwrap();
        touchpoints::auth::AuthConfig::hs256(b"some-other-secret-0123456789")
            .mint(&c)
            .unwrap()
    };
    let hs512 = {
        let header = b64(br#"{"alg":"HS512","typ":"JWT"}"#);
        format!(
            "{header}.{}.{}",
            b64(claims(&a).to_string().as_bytes()),
            b64(&[0u8; 64])
        )
    };
    assert!(!TEST_SECRET.is_empty());
    let invalid: Vec<(&str, Option<String>)> = vec![
        ("no token", None),
        (
            "expired",
            Some(format!(
                "Bearer {}",
                token_with("x", &[Role::Admin], None, None, -3600)
            )),
        ),
        ("wrong signature", Some(format!("Bearer {wrong_key}"))),
        ("alg none", Some(format!("Bearer {alg_none}"))),
        ("wrong algorithm", Some(format!("Bearer {hs512}"))),
        ("garbage", Some("Bearer not.a.jwt".into())),
        ("not bearer", Some(format!("Basic {}", b64(b"admin:admin")))),
        ("empty bearer", Some("Bearer ".into())),
        (
            "no agency",
            Some(format!(
                "Bearer {}",
                token("x", &[Role::Submitter], None, None)
            )),
        ),
    ];
    let mut sent = 0;
    for ep in &endpoints {
        for (what, header) in &invalid {
            let mut rb = app.client.request(ep.method.clone(), app.url(&ep.path));
            if let Some(h) = header {
                rb = rb.header("authorization", h);
            }
            if let Some(b) = &ep.body {
                rb = rb.json(b);
            }
            let resp = rb.send().await.unwrap();
            assert_eq!(
                resp.status().as_u16(),
                401,
                "{} {} with {what}",
                ep.method,
                ep.path
            );
            assert_eq!(resp.headers()["content-type"], "application/problem+json");
            assert_eq!(resp.headers()["www-authenticate"], "Bearer");
            sent += 1;
        }
        let mut users: Vec<(String, String)> = Vec::new();
        for role in [Submitter, Approver, Publisher] {
            users.push((
                format!("{role:?} of another agency"),
                token("o", &[role], Some(&other), None),
            ));
            if !ep.allowed.contains(&role) {
                users.push((
                    format!("{role:?} of the agency"),
                    token("m", &[role], Some(&a), None),
                ));
            }
        }
        for (what, tok) in users {
            let (s, body) = app
                .request_as(Some(&tok), ep.method.clone(), &ep.path, ep.body.as_ref())
                .await;
            assert!(
                !s.is_success(),
                "{} {} with {what}: {s} {body}",
                ep.method,
                ep.path
            );
            assert!(
                !s.is_server_error(),
                "{} {} with {what}: {s} {body}",
                ep.method,
                ep.path
            );
            assert_eq!(
                s.as_u16(),
                403,
                "{} {} with {what}: {body}",
                ep.method,
                ep.path
            );
            sent += 1;
        }
    }
    assert!(sent > 300, "{sent}");

    // reads of another agency's working copy are refused too; catalogs are public
    let outsider = token("o", &[Role::Approver], Some(&other), None);
    for path in [
        format!("/api/v1/agencies/{a}/processes"),
        format!("/api/v1/processes/{p}"),
        format!("/api/v1/points/{t}"),
        format!("/api/v1/revisions/{r}"),
        format!("/api/v1/points?agency_id={a}"),
        format!("/api/v1/agencies/{a}/units"),
    ] {
        let (s, body) = app
            .request_as(Some(&outsider), Method::GET, &path, None)
            .await;
        assert_eq!(s.as_u16(), 403, "{path}: {body}");
    }
    let (s, body) = app
        .request_as(Some(&outsider), Method::GET, "/api/v1/points", None)
        .await;
    assert_eq!(
        body["total"], 0,
        "{s}: an outsider's search covers only their own agency"
    );
    let (s, _) = app
        .request_as(None, Method::GET, "/api/v1/catalogs/needs", None)
        .await;
    assert_eq!(s.as_u16(), 200);
    let (s, _) = app
        .request_as(None, Method::GET, "/api/v1/agencies", None)
        .await;
    assert_eq!(s.as_u16(), 401);

    // nothing was changed by any of the refused requests
    let (_, point) = app.get(&format!("/api/v1/points/{t}")).await;
    assert_eq!(point["name"], "Телефон");
}

#[actix_web::test]
async fn a_unit_submitter_edits_only_the_unit() {
    let app = TestApp::spawn().await;
    let a = app.agency("МЧС Республики Дагестан").await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let (_, u1) = app
        .post(
            &format!("/api/v1/agencies/{a}/units"),
            json!({"name": "Отдел кадров"}),
        )
        .await;
    let u1 = u1["id"].as_str().unwrap();
    let agency_process = app.process(&a, "Приём обращений").await;
    let sub = token("s", &[Role::Submitter], Some(&a), Some(u1));
    let (s, _) = app
        .request_as(
            Some(&sub),
            Method::POST,
            &format!(
                "/api/v1/processes/{}/points",
                agency_process["id"].as_str().unwrap()
            ),
            Some(&json!({"channel": "email", "name": "Почта"})),
        )
        .await;
    assert_eq!(s.as_u16(), 403);
    let appeals = app.catalog_direction("internal_relations").await;
    let (s, body) = app
        .request_as(Some(&sub), Method::POST, &format!("/api/v1/agencies/{a}/processes"), Some(&json!({"direction_id": appeals, "unit_id": u1, "name": "Кадровая работа", "kind": "function", "client_type": "internal"})))
        .await;
    assert_eq!(s.as_u16(), 201, "{body}");
    // moving the unit's process out of the unit is refused too
    let (s, _) = app
        .request_as(
            Some(&sub),
            Method::PATCH,
            &format!("/api/v1/processes/{}", body["id"].as_str().unwrap()),
            Some(&json!({"unit_id": null})),
        )
        .await;
    assert_eq!(s.as_u16(), 403);
}
