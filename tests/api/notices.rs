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
    (a, u, rid)
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
