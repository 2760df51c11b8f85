//! Test harness: every test gets its own database cloned from a migrated template, and the
//! real application on a random port, spoken to over HTTP the way clients do.

use std::collections::hash_map::DefaultHasher;
use std::hash::{Hash, Hasher};
use std::net::TcpListener;
use std::time::Duration;

use diesel::{Connection, PgConnection, RunQueryDsl};
use reqwest::StatusCode;
use serde_json::{json, Value};
use touchpoints::auth::{AuthConfig, Claims, Role};
use touchpoints::config::{DatabaseUrl, Settings};
use touchpoints::db;
use touchpoints::startup::Application;

/// The server's maintenance database URL: TOUCHPOINTS_TEST_DATABASE_URL, else DATABASE_URL
/// with its database replaced by `postgres`, else the local default.
fn admin_url() -> url::Url {
    let raw = std::env::var("TOUCHPOINTS_TEST_DATABASE_URL")
        .or_else(|_| std::env::var("DATABASE_URL"))
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".to_owned());
    let mut url = url::Url::parse(&raw).expect("test database URL");
    url.set_path("/postgres");
    url
}

fn url_for(db_name: &str) -> String {
    let mut u = admin_url();
    u.set_path(&format!("/{db_name}"));
    // loopback needs no TLS, and without it nothing of OpenSSL is in use when a test exits
    if !u.query_pairs().any(|(k, _)| k == "sslmode") {
        u.query_pairs_mut().append_pair("sslmode", "disable");
    }
    u.to_string()
}

/// Name of the template for the current migrations: a change to any migration makes a new one.
fn template_name() -> String {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("migrations");
    let mut entries: Vec<_> = walk(&dir);
    entries.sort();
    let mut h = DefaultHasher::new();
    for path in entries {
        path.to_string_lossy().hash(&mut h);
        std::fs::read(&path).expect("migration file").hash(&mut h);
    }
    format!("touchpoints_tpl_{:016x}", h.finish())
}

fn walk(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).expect("migrations dir") {
        let p = e.expect("dir entry").path();
        if p.is_dir() {
            out.extend(walk(&p));
        } else {
            out.push(p);
        }
    }
    out
}

#[derive(diesel::QueryableByName)]
struct Exists {
    #[diesel(sql_type = diesel::sql_types::Bool)]
    exists: bool,
}

/// Creates the migrated template once per migration set; parallel test processes wait on an
/// advisory lock instead of racing.
fn ensure_template(admin: &mut PgConnection) -> String {
    let name = template_name();
    diesel::sql_query("SELECT pg_advisory_lock(7470746573740001)")
        .execute(admin)
        .unwrap();
    let present = diesel::sql_query(format!(
        "SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = '{name}') AS exists"
    ))
    .get_result::<Exists>(admin)
    .unwrap()
    .exists;
    if !present {
        let building = format!("{name}_building");
        diesel::sql_query(format!("DROP DATABASE IF EXISTS {building} WITH (FORCE)"))
            .execute(admin)
            .unwrap();
        diesel::sql_query(format!("CREATE DATABASE {building}"))
            .execute(admin)
            .unwrap();
        {
            let mut conn = PgConnection::establish(&url_for(&building)).unwrap();
            db::run_migrations(&mut conn).unwrap();
        }
        diesel::sql_query(format!("ALTER DATABASE {building} RENAME TO {name}"))
            .execute(admin)
            .unwrap();
    }
    diesel::sql_query("SELECT pg_advisory_unlock(7470746573740001)")
        .execute(admin)
        .unwrap();
    name
}

