use reqwest::StatusCode;
use serde_json::json;

use crate::helpers::{assert_problem, TestApp};

#[actix_web::test]
async fn unit_crud_with_responsible_people() {
    let app = TestApp::spawn().await;
    let agency = app.agency("Агентство информации и печати РД").await;
    let aid = agency["id"].as_str().unwrap();
    let (s, unit) = app
        .post(
            &format!("/api/v1/agencies/{aid}/units"),
            json!({"name": "Административно-правовой отдел", "responsible_persons": [{"name": "Агаев М.А.", "position": "начальник отдела", "phone": "8 (8722) 51-00-51", "email": "Info@RD-press.ru"}]}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{unit}");
    assert_eq!(unit["responsible_persons"][0]["phone"], "+78722510051");
    assert_eq!(unit["responsible_persons"][0]["email"], "info@rd-press.ru");
    let uid = unit["id"].as_str().unwrap();

    let (_, list) = app.get(&format!("/api/v1/agencies/{aid}/units")).await;
    assert_eq!(list["total"], 1);
    let (_, none) = app
        .get(&format!(
            "/api/v1/agencies/{aid}/units?q=%D0%BA%D0%B0%D0%B4%D1%80"
        ))
        .await; // «кадр»
    assert_eq!(none["total"], 0);

    let (s, body) = app
        .post(
            &format!("/api/v1/agencies/{aid}/units"),
            json!({"name": "Административно-правовой отдел"}),
        )
        .await;
    assert_problem(s, &body, 409, "already_exists", None);

    let (s, patched) = app
        .patch(
            &format!("/api/v1/units/{uid}"),
            json!({"responsible_persons": []}),
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(patched["responsible_persons"], json!([]));
    assert_eq!(patched["name"], "Административно-правовой отдел");

    let (s, body) = app
        .patch(
            &format!("/api/v1/units/{uid}"),
            json!({"responsible_persons": [{"name": "", "email": "nobody", "phone": "12"}]}),
        )
        .await;
    assert_problem(
        s,
        &body,
        422,
        "validation_failed",
        Some("responsible_persons[0].name"),
    );
    assert_problem(
        s,
        &body,
        422,
        "validation_failed",
        Some("responsible_persons[0].email"),
    );
    assert_problem(
        s,
        &body,
        422,
        "validation_failed",
        Some("responsible_persons[0].phone"),
    );

    // a unit that owns processes is not deleted
    let direction = app.catalog_direction("internal_relations").await;
    let (s, p) = app
        .post(&format!("/api/v1/agencies/{aid}/processes"), json!({"direction_id": direction, "unit_id": uid, "name": "Увольнение с государственной гражданской службы", "kind": "function", "client_type": "internal"}))
        .await;
    assert_eq!(s, StatusCode::CREATED, "{p}");
    let (s, body) = app.delete(&format!("/api/v1/units/{uid}")).await;
    assert_problem(s, &body, 409, "has_dependents", None);
    let (s, _) = app
        .patch(
            &format!("/api/v1/processes/{}", p["id"].as_str().unwrap()),
            json!({"unit_id": null}),
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    let (s, _) = app.delete(&format!("/api/v1/units/{uid}")).await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    let (s, body) = app.get(&format!("/api/v1/units/{uid}")).await;
    assert_problem(s, &body, 404, "not_found", None);
}
