use reqwest::StatusCode;
use serde_json::json;

use crate::helpers::{assert_problem, TestApp};

#[actix_web::test]
async fn process_crud_and_references_stay_inside_the_agency() {
    let app = TestApp::spawn().await;
    let a = app.agency("МЧС Республики Дагестан").await;
    let aid = a["id"].as_str().unwrap();
    let other = app.agency("Минстрой Дагестана").await;
    let (_, foreign_unit) = app
        .post(
            &format!("/api/v1/agencies/{}/units", other["id"].as_str().unwrap()),
            json!({"name": "Отдел кадров"}),
        )
        .await;
    let direction = app.catalog_direction("appeals").await;

    let (s, body) = app
        .post(&format!("/api/v1/agencies/{aid}/processes"), json!({"direction_id": direction, "unit_id": foreign_unit["id"], "name": "Приём обращений", "kind": "function", "client_type": "external"}))
        .await;
    assert_problem(s, &body, 422, "unknown_reference", Some("unit_id"));
    let (s, body) = app
        .post(&format!("/api/v1/agencies/{aid}/processes"), json!({"direction_id": uuid::Uuid::new_v4(), "name": "Приём обращений", "kind": "function", "client_type": "external"}))
        .await;
    assert_problem(s, &body, 422, "unknown_reference", Some("direction_id"));
    let (s, body) = app
        .post(&format!("/api/v1/agencies/{aid}/processes"), json!({"direction_id": direction, "name": "x", "kind": "услуга", "client_type": "external"}))
        .await;
    assert_problem(s, &body, 422, "validation_failed", Some("kind"));

    let (s, p) = app
        .post(
            &format!("/api/v1/agencies/{aid}/processes"),
            json!({"direction_id": direction, "name": "Прием и рассмотрение обращений и запросов, поступающих в Министерство", "registry_code": "РОЗ-01", "kind": "function", "client_type": "external"}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{p}");
    assert_eq!(p["touchpoint_count"], 0);
    assert_eq!(p["position"], 1);
    let pid = p["id"].as_str().unwrap();

    let (s, body) = app
        .post(&format!("/api/v1/agencies/{aid}/processes"), json!({"direction_id": direction, "name": "Другой", "registry_code": "РОЗ-01", "kind": "function", "client_type": "external"}))
        .await;
    assert_problem(s, &body, 409, "already_exists", None);

    let (s, patched) = app.patch(&format!("/api/v1/processes/{pid}"), json!({"registry_code": null, "client_type": "both", "direction_label": "Рассмотрение обращений"})).await;
    assert_eq!(s, StatusCode::OK, "{patched}");
    assert_eq!(patched["registry_code"], serde_json::Value::Null);
    assert_eq!(patched["client_type"], "both");
    assert_eq!(patched["direction_label"], "Рассмотрение обращений");
    let (s, body) = app
        .patch(
            &format!("/api/v1/processes/{pid}"),
            json!({"unit_id": foreign_unit["id"]}),
        )
        .await;
    assert_problem(s, &body, 422, "unknown_reference", Some("unit_id"));
    let (s, body) = app
        .patch(&format!("/api/v1/processes/{pid}"), json!({"name": ""}))
        .await;
    assert_problem(s, &body, 422, "validation_failed", Some("name"));
}

#[actix_web::test]
async fn deleting_a_process_with_touchpoints_needs_cascade() {
    let app = TestApp::spawn().await;
    let a = app.agency("МЧС Республики Дагестан").await;
    let p = app
        .process(a["id"].as_str().unwrap(), "Информирование")
        .await;
    let pid = p["id"].as_str().unwrap();
    let t = app.point(pid, json!({"channel": "website", "name": "Официальный сайт", "contacts": [{"kind": "url", "value": "www.mchsrd.ru"}], "needs": ["information"]})).await;
    let (_, p) = app.get(&format!("/api/v1/processes/{pid}")).await;
    assert_eq!(p["touchpoint_count"], 1);

    let (s, body) = app.delete(&format!("/api/v1/processes/{pid}")).await;
    assert_problem(s, &body, 409, "has_dependents", None);
    let (s, _) = app
        .get(&format!("/api/v1/points/{}", t["id"].as_str().unwrap()))
        .await;
    assert_eq!(s, StatusCode::OK, "nothing deleted by the refused request");
    let (s, _) = app
        .delete(&format!("/api/v1/processes/{pid}?cascade=true"))
        .await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    let (s, body) = app
        .get(&format!("/api/v1/points/{}", t["id"].as_str().unwrap()))
        .await;
    assert_problem(s, &body, 404, "not_found", None);
    let (s, body) = app
        .delete(&format!("/api/v1/processes/{pid}?cascade=maybe"))
        .await;
    assert_problem(s, &body, 400, "invalid_parameter", None);
}

#[actix_web::test]
async fn process_list_filters() {
    let app = TestApp::spawn().await;
    let a = app.agency("МЧС Республики Дагестан").await;
    let aid = a["id"].as_str().unwrap();
    let (_, unit) = app
        .post(
            &format!("/api/v1/agencies/{aid}/units"),
            json!({"name": "Отдел кадров"}),
        )
        .await;
    let hr = app.catalog_direction("internal_relations").await;
    let appeals = app.catalog_direction("appeals").await;
    let mk = |d: &str, name: &str, ct: &str, unit: Option<&str>| json!({"direction_id": d, "name": name, "kind": "function", "client_type": ct, "unit_id": unit});
    let uid = unit["id"].as_str().unwrap();
    let (_, p1) = app
        .post(
            &format!("/api/v1/agencies/{aid}/processes"),
            mk(&appeals, "Прием обращений", "external", None),
        )
        .await;
    let (_, p2) = app
        .post(
            &format!("/api/v1/agencies/{aid}/processes"),
            mk(&hr, "Увольнение", "internal", Some(uid)),
        )
        .await;
    let (_, _p3) = app
        .post(
            &format!("/api/v1/agencies/{aid}/processes"),
            mk(&hr, "Консультирование сотрудников и граждан", "both", None),
        )
        .await;
    app.point(p1["id"].as_str().unwrap(), json!({"channel": "phone", "name": "Телефон", "contacts": [{"kind": "phone", "value": "+7(8722) 51-61-22"}], "needs": ["consultation"]})).await;
    app.point(p2["id"].as_str().unwrap(), json!({"channel": "email", "name": "Почта", "contacts": [{"kind": "email", "value": "mchs@e-dag.ru"}], "needs": ["submission"]})).await;

    assert_eq!(
        total(&app, &format!("/api/v1/agencies/{aid}/processes")).await,
        3
    );
    assert_eq!(
        app.get(&format!(
            "/api/v1/agencies/{aid}/processes?direction_id={hr}"
        ))
        .await
        .1["total"],
        2
    );
    assert_eq!(
        app.get(&format!("/api/v1/agencies/{aid}/processes?unit={uid}"))
            .await
            .1["total"],
        1
    );
    assert_eq!(
        total(
            &app,
            &format!("/api/v1/agencies/{aid}/processes?unit=agency")
        )
        .await,
        2
    );
    assert_eq!(
        total(
            &app,
            &format!("/api/v1/agencies/{aid}/processes?client_type=external")
        )
        .await,
        2,
        "external includes both"
    );
    assert_eq!(
        total(
            &app,
            &format!("/api/v1/agencies/{aid}/processes?client_type=internal")
        )
        .await,
        2
    );
    assert_eq!(
        total(
            &app,
            &format!("/api/v1/agencies/{aid}/processes?client_type=both")
        )
        .await,
        1
    );
    assert_eq!(
        total(
            &app,
            &format!("/api/v1/agencies/{aid}/processes?channel=phone")
        )
        .await,
        1
    );
    assert_eq!(
        total(
            &app,
            &format!("/api/v1/agencies/{aid}/processes?need=submission")
        )
        .await,
        1
    );
    assert_eq!(
        total(
            &app,
            &format!("/api/v1/agencies/{aid}/processes?q=%D1%83%D0%B2%D0%BE%D0%BB%D1%8C")
        )
        .await,
        1
    ); // «уволь»
    let (_, sorted) = app
        .get(&format!("/api/v1/agencies/{aid}/processes?sort=-name"))
        .await;
    assert_eq!(sorted["items"][0]["name"], "Увольнение");
    let (_, by_position) = app.get(&format!("/api/v1/agencies/{aid}/processes")).await;
    assert_eq!(by_position["items"][0]["name"], "Прием обращений");
    assert_eq!(by_position["items"][0]["touchpoint_count"], 1);
    let (s, body) = app
        .get(&format!("/api/v1/agencies/{aid}/processes?unit=nobody"))
        .await;
    assert_problem(s, &body, 400, "invalid_parameter", Some("unit"));
    let (s, body) = app
        .get(&format!("/api/v1/agencies/{aid}/processes?sort=size"))
        .await;
    assert_problem(s, &body, 400, "invalid_parameter", Some("sort"));
}

async fn total(app: &TestApp, path: &str) -> i64 {
    let (s, body) = app.get(path).await;
    assert_eq!(s, StatusCode::OK, "{body}");
    body["total"].as_i64().unwrap()
}
