//! The delivery worker. One dispatcher thread per instance claims due deliveries in a short
//! transaction (`FOR UPDATE SKIP LOCKED`, so instances never claim the same delivery, and a few
//! per agency per round, so one agency cannot fill a round), leases them by pushing
//! `next_attempt_at` forward by [`LEASE`], and commits. Each claimed delivery is then sent by a
//! thread of its own, outside any transaction, which records the outcome with a pooled
//! connection. In-flight sends are bounded in total, per receiver (host and port) and per
//! agency; the dispatcher keeps claiming while there is capacity, so a slow receiver only
//! slows its own deliveries. A crashed instance's claims come due again when the lease ends
//! (at-least-once). No row lock is held during a send: deleting a webhook never waits, and
//! recording the outcome of a delivery whose webhook is gone updates nothing.
//!
//! Every connection goes to an address the egress policy ([`super::egress`]) accepted: the
//! agent resolves through [`EgressResolver`], and redirects are not followed.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::Duration;

use chrono::Utc;
use diesel::pg::PgConnection;
use diesel::prelude::*;
use diesel::sql_types;
use uuid::Uuid;

use super::egress::{EgressPolicy, Refusal};
use super::{backoff_ms, signature, MAX_ATTEMPTS};
use crate::db::PgPool;
use crate::domain::{DeliveryOutcome, DeliveryStatus};
use crate::schema::webhook_deliveries as wd;

/// Longest wait for a receiver to accept the connection.
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(3);
/// Longest a whole delivery (resolve, connect, send, answer) may take.
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(5);
/// How long a claimed delivery stays invisible to other claims; longer than a send.
pub const LEASE: Duration = Duration::from_secs(60);
/// Deliveries in flight per instance.
pub const MAX_IN_FLIGHT: usize = 16;
/// Deliveries in flight per receiver (host and port).
pub const MAX_IN_FLIGHT_PER_HOST: usize = 2;
/// Deliveries in flight per agency.
pub const MAX_IN_FLIGHT_PER_AGENCY: usize = 8;
/// Deliveries of one agency considered per claim round.
pub const CLAIM_PER_AGENCY: i64 = 4;

#[derive(Clone)]
pub struct WorkerConfig {
    /// `TOUCHPOINTS_WEBHOOK_BACKOFF_MS`: the first retry's delay (doubles each time).
    pub backoff_ms: u64,
    /// How often the outbox is polled when nothing is due.
    pub poll: Duration,
    pub connect_timeout: Duration,
    /// The whole request's timeout.
    pub timeout: Duration,
    pub lease: Duration,
    pub max_in_flight: usize,
    pub max_in_flight_per_host: usize,
    pub max_in_flight_per_agency: usize,
    pub claim_per_agency: i64,
    pub policy: Arc<EgressPolicy>,
}

impl WorkerConfig {
    pub fn new(backoff_ms: u64, policy: Arc<EgressPolicy>) -> Self {
        WorkerConfig {
            backoff_ms,
            poll: Duration::from_millis(250),
            connect_timeout: CONNECT_TIMEOUT,
            timeout: REQUEST_TIMEOUT,
            lease: LEASE,
            max_in_flight: MAX_IN_FLIGHT,
            max_in_flight_per_host: MAX_IN_FLIGHT_PER_HOST,
            max_in_flight_per_agency: MAX_IN_FLIGHT_PER_AGENCY,
            claim_per_agency: CLAIM_PER_AGENCY,
            policy,
        }
    }
}

/// What became of an attempt, as the delivery log shows it: coarse on purpose, never the
/// network stack's words (which would tell what answers on an internal port).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Delivered(u16),
    /// The receiver answered with a status other than 2xx (redirects included).
    HttpError(u16),
    Timeout,
    /// No connection, or it broke before an answer.
    ConnectError,
    /// The egress policy refused every address of the host.
    Blocked,
}

