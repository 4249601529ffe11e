//! `crocevia bench search`: our search on a synthetic national directory, side by side with
//! what a deployer would pick instead (issue 7, section 4).
//!
//! 1. [`corpus`] generates the directory (deterministic: a fixed seed, our own RNG) and our
//!    index is built from it in a temporary directory (or in a server's data directory with
//!    `--load-into`), counting word frequencies on the way;
//! 2. [`queries`] draws the fixed query mix from those frequencies;
//! 3. our latency per query type (one thread), throughput with 1..=`--threads-max` threads,
//!    peak memory;
//! 4. the same documents and queries on bare tantivy ([`bare`]), SQLite FTS5 ([`fts5`]) and,
//!    when `CROCEVIA_TEST_PG` is set, PostgreSQL ([`pg`]); each query type has a time budget
//!    there, since ranking every match makes some of them take seconds;
//! 5. text tables on stdout, JSON with `--json`. Typesense and the HTTP path are measured by
//!    `scripts/bench-search`, from the files `--export-jsonl` and `--export-queries` write.

mod bare;
mod corpus;
mod directory;
mod fts5;
mod observatory;
mod pg;
mod queries;
mod rng;
mod xlsform;

use std::collections::BTreeMap;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use chrono::{DateTime, NaiveDate, TimeZone, Utc};
use clap::{Args, Subcommand};
use indicatif::{ProgressBar, ProgressStyle};
use serde::{Deserialize, Serialize};

use crocevia_core::service_doc::ServiceDoc;
use crocevia_search::SearchIndex;

use corpus::Corpus;
use queries::{BenchQuery, Kind, QuerySet, WordStats};

#[derive(Subcommand)]
pub enum BenchCommand {
    /// Service search on a synthetic national directory, against bare tantivy, SQLite FTS5
    /// and PostgreSQL (when CROCEVIA_TEST_PG is set).
    Search(SearchArgs),
    /// Internal: measures our search on an index `search` built, in a fresh process (as a
    /// server would answer), and writes the figures as JSON.
    #[command(hide = true)]
    SearchWorker(WorkerArgs),
    /// Surveys: validating and rendering the real 548-question form, exporting 100,000
    /// synthetic submissions as CSV and XLSX.
    Xlsform(xlsform::XlsformArgs),
    /// The observatory's dashboard queries over a synthetic national history (10 million
    /// needs, 3 million referrals), against DuckDB with --duckdb.
    Observatory(observatory::ObservatoryArgs),
    /// The directory's bulk paths on a synthetic national directory: import (NDJSON and CSV),
    /// export (CSV and JSON), reindex and the first start of a server, on SQLite and
    /// PostgreSQL, beside COPY, pg_dump and sqlite3 .dump.
    Directory(directory::DirectoryArgs),
}

#[derive(Args)]
pub struct WorkerArgs {
    #[arg(long)]
    index: PathBuf,
    #[arg(long)]
    queries: PathBuf,
    #[arg(long)]
    threads_max: usize,
    #[arg(long)]
    out: PathBuf,
}

#[derive(Args)]
pub struct SearchArgs {
    /// Services in the synthetic directory.
    #[arg(long, default_value_t = 100_000)]
    services: usize,
    /// Queries of each type in the mix.
    #[arg(long, default_value_t = 200)]
    queries_per_type: usize,
    /// Throughput is measured with 1 up to this many threads.
    #[arg(long, default_value_t = 2)]
    threads_max: usize,
    /// Also write the results as JSON.
    #[arg(long)]
    json: Option<PathBuf>,
    /// Seed of the directory and the queries.
    #[arg(long, default_value_t = 7)]
    seed: u64,
    /// Alternatives to measure, comma-separated: bare, fts5, pg (pg only when
    /// CROCEVIA_TEST_PG is set); "none" for none.
    #[arg(long, value_delimiter = ',', default_value = "bare,fts5,pg")]
    alternatives: Vec<String>,
    /// Time budget of each query type on each alternative, in seconds: slow engines run
    /// fewer queries (the count is printed).
    #[arg(long, default_value_t = 20.0)]
    budget_secs: f64,
    /// Write the generated services as JSON lines (for Typesense).
    #[arg(long)]
    export_jsonl: Option<PathBuf>,
    /// Write the queries as JSON.
    #[arg(long)]
    export_queries: Option<PathBuf>,
    /// Build our index in DIR/search, for `crocevia --data-dir DIR serve` (SQLite), instead
    /// of a temporary directory; it is kept.
    #[arg(long, value_name = "DIR")]
    load_into: Option<PathBuf>,
    /// Where temporary indexes and databases go (default: the system's temporary directory).
    #[arg(long)]
    work_dir: Option<PathBuf>,
    /// Measure our search in the process that built the index instead of a fresh one (it
    /// is slower there: see docs/benchmarks.md).
    #[arg(long)]
    measure_in_builder: bool,
}

/// The directory's "today" (verification dates count back from it) and the queries' "now"
/// (a Wednesday, 10:30 in Rome), fixed so every run sees the same open services.
fn today() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 11, 16).expect("a date")
}

fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 18, 9, 30, 0)
        .single()
        .expect("a time")
}

const CHUNK: usize = 1000;

pub async fn run(command: BenchCommand) -> Result<ExitCode> {
    match command {
        BenchCommand::Search(args) => search(args).await,
        BenchCommand::SearchWorker(args) => tokio::task::block_in_place(|| worker(&args)),
        BenchCommand::Xlsform(args) => xlsform::run(args).await,
        BenchCommand::Observatory(args) => tokio::task::block_in_place(|| observatory::run(&args)),
        BenchCommand::Directory(args) => tokio::task::block_in_place(|| directory::run(&args)),
    }
}

// ---------------------------------------------------------------------------------------------
// Report
// ---------------------------------------------------------------------------------------------

