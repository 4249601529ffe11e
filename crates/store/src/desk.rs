//! What the desk keeps: contacts, consents, needs, referrals with their timelines,
//! notifications, and the hash-chained audit trail of personal data.
//!
//! Access is decided here, in the queries: a contact is found only by the organisation that
//! recorded it, a referral only by its sender and its receiver; anything else is "not found",
//! never "forbidden", so ids reveal nothing. Every method that returns or writes personal data
//! takes the [`Actor`] and appends to the audit trail in the same call (in the same
//! transaction for writes).

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use crocevia_core::desk::audit::{Actor, AuditEntry, AuditEvent, AuditSeal};
use crocevia_core::desk::{
    AgeBand, ConsentRecord, Contact, Need, Referral, ReferralEvent, ReferralState, Sex,
    SharedPerson,
};
use crocevia_core::taxonomy::TermCode;
use crocevia_core::territory::Comune;
use serde::Serialize;

use crate::Result;

/// Which referrals of an organisation to list.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    /// Sent by the organisation.
    Sent,
    /// Addressed to the organisation (its inbox).
    Received,
}

/// A referral as one side sees it: the referral, and the person as shared with the
/// receiver (for the sender, the same snapshot: what was shared).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ReferralView {
    pub referral: Referral,
    pub shared_person: SharedPerson,
    /// What the need is, as a code of the needs taxonomy.
    pub term: TermCode,
}

/// An in-app notice for an organisation about one of its referrals.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Notification {
    pub id: String,
    pub organization_id: String,
    pub referral_id: String,
    /// `received`, `answered`, `expired`, `closed`.
    pub kind: String,
    pub created_at: DateTime<Utc>,
    pub read_at: Option<DateTime<Utc>>,
}

/// An e-mail waiting to go out: the body is rendered from `kind` and `link` in `language`
/// when sent, and holds no personal data.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct OutgoingMail {
    pub id: String,
    pub to: String,
    pub language: String,
    pub kind: String,
    pub link: String,
    pub created_at: DateTime<Utc>,
    pub attempts: u32,
}

/// A service an operational protocol names as the pathway for a need.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Pathway {
    pub protocol: String,
    /// ISTAT code of the region (2 digits), province (3) or comune (6) where the protocol
    /// applies; empty for everywhere.
    pub territory: String,
    /// Needs-taxonomy code.
    pub term_code: String,
    pub service_id: String,
    /// Order within the protocol's list for the need.
    pub position: u32,
}

impl Pathway {
    /// The demo network's protocols, in order.
    pub fn demo() -> Vec<Pathway> {
        crocevia_core::demo::pathways()
            .into_iter()
            .enumerate()
            .map(|(position, p)| Pathway {
                protocol: p.protocol,
                territory: p.territory,
                term_code: p.need,
                service_id: p.service_id,
                position: u32::try_from(position).unwrap_or(u32::MAX),
            })
            .collect()
    }

    /// Whether the protocol applies to a person living in `comune`. A protocol bound to a
    /// territory says nothing for a person whose comune is unknown.
    pub fn applies_in(&self, comune: Option<&Comune>) -> bool {
        match (self.territory.len(), comune) {
            (0, _) => true,
            (_, None) => false,
            (2, Some(c)) => c.region_code == self.territory,
            (3, Some(c)) => c.province_code == self.territory,
            (_, Some(c)) => c.code == self.territory,
        }
    }
}

/// Everything held about one person, for an access request (GDPR art. 15).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PersonExport {
    pub contact: Contact,
    pub consents: Vec<ConsentRecord>,
    pub needs: Vec<Need>,
    pub referrals: Vec<ReferralView>,
    pub timelines: Vec<ReferralEvent>,
    /// Who read or changed the record, when.
    pub audit: Vec<AuditEntry>,
}

/// A need as the observatory counts it: coded facts of the need and of its person, never a
/// name, a note or a contact detail.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NeedFact {
    pub id: String,
    pub organization_id: String,
    pub term: TermCode,
    pub recorded_at: DateTime<Utc>,
    pub sex: Sex,
    pub birth_year: Option<i32>,
    pub age_band: Option<AgeBand>,
    pub citizenship: Option<String>,
    pub comune_code: Option<String>,
    /// The person's latest "statistics" consent is a yes: only then is the need counted.
    pub counted: bool,
}

