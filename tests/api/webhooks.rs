//! Publication webhooks: a local receiver gets a signed event, after a retry.

use std::io::{Read, Write};
use std::net::TcpListener;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use actix_web::{web, App, HttpRequest, HttpResponse, HttpServer};
use reqwest::StatusCode;
use serde_json::{json, Value};

use touchpoints::auth::Role;

use crate::helpers::{assert_problem, token, TestApp};

/// Delivery id, signature header, body.
type Request = (String, String, Vec<u8>);

#[derive(Clone, Default)]
struct Received(Arc<Mutex<Vec<Request>>>);

async fn receive(req: HttpRequest, body: web::Bytes, got: web::Data<Received>) -> HttpResponse {
    let h = |n: &str| {
        req.headers()
            .get(n)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_owned()
    };
    let mut all = got.0.lock().unwrap();
    all.push((
        h("x-touchpoints-delivery"),
        h("x-touchpoints-signature"),
        body.to_vec(),
    ));
    // the first attempt fails, to exercise the retry
    if all.len() == 1 {
        HttpResponse::InternalServerError().finish()
    } else {
        HttpResponse::Ok().finish()
    }
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
    let server = HttpServer::new(move || {
        App::new()
            .app_data(data.clone())
            .route("/hook", web::post().to(receive))
    })
    .workers(1)
    .listen(listener)
    .unwrap()
    .run();
    actix_web::rt::spawn(server);

    let app = TestApp::spawn_with(allow_loopback).await;
    let a = app.agency("МЧС Республики Дагестан").await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let (s, hook) = app
        .post(
            &format!("/api/v1/agencies/{a}/webhooks"),
            json!({"url": format!("http://127.0.0.1:{port}/hook"), "description": "портал"}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{hook}");
    let secret = hook["secret"].as_str().unwrap().to_owned();
    let hid = hook["id"].as_str().unwrap().to_owned();
    let (_, listed) = app.get(&format!("/api/v1/agencies/{a}/webhooks")).await;
    assert!(
        listed["items"][0].get("secret").is_none(),
        "the secret is shown only once"
    );

    let p = app.process(&a, "Приём обращений").await;
    app.point(p["id"].as_str().unwrap(), json!({"channel": "phone", "name": "Телефон", "contacts": [{"kind": "phone", "value": "+78722516122"}], "needs": ["consultation"]})).await;
    let (_, revs) = app.get(&format!("/api/v1/agencies/{a}/revisions")).await;
    let rid = revs["items"][0]["id"].as_str().unwrap().to_owned();
    // a refused publication writes no event
    let (s, _) = app
        .post(&format!("/api/v1/revisions/{rid}/publish"), Value::Null)
        .await;
    assert_eq!(s, StatusCode::CONFLICT);
    app.post(
        &format!("/api/v1/revisions/{rid}/parts/agency/submit"),
        Value::Null,
    )
    .await;
    app.post(
        &format!("/api/v1/revisions/{rid}/parts/agency/accept"),
        Value::Null,
    )
    .await;
    app.post(&format!("/api/v1/revisions/{rid}/approve"), Value::Null)
        .await;
    let (s, published) = app
        .post(&format!("/api/v1/revisions/{rid}/publish"), Value::Null)
        .await;
    assert_eq!(s, StatusCode::OK, "{published}");

    let started = Instant::now();
    let delivery = loop {
        let (_, log) = app.get(&format!("/api/v1/webhooks/{hid}/deliveries")).await;
        assert_eq!(log["total"], 1, "{log}");
        if log["items"][0]["status"] == "delivered" {
            break log["items"][0].clone();
        }
        assert!(
            started.elapsed() < Duration::from_secs(15),
            "not delivered: {log}"
        );
        actix_web::rt::time::sleep(Duration::from_millis(50)).await;
    };
    assert_eq!(delivery["attempts"], 2);
    assert_eq!(delivery["last_status"], 200);
    assert_eq!(delivery["outcome"], "delivered");
    assert!(
        delivery.get("last_error").is_none(),
        "no raw network error text: {delivery}"
    );

    let got = received.0.lock().unwrap().clone();
    assert_eq!(got.len(), 2, "one failed attempt, one success");
    assert_eq!(got[0].0, got[1].0, "the retry carries the same delivery id");
    let (_, signature, body) = &got[1];
    assert_eq!(*signature, touchpoints::webhooks::signature(&secret, body));
    let event: Value = serde_json::from_slice(body).unwrap();
    assert_eq!(event["type"], "register.published");
    assert_eq!(event["version"], 1);
    assert_eq!(event["sha256"], published["sha256"]);
    assert_eq!(
        event["links"]["version"],
        format!("/api/v1/public/agencies/{a}/register/versions/1")
    );
}

/// A loopback receiver on a thread of its own: records each request's path and when it came,
/// and answers `answer` (a whole HTTP response), or never answers when it is `None`.
struct Receiver {
    port: u16,
    seen: Arc<Mutex<Vec<(String, Instant)>>>,
}

impl Receiver {
    fn start(answer: Option<String>) -> Receiver {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let seen: Arc<Mutex<Vec<(String, Instant)>>> = Arc::default();
        let record = seen.clone();
        std::thread::spawn(move || {
            let mut held = Vec::new();
            for stream in listener.incoming() {
                let Ok(mut stream) = stream else { continue };
                let path = read_request(&mut stream);
                record.lock().unwrap().push((path, Instant::now()));
                match &answer {
                    Some(a) => {
                        let _ = stream.write_all(a.as_bytes());
                    }
                    // accepts, reads, and keeps the connection open without a word
                    None => held.push(stream),
                }
            }
        });
        Receiver { port, seen }
    }

    fn ok() -> Receiver {
        Self::start(Some(
            "HTTP/1.1 200 OK\r\ncontent-length: 0\r\nconnection: close\r\n\r\n".into(),
        ))
    }

    fn paths(&self) -> Vec<String> {
        self.seen
            .lock()
            .unwrap()
            .iter()
            .map(|(p, _)| p.clone())
            .collect()
    }
}

/// Reads a request head and its body (by content-length); returns the path.
fn read_request(stream: &mut std::net::TcpStream) -> String {
    stream
        .set_read_timeout(Some(Duration::from_secs(2)))
        .unwrap();
    let mut buf = Vec::new();
    let mut chunk = [0u8; 4096];
    let head_end = loop {
        if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break i + 4;
        }
        match stream.read(&mut chunk) {
            Ok(0) | Err(_) => return String::new(),
            Ok(n) => buf.extend_from_slice(&chunk[..n]),
        }
    };
    let head = String::from_utf8_lossy(&buf[..head_end]).to_string();
    let length: usize = head
        .lines()
        .find_map(|l| {
            l.to_ascii_lowercase()
                .strip_prefix("content-length:")
                .map(|v| v.trim().parse().unwrap_or(0))
        })
        .unwrap_or(0);
    while buf.len() < head_end + length {
        match stream.read(&mut chunk) {
            Ok(0) | Err(_) => break,
            Ok(n) => buf.extend_from_slice(&chunk[..n]),
        }
    }
    head.split_whitespace()
        .nth(1)
        .unwrap_or_default()
        .to_owned()
}

/// Publishes a first register of the agency (one process, one touchpoint); returns when the
/// publication was asked for.
async fn publish(app: &TestApp, agency: &str) -> Instant {
    let p = app.process(agency, "Приём обращений").await;
    app.point(p["id"].as_str().unwrap(), json!({"channel": "phone", "name": "Телефон", "contacts": [{"kind": "phone", "value": "+78722516122"}], "needs": ["consultation"]})).await;
    let (_, revs) = app
        .get(&format!("/api/v1/agencies/{agency}/revisions"))
        .await;
    let rid = revs["items"][0]["id"].as_str().unwrap().to_owned();
    app.post(
        &format!("/api/v1/revisions/{rid}/parts/agency/submit"),
        Value::Null,
    )
    .await;
    app.post(
        &format!("/api/v1/revisions/{rid}/parts/agency/accept"),
        Value::Null,
    )
    .await;
    app.post(&format!("/api/v1/revisions/{rid}/approve"), Value::Null)
        .await;
    let asked = Instant::now();
    let (s, published) = app
        .post(&format!("/api/v1/revisions/{rid}/publish"), Value::Null)
        .await;
    assert_eq!(s, StatusCode::OK, "{published}");
    asked
}

/// Polls the delivery log of a webhook until `done` holds for its newest delivery.
async fn wait_for_delivery(
    app: &TestApp,
    hook: &str,
    within: Duration,
    done: impl Fn(&Value) -> bool,
) -> Value {
    let started = Instant::now();
    loop {
        let (s, log) = app
            .get(&format!("/api/v1/webhooks/{hook}/deliveries"))
            .await;
        assert_eq!(s, StatusCode::OK, "{log}");
        if log["items"].get(0).is_some_and(&done) {
            return log["items"][0].clone();
        }
        assert!(started.elapsed() < within, "not there in {within:?}: {log}");
        actix_web::rt::time::sleep(Duration::from_millis(25)).await;
    }
}

#[actix_web::test]
async fn registration_refuses_targets_inside_the_network_unless_allow_listed() {
    let app = TestApp::spawn().await;
    let a = app.agency("МЧС Республики Дагестан").await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let inside = [
        "http://127.0.0.1:5432/".to_owned(),
        "http://0.0.0.0:8080/".into(),
        "http://169.254.169.254/latest/meta-data".into(),
        "http://10.0.0.1/".into(),
        "http://192.168.1.1/".into(),
        "http://[::1]/".into(),
        "http://[::ffff:127.0.0.1]/".into(),
        "http://localhost/".into(),
        "http://2130706433/".into(),
        format!("{}/api/v1/agencies", app.address),
    ];
    for url in &inside {
        let (s, body) = app
            .post(
                &format!("/api/v1/agencies/{a}/webhooks"),
                json!({"url": url}),
            )
            .await;
        assert_problem(s, &body, 422, "webhook_target_forbidden", Some("url"));
        assert!(
            body["detail"]
                .as_str()
                .unwrap()
                .contains("TOUCHPOINTS_WEBHOOK_ALLOW_HOSTS"),
            "{body}"
        );
    }
    let (s, body) = app
        .post(
            &format!("/api/v1/agencies/{a}/webhooks"),
            json!({"url": "http://169.254.169.254/"}),
        )
        .await;
    assert_eq!(s.as_u16(), 422);
    assert!(
        body["detail"]
            .as_str()
            .unwrap()
            .contains("169.254.169.254 is a link-local"),
        "the detail says which address and why: {body}"
    );
    let (_, listed) = app.get(&format!("/api/v1/agencies/{a}/webhooks")).await;
    assert_eq!(listed["total"], 0);

    // the allow-list opens exceptions; an agency has at most 10 webhooks
    let open =
        TestApp::spawn_with(|s| s.webhook_allow_hosts = vec!["0.0.0.0/0".into(), "::/0".into()])
            .await;
    let a = open.agency("МЧС Республики Дагестан").await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    for url in &inside {
        let (s, body) = open
            .post(
                &format!("/api/v1/agencies/{a}/webhooks"),
                json!({"url": url}),
            )
            .await;
        assert_eq!(s, StatusCode::CREATED, "{url}: {body}");
    }
    let (s, body) = open
        .post(
            &format!("/api/v1/agencies/{a}/webhooks"),
            json!({"url": "http://127.0.0.2/hooks"}),
        )
        .await;
    assert_problem(s, &body, 409, "limit_reached", None);
}

#[actix_web::test]
async fn a_delivery_to_a_refused_address_is_blocked_and_never_sent() {
    let listener = Receiver::ok();
    let app = TestApp::spawn().await;
    let a = app.agency("МЧС Республики Дагестан").await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    // a row that bypassed the registration check (made before the policy, or by hand)
    let hook: uuid::Uuid = {
        use diesel::prelude::*;
        #[derive(QueryableByName)]
        struct Id {
            #[diesel(sql_type = diesel::sql_types::Uuid)]
            id: uuid::Uuid,
        }
        let mut c = app.pool.get().unwrap();
        diesel::sql_query("INSERT INTO webhooks (agency_id, url, secret) VALUES ($1::uuid, $2, repeat('s', 32)) RETURNING id")
            .bind::<diesel::sql_types::Text, _>(&a)
            .bind::<diesel::sql_types::Text, _>(format!("http://127.0.0.1:{}/hook", listener.port))
            .get_result::<Id>(&mut c)
            .unwrap()
            .id
    };
    publish(&app, &a).await;
    let delivery = wait_for_delivery(&app, &hook.to_string(), Duration::from_secs(10), |d| {
        d["outcome"] == "blocked"
    })
    .await;
    assert_eq!(
        delivery["status"], "pending",
        "retried later, in case the name resolves elsewhere then: {delivery}"
    );
    assert!(delivery["last_status"].is_null());
    // retries are blocked too; nothing ever reached the listener
    wait_for_delivery(&app, &hook.to_string(), Duration::from_secs(10), |d| {
        d["attempts"].as_i64().unwrap() >= 2
    })
    .await;
    assert!(
        listener.paths().is_empty(),
        "the local listener was contacted: {:?}",
        listener.paths()
    );
}

#[actix_web::test]
async fn one_agencys_stalled_receivers_delay_neither_other_agencies_nor_deletes() {
    let stalled = Receiver::start(None);
    let fine = Receiver::ok();
    let app = TestApp::spawn_with(allow_loopback).await;
    let a = app.agency("МЧС Республики Дагестан").await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let b = app.agency("Минтруд Республики Дагестан").await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let mut a_hooks = std::collections::HashMap::new();
    for i in 0..10 {
        let path = format!("/a{i}");
        let (s, hook) = app
            .post(
                &format!("/api/v1/agencies/{a}/webhooks"),
                json!({"url": format!("http://127.0.0.1:{}{path}", stalled.port)}),
            )
            .await;
        assert_eq!(s, StatusCode::CREATED, "{hook}");
        a_hooks.insert(path, hook["id"].as_str().unwrap().to_owned());
    }
    let (s, hook) = app
        .post(
            &format!("/api/v1/agencies/{b}/webhooks"),
            json!({"url": format!("http://127.0.0.1:{}/b", fine.port)}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{hook}");
    let b_hook = hook["id"].as_str().unwrap().to_owned();

    publish(&app, &a).await;
    // A's deliveries are under way (the stalled receiver has read at least one) before B publishes
    let started = Instant::now();
    while stalled.paths().is_empty() {
        assert!(
            started.elapsed() < Duration::from_secs(5),
            "A's deliveries never started"
        );
        actix_web::rt::time::sleep(Duration::from_millis(10)).await;
    }
    let b_published = publish(&app, &b).await;
    let b_arrived = loop {
        if let Some((_, at)) = fine.seen.lock().unwrap().first() {
            break *at;
        }
        assert!(
            b_published.elapsed() < Duration::from_secs(5),
            "B's delivery waits behind A's"
        );
        actix_web::rt::time::sleep(Duration::from_millis(10)).await;
    };
    let took = b_arrived.duration_since(b_published);
    assert!(took < Duration::from_secs(3), "B's delivery took {took:?}");
    wait_for_delivery(&app, &b_hook, Duration::from_secs(5), |d| {
        d["outcome"] == "delivered"
    })
    .await;

    // a webhook whose delivery is in flight right now is deleted at once
    let in_flight = stalled.paths()[0].clone();
    let asked = Instant::now();
    let (s, body) = app
        .delete(&format!("/api/v1/webhooks/{}", a_hooks[&in_flight]))
        .await;
    let took = asked.elapsed();
    assert_eq!(s, StatusCode::NO_CONTENT, "{body}");
    assert!(took < Duration::from_secs(1), "DELETE took {took:?}");
    let (s, _) = app
        .get(&format!(
            "/api/v1/webhooks/{}/deliveries",
            a_hooks[&in_flight]
        ))
        .await;
    assert_eq!(s, StatusCode::NOT_FOUND);

    // the stalled ones end as `timeout` (5 s), and are retried
    let started = Instant::now();
    'waiting: loop {
        for (path, hook) in &a_hooks {
            if *path == in_flight {
                continue;
            }
            let (_, log) = app
                .get(&format!("/api/v1/webhooks/{hook}/deliveries"))
                .await;
            if log["items"][0]["outcome"] == "timeout" {
                assert_eq!(log["items"][0]["status"], "pending", "{log}");
                assert!(log["items"][0]["last_status"].is_null(), "{log}");
                break 'waiting;
            }
        }
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "no delivery of A timed out"
        );
        actix_web::rt::time::sleep(Duration::from_millis(100)).await;
    }
}

#[actix_web::test]
async fn a_redirect_is_an_http_error_and_is_not_followed() {
    let inside = Receiver::ok();
    let redirecting = Receiver::start(Some(format!("HTTP/1.1 302 Found\r\nlocation: http://127.0.0.1:{}/inside\r\ncontent-length: 0\r\nconnection: close\r\n\r\n", inside.port)));
    let app = TestApp::spawn_with(allow_loopback).await;
    let a = app.agency("МЧС Республики Дагестан").await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let (s, hook) = app
        .post(
            &format!("/api/v1/agencies/{a}/webhooks"),
            json!({"url": format!("http://127.0.0.1:{}/hook", redirecting.port)}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{hook}");
    publish(&app, &a).await;
    let delivery = wait_for_delivery(
        &app,
        hook["id"].as_str().unwrap(),
        Duration::from_secs(10),
        |d| !d["outcome"].is_null(),
    )
    .await;
    assert_eq!(delivery["outcome"], "http_error", "{delivery}");
    assert_eq!(delivery["last_status"], 302);
    assert_eq!(redirecting.paths(), vec!["/hook".to_owned()]);
    assert!(inside.paths().is_empty(), "the redirect was followed");
}

#[actix_web::test]
async fn the_delivery_log_is_for_publishers_only() {
    let app = TestApp::spawn_with(allow_loopback).await;
    let a = app.agency("МЧС Республики Дагестан").await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let (_, hook) = app
        .post(
            &format!("/api/v1/agencies/{a}/webhooks"),
            json!({"url": "http://127.0.0.1:9/hook"}),
        )
        .await;
    let path = format!(
        "/api/v1/webhooks/{}/deliveries",
        hook["id"].as_str().unwrap()
    );
    let submitter = token("s", &[Role::Submitter], Some(&a), None);
    let (s, body) = app
        .request_as(Some(&submitter), reqwest::Method::GET, &path, None)
        .await;
    assert_problem(s, &body, 403, "forbidden", None);
    let publisher = token("p", &[Role::Publisher], Some(&a), None);
    let (s, body) = app
        .request_as(Some(&publisher), reqwest::Method::GET, &path, None)
        .await;
    assert_eq!(s, StatusCode::OK, "{body}");
    assert_eq!(body["total"], 0);
}