/// Panics when a problem body names a Rust type (`struct ContactInput`, `u32`, `Uuid`, a
/// schema's Rust name…): clients read the API's terms only. Every problem the suite
/// provokes through [`TestApp::send`] and [`TestApp::raw`] is checked.
pub fn assert_no_rust_names(what: &str, body: &str) {
    use std::sync::OnceLock;
    static NAMES: OnceLock<(regex::Regex, Vec<String>)> = OnceLock::new();
    let (pattern, names) = NAMES.get_or_init(|| {
        let spec: Value = serde_json::from_str(&touchpoints::openapi::spec_json()).unwrap();
        // compound names only (ContactInput, WorkflowSettings): a one-word schema name
        // (Agency) is also an English word a message may start with
        let compound = regex::Regex::new(r"^[A-Z][a-z0-9]+[A-Z][A-Za-z0-9]*$").unwrap();
        let mut names: Vec<String> = spec["components"]["schemas"]
            .as_object()
            .unwrap()
            .keys()
            .filter(|k| compound.is_match(k))
            .cloned()
            .collect();
        names.extend(["NaiveDate", "DateTime", "Uuid", "HashMap", "Vec<", "Option<", "serde"].map(String::from));
        (
            regex::Regex::new(r"\b(struct|enum|tuple struct|newtype struct) [A-Za-z]|\b(u8|u16|u32|u64|usize|i16|i32|i64|f32|f64)\b|[A-Za-z_]::[A-Za-z_]|UUID parsing failed").unwrap(),
            names,
        )
    });
    let bad = pattern
        .find(body)
        .map(|m| m.as_str().to_owned())
        .or_else(|| {
            names
                .iter()
                .find(|n| {
                    body.match_indices(n.as_str()).any(|(i, _)| {
                        let after = body[i + n.len()..].chars().next();
                        !after.is_some_and(char::is_alphanumeric)
                            && !body[..i].chars().last().is_some_and(char::is_alphanumeric)
                    })
                })
                .cloned()
        });
    assert!(
        bad.is_none(),
        "{what}: the problem names {bad:?} (a Rust name): {body}"
    );
}

pub const TEST_SECRET: &[u8] = b"touchpoints-test-secret-0123456789";

/// A token signed with the test server's secret.
pub fn token(sub: &str, roles: &[Role], agency: Option<&str>, unit: Option<&str>) -> String {
    token_with(sub, roles, agency, unit, 3600)
}

pub fn token_with(
    sub: &str,
    roles: &[Role],
    agency: Option<&str>,
    unit: Option<&str>,
    expires_in: i64,
) -> String {
    let claims = Claims {
        sub: sub.to_owned(),
        name: Some(format!("Тест {sub}")),
        roles: roles.to_vec(),
        agency_id: agency.map(|a| a.parse().unwrap()),
        unit_id: unit.map(|u| u.parse().unwrap()),
        exp: chrono::Utc::now().timestamp() + expires_in,
        iat: None,
        nbf: None,
        iss: None,
        aud: None,
    };
    AuthConfig::hs256(TEST_SECRET).mint(&claims).unwrap()
}

fn test_settings(db_name: &str) -> Settings {
    Settings {
        bind: "127.0.0.1:0".into(),
        pool_size: 4,
        workers: Some(1),
        auth: AuthConfig::hs256(TEST_SECRET),
        webhook_backoff_ms: 50,
        // tests run the sweep themselves (`deadlines::overdue::sweep`)
        overdue_sweep_s: 0,
        ..Settings::defaults(&url_for(db_name))
    }
}

/// Starts the application on a random port; returns its address, pool and background threads.
fn start(settings: &Settings) -> (String, db::PgPool, touchpoints::background::Background) {
    let pool = db::build_pool(
        settings.database_url.expose(),
        settings.pool_size,
        Duration::from_millis(settings.pool_timeout_ms),
    )
    .unwrap();
    let listener = TcpListener::bind(&settings.bind).unwrap();
    let app = Application::with_pool(pool.clone(), listener, settings).unwrap();
    let address = format!("http://127.0.0.1:{}", app.port());
    let background = app.background();
    actix_web::rt::spawn(app.run_until_stopped());
    (address, pool, background)
}

pub struct TestApp {
    pub address: String,
    pub client: reqwest::Client,
    pub db_name: String,
    pub pool: db::PgPool,
    /// An admin token, used by the plain request helpers.
    pub admin: String,
    background: touchpoints::background::Background,
    /// Databases besides `db_name` this app owns (a replica's copy); dropped with it.
    extra_dbs: Vec<String>,
}

impl TestApp {
    pub async fn spawn() -> TestApp {
        Self::spawn_with(|_| {}).await
    }

    pub async fn spawn_with(adjust: impl FnOnce(&mut Settings)) -> TestApp {
        if std::env::var("TEST_LOG").is_ok() {
            touchpoints::telemetry::init();
        }
        let db_name = format!("touchpoints_test_{}", uuid::Uuid::new_v4().simple());
        {
            let mut admin = PgConnection::establish(admin_url().as_str())
                .expect("PostgreSQL for tests (run scripts/test.sh)");
            let template = ensure_template(&mut admin);
            diesel::sql_query(format!("CREATE DATABASE {db_name} TEMPLATE {template}"))
                .execute(&mut admin)
                .unwrap();
        }
        let mut settings = test_settings(&db_name);
        adjust(&mut settings);
        let (address, pool, background) = start(&settings);
        TestApp {
            address,
            client: reqwest::Client::new(),
            db_name,
            pool,
            admin: token("admin", &[Role::Admin], None, None),
            background,
            extra_dbs: Vec::new(),
        }
    }

