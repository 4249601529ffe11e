//! The audit trail of personal data: every read and write of a person's record is one entry,
//! and each entry's hash covers the one before, so changing or deleting an entry breaks the
//! chain from there on. The store also keeps the head (last sequence number and hash) apart,
//! so cutting entries off the end shows too.
//!
//! Against someone who can write to the database (an insider, a stolen backup restored with
//! edits) the chain alone is not enough: they could recompute every hash after an edit, or cut
//! the tail and rewrite the head. So:
//! - entries are sealed with a key kept outside the database ([`AuditKey`]): from the sequence
//!   number [`AuditSeal::keyed_from`] on, an entry's hash is an HMAC-SHA256, which cannot be
//!   recomputed without the key. Entries written before keying keep their plain SHA-256
//!   (version 1); where keying starts is recorded outside the database with the key, so a
//!   recomputed entry cannot pass for an old unkeyed one;
//! - the server writes signed [`Checkpoint`]s of the head outside the database; verification
//!   against them shows a cut tail even when the head was rewritten to match.
use chrono::{DateTime, SecondsFormat, Utc};
use hmac::{Hmac, Mac};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

type HmacSha256 = Hmac<Sha256>;

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
    /// A survey's answers tabulated (the analysis page).
    Analyse,
    /// A read of another organisation's record, refused (the desk answered "not found").
    Refused,
    /// A successful login to the back office or the desk (subject: the account).
    Login,
    /// A failed login (subject: the account when the e-mail names one; never the password).
    LoginFailed,
    /// An account's password set by an admin or from the command line.
    PasswordReset,
}

impl AuditAction {
    pub const ALL: [AuditAction; 11] = [
        AuditAction::Read,
        AuditAction::Create,
        AuditAction::Update,
        AuditAction::Share,
        AuditAction::Export,
        AuditAction::Erase,
        AuditAction::Analyse,
        AuditAction::Refused,
        AuditAction::Login,
        AuditAction::LoginFailed,
        AuditAction::PasswordReset,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            AuditAction::Read => "read",
            AuditAction::Create => "create",
            AuditAction::Update => "update",
            AuditAction::Share => "share",
            AuditAction::Export => "export",
            AuditAction::Erase => "erase",
            AuditAction::Analyse => "analyse",
            AuditAction::Refused => "refused",
            AuditAction::Login => "login",
            AuditAction::LoginFailed => "login_failed",
            AuditAction::PasswordReset => "password_reset",
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
    /// `contact`, `need`, `referral`, `survey` (a form: exports and analyses of its answers),
    /// `account` (logins and password resets).
    pub subject_kind: String,
    pub subject_id: String,
    /// The person the data is about, so an export lists who read their record; empty when
    /// the entry is about no one person (a survey, an account).
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
    /// Links `event` after the entry numbered `prev_seq` with hash `prev_hash`, sealed as
    /// `seal` says for its sequence number.
    pub fn chain(prev_seq: i64, prev_hash: &str, event: AuditEvent, seal: &AuditSeal) -> Self {
        let seq = prev_seq + 1;
        let hash = seal.hash(seq, &event, prev_hash);
        AuditEntry {
            seq,
            event,
            prev_hash: prev_hash.to_owned(),
            hash,
        }
    }
}

/// The unambiguous (JSON array) encoding of every field of an entry and the previous hash,
/// tagged with the version of the hash.
fn encode(version: &str, seq: i64, event: &AuditEvent, prev_hash: &str) -> String {
    serde_json::to_string(&(
        version,
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
    .expect("strings and numbers encode")
}

/// The version-1 hash of an entry (before keying): SHA-256 of its encoding. Anyone can
/// recompute it; kept for entries written before the key existed.
pub fn entry_hash(seq: i64, event: &AuditEvent, prev_hash: &str) -> String {
    hex::encode(Sha256::digest(
        encode("crocevia-audit-v1", seq, event, prev_hash).as_bytes(),
    ))
}

/// The version-2 hash of an entry: HMAC-SHA256 of its encoding with the audit key.
pub fn keyed_entry_hash(key: &AuditKey, seq: i64, event: &AuditEvent, prev_hash: &str) -> String {
    hex::encode(key.mac(encode("crocevia-audit-v2", seq, event, prev_hash).as_bytes()))
}

/// The secret that seals audit entries and signs checkpoints: 32 random bytes kept outside the
/// database. Its `Debug` prints nothing of it.
#[derive(Clone, PartialEq, Eq)]
pub struct AuditKey([u8; 32]);

impl AuditKey {
    pub const LEN: usize = 32;

    pub fn from_bytes(bytes: [u8; 32]) -> Self {
        AuditKey(bytes)
    }

    /// Parses 64 hexadecimal digits.
    pub fn from_hex(text: &str) -> Option<Self> {
        let bytes = hex::decode(text.trim()).ok()?;
        Some(AuditKey(bytes.try_into().ok()?))
    }

    /// The key as 64 hexadecimal digits, for writing the key file.
    pub fn to_hex(&self) -> String {
        hex::encode(self.0)
    }

    fn hmac(&self) -> HmacSha256 {
        HmacSha256::new_from_slice(&self.0).expect("HMAC takes a key of any length")
    }

    fn mac(&self, message: &[u8]) -> Vec<u8> {
        let mut mac = self.hmac();
        mac.update(message);
        mac.finalize().into_bytes().to_vec()
    }

    /// Whether `tag_hex` is the MAC of `message`, compared in constant time.
    fn verifies(&self, message: &[u8], tag_hex: &str) -> bool {
        let Ok(tag) = hex::decode(tag_hex) else {
            return false;
        };
        let mut mac = self.hmac();
        mac.update(message);
        mac.verify_slice(&tag).is_ok()
    }
}

impl std::fmt::Debug for AuditKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("AuditKey(…)")
    }
}

/// How entries are sealed: plain SHA-256 (version 1) below `keyed_from`, HMAC-SHA256 with the
/// key (version 2) from it on. Where keying starts is known from outside the database (the key
/// file), never from the entries themselves.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditSeal {
    key: Option<AuditKey>,
    keyed_from: i64,
}