/// A referral as the observatory counts it; the person's facts come from its need.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReferralFact {
    pub id: String,
    pub need_id: String,
    pub from_organization_id: String,
    pub to_organization_id: String,
    pub sent_at: DateTime<Utc>,
    pub state: ReferralState,
    /// The receiver's first answer (accepted or declined), if any.
    pub first_answer_at: Option<DateTime<Utc>>,
    /// The coded reason or outcome of the latest event that has one.
    pub code: Option<String>,
}

/// Change-log tables of the desk's facts, followed by the observatory (ids only: the log is
/// read by every app server, and shown on the directory's audit page without these).
pub const NEED_FACTS: &str = "desk_need";
pub const REFERRAL_FACTS: &str = "desk_referral";
pub const CONTACT_FACTS: &str = "desk_contact";

#[async_trait]
pub trait DeskStore: Send + Sync {
    /// Stores a new contact with its first consent records (audited: create).
    async fn create_contact(
        &self,
        actor: &Actor,
        contact: &Contact,
        consents: &[ConsentRecord],
    ) -> Result<()>;

    /// The contact, if the actor's organisation recorded it (audited: read).
    async fn contact(&self, actor: &Actor, id: &str) -> Result<Option<Contact>>;

    /// Contacts of the actor's organisation whose reference is `query` or whose name
    /// contains every word of it, most recently active first (audited: read, each).
    async fn find_contacts(&self, actor: &Actor, query: &str, limit: u32) -> Result<Vec<Contact>>;

    /// The actor organisation's contacts most recently active first, without their personal
    /// details (coded facts and reference only; not audited as a read of personal data).
    async fn recent_contacts(&self, actor: &Actor, limit: u32) -> Result<Vec<Contact>>;

    /// Replaces the contact's facts and personal details (audited: update). False when the
    /// actor's organisation has no such contact.
    async fn update_contact(
        &self,
        actor: &Actor,
        contact: &Contact,
        at: DateTime<Utc>,
    ) -> Result<bool>;

    /// Appends a consent record (audited: update). Withdrawing the consent to be contacted
    /// also removes the name and contact details, which were kept only with it. False when
    /// not found for the actor.
    async fn record_consent(
        &self,
        actor: &Actor,
        contact_id: &str,
        record: &ConsentRecord,
    ) -> Result<bool>;

    /// The contact's consent records, oldest first (the caller has found the contact).
    async fn consents(&self, contact_id: &str) -> Result<Vec<ConsentRecord>>;

    /// Stores a need of a contact of the actor's organisation (audited: create).
    async fn add_need(&self, actor: &Actor, need: &Need) -> Result<bool>;

    /// The contact's needs, oldest first (the caller has found the contact).
    async fn needs_of(&self, contact_id: &str) -> Result<Vec<Need>>;

    /// Stores a referral with its `send` event, its notification and the e-mail notices
    /// `mails` in one transaction (audited: share).
    async fn create_referral(
        &self,
        actor: &Actor,
        referral: &Referral,
        shared_person: &SharedPerson,
        event: &ReferralEvent,
        mails: &[OutgoingMail],
    ) -> Result<()>;

    /// The referral if the actor's organisation sent or receives it (audited: read).
    async fn referral(&self, actor: &Actor, id: &str) -> Result<Option<ReferralView>>;

    /// The organisation's referrals in one direction, newest first, optionally only in some
    /// states (not audited: the list shows no personal data; opening one is a read).
    async fn referrals_of(
        &self,
        organization_id: &str,
        direction: Direction,
        states: &[ReferralState],
        limit: u32,
    ) -> Result<Vec<ReferralView>>;

    /// The referrals made for one contact (the caller has found the contact).
    async fn referrals_of_contact(&self, contact_id: &str) -> Result<Vec<ReferralView>>;