impl Outcome {
    /// The word the delivery log stores, without the HTTP status.
    pub fn kind(self) -> DeliveryOutcome {
        match self {
            Outcome::Delivered(_) => DeliveryOutcome::Delivered,
            Outcome::HttpError(_) => DeliveryOutcome::HttpError,
            Outcome::Timeout => DeliveryOutcome::Timeout,
            Outcome::ConnectError => DeliveryOutcome::ConnectError,
            Outcome::Blocked => DeliveryOutcome::Blocked,
        }
    }

    pub fn as_str(self) -> &'static str {
        self.kind().as_str()
    }

    fn status(self) -> Option<i32> {
        match self {
            Outcome::Delivered(s) | Outcome::HttpError(s) => Some(i32::from(s)),
            _ => None,
        }
    }

    pub fn of(result: &Result<u16, ureq::Error>) -> Outcome {
        match result {
            Ok(s) if (200..300).contains(s) => Outcome::Delivered(*s),
            Ok(s) => Outcome::HttpError(*s),
            Err(ureq::Error::Io(e)) if e.get_ref().is_some_and(|inner| inner.is::<Refusal>()) => {
                Outcome::Blocked
            }
            Err(ureq::Error::Timeout(_)) => Outcome::Timeout,
            Err(ureq::Error::Io(e))
                if matches!(
                    e.kind(),
                    std::io::ErrorKind::TimedOut | std::io::ErrorKind::WouldBlock
                ) =>
            {
                Outcome::Timeout
            }
            Err(_) => Outcome::ConnectError,
        }
    }
}

/// A ureq resolver that resolves as usual, then returns the addresses only if the egress
/// policy accepts every one of them: the connection goes to what was checked, so a DNS answer
/// cannot be swapped between the check and the connect.
#[derive(Debug)]
pub struct EgressResolver {
    pub policy: Arc<EgressPolicy>,
}

impl ureq::unversioned::resolver::Resolver for EgressResolver {
    fn resolve(
        &self,
        uri: &ureq::http::Uri,
        config: &ureq::config::Config,
        timeout: ureq::unversioned::transport::NextTimeout,
    ) -> Result<ureq::unversioned::resolver::ResolvedSocketAddrs, ureq::Error> {
        let addrs = ureq::unversioned::resolver::DefaultResolver::default()
            .resolve(uri, config, timeout)?;
        let host = uri.host().unwrap_or_default();
        for addr in addrs.iter() {
            if let Err(refusal) = self.policy.check(host, addr.ip()) {
                tracing::warn!(host, %refusal, "webhook delivery blocked by the egress policy");
                return Err(ureq::Error::Io(std::io::Error::new(
                    std::io::ErrorKind::PermissionDenied,
                    refusal,
                )));
            }
        }
        Ok(addrs)
    }
}

/// The HTTP agent of deliveries: egress-checked resolution, no proxy, no redirects, short timeouts.
pub fn agent(config: &WorkerConfig) -> ureq::Agent {
    let cfg = ureq::Agent::config_builder()
        .proxy(None)
        .max_redirects(0)
        .http_status_as_error(false)
        .timeout_connect(Some(config.connect_timeout))
        .timeout_global(Some(config.timeout))
        .build();
    ureq::Agent::with_parts(
        cfg,
        ureq::unversioned::transport::DefaultConnector::default(),
        EgressResolver {
            policy: config.policy.clone(),
        },
    )
}

/// Sends in flight, by receiver and by agency.
#[derive(Default)]
struct InFlight {
    total: usize,
    hosts: HashMap<String, usize>,
    agencies: HashMap<Uuid, usize>,
}

impl InFlight {
    fn try_take(&mut self, config: &WorkerConfig, host: &str, agency: Uuid) -> bool {
        let h = self.hosts.get(host).copied().unwrap_or(0);
        let a = self.agencies.get(&agency).copied().unwrap_or(0);
        if self.total >= config.max_in_flight
            || h >= config.max_in_flight_per_host
            || a >= config.max_in_flight_per_agency
        {
            return false;
        }
        self.total += 1;
        *self.hosts.entry(host.to_owned()).or_default() += 1;
        *self.agencies.entry(agency).or_default() += 1;
        true
    }

