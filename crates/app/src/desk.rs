//! The desk's workflows: a referral prepared and sent, answered by either side, expired when
//! nobody answers in time; the personal details of inactive contacts erased. Each checks what
//! the actor may do and writes the referral, its event and its e-mail notices in one
//! transaction, so no referral changes without its notice and no notice goes out for a change
//! that lost a race.

use chrono::{DateTime, Duration, Utc};
use crocevia_core::access::Role;
use crocevia_core::clock::Clock;
use crocevia_core::desk::audit::Actor;
use crocevia_core::desk::referral::{self, Deadlines};
use crocevia_core::desk::{
    ConsentRecord, Contact, DeskError, Need, Referral, ReferralAction, ReferralEvent,
    ReferralState, SharedField, SharedPerson, Side, check_referral_consent,
};
use crocevia_core::hsds::Record;
use crocevia_store::desk::{DeskStore, OutgoingMail};
use crocevia_store::{AccountStore, DirectoryRead, StoreError};

/// How the desk behaves: deadlines for a first answer and how long an inactive contact's
/// personal details are kept.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DeskSettings {
    pub deadlines: Deadlines,
    /// Contacts with no activity for this many days are erased (personal details removed).
    pub retention_days: i64,
    /// How often the jobs (expiry, retention, e-mail) run.
    pub jobs_interval: std::time::Duration,
}

impl Default for DeskSettings {
    fn default() -> Self {
        DeskSettings {
            deadlines: Deadlines::default(),
            retention_days: 730,
            jobs_interval: std::time::Duration::from_secs(30),
        }
    }
}

/// Why a desk workflow did not happen.
#[derive(Debug, thiserror::Error)]
pub enum DeskFlowError {
    /// The contact, need, service, its organisation or the referral does not exist for this
    /// actor (another organisation's records are "not found", never "forbidden").
    #[error("not found")]
    NotFound,
    /// A referral to the actor's own organisation.
    #[error("a referral goes to another organisation")]
    OwnOrganization,
    /// The person's consents or the referral's state do not allow it.
    #[error(transparent)]
    Refused(#[from] DeskError),
    /// Someone else moved the referral first (the answer is not written).
    #[error("the referral changed meanwhile")]
    ChangedMeanwhile,
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl DeskFlowError {
    pub fn code(&self) -> &'static str {
        match self {
            DeskFlowError::NotFound => "not_found",
            DeskFlowError::OwnOrganization => "own_organization",
            DeskFlowError::Refused(e) => e.code(),
            DeskFlowError::ChangedMeanwhile => "changed_meanwhile",
            DeskFlowError::Store(e) => e.code(),
        }
    }
}

/// The desk's use cases over a store offering the desk, accounts (for notices) and the
/// directory (services and their organisations).
pub struct Desk<'a, S: ?Sized> {
    pub store: &'a S,
    pub clock: &'a dyn Clock,
    pub settings: &'a DeskSettings,
    /// The server's public URL, without a trailing slash: notices link to it.
    pub public_url: &'a str,
}

/// A referral about to be made, as [`Desk::prepare_referral`] found it for the actor: the
/// person, the need, the service, who runs it and the person's consents. Only this crate
/// makes one (`non_exhaustive`), so holding a draft means the actor may see all of it.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct ReferralDraft {
    pub contact: Contact,
    pub need: Need,
    pub service: Record,
    pub organization: Record,
    pub consents: Vec<ConsentRecord>,
}

/// What the operator chose on the referral form.
#[derive(Debug, Clone, Default)]
pub struct ReferralChoices {
    pub shared: Vec<SharedField>,
    pub message: String,
    /// A coordinator's reason to refer without the person's referral consent (logged with
    /// the referral); ignored for roles that may not override consent.
    pub override_reason: String,
}

/// Rows a job handles per pass (the next pass takes the rest).
const BATCH: u32 = 500;

