//! Entries of the personal-data audit trail that no desk store method writes on its own:
//! survey exports and analyses, logins, password resets. Each is appended before the action
//! it records takes effect or is answered, so an action that could not be audited does not
//! happen.

use chrono::{DateTime, Utc};
use crocevia_core::desk::audit::{Actor, AuditAction, AuditEvent};
use crocevia_store::{Account, Store, StoreError};

/// `subject_kind` of entries about a survey's answers.
pub const SURVEY: &str = "survey";
/// `subject_kind` of entries about an account (logins, password resets).
pub const ACCOUNT: &str = "account";

/// Who acts when no one is logged in yet (a failed login).
pub fn anonymous() -> Actor {
    Actor {
        account_id: "anonymous".into(),
        organization_id: String::new(),
    }
}

/// An account acting for its organisation.
pub fn account_actor(account: &Account) -> Actor {
    Actor {
        account_id: account.id.clone(),
        organization_id: account.organization_id.clone(),
    }
}

/// Appends one entry about something that is not a person's record (`contact_id` empty).
pub async fn record(
    store: &dyn Store,
    at: DateTime<Utc>,
    actor: Actor,
    action: AuditAction,
    subject_kind: &str,
    subject_id: &str,
    detail: &str,
) -> Result<(), StoreError> {
    store
        .append_audit(&AuditEvent {
            at,
            actor,
            action,
            subject_kind: subject_kind.to_owned(),
            subject_id: subject_id.to_owned(),
            contact_id: String::new(),
            detail: detail.to_owned(),
        })
        .await
        .map(|_| ())
}

/// Records a login's outcome: success, or failure by account when the e-mail names one (the
/// reason in a word, never the password or the e-mail typed).
pub async fn login(
    store: &dyn Store,
    at: DateTime<Utc>,
    account: Option<&Account>,
    failure: Option<&str>,
) -> Result<(), StoreError> {
    let subject = account.map_or("", |a| a.id.as_str());
    match failure {
        None => {
            let actor = account.map_or_else(anonymous, account_actor);
            record(store, at, actor, AuditAction::Login, ACCOUNT, subject, "").await
        }
        Some(reason) => {
            record(
                store,
                at,
                anonymous(),
                AuditAction::LoginFailed,
                ACCOUNT,
                subject,
                reason,
            )
            .await
        }
    }
}