#[derive(Debug, Clone, Serialize, Deserialize)]
struct Latency {
    /// Queries timed.
    n: usize,
    p50_ms: f64,
    p95_ms: f64,
    p99_ms: f64,
    mean_ms: f64,
    max_ms: f64,
    /// Hits returned per query, on average.
    hits: f64,
    /// Services matching per query, on average (our search only: it counts them).
    #[serde(skip_serializing_if = "Option::is_none")]
    total: Option<f64>,
}

impl Latency {
    fn of(mut samples: Vec<Duration>, hits: &[usize], totals: Option<&[u64]>) -> Option<Latency> {
        if samples.is_empty() {
            return None;
        }
        samples.sort_unstable();
        let n = samples.len();
        let ms = |d: Duration| d.as_secs_f64() * 1000.0;
        let rank = |q: f64| samples[((q * n as f64).ceil() as usize).clamp(1, n) - 1];
        let mean = samples.iter().map(|d| ms(*d)).sum::<f64>() / n as f64;
        let avg = |v: &[f64]| {
            if v.is_empty() {
                0.0
            } else {
                v.iter().sum::<f64>() / v.len() as f64
            }
        };
        Some(Latency {
            n,
            p50_ms: ms(rank(0.50)),
            p95_ms: ms(rank(0.95)),
            p99_ms: ms(rank(0.99)),
            mean_ms: mean,
            max_ms: ms(samples[n - 1]),
            hits: avg(&hits.iter().map(|h| *h as f64).collect::<Vec<_>>()),
            total: totals.map(|t| avg(&t.iter().map(|x| *x as f64).collect::<Vec<_>>())),
        })
    }
}

#[derive(Debug, Default, Clone, Serialize)]
struct EngineReport {
    name: String,
    build_s: Option<f64>,
    /// Of which generating the documents (interleaved with indexing).
    generation_s: Option<f64>,
    /// Indexing alone: ours, the time spent in `upsert` and `commit` (tantivy's indexing
    /// thread overlaps with generation); the others, `build_s - generation_s`.
    index_s: Option<f64>,
    size_bytes: Option<u64>,
    segments: Option<usize>,
    /// Per query type; `None`: the engine cannot express it.
    kinds: BTreeMap<String, Option<Latency>>,
    /// Over every query it ran.
    overall: Option<Latency>,
    /// A trivial statement's round trip (SQL engines).
    ping_ms: Option<f64>,
    notes: Vec<String>,
}

#[derive(Debug, Serialize, Deserialize)]
struct Throughput {
    threads: usize,
    queries: usize,
    seconds: f64,
    qps: f64,
}

#[derive(Debug, Default, Serialize)]
struct Memory {
    /// Peak resident memory while generating the directory and building our index (VmHWM,
    /// reset before).
    build_peak_bytes: Option<u64>,
    /// Peak resident memory of the process that opened the index and ran the searches
    /// (with `--measure-in-builder`, the builder's).
    search_peak_bytes: Option<u64>,
    /// Resident memory at the end of the searches.
    search_rss_bytes: Option<u64>,
    /// Peak over the whole run, alternatives included (not PostgreSQL's own processes).
    process_peak_bytes: Option<u64>,
}

#[derive(Debug, Serialize)]
struct Machine {
    cores: usize,
    memory_bytes: Option<u64>,
    cpu: Option<String>,
    os: String,
    /// `/proc/loadavg` at the start: other work on the machine skews every figure.
    load_average: Option<String>,
}

#[derive(Debug, Serialize)]
struct Report {
    machine: Machine,
    services: usize,
    indexed_services: usize,
    queries_per_type: usize,
    seed: u64,
    now: DateTime<Utc>,
    distinct_words: usize,
    ours: EngineReport,
    throughput: Vec<Throughput>,
    memory: Memory,
    alternatives: Vec<EngineReport>,
    /// ours / theirs, per alternative and query type: p50 and p99.
    ratios: BTreeMap<String, BTreeMap<String, (f64, f64)>>,
}

// ---------------------------------------------------------------------------------------------
// Machine and process facts
// ---------------------------------------------------------------------------------------------

fn proc_kb(file: &str, key: &str) -> Option<u64> {
    let text = std::fs::read_to_string(file).ok()?;
    let line = text.lines().find(|l| l.starts_with(key))?;
    let kb: u64 = line[key.len()..]
        .trim()
        .trim_end_matches("kB")
        .trim()
        .parse()
        .ok()?;
    Some(kb * 1024)
}

fn peak_memory() -> Option<u64> {
    proc_kb("/proc/self/status", "VmHWM:")
}

fn resident_memory() -> Option<u64> {
    proc_kb("/proc/self/status", "VmRSS:")
}

/// Resets the peak resident memory (`VmHWM`) to the current one (Linux).
fn reset_peak_memory() {
    let _ = std::fs::write("/proc/self/clear_refs", "5");
}

/// CPU time of this process so far (user + system), from `/proc/self/stat`.
fn cpu_time() -> Option<Duration> {
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    let after = &stat[stat.rfind(')')? + 2..];
    let fields: Vec<&str> = after.split_whitespace().collect();
    let ticks: u64 = fields.get(11)?.parse::<u64>().ok()? + fields.get(12)?.parse::<u64>().ok()?;
    Some(Duration::from_millis(ticks * 10))
}

fn machine() -> Machine {
    let cpu = std::fs::read_to_string("/proc/cpuinfo").ok().and_then(|t| {
        t.lines()
            .find(|l| l.starts_with("model name"))
            .and_then(|l| l.split_once(':'))
            .map(|(_, v)| v.trim().to_owned())
    });
    Machine {
        cores: std::thread::available_parallelism().map_or(1, std::num::NonZero::get),
        memory_bytes: proc_kb("/proc/meminfo", "MemTotal:"),
        cpu,
        os: std::env::consts::OS.to_owned(),
        load_average: std::fs::read_to_string("/proc/loadavg")
            .ok()
            .map(|l| l.split_whitespace().take(3).collect::<Vec<_>>().join(" ")),
    }
}

