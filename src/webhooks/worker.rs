//! The delivery worker: one thread per instance takes due deliveries with `FOR UPDATE SKIP
//! LOCKED` (instances never send the same delivery at once), posts them, and records the
//! outcome; failures are retried with exponential backoff up to `MAX_ATTEMPTS`.

use std::time::Duration;

use chrono::Utc;
use diesel::pg::PgConnection;
use diesel::prelude::*;
use uuid::Uuid;

use super::{backoff_ms, signature, MAX_ATTEMPTS};
use crate::db::PgPool;
use crate::schema::{webhook_deliveries as wd, webhooks};

#[derive(Clone)]
pub struct WorkerConfig {
    /// `TOUCHPOINTS_WEBHOOK_BACKOFF_MS`: the first retry's delay (doubles each time).
    pub backoff_ms: u64,
    /// How often the outbox is polled.
    pub poll: Duration,
    pub timeout: Duration,
}

impl WorkerConfig {
    pub fn new(backoff_ms: u64) -> Self {
        WorkerConfig { backoff_ms, poll: Duration::from_millis(250), timeout: Duration::from_secs(10) }
    }
}

pub fn start(pool: PgPool, config: WorkerConfig, background: &crate::background::Background) {
    background.spawn("webhook-worker", move |bg| {
        let agent: ureq::Agent = ureq::Agent::config_builder().timeout_global(Some(config.timeout)).http_status_as_error(false).build().into();
        while !bg.stopping() {
            let sent = match pool.get() {
                Ok(mut conn) => run_once(&mut conn, &agent, &config).unwrap_or_else(|e| {
                    tracing::warn!(error = %e, "webhook worker");
                    0
                }),
                Err(_) => 0,
            };
            if sent == 0 {
                bg.sleep(config.poll);
            }
        }
    });
}

type Due = (Uuid, serde_json::Value, i32, String, String, String);

/// Sends what is due (at most 10 at a time); returns how many were attempted.
pub fn run_once(conn: &mut PgConnection, agent: &ureq::Agent, config: &WorkerConfig) -> anyhow::Result<usize> {
    conn.transaction::<usize, anyhow::Error, _>(|c| {
        let due: Vec<Due> = wd::table
            .inner_join(webhooks::table)
            .filter(wd::status.eq("pending"))
            .filter(wd::next_attempt_at.le(diesel::dsl::now))
            .order(wd::next_attempt_at)
            .limit(10)
            .for_update()
            .skip_locked()
            .select((wd::id, wd::payload, wd::attempts, wd::event_type, webhooks::url, webhooks::secret))
            .load(c)?;
        for (id, payload, attempts, event, url, secret) in &due {
            let body = serde_json::to_vec(payload)?;
            let result = agent
                .post(url)
                .header("content-type", "application/json")
                .header("user-agent", "touchpoints-webhooks/1")
                .header("x-touchpoints-event", event)
                .header("x-touchpoints-delivery", id.to_string())
                .header("x-touchpoints-signature", signature(secret, &body))
                .send(&body[..]);
            let attempts = attempts + 1;
            let (ok, status, error) = match result {
                Ok(resp) => {
                    let s = resp.status().as_u16();
                    ((200..300).contains(&s), Some(i32::from(s)), (!(200..300).contains(&s)).then(|| format!("HTTP {s}")))
                }
                Err(e) => (false, None, Some(e.to_string())),
            };
            let target = wd::table.find(*id);
            let outcome = if ok { "delivered" } else if attempts >= MAX_ATTEMPTS { "failed" } else { "retry" };
            crate::metrics::WEBHOOKS.with_label_values(&[outcome]).inc();
            if ok {
                diesel::update(target)
                    .set((wd::status.eq("delivered"), wd::attempts.eq(attempts), wd::last_status.eq(status), wd::last_error.eq(None::<String>), wd::delivered_at.eq(diesel::dsl::now)))
                    .execute(c)?;
            } else {
                let next = Utc::now() + chrono::Duration::milliseconds(backoff_ms(config.backoff_ms, attempts - 1) as i64);
                let final_status = if attempts >= MAX_ATTEMPTS { "failed" } else { "pending" };
                diesel::update(target)
                    .set((wd::status.eq(final_status), wd::attempts.eq(attempts), wd::last_status.eq(status), wd::last_error.eq(error), wd::next_attempt_at.eq(next)))
                    .execute(c)?;
            }
        }
        Ok(due.len())
    })
}
