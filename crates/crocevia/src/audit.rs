//! The audit trail of personal data from the outside: the key file that seals its entries,
//! the signed checkpoints of its head, and `crocevia audit verify|checkpoint`.
//!
//! The key file holds the key and the sequence number from which entries are keyed; both are
//! outside the database, so someone who can only write to the database can neither recompute
//! a keyed entry nor pass one off as an old unkeyed one. The checkpoint file (and the server's
//! log) holds signed heads, so cutting the tail and rewriting the head shows too.

use std::io::Write as _;
use std::path::Path;
use std::process::ExitCode;

use anyhow::{Context, Result, bail};
use chrono::{DateTime, Utc};
use crocevia_core::desk::audit::{AuditKey, AuditSeal, ChainBreak, ChainVerifier, Checkpoint};
use crocevia_store::Store;
use rand::RngCore as _;

use crate::config::AuditSettings;

/// Entries read per query.
const PAGE: u32 = 10_000;

/// Exit code when the chain is broken.
const EXIT_TAMPERED: u8 = 3;

const KEY_FILE_HEADER: &str = "\
# Crocevia: the key that seals the audit trail of personal data.
# Keep it outside the database and its backups, readable only by the server (mode 0600).
# Every app server of one database needs this same file; without it the trail cannot be
# verified. Entries numbered keyed_from and after are sealed with the key.
";

/// Reads the key file: `None` when it does not exist.
pub fn load_key(path: &Path) -> Result<Option<AuditSeal>> {
    let text = match std::fs::read_to_string(path) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => {
            return Err(e).with_context(|| format!("cannot read the audit key {}", path.display()));
        }
    };
    let mut key = None;
    let mut keyed_from = None;
    for line in text.lines().map(str::trim) {
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        match line.split_once('=').map(|(k, v)| (k.trim(), v.trim())) {
            Some(("key", v)) => key = AuditKey::from_hex(v),
            Some(("keyed_from", v)) => keyed_from = v.parse::<i64>().ok(),
            _ => {}
        }
    }
    match (key, keyed_from) {
        (Some(key), Some(from)) if from >= 1 => Ok(Some(AuditSeal::keyed(key, from))),
        _ => bail!(
            "the audit key {} is damaged: it needs 'key = ' and 64 hexadecimal digits and \
             'keyed_from = ' a number; restore it from your copy",
            path.display()
        ),
    }
}

/// Creates a new key file whose key seals entries from `keyed_from` on; when another server
/// created it meanwhile, reads that one.
pub fn create_key(path: &Path, keyed_from: i64) -> Result<AuditSeal> {
    let mut bytes = [0u8; AuditKey::LEN];
    rand::rng().fill_bytes(&mut bytes);
    let key = AuditKey::from_bytes(bytes);
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir)
            .with_context(|| format!("cannot create the directory {}", dir.display()))?;
    }
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut file = match options.open(path) {
        Ok(file) => file,
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
            return load_key(path)?.context("the audit key appeared empty");
        }
        Err(e) => {
            return Err(e)
                .with_context(|| format!("cannot create the audit key {}", path.display()));
        }
    };
    write!(
        file,
        "{KEY_FILE_HEADER}key = {}\nkeyed_from = {keyed_from}\n",
        key.to_hex()
    )
    .and_then(|()| file.sync_all())
    .with_context(|| format!("cannot write the audit key {}", path.display()))?;
    tracing::warn!(
        key_file = %path.display(),
        keyed_from,
        "created a new audit key: back it up, and give every app server of this database the same file"
    );
    Ok(AuditSeal::keyed(key, keyed_from))
}

/// Signs the current head and appends it to `file`, and to the log.
pub async fn checkpoint(
    store: &dyn Store,
    seal: &AuditSeal,
    file: &Path,
    now: DateTime<Utc>,
) -> Result<Checkpoint> {
    let (seq, hash) = store
        .audit_head()
        .await?
        .unwrap_or((0, crocevia_core::desk::audit::GENESIS.to_owned()));
    let mark = seal
        .checkpoint(seq, &hash, now)
        .context("the store has no audit key: checkpoints need one")?;
    let line = mark.to_line();
    let mut out = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(file)
        .with_context(|| format!("cannot open the checkpoint file {}", file.display()))?;
    writeln!(out, "{line}")
        .and_then(|()| out.sync_data())
        .with_context(|| format!("cannot write to the checkpoint file {}", file.display()))?;
    tracing::info!(target: "crocevia::audit", checkpoint = %line, "audit checkpoint");
    Ok(mark)
}

/// Writes a checkpoint every `settings.checkpoint_interval` while the head moves.
pub async fn checkpoints_every(
    store: std::sync::Arc<dyn Store>,
    seal: AuditSeal,
    settings: AuditSettings,
    clock: std::sync::Arc<dyn crocevia_core::clock::Clock>,
) {
    let mut every = tokio::time::interval(settings.checkpoint_interval);
    every.tick().await;
    let mut last: Option<i64> = None;
    loop {
        every.tick().await;
        match store.audit_head().await {
            Ok(head) if head.as_ref().map(|h| h.0) == last => continue,
            Ok(_) => {}
            Err(e) => {
                tracing::warn!(error = %e, "audit checkpoint: will retry");
                continue;
            }
        }
        match checkpoint(
            store.as_ref(),
            &seal,
            &settings.checkpoint_file,
            clock.now(),
        )
        .await
        {
            Ok(mark) => last = Some(mark.seq),
            Err(e) => tracing::error!(error = %format!("{e:#}"), "audit checkpoint failed"),
        }
    }
}

