//! Validate-then-write for any batch of records (a file import, an API write): every problem
//! is reported by file, row and field, and nothing is written unless there are none.

use chrono::{DateTime, Utc};
use std::collections::HashSet;

use crocevia_core::hsds::ownership::{foreign_rows, parent_ids};
use crocevia_core::hsds::validate::{
    CheckedRead, ExistingRows, check_row, compare_with_stored, ids_to_look_up, sort_by_origin,
    validate_together,
};
use crocevia_core::hsds::{Problem, Record, SourcedRecord};

use crate::{Change, ChangeSet, DirectoryRead, DirectoryWrite, StoreError};

#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    #[error("{} problem(s) in the data; nothing was written", .0.len())]
    Invalid(Vec<Problem>),
    /// Every row is already in the directory with the same values: the same data was imported
    /// before. Refused so a repeated upload is noticed rather than silently accepted.
    #[error("all {0} rows are already in the directory, unchanged: this data was imported before")]
    AlreadyImported(usize),
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl ImportError {
    pub fn code(&self) -> &'static str {
        match self {
            ImportError::Invalid(_) => "invalid_data",
            ImportError::AlreadyImported(_) => "already_imported",
            ImportError::Store(e) => e.code(),
        }
    }
}

/// On whose behalf a batch is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Writer<'a> {
    /// The whole network: the command line, a network coordinator, the demo.
    Network,
    /// One organisation (a write-API token, an editor): every row the batch touches, as
    /// stored and as written, must be its own (see `crocevia_core::hsds::ownership`).
    Organization(&'a str),
}

/// What a successful write did.
#[derive(Debug)]
pub struct Applied {
    pub changes: Vec<Change>,
    /// Rows that were already there with the same values, so not written again.
    pub unchanged: usize,
}

/// Checks the batch against itself and the database, then writes it in one transaction.
/// `deletes` are applied in the same transaction (a replacement dropping old children).
pub async fn validate_and_apply<S: DirectoryRead + DirectoryWrite + ?Sized>(
    store: &S,
    mut batch: Vec<SourcedRecord>,
    mode: ExistingRows,
    deletes: Vec<(String, String)>,
    writer: Writer<'_>,
    actor: &str,
    at: DateTime<Utc>,
) -> Result<Applied, ImportError> {
    let mut problems = Vec::new();
    for row in &mut batch {
        check_row(row, &mut problems);
    }
    let checked = check(store, batch, problems, mode, &deletes, writer).await?;
    apply_checked(store, checked, mode, deletes, actor, at).await
}

/// Writes a checked batch, or says why not.
async fn apply_checked<S: DirectoryWrite + ?Sized>(
    store: &S,
    checked: Checked,
    mode: ExistingRows,
    deletes: Vec<(String, String)>,
    actor: &str,
    at: DateTime<Utc>,
) -> Result<Applied, ImportError> {
    let Checked {
        batch,
        problems,
        unchanged,
    } = checked;
    if !problems.is_empty() {
        return Err(ImportError::Invalid(problems));
    }
    if mode == ExistingRows::Refuse && batch.is_empty() && deletes.is_empty() && unchanged > 0 {
        return Err(ImportError::AlreadyImported(unchanged));
    }
    let changes = store
        .apply(ChangeSet {
            upserts: batch.into_iter().map(|s| s.record).collect(),
            deletes,
            actor: actor.to_owned(),
            at,
        })
        .await?;
    Ok(Applied { changes, unchanged })
}

/// A batch as validation left it, with every problem found in it: by itself, against the
/// stored rows and against the writer's ownership, in the order of the input.
struct Checked {
    batch: Vec<SourcedRecord>,
    problems: Vec<Problem>,
    /// Rows stored already with the same values (dropped from `batch`).
    unchanged: usize,
}

/// Checks rows already [checked one by one](check_row), whose problems are `problems`,
/// together and against the database.
async fn check<S: DirectoryRead + ?Sized>(
    store: &S,
    mut batch: Vec<SourcedRecord>,
    mut problems: Vec<Problem>,
    mode: ExistingRows,
    deletes: &[(String, String)],
    writer: Writer<'_>,
) -> Result<Checked, StoreError> {
    let existing = store.existing(&ids_to_look_up(&batch)).await?;
    problems.extend(validate_together(&mut batch, &existing));
    let own_ids: Vec<String> = batch.iter().map(|s| s.record.id.clone()).collect();
    let stored = store.get_many(None, &own_ids).await?;
    let comparison = compare_with_stored(&mut batch, &stored, mode);
    problems.extend(comparison.problems);
    problems.extend(ownership_problems(store, &batch, deletes, stored, writer).await?);
    sort_by_origin(&mut problems);
    Ok(Checked {
        batch,
        problems,
        unchanged: comparison.unchanged,
    })
}

/// The rows of the batch (and deleted) that `writer` may not write. `stored` holds the
/// stored versions of the batch's rows; their parents and the deleted rows are loaded a
/// generation at a time until every owner is known.
async fn ownership_problems<S: DirectoryRead + ?Sized>(
    store: &S,
    batch: &[SourcedRecord],
    deletes: &[(String, String)],
    mut stored: Vec<Record>,
    writer: Writer<'_>,
) -> Result<Vec<Problem>, StoreError> {
    let Writer::Organization(organization_id) = writer else {
        return Ok(Vec::new());
    };
    let mut asked: HashSet<String> = stored.iter().map(|r| r.id.clone()).collect();
    asked.extend(batch.iter().map(|s| s.record.id.clone()));
    let mut wanted: Vec<String> = deletes.iter().map(|(_, id)| id.clone()).collect();
    let records = batch.iter().map(|s| &s.record).chain(&stored);
    wanted.extend(records.flat_map(parent_ids).map(str::to_owned));
    loop {
        wanted.retain(|id| asked.insert(id.clone()));
        if wanted.is_empty() {
            break;
        }
        let found = store.get_many(None, &wanted).await?;
        wanted = found
            .iter()
            .flat_map(parent_ids)
            .map(str::to_owned)
            .collect();
        stored.extend(found);
    }
    Ok(foreign_rows(organization_id, batch, deletes, &stored))
}

/// Imports what a reader made of some files (the CLI's `import`, the back office's upload):
/// cells that could not be read are reported together with everything validation finds in
/// the rest, so one round of fixes is enough; nothing is written unless there are none.
/// Problems come in the order of the input.
pub async fn import_read<S: DirectoryRead + DirectoryWrite + ?Sized>(
    store: &S,
    read: CheckedRead,
    mode: ExistingRows,
    writer: Writer<'_>,
    actor: &str,
    at: DateTime<Utc>,
) -> Result<Applied, ImportError> {
    // The import fails anyway: rows already there are not reported too, which would bury
    // the problem to fix.
    let mode = if read.unreadable() {
        ExistingRows::Replace
    } else {
        mode
    };
    let outcome = read.into_outcome();
    let checked = check(store, outcome.records, outcome.problems, mode, &[], writer).await?;
    apply_checked(store, checked, mode, Vec::new(), actor, at).await
}
