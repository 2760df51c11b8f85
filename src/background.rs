//! The service's background threads (the version listener, the webhook worker) and their
//! orderly stop: they must be finished before the process exits, because libpq (and the TLS
//! library under it) is torn down at exit and a thread still inside it would crash.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::Duration;

#[derive(Clone, Default)]
pub struct Background {
    inner: Arc<Inner>,
}

#[derive(Default)]
struct Inner {
    stop: AtomicBool,
    handles: Mutex<Vec<JoinHandle<()>>>,
}

impl Background {
    pub fn new() -> Self {
        Self::default()
    }

    /// Runs `f` on a named thread; `f` should return soon after [`Background::stopping`] turns true.
    pub fn spawn(&self, name: &str, f: impl FnOnce(Background) + Send + 'static) {
        let me = self.clone();
        match std::thread::Builder::new()
            .name(name.to_owned())
            .spawn(move || f(me))
        {
            Ok(h) => self
                .inner
                .handles
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .push(h),
            Err(e) => {
                tracing::error!(thread = name, error = %e, "could not start a background thread")
            }
        }
    }

    pub fn stopping(&self) -> bool {
        self.inner.stop.load(Ordering::Acquire)
    }

    /// Sleeps up to `d`, waking early when a stop is asked.
    pub fn sleep(&self, d: Duration) {
        let step = Duration::from_millis(25);
        let mut left = d;
        while !self.stopping() && !left.is_zero() {
            let s = left.min(step);
            std::thread::sleep(s);
            left -= s;
        }
    }

    /// Asks every thread to stop and waits for them.
    pub fn shutdown(&self) {
        self.inner.stop.store(true, Ordering::Release);
        let handles: Vec<_> = self
            .inner
            .handles
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .drain(..)
            .collect();
        for h in handles {
            let _ = h.join();
        }
    }
}
