//! What an attacker with a browser, a spreadsheet or a forged token would try: formulas in CSV
//! cells, framing and sniffing, tokens that are not valid yet or live for ever.

use reqwest::{Method, StatusCode};
use serde_json::{json, Value};
use touchpoints::auth::{AuthConfig, Claims, Role};

use crate::helpers::{assert_problem, token, TestApp, TEST_SECRET};

const FORMULA_POINT: &str = "=HYPERLINK(\"http://x\",\"y\")";
const FORMULA_PROCESS: &str = "+cmd|' /C calc'!A0";

async fn ok(app: &TestApp, method: Method, path: &str, body: Option<Value>) -> Value {
    let (s, v) = app.request(method.clone(), path, body.as_ref()).await;
    assert!(s.is_success(), "{method} {path}: {s} {v}");
    v
}

/// An agency whose published register holds a formula in a process and in a touchpoint.
async fn published_with_formulas(app: &TestApp) -> String {
    let agency = app.agency("Агентство по делам молодёжи РД").await;
    let a = agency["id"].as_str().unwrap().to_owned();
    let p = app.process(&a, FORMULA_PROCESS).await;
    app.point(
        p["id"].as_str().unwrap(),
        json!({"channel": "website", "name": FORMULA_POINT, "needs": ["information"]}),
    )
    .await;
    let revisions = ok(
        app,
        Method::GET,
        &format!("/api/v1/agencies/{a}/revisions"),
        None,
    )
    .await;
    let r = revisions["items"][0]["id"].as_str().unwrap().to_owned();
    ok(
        app,
        Method::POST,
        &format!("/api/v1/revisions/{r}/parts/agency/submit"),
        None,
    )
    .await;
    ok(
        app,
        Method::POST,
        &format!("/api/v1/revisions/{r}/parts/agency/accept"),
        None,
    )
    .await;
    ok(
        app,
        Method::POST,
        &format!("/api/v1/revisions/{r}/approve"),
        None,
    )
    .await;
    ok(
        app,
        Method::POST,
        &format!("/api/v1/revisions/{r}/publish"),
        None,
    )
    .await;
    a
}

async fn text(app: &TestApp, path: &str, token: Option<&str>) -> String {
    let mut rb = app.client.get(app.url(path));
    if let Some(t) = token {
        rb = rb.bearer_auth(t);
    }
    let resp = rb.send().await.unwrap();
    assert_eq!(resp.status(), StatusCode::OK, "{path}");
    resp.text().await.unwrap()
}

#[actix_web::test]
async fn no_csv_the_service_writes_carries_a_live_formula() {
    let app = TestApp::spawn().await;
    let a = published_with_formulas(&app).await;
    let region = urlencode("Республика Дагестан");
    for (path, token) in [
        (
            format!("/api/v1/public/agencies/{a}/register?format=csv"),
            None,
        ),
        (
            format!("/api/v1/public/agencies/{a}/register/versions/1?format=csv"),
            None,
        ),
        (
            format!("/api/v1/agencies/{a}/register?format=csv"),
            Some(app.admin.clone()),
        ),
        (
            format!("/api/v1/public/regions/{region}/register?format=csv"),
            None,
        ),
    ] {
        let csv = text(&app, &path, token.as_deref()).await;
        let cells: Vec<&str> = csv
            .lines()
            .skip(1)
            .flat_map(|l| l.split(';'))
            .map(|c| c.trim_start_matches('"'))
            .collect();
        assert!(
            cells.iter().any(|c| c.starts_with("'=HYPERLINK(")),
            "{path}: {csv}"
        );
        assert!(
            cells.iter().any(|c| c.starts_with("'+cmd|")),
            "{path}: {csv}"
        );
        assert!(
            !cells.iter().any(|c| c.starts_with(['=', '+', '@'])),
            "{path}: a live formula in {csv}"
        );
    }
    // JSON keeps the agency's text as written
    let (_, json) = app
        .get(&format!("/api/v1/public/agencies/{a}/register"))
        .await;
    assert_eq!(json["rows"][0]["process"], FORMULA_PROCESS);
    assert_eq!(json["rows"][0]["touchpoint"]["name"], FORMULA_POINT);
}

fn urlencode(s: &str) -> String {
    url::form_urlencoded::byte_serialize(s.as_bytes())
        .collect::<String>()
        .replace('+', "%20")
}