/// Reads checkpoints from a file: its own lines, or lines of the server's text log that carry
/// one (`checkpoint={…}`); other lines are skipped.
fn read_checkpoints(path: &Path) -> Result<Vec<(usize, Checkpoint)>> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("cannot read the checkpoints {}", path.display()))?;
    let mut marks = Vec::new();
    for (n, line) in text.lines().enumerate() {
        if !line.contains("\"mac\"") {
            continue;
        }
        let json = match (line.find('{'), line.rfind('}')) {
            (Some(a), Some(b)) if a < b => &line[a..=b],
            _ => "",
        };
        let mark = Checkpoint::parse_line(json).with_context(|| {
            format!(
                "line {} of {} is not a checkpoint: give the checkpoint file or lines of the \
                 server's log",
                n + 1,
                path.display()
            )
        })?;
        marks.push((n + 1, mark));
    }
    Ok(marks)
}

/// `crocevia audit verify [--checkpoint FILE]`.
pub async fn verify(
    store: &dyn Store,
    seal: &AuditSeal,
    checkpoints: Option<&Path>,
) -> Result<ExitCode> {
    let mut verifier = ChainVerifier::new(seal.clone());
    let mut latest = None;
    if let Some(path) = checkpoints {
        let key = seal.key().context(
            "no audit key: checkpoints can only be checked with the key that signed them",
        )?;
        let marks = read_checkpoints(path)?;
        if let Some((line, bad)) = marks.iter().find(|(_, m)| !m.is_authentic(key)) {
            println!(
                "The checkpoint on line {line} of {} (entry {}, {}) is not signed with this \
                 audit key: the checkpoint file was edited, or the key is not the servers' key.",
                path.display(),
                bad.seq,
                bad.at
            );
            println!(
                "Check that the key file is the one the servers use; if it is, take the \
                 checkpoints from the copy of the server's log and investigate who wrote this file."
            );
            return Ok(ExitCode::from(EXIT_TAMPERED));
        }
        latest = marks.iter().map(|(_, m)| m.seq).max();
        verifier = verifier.with_checkpoints(marks.into_iter().map(|(_, m)| m));
    }
    let head = store.audit_head().await?;
    let total = head.as_ref().map_or(0, |(seq, _)| *seq);
    let bar = crate::transfer::counting_bar(u64::try_from(total).unwrap_or(0), "checking");
    let mut after = 0;
    let outcome = loop {
        let page = store.audit_entries(after, PAGE).await?;
        let Some(last) = page.last() else {
            break verifier.finish(head.as_ref().map(|(s, h)| (*s, h.as_str())));
        };
        after = last.seq;
        if let Some(broken) = page.iter().find_map(|e| verifier.push(e).err()) {
            break Err(broken);
        }
        bar.set_position(u64::try_from(after).unwrap_or(0));
    };
    bar.finish_and_clear();
    match outcome {
        Ok(checked) => {
            let keyed = match seal.keyed_from() {
                Some(1) => "all keyed".to_owned(),
                Some(n) => format!("keyed from entry {n}"),
                None => "unkeyed: anyone with database access could have rewritten them".to_owned(),
            };
            let against = latest.map_or(String::new(), |seq| {
                format!(", consistent with the checkpoints up to entry {seq}")
            });
            println!("The audit trail is intact: {checked} entries checked ({keyed}){against}.");
            Ok(ExitCode::SUCCESS)
        }
        Err(broken) => {
            println!("The audit trail has been tampered with: {broken}.");
            println!("{}", advice(&broken, seal));
            Ok(ExitCode::from(EXIT_TAMPERED))
        }
    }
}

/// What to do about a break.
fn advice(broken: &ChainBreak, seal: &AuditSeal) -> String {
    let seq = broken.first_bad_seq();
    let keyed = seal.keyed_from().is_some_and(|from| seq >= from);
    let cause = match broken {
        ChainBreak::Changed { .. } if keyed => format!(
            "Entry {seq} does not carry the seal of the audit key: it was edited and its hash \
             recomputed without the key (or this is not the servers' key file)."
        ),
        ChainBreak::CutBelowCheckpoint { .. } | ChainBreak::Truncated { .. } => {
            format!("Entries from {seq} on were deleted after they had been written.")
        }
        _ => format!("Entries from {seq} on cannot be trusted."),
    };
    format!(
        "{cause} Keep the database as it is for investigation, restore the last backup taken \
         before the tampering on another server, and compare the entries from {seq} on."
    )
}

/// `crocevia audit checkpoint [--out FILE]`.
pub async fn checkpoint_now(
    store: &dyn Store,
    seal: &AuditSeal,
    out: &Path,
    now: DateTime<Utc>,
) -> Result<ExitCode> {
    let mark = checkpoint(store, seal, out, now).await?;
    println!(
        "Checkpoint of entry {} written to {}.",
        mark.seq,
        out.display()
    );
    Ok(ExitCode::SUCCESS)
}
