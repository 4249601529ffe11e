//! Moving data in and out: HSDS import and export, the demo network, and the reference data a
//! new installation loads on first start. Progress shows on the terminal; problems are listed
//! by file, row and field.

use std::collections::{BTreeMap, BTreeSet, HashSet};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use crocevia_core::clock::Clock;
use crocevia_core::hsds::formats::{
    BUNDLE_LISTS, BundleWriter, NO_DATAPACKAGE, Reading, extension_fields, read_json_into,
    read_tabular_file, tabular_columns, tabular_datapackage, tabular_row,
};
use crocevia_core::hsds::nested::{Placed, RecordIndex};
use crocevia_core::hsds::schema::registry;
use crocevia_core::hsds::validate::{CheckedRead, ExistingRows, extra_fields, sourced};
use crocevia_core::hsds::{Problem, Record, SourcedRecord};
use crocevia_core::taxonomy;
use crocevia_store::desk::Pathway;
use crocevia_store::import::{ImportError, Writer, import_read, validate_and_apply};
use crocevia_store::{Store, load_owned};
use indicatif::{ProgressBar, ProgressStyle};

/// Problems printed on the terminal; the full list goes to `--report`.
const SHOWN_PROBLEMS: usize = 200;
/// Of those, the most printed while reading: the rest are for what only the whole input
/// shows (dangling references, duplicates, rows already in the directory).
const SHOWN_WHILE_READING: usize = 150;

pub(crate) fn spinner(message: &str) -> ProgressBar {
    let bar = ProgressBar::new_spinner();
    bar.set_style(ProgressStyle::with_template("{spinner} {msg} [{elapsed}]").expect("template"));
    bar.set_message(message.to_owned());
    bar.enable_steady_tick(Duration::from_millis(120));
    bar
}

pub(crate) fn counting_bar(len: u64, message: &str) -> ProgressBar {
    let bar = ProgressBar::new(len);
    bar.set_style(
        ProgressStyle::with_template("{msg} {bar:30} {pos}/{len} [{elapsed}]").expect("template"),
    );
    bar.set_message(message.to_owned());
    bar
}

/// Reads an HSDS package from disk into `out`, a file at a time: a directory of CSV files
/// (with its datapackage.json), or a JSON/NDJSON file.
pub fn read_package(path: &Path, out: &mut dyn Reading) -> Result<()> {
    let read = |p: &Path| std::fs::read(p).with_context(|| format!("cannot read {}", p.display()));
    let name_of = |p: &Path| {
        p.file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default()
    };
    if !path.is_dir() {
        read_json_into(&name_of(path), &read(path)?, out);
        return Ok(());
    }
    let mut files: Vec<PathBuf> = std::fs::read_dir(path)
        .with_context(|| format!("cannot list {}", path.display()))?
        .filter_map(|e| e.ok())
        .map(|e| e.path())
        .filter(|p| p.is_file())
        .collect();
    files.sort();
    let names: Vec<String> = files.iter().map(|p| name_of(p)).collect();
    if !names.iter().any(|n| n.ends_with(".csv")) {
        bail!(
            "{} holds no CSV files: an HSDS tabular package is a directory of CSV files with datapackage.json",
            path.display()
        );
    }
    if !names.iter().any(|n| n == "datapackage.json") {
        out.warning(NO_DATAPACKAGE.to_owned());
    }
    for (file, name) in files.iter().zip(&names) {
        read_tabular_file(name, &read(file)?, out);
    }
    Ok(())
}

/// Rows checked as they are read, counted on the terminal with their rate, and the first
/// problems printed as soon as they are found (the rest of the input is still read, so one
/// round of fixes is enough).
struct TerminalReading {
    read: CheckedRead,
    bar: ProgressBar,
    shown: HashSet<Problem>,
}

impl TerminalReading {
    fn new() -> Self {
        let bar = ProgressBar::new_spinner();
        bar.set_style(
            ProgressStyle::with_template(
                "{spinner} reading and checking: {human_pos} rows, {per_sec} [{elapsed}]",
            )
            .expect("template"),
        );
        bar.enable_steady_tick(Duration::from_millis(120));
        TerminalReading {
            read: CheckedRead::default(),
            bar,
            shown: HashSet::new(),
        }
    }

