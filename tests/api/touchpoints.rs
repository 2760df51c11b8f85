use reqwest::StatusCode;
use serde_json::{json, Value};
use touchpoints::domain::Mode;
use touchpoints::error::{ErrorCode, Problem};
use touchpoints::processes::model::Process;
use touchpoints::touchpoints::model::Touchpoint;

use crate::client::{Org, Page, PointSpec, ProblemExt, ProcessSpec};
use crate::helpers::{assert_problem, TestApp};

const APPEALS: &str = "Прием и рассмотрение обращений и запросов, поступающих в Министерство";

/// The ministry and its appeals process, filed by the admin.
async fn setup(app: &TestApp) -> (Org<'_>, Process) {
    let org = app.org("МЧС Республики Дагестан").build().await;
    let p = org
        .admin()
        .create_process(org.id(), ProcessSpec::function(APPEALS))
        .await
        .unwrap();
    (org, p)
}

fn phone(number: &str) -> PointSpec {
    PointSpec::new("phone", "Телефон")
        .phone(number)
        .needs(&["consultation", "submission", "progress"])
        .interaction("Получение консультации клиентом, подача устного обращения клиентом")
        .features("Взаимодействие в офлайн-точке")
}

fn phone_point(number: &str) -> Value {
    phone(number).into()
}

#[actix_web::test]
async fn touchpoint_crud_normalises_contacts_and_keeps_column_6_as_written() -> Result<(), Problem>
{
    let app = TestApp::spawn().await;
    let (org, p) = setup(&app).await;
    let admin = org.admin();
    let t = admin.add_point(p.id, phone("+7(8722) 51-61-22")).await?;
    assert_eq!(
        json!(t.contacts),
        json!([{"kind": "phone", "value": "+78722516122", "as_written": "+7(8722) 51-61-22"}])
    );
    assert_eq!(t.as_written, None, "composed by the exports when not given");
    assert_eq!(t.needs, ["consultation", "submission", "progress"]);
    assert_eq!(t.agency_id, org.id());
    // column 6 says offline; the default rule classifies telephone as digital: kept, flagged
    assert_eq!(t.stated_mode, Some(Mode::Offline));
    assert_eq!(t.implied_mode, Mode::Digital);
    assert!(t.mode_conflict);
    let point = format!("/api/v1/points/{}", t.id);

    // with the agency's own rule (phone = offline) the same row no longer conflicts
    let rule = format!("/api/v1/agencies/{}/channel-rules/phone", org.id());
    admin
        .put::<Value>(&rule, json!({"mode": "offline"}))
        .await?;
    let t2: Touchpoint = admin.get(&point).await?;
    assert_eq!(t2.implied_mode, Mode::Offline);
    assert!(!t2.mode_conflict);
    assert_eq!(t2.stated_mode, Some(Mode::Offline));

    let changes = json!({"needs": ["result"], "features": null, "contacts": [
        {"kind": "phone", "value": "88722516122"},
        {"kind": "phone", "value": "+7 (8722) 51-61-23", "label": "приёмная"}
    ]});
    let patched = admin.patch_point(t.id, changes).await?;
    assert_eq!(patched.needs, ["result"]);
    assert_eq!(
        json!(patched.contacts[1]),
        json!({"kind": "phone", "value": "+78722516123", "label": "приёмная", "as_written": "+7 (8722) 51-61-23"})
    );
    assert_eq!(patched.features, None);
    assert_eq!(
        patched.stated_mode,
        Some(Mode::Offline),
        "the stated mark is changed only explicitly"
    );
    assert_eq!(patched.name, "Телефон");

    let list: Page<Value> = admin
        .get(&format!("/api/v1/processes/{}/points", p.id))
        .await?;
    assert_eq!(list.total, 1);
    assert_eq!(list.items[0], json!(patched));

    admin.delete_point(t.id).await?;
    let gone = admin.get::<Touchpoint>(&point).await.unwrap_err();
    assert_eq!(gone.code, ErrorCode::NotFound);
    Ok(())
}