impl AuditSeal {
    /// Entries numbered `keyed_from` and after are sealed with `key`.
    pub fn keyed(key: AuditKey, keyed_from: i64) -> Self {
        AuditSeal {
            key: Some(key),
            keyed_from: keyed_from.max(1),
        }
    }

    /// No key: every entry is a plain SHA-256 chain, which anyone with write access to the
    /// database can recompute. For tests and tools that do not care.
    pub fn unkeyed() -> Self {
        AuditSeal {
            key: None,
            keyed_from: i64::MAX,
        }
    }

    pub fn key(&self) -> Option<&AuditKey> {
        self.key.as_ref()
    }

    /// The first keyed sequence number, if there is a key.
    pub fn keyed_from(&self) -> Option<i64> {
        self.key.as_ref().map(|_| self.keyed_from)
    }

    /// The hash entry `seq` must carry.
    pub fn hash(&self, seq: i64, event: &AuditEvent, prev_hash: &str) -> String {
        match &self.key {
            Some(key) if seq >= self.keyed_from => keyed_entry_hash(key, seq, event, prev_hash),
            _ => entry_hash(seq, event, prev_hash),
        }
    }

    /// Signs the head (`seq`, `hash`) as seen at `at`; `None` without a key.
    pub fn checkpoint(&self, seq: i64, hash: &str, at: DateTime<Utc>) -> Option<Checkpoint> {
        self.key
            .as_ref()
            .map(|key| Checkpoint::sign(key, seq, hash, at))
    }
}

/// The head of the chain as the server saw it at a moment, signed with the audit key, and
/// kept outside the database (a file, the server's log). The entry `seq` must still be there
/// with this hash; fewer entries mean the log was cut.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Checkpoint {
    pub seq: i64,
    pub hash: String,
    pub at: DateTime<Utc>,
    /// HMAC-SHA256 of the other fields with the audit key, hexadecimal.
    pub mac: String,
}

impl Checkpoint {
    fn message(seq: i64, hash: &str, at: DateTime<Utc>) -> String {
        serde_json::to_string(&(
            "crocevia-audit-checkpoint-v1",
            seq,
            hash,
            at.to_rfc3339_opts(SecondsFormat::Micros, true),
        ))
        .expect("strings and numbers encode")
    }