impl<S> Desk<'_, S>
where
    S: DeskStore + AccountStore + DirectoryRead + ?Sized,
{
    /// Finds what a referral of the contact's need to the service involves, if the actor's
    /// organisation keeps the contact (audited: a read of the contact).
    pub async fn prepare_referral(
        &self,
        actor: &Actor,
        contact_id: &str,
        need_id: &str,
        service_id: &str,
    ) -> Result<ReferralDraft, DeskFlowError> {
        let contact = self
            .store
            .contact(actor, contact_id)
            .await?
            .ok_or(DeskFlowError::NotFound)?;
        let need = self
            .store
            .needs_of(contact_id)
            .await?
            .into_iter()
            .find(|n| n.id == need_id)
            .ok_or(DeskFlowError::NotFound)?;
        let service = self
            .store
            .get("service", service_id)
            .await?
            .ok_or(DeskFlowError::NotFound)?;
        let organization_id = service.text("organization_id").unwrap_or_default();
        let organization = self
            .store
            .get("organization", organization_id)
            .await?
            .ok_or(DeskFlowError::NotFound)?;
        let consents = self.store.consents(contact_id).await?;
        Ok(ReferralDraft {
            contact,
            need,
            service,
            organization,
            consents,
        })
    }

    /// When a referral sent now for this need would be due.
    pub fn due_now(&self, need: &Need) -> DateTime<Utc> {
        self.settings
            .deadlines
            .due_at(self.clock.now(), need.urgency)
    }

    /// Sends the referral: another organisation only, with the person's referral consent
    /// (or a coordinator's reason), personal details only with the consent to be contacted.
    /// The referral, its `send` event and a notice to each desk account of the receiver are
    /// written together.
    pub async fn send_referral(
        &self,
        actor: &Actor,
        role: Role,
        draft: &ReferralDraft,
        choices: ReferralChoices,
    ) -> Result<Referral, DeskFlowError> {
        let to_organization = draft.organization.id.clone();
        if to_organization == actor.organization_id {
            return Err(DeskFlowError::OwnOrganization);
        }
        let reason = (role.may_override_consent() && !choices.override_reason.is_empty())
            .then_some(choices.override_reason);
        check_referral_consent(&draft.consents, &choices.shared, reason.as_deref())?;
        let now = self.clock.now();
        let referral = Referral {
            id: uuid::Uuid::new_v4().to_string(),
            contact_id: draft.contact.id.clone(),
            need_id: draft.need.id.clone(),
            from_organization_id: actor.organization_id.clone(),
            from_account_id: actor.account_id.clone(),
            service_id: draft.service.id.clone(),
            to_organization_id: to_organization,
            state: ReferralState::Sent,
            shared: choices.shared,
            message: choices.message,
            urgency: draft.need.urgency,
            sent_at: now,
            due_at: self.settings.deadlines.due_at(now, draft.need.urgency),
            updated_at: now,
            consent_override: reason,
        };
        let sent = ReferralEvent {
            referral_id: referral.id.clone(),
            at: now,
            account_id: actor.account_id.clone(),
            side: Side::Sender,
            action: "send".into(),
            code: None,
            note: String::new(),
            from_state: None,
            to_state: ReferralState::Sent,
        };
        let person = SharedPerson::of(&draft.contact, &draft.need, &referral.shared, now);
        let mails = self
            .notices(&referral.to_organization_id, "received", &referral.id, now)
            .await?;
        self.store
            .create_referral(actor, &referral, &person, &sent, &mails)
            .await?;
        tracing::info!(referral = %referral.id, to = %referral.to_organization_id, "referral sent");
        Ok(referral)
    }

    /// One side's answer (accept, decline, start, complete, close, cancel) with its note;
    /// the other side is told. Returns the referral's new state.
    pub async fn act(
        &self,
        actor: &Actor,
        referral_id: &str,
        action: ReferralAction,
        note: String,
    ) -> Result<ReferralState, DeskFlowError> {
        let view = self
            .store
            .referral(actor, referral_id)
            .await?
            .ok_or(DeskFlowError::NotFound)?;
        let r = &view.referral;
        let side = if r.from_organization_id == actor.organization_id {
            Side::Sender
        } else {
            Side::Receiver
        };
        let to_state = referral::transition(r.state, action, side).map_err(DeskError::from)?;
        let now = self.clock.now();
        let event = ReferralEvent {
            referral_id: r.id.clone(),
            at: now,
            account_id: actor.account_id.clone(),
            side,
            action: action.name().to_owned(),
            code: action.code().map(str::to_owned),
            note,
            from_state: Some(r.state),
            to_state,
        };
        let (other, kind) = match side {
            Side::Sender => (&r.to_organization_id, "cancelled"),
            _ => (&r.from_organization_id, "answered"),
        };
        let mails = self.notices(other, kind, &r.id, now).await?;
        if !self
            .store
            .transition_referral(actor, &event, &mails)
            .await?
        {
            return Err(DeskFlowError::ChangedMeanwhile);
        }
        Ok(to_state)
    }

    /// Expires every referral still unanswered past its deadline and tells its sender;
    /// returns how many.
    pub async fn expire_overdue(&self) -> Result<usize, StoreError> {
        let now = self.clock.now();
        let system = Actor::system();
        let mut expired = 0;
        for r in self.store.overdue_referrals(now, BATCH).await? {
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
            let mails = self
                .notices(&r.from_organization_id, "expired", &r.id, now)
                .await?;
            // Another server (or an answer arriving now) may have moved it first: then it
            // stays, and so do the notices.
            if self
                .store
                .transition_referral(&system, &event, &mails)
                .await?
            {
                tracing::info!(referral = %r.id, "referral expired without an answer");
                expired += 1;
            }
        }
        Ok(expired)
    }

    /// Erases the personal details of contacts with no activity for the retention period;
    /// returns how many.
    pub async fn erase_inactive(&self) -> Result<usize, StoreError> {
        let now = self.clock.now();
        let before = now - Duration::days(self.settings.retention_days);
        let mut erased = 0;
        for id in self.store.inactive_contacts(before, BATCH).await? {
            if self.store.erase_contact(&Actor::system(), &id, now).await? {
                erased += 1;
            }
        }
        if erased > 0 {
            tracing::info!(erased, "inactive contacts erased (retention)");
        }
        Ok(erased)
    }

    /// An e-mail notice to each desk account of an organisation: a link in the account's
    /// language, no personal data.
    async fn notices(
        &self,
        organization_id: &str,
        kind: &str,
        referral_id: &str,
        now: DateTime<Utc>,
    ) -> Result<Vec<OutgoingMail>, StoreError> {
        let accounts = self.store.accounts_of(organization_id).await?;
        Ok(accounts
            .into_iter()
            .filter(|account| account.role.may_use_desk())
            .map(|account| OutgoingMail {
                id: uuid::Uuid::new_v4().to_string(),
                link: format!(
                    "{}/{}/desk/referrals/{referral_id}",
                    self.public_url, account.language
                ),
                to: account.email,
                language: account.language,
                kind: kind.to_owned(),
                created_at: now,
                attempts: 0,
            })
            .collect())
    }
}

#[cfg(test)]
mod tests;
