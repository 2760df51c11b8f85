use reqwest::StatusCode;
use serde_json::json;

use crate::helpers::{assert_problem, TestApp};

#[actix_web::test]
async fn agency_crud_round_trip() {
    let app = TestApp::spawn().await;
    let resp = app
        .client
        .post(app.url("/api/v1/agencies"))
        .bearer_auth(&app.admin)
        .json(&json!({"name": "  Министерство строительства, архитектуры и ЖКХ Республики Дагестан ", "short_name": "Минстрой Дагестана", "region": "Республика Дагестан", "kind": "ministry", "website": "www.minstroy.e-dag.ru"}))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::CREATED);
    let location = resp.headers()["location"].to_str().unwrap().to_owned();
    let created: serde_json::Value = resp.json().await.unwrap();
    assert_eq!(
        created["name"],
        "Министерство строительства, архитектуры и ЖКХ Республики Дагестан"
    );
    assert_eq!(created["website"], "https://www.minstroy.e-dag.ru");
    assert_eq!(created["parent_id"], serde_json::Value::Null);
    let id = created["id"].as_str().unwrap();
    assert_eq!(location, format!("/api/v1/agencies/{id}"));

    let (s, got) = app.get(&location).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(got, created);

    let (s, patched) = app
        .patch(&location, json!({"short_name": null, "kind": "agency"}))
        .await;
    assert_eq!(s, StatusCode::OK, "{patched}");
    assert_eq!(patched["short_name"], serde_json::Value::Null);
    assert_eq!(patched["kind"], "agency");
    assert_eq!(patched["name"], created["name"], "absent fields stay");

    let (s, _) = app.delete(&location).await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    let (s, body) = app.get(&location).await;
    assert_problem(s, &body, 404, "not_found", None);
    let (s, body) = app.delete(&location).await;
    assert_problem(s, &body, 404, "not_found", None);
}

#[actix_web::test]
async fn agency_list_filters_sorts_and_paginates() {
    let app = TestApp::spawn().await;
    for (name, region, kind) in [
        ("Агентство информации и печати Республики Дагестан", "Республика Дагестан", "agency"),
        ("Министерство по делам гражданской обороны, чрезвычайным ситуациям и ликвидации последствий стихийных бедствий Республики Дагестан", "Республика Дагестан", "ministry"),
        ("Министерство социальной политики и труда Удмуртской Республики", "Удмуртская Республика", "ministry"),
    ] {
        let (s, b) = app.post("/api/v1/agencies", json!({"name": name, "region": region, "kind": kind})).await;
        assert_eq!(s, StatusCode::CREATED, "{b}");
    }
    let (_, all) = app.get("/api/v1/agencies").await;
    assert_eq!(all["total"], 3);
    assert_eq!(all["limit"], 50);
    let (_, page) = app.get("/api/v1/agencies?limit=1&offset=1&sort=name").await;
    assert_eq!(page["total"], 3);
    assert_eq!(page["items"].as_array().unwrap().len(), 1);
    assert!(
        page["items"][0]["name"]
            .as_str()
            .unwrap()
            .starts_with("Министерство по делам"),
        "{page}"
    );
    let (_, desc) = app.get("/api/v1/agencies?sort=-name").await;
    assert!(
        desc["items"][0]["name"]
            .as_str()
            .unwrap()
            .starts_with("Министерство социальной"),
        "{desc}"
    );
    let (_, region) = app.get("/api/v1/agencies?region=%D0%A3%D0%B4%D0%BC%D1%83%D1%80%D1%82%D1%81%D0%BA%D0%B0%D1%8F%20%D0%A0%D0%B5%D1%81%D0%BF%D1%83%D0%B1%D0%BB%D0%B8%D0%BA%D0%B0").await;
    assert_eq!(region["total"], 1);
    let (_, kind) = app.get("/api/v1/agencies?kind=ministry").await;
    assert_eq!(kind["total"], 2);
    let (_, q) = app
        .get("/api/v1/agencies?q=%D0%BF%D0%B5%D1%87%D0%B0%D1%82%D0%B8")
        .await; // «печати»
    assert_eq!(q["total"], 1);
    let (_, q) = app.get("/api/v1/agencies?q=%25").await; // a literal %, not a wildcard
    assert_eq!(q["total"], 0);
}

