//! The desk's background work, repeated by [`run`]: referrals still unanswered past their
//! deadline expire (and their senders are told), contacts inactive for the retention period
//! are erased (both `crocevia_app::desk` use cases), and queued e-mails go out.

use std::time::Duration as StdDuration;

use super::mail::{Mailer, send_pending};
use crate::AppState;

/// Runs the jobs every `every` until the task is dropped; errors are logged and retried on
/// the next round. Without a mailer, e-mails stay queued.
pub async fn run(state: AppState, every: StdDuration, mailer: Option<Mailer>) {
    let mut tick = tokio::time::interval(every);
    loop {
        tick.tick().await;
        let desk = state.desk();
        if let Err(e) = desk.expire_overdue().await {
            tracing::warn!(error = %e, "expiring late referrals failed; will retry");
        }
        if let Err(e) = desk.erase_inactive().await {
            tracing::warn!(error = %e, "erasing inactive contacts failed; will retry");
        }
        if let Some(mailer) = &mailer
            && let Err(e) = send_pending(&state, mailer).await
        {
            tracing::warn!(error = %e.message, "sending e-mails failed; will retry");
        }
    }
}
