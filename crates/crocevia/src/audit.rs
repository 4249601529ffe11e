//! `crocevia audit verify`: walks the hash chain of the personal-data audit trail.

use std::process::ExitCode;

use anyhow::Result;
use crocevia_core::desk::audit::ChainVerifier;
use crocevia_store::Store;

/// Entries read per query.
const PAGE: u32 = 10_000;

/// Exit code when the chain is broken.
const EXIT_TAMPERED: u8 = 3;

pub async fn verify(store: &dyn Store) -> Result<ExitCode> {
    let head = store.audit_head().await?;
    let total = head.as_ref().map_or(0, |(seq, _)| *seq);
    let bar = crate::transfer::counting_bar(u64::try_from(total).unwrap_or(0), "checking");
    let mut verifier = ChainVerifier::default();
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
            println!("The audit trail is intact: {checked} entries checked.");
            Ok(ExitCode::SUCCESS)
        }
        Err(broken) => {
            println!("The audit trail has been tampered with: {broken}.");
            println!(
                "Keep the database as it is for investigation, restore the last backup on another \
                 server and compare the entries from there on."
            );
            Ok(ExitCode::from(EXIT_TAMPERED))
        }
    }
}