    /// An application whose public API reads a "replica": a copy of the primary taken after
    /// `prepare` ran on it, which then never catches up (the worst lag there is). Returns
    /// the app and the replica's database name, to change it behind the app's back.
    pub async fn spawn_with_replica(prepare: impl FnOnce(&mut PgConnection)) -> (TestApp, String) {
        let db_name = format!("touchpoints_test_{}", uuid::Uuid::new_v4().simple());
        let replica = format!("{db_name}_replica");
        {
            let mut admin = PgConnection::establish(admin_url().as_str())
                .expect("PostgreSQL for tests (run scripts/test.sh)");
            let template = ensure_template(&mut admin);
            diesel::sql_query(format!("CREATE DATABASE {db_name} TEMPLATE {template}"))
                .execute(&mut admin)
                .unwrap();
            {
                let mut primary = PgConnection::establish(&url_for(&db_name)).unwrap();
                prepare(&mut primary);
            }
            diesel::sql_query(format!("CREATE DATABASE {replica} TEMPLATE {db_name}"))
                .execute(&mut admin)
                .unwrap();
        }
        let mut settings = test_settings(&db_name);
        settings.replica_url = Some(DatabaseUrl(url_for(&replica)));
        let (address, pool, background) = start(&settings);
        let app = TestApp {
            address,
            client: reqwest::Client::new(),
            db_name,
            pool,
            admin: token("admin", &[Role::Admin], None, None),
            background,
            extra_dbs: vec![replica.clone()],
        };
        (app, replica)
    }

    /// A connection string for the test database `name`.
    pub fn database_url(name: &str) -> String {
        url_for(name)
    }

    /// Another instance of the application on the same database (scale-out tests).
    pub async fn second_instance(&self) -> TestApp {
        let (address, pool, background) = start(&test_settings(&self.db_name));
        // the database belongs to the first instance, which drops it
        TestApp {
            address,
            client: reqwest::Client::new(),
            db_name: String::new(),
            pool,
            admin: self.admin.clone(),
            background,
            extra_dbs: Vec::new(),
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.address, path)
    }

    pub async fn request(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Option<&Value>,
    ) -> (StatusCode, Value) {
        self.request_as(Some(&self.admin.clone()), method, path, body)
            .await
    }

    /// A request with the given bearer token (None: no Authorization header).
    pub async fn request_as(
        &self,
        token: Option<&str>,
        method: reqwest::Method,
        path: &str,
        body: Option<&Value>,
    ) -> (StatusCode, Value) {
        let (s, _, v) = self.send(token, method, path, body, None).await;
        (s, v)
    }

    /// The full exchange: status, headers and body, with optional token and If-Match.
    pub async fn send(
        &self,
        token: Option<&str>,
        method: reqwest::Method,
        path: &str,
        body: Option<&Value>,
        if_match: Option<&str>,
    ) -> (StatusCode, reqwest::header::HeaderMap, Value) {
        let mut rb = self.client.request(method, self.url(path));
        if let Some(t) = token {
            rb = rb.bearer_auth(t);
        }
        if let Some(m) = if_match {
            rb = rb.header("if-match", m);
        }
        if let Some(b) = body {
            rb = rb.json(b);
        }
        let resp = rb.send().await.expect("request sent");
        let status = resp.status();
        let headers = resp.headers().clone();
        let ct = headers
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_owned();
        let text = resp.text().await.unwrap();
        if status.is_client_error() || status.is_server_error() {
            assert_eq!(
                ct, "application/problem+json",
                "{status} for {path} must be problem+json, body: {text}"
            );
            assert_no_rust_names(path, &text);
        }
        let value = if text.is_empty() {
            Value::Null
        } else {
            serde_json::from_str(&text).unwrap_or(Value::String(text))
        };
        (status, headers, value)
    }

