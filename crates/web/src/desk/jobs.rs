//! The desk's background work: referrals still unanswered past their deadline expire (and
//! their senders are told), contacts inactive for the retention period are erased, and
//! queued e-mails go out. Each job is one function a test can call; [`run`] repeats them.

use std::time::Duration as StdDuration;

use chrono::Duration;
use crocevia_core::desk::audit::Actor;
use crocevia_core::desk::{ReferralAction, ReferralEvent, Side, referral};

use super::mail::{Mailer, send_pending};
use super::referrals::mail_organization;
use crate::AppState;
use crate::error::AppError;

/// Referrals handled per pass.
const BATCH: u32 = 500;

/// Expires every referral still `sent` past its deadline; returns how many.
pub async fn expire_overdue(state: &AppState) -> Result<usize, AppError> {
    let now = state.clock.now();
    let system = Actor::system();
    let mut expired = 0;
    for r in state.store.overdue_referrals(now, BATCH).await? {
        let Ok(to_state) = referral::transition(r.state, ReferralAction::Expire, Side::System)
        else {
            continue;
        };
        let event = ReferralEvent {
            referral_id: r.id.clone(),
            at: now,
            account_id: system.account_id.clone(),
            side: Side::System,
            action: ReferralAction::Expire.name().to_owned(),
            code: None,
            note: String::new(),
            from_state: Some(r.state),
            to_state,
        };
        // Another server (or an answer arriving now) may have moved it first: then it stays.
        if state.store.transition_referral(&system, &event).await? {
            mail_organization(state, &r.from_organization_id, "expired", &r.id, now).await?;
            tracing::info!(referral = %r.id, "referral expired without an answer");
            expired += 1;
        }
    }
    Ok(expired)
}

/// Erases the personal details of contacts with no activity for the retention period;
/// returns how many.
pub async fn erase_inactive(state: &AppState) -> Result<usize, AppError> {
    let now = state.clock.now();
    let before = now - Duration::days(state.config.desk.retention_days);
    let mut erased = 0;
    for id in state.store.inactive_contacts(before, BATCH).await? {
        if state
            .store
            .erase_contact(&Actor::system(), &id, now)
            .await?
        {
            erased += 1;
        }
    }
    if erased > 0 {
        tracing::info!(erased, "inactive contacts erased (retention)");
    }
    Ok(erased)
}

/// Runs the jobs every `every` until the task is dropped; errors are logged and retried on
/// the next round. Without a mailer, e-mails stay queued.
pub async fn run(state: AppState, every: StdDuration, mailer: Option<Mailer>) {
    let mut tick = tokio::time::interval(every);
    loop {
        tick.tick().await;
        if let Err(e) = expire_overdue(&state).await {
            tracing::warn!(error = %e.message, "expiring late referrals failed; will retry");
        }
        if let Err(e) = erase_inactive(&state).await {
            tracing::warn!(error = %e.message, "erasing inactive contacts failed; will retry");
        }
        if let Some(mailer) = &mailer
            && let Err(e) = send_pending(&state, mailer).await
        {
            tracing::warn!(error = %e.message, "sending e-mails failed; will retry");
        }
    }
}
