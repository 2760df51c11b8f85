//! Publication webhooks: a local receiver gets a signed event, after a retry.

use std::net::TcpListener;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use actix_web::{web, App, HttpRequest, HttpResponse, HttpServer};
use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::helpers::TestApp;

/// Delivery id, signature header, body.
type Request = (String, String, Vec<u8>);

#[derive(Clone, Default)]
struct Received(Arc<Mutex<Vec<Request>>>);

async fn receive(req: HttpRequest, body: web::Bytes, got: web::Data<Received>) -> HttpResponse {
    let h = |n: &str| req.headers().get(n).and_then(|v| v.to_str().ok()).unwrap_or("").to_owned();
    let mut all = got.0.lock().unwrap();
    all.push((h("x-touchpoints-delivery"), h("x-touchpoints-signature"), body.to_vec()));
    // the first attempt fails, to exercise the retry
    if all.len() == 1 { HttpResponse::InternalServerError().finish() } else { HttpResponse::Ok().finish() }
}

/// Local receivers are loopback, which the egress policy refuses unless allow-listed.
fn allow_loopback(s: &mut touchpoints::config::Settings) {
    s.webhook_allow_hosts = vec!["127.0.0.1".into()];
}

#[actix_web::test]
async fn a_publication_is_delivered_signed_and_retried() {
    let received = Received::default();
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let data = web::Data::new(received.clone());
    let server = HttpServer::new(move || App::new().app_data(data.clone()).route("/hook", web::post().to(receive))).workers(1).listen(listener).unwrap().run();
    actix_web::rt::spawn(server);

    let app = TestApp::spawn_with(allow_loopback).await;
    let a = app.agency("МЧС Республики Дагестан").await["id"].as_str().unwrap().to_owned();
    let (s, hook) = app.post(&format!("/api/v1/agencies/{a}/webhooks"), json!({"url": format!("http://127.0.0.1:{port}/hook"), "description": "портал"})).await;
    assert_eq!(s, StatusCode::CREATED, "{hook}");
    let secret = hook["secret"].as_str().unwrap().to_owned();
    let hid = hook["id"].as_str().unwrap().to_owned();
    let (_, listed) = app.get(&format!("/api/v1/agencies/{a}/webhooks")).await;
    assert!(listed["items"][0].get("secret").is_none(), "the secret is shown only once");

    let p = app.process(&a, "Приём обращений").await;
    app.point(p["id"].as_str().unwrap(), json!({"channel": "phone", "name": "Телефон", "contacts": [{"kind": "phone", "value": "+78722516122"}], "needs": ["consultation"]})).await;
    let (_, revs) = app.get(&format!("/api/v1/agencies/{a}/revisions")).await;
    let rid = revs["items"][0]["id"].as_str().unwrap().to_owned();
    // a refused publication writes no event
    let (s, _) = app.post(&format!("/api/v1/revisions/{rid}/publish"), Value::Null).await;
    assert_eq!(s, StatusCode::CONFLICT);
    app.post(&format!("/api/v1/revisions/{rid}/parts/agency/submit"), Value::Null).await;
    app.post(&format!("/api/v1/revisions/{rid}/parts/agency/accept"), Value::Null).await;
    app.post(&format!("/api/v1/revisions/{rid}/approve"), Value::Null).await;
    let (s, published) = app.post(&format!("/api/v1/revisions/{rid}/publish"), Value::Null).await;
    assert_eq!(s, StatusCode::OK, "{published}");

    let started = Instant::now();
    let delivery = loop {
        let (_, log) = app.get(&format!("/api/v1/webhooks/{hid}/deliveries")).await;
        assert_eq!(log["total"], 1, "{log}");
        if log["items"][0]["status"] == "delivered" {
            break log["items"][0].clone();
        }
        assert!(started.elapsed() < Duration::from_secs(15), "not delivered: {log}");
        actix_web::rt::time::sleep(Duration::from_millis(50)).await;
    };
    assert_eq!(delivery["attempts"], 2);
    assert_eq!(delivery["last_status"], 200);
    assert_eq!(delivery["outcome"], "delivered");
    assert!(delivery.get("last_error").is_none(), "no raw network error text: {delivery}");

    let got = received.0.lock().unwrap().clone();
    assert_eq!(got.len(), 2, "one failed attempt, one success");
    assert_eq!(got[0].0, got[1].0, "the retry carries the same delivery id");
    let (_, signature, body) = &got[1];
    assert_eq!(*signature, touchpoints::webhooks::signature(&secret, body));
    let event: Value = serde_json::from_slice(body).unwrap();
    assert_eq!(event["type"], "register.published");
    assert_eq!(event["version"], 1);
    assert_eq!(event["sha256"], published["sha256"]);
    assert_eq!(event["links"]["version"], format!("/api/v1/public/agencies/{a}/register/versions/1"));
}
