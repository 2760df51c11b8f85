//! Everything a published register prints changes only through the workflow: a direction's
//! name, a unit's name, the agency's heading and its channel rule are edits of the working copy
//! of the parts they touch (issue «Hostile input and hostile neighbours», point 4).

use reqwest::{Method, StatusCode};
use serde_json::{json, Value};
use touchpoints::auth::Role;

use crate::helpers::{assert_problem, token, TestApp};

async fn ok(app: &TestApp, tok: &str, method: Method, path: &str, body: Option<Value>) -> Value {
    let (s, v) = app
        .request_as(Some(tok), method.clone(), path, body.as_ref())
        .await;
    assert!(s.is_success(), "{method} {path}: {s} {v}");
    v
}

fn id(v: &Value) -> String {
    v["id"].as_str().unwrap().to_owned()
}

#[actix_web::test]
async fn renames_and_rules_that_change_the_register_go_through_the_workflow() {
    let app = TestApp::spawn().await;
    let admin = app.admin.clone();
    let a = id(&app.agency("МЧС Республики Дагестан").await);
    let u1 = id(&app
        .post(
            &format!("/api/v1/agencies/{a}/units"),
            json!({"name": "Отдел надзорной деятельности"}),
        )
        .await
        .1);
    let u2 = id(&app
        .post(
            &format!("/api/v1/agencies/{a}/units"),
            json!({"name": "Отдел информирования"}),
        )
        .await
        .1);
    let direction = id(&app
        .post(
            &format!("/api/v1/agencies/{a}/directions"),
            json!({"name": "Региональный надзор в области защиты от ЧС"}),
        )
        .await
        .1);
    let s1 = token("s1", &[Role::Submitter], Some(&a), Some(&u1));
    let s_all = token("s0", &[Role::Submitter], Some(&a), None);
    let approver = token("ap", &[Role::Approver], Some(&a), None);
    let publisher = token("pb", &[Role::Publisher], Some(&a), None);

    // two units file a process under the agency's own direction; unit 1's phone leaves column 6
    // empty, so it prints the agency's rule for phones
    let mut processes = Vec::new();
    for (unit, name) in [
        (&u1, "Плановая выездная проверка"),
        (&u2, "Информирование населения"),
    ] {
        let p = ok(&app, &s_all, Method::POST, &format!("/api/v1/agencies/{a}/processes"), Some(json!({"direction_id": direction, "unit_id": unit, "name": name, "kind": "function", "client_type": "external"}))).await;
        ok(&app, &s_all, Method::POST, &format!("/api/v1/processes/{}/points", id(&p)), Some(json!({"channel": "phone", "name": "Телефон", "contacts": [{"kind": "phone", "value": "+7 (8722) 55-05-28"}], "needs": ["consultation"]}))).await;
        processes.push(p);
    }
    let revisions = ok(
        &app,
        &approver,
        Method::GET,
        &format!("/api/v1/agencies/{a}/revisions"),
        None,
    )
    .await;
    let r1 = revisions["items"][0]["id"].as_str().unwrap().to_owned();
    for unit in [&u1, &u2] {
        ok(
            &app,
            &s_all,
            Method::POST,
            &format!("/api/v1/revisions/{r1}/parts/{unit}/submit"),
            None,
        )
        .await;
        ok(
            &app,
            &approver,
            Method::POST,
            &format!("/api/v1/revisions/{r1}/parts/{unit}/accept"),
            None,
        )
        .await;
    }
    let r = ok(
        &app,
        &approver,
        Method::POST,
        &format!("/api/v1/revisions/{r1}/approve"),
        None,
    )
    .await;
    assert_eq!(r["status"], "approved");

    // the approved register cannot be changed behind the workflow's back
    let (s, body) = app
        .request_as(
            Some(&s1),
            Method::PATCH,
            &format!("/api/v1/directions/{direction}"),
            Some(&json!({"name": "Надзор (переименован)"})),
        )
        .await;
    assert_problem(s, &body, 403, "forbidden", None); // unit 1's submitter may not rewrite unit 2's rows
    let (s, body) = app
        .request_as(
            Some(&s_all),
            Method::PATCH,
            &format!("/api/v1/directions/{direction}"),
            Some(&json!({"name": "Надзор (переименован)"})),
        )
        .await;
    assert_problem(s, &body, 409, "locked", None);
    let (s, body) = app
        .request_as(
            Some(&admin),
            Method::PATCH,
            &format!("/api/v1/units/{u1}"),
            Some(&json!({"name": "Отдел (переименован)"})),
        )
        .await;
    assert_problem(s, &body, 409, "locked", None);
    let (s, body) = app
        .request_as(
            Some(&admin),
            Method::PATCH,
            &format!("/api/v1/agencies/{a}"),
            Some(&json!({"name": "МЧС (переименовано)"})),
        )
        .await;
    assert_problem(s, &body, 409, "locked", None);
    let (s, body) = app
        .request_as(
            Some(&admin),
            Method::PUT,
            &format!("/api/v1/agencies/{a}/channel-rules/phone"),
            Some(&json!({"mode": "offline"})),
        )
        .await;
    assert_problem(s, &body, 409, "locked", None);
    // what the register does not print stays free: a unit's responsible persons, the agency's kind
    ok(
        &app,
        &admin,
        Method::PATCH,
        &format!("/api/v1/units/{u1}"),
        Some(json!({"responsible_persons": []})),
    )
    .await;
    ok(
        &app,
        &admin,
        Method::PATCH,
        &format!("/api/v1/agencies/{a}"),
        Some(json!({"kind": "agency"})),
    )
    .await;

    // the publication carries exactly what was approved
    ok(
        &app,
        &publisher,
        Method::POST,
        &format!("/api/v1/revisions/{r1}/publish"),
        None,
    )
    .await;
    let (_, register) = app
        .get(&format!("/api/v1/public/agencies/{a}/register"))
        .await;
    let rows = register["rows"].as_array().unwrap();
    assert!(
        rows.iter()
            .all(|r| r["direction"] == "Региональный надзор в области защиты от ЧС"),
        "{register}"
    );
    assert_eq!(register["agency"]["name"], "МЧС Республики Дагестан");
    assert_eq!(rows[0]["unit"], "Отдел надзорной деятельности");
    assert!(
        rows.iter()
            .all(|r| r["touchpoint"]["implied_mode"] == "digital"),
        "{register}"
    );

    // once published, the same changes open a revision and are recorded with before and after
    let renamed = ok(
        &app,
        &s_all,
        Method::PATCH,
        &format!("/api/v1/directions/{direction}"),
        Some(json!({"name": "Надзор в области защиты от ЧС"})),
    )
    .await;
    assert_eq!(renamed["name"], "Надзор в области защиты от ЧС");
    ok(
        &app,
        &admin,
        Method::PATCH,
        &format!("/api/v1/units/{u1}"),
        Some(json!({"name": "Отдел надзора"})),
    )
    .await;
    ok(
        &app,
        &admin,
        Method::PATCH,
        &format!("/api/v1/agencies/{a}"),
        Some(json!({"name": "ГУ МЧС Республики Дагестан"})),
    )
    .await;
    ok(
        &app,
        &admin,
        Method::PUT,
        &format!("/api/v1/agencies/{a}/channel-rules/phone"),
        Some(json!({"mode": "offline"})),
    )
    .await;
    // setting the rule in force again changes nothing and records nothing
    ok(
        &app,
        &admin,
        Method::PUT,
        &format!("/api/v1/agencies/{a}/channel-rules/phone"),
        Some(json!({"mode": "offline"})),
    )
    .await;

    let revisions = ok(
        &app,
        &approver,
        Method::GET,
        &format!("/api/v1/agencies/{a}/revisions"),
        None,
    )
    .await;
    assert_eq!(revisions["total"], 2);
    let r2 = revisions["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["number"] == 2)
        .unwrap();
    let r2_id = r2["id"].as_str().unwrap();
    let history = ok(
        &app,
        &approver,
        Method::GET,
        &format!("/api/v1/revisions/{r2_id}/history"),
        None,
    )
    .await;
    let items = history["items"].as_array().unwrap();
    let entries: Vec<String> = items
        .iter()
        .filter(|h| h["action"] == "update")
        .map(|h| {
            format!(
                "{}:{}",
                h["actor"].as_str().unwrap(),
                h["entity"].as_str().unwrap()
            )
        })
        .collect();
    assert_eq!(
        entries,
        vec![
            "s0:direction",
            "admin:unit",
            "admin:agency",
            "admin:channel_rule"
        ],
        "{history}"
    );
    let direction_entry = items.iter().find(|h| h["entity"] == "direction").unwrap();
    assert_eq!(
        direction_entry["before"]["name"],
        "Региональный надзор в области защиты от ЧС"
    );
    assert_eq!(
        direction_entry["after"]["name"],
        "Надзор в области защиты от ЧС"
    );
    let rule_entry = items
        .iter()
        .find(|h| h["entity"] == "channel_rule")
        .unwrap();
    assert_eq!(
        (
            rule_entry["before"]["mode"].as_str(),
            rule_entry["after"]["mode"].as_str()
        ),
        (Some("digital"), Some("offline"))
    );
    // the rename touched both units' parts and the heading the agency's own part
    let mut parts: Vec<&str> = r2["parts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["unit_id"].as_str().unwrap())
        .collect();
    parts.sort();
    let mut want = vec![u1.as_str(), u2.as_str(), "agency"];
    want.sort();
    assert_eq!(parts, want, "{r2}");
    // the published version is untouched until the new revision is published
    let (_, register) = app
        .get(&format!("/api/v1/public/agencies/{a}/register"))
        .await;
    assert_eq!(register["agency"]["name"], "МЧС Республики Дагестан");
}

#[actix_web::test]
async fn a_stale_if_match_on_another_agencys_row_is_forbidden_not_a_precondition() {
    let app = TestApp::spawn().await;
    let a = id(&app.agency("Минстрой Дагестана").await);
    let b = id(&app.agency("Минтранс Дагестана").await);
    let p = app.process(&a, "Выдача разрешений").await;
    let t = app.point(&id(&p), json!({"channel": "phone", "name": "Телефон", "contacts": [{"kind": "phone", "value": "+7 (8722) 51-61-22"}], "needs": ["consultation"]})).await;
    let stranger = token("x", &[Role::Submitter], Some(&b), None);
    for (method, path) in [
        (Method::PATCH, format!("/api/v1/points/{}", id(&t))),
        (Method::DELETE, format!("/api/v1/points/{}", id(&t))),
        (Method::PATCH, format!("/api/v1/processes/{}", id(&p))),
        (Method::DELETE, format!("/api/v1/processes/{}", id(&p))),
    ] {
        let body = (method == Method::PATCH).then(|| json!({"name": "Чужое"}));
        let (s, headers, body) = app
            .send(
                Some(&stranger),
                method.clone(),
                &path,
                body.as_ref(),
                Some("\"stale\""),
            )
            .await;
        assert_problem(s, &body, 403, "forbidden", None);
        assert!(
            headers.get("etag").is_none(),
            "{method} {path} leaks the row's ETag"
        );
    }
    assert_eq!(
        app.get(&format!("/api/v1/points/{}", id(&t))).await.0,
        StatusCode::OK
    );
}