    pub async fn get(&self, path: &str) -> (StatusCode, Value) {
        self.request(reqwest::Method::GET, path, None).await
    }
    pub async fn post(&self, path: &str, body: Value) -> (StatusCode, Value) {
        self.request(reqwest::Method::POST, path, Some(&body)).await
    }
    pub async fn patch(&self, path: &str, body: Value) -> (StatusCode, Value) {
        self.request(reqwest::Method::PATCH, path, Some(&body))
            .await
    }
    pub async fn put(&self, path: &str, body: Value) -> (StatusCode, Value) {
        self.request(reqwest::Method::PUT, path, Some(&body)).await
    }
    pub async fn delete(&self, path: &str) -> (StatusCode, Value) {
        self.request(reqwest::Method::DELETE, path, None).await
    }

    /// Sends raw bytes with a content type (for malformed-body tests).
    pub async fn raw(
        &self,
        method: reqwest::Method,
        path: &str,
        content_type: &str,
        body: Vec<u8>,
    ) -> (StatusCode, Value) {
        let resp = self
            .client
            .request(method, self.url(path))
            .bearer_auth(&self.admin)
            .header("content-type", content_type)
            .body(body)
            .send()
            .await
            .expect("request sent");
        let status = resp.status();
        let ct = resp
            .headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_owned();
        let text = resp.text().await.unwrap();
        if status.is_client_error() || status.is_server_error() {
            assert_eq!(
                ct, "application/problem+json",
                "{status} must be problem+json, body: {text}"
            );
            assert_no_rust_names(path, &text);
        }
        (
            status,
            serde_json::from_str(&text).unwrap_or(Value::String(text)),
        )
    }

    // ---- fixtures ----

    pub async fn agency(&self, name: &str) -> Value {
        let (s, a) = self
            .post("/api/v1/agencies", json!({"name": name, "short_name": null, "region": "Республика Дагестан", "kind": "ministry", "website": "www.example.ru"}))
            .await;
        assert_eq!(s, StatusCode::CREATED, "{a}");
        a
    }

    pub async fn catalog_direction(&self, code: &str) -> String {
        let (_, list) = self.get("/api/v1/catalogs/directions").await;
        list["items"]
            .as_array()
            .unwrap()
            .iter()
            .find(|d| d["code"] == code)
            .unwrap()["id"]
            .as_str()
            .unwrap()
            .to_owned()
    }

    pub async fn process(&self, agency_id: &str, name: &str) -> Value {
        let direction = self.catalog_direction("appeals").await;
        let (s, p) = self
            .post(&format!("/api/v1/agencies/{agency_id}/processes"), json!({"direction_id": direction, "name": name, "kind": "function", "client_type": "external"}))
            .await;
        assert_eq!(s, StatusCode::CREATED, "{p}");
        p
    }

    pub async fn point(&self, process_id: &str, body: Value) -> Value {
        let (s, t) = self
            .post(&format!("/api/v1/processes/{process_id}/points"), body)
            .await;
        assert_eq!(s, StatusCode::CREATED, "{t}");
        t
    }
}

impl Drop for TestApp {
    fn drop(&mut self) {
        // the listener and the webhook worker must be out of libpq before the process exits
        self.background.shutdown();
        if self.db_name.is_empty() {
            return;
        }
        // the server's connections are forced out; a failure only leaves a stray database
        if let Ok(mut admin) = PgConnection::establish(admin_url().as_str()) {
            for name in std::iter::once(&self.db_name).chain(&self.extra_dbs) {
                let _ = diesel::sql_query(format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                    .execute(&mut admin);
            }
        }
    }
}

/// Asserts a problem+json body: status, stable code, and (optionally) the offending field.
pub fn assert_problem(
    status: StatusCode,
    body: &Value,
    want_status: u16,
    want_code: &str,
    want_field: Option<&str>,
) {
    assert_eq!(status.as_u16(), want_status, "{body}");
    assert_eq!(body["code"], want_code, "{body}");
    assert_eq!(body["status"], want_status, "{body}");
    assert_eq!(body["type"], format!("/problems/{want_code}"), "{body}");
    assert!(
        body["title"].is_string() && body["detail"].is_string(),
        "{body}"
    );
    if let Some(f) = want_field {
        let fields: Vec<&str> = body["errors"]
            .as_array()
            .map(|a| a.iter().filter_map(|e| e["field"].as_str()).collect())
            .unwrap_or_default();
        assert!(fields.contains(&f), "expected field {f} in {body}");
    }
}
