use reqwest::StatusCode;
use serde_json::json;

use crate::helpers::{assert_problem, TestApp};

#[actix_web::test]
async fn agencies_add_their_own_directions_to_the_catalog() {
    let app = TestApp::spawn().await;
    let agency = app.agency("МЧС Республики Дагестан").await;
    let aid = agency["id"].as_str().unwrap();
    let name = "Региональный государственный надзор в области защиты населения и территорий от чрезвычайных ситуаций природного и техногенного характера";
    let (s, own) = app
        .post(
            &format!("/api/v1/agencies/{aid}/directions"),
            json!({"name": name}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{own}");
    assert_eq!(own["is_catalog"], false);
    assert_eq!(own["code"], serde_json::Value::Null);

    let (_, all) = app.get(&format!("/api/v1/agencies/{aid}/directions")).await;
    assert_eq!(all["total"], 11, "10 catalog + 1 own");
    assert_eq!(
        all["items"][0]["code"], "state_services",
        "catalog first, in official order"
    );
    assert_eq!(all["items"][10]["name"], name);
    let (_, mine) = app
        .get(&format!("/api/v1/agencies/{aid}/directions?scope=own"))
        .await;
    assert_eq!(mine["total"], 1);
    let (_, catalog) = app.get("/api/v1/catalogs/directions").await;
    assert_eq!(
        catalog["total"], 10,
        "another agency's direction is not in the catalog"
    );

    // the same name as a catalog direction, in another case, is refused with its id
    let (s, body) = app
        .post(
            &format!("/api/v1/agencies/{aid}/directions"),
            json!({"name": "РАССМОТРЕНИЕ ОБРАЩЕНИЙ И ЗАПРОСОВ"}),
        )
        .await;
    assert_problem(s, &body, 409, "already_exists", Some("name"));
    let appeals = app.catalog_direction("appeals").await;
    assert_eq!(body["existing_id"], appeals);

    let (s, body) = app
        .patch(
            &format!("/api/v1/directions/{appeals}"),
            json!({"name": "x"}),
        )
        .await;
    assert_problem(s, &body, 409, "read_only", None);
    let (s, body) = app.delete(&format!("/api/v1/directions/{appeals}")).await;
    assert_problem(s, &body, 409, "read_only", None);

    let oid = own["id"].as_str().unwrap();
    let (s, renamed) = app
        .patch(
            &format!("/api/v1/directions/{oid}"),
            json!({"name": "Региональный государственный надзор в области защиты от ЧС"}),
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(
        renamed["name"],
        "Региональный государственный надзор в области защиты от ЧС"
    );

    // another agency cannot file processes under this agency's own direction
    let other = app.agency("Минстрой Дагестана").await;
    let (s, body) = app
        .post(&format!("/api/v1/agencies/{}/processes", other["id"].as_str().unwrap()), json!({"direction_id": oid, "name": "Контроль", "kind": "function", "client_type": "external"}))
        .await;
    assert_problem(s, &body, 422, "unknown_reference", Some("direction_id"));

    let (s, p) = app
        .post(&format!("/api/v1/agencies/{aid}/processes"), json!({"direction_id": oid, "name": "Плановая выездная проверка", "kind": "function", "client_type": "external"}))
        .await;
    assert_eq!(s, StatusCode::CREATED, "{p}");
    let (s, body) = app.delete(&format!("/api/v1/directions/{oid}")).await;
    assert_problem(s, &body, 409, "has_dependents", None);
    app.delete(&format!("/api/v1/processes/{}", p["id"].as_str().unwrap()))
        .await;
    let (s, _) = app.delete(&format!("/api/v1/directions/{oid}")).await;
    assert_eq!(s, StatusCode::NO_CONTENT);
}
