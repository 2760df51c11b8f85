//! Notices: webhooks get the event types they subscribed to; the people concerned get e-mails
//! in Russian, over real SMTP to a listener the test starts.

use std::net::TcpListener;
use std::time::{Duration, Instant};

use actix_web::{web, App, HttpResponse, HttpServer};
use reqwest::StatusCode;
use serde_json::{json, Value};

use touchpoints::config::{DatabaseUrl, Settings};

use crate::helpers::TestApp;
use crate::smtp::SmtpServer;

const REMARK: &str = "Укажите часы приёма граждан по телефону";

/// A receiver that answers 200 to every POST on /hook.
fn receiver() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let server = HttpServer::new(|| App::new().route("/hook", web::post().to(HttpResponse::Ok)))
        .workers(1)
        .listen(listener)
        .unwrap()
        .run();
    actix_web::rt::spawn(server);
    port
}

/// An agency with a unit whose responsible person has an e-mail, and one process of the unit
/// with a touchpoint: returns (agency id, unit id, the open revision's id).
async fn agency_with_unit(app: &TestApp, email: &str) -> (String, String, String) {
    let a = app.agency("Министерство труда Республики Дагестан").await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let (u, rid) = unit_with_process(app, &a, email).await;
    (a, u, rid)
}

/// An official of the agency with an e-mail; returns their id.
async fn official(app: &TestApp, a: &str, sub: &str, name: &str, position: &str) -> String {
    let (s, o) = app
        .post(
            &format!("/api/v1/agencies/{a}/officials"),
            json!({"sub": sub, "name": name, "position": position,
                   "email": format!("{sub}@mintrud.example.ru")}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{o}");
    o["id"].as_str().unwrap().to_owned()
}

/// A call with the token of someone of the agency (an official is recognised by `sub`).
async fn as_person(
    app: &TestApp,
    a: &str,
    sub: &str,
    path: &str,
    body: Value,
) -> (StatusCode, Value) {
    let token = crate::helpers::token(sub, &[touchpoints::auth::Role::Approver], Some(a), None);
    app.request_as(Some(&token), reqwest::Method::POST, path, Some(&body))
        .await
}

/// The agency's mail log once every mail is sent.
async fn mail_log(app: &TestApp, a: &str) -> Vec<Value> {
    let started = Instant::now();
    loop {
        let (s, log) = app.get(&format!("/api/v1/agencies/{a}/mail")).await;
        assert_eq!(s, StatusCode::OK, "{log}");
        let items = log["items"].as_array().unwrap().clone();
        if items.iter().all(|m| m["status"] == "sent") {
            return items;
        }
        assert!(
            started.elapsed() < Duration::from_secs(15),
            "not sent: {log}"
        );
        actix_web::rt::time::sleep(Duration::from_millis(50)).await;
    }
}

/// A unit of the agency (its responsible person mailed at `email`) with one process and a
/// touchpoint: returns (unit id, the open revision's id).
async fn unit_with_process(app: &TestApp, a: &str, email: &str) -> (String, String) {
    let (s, unit) = app
        .post(
            &format!("/api/v1/agencies/{a}/units"),
            json!({"name": "Отдел по работе с обращениями",
            "responsible_persons": [
                {"name": "Иванов Иван Иванович", "position": "начальник отдела", "email": email},
                {"name": "Петров Пётр Петрович"}
            ]}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{unit}");
    let u = unit["id"].as_str().unwrap().to_owned();
    let direction = app.catalog_direction("appeals").await;
    let (s, p) = app
        .post(
            &format!("/api/v1/agencies/{a}/processes"),
            json!({"direction_id": direction, "name": "Приём обращений", "kind": "function",
                   "client_type": "external", "unit_id": u}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{p}");
    app.point(p["id"].as_str().unwrap(), json!({"channel": "phone", "name": "Телефон", "contacts": [{"kind": "phone", "value": "+78722516122"}], "needs": ["consultation"]})).await;
    let (_, revs) = app.get(&format!("/api/v1/agencies/{a}/revisions")).await;
    let rid = revs["items"][0]["id"].as_str().unwrap().to_owned();
    (u, rid)
}

async fn ok(app: &TestApp, path: &str, body: Value) -> Value {
    let (s, v) = app.post(path, body).await;
    assert_eq!(s, StatusCode::OK, "{path}: {v}");
    v
}

/// Submits the unit's part, returns it with a remark, submits again, accepts every part,
/// approves and publishes.
async fn walk(app: &TestApp, rid: &str, unit: &str) {
    ok(
        app,
        &format!("/api/v1/revisions/{rid}/parts/{unit}/submit"),
        Value::Null,
    )
    .await;
    ok(
        app,
        &format!("/api/v1/revisions/{rid}/parts/{unit}/return"),
        json!({"remarks": [{"text": REMARK}]}),
    )
    .await;
    ok(
        app,
        &format!("/api/v1/revisions/{rid}/parts/{unit}/submit"),
        Value::Null,
    )
    .await;
    let (_, rev) = app.get(&format!("/api/v1/revisions/{rid}")).await;
    for part in rev["parts"].as_array().unwrap() {
        let key = part["unit_id"].as_str().unwrap_or("agency").to_owned();
        if part["status"] == "draft" {
            ok(
                app,
                &format!("/api/v1/revisions/{rid}/parts/{key}/submit"),
                Value::Null,
            )
            .await;
        }
        ok(
            app,
            &format!("/api/v1/revisions/{rid}/parts/{key}/accept"),
            Value::Null,
        )
        .await;
    }
    ok(
        app,
        &format!("/api/v1/revisions/{rid}/approve"),
        Value::Null,
    )
    .await;
    ok(
        app,
        &format!("/api/v1/revisions/{rid}/publish"),
        Value::Null,
    )
    .await;
}

/// The delivery log of a webhook once every delivery is delivered.
async fn delivered(app: &TestApp, hook: &str) -> Vec<Value> {
    let started = Instant::now();
    loop {
        let (_, log) = app
            .get(&format!("/api/v1/webhooks/{hook}/deliveries"))
            .await;
        let items = log["items"].as_array().unwrap().clone();
        if items.iter().all(|d| d["status"] == "delivered") {
            return items;
        }
        assert!(
            started.elapsed() < Duration::from_secs(15),
            "not delivered: {log}"
        );
        actix_web::rt::time::sleep(Duration::from_millis(50)).await;
    }
}

#[actix_web::test]
async fn webhooks_get_only_the_events_they_subscribed_to() {
    let port = receiver();
    let app = TestApp::spawn_with(|s| s.webhook_allow_hosts = vec!["127.0.0.1".into()]).await;
    let (a, unit, rid) = agency_with_unit(&app, "ivanov@mintrud.example.ru").await;
    let url = format!("http://127.0.0.1:{port}/hook");
    let hooks = format!("/api/v1/agencies/{a}/webhooks");

    let (s, returns) = app
        .post(&hooks, json!({"url": url, "events": ["part.returned"]}))
        .await;
    assert_eq!(s, StatusCode::CREATED, "{returns}");
    assert_eq!(returns["events"], json!(["part.returned"]));
    let (s, default) = app.post(&hooks, json!({"url": url})).await;
    assert_eq!(s, StatusCode::CREATED, "{default}");
    assert_eq!(default["events"], json!(["register.published"]));
    let (s, bad) = app
        .post(&hooks, json!({"url": url, "events": ["part.eaten"]}))
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{bad}");
    let (_, listed) = app.get(&hooks).await;
    assert_eq!(listed["items"][0]["events"], json!(["part.returned"]));
    assert_eq!(listed["items"][1]["events"], json!(["register.published"]));

    walk(&app, &rid, &unit).await;

    let got = delivered(&app, returns["id"].as_str().unwrap()).await;
    assert_eq!(got.len(), 1, "only the return: {got:#?}");
    let event = &got[0]["payload"];
    assert_eq!(got[0]["event_type"], "part.returned");
    assert_eq!(event["type"], "part.returned");
    assert_eq!(event["agency"]["id"], a.as_str());
    assert_eq!(event["revision"]["id"], rid.as_str());
    assert_eq!(event["revision"]["number"], 1);
    assert_eq!(event["part"]["unit_id"], unit.as_str());
    assert_eq!(event["remarks"], json!([{"text": REMARK}]));
    assert!(
        event["event_id"].is_string() && event["occurred_at"].is_string(),
        "{event}"
    );

    let got = delivered(&app, default["id"].as_str().unwrap()).await;
    assert_eq!(got.len(), 1, "only the publication: {got:#?}");
    assert_eq!(got[0]["payload"]["type"], "register.published");
    assert_eq!(got[0]["payload"]["version"], 1);
    assert!(got[0]["payload"]["links"]["current"].is_string());
}

#[actix_web::test]
async fn the_unit_s_responsible_person_is_mailed_the_remarks_in_russian() {
    let smtp = SmtpServer::start();
    let url = smtp.url();
    let app = TestApp::spawn_with(move |s: &mut Settings| {
        s.smtp_url = Some(DatabaseUrl(url));
        s.mail_from = Some("Перечни точек взаимодействия <noreply@touchpoints.test>".into());
    })
    .await;
    let to = "ivanov@mintrud.example.ru";
    let (a, unit, rid) = agency_with_unit(&app, to).await;
    walk(&app, &rid, &unit).await;

    let returned = smtp
        .wait_for(to, |m| m.subject.contains("возвращена на доработку"))
        .await;
    assert_eq!(
        returned.subject, "Часть перечня возвращена на доработку (пересмотр № 1)",
        "{}",
        returned.raw
    );
    assert_eq!(returned.to, vec![to.to_owned()]);
    assert_eq!(returned.from, "noreply@touchpoints.test");
    assert!(returned.body.contains(REMARK), "{}", returned.raw);
    assert!(returned.body.contains("Замечания:"), "{}", returned.body);
    assert!(returned
        .body
        .contains("Министерство труда Республики Дагестан"));

    let published = smtp
        .wait_for(to, |m| m.subject.contains("Опубликована версия 1"))
        .await;
    assert!(!published.body.contains(REMARK));

    // the log, for admins; everything sent, nothing to the person without an e-mail
    let started = Instant::now();
    let log = loop {
        let (s, log) = app.get(&format!("/api/v1/agencies/{a}/mail")).await;
        assert_eq!(s, StatusCode::OK, "{log}");
        let items = log["items"].as_array().unwrap().clone();
        if items.iter().all(|m| m["status"] == "sent") {
            break items;
        }
        assert!(
            started.elapsed() < Duration::from_secs(15),
            "not sent: {log}"
        );
        actix_web::rt::time::sleep(Duration::from_millis(50)).await;
    };
    let kinds: Vec<&str> = log
        .iter()
        .map(|m| m["event_type"].as_str().unwrap())
        .collect();
    for k in [
        "part.submitted",
        "part.returned",
        "part.accepted",
        "register.published",
    ] {
        assert!(kinds.contains(&k), "{k} not mailed: {kinds:?}");
    }
    assert!(log
        .iter()
        .all(|m| m["recipient"] == to && m["outcome"] == "sent"));
    let returned_row = log
        .iter()
        .find(|m| m["event_type"] == "part.returned")
        .unwrap();
    assert!(returned_row["body"].as_str().unwrap().contains(REMARK));

    // the log holds addresses: admins only
    let member = crate::helpers::token("p1", &[touchpoints::auth::Role::Publisher], Some(&a), None);
    let (s, _) = app
        .request_as(
            Some(&member),
            reqwest::Method::GET,
            &format!("/api/v1/agencies/{a}/mail"),
            None,
        )
        .await;
    assert_eq!(s, StatusCode::FORBIDDEN);
}

#[actix_web::test]
async fn the_next_official_is_mailed_when_it_is_their_turn_and_the_whole_chain_hears_of_a_refusal()
{
    let smtp = SmtpServer::start();
    let url = smtp.url();
    let app = TestApp::spawn_with(move |s: &mut Settings| {
        s.smtp_url = Some(DatabaseUrl(url));
        s.mail_from = Some("Перечни <noreply@touchpoints.test>".into());
    })
    .await;
    let a = app.agency("Министерство труда Республики Дагестан").await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let first = official(&app, &a, "deputy", "Гасанов Г.Г.", "Заместитель министра").await;
    let second = official(&app, &a, "minister", "Абдуллаев А.А.", "Министр").await;
    let (first_mail, second_mail) = ("deputy@mintrud.example.ru", "minister@mintrud.example.ru");
    let settings = format!("/api/v1/agencies/{a}/workflow-settings");
    let (_, mut current) = app.get(&settings).await;
    current["approval_chain"] = json!([
        {"kind": "official", "official_id": first},
        {"kind": "official", "official_id": second}
    ]);
    let (s, v) = app.put(&settings, current).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let person = "ivanov@mintrud.example.ru";
    let (unit, rid) = unit_with_process(&app, &a, person).await;

    ok(
        &app,
        &format!("/api/v1/revisions/{rid}/parts/{unit}/submit"),
        Value::Null,
    )
    .await;
    ok(
        &app,
        &format!("/api/v1/revisions/{rid}/parts/{unit}/accept"),
        Value::Null,
    )
    .await;
    // every part accepted: the first official of the chain is asked to agree, not the second
    let asked = smtp
        .wait_for(first_mail, |m| {
            m.subject.contains("ожидает вашего согласования")
        })
        .await;
    assert_eq!(
        asked.subject,
        "Перечень ожидает вашего согласования (пересмотр № 1)"
    );
    let log = mail_log(&app, &a).await;
    assert!(
        !log.iter().any(|m| m["recipient"] == second_mail),
        "not the second's turn yet: {log:#?}"
    );
    assert!(log
        .iter()
        .any(|m| m["recipient"] == first_mail && m["event_type"] == "part.accepted"));

    // the first agrees: now it is the second's turn
    let (s, v) = as_person(
        &app,
        &a,
        "deputy",
        &format!("/api/v1/revisions/{rid}/approve"),
        Value::Null,
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let turn = smtp
        .wait_for(second_mail, |m| {
            m.subject.contains("ожидает вашего согласования")
        })
        .await;
    assert!(
        turn.body.contains("Министерство труда Республики Дагестан"),
        "{}",
        turn.body
    );
    let log = mail_log(&app, &a).await;
    let agreed: Vec<&str> = log
        .iter()
        .filter(|m| m["event_type"] == "revision.agreed")
        .map(|m| m["recipient"].as_str().unwrap())
        .collect();
    assert_eq!(agreed, [second_mail], "{log:#?}");

    // the second refuses: everyone in the chain (and the unit's person) gets the remarks
    let remark = "Не указан режим работы телефонной линии";
    let (s, v) = as_person(
        &app,
        &a,
        "minister",
        &format!("/api/v1/revisions/{rid}/refuse"),
        json!({"remarks": remark}),
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    for to in [first_mail, second_mail, person] {
        let refused = smtp.wait_for(to, |m| m.subject.contains("отказано")).await;
        assert_eq!(
            refused.subject,
            "В утверждении перечня отказано (пересмотр № 1)"
        );
        assert!(refused.body.contains(remark), "{to}: {}", refused.body);
        assert!(refused.body.contains("Замечания:"), "{}", refused.body);
    }
    let log = mail_log(&app, &a).await;
    let mut refused: Vec<&str> = log
        .iter()
        .filter(|m| m["event_type"] == "revision.refused")
        .map(|m| m["recipient"].as_str().unwrap())
        .collect();
    refused.sort();
    assert_eq!(refused, [first_mail, person, second_mail], "once each");
}

#[actix_web::test]
async fn part_agreed_reaches_the_webhooks_subscribed_to_it_only() {
    let port = receiver();
    let app = TestApp::spawn_with(|s| s.webhook_allow_hosts = vec!["127.0.0.1".into()]).await;
    let a = app.agency("Министерство труда Республики Дагестан").await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let curator = official(&app, &a, "deputy", "Гасанов Г.Г.", "Заместитель министра").await;
    let url = format!("http://127.0.0.1:{port}/hook");
    let hooks = format!("/api/v1/agencies/{a}/webhooks");
    let (s, agreed) = app
        .post(&hooks, json!({"url": url, "events": ["part.agreed"]}))
        .await;
    assert_eq!(s, StatusCode::CREATED, "{agreed}");
    let (s, submitted) = app
        .post(&hooks, json!({"url": url, "events": ["part.submitted"]}))
        .await;
    assert_eq!(s, StatusCode::CREATED, "{submitted}");
    let (unit, rid) = unit_with_process(&app, &a, "ivanov@mintrud.example.ru").await;
    let (s, v) = app
        .patch(
            &format!("/api/v1/units/{unit}"),
            json!({"curator_official_id": curator}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let agree = format!("/api/v1/revisions/{rid}/parts/{unit}/agree");
    let (s, v) = as_person(&app, &a, "deputy", &agree, Value::Null).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let part = v["parts"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["unit_id"] == unit.as_str())
        .unwrap();
    assert_eq!(part["agreed_by"], "deputy");
    assert_eq!(
        part["agreed_by_name"].as_str().map(|n| !n.is_empty()),
        Some(true)
    );
    assert!(part["agreed_at"].is_string(), "{part}");
    ok(
        &app,
        &format!("/api/v1/revisions/{rid}/parts/{unit}/submit"),
        Value::Null,
    )
    .await;

    let got = delivered(&app, agreed["id"].as_str().unwrap()).await;
    assert_eq!(got.len(), 1, "only the agreement: {got:#?}");
    assert_eq!(got[0]["event_type"], "part.agreed");
    let event = &got[0]["payload"];
    assert_eq!(event["type"], "part.agreed");
    assert_eq!(event["part"]["unit_id"], unit.as_str());
    assert_eq!(event["revision"]["id"], rid.as_str());
    let got = delivered(&app, submitted["id"].as_str().unwrap()).await;
    assert_eq!(got.len(), 1, "only the submission: {got:#?}");
    assert_eq!(got[0]["event_type"], "part.submitted");
}

#[actix_web::test]
async fn an_overdue_part_is_announced_once_however_often_the_sweep_runs() {
    let port = receiver();
    let app = TestApp::spawn_with(|s| s.webhook_allow_hosts = vec!["127.0.0.1".into()]).await;
    let a = app.agency("Министерство труда Республики Дагестан").await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    // 004 §13: a part is handed in within 1 working day of the revision's opening
    let settings = format!("/api/v1/agencies/{a}/workflow-settings");
    let (_, mut current) = app.get(&settings).await;
    current["submit_days"] = json!(1);
    let (s, v) = app.put(&settings, current).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let url = format!("http://127.0.0.1:{port}/hook");
    let hooks = format!("/api/v1/agencies/{a}/webhooks");
    let (s, hook) = app
        .post(&hooks, json!({"url": url, "events": ["deadline.overdue"]}))
        .await;
    assert_eq!(s, StatusCode::CREATED, "{hook}");
    let (unit, rid) = unit_with_process(&app, &a, "ivanov@mintrud.example.ru").await;

    let today = touchpoints::calendar::local_date(chrono::Utc::now());
    let mut conn = app.pool.get().unwrap();
    // nothing is overdue today
    assert_eq!(
        touchpoints::deadlines::overdue::sweep(&mut conn, today).unwrap(),
        0
    );
    // three weeks on, the part is late: announced once, however often the sweep runs
    let later = today + chrono::Duration::days(21);
    assert_eq!(
        touchpoints::deadlines::overdue::sweep(&mut conn, later).unwrap(),
        1
    );
    assert_eq!(
        touchpoints::deadlines::overdue::sweep(&mut conn, later).unwrap(),
        0
    );
    assert_eq!(
        touchpoints::deadlines::overdue::sweep(&mut conn, later + chrono::Duration::days(1))
            .unwrap(),
        0
    );
    drop(conn);

    let got = delivered(&app, hook["id"].as_str().unwrap()).await;
    assert_eq!(got.len(), 1, "{got:#?}");
    let event = &got[0]["payload"];
    assert_eq!(event["type"], "deadline.overdue");
    assert_eq!(event["agency"]["id"], a.as_str());
    assert_eq!(event["revision"]["id"], rid.as_str());
    assert_eq!(event["deadline"]["kind"], "submit");
    assert_eq!(event["deadline"]["unit_id"], unit.as_str());
    assert_eq!(event["deadline"]["responsible_role"], "submitter");
    assert!(event["deadline"]["due"].is_string(), "{event}");
    assert_eq!(event["part"]["unit_id"], unit.as_str());
}