    fn give_back(&mut self, host: &str, agency: Uuid) {
        self.total = self.total.saturating_sub(1);
        if let Some(n) = self.hosts.get_mut(host) {
            *n -= 1;
            if *n == 0 {
                self.hosts.remove(host);
            }
        }
        if let Some(n) = self.agencies.get_mut(&agency) {
            *n -= 1;
            if *n == 0 {
                self.agencies.remove(&agency);
            }
        }
    }
}

/// Returns the slot of a send when its thread ends, however it ends.
struct Slot {
    in_flight: Arc<Mutex<InFlight>>,
    host: String,
    agency: Uuid,
}

impl Drop for Slot {
    fn drop(&mut self) {
        self.in_flight
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .give_back(&self.host, self.agency);
    }
}

#[derive(Debug, Clone, QueryableByName)]
pub struct Due {
    #[diesel(sql_type = sql_types::Uuid)]
    pub id: Uuid,
    #[diesel(sql_type = sql_types::Jsonb)]
    pub payload: serde_json::Value,
    #[diesel(sql_type = sql_types::Integer)]
    pub attempts: i32,
    #[diesel(sql_type = sql_types::Text)]
    pub event_type: String,
    #[diesel(sql_type = sql_types::Text)]
    pub url: String,
    #[diesel(sql_type = sql_types::Text)]
    pub secret: String,
    #[diesel(sql_type = sql_types::Uuid)]
    pub agency_id: Uuid,
}

/// The receiver a URL addresses: host and port.
fn receiver(url: &str) -> String {
    match url::Url::parse(url) {
        Ok(u) => format!(
            "{}:{}",
            u.host_str().unwrap_or_default(),
            u.port_or_known_default().unwrap_or(0)
        ),
        Err(_) => url.to_owned(),
    }
}

pub fn start(pool: PgPool, config: WorkerConfig, background: &crate::background::Background) {
    background.spawn("webhook-dispatcher", move |bg| {
        let agent = agent(&config);
        let in_flight = Arc::new(Mutex::new(InFlight::default()));
        let mut senders: Vec<JoinHandle<()>> = Vec::new();
        while !bg.stopping() {
            senders.retain(|h| !h.is_finished());
            let free = {
                let f = in_flight.lock().unwrap_or_else(|e| e.into_inner());
                config.max_in_flight.saturating_sub(f.total)
            };
            if free == 0 {
                bg.sleep(Duration::from_millis(25));
                continue;
            }
            let claimed = match pool.get() {
                Ok(mut conn) => claim(&mut conn, &config, &in_flight).unwrap_or_else(|e| {
                    tracing::warn!(error = %e, "webhook dispatcher");
                    Vec::new()
                }),
                Err(_) => Vec::new(),
            };
            let idle = claimed.is_empty();
            for (due, host) in claimed {
                let slot = Slot {
                    in_flight: in_flight.clone(),
                    host,
                    agency: due.agency_id,
                };
                let (pool, agent, config) = (pool.clone(), agent.clone(), config.clone());
                let spawned = std::thread::Builder::new()
                    .name("webhook-sender".into())
                    .spawn(move || {
                        let _slot = slot;
                        let outcome = send(&agent, &due);
                        record(&pool, &config, &due, outcome);
                    });
                match spawned {
                    Ok(h) => senders.push(h),
                    // the slot went back with the closure; the lease brings the delivery back
                    Err(e) => tracing::error!(error = %e, "could not start a webhook sender"),
                }
            }
            if idle {
                bg.sleep(config.poll);
            }
        }
        // senders end within the request timeout; they must be out of libpq before exit
        for h in senders {
            let _ = h.join();
        }
    });
}