fn dir_size(dir: &Path) -> u64 {
    let mut total = 0;
    if let Ok(entries) = std::fs::read_dir(dir) {
        for entry in entries.flatten() {
            match entry.metadata() {
                Ok(m) if m.is_dir() => total += dir_size(&entry.path()),
                Ok(m) => total += m.len(),
                Err(_) => {}
            }
        }
    }
    total
}

fn bar(len: u64, message: &str) -> ProgressBar {
    let bar = ProgressBar::new(len);
    bar.set_style(
        ProgressStyle::with_template(
            "{msg:28} {bar:30} {pos}/{len} [{elapsed_precise}, {per_sec}, eta {eta}]",
        )
        .expect("template"),
    );
    bar.set_message(message.to_owned());
    bar
}

fn mib(bytes: u64) -> String {
    format!("{:.1} MiB", bytes as f64 / 1_048_576.0)
}

// ---------------------------------------------------------------------------------------------
// The run
// ---------------------------------------------------------------------------------------------

async fn search(args: SearchArgs) -> Result<ExitCode> {
    anyhow::ensure!(args.services > 0, "--services must be at least 1");
    anyhow::ensure!(
        args.queries_per_type > 0,
        "--queries-per-type must be at least 1"
    );
    let threads_max = args.threads_max.max(1);
    let budget = Duration::from_secs_f64(args.budget_secs.max(0.1));
    let work = match &args.work_dir {
        Some(dir) => {
            std::fs::create_dir_all(dir)?;
            tempfile::Builder::new()
                .prefix("crocevia-bench-")
                .tempdir_in(dir)?
        }
        None => tempfile::Builder::new()
            .prefix("crocevia-bench-")
            .tempdir()?,
    };
    let machine = machine();
    println!(
        "crocevia bench search: {} services, {} queries per type, seed {}; {} cores, {} memory, \
         {}, load average {}",
        args.services,
        args.queries_per_type,
        args.seed,
        machine.cores,
        machine.memory_bytes.map_or("?".into(), mib),
        machine.cpu.as_deref().unwrap_or("unknown CPU"),
        machine.load_average.as_deref().unwrap_or("?"),
    );

    let territories = crocevia_web::territories();
    let corpus = Corpus::new(args.seed, today(), territories);
    println!(
        "directory: {} comuni, {} service templates from the demo network, {} needs, {} topic words",
        corpus.comuni_count(),
        corpus.templates_count(),
        corpus.needs.len(),
        corpus.vocabulary_len()
    );

    // --- ours: build ---------------------------------------------------------------------
    reset_peak_memory();
    let (index_dir, store) = match &args.load_into {
        Some(dir) => {
            let store = open_target_store(dir).await?;
            let search_dir = dir.join("search");
            if search_dir.exists() {
                std::fs::remove_dir_all(&search_dir)
                    .with_context(|| format!("cannot remove {}", search_dir.display()))?;
            }
            (search_dir, Some(store))
        }
        None => (work.path().join("ours"), None),
    };
    let index = SearchIndex::open(&index_dir)?;
    let mut stats = WordStats::default();
    let mut ours = EngineReport {
        name: "ours".into(),
        ..EngineReport::default()
    };
    let mut indexed = 0;
    {
        let progress = bar(args.services as u64, "indexing (ours)");
        let started = Instant::now();
        let mut generating = Duration::ZERO;
        let mut indexing = Duration::ZERO;
        let mut chunk = Vec::with_capacity(CHUNK);
        for start in (0..args.services).step_by(CHUNK) {
            let t = Instant::now();
            chunk.clear();
            chunk.extend((start..(start + CHUNK).min(args.services)).map(|i| corpus.doc(i)));
            for doc in &chunk {
                stats.add(doc);
            }
            indexed += chunk.iter().filter(|d| d.is_listed()).count();
            generating += t.elapsed();
            let t = Instant::now();
            index.upsert(&chunk)?;
            indexing += t.elapsed();
            progress.inc(chunk.len() as u64);
        }
        let position = match &store {
            Some(store) => Some(last_change(store.as_ref()).await?),
            None => None,
        };
        let t = Instant::now();
        match position {
            Some(position) => index.commit_at(&position.to_string())?,
            None => index.commit()?,
        }
        indexing += t.elapsed();
        progress.finish_and_clear();
        ours.build_s = Some(started.elapsed().as_secs_f64());
        ours.generation_s = Some(generating.as_secs_f64());
        ours.index_s = Some(indexing.as_secs_f64());
    }
    let settle = settle_merges(&index_dir);
    // A commit with nothing new reloads the reader onto the merged segments; then one
    // segment, as `crocevia reindex` and the automatic rebuild leave it.
    index.commit()?;
    index.merge_segments()?;
    ours.segments = segment_count(&index_dir);
    ours.size_bytes = Some(dir_size(&index_dir));
    ours.notes.push(format!(
        "build: one indexing thread, 50 MB writer heap (as `crocevia reindex`); then {:.1} s \
         waiting for background merges to finish",
        settle.as_secs_f64()
    ));
    println!(
        "ours: indexed in {:.1} s ({:.1} s with generating the documents and counting words), \
         {} on disk, {} segments",
        ours.index_s.unwrap_or_default(),
        ours.build_s.unwrap_or_default(),
        mib(ours.size_bytes.unwrap_or_default()),
        ours.segments.map_or("?".into(), |s| s.to_string()),
    );

    // --- queries -------------------------------------------------------------------------
    let queries = queries::generate(
        &corpus,
        &stats,
        args.services,
        args.queries_per_type,
        args.seed,
        now(),
    );
    let distinct_words = stats.distinct();
    drop(stats);
    if let Some(path) = &args.export_queries {
        std::fs::write(path, serde_json::to_vec_pretty(&queries)?)
            .with_context(|| format!("cannot write {}", path.display()))?;
        println!("queries written to {}", path.display());
    }

    // --- ours: latency, throughput -------------------------------------------------------
    let build_peak = peak_memory();
    let (throughput, search_peak, search_rss) = if args.measure_in_builder {
        ours.notes
            .push("searches measured in the process that built the index".into());
        let throughput =
            tokio::task::block_in_place(|| measure_ours(&index, &queries, &mut ours, threads_max))?;
        drop(index);
        (throughput, peak_memory(), resident_memory())
    } else {
        // A fresh process opens the index and searches, as a server does: the builder's
        // heap (millions of freed documents) makes every search slower.
        drop(index);
        let output = spawn_worker(&index_dir, &queries, threads_max, work.path())?;
        ours.kinds = output.kinds;
        ours.overall = output.overall;
        ours.notes.push(format!(
            "searches measured in a fresh process, which opened the index in {:.2} s",
            output.open_s
        ));
        (output.throughput, output.peak_bytes, output.rss_bytes)
    };
    if let Some(store) = store {
        store.close().await;
        println!(
            "our index is kept in {} (serve it with `crocevia --data-dir {} serve`)",
            index_dir.display(),
            args.load_into
                .as_deref()
                .unwrap_or(Path::new("."))
                .display()
        );
    }

    if let Some(path) = &args.export_jsonl {
        export_jsonl(&corpus, args.services, path)?;
    }

    // --- alternatives --------------------------------------------------------------------
    let wanted = |name: &str| args.alternatives.iter().any(|a| a.trim() == name);
    let mut alternatives = Vec::new();
    if wanted("bare") {
        alternatives.extend(run_bare(&corpus, args.services, &queries, work.path(), budget).await?);
    }
    if wanted("fts5") {
        alternatives.push(run_fts5(&corpus, args.services, &queries, work.path(), budget).await?);
    }
    if wanted("pg") {
        match std::env::var("CROCEVIA_TEST_PG") {
            Ok(url) if !url.trim().is_empty() => {
                alternatives.push(run_pg(&corpus, args.services, &queries, &url, budget).await?);
            }
            _ => println!("PostgreSQL: skipped (CROCEVIA_TEST_PG is not set)"),
        }
    }

    let mut ratios = BTreeMap::new();
    for alt in &alternatives {
        let mut per_kind = BTreeMap::new();
        for kind in Kind::MIX {
            if let (Some(Some(a)), Some(Some(b))) =
                (ours.kinds.get(kind.key()), alt.kinds.get(kind.key()))
            {
                per_kind.insert(
                    kind.key().to_owned(),
                    (a.p50_ms / b.p50_ms, a.p99_ms / b.p99_ms),
                );
            }
        }
        if let (Some(a), Some(b)) = (&ours.overall, &alt.overall) {
            per_kind.insert("overall".into(), (a.p50_ms / b.p50_ms, a.p99_ms / b.p99_ms));
        }
        ratios.insert(alt.name.clone(), per_kind);
    }

    let report = Report {
        machine,
        services: args.services,
        indexed_services: indexed,
        queries_per_type: args.queries_per_type,
        seed: args.seed,
        now: queries.now,
        distinct_words,
        ours,
        throughput,
        memory: Memory {
            build_peak_bytes: build_peak,
            search_peak_bytes: search_peak,
            search_rss_bytes: search_rss,
            process_peak_bytes: peak_memory(),
        },
        alternatives,
        ratios,
    };
    print_report(&report);
    if let Some(path) = &args.json {
        std::fs::write(path, serde_json::to_vec_pretty(&report)?)
            .with_context(|| format!("cannot write {}", path.display()))?;
        println!("\nJSON written to {}", path.display());
    }
    Ok(ExitCode::SUCCESS)
}

