use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::helpers::{assert_problem, TestApp};

async fn setup(app: &TestApp) -> (String, String) {
    let a = app.agency("МЧС Республики Дагестан").await;
    let p = app
        .process(
            a["id"].as_str().unwrap(),
            "Прием и рассмотрение обращений и запросов, поступающих в Министерство",
        )
        .await;
    (
        a["id"].as_str().unwrap().to_owned(),
        p["id"].as_str().unwrap().to_owned(),
    )
}

fn phone_point(number: &str) -> Value {
    json!({
        "channel": "phone",
        "name": "Телефон",
        "contacts": [{"kind": "phone", "value": number}],
        "needs": ["consultation", "submission", "progress"],
        "interaction": "Получение консультации клиентом, подача устного обращения клиентом",
        "features": "Взаимодействие в офлайн-точке"
    })
}

#[actix_web::test]
async fn touchpoint_crud_normalises_contacts_and_keeps_column_6_as_written() {
    let app = TestApp::spawn().await;
    let (aid, pid) = setup(&app).await;
    let t = app.point(&pid, phone_point("+7(8722) 51-61-22")).await;
    assert_eq!(
        t["contacts"],
        json!([{"kind": "phone", "value": "+78722516122"}])
    );
    assert_eq!(
        t["needs"],
        json!(["consultation", "submission", "progress"])
    );
    assert_eq!(t["agency_id"], aid.as_str());
    // column 6 says offline; the default rule classifies telephone as digital: kept, flagged
    assert_eq!(t["stated_mode"], "offline");
    assert_eq!(t["implied_mode"], "digital");
    assert_eq!(t["mode_conflict"], true);
    let tid = t["id"].as_str().unwrap();

    // with the agency's own rule (phone = offline) the same row no longer conflicts
    app.put(
        &format!("/api/v1/agencies/{aid}/channel-rules/phone"),
        json!({"mode": "offline"}),
    )
    .await;
    let (_, t2) = app.get(&format!("/api/v1/points/{tid}")).await;
    assert_eq!(t2["implied_mode"], "offline");
    assert_eq!(t2["mode_conflict"], false);
    assert_eq!(t2["stated_mode"], "offline");

    let (s, patched) = app
        .patch(&format!("/api/v1/points/{tid}"), json!({"needs": ["result"], "contacts": [{"kind": "phone", "value": "88722516122"}, {"kind": "phone", "value": "+7 (8722) 51-61-23", "label": "приёмная"}], "features": null}))
        .await;
    assert_eq!(s, StatusCode::OK, "{patched}");
    assert_eq!(patched["needs"], json!(["result"]));
    assert_eq!(
        patched["contacts"][1],
        json!({"kind": "phone", "value": "+78722516123", "label": "приёмная"})
    );
    assert_eq!(patched["features"], Value::Null);
    assert_eq!(
        patched["stated_mode"], "offline",
        "the stated mark is changed only explicitly"
    );
    assert_eq!(patched["name"], "Телефон");

    let (_, list) = app.get(&format!("/api/v1/processes/{pid}/points")).await;
    assert_eq!(list["total"], 1);
    assert_eq!(list["items"][0], patched);

    let (s, _) = app.delete(&format!("/api/v1/points/{tid}")).await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    let (s, body) = app.get(&format!("/api/v1/points/{tid}")).await;
    assert_problem(s, &body, 404, "not_found", None);
}