    /// Moves a referral from `event.from_state` to `event.to_state` if it is still in the
    /// former (compare-and-set, so two people answering at once cannot both win), appends the
    /// event, notifies the other side and queues the e-mail notices `mails`, in one
    /// transaction. False (and nothing written) when it was no longer in that state.
    async fn transition_referral(
        &self,
        actor: &Actor,
        event: &ReferralEvent,
        mails: &[OutgoingMail],
    ) -> Result<bool>;

    /// The referral's timeline, oldest first.
    async fn referral_events(&self, referral_id: &str) -> Result<Vec<ReferralEvent>>;

    /// Referrals still awaiting an answer whose deadline is before `now`, network-wide
    /// (the expiry job and the coordinators' overdue list; no personal data).
    async fn overdue_referrals(&self, now: DateTime<Utc>, limit: u32) -> Result<Vec<Referral>>;

    /// The organisation's notifications, newest first.
    async fn notifications(&self, organization_id: &str, limit: u32) -> Result<Vec<Notification>>;
    async fn mark_notifications_read(&self, organization_id: &str, at: DateTime<Utc>)
    -> Result<()>;

    async fn queue_mail(&self, mail: &OutgoingMail) -> Result<()>;
    /// Mails not yet sent and tried fewer than `max_attempts` times, oldest first.
    async fn pending_mail(&self, limit: u32, max_attempts: u32) -> Result<Vec<OutgoingMail>>;
    /// Marks a mail sent, or counts a failed attempt.
    async fn mail_attempted(&self, id: &str, sent_at: Option<DateTime<Utc>>) -> Result<()>;

    /// Everything held about a contact of the actor's organisation (audited: export).
    async fn export_person(&self, actor: &Actor, contact_id: &str) -> Result<Option<PersonExport>>;

    /// Removes the contact's personal details everywhere (name, contact details, free notes,
    /// what referrals shared), keeping the coded facts for statistics (audited: erase).
    /// False when not found for the actor (the system actor erases any contact).
    async fn erase_contact(
        &self,
        actor: &Actor,
        contact_id: &str,
        at: DateTime<Utc>,
    ) -> Result<bool>;

    /// Ids of contacts not yet erased with no activity since `before` (the retention job).
    async fn inactive_contacts(&self, before: DateTime<Utc>, limit: u32) -> Result<Vec<String>>;

    /// Adds or replaces pathways (by protocol, need and service).
    async fn save_pathways(&self, pathways: &[Pathway]) -> Result<()>;

    /// The pathways for these needs-taxonomy codes, by position.
    async fn pathways_for(&self, term_codes: &[String]) -> Result<Vec<Pathway>>;

    /// Appends an entry to the audit trail outside any other write.
    async fn append_audit(&self, event: &AuditEvent) -> Result<AuditEntry>;

    /// Audit entries after `after_seq`, in order (for `crocevia audit verify`).
    async fn audit_entries(&self, after_seq: i64, limit: u32) -> Result<Vec<AuditEntry>>;

    /// Audit entries newest first, before `before_seq` when given, of actors of
    /// `organization_id` when given (for the back office's audit page).
    async fn audit_entries_before(
        &self,
        before_seq: Option<i64>,
        organization_id: Option<&str>,
        limit: u32,
    ) -> Result<Vec<AuditEntry>>;

    /// How this store seals the entries it appends (the key it was opened with).
    fn audit_seal(&self) -> &AuditSeal;

    /// The last entry's (seq, hash), kept apart from the entries.
    async fn audit_head(&self) -> Result<Option<(i64, String)>>;

    /// Needs with ids after `after`, in id order: the observatory's first load, page by page.
    async fn need_facts_after(&self, after: &str, limit: u32) -> Result<Vec<NeedFact>>;
    /// The needs with these ids, or of these contacts when `of_contacts`.
    async fn need_facts(&self, ids: &[String], of_contacts: bool) -> Result<Vec<NeedFact>>;
    /// Referrals with ids after `after`, in id order.
    async fn referral_facts_after(&self, after: &str, limit: u32) -> Result<Vec<ReferralFact>>;
    async fn referral_facts(&self, ids: &[String]) -> Result<Vec<ReferralFact>>;
}