/// The SQLite database of a data directory, migrated and with its reference data, for
/// `--load-into`.
async fn open_target_store(dir: &Path) -> Result<std::sync::Arc<dyn crocevia_store::Store>> {
    std::fs::create_dir_all(dir)
        .with_context(|| format!("cannot create the data directory {}", dir.display()))?;
    let url = format!("sqlite://{}", dir.join("crocevia.db").display());
    let store = crocevia_store_sql::open(&url, crocevia_store_sql::AuditSeal::unkeyed())
        .await
        .with_context(|| format!("cannot open the database at {url}"))?;
    crate::transfer::load_reference_data(store.as_ref()).await?;
    Ok(store)
}

/// The store's last change-log position: the index is recorded as up to date with it, so a
/// server following the change log keeps the synthetic documents.
async fn last_change(store: &dyn crocevia_store::Store) -> Result<i64> {
    let mut position = 0;
    loop {
        let changes = store.changes_since(position, 5000).await?;
        match changes.last() {
            Some(last) => position = last.seq,
            None => return Ok(position),
        }
    }
}

/// Waits until tantivy's background merges are done: `meta.json` unchanged and this process
/// idle for two seconds (at most five minutes). Returns how long it waited.
fn settle_merges(dir: &Path) -> Duration {
    let started = Instant::now();
    let meta = || std::fs::read(dir.join("meta.json")).unwrap_or_default();
    let mut last = meta();
    let mut quiet_since = Instant::now();
    let mut cpu_before = cpu_time();
    while started.elapsed() < Duration::from_secs(300) {
        std::thread::sleep(Duration::from_millis(500));
        let now = meta();
        let cpu_now = cpu_time();
        let busy = match (cpu_before, cpu_now) {
            (Some(a), Some(b)) => b.saturating_sub(a) > Duration::from_millis(100),
            _ => false,
        };
        cpu_before = cpu_now;
        if now != last || busy {
            last = now;
            quiet_since = Instant::now();
        } else if quiet_since.elapsed() >= Duration::from_secs(2) {
            break;
        }
    }
    started.elapsed()
}

fn segment_count(dir: &Path) -> Option<usize> {
    let meta: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.join("meta.json")).ok()?).ok()?;
    Some(meta.get("segments")?.as_array()?.len())
}

