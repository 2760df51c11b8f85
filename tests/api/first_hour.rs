//! What a newcomer meets first: the root page, the demo tokens, quiet start-up.

use reqwest::StatusCode;

use crate::helpers::TestApp;

#[actix_web::test]
async fn the_root_leads_to_swagger_the_spec_and_the_published_registers() {
    let app = TestApp::spawn().await;
    let empty = app.client.get(app.url("/")).send().await.unwrap();
    assert_eq!(empty.status(), StatusCode::OK);
    assert_eq!(empty.headers()["content-type"], "text/html; charset=utf-8");
    // the page's one stylesheet is the one its CSP allows (no inline style blocked)
    let csp = empty.headers()["content-security-policy"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(csp.contains("style-src 'sha256-"), "{csp}");
    let page = empty.text().await.unwrap();
    for link in [
        "/swagger-ui/",
        "/api-docs/openapi.json",
        "/api/v1/public/agencies",
    ] {
        assert!(page.contains(&format!("href=\"{link}\"")), "{link}: {page}");
    }
    assert!(page.contains("Пока ни один перечень не опубликован."));

    let mut conn = app.pool.get().unwrap();
    touchpoints::demo::load(&mut conn).unwrap();
    let page = app
        .client
        .get(app.url("/"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let (_, published) = app.get("/api/v1/public/agencies").await;
    let items = published["items"].as_array().unwrap();
    assert_eq!(items.len(), 2);
    for a in items {
        let id = a["id"].as_str().unwrap();
        assert!(
            page.contains(&format!(
                "/api/v1/public/agencies/{id}/register?format=html"
            )),
            "{page}"
        );
    }
    assert!(page.contains("Агентство информации и печати Республики Дагестан"));

    // another method on the root is a problem, not an empty 405
    let (s, p) = app.post("/", serde_json::json!({})).await;
    assert_eq!(s, StatusCode::METHOD_NOT_ALLOWED, "{p}");
    assert_eq!(p["code"], "method_not_allowed");
}

#[actix_web::test]
async fn demo_tokens_give_each_agency_its_roles_with_names_the_history_shows() {
    use touchpoints::auth::AuthConfig;

    let app = TestApp::spawn().await;
    let mut conn = app.pool.get().unwrap();
    touchpoints::demo::load(&mut conn).unwrap();
    // the test server verifies with TEST_SECRET: the printed tokens work against it
    let secret = std::str::from_utf8(crate::helpers::TEST_SECRET).unwrap();
    let printed = touchpoints::auth::dev::demo_tokens(&mut conn, secret, 1).unwrap();
    let verify = AuthConfig::hs256(secret.as_bytes());
    let lines: Vec<&str> = printed.lines().collect();
    assert!(lines[0].starts_with("admin"), "{printed}");
    let admin = verify.verify(lines[1].trim()).unwrap();
    assert!(admin.is_admin());
    // two agencies, three roles each, every token named
    let roles: Vec<(&str, &str)> = lines
        .iter()
        .filter_map(|l| l.trim().split_once(' '))
        .filter(|(r, _)| ["submitter", "approver", "publisher"].contains(r))
        .map(|(r, t)| (r, t.trim()))
        .collect();
    assert_eq!(roles.len(), 6, "{printed}");
    for (role, token) in roles {
        let user = verify.verify(token).unwrap();
        assert!(user.name.starts_with("Демо: "), "{role}: {}", user.name);
        let agency = user.agency_id.expect("an agency");
        let (s, body) = app
            .request_as(
                Some(token),
                reqwest::Method::GET,
                &format!("/api/v1/agencies/{agency}/processes"),
                None,
            )
            .await;
        assert_eq!(s, StatusCode::OK, "{role}: {body}");
    }
}