#[actix_web::test]
async fn r7_refuses_a_second_touchpoint_with_the_same_channel_and_contact() {
    let app = TestApp::spawn().await;
    let (aid, pid) = setup(&app).await;
    let first = app.point(&pid, phone_point("+7(8722) 51-61-22")).await;

    // the same number written differently
    let (s, body) = app
        .post(
            &format!("/api/v1/processes/{pid}/points"),
            phone_point("8 8722 516122"),
        )
        .await;
    assert_problem(s, &body, 409, "duplicate_touchpoint", Some("contacts[0]"));
    assert_eq!(body["existing_id"], first["id"]);
    assert!(
        body["detail"].as_str().unwrap().contains("Телефон"),
        "{body}"
    );

    // the same number on another channel of the process is another touchpoint (000: «Проведение рабочих встреч. Тел.»)
    let mut meeting = phone_point("+7(8722) 51-61-22");
    meeting["channel"] = json!("meeting");
    meeting["name"] = json!("Проведение рабочих встреч");
    let (s, _) = app
        .post(&format!("/api/v1/processes/{pid}/points"), meeting)
        .await;
    assert_eq!(s, StatusCode::CREATED);

    // the same number in another process is fine
    let other = app
        .process(
            &aid,
            "Информирование о деятельности Министерства по запросам внешних клиентов",
        )
        .await;
    app.point(
        other["id"].as_str().unwrap(),
        phone_point("+7(8722) 51-61-22"),
    )
    .await;

    // a contactless touchpoint duplicates by channel and name
    let desk = json!({"channel": "reception", "name": "Место проведения личного приема в здании Министерства", "needs": ["consultation"]});
    app.point(&pid, desk.clone()).await;
    let mut again = desk.clone();
    again["name"] = json!("место проведения личного приёма в здании министерства");
    let (s, body) = app
        .post(&format!("/api/v1/processes/{pid}/points"), again)
        .await;
    assert_problem(s, &body, 409, "duplicate_touchpoint", Some("name"));

    // a PATCH that would create a duplicate is refused too, and changes nothing
    let second = app.point(&pid, phone_point("+7(8722) 55-16-32")).await;
    let sid = second["id"].as_str().unwrap();
    let (s, body) = app
        .patch(
            &format!("/api/v1/points/{sid}"),
            json!({"contacts": [{"kind": "phone", "value": "+78722516122"}]}),
        )
        .await;
    assert_problem(s, &body, 409, "duplicate_touchpoint", Some("contacts[0]"));
    let (_, unchanged) = app.get(&format!("/api/v1/points/{sid}")).await;
    assert_eq!(unchanged["contacts"][0]["value"], "+78722551632");

    // the same contact twice in one request is one contact; the first caption given stays
    let (s, body) = app
        .post(
            &format!("/api/v1/processes/{pid}/points"),
            json!({"channel": "email", "name": "Почта", "contacts": [{"kind": "email", "value": "a@e-dag.ru"}, {"kind": "email", "value": "A@E-DAG.RU", "label": "приёмная"}, {"kind": "email", "value": "a@e-dag.ru", "label": "канцелярия"}]}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{body}");
    assert_eq!(
        body["contacts"],
        json!([{"kind": "email", "value": "a@e-dag.ru", "label": "приёмная"}])
    );
}

#[actix_web::test]
async fn r7_holds_under_concurrent_creates() {
    let app = TestApp::spawn().await;
    let (_, pid) = setup(&app).await;
    let mut handles = Vec::new();
    for i in 0..8 {
        let client = app.client.clone();
        let admin = app.admin.clone();
        let url = app.url(&format!("/api/v1/processes/{pid}/points"));
        let written = [
            "+7(8722) 51-61-22",
            "88722516122",
            "+7 8722 516122",
            "8-8722-51-61-22",
        ][i % 4];
        handles.push(actix_web::rt::spawn(async move {
            client
                .post(url)
                .bearer_auth(admin)
                .json(&phone_point(written))
                .send()
                .await
                .unwrap()
                .status()
        }));
    }
    let mut statuses = Vec::new();
    for h in handles {
        statuses.push(h.await.unwrap());
    }
    assert_eq!(
        statuses
            .iter()
            .filter(|s| **s == StatusCode::CREATED)
            .count(),
        1,
        "{statuses:?}"
    );
    assert_eq!(
        statuses
            .iter()
            .filter(|s| **s == StatusCode::CONFLICT)
            .count(),
        7,
        "{statuses:?}"
    );
    let (_, list) = app.get(&format!("/api/v1/processes/{pid}/points")).await;
    assert_eq!(list["total"], 1);
}

#[actix_web::test]
async fn contacts_are_checked_by_kind() {
    let app = TestApp::spawn().await;
    let (_, pid) = setup(&app).await;
    let (s, body) = app
        .post(
            &format!("/api/v1/processes/{pid}/points"),
            json!({"channel": "email", "name": "Почта", "contacts": [
                {"kind": "email", "value": "mchs@e-dag.ru"},
                {"kind": "email", "value": "mchs at e-dag.ru"},
                {"kind": "phone", "value": "+1 202 555 0100"},
                {"kind": "url", "value": "https://sed.e- dag.ru/"},
                {"kind": "address", "value": "  "}
            ]}),
        )
        .await;
    assert_problem(
        s,
        &body,
        422,
        "validation_failed",
        Some("contacts[1].value"),
    );
    let fields: Vec<(&str, &str)> = body["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| (e["field"].as_str().unwrap(), e["code"].as_str().unwrap()))
        .collect();
    assert_eq!(
        fields,
        vec![
            ("contacts[1].value", "invalid_email"),
            ("contacts[2].value", "invalid_phone"),
            ("contacts[3].value", "invalid_url"),
            ("contacts[4].value", "blank")
        ]
    );

    let (s, body) = app
        .post(
            &format!("/api/v1/processes/{pid}/points"),
            json!({"channel": "fax", "name": "Факс", "needs": ["information", "teleport"]}),
        )
        .await;
    assert_problem(s, &body, 422, "unknown_reference", Some("channel"));
    assert_problem(s, &body, 422, "unknown_reference", Some("needs[1]"));
    let (s, body) = app
        .post(
            &format!("/api/v1/processes/{pid}/points"),
            json!({"channel": "email", "name": "x", "contacts": [{"kind": "fax", "value": "1"}]}),
        )
        .await;
    assert_problem(s, &body, 422, "validation_failed", Some("contacts[0].kind"));
    let (s, body) = app
        .post(
            &format!("/api/v1/processes/{}/points", uuid::Uuid::new_v4()),
            phone_point("+78722516122"),
        )
        .await;
    assert_problem(s, &body, 404, "not_found", None);
}

#[actix_web::test]
async fn touchpoint_lists_filter_by_every_facet() {
    let app = TestApp::spawn().await;
    let (aid, pid) = setup(&app).await;
    app.point(&pid, phone_point("+78722516122")).await;
    app.point(&pid, json!({"channel": "website", "name": "Официальный сайт Министерства", "contacts": [{"kind": "url", "value": "www.mchsrd.ru"}], "needs": ["information", "submission"], "features": "Взаимодействие в цифровой точке"})).await;
    app.point(&pid, json!({"channel": "post", "name": "Почта России", "contacts": [{"kind": "address", "value": "367015 РД, г. Махачкала, ул. Ярагского, д.124\"а\""}], "needs": ["consultation"], "features": "Цифровая точка"})).await;
    let other = app.agency("Агентство информации и печати РД").await;
    let op = app
        .process(other["id"].as_str().unwrap(), "Прием обращений")
        .await;
    app.point(op["id"].as_str().unwrap(), phone_point("+78722510051"))
        .await;

    async fn total(app: &TestApp, q: &str) -> i64 {
        let (s, b) = app.get(&format!("/api/v1/points{q}")).await;
        assert_eq!(s, StatusCode::OK, "{b}");
        b["total"].as_i64().unwrap()
    }
    assert_eq!(total(&app, "").await, 4);
    assert_eq!(total(&app, &format!("?agency_id={aid}")).await, 3);
    assert_eq!(total(&app, &format!("?process_id={pid}")).await, 3);
    assert_eq!(total(&app, "?channel=phone").await, 2);
    assert_eq!(
        total(&app, "?mode=offline").await,
        1,
        "only Почта России is offline by default"
    );
    assert_eq!(total(&app, "?stated_mode=digital").await, 2);
    // Почта России marked digital and the phones marked offline contradict the default rule
    assert_eq!(total(&app, "?mode_conflict=true").await, 3);
    assert_eq!(total(&app, "?mode_conflict=false").await, 1);
    assert_eq!(total(&app, "?need=information").await, 1);
    assert_eq!(total(&app, "?client_type=internal").await, 0);
    assert_eq!(total(&app, "?client_type=external").await, 4);
    assert_eq!(total(&app, "?q=mchsrd").await, 1, "search reaches contacts");
    assert_eq!(
        total(
            &app,
            "?q=%D0%AF%D1%80%D0%B0%D0%B3%D1%81%D0%BA%D0%BE%D0%B3%D0%BE"
        )
        .await,
        1
    ); // «Ярагского»
    assert_eq!(total(&app, "?unit=agency").await, 4);
    let (_, page) = app
        .get(&format!("/api/v1/processes/{pid}/points?limit=2&offset=2"))
        .await;
    assert_eq!(page["total"], 3);
    assert_eq!(page["items"].as_array().unwrap().len(), 1);
    assert_eq!(
        page["items"][0]["name"], "Почта России",
        "register order by default"
    );
    let (_, by_name) = app
        .get(&format!("/api/v1/processes/{pid}/points?sort=name"))
        .await;
    assert_eq!(by_name["items"][0]["name"], "Официальный сайт Министерства");
    let (s, body) = app.get("/api/v1/points?mode=hybrid").await;
    assert_problem(s, &body, 400, "invalid_parameter", None);
}