#[actix_web::test]
async fn same_name_in_one_region_is_a_conflict() {
    let app = TestApp::spawn().await;
    app.agency("МЧС Республики Дагестан").await;
    let (s, body) = app.post("/api/v1/agencies", json!({"name": "МЧС Республики Дагестан", "region": "Республика Дагестан", "kind": "ministry"})).await;
    assert_problem(s, &body, 409, "already_exists", None);
    let (s, _) = app.post("/api/v1/agencies", json!({"name": "МЧС Республики Дагестан", "region": "Чеченская Республика", "kind": "ministry"})).await;
    assert_eq!(s, StatusCode::CREATED);
}

#[actix_web::test]
async fn agency_validation_names_every_bad_field() {
    let app = TestApp::spawn().await;
    let (s, body) = app
        .post(
            "/api/v1/agencies",
            json!({"name": "   ", "region": "", "kind": "ministry", "website": "not a site"}),
        )
        .await;
    assert_problem(s, &body, 422, "validation_failed", Some("name"));
    assert_problem(s, &body, 422, "validation_failed", Some("region"));
    assert_problem(s, &body, 422, "validation_failed", Some("website"));
    let (s, body) = app
        .post(
            "/api/v1/agencies",
            json!({"name": "X", "region": "Y", "kind": "department"}),
        )
        .await;
    assert_problem(s, &body, 422, "validation_failed", Some("kind"));
    let (s, body) = app
        .post("/api/v1/agencies", json!({"name": "X", "region": "Y"}))
        .await;
    assert_problem(s, &body, 422, "validation_failed", None);
    assert!(body["detail"].as_str().unwrap().contains("kind"), "{body}");
}

#[actix_web::test]
async fn subordinate_organizations_have_their_own_registers() {
    let app = TestApp::spawn().await;
    let parent = app.agency("Минстрой Дагестана").await;
    let pid = parent["id"].as_str().unwrap();
    let (s, org) = app
        .post(
            &format!("/api/v1/agencies/{pid}/organizations"),
            json!({"name": "ГКУ РД «Управление капитального строительства»"}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{org}");
    assert_eq!(org["parent_id"], pid);
    assert_eq!(org["region"], "Республика Дагестан", "region inherited");
    assert_eq!(org["kind"], "institution");
    let oid = org["id"].as_str().unwrap();

    let (s, got) = app.get(&format!("/api/v1/organizations/{oid}")).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(got["id"], oid);
    let (s, body) = app.get(&format!("/api/v1/organizations/{pid}")).await;
    assert_problem(s, &body, 404, "not_found", None);

    let (_, list) = app
        .get(&format!("/api/v1/agencies/{pid}/organizations"))
        .await;
    assert_eq!(list["total"], 1);
    let (_, top) = app.get("/api/v1/agencies").await;
    assert_eq!(top["total"], 1, "organizations are not top-level agencies");
    let (_, all) = app.get("/api/v1/agencies?include_organizations=true").await;
    assert_eq!(all["total"], 2);

    // the organization keeps its own register
    let process = app.process(oid, "Выдача разрешений на строительство").await;
    assert_eq!(process["agency_id"], oid);

    let (s, body) = app.delete(&format!("/api/v1/agencies/{pid}")).await;
    assert_problem(s, &body, 409, "has_dependents", None);
    let (s, patched) = app
        .patch(
            &format!("/api/v1/organizations/{oid}"),
            json!({"short_name": "УКС"}),
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(patched["short_name"], "УКС");
    let (s, _) = app
        .delete(&format!(
            "/api/v1/processes/{}",
            process["id"].as_str().unwrap()
        ))
        .await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    // the organization now has a revision in its history: it is kept
    let (s, body) = app.delete(&format!("/api/v1/organizations/{oid}")).await;
    assert_problem(s, &body, 409, "has_dependents", None);

    // one without any register history can go
    let (_, bare) = app
        .post(
            &format!("/api/v1/agencies/{pid}/organizations"),
            json!({"name": "ГБУ РД «Лишняя запись»"}),
        )
        .await;
    let (s, _) = app
        .delete(&format!(
            "/api/v1/organizations/{}",
            bare["id"].as_str().unwrap()
        ))
        .await;
    assert_eq!(s, StatusCode::NO_CONTENT);
}

#[actix_web::test]
async fn organizations_of_a_missing_agency_are_404() {
    let app = TestApp::spawn().await;
    let missing = uuid::Uuid::new_v4();
    let (s, body) = app
        .get(&format!("/api/v1/agencies/{missing}/organizations"))
        .await;
    assert_problem(s, &body, 404, "not_found", None);
    let (s, body) = app
        .post(
            &format!("/api/v1/agencies/{missing}/organizations"),
            json!({"name": "x"}),
        )
        .await;
    assert_problem(s, &body, 404, "not_found", None);
}