/// Claims due deliveries that fit the free capacity, in one short transaction: at most
/// `claim_per_agency` per agency are considered, rows another instance holds are skipped,
/// and the chosen ones are leased. Returns them with their receiver; their slots are taken.
fn claim(
    conn: &mut PgConnection,
    config: &WorkerConfig,
    in_flight: &Arc<Mutex<InFlight>>,
) -> anyhow::Result<Vec<(Due, String)>> {
    let candidates = (config.max_in_flight as i64) * 4;
    let mut taken: Vec<(Due, String)> = Vec::new();
    let result = conn.transaction::<_, anyhow::Error, _>(|c| {
        let due: Vec<Due> = diesel::sql_query(
            "SELECT d.id, d.payload, d.attempts, d.event_type, w.url, w.secret, w.agency_id
               FROM webhook_deliveries d JOIN webhooks w ON w.id = d.webhook_id
              WHERE d.id IN (
                    SELECT id FROM (
                        SELECT d2.id, d2.next_attempt_at,
                               row_number() OVER (PARTITION BY w2.agency_id ORDER BY d2.next_attempt_at) AS n
                          FROM webhook_deliveries d2 JOIN webhooks w2 ON w2.id = d2.webhook_id
                         WHERE d2.status = 'pending' AND d2.next_attempt_at <= now()
                    ) ranked
                    WHERE n <= $1
                    ORDER BY next_attempt_at
                    LIMIT $2)
                AND d.status = 'pending' AND d.next_attempt_at <= now()
              ORDER BY d.next_attempt_at
                FOR UPDATE OF d SKIP LOCKED",
        )
        .bind::<sql_types::BigInt, _>(config.claim_per_agency)
        .bind::<sql_types::BigInt, _>(candidates)
        .load(c)?;
        {
            let mut f = in_flight.lock().unwrap_or_else(|e| e.into_inner());
            for d in due {
                let host = receiver(&d.url);
                if f.try_take(config, &host, d.agency_id) {
                    taken.push((d, host));
                }
            }
        }
        if !taken.is_empty() {
            let ids: Vec<Uuid> = taken.iter().map(|(d, _)| d.id).collect();
            let until = Utc::now() + chrono::Duration::from_std(config.lease)?;
            diesel::update(wd::table.filter(wd::id.eq_any(&ids))).set(wd::next_attempt_at.eq(until)).execute(c)?;
        }
        Ok(())
    });
    if let Err(e) = result {
        let mut f = in_flight.lock().unwrap_or_else(|e| e.into_inner());
        for (d, host) in &taken {
            f.give_back(host, d.agency_id);
        }
        return Err(e);
    }
    Ok(taken)
}

/// Posts one delivery; no database connection is held meanwhile.
pub fn send(agent: &ureq::Agent, due: &Due) -> Outcome {
    let body = match serde_json::to_vec(&due.payload) {
        Ok(b) => b,
        Err(_) => return Outcome::ConnectError,
    };
    let result = agent
        .post(&due.url)
        .header("content-type", "application/json")
        .header("user-agent", "touchpoints-webhooks/1")
        .header("x-touchpoints-event", &due.event_type)
        .header("x-touchpoints-delivery", due.id.to_string())
        .header("x-touchpoints-signature", signature(&due.secret, &body))
        .send(&body[..])
        .map(|resp| resp.status().as_u16());
    if let Err(e) = &result {
        // the words stay in the server's log; the delivery log gets the coarse outcome
        tracing::info!(delivery = %due.id, error = %e, "webhook delivery failed");
    }
    Outcome::of(&result)
}