#[actix_web::test]
async fn every_response_carries_the_security_headers_that_apply() {
    let app =
        TestApp::spawn_with(|s| s.frame_ancestors = "'self' https://portal.e-dag.ru".into()).await;
    let a = published_with_formulas(&app).await;
    let get = |path: String| {
        let client = app.client.clone();
        let url = app.url(&path);
        async move { client.get(url).send().await.unwrap() }
    };
    for path in [
        format!("/api/v1/public/agencies/{a}/register"),
        "/health".into(),
        "/no/such/path".into(),
        "/api-docs/openapi.json".into(),
    ] {
        let resp = get(path.clone()).await;
        let h = resp.headers();
        assert_eq!(h["x-content-type-options"], "nosniff", "{path}");
        assert_eq!(h["referrer-policy"], "no-referrer", "{path}");
        assert_eq!(
            h["content-security-policy"],
            touchpoints::http::security::API_CSP,
            "{path}"
        );
    }
    // the printable register may be embedded only where the operator says; its style is hashed
    let resp = get(format!("/api/v1/public/agencies/{a}/register?format=html")).await;
    let csp = resp.headers()["content-security-policy"]
        .to_str()
        .unwrap()
        .to_owned();
    assert_eq!(
        csp,
        touchpoints::http::security::register_csp(
            "'self' https://portal.e-dag.ru",
            touchpoints::public::render::HTML_STYLE
        )
    );
    assert!(
        csp.contains("frame-ancestors 'self' https://portal.e-dag.ru")
            && csp.contains("default-src 'none'")
            && !csp.contains("script-src"),
        "{csp}"
    );
    let html = resp.text().await.unwrap();
    assert!(
        html.contains(&format!(
            "<style>{}</style>",
            touchpoints::public::render::HTML_STYLE
        )),
        "the hash must cover the page's only style"
    );
    // the only script element is the schema.org data block, which no browser executes
    assert_eq!(
        html.matches("<script").count(),
        html.matches("<script type=\"application/ld+json\">")
            .count(),
        "{html}"
    );
    let resp = get("/swagger-ui/".into()).await;
    assert_eq!(resp.status(), StatusCode::OK);
    assert_eq!(
        resp.headers()["content-security-policy"],
        touchpoints::http::security::SWAGGER_CSP
    );
}

fn forged(claims: &Claims) -> String {
    AuthConfig::hs256(TEST_SECRET).mint(claims).unwrap()
}

#[actix_web::test]
async fn tokens_not_yet_valid_or_too_long_lived_are_refused_without_library_internals() {
    let app = TestApp::spawn().await;
    let now = chrono::Utc::now().timestamp();
    let base = Claims {
        sub: "x".into(),
        name: None,
        roles: vec![Role::Admin],
        agency_id: None,
        unit_id: None,
        exp: now + 600,
        iat: None,
        nbf: None,
        iss: None,
        aud: None,
    };
    let cases = [
        (
            "nbf in an hour",
            Claims {
                nbf: Some(now + 3600),
                ..base.clone()
            },
            "the token is not valid yet (nbf)",
        ),
        (
            "iat a year ahead",
            Claims {
                iat: Some(now + 365 * 86400),
                exp: now + 366 * 86400,
                ..base.clone()
            },
            "the token is issued in the future (iat)",
        ),
        (
            "exp = 10^15",
            Claims {
                exp: 1_000_000_000_000_000,
                ..base.clone()
            },
            "the token lives longer than this server accepts (86400 s)",
        ),
    ];
    for (what, claims, detail) in cases {
        let (s, body) = app
            .request_as(
                Some(&forged(&claims)),
                Method::GET,
                "/api/v1/agencies",
                None,
            )
            .await;
        assert_problem(s, &body, 401, "unauthorized", None);
        assert_eq!(body["detail"], detail, "{what}");
    }
    let (s, body) = app
        .request_as(
            Some("eyJhbGciOiJIUzI1NiJ9.e30.x"),
            Method::GET,
            "/api/v1/agencies",
            None,
        )
        .await;
    assert_problem(s, &body, 401, "unauthorized", None);
    assert_eq!(body["detail"], "the token is invalid");
    // a token issued a minute ago for the rest of the day is fine
    let fine = Claims {
        iat: Some(now - 60),
        exp: now + 8 * 3600,
        ..base
    };
    assert_eq!(
        app.request_as(Some(&forged(&fine)), Method::GET, "/api/v1/agencies", None)
            .await
            .0,
        StatusCode::OK
    );
    assert_eq!(
        app.request_as(
            Some(&token("y", &[Role::Admin], None, None)),
            Method::GET,
            "/api/v1/agencies",
            None
        )
        .await
        .0,
        StatusCode::OK
    );
}