    /// Prints the problems found since the `from`th, while fewer than
    /// [`SHOWN_WHILE_READING`] are shown.
    fn show_from(&mut self, from: usize) {
        for problem in &self.read.problems()[from..] {
            if self.shown.len() >= SHOWN_WHILE_READING {
                return;
            }
            self.bar.suspend(|| {
                if self.shown.is_empty() {
                    eprintln!("Problems found (reading goes on; nothing will be written):");
                }
                eprintln!("  {problem}");
            });
            self.shown.insert(problem.clone());
        }
    }
}

impl Reading for TerminalReading {
    fn row(&mut self, row: SourcedRecord) {
        let before = self.read.problems().len();
        self.read.row(row);
        self.show_from(before);
        self.bar.inc(1);
    }

    fn problem(&mut self, problem: Problem) {
        let before = self.read.problems().len();
        self.read.problem(problem);
        self.show_from(before);
    }

    fn warning(&mut self, warning: String) {
        self.bar.suspend(|| eprintln!("warning: {warning}"));
    }
}

/// Lists what is wrong: the problems not shown while reading (found comparing rows with
/// each other and with the directory), within [`SHOWN_PROBLEMS`] in all; every one goes
/// to `report`.
fn print_problems(
    problems: &[Problem],
    shown: &HashSet<Problem>,
    report: Option<&Path>,
) -> Result<()> {
    let mut by_code: BTreeMap<&str, usize> = BTreeMap::new();
    for p in problems {
        *by_code.entry(p.code.as_str()).or_default() += 1;
    }
    let by_code: Vec<String> = by_code.iter().map(|(c, n)| format!("{n} {c}")).collect();
    eprintln!(
        "The import was refused: {} problem(s) ({}). Nothing was written.",
        problems.len(),
        by_code.join(", ")
    );
    let unshown: Vec<&Problem> = problems.iter().filter(|p| !shown.contains(*p)).collect();
    let room = SHOWN_PROBLEMS.saturating_sub(shown.len());
    if !shown.is_empty() && !unshown.is_empty() && room > 0 {
        eprintln!("Besides those listed above:");
    }
    for p in unshown.iter().take(room) {
        eprintln!("  {p}");
    }
    let listed = shown.len() + unshown.len().min(room);
    if problems.len() > listed {
        eprintln!(
            "  … and {} more (use --report FILE for the full list)",
            problems.len() - listed
        );
    }
    if let Some(path) = report {
        std::fs::write(path, serde_json::to_vec_pretty(problems)?)
            .with_context(|| format!("cannot write the report to {}", path.display()))?;
        eprintln!("Full report: {}", path.display());
    }
    Ok(())
}

/// Imports HSDS packages in one transaction. Returns false (and writes nothing) when the
/// data has problems, after listing them.
pub async fn import_hsds(
    store: &dyn Store,
    clock: &dyn Clock,
    paths: &[PathBuf],
    replace: bool,
    report: Option<&Path>,
) -> Result<bool> {
    let started = Instant::now();
    let mut reading = TerminalReading::new();
    for path in paths {
        read_package(path, &mut reading)?;
    }
    let TerminalReading { read, bar, shown } = reading;
    bar.finish_and_clear();
    for (table, field) in extra_fields(read.records()) {
        eprintln!("warning: {table}.{field} is not in HSDS 3.0; kept as an extension field");
    }
    let rows = read.records().len();
    let bar = spinner(&format!(
        "checking {rows} rows together and against the directory, then writing them"
    ));
    let mode = if replace {
        ExistingRows::Replace
    } else {
        ExistingRows::Refuse
    };
    let result = import_read(store, read, mode, Writer::Network, "import", clock.now()).await;
    bar.finish_and_clear();
    match result {
        Ok(applied) => {
            let names: Vec<String> = paths.iter().map(|p| p.display().to_string()).collect();
            let seconds = started.elapsed().as_secs_f64();
            println!(
                "Imported {} rows from {} ({} already there, unchanged) in {seconds:.1} s, {:.0} rows/s.",
                applied.changes.len(),
                names.join(", "),
                applied.unchanged,
                rows as f64 / seconds.max(0.001),
            );
            Ok(true)
        }
        Err(ImportError::Invalid(problems)) => {
            print_problems(&problems, &shown, report)?;
            Ok(false)
        }
        Err(e @ ImportError::AlreadyImported(_)) => {
            eprintln!(
                "The import was refused: {e} [{}]. Use --replace to write it again.",
                e.code()
            );
            Ok(false)
        }
        Err(ImportError::Store(e)) => Err(e.into()),
    }
}