/// Writes the outcome of an attempt. A delivery whose webhook was deleted meanwhile is gone:
/// nothing is updated. Failures are retried with backoff up to `MAX_ATTEMPTS`.
fn record(pool: &PgPool, config: &WorkerConfig, due: &Due, outcome: Outcome) {
    let attempts = due.attempts + 1;
    let delivered = matches!(outcome, Outcome::Delivered(_));
    crate::metrics::WEBHOOKS
        .with_label_values(&[outcome.as_str()])
        .inc();
    let status = if delivered {
        DeliveryStatus::Delivered
    } else if attempts >= MAX_ATTEMPTS {
        DeliveryStatus::Failed
    } else {
        DeliveryStatus::Pending
    };
    let next = Utc::now()
        + chrono::Duration::milliseconds(backoff_ms(config.backoff_ms, attempts - 1) as i64);
    let written = pool.get().map_err(anyhow::Error::from).and_then(|mut c| {
        let target = wd::table
            .find(due.id)
            .filter(wd::status.eq(DeliveryStatus::Pending));
        let n = if delivered {
            diesel::update(target)
                .set((
                    wd::status.eq(status),
                    wd::attempts.eq(attempts),
                    wd::last_status.eq(outcome.status()),
                    wd::outcome.eq(outcome.kind()),
                    wd::delivered_at.eq(diesel::dsl::now),
                ))
                .execute(&mut c)?
        } else {
            diesel::update(target)
                .set((
                    wd::status.eq(status),
                    wd::attempts.eq(attempts),
                    wd::last_status.eq(outcome.status()),
                    wd::outcome.eq(outcome.kind()),
                    wd::next_attempt_at.eq(next),
                ))
                .execute(&mut c)?
        };
        Ok(n)
    });
    match written {
        Ok(0) => {
            tracing::debug!(delivery = %due.id, "the delivery is gone (its webhook was deleted)")
        }
        Ok(_) => {}
        // the lease brings the delivery back: at least once
        Err(e) => {
            tracing::warn!(delivery = %due.id, error = %e, "could not record a webhook outcome")
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(policy: EgressPolicy) -> WorkerConfig {
        WorkerConfig::new(1000, Arc::new(policy))
    }

    #[test]
    fn outcomes_are_coarse() {
        assert_eq!(Outcome::of(&Ok(204)), Outcome::Delivered(204));
        assert_eq!(Outcome::of(&Ok(302)).as_str(), "http_error");
        assert_eq!(Outcome::of(&Ok(500)).status(), Some(500));
        assert_eq!(
            Outcome::of(&Err(ureq::Error::ConnectionFailed)),
            Outcome::ConnectError
        );
        assert_eq!(
            Outcome::of(&Err(ureq::Error::Io(
                std::io::ErrorKind::ConnectionRefused.into()
            ))),
            Outcome::ConnectError
        );
        assert_eq!(
            Outcome::of(&Err(ureq::Error::Io(std::io::ErrorKind::TimedOut.into()))),
            Outcome::Timeout
        );
    }

    #[test]
    fn the_agent_refuses_forbidden_addresses_before_connecting() {
        let agent = agent(&config(EgressPolicy::default()));
        for url in [
            "http://127.0.0.1:1/",
            "http://[::1]:1/",
            "http://localhost:1/",
            "http://0.0.0.0:1/",
        ] {
            let result = agent
                .post(url)
                .send(&b"{}"[..])
                .map(|r| r.status().as_u16());
            assert_eq!(Outcome::of(&result), Outcome::Blocked, "{url}: {result:?}");
        }
    }

    #[test]
    fn capacity_is_bounded_per_host_agency_and_in_total() {
        let mut c = config(EgressPolicy::default());
        c.max_in_flight = 3;
        let (a, b) = (Uuid::new_v4(), Uuid::new_v4());
        let mut f = InFlight::default();
        assert!(f.try_take(&c, "h:80", a));
        assert!(f.try_take(&c, "h:80", a));
        assert!(!f.try_take(&c, "h:80", b), "two per receiver");
        assert!(f.try_take(&c, "g:80", b));
        assert!(!f.try_take(&c, "k:80", b), "three in total");
        f.give_back("h:80", a);
        assert!(f.try_take(&c, "k:80", b));
        assert_eq!(receiver("http://127.0.0.1:8080/x"), "127.0.0.1:8080");
        assert_eq!(receiver("https://Portal.ru/x"), "portal.ru:443");
    }
}
