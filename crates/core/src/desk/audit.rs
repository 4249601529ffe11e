//! The audit trail of personal data: every read and write of a person's record is one entry,
//! and each entry's hash covers the one before, so changing or deleting an entry breaks the
//! chain from there on. The store also keeps the head (last sequence number and hash) apart,
//! so cutting entries off the end shows too.

use chrono::{DateTime, SecondsFormat, Utc};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// The `prev_hash` of the first entry.
pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// What was done with personal data.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AuditAction {
    Read,
    Create,
    Update,
    /// Shared with another organisation (a referral).
    Share,
    /// Exported (GDPR access request).
    Export,
    /// Personal fields removed (GDPR erasure or retention).
    Erase,
}

impl AuditAction {
    pub const ALL: [AuditAction; 6] = [
        AuditAction::Read,
        AuditAction::Create,
        AuditAction::Update,
        AuditAction::Share,
        AuditAction::Export,
        AuditAction::Erase,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            AuditAction::Read => "read",
            AuditAction::Create => "create",
            AuditAction::Update => "update",
            AuditAction::Share => "share",
            AuditAction::Export => "export",
            AuditAction::Erase => "erase",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|v| v.as_str() == s)
    }
}

/// Who does something with personal data, and for which organisation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Actor {
    /// An account id, or `system` for background jobs.
    pub account_id: String,
    pub organization_id: String,
}

impl Actor {
    pub fn system() -> Self {
        Actor {
            account_id: "system".into(),
            organization_id: String::new(),
        }
    }
}

/// What an entry records, before the chain gives it a number and a hash.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditEvent {
    pub at: DateTime<Utc>,
    pub actor: Actor,
    pub action: AuditAction,
    /// `contact`, `need`, `referral`.
    pub subject_kind: String,
    pub subject_id: String,
    /// The person the data is about, so an export lists who read their record.
    pub contact_id: String,
    /// Which fields or which purpose, in a few words, never the values.
    pub detail: String,
}

/// One link of the chain.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditEntry {
    pub seq: i64,
    pub event: AuditEvent,
    pub prev_hash: String,
    pub hash: String,
}

impl AuditEntry {
    /// Links `event` after the entry numbered `prev_seq` with hash `prev_hash`.
    pub fn chain(prev_seq: i64, prev_hash: &str, event: AuditEvent) -> Self {
        let seq = prev_seq + 1;
        let hash = entry_hash(seq, &event, prev_hash);
        AuditEntry {
            seq,
            event,
            prev_hash: prev_hash.to_owned(),
            hash,
        }
    }
}