/// Writes the whole directory: CSV files plus datapackage.json into the directory `path`, or
/// one JSON document to the file `path`.
pub async fn export_hsds(store: &dyn Store, json: bool, path: &Path) -> Result<()> {
    if json {
        export_json(store, path, EXPORT_PAGE).await
    } else {
        export_tabular(store, path, EXPORT_PAGE).await
    }
}

/// Rows read per query by the exports.
const EXPORT_PAGE: u32 = 5_000;

/// The JSON bundle, a keyset page of organisations, services, taxonomies or terms at a time
/// with the rows each owns, then the rows no object holds (found by id against the rows
/// placed, 16 bytes each): memory is a page's, that set and one table's ids, whatever the
/// directory's size.
async fn export_json(store: &dyn Store, path: &Path, page_rows: u32) -> Result<()> {
    if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
        std::fs::create_dir_all(parent)?;
    }
    let mut counts = store.table_counts().await?;
    // In byte order, as the in-memory writer groups them, whatever the database's collation.
    counts.sort();
    let total: u64 = counts
        .iter()
        .map(|(_, n)| u64::try_from(*n).unwrap_or(0))
        .sum();
    let bar = counting_bar(total, "exporting rows");
    let tmp = path.with_extension("partial");
    let out =
        std::fs::File::create(&tmp).with_context(|| format!("cannot write {}", tmp.display()))?;
    let mut writer = BundleWriter::new(std::io::BufWriter::new(out))?;
    let mut placed = Placed::default();
    for (key, table) in BUNDLE_LISTS {
        writer.list(key)?;
        let mut pages = Pages::new(store, table, page_rows);
        while let Some(page) = pages.next().await? {
            let rows = load_owned(store, page.clone()).await?;
            let index = RecordIndex::new(&rows);
            for root in &page {
                writer.item(&index.assemble_owned(root, &mut placed))?;
            }
            bar.set_position(placed.len() as u64);
        }
    }
    let mut written = placed.len() as u64;
    for (table, _) in &counts {
        let left: Vec<String> = store
            .ids_of(table)
            .await?
            .into_iter()
            .filter(|id| !placed.contains(table, id))
            .collect();
        for chunk in left.chunks(page_rows as usize) {
            for record in store.get_many(Some(table), chunk).await? {
                writer.leftover(&record)?;
            }
            written += chunk.len() as u64;
            bar.set_position(written);
        }
    }
    writer.finish()?.into_inner()?.sync_all()?;
    std::fs::rename(&tmp, path).with_context(|| format!("cannot write {}", path.display()))?;
    bar.finish_and_clear();
    println!("Exported {written} rows to {}.", path.display());
    Ok(())
}

/// The tabular package, one table at a time and a page of rows at a time (keyset pages in id
/// order), so memory stays that of a page whatever the directory's size. Each table is read
/// twice: first for its extension columns (the header comes first), then to write its rows.
async fn export_tabular(store: &dyn Store, path: &Path, page_rows: u32) -> Result<()> {
    std::fs::create_dir_all(path).with_context(|| format!("cannot create {}", path.display()))?;
    let total: u64 = store
        .table_counts()
        .await?
        .iter()
        .map(|(_, n)| u64::try_from(*n).unwrap_or(0))
        .sum();
    let bar = counting_bar(total * 2, "exporting rows (each read twice)");
    let mut written = 0u64;
    for spec in registry().entities() {
        let mut extra = BTreeSet::new();
        let mut pages = Pages::new(store, spec.name, page_rows);
        while let Some(page) = pages.next().await? {
            for r in &page {
                extension_fields(spec, r, &mut extra);
            }
            bar.inc(page.len() as u64);
        }
        let columns = tabular_columns(spec, extra);
        let file = path.join(&spec.file);
        let tmp = file.with_extension("partial");
        let out = std::fs::File::create(&tmp)
            .with_context(|| format!("cannot write {}", tmp.display()))?;
        let mut writer = csv::Writer::from_writer(std::io::BufWriter::new(out));
        writer.write_record(&columns)?;
        let mut pages = Pages::new(store, spec.name, page_rows);
        while let Some(page) = pages.next().await? {
            for r in &page {
                writer.write_record(tabular_row(r, &columns))?;
            }
            written += page.len() as u64;
            bar.inc(page.len() as u64);
        }
        writer
            .into_inner()
            .map_err(|e| anyhow::anyhow!("cannot write {}: {e}", tmp.display()))?
            .into_inner()
            .map_err(|e| anyhow::anyhow!("cannot write {}: {e}", tmp.display()))?
            .sync_all()?;
        std::fs::rename(&tmp, &file).with_context(|| format!("cannot write {}", file.display()))?;
    }
    write_atomically(&path.join("datapackage.json"), &tabular_datapackage())?;
    bar.finish_and_clear();
    println!("Exported {written} rows to {}.", path.display());
    Ok(())
}