    pub fn sign(key: &AuditKey, seq: i64, hash: &str, at: DateTime<Utc>) -> Self {
        let at = DateTime::parse_from_rfc3339(&at.to_rfc3339_opts(SecondsFormat::Micros, true))
            .map_or(at, |t| t.to_utc());
        Checkpoint {
            seq,
            hash: hash.to_owned(),
            at,
            mac: hex::encode(key.mac(Self::message(seq, hash, at).as_bytes())),
        }
    }

    /// Whether the signature is the key's over these fields.
    pub fn is_authentic(&self, key: &AuditKey) -> bool {
        key.verifies(
            Self::message(self.seq, &self.hash, self.at).as_bytes(),
            &self.mac,
        )
    }

    /// One line of JSON, as appended to the checkpoint file.
    pub fn to_line(&self) -> String {
        serde_json::to_string(self).expect("strings and numbers encode")
    }

    pub fn parse_line(line: &str) -> Option<Self> {
        serde_json::from_str(line).ok()
    }
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
    #[error(
        "entry {seq} is not the one the checkpoint of {at} recorded: it was rewritten after the checkpoint"
    )]
    CheckpointMismatch { seq: i64, at: DateTime<Utc> },
    #[error(
        "the log ends at entry {last} but the checkpoint of {at} recorded entry {checkpoint}: \
         entries were cut off the end and the head rewritten"
    )]
    CutBelowCheckpoint {
        last: i64,
        checkpoint: i64,
        at: DateTime<Utc>,
    },
}

impl ChainBreak {
    /// The first entry that cannot be trusted.
    pub fn first_bad_seq(&self) -> i64 {
        match *self {
            ChainBreak::Changed { seq }
            | ChainBreak::Unlinked { seq }
            | ChainBreak::HeadMismatch { seq }
            | ChainBreak::CheckpointMismatch { seq, .. } => seq,
            ChainBreak::Missing { after, .. } => after + 1,
            ChainBreak::Truncated { last, .. } | ChainBreak::CutBelowCheckpoint { last, .. } => {
                last + 1
            }
        }
    }
}

/// Checks the chain entry by entry, in sequence order, so a long log can be read in pages.
#[derive(Debug, Clone)]
pub struct ChainVerifier {
    seal: AuditSeal,
    /// Checkpoints not yet reached, by sequence number.
    checkpoints: std::collections::BTreeMap<i64, Vec<Checkpoint>>,
    last_seq: i64,
    last_hash: String,
    checked: u64,
}

impl ChainVerifier {
    pub fn new(seal: AuditSeal) -> Self {
        ChainVerifier {
            seal,
            checkpoints: std::collections::BTreeMap::new(),
            last_seq: 0,
            last_hash: GENESIS.to_owned(),
            checked: 0,
        }
    }