#[actix_web::test]
async fn r7_refuses_a_second_touchpoint_with_the_same_channel_and_contact() -> Result<(), Problem> {
    let app = TestApp::spawn().await;
    let (org, p) = setup(&app).await;
    let admin = org.admin();
    let first = admin.add_point(p.id, phone("+7(8722) 51-61-22")).await?;

    // the same number written differently
    let dup = admin
        .add_point(p.id, phone("8 8722 516122"))
        .await
        .unwrap_err();
    assert_eq!(dup.code, ErrorCode::DuplicateTouchpoint);
    assert!(dup.fields().contains(&"contacts[0]"), "{dup:?}");
    assert_eq!(dup.existing_id, Some(first.id));
    assert!(dup.detail.contains("Телефон"), "{dup:?}");

    // the same number on another channel of the process is another touchpoint
    // (000: «Проведение рабочих встреч. Тел.»)
    let mut meeting = phone_point("+7(8722) 51-61-22");
    meeting["channel"] = json!("meeting");
    meeting["name"] = json!("Проведение рабочих встреч");
    let _: Touchpoint = admin
        .post(&format!("/api/v1/processes/{}/points", p.id), meeting)
        .await?;

    // the same number in another process is fine
    let informing = "Информирование о деятельности Министерства по запросам внешних клиентов";
    let other = admin
        .create_process(org.id(), ProcessSpec::function(informing))
        .await?;
    admin
        .add_point(other.id, phone("+7(8722) 51-61-22"))
        .await?;

    // a contactless touchpoint duplicates by channel and name
    let desk = |name: &str| PointSpec::new("reception", name).needs(&["consultation"]);
    admin
        .add_point(
            p.id,
            desk("Место проведения личного приема в здании Министерства"),
        )
        .await?;
    let again = desk("место проведения личного приёма в здании министерства");
    let dup = admin.add_point(p.id, again).await.unwrap_err();
    assert_eq!(dup.code, ErrorCode::DuplicateTouchpoint);
    assert!(dup.fields().contains(&"name"), "{dup:?}");

    // a PATCH that would create a duplicate is refused too, and changes nothing
    let second = admin.add_point(p.id, phone("+7(8722) 55-16-32")).await?;
    let same = json!({"contacts": [{"kind": "phone", "value": "+78722516122"}]});
    let dup = admin.patch_point(second.id, same).await.unwrap_err();
    assert_eq!(dup.code, ErrorCode::DuplicateTouchpoint);
    assert!(dup.fields().contains(&"contacts[0]"), "{dup:?}");
    let unchanged: Touchpoint = admin.get(&format!("/api/v1/points/{}", second.id)).await?;
    assert_eq!(unchanged.contacts[0].value, "+78722551632");

    // the same contact twice in one request is one contact; the first caption given stays
    let mail = PointSpec::new("email", "Почта")
        .email("a@e-dag.ru")
        .contact_labelled("email", "A@E-DAG.RU", Some("приёмная"))
        .contact_labelled("email", "a@e-dag.ru", Some("канцелярия"));
    let t = admin.add_point(p.id, mail).await?;
    assert_eq!(
        json!(t.contacts),
        json!([{"kind": "email", "value": "a@e-dag.ru", "label": "приёмная"}])
    );
    Ok(())
}