/// A table's rows a keyset page at a time, in id order.
struct Pages<'a> {
    store: &'a dyn Store,
    table: &'a str,
    page_rows: u32,
    /// The last id read; `None` once a short page showed the table has no more.
    after: Option<String>,
}

impl<'a> Pages<'a> {
    fn new(store: &'a dyn Store, table: &'a str, page_rows: u32) -> Self {
        Pages {
            store,
            table,
            page_rows,
            after: Some(String::new()),
        }
    }

    async fn next(&mut self) -> Result<Option<Vec<Record>>> {
        let Some(after) = self.after.take() else {
            return Ok(None);
        };
        let page = self
            .store
            .records_after(self.table, &after, self.page_rows)
            .await?;
        if page.len() == self.page_rows as usize {
            self.after = page.last().map(|last| last.id.clone());
        }
        Ok((!page.is_empty()).then_some(page))
    }
}

/// Writes through a temporary file and a rename, so a reader never sees half a file.
fn write_atomically(path: &Path, bytes: &[u8]) -> Result<()> {
    let tmp = path.with_extension("partial");
    std::fs::write(&tmp, bytes).with_context(|| format!("cannot write {}", tmp.display()))?;
    std::fs::rename(&tmp, path).with_context(|| format!("cannot write {}", path.display()))?;
    Ok(())
}

/// Loads what every installation needs, once: the needs taxonomy (refreshed when the shipped
/// version changes) and Italy's territories (when none are stored).
pub async fn load_reference_data(store: &dyn Store) -> Result<()> {
    let shipped = taxonomy::to_hsds_records();
    let current = store.get("taxonomy", taxonomy::TAXONOMY_ID).await?;
    let shipped_root = shipped.iter().find(|r| r.table == "taxonomy");
    if current.as_ref() != shipped_root {
        // The CLI loads reference data before any server (and its clock) exists.
        #[allow(clippy::disallowed_methods)]
        let at = chrono::Utc::now();
        validate_and_apply(
            store,
            sourced(shipped, "needs taxonomy"),
            ExistingRows::Replace,
            Vec::new(),
            Writer::Network,
            "reference-data",
            at,
        )
        .await
        .map_err(|e| anyhow::anyhow!("loading the needs taxonomy failed: {e}"))?;
        tracing::info!("needs taxonomy loaded");
    }
    let stored: Vec<String> = store
        .statistics_datasets()
        .await?
        .into_iter()
        .map(|(id, _)| id)
        .collect();
    let shipped = crocevia_core::statistics::DATASETS;
    if shipped.iter().any(|d| !stored.iter().any(|id| id == d.id)) {
        let started = std::time::Instant::now();
        let datasets = crocevia_core::statistics::load_embedded().map_err(|problems| {
            anyhow::anyhow!(
                "the shipped statistics are invalid; this is a bug, please report it: {}",
                problems
                    .iter()
                    .map(ToString::to_string)
                    .collect::<Vec<_>>()
                    .join("; ")
            )
        })?;
        let mut observations = 0;
        for dataset in datasets
            .iter()
            .filter(|d| !stored.iter().any(|id| id == d.info.id))
        {
            store.replace_dataset(dataset).await?;
            observations += dataset.observations.len();
        }
        tracing::info!(
            observations,
            ms = started.elapsed().as_millis() as u64,
            "official statistics loaded"
        );
    }
    if store.territory_counts().await?.2 == 0 {
        let started = std::time::Instant::now();
        let territories = crocevia_core::territory::load_embedded()
            .context("the shipped territory data is invalid; this is a bug, please report it")?;
        store.replace_territories(&territories).await?;
        tracing::info!(
            regions = territories.regions.len(),
            provinces = territories.provinces.len(),
            comuni = territories.comuni.len(),
            ms = started.elapsed().as_millis() as u64,
            "territories loaded"
        );
    }
    Ok(())
}