/// What the worker process measured.
#[derive(Serialize, Deserialize)]
struct WorkerOutput {
    kinds: BTreeMap<String, Option<Latency>>,
    overall: Option<Latency>,
    throughput: Vec<Throughput>,
    peak_bytes: Option<u64>,
    rss_bytes: Option<u64>,
    open_s: f64,
}

fn spawn_worker(
    index_dir: &Path,
    queries: &QuerySet,
    threads_max: usize,
    work: &Path,
) -> Result<WorkerOutput> {
    let queries_path = work.join("worker-queries.json");
    let out_path = work.join("worker-output.json");
    std::fs::write(&queries_path, serde_json::to_vec(queries)?)?;
    let exe = std::env::current_exe().context("cannot find this program to run the worker")?;
    let status = std::process::Command::new(exe)
        // The worker's own (unused) database, away from the caller's directory.
        .arg("--data-dir")
        .arg(work.join("worker-data"))
        .args(["bench", "search-worker", "--threads-max"])
        .arg(threads_max.to_string())
        .arg("--index")
        .arg(index_dir)
        .arg("--queries")
        .arg(&queries_path)
        .arg("--out")
        .arg(&out_path)
        .env("CROCEVIA_LOG", "warn")
        .status()
        .context("cannot start the search worker")?;
    anyhow::ensure!(status.success(), "the search worker failed ({status})");
    Ok(serde_json::from_slice(&std::fs::read(&out_path)?)?)
}

fn worker(args: &WorkerArgs) -> Result<ExitCode> {
    let started = Instant::now();
    let index = SearchIndex::open(&args.index)?;
    anyhow::ensure!(
        !index.needs_rebuild(),
        "no committed index in {}",
        args.index.display()
    );
    let open_s = started.elapsed().as_secs_f64();
    let queries: QuerySet = serde_json::from_slice(&std::fs::read(&args.queries)?)?;
    let mut report = EngineReport::default();
    let throughput = measure_ours(&index, &queries, &mut report, args.threads_max.max(1))?;
    let output = WorkerOutput {
        kinds: report.kinds,
        overall: report.overall,
        throughput,
        peak_bytes: peak_memory(),
        rss_bytes: resident_memory(),
        open_s,
    };
    std::fs::write(&args.out, serde_json::to_vec(&output)?)?;
    Ok(ExitCode::SUCCESS)
}

fn measure_ours(
    index: &SearchIndex,
    queries: &QuerySet,
    report: &mut EngineReport,
    threads_max: usize,
) -> Result<Vec<Throughput>> {
    let now = queries.now;
    let searches: Vec<(Kind, crocevia_search::SearchQuery)> = queries
        .queries
        .iter()
        .map(|q| (q.kind, q.to_search()))
        .collect();
    // Warm up: every query once (page cache, lazily built tables).
    let progress = bar(searches.len() as u64 * 2, "querying (ours)");
    for (_, q) in &searches {
        index.search(q, now)?;
        progress.inc(1);
    }
    let mut all = Vec::new();
    let mut all_hits = Vec::new();
    let mut all_totals = Vec::new();
    for kind in Kind::MIX.into_iter().chain([Kind::BrowseAll]) {
        let mut samples = Vec::new();
        let mut hits = Vec::new();
        let mut totals = Vec::new();
        for (_, q) in searches.iter().filter(|(k, _)| *k == kind) {
            let t = Instant::now();
            let results = index.search(q, now)?;
            samples.push(t.elapsed());
            hits.push(results.hits.len());
            totals.push(results.total);
            progress.inc(1);
        }
        if kind != Kind::BrowseAll {
            all.extend_from_slice(&samples);
            all_hits.extend_from_slice(&hits);
            all_totals.extend_from_slice(&totals);
        }
        report.kinds.insert(
            kind.key().to_owned(),
            Latency::of(samples, &hits, Some(&totals)),
        );
    }
    report.overall = Latency::of(all, &all_hits, Some(&all_totals));
    progress.finish_and_clear();

    // Throughput: each thread runs the whole mix, from its own starting point.
    let mix: Vec<crocevia_search::SearchQuery> = queries
        .mix()
        .into_iter()
        .map(BenchQuery::to_search)
        .collect();
    let mut out = Vec::new();
    for threads in 1..=threads_max {
        let progress = bar(
            (mix.len() * threads) as u64,
            &format!("throughput, {threads} thread(s)"),
        );
        let started = Instant::now();
        std::thread::scope(|scope| -> Result<()> {
            let handles: Vec<_> = (0..threads)
                .map(|t| {
                    let mix = &mix;
                    let progress = &progress;
                    scope.spawn(move || -> Result<()> {
                        let offset = t * mix.len() / threads;
                        for i in 0..mix.len() {
                            index.search(&mix[(offset + i) % mix.len()], now)?;
                            progress.inc(1);
                        }
                        Ok(())
                    })
                })
                .collect();
            for h in handles {
                h.join().expect("a benchmark thread panicked")?;
            }
            Ok(())
        })?;
        let seconds = started.elapsed().as_secs_f64();
        progress.finish_and_clear();
        out.push(Throughput {
            threads,
            queries: mix.len() * threads,
            seconds,
            qps: (mix.len() * threads) as f64 / seconds,
        });
    }
    Ok(out)
}