#[actix_web::test]
async fn r7_holds_under_concurrent_creates() {
    let app = TestApp::spawn().await;
    let (_, p) = setup(&app).await;
    let pid = p.id;
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
    let (_, p) = setup(&app).await;
    let pid = p.id;
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
    let (org, p) = setup(&app).await;
    let (aid, pid) = (org.id(), p.id);
    let admin = org.admin();
    admin.add_point(pid, phone("+78722516122")).await.unwrap();
    let site = PointSpec::new("website", "Официальный сайт Министерства")
        .url("www.mchsrd.ru")
        .needs(&["information", "submission"])
        .features("Взаимодействие в цифровой точке");
    admin.add_point(pid, site).await.unwrap();
    let post = PointSpec::new("post", "Почта России")
        .contact_labelled(
            "address",
            "367015 РД, г. Махачкала, ул. Ярагского, д.124\"а\"",
            None,
        )
        .needs(&["consultation"])
        .features("Цифровая точка");
    admin.add_point(pid, post).await.unwrap();
    let other = app.org("Агентство информации и печати РД").build().await;
    let op = admin
        .create_process(other.id(), ProcessSpec::function("Прием обращений"))
        .await
        .unwrap();
    admin.add_point(op.id, phone("+78722510051")).await.unwrap();

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

/// Column 4 as the agency wrote it is kept beside the structured contacts and printed by the
/// exports; the JSON contacts, search and R7 keep to the normalised values.
#[actix_web::test]
async fn touchpoints_keep_column_4_as_written_while_r7_compares_normalised_contacts() {
    let app = TestApp::spawn().await;
    let a = app.agency("МЧС Республики Дагестан").await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let p = app.process(&a, APPEALS).await;
    let pid = p["id"].as_str().unwrap();
    let t = app
        .point(
            pid,
            json!({"channel": "phone", "name": "Телефон", "as_written": "Телефон:  8 (8722) 51-61-22",
                   "contacts": [{"kind": "phone", "value": "8 (8722) 51-61-22"}],
                   "needs": ["consultation"], "features": "Взаимодействие в офлайн-точке"}),
        )
        .await;
    assert_eq!(t["as_written"], "Телефон: 8 (8722) 51-61-22");
    assert_eq!(
        t["contacts"],
        json!([{"kind": "phone", "value": "+78722516122", "as_written": "8 (8722) 51-61-22"}])
    );
    // R7: the same number written differently is the same touchpoint
    let (s, dup) = app
        .post(
            &format!("/api/v1/processes/{pid}/points"),
            json!({"channel": "phone", "name": "Приёмная", "as_written": "Приёмная: +7 872 251-61-22",
                   "contacts": [{"kind": "phone", "value": "+7 872 251-61-22"}], "needs": ["result"]}),
        )
        .await;
    assert_problem(s, &dup, 409, "duplicate_touchpoint", Some("contacts[0]"));
    // search finds the normalised number
    let (_, found) = app
        .get(&format!("/api/v1/points?agency_id={a}&q=78722516122"))
        .await;
    assert_eq!(found["total"], 1);

    let export = |app: &TestApp| {
        let url = app.url(&format!("/api/v1/agencies/{a}/register?format=csv"));
        let req = app.client.get(url).bearer_auth(&app.admin);
        async move { req.send().await.unwrap().text().await.unwrap() }
    };
    let csv = export(&app).await;
    assert!(csv.contains(";Телефон: 8 (8722) 51-61-22;"), "{csv}");
    // an API touchpoint without it: composed from the name and contacts, as before
    let id = t["id"].as_str().unwrap();
    let (s, patched) = app
        .patch(&format!("/api/v1/points/{id}"), json!({"as_written": null}))
        .await;
    assert_eq!(s, StatusCode::OK, "{patched}");
    assert!(patched.get("as_written").is_none(), "{patched}");
    let csv = export(&app).await;
    assert!(csv.contains(";Телефон: +78722516122;"), "{csv}");
    // new contacts without new wording: the old wording is dropped, not printed stale
    let (_, rewritten) = app
        .patch(
            &format!("/api/v1/points/{id}"),
            json!({"as_written": "Телефон: 51-61-22"}),
        )
        .await;
    assert_eq!(rewritten["as_written"], "Телефон: 51-61-22");
    let (_, renumbered) = app
        .patch(
            &format!("/api/v1/points/{id}"),
            json!({"contacts": [{"kind": "phone", "value": "+7 (8722) 51-61-23"}]}),
        )
        .await;
    assert!(renumbered.get("as_written").is_none(), "{renumbered}");
    let (s, blank) = app
        .patch(&format!("/api/v1/points/{id}"), json!({"as_written": "  "}))
        .await;
    assert_problem(s, &blank, 422, "validation_failed", Some("as_written"));
}
