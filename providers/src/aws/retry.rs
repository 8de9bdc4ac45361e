//! Knowing whether an SDK call was retried.
//!
//! The SDK retries throttling, 5xx and dropped connections on its own. A create whose first
//! attempt reached AWS but whose response was lost comes back from the retry as "already
//! exists". [`RetryObserver`] (installed on every client) records, per apply operation, whether
//! any call needed more than one attempt; [`observe`] scopes that record to one operation and
//! [`was_retried`] reads it, so a create may adopt what its own lost attempt made instead of
//! failing, while a genuine name clash (no retry happened) is still an error.

use aws_smithy_runtime_api::box_error::BoxError;
use aws_smithy_runtime_api::client::interceptors::context::{
    BeforeSerializationInterceptorContextRef, BeforeTransmitInterceptorContextRef,
};
use aws_smithy_runtime_api::client::interceptors::Intercept;
use aws_smithy_runtime_api::client::runtime_components::RuntimeComponents;
use aws_smithy_types::config_bag::ConfigBag;
use aws_smithy_types::retry::RetryConfig;
use std::future::Future;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::Arc;

#[derive(Debug, Default)]
struct Counts {
    executions: AtomicU32,
    attempts: AtomicU32,
    /// Attempts beyond the first, summed over every call of the scope.
    retries: AtomicU32,
}

tokio::task_local! {
    static COUNTS: Arc<Counts>;
    /// Set by [`once`]: the calls of the scope are sent once, without the SDK's retries.
    static SINGLE_ATTEMPT: bool;
}

/// Runs `f` (one SDK call) with the SDK's retries off: a create that AWS does not make
/// idempotent must not be sent twice by the SDK (see [`super::intent`]).
pub async fn once<F: Future>(f: F) -> F::Output {
    SINGLE_ATTEMPT.scope(true, f).await
}

/// Runs `f` with a fresh retry record.
pub async fn observe<F: Future>(f: F) -> F::Output {
    COUNTS.scope(Arc::new(Counts::default()), f).await
}

/// Whether any SDK call made so far in the current [`observe`] scope was retried.
pub fn was_retried() -> bool {
    COUNTS
        .try_with(|c| c.retries.load(Ordering::SeqCst) > 0)
        .unwrap_or(false)
}

/// The number of retried attempts in the current scope (for tests and progress messages).
pub fn retries() -> u32 {
    COUNTS
        .try_with(|c| c.retries.load(Ordering::SeqCst))
        .unwrap_or(0)
}

/// Counts executions and attempts of SDK calls made inside an [`observe`] scope.
#[derive(Debug, Clone, Copy, Default)]
pub struct RetryObserver;

impl Intercept for RetryObserver {
    fn name(&self) -> &'static str {
        "sakk.RetryObserver"
    }

    fn read_before_execution(
        &self,
        _context: &BeforeSerializationInterceptorContextRef<'_>,
        cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        if SINGLE_ATTEMPT.try_with(|s| *s).unwrap_or(false) {
            // The standard retry strategy reads its configuration from the bag on every
            // decision: one attempt at most for this call.
            if let Some(rc) = cfg.load::<RetryConfig>().cloned() {
                cfg.interceptor_state().store_put(rc.with_max_attempts(1));
            }
        }
        let _ = COUNTS.try_with(|c| {
            c.executions.fetch_add(1, Ordering::SeqCst);
            c.attempts.store(0, Ordering::SeqCst);
        });
        Ok(())
    }

    fn read_before_attempt(
        &self,
        _context: &BeforeTransmitInterceptorContextRef<'_>,
        _runtime_components: &RuntimeComponents,
        _cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        let _ = COUNTS.try_with(|c| {
            if c.attempts.fetch_add(1, Ordering::SeqCst) >= 1 {
                c.retries.fetch_add(1, Ordering::SeqCst);
            }
        });
        Ok(())
    }
}