/// Runs every query type on an alternative: a few untimed queries first, then timed ones
/// until the type's queries or the time budget run out.
async fn measure_alternative<F>(
    name: &str,
    queries: &QuerySet,
    budget: Duration,
    report: &mut EngineReport,
    mut run: F,
) -> Result<()>
where
    F: AsyncFnMut(&BenchQuery) -> Result<Option<usize>>,
{
    let progress = bar(
        (queries.per_kind * Kind::MIX.len()) as u64,
        &format!("querying ({name})"),
    );
    let mut all = Vec::new();
    let mut all_hits = Vec::new();
    for kind in Kind::MIX {
        let list: Vec<&BenchQuery> = queries.of(kind).collect();
        let mut expressible = true;
        for q in list.iter().take(3) {
            if run(q).await?.is_none() {
                expressible = false;
                break;
            }
        }
        if !expressible {
            report.kinds.insert(kind.key().to_owned(), None);
            progress.inc(list.len() as u64);
            continue;
        }
        let started = Instant::now();
        let mut samples = Vec::new();
        let mut hits = Vec::new();
        for q in &list {
            if started.elapsed() > budget {
                break;
            }
            let t = Instant::now();
            let n = run(q).await?.unwrap_or(0);
            samples.push(t.elapsed());
            hits.push(n);
            progress.inc(1);
        }
        if samples.len() < list.len() {
            report.notes.push(format!(
                "{}: {} of {} queries within the {:.0} s budget",
                kind.label(),
                samples.len(),
                list.len(),
                budget.as_secs_f64()
            ));
        }
        progress.inc((list.len() - samples.len()) as u64);
        all.extend_from_slice(&samples);
        all_hits.extend_from_slice(&hits);
        report
            .kinds
            .insert(kind.key().to_owned(), Latency::of(samples, &hits, None));
    }
    report.overall = Latency::of(all, &all_hits, None);
    progress.finish_and_clear();
    Ok(())
}

/// Bare tantivy twice on one index: top 10 only (the ceiling), then with the total and the
/// facet counts (the same work as ours).
async fn run_bare(
    corpus: &Corpus,
    services: usize,
    queries: &QuerySet,
    work: &Path,
    budget: Duration,
) -> Result<[EngineReport; 2]> {
    let mut report = EngineReport {
        name: "bare tantivy".into(),
        ..EngineReport::default()
    };
    let dir = work.join("bare");
    let mut bare = bare::Bare::create(&dir)?;
    let progress = bar(services as u64, "indexing (bare tantivy)");
    let started = Instant::now();
    let mut generating = Duration::ZERO;
    for i in 0..services {
        let t = Instant::now();
        let doc = corpus.doc(i);
        generating += t.elapsed();
        bare.add(i, &doc)?;
        progress.inc(1);
    }
    report.segments = Some(bare.finish()?);
    progress.finish_and_clear();
    report.build_s = Some(started.elapsed().as_secs_f64());
    report.generation_s = Some(generating.as_secs_f64());
    report.index_s = Some((started.elapsed() - generating).as_secs_f64());
    report.size_bytes = Some(dir_size(&dir));
    let mut counted = EngineReport {
        name: "bare tantivy, counted".into(),
        ..report.clone()
    };
    report.notes.push(
        "build: one indexing thread, 50 MB heap, merges waited for; TopDocs(10) by BM25, \
         ids from a fast field; no facets, no total"
            .into(),
    );
    counted.notes.push(
        "the same index and query, also collecting Count and tantivy terms aggregations \
         for the facets ours counts (all needs, regions, languages, free, accessible; top 50 \
         provinces and comuni)"
            .into(),
    );
    measure_alternative(
        "bare tantivy",
        queries,
        budget,
        &mut report,
        async |q: &BenchQuery| bare.run(q),
    )
    .await?;
    measure_alternative(
        "bare tantivy, counted",
        queries,
        budget,
        &mut counted,
        async |q: &BenchQuery| bare.run_counted(q),
    )
    .await?;
    drop(bare);
    let _ = std::fs::remove_dir_all(&dir);
    Ok([report, counted])
}

async fn run_fts5(
    corpus: &Corpus,
    services: usize,
    queries: &QuerySet,
    work: &Path,
    budget: Duration,
) -> Result<EngineReport> {
    let mut report = EngineReport {
        name: "SQLite FTS5".into(),
        ..EngineReport::default()
    };
    let path = work.join("fts5.db");
    let mut fts = fts5::Fts5::create(&path).await?;
    let progress = bar(services as u64, "indexing (SQLite FTS5)");
    let started = Instant::now();
    let mut generating = Duration::ZERO;
    for i in 0..services {
        let t = Instant::now();
        let doc = corpus.doc(i);
        generating += t.elapsed();
        fts.add(i, &doc).await?;
        progress.inc(1);
    }
    fts.finish().await?;
    progress.finish_and_clear();
    report.build_s = Some(started.elapsed().as_secs_f64());
    report.generation_s = Some(generating.as_secs_f64());
    report.index_s = Some((started.elapsed() - generating).as_secs_f64());
    report.size_bytes = Some(std::fs::metadata(&path).map(|m| m.len()).unwrap_or(0));
    let mut pings = Vec::new();
    for _ in 0..200 {
        let t = Instant::now();
        fts.ping().await?;
        pings.push(t.elapsed());
    }
    report.ping_ms = Latency::of(pings, &[], None).map(|l| l.p50_ms);
    report.notes.push(
        "unicode61 remove_diacritics 2, ORDER BY bm25 LIMIT 10 (filters only: by verification \
         date); typo: n/a (no fuzzy matching in FTS5); open now: n/a; proximity: bounding box"
            .into(),
    );
    measure_alternative(
        "SQLite FTS5",
        queries,
        budget,
        &mut report,
        async |q: &BenchQuery| fts.run(q).await,
    )
    .await?;
    fts.close().await?;
    let _ = std::fs::remove_file(&path);
    Ok(report)
}

async fn run_pg(
    corpus: &Corpus,
    services: usize,
    queries: &QuerySet,
    url: &str,
    budget: Duration,
) -> Result<EngineReport> {
    let mut report = EngineReport {
        name: "PostgreSQL".into(),
        ..EngineReport::default()
    };
    let mut pg = pg::Pg::create(url).await?;
    // The schema goes whatever happens.
    let outcome =
        fill_and_measure_pg(&mut pg, corpus, services, queries, budget, &mut report).await;
    pg.drop().await?;
    outcome?;
    Ok(report)
}