/// Loads the demo network unless it is there already.
pub async fn load_demo(store: &dyn Store, clock: &dyn Clock) -> Result<()> {
    let records = crocevia_core::demo::network(clock.now().date_naive());
    let first_org = records
        .iter()
        .find(|r| r.table == "organization")
        .context("the demo network has organisations")?;
    if store.get("organization", &first_org.id).await?.is_some() {
        // Protocols came after the first demo networks: bring them in (saving is idempotent).
        store.save_pathways(&Pathway::demo()).await?;
        println!("The demo network is already loaded.");
        return Ok(());
    }
    let services = records.iter().filter(|r| r.table == "service").count();
    let bar = spinner(&format!("loading the demo network ({services} services)"));
    let result = validate_and_apply(
        store,
        sourced(records, "demo"),
        ExistingRows::Refuse,
        Vec::new(),
        Writer::Network,
        "demo",
        clock.now(),
    )
    .await;
    bar.finish_and_clear();
    match result {
        Ok(applied) => {
            store.save_pathways(&Pathway::demo()).await?;
            println!(
                "Demo network loaded: {services} services, {} rows.",
                applied.changes.len()
            );
            Ok(())
        }
        Err(ImportError::Invalid(problems)) => {
            for p in problems.iter().take(20) {
                eprintln!("  {p}");
            }
            bail!(
                "the demo network is invalid ({} problems); this is a bug, please report it",
                problems.len()
            )
        }
        Err(ImportError::AlreadyImported(_)) => Ok(()),
        Err(ImportError::Store(e)) => Err(e.into()),
    }
}

/// Creates the demo accounts not created yet ([`crocevia_core::demo::accounts`]) and prints
/// them: they sign in only while a server runs with `--demo`.
pub async fn create_demo_accounts(store: &dyn Store, clock: &dyn Clock) -> Result<()> {
    use crocevia_core::demo::{DEMO_PASSWORD, accounts};
    use crocevia_store::StoreError;
    use crocevia_web::auth::{AccountError, create_account};
    println!("Demo accounts (password {DEMO_PASSWORD}; they sign in only with `serve --demo`):");
    for a in accounts() {
        let created = create_account(
            store,
            clock.now(),
            &a.organization_id,
            &a.email,
            a.display_name,
            a.role,
            DEMO_PASSWORD,
        )
        .await;
        match created {
            Ok(_) | Err(AccountError::Store(StoreError::AlreadyExists(_))) => {
                println!("  {:<12} {}", a.role, a.email);
            }
            Err(e) => bail!("the demo account {} could not be created: {e}", a.email),
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::disallowed_methods)]

    use chrono::{TimeZone, Utc};
    use crocevia_core::clock::FixedClock;
    use crocevia_core::hsds::formats::{write_json, write_tabular};

    use super::*;

    /// The paged exports write, byte for byte, what the whole directory in memory gives; pages
    /// of 7 rows make every table span several.
    #[tokio::test(flavor = "multi_thread")]
    async fn the_paged_exports_write_the_same_files_as_the_whole_directory() {
        let dir = tempfile::tempdir().unwrap();
        let store = crocevia_store_sql::open(
            &format!("sqlite://{}", dir.path().join("t.db").display()),
            crocevia_store_sql::test_support::audit_seal(),
        )
        .await
        .unwrap();
        let clock = FixedClock(Utc.with_ymd_and_hms(2026, 11, 20, 9, 0, 0).unwrap());
        load_reference_data(store.as_ref()).await.unwrap();
        load_demo(store.as_ref(), &clock).await.unwrap();
        let out = dir.path().join("package");
        export_tabular(store.as_ref(), &out, 7).await.unwrap();
        let whole = write_tabular(&store.all_records().await.unwrap());
        assert!(whole.len() > 10);
        for (name, bytes) in whole {
            let paged = std::fs::read(out.join(&name)).unwrap();
            assert!(paged == bytes, "{name} differs");
        }
        let json = dir.path().join("directory.json");
        export_json(store.as_ref(), &json, 7).await.unwrap();
        let whole = write_json(&store.all_records().await.unwrap());
        assert!(
            std::fs::read(&json).unwrap() == whole,
            "the JSON bundle differs"
        );
    }
}