/// The hash of an entry: SHA-256 over an unambiguous (JSON array) encoding of every field
/// and the previous hash.
pub fn entry_hash(seq: i64, event: &AuditEvent, prev_hash: &str) -> String {
    let encoded = serde_json::to_string(&(
        "crocevia-audit-v1",
        seq,
        event.at.to_rfc3339_opts(SecondsFormat::Micros, true),
        &event.actor.account_id,
        &event.actor.organization_id,
        event.action.as_str(),
        &event.subject_kind,
        &event.subject_id,
        &event.contact_id,
        &event.detail,
        prev_hash,
    ))
    .expect("strings and numbers encode");
    Sha256::digest(encoded.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// Where the chain breaks.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ChainBreak {
    #[error("entry {seq} was changed: its hash does not match its content")]
    Changed { seq: i64 },
    #[error("entries between {after} and {next} are missing")]
    Missing { after: i64, next: i64 },
    #[error("entry {seq} does not follow the entry before it: an entry was changed or replaced")]
    Unlinked { seq: i64 },
    #[error("the log ends at entry {last} but its head says {head}: entries were cut off the end")]
    Truncated { last: i64, head: i64 },
    #[error("the log's head hash does not match its last entry {seq}")]
    HeadMismatch { seq: i64 },
}

/// Checks the chain entry by entry, in sequence order, so a long log can be read in pages.
#[derive(Debug, Clone)]
pub struct ChainVerifier {
    last_seq: i64,
    last_hash: String,
    checked: u64,
}

impl Default for ChainVerifier {
    fn default() -> Self {
        ChainVerifier {
            last_seq: 0,
            last_hash: GENESIS.to_owned(),
            checked: 0,
        }
    }
}

impl ChainVerifier {
    /// Checks the next entry against the one before.
    pub fn push(&mut self, entry: &AuditEntry) -> Result<(), ChainBreak> {
        if entry.seq != self.last_seq + 1 {
            return Err(ChainBreak::Missing {
                after: self.last_seq,
                next: entry.seq,
            });
        }
        if entry.prev_hash != self.last_hash {
            return Err(ChainBreak::Unlinked { seq: entry.seq });
        }
        if entry_hash(entry.seq, &entry.event, &entry.prev_hash) != entry.hash {
            return Err(ChainBreak::Changed { seq: entry.seq });
        }
        self.last_seq = entry.seq;
        self.last_hash.clone_from(&entry.hash);
        self.checked += 1;
        Ok(())
    }

    /// Compares the end of the chain with the stored head (last seq, last hash); returns how
    /// many entries were checked.
    pub fn finish(self, head: Option<(i64, &str)>) -> Result<u64, ChainBreak> {
        let (head_seq, head_hash) = head.unwrap_or((0, GENESIS));
        if head_seq != self.last_seq {
            return Err(ChainBreak::Truncated {
                last: self.last_seq,
                head: head_seq,
            });
        }
        if head_hash != self.last_hash {
            return Err(ChainBreak::HeadMismatch { seq: self.last_seq });
        }
        Ok(self.checked)
    }
}

/// Walks a whole chain in sequence order; `head` is the stored (last seq, last hash).
pub fn verify<'a>(
    entries: impl IntoIterator<Item = &'a AuditEntry>,
    head: Option<(i64, &str)>,
) -> Result<u64, ChainBreak> {
    let mut verifier = ChainVerifier::default();
    for entry in entries {
        verifier.push(entry)?;
    }
    verifier.finish(head)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event(n: u32) -> AuditEvent {
        AuditEvent {
            at: DateTime::parse_from_rfc3339("2026-05-01T10:00:00.123456Z")
                .unwrap()
                .to_utc(),
            actor: Actor {
                account_id: format!("acc-{n}"),
                organization_id: "org".into(),
            },
            action: AuditAction::Read,
            subject_kind: "contact".into(),
            subject_id: format!("c-{n}"),
            contact_id: format!("c-{n}"),
            detail: String::new(),
        }
    }

    fn chain(n: u32) -> Vec<AuditEntry> {
        let mut entries: Vec<AuditEntry> = Vec::new();
        for i in 0..n {
            let (seq, hash) = entries
                .last()
                .map_or((0, GENESIS.to_owned()), |e| (e.seq, e.hash.clone()));
            entries.push(AuditEntry::chain(seq, &hash, event(i)));
        }
        entries
    }

    fn head(entries: &[AuditEntry]) -> Option<(i64, &str)> {
        entries.last().map(|e| (e.seq, e.hash.as_str()))
    }

    #[test]
    fn an_intact_chain_verifies() {
        let entries = chain(5);
        assert_eq!(verify(&entries, head(&entries)), Ok(5));
        assert_eq!(verify(&[], None), Ok(0));
    }

    #[test]
    fn a_changed_entry_is_detected() {
        let mut entries = chain(5);
        let h = head(&entries).map(|(s, h)| (s, h.to_owned()));
        entries[2].event.actor.account_id = "someone-else".into();
        let h = h.as_ref().map(|(s, h)| (*s, h.as_str()));
        assert_eq!(verify(&entries, h), Err(ChainBreak::Changed { seq: 3 }));
    }

    #[test]
    fn a_rehashed_entry_breaks_the_next_link() {
        let mut entries = chain(5);
        let h = head(&entries).map(|(s, h)| (s, h.to_owned()));
        entries[1].event.detail = "edited".into();
        entries[1].hash = entry_hash(2, &entries[1].event, &entries[1].prev_hash);
        let h = h.as_ref().map(|(s, h)| (*s, h.as_str()));
        assert_eq!(verify(&entries, h), Err(ChainBreak::Unlinked { seq: 3 }));
    }

    #[test]
    fn deleted_entries_are_detected_in_the_middle_and_at_the_end() {
        let mut entries = chain(5);
        let h = head(&entries).map(|(s, h)| (s, h.to_owned()));
        let h = h.as_ref().map(|(s, h)| (*s, h.as_str()));
        let mut middle = entries.clone();
        middle.remove(2);
        assert_eq!(
            verify(&middle, h),
            Err(ChainBreak::Missing { after: 2, next: 4 })
        );
        entries.pop();
        assert_eq!(
            verify(&entries, h),
            Err(ChainBreak::Truncated { last: 4, head: 5 })
        );
    }
}
