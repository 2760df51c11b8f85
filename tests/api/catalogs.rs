use reqwest::StatusCode;
use serde_json::json;

use crate::helpers::{assert_problem, TestApp};

#[actix_web::test]
async fn catalogs_carry_the_official_russian_labels() {
    let app = TestApp::spawn().await;
    let (s, needs) = app.get("/api/v1/catalogs/needs").await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(needs["total"], 10);
    assert_eq!(
        needs["items"][0],
        json!({"code": "information", "label": "Получение информации", "position": 1})
    );
    assert_eq!(
        needs["items"][3]["label"],
        "Представление заявления, обращения, запроса, документов"
    );
    let (_, channels) = app.get("/api/v1/catalogs/channel-types").await;
    let codes: Vec<&str> = channels["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["code"].as_str().unwrap())
        .collect();
    for c in [
        "website",
        "epgu",
        "pos",
        "phone",
        "email",
        "reception",
        "post",
        "mfc",
        "onsite_inspection",
    ] {
        assert!(codes.contains(&c), "{c} missing");
    }
    let (_, dirs) = app.get("/api/v1/catalogs/directions").await;
    assert_eq!(
        dirs["items"][3]["name"],
        "Рассмотрение обращений и запросов"
    );
}

#[actix_web::test]
async fn each_agency_sets_its_own_digital_offline_rule() {
    let app = TestApp::spawn().await;
    let a = app.agency("Минстрой Дагестана").await;
    let aid = a["id"].as_str().unwrap();
    let (_, rules) = app
        .get(&format!("/api/v1/agencies/{aid}/channel-rules"))
        .await;
    let phone = rules["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["channel"] == "phone")
        .unwrap()
        .clone();
    assert_eq!(phone["mode"], "digital");
    assert_eq!(phone["overridden"], false);

    // 002 §4.1.2: telephone is an offline touchpoint for Минстрой
    let (s, rules) = app
        .put(
            &format!("/api/v1/agencies/{aid}/channel-rules/phone"),
            json!({"mode": "offline"}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{rules}");
    let phone = rules["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["channel"] == "phone")
        .unwrap()
        .clone();
    assert_eq!(
        phone,
        json!({"channel": "phone", "label": "Телефонная связь", "mode": "offline", "default_mode": "digital", "overridden": true,
            "source": "own", "source_agency_id": aid, "inherited_mode": "digital"})
    );

    let (s, body) = app
        .put(
            &format!("/api/v1/agencies/{aid}/channel-rules/fax"),
            json!({"mode": "offline"}),
        )
        .await;
    assert_problem(s, &body, 404, "not_found", None);
    let (s, body) = app
        .put(
            &format!("/api/v1/agencies/{aid}/channel-rules/phone"),
            json!({"mode": "hybrid"}),
        )
        .await;
    assert_problem(s, &body, 422, "validation_failed", Some("mode"));

    let (s, rules) = app
        .delete(&format!("/api/v1/agencies/{aid}/channel-rules/phone"))
        .await;
    assert_eq!(s, StatusCode::OK);
    let phone = rules["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["channel"] == "phone")
        .unwrap()
        .clone();
    assert_eq!(phone["mode"], "digital");
}

/// The code lists the OpenAPI document states are the catalogs the database holds.
#[actix_web::test]
async fn the_spec_lists_exactly_the_catalog_codes() {
    let app = TestApp::spawn().await;
    let (_, spec) = app.get("/api-docs/openapi.json").await;
    for (schema, path) in [
        ("ChannelCode", "/api/v1/catalogs/channel-types"),
        ("NeedCode", "/api/v1/catalogs/needs"),
    ] {
        let mut stated: Vec<String> = spec["components"]["schemas"][schema]["enum"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_str().unwrap().to_owned())
            .collect();
        let (_, catalog) = app.get(path).await;
        let mut held: Vec<String> = catalog["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v["code"].as_str().unwrap().to_owned())
            .collect();
        stated.sort();
        held.sort();
        assert_eq!(stated, held, "{schema}");
    }
}