async fn fill_and_measure_pg(
    pg: &mut pg::Pg,
    corpus: &Corpus,
    services: usize,
    queries: &QuerySet,
    budget: Duration,
    report: &mut EngineReport,
) -> Result<()> {
    let progress = bar(services as u64, "indexing (PostgreSQL)");
    let started = Instant::now();
    let mut generating = Duration::ZERO;
    for i in 0..services {
        let t = Instant::now();
        let doc = corpus.doc(i);
        generating += t.elapsed();
        pg.add(i, &doc).await?;
        progress.inc(1);
    }
    pg.finish().await?;
    progress.finish_and_clear();
    report.build_s = Some(started.elapsed().as_secs_f64());
    report.generation_s = Some(generating.as_secs_f64());
    report.index_s = Some((started.elapsed() - generating).as_secs_f64());
    report.size_bytes = pg
        .size_bytes()
        .await
        .ok()
        .and_then(|s| u64::try_from(s).ok());
    let mut pings = Vec::new();
    for _ in 0..200 {
        let t = Instant::now();
        pg.ping().await?;
        pings.push(t.elapsed());
    }
    report.ping_ms = Latency::of(pings, &[], None).map(|l| l.p50_ms);
    report.notes.push(format!(
        "stored tsvector ('italian', names A, descriptions B) + GIN, ORDER BY ts_rank LIMIT 10 \
         (filters only: by verification date); typo: {}; open now: n/a; proximity: bounding box",
        if pg.has_trigrams() {
            "pg_trgm picks the closest vocabulary word, then full text"
        } else {
            "n/a (pg_trgm could not be created)"
        }
    ));
    measure_alternative(
        "PostgreSQL",
        queries,
        budget,
        report,
        async |q: &BenchQuery| pg.run(q).await,
    )
    .await
}

/// The generated services as JSON lines, in the shape `scripts/bench-search` loads into
/// Typesense (listed services only).
fn export_jsonl(corpus: &Corpus, services: usize, path: &Path) -> Result<()> {
    let file =
        std::fs::File::create(path).with_context(|| format!("cannot write {}", path.display()))?;
    let mut out = std::io::BufWriter::new(file);
    let progress = bar(services as u64, "exporting JSON lines");
    for i in 0..services {
        let doc = corpus.doc(i);
        progress.inc(1);
        if !doc.is_listed() {
            continue;
        }
        serde_json::to_writer(&mut out, &typesense_doc(&doc))?;
        out.write_all(b"\n")?;
    }
    out.flush()?;
    progress.finish_and_clear();
    println!("services written to {}", path.display());
    Ok(())
}

fn typesense_doc(doc: &ServiceDoc) -> serde_json::Value {
    let it = &doc.texts[0];
    let others = &doc.texts[1..];
    let mut value = serde_json::json!({
        "id": doc.id,
        "name": it.name,
        "description": it.description,
        "name_tr": others.iter().map(|t| t.name.as_str()).collect::<Vec<_>>(),
        "description_tr": others.iter().map(|t| t.description.as_str()).collect::<Vec<_>>(),
        "organization": doc.texts.iter().filter_map(|t| t.organization.as_deref()).collect::<Vec<_>>(),
        "places": doc.places,
        "categories": doc.categories,
        "province": doc.provinces.first().cloned().unwrap_or_default(),
        "comuni": doc.comuni,
        "languages": doc.languages,
        "free": doc.free,
        "assured": fts5::assured_day(doc),
    });
    if let Some(p) = doc.points.first() {
        value["location"] = serde_json::json!([p.lat, p.lon]);
    }
    value
}

// ---------------------------------------------------------------------------------------------
// Printing
// ---------------------------------------------------------------------------------------------

fn fmt_ms(v: f64) -> String {
    if v >= 100.0 {
        format!("{v:.0}")
    } else if v >= 10.0 {
        format!("{v:.1}")
    } else {
        format!("{v:.2}")
    }
}