    /// Also checks that the chain holds these checkpoints (whose signatures the caller has
    /// checked): each one's entry is there with its hash.
    pub fn with_checkpoints(mut self, checkpoints: impl IntoIterator<Item = Checkpoint>) -> Self {
        for c in checkpoints {
            if c.seq > 0 {
                self.checkpoints.entry(c.seq).or_default().push(c);
            }
        }
        self
    }

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
        if self.seal.hash(entry.seq, &entry.event, &entry.prev_hash) != entry.hash {
            return Err(ChainBreak::Changed { seq: entry.seq });
        }
        if let Some(marks) = self.checkpoints.remove(&entry.seq)
            && let Some(c) = marks.into_iter().find(|c| c.hash != entry.hash)
        {
            return Err(ChainBreak::CheckpointMismatch {
                seq: entry.seq,
                at: c.at,
            });
        }
        self.last_seq = entry.seq;
        self.last_hash.clone_from(&entry.hash);
        self.checked += 1;
        Ok(())
    }

    /// Compares the end of the chain with the stored head (last seq, last hash) and the
    /// checkpoints beyond it; returns how many entries were checked.
    pub fn finish(self, head: Option<(i64, &str)>) -> Result<u64, ChainBreak> {
        if let Some(c) = self.checkpoints.values().flatten().max_by_key(|c| c.seq) {
            return Err(ChainBreak::CutBelowCheckpoint {
                last: self.last_seq,
                checkpoint: c.seq,
                at: c.at,
            });
        }
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
    seal: &AuditSeal,
) -> Result<u64, ChainBreak> {
    let mut verifier = ChainVerifier::new(seal.clone());
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

    fn key() -> AuditKey {
        AuditKey::from_bytes([7; 32])
    }

    fn sealed(n: u32, seal: &AuditSeal) -> Vec<AuditEntry> {
        let mut entries: Vec<AuditEntry> = Vec::new();
        for i in 0..n {
            let (seq, hash) = entries
                .last()
                .map_or((0, GENESIS.to_owned()), |e| (e.seq, e.hash.clone()));
            entries.push(AuditEntry::chain(seq, &hash, event(i), seal));
        }
        entries
    }

    fn chain(n: u32) -> Vec<AuditEntry> {
        sealed(n, &AuditSeal::unkeyed())
    }

    /// Rewrites every hash from entry `from` on as someone without the key would.
    fn recompute_unkeyed(entries: &mut [AuditEntry], from: usize) {
        for i in from..entries.len() {
            if i > 0 {
                entries[i].prev_hash = entries[i - 1].hash.clone();
            }
            let e = &entries[i];
            entries[i].hash = entry_hash(e.seq, &e.event, &e.prev_hash);
        }
    }

    fn head(entries: &[AuditEntry]) -> Option<(i64, &str)> {
        entries.last().map(|e| (e.seq, e.hash.as_str()))
    }

    #[test]
    fn an_intact_chain_verifies() {
        let entries = chain(5);
        assert_eq!(
            verify(&entries, head(&entries), &AuditSeal::unkeyed()),
            Ok(5)
        );
        assert_eq!(verify(&[], None, &AuditSeal::unkeyed()), Ok(0));
    }

    #[test]
    fn a_changed_entry_is_detected() {
        let mut entries = chain(5);
        let h = head(&entries).map(|(s, h)| (s, h.to_owned()));
        entries[2].event.actor.account_id = "someone-else".into();
        let h = h.as_ref().map(|(s, h)| (*s, h.as_str()));
        assert_eq!(
            verify(&entries, h, &AuditSeal::unkeyed()),
            Err(ChainBreak::Changed { seq: 3 })
        );
    }

    #[test]
    fn a_rehashed_entry_breaks_the_next_link() {
        let mut entries = chain(5);
        let h = head(&entries).map(|(s, h)| (s, h.to_owned()));
        entries[1].event.detail = "edited".into();
        entries[1].hash = entry_hash(2, &entries[1].event, &entries[1].prev_hash);
        let h = h.as_ref().map(|(s, h)| (*s, h.as_str()));
        assert_eq!(
            verify(&entries, h, &AuditSeal::unkeyed()),
            Err(ChainBreak::Unlinked { seq: 3 })
        );
    }

    #[test]
    fn deleted_entries_are_detected_in_the_middle_and_at_the_end() {
        let mut entries = chain(5);
        let h = head(&entries).map(|(s, h)| (s, h.to_owned()));
        let h = h.as_ref().map(|(s, h)| (*s, h.as_str()));
        let mut middle = entries.clone();
        middle.remove(2);
        assert_eq!(
            verify(&middle, h, &AuditSeal::unkeyed()),
            Err(ChainBreak::Missing { after: 2, next: 4 })
        );
        entries.pop();
        assert_eq!(
            verify(&entries, h, &AuditSeal::unkeyed()),
            Err(ChainBreak::Truncated { last: 4, head: 5 })
        );
    }

    #[test]
    fn a_chain_recomputed_without_the_key_fails_verification() {
        let seal = AuditSeal::keyed(key(), 1);
        let mut entries = sealed(5, &seal);
        assert_eq!(verify(&entries, head(&entries), &seal), Ok(5));
        // An insider edits entry 3 and recomputes the chain from there, head included.
        entries[2].event.actor.account_id = "someone-else".into();
        recompute_unkeyed(&mut entries, 2);
        let h = head(&entries).map(|(s, h)| (s, h.to_owned()));
        let h = h.as_ref().map(|(s, h)| (*s, h.as_str()));
        assert_eq!(
            verify(&entries, h, &seal),
            Err(ChainBreak::Changed { seq: 3 })
        );
        // The same recomputation with another key fails too.
        let other = AuditSeal::keyed(AuditKey::from_bytes([8; 32]), 1);
        let forged = sealed(5, &other);
        assert_eq!(
            verify(&forged, head(&forged), &seal),
            Err(ChainBreak::Changed { seq: 1 })
        );
    }

    #[test]
    fn entries_before_keying_verify_and_cannot_be_passed_off_after_it() {
        // Three entries written before the key existed, two after.
        let seal = AuditSeal::keyed(key(), 4);
        let mut entries = chain(3);
        let (seq, hash) = (entries[2].seq, entries[2].hash.clone());
        entries.push(AuditEntry::chain(seq, &hash, event(3), &seal));
        let (seq, hash) = (entries[3].seq, entries[3].hash.clone());
        entries.push(AuditEntry::chain(seq, &hash, event(4), &seal));
        assert_eq!(verify(&entries, head(&entries), &seal), Ok(5));
        // A keyed entry rewritten as an unkeyed one is caught.
        let mut rewritten = entries.clone();
        rewritten[4].event.detail = "edited".into();
        recompute_unkeyed(&mut rewritten, 4);
        let h = head(&rewritten).map(|(s, h)| (s, h.to_owned()));
        let h = h.as_ref().map(|(s, h)| (*s, h.as_str()));
        assert_eq!(
            verify(&rewritten, h, &seal),
            Err(ChainBreak::Changed { seq: 5 })
        );
        // Rewriting an old entry breaks the link of the first keyed one.
        let mut old = entries.clone();
        old[1].event.detail = "edited".into();
        recompute_unkeyed(&mut old, 1);
        let h = head(&old).map(|(s, h)| (s, h.to_owned()));
        let h = h.as_ref().map(|(s, h)| (*s, h.as_str()));
        assert_eq!(verify(&old, h, &seal), Err(ChainBreak::Changed { seq: 4 }));
    }

    #[test]
    fn checkpoints_catch_a_cut_tail_with_a_rewritten_head_and_a_rewritten_entry() {
        let seal = AuditSeal::keyed(key(), 1);
        let entries = sealed(5, &seal);
        let at = event(0).at;
        let mark = seal.checkpoint(4, &entries[3].hash, at).unwrap();
        assert!(mark.is_authentic(&key()));
        let line = mark.to_line();
        assert_eq!(Checkpoint::parse_line(&line), Some(mark.clone()));
        let check = |entries: &[AuditEntry]| {
            let mut v = ChainVerifier::new(seal.clone()).with_checkpoints([mark.clone()]);
            for e in entries {
                v.push(e)?;
            }
            v.finish(head(entries))
        };
        assert_eq!(check(&entries), Ok(5));
        // Cut after entry 2, head rewritten to match: the chain alone looks fine.
        let cut = &entries[..2];
        assert_eq!(verify(cut, head(cut), &seal), Ok(2));
        assert_eq!(
            check(cut),
            Err(ChainBreak::CutBelowCheckpoint {
                last: 2,
                checkpoint: 4,
                at: mark.at
            })
        );
        // A checkpoint whose fields were edited no longer verifies.
        let mut edited = mark.clone();
        edited.seq = 2;
        assert!(!edited.is_authentic(&key()));
        assert!(!mark.is_authentic(&AuditKey::from_bytes([8; 32])));
        // An entry replaced by a different, validly keyed one (the key leaked, say) differs
        // from the checkpoint.
        let mut replaced = entries[..4].to_vec();
        replaced[3] = AuditEntry::chain(3, &entries[2].hash, event(9), &seal);
        assert_eq!(
            check(&replaced),
            Err(ChainBreak::CheckpointMismatch {
                seq: 4,
                at: mark.at
            })
        );
    }

    #[test]
    fn the_key_is_not_printed() {
        let key = key();
        assert_eq!(format!("{key:?}"), "AuditKey(…)");
        let seal = AuditSeal::keyed(key.clone(), 1);
        assert!(!format!("{seal:?}").contains(&key.to_hex()));
        assert_eq!(AuditKey::from_hex(&key.to_hex()), Some(key));
        assert_eq!(AuditKey::from_hex("abcd"), None);
    }
}