fn print_report(r: &Report) {
    let o = &r.ours;
    println!();
    println!(
        "== Our search: {} services ({} listed), {} queries per type, 1 thread",
        r.services, r.indexed_services, r.queries_per_type
    );
    println!(
        "index: built in {:.1} s ({:.0} services/s; {:.1} s with generating the documents and \
         counting words), {} on disk, {} segments",
        o.index_s.unwrap_or_default(),
        r.services as f64 / o.index_s.unwrap_or(1.0),
        o.build_s.unwrap_or_default(),
        mib(o.size_bytes.unwrap_or_default()),
        o.segments.map_or("?".into(), |s| s.to_string())
    );
    println!(
        "every search below also counts its total and facets (categories, regions, provinces, \
         comuni, languages, free, accessible) and builds snippets"
    );
    println!(
        "{:<24} {:>5} {:>8} {:>8} {:>8} {:>8} {:>6} {:>10}",
        "query type", "n", "p50 ms", "p95 ms", "p99 ms", "max ms", "hits", "matches"
    );
    let line = |label: &str, l: &Latency| {
        println!(
            "{:<24} {:>5} {:>8} {:>8} {:>8} {:>8} {:>6.1} {:>10.0}",
            label,
            l.n,
            fmt_ms(l.p50_ms),
            fmt_ms(l.p95_ms),
            fmt_ms(l.p99_ms),
            fmt_ms(l.max_ms),
            l.hits,
            l.total.unwrap_or_default()
        );
    };
    for kind in Kind::MIX {
        if let Some(Some(l)) = o.kinds.get(kind.key()) {
            line(kind.label(), l);
        }
    }
    if let Some(l) = &o.overall {
        line("whole mix", l);
    }
    if let Some(Some(l)) = o.kinds.get(Kind::BrowseAll.key()) {
        line("(outside the mix) browse", l);
    }
    for t in &r.throughput {
        println!(
            "throughput, {} thread(s): {:.0} searches/s ({} searches of the mix in {:.2} s)",
            t.threads, t.qps, t.queries, t.seconds
        );
    }
    println!(
        "memory (VmHWM): searching peak {} ({} resident at the end); building peak {} \
         (generating the directory included); whole run {}",
        r.memory.search_peak_bytes.map_or("?".into(), mib),
        r.memory.search_rss_bytes.map_or("?".into(), mib),
        r.memory.build_peak_bytes.map_or("?".into(), mib),
        r.memory.process_peak_bytes.map_or("?".into(), mib)
    );
    for note in &o.notes {
        println!("  {note}");
    }

    for alt in &r.alternatives {
        println!();
        println!("== {}", alt.name);
        println!(
            "build: {:.1} s ({:.1} s with generating the documents), {} on disk{}{}",
            alt.index_s.unwrap_or_default(),
            alt.build_s.unwrap_or_default(),
            alt.size_bytes.map_or("?".into(), mib),
            alt.segments
                .map_or(String::new(), |s| format!(", {s} segments")),
            alt.ping_ms.map_or(String::new(), |p| format!(
                "; `SELECT 1` round trip {p:.3} ms"
            )),
        );
        for note in &alt.notes {
            println!("  {note}");
        }
        println!(
            "{:<24} {:>5} {:>8} {:>8} {:>8} {:>6} | {:>11} {:>11}",
            "query type", "n", "p50 ms", "p95 ms", "p99 ms", "hits", "ours/p50", "ours/p99"
        );
        let ratios = r.ratios.get(&alt.name);
        let row = |label: &str, key: &str, l: Option<&Latency>| match l {
            Some(l) => {
                let ratio = ratios.and_then(|m| m.get(key));
                println!(
                    "{:<24} {:>5} {:>8} {:>8} {:>8} {:>6.1} | {:>11} {:>11}",
                    label,
                    l.n,
                    fmt_ms(l.p50_ms),
                    fmt_ms(l.p95_ms),
                    fmt_ms(l.p99_ms),
                    l.hits,
                    ratio.map_or("-".into(), |r| format!("{:.2}x", r.0)),
                    ratio.map_or("-".into(), |r| format!("{:.2}x", r.1)),
                );
            }
            None => println!("{label:<24} {:>5}", "n/a"),
        };
        for kind in Kind::MIX {
            row(
                kind.label(),
                kind.key(),
                alt.kinds.get(kind.key()).and_then(Option::as_ref),
            );
        }
        row("all it can run", "overall", alt.overall.as_ref());
    }
    println!();
    println!(
        "ours/theirs < 1 means ours is faster. Ours computes facets, totals and snippets; the \
         alternatives return 10 ids (\"bare tantivy, counted\" also the total and the facets)."
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_are_nearest_rank() {
        let samples: Vec<Duration> = (1..=100).map(Duration::from_millis).collect();
        let l = Latency::of(samples, &[10; 100], None).unwrap();
        assert_eq!(l.p50_ms, 50.0);
        assert_eq!(l.p95_ms, 95.0);
        assert_eq!(l.p99_ms, 99.0);
        assert_eq!(l.max_ms, 100.0);
        assert!(Latency::of(Vec::new(), &[], None).is_none());
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_small_run_measures_every_engine_on_every_query_type() {
        let corpus = Corpus::new(3, today(), crocevia_web::territories());
        let services = 600;
        let dir = tempfile::tempdir().unwrap();
        let index = SearchIndex::in_memory().unwrap();
        let mut stats = WordStats::default();
        let docs: Vec<ServiceDoc> = (0..services).map(|i| corpus.doc(i)).collect();
        for d in &docs {
            stats.add(d);
        }
        index.upsert(&docs).unwrap();
        index.commit().unwrap();
        let queries = queries::generate(&corpus, &stats, services, 4, 3, now());
        assert_eq!(queries.queries.len(), 4 * (Kind::MIX.len() + 1));
        let again = queries::generate(&corpus, &stats, services, 4, 3, now());
        assert_eq!(queries.queries, again.queries, "the mix is deterministic");
        for q in queries.of(Kind::Typo) {
            assert_eq!(stats.df(&q.words[0]), 0, "{q:?}");
        }
        // Our search finds something for the text queries built from the directory.
        let found = queries
            .of(Kind::TwoWords)
            .filter(|q| index.search(&q.to_search(), now()).unwrap().total > 0)
            .count();
        assert_eq!(found, 4);

        let mut ours = EngineReport::default();
        let throughput =
            tokio::task::block_in_place(|| measure_ours(&index, &queries, &mut ours, 2).unwrap());
        assert_eq!(throughput.len(), 2);
        assert!(
            Kind::MIX
                .iter()
                .all(|k| matches!(ours.kinds.get(k.key()), Some(Some(_))))
        );

        let budget = Duration::from_secs(5);
        let bares = run_bare(&corpus, services, &queries, dir.path(), budget)
            .await
            .unwrap();
        for bare in &bares {
            assert!(matches!(bare.kinds.get("open_now"), Some(None)));
            assert!(matches!(bare.kinds.get("typo"), Some(Some(_))));
        }
        let fts = run_fts5(&corpus, services, &queries, dir.path(), budget)
            .await
            .unwrap();
        assert!(matches!(fts.kinds.get("typo"), Some(None)));
        let common = fts.kinds["common"].as_ref().unwrap();
        assert!(common.hits > 0.0, "{common:?}");
        let cp = fts.kinds["category_province"].as_ref().unwrap();
        assert_eq!(cp.n, 4);

        // PostgreSQL when the suite has one (CI does): every statement is valid SQL there.
        if let Ok(url) = std::env::var("CROCEVIA_TEST_PG")
            && !url.trim().is_empty()
        {
            let pg = run_pg(&corpus, services, &queries, &url, budget)
                .await
                .unwrap();
            assert!(matches!(pg.kinds.get("open_now"), Some(None)));
            for kind in [
                "common",
                "two_words",
                "prefix",
                "category_province",
                "proximity",
            ] {
                let l = pg.kinds[kind].as_ref().unwrap();
                assert_eq!(l.n, 4, "{kind}");
            }
            assert!(pg.kinds["common"].as_ref().unwrap().hits > 0.0);
        }
    }
}
