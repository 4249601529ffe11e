//! `crocevia bench directory`: the directory's bulk paths at national scale (issue 23), run
//! as a user runs them, on SQLite and PostgreSQL side by side.
//!
//! 1. A deterministic, Italian-shaped directory: organisations with a location each in a
//!    comune drawn by size (with its address and coordinates), and services with a phone,
//!    opening hours, a language, a place and a need of the taxonomy; every other service
//!    has an English translation. Written once as NDJSON (one `service_full` per line) and
//!    as an HSDS tabular package (CSV files and `datapackage.json`).
//! 2. For each backend, this binary's own commands as child processes on a fresh database:
//!    `import hsds` of each format, then on the NDJSON one `export hsds` (CSV and JSON),
//!    `reindex`, and `serve` until `/healthz` answers and until it reports its search index
//!    ready: restarted with its index, and as a new app server without one (it answers at
//!    once and builds the index in the background). Last, `import hsds` of the package
//!    with a problem in every phone and schedule, refused: the time to refuse it and to
//!    show the first problem. Each step's wall time, rows per second and peak resident
//!    memory (the child's `VmHWM`, read while it runs).
//! 3. The ceilings, on the same rows: PostgreSQL's `\copy` of the CSV files into plain text
//!    tables (for import) and `pg_dump` of the directory's tables (for export), and
//!    `sqlite3 .dump` of the SQLite database; each skipped with a note when its tool is not
//!    installed.

use std::io::{BufWriter, Read as _, Write as _};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use clap::Args;
use crocevia_core::demo::ISTAT_IDENTIFIER_TYPE;
use crocevia_core::hsds::Record;
use crocevia_core::hsds::formats::write_tabular;
use crocevia_core::hsds::nested::RecordIndex;
use crocevia_core::taxonomy;
use serde::Serialize;

use super::proc_kb;
use super::rng::Rng;
use crate::transfer::spinner;

#[derive(Args)]
pub struct DirectoryArgs {
    /// Services in the synthetic directory.
    #[arg(long, default_value_t = 100_000)]
    services: usize,
    /// Services per organisation (each organisation has one location).
    #[arg(long, default_value_t = 20)]
    per_organization: usize,
    /// The backends to measure.
    #[arg(long, value_delimiter = ',', default_value = "sqlite,postgres")]
    backends: Vec<String>,
    /// A PostgreSQL server where the benchmark may create and drop its databases.
    #[arg(long, default_value = "postgres://postgres@127.0.0.1:5432/postgres")]
    postgres: String,
    /// Where the inputs, exports and SQLite databases go (default: a temporary directory,
    /// removed at the end).
    #[arg(long)]
    work_dir: Option<PathBuf>,
    /// Also write the results as JSON.
    #[arg(long)]
    json: Option<PathBuf>,
    #[arg(long, default_value_t = 23)]
    seed: u64,
}

/// One measured step.
#[derive(Debug, Serialize)]
struct Step {
    backend: String,
    step: String,
    seconds: f64,
    rows_per_second: f64,
    /// Peak resident memory of the process that did it, when it could be read.
    peak_mb: Option<f64>,
    /// Why the step did not run, or what it printed when it failed.
    note: Option<String>,
}

impl Step {
    fn rate(&self) -> String {
        if self.rows_per_second > 0.0 {
            format!("{:.0}", self.rows_per_second)
        } else {
            "–".into()
        }
    }

    fn peak(&self) -> String {
        self.peak_mb.map_or("–".into(), |m| format!("{m:.0}"))
    }
}

#[derive(Debug, Serialize)]
struct Report {
    services: usize,
    rows: usize,
    ndjson_mb: f64,
    csv_mb: f64,
    generation_s: f64,
    steps: Vec<Step>,
}

pub fn run(args: &DirectoryArgs) -> Result<ExitCode> {
    let exe = std::env::current_exe().context("cannot find this program's own path")?;
    let (work, _temporary) = match &args.work_dir {
        Some(dir) => (dir.clone(), None),
        None => {
            let dir = tempfile::Builder::new()
                .prefix("crocevia-bench-directory-")
                .tempdir()?;
            (dir.path().to_owned(), Some(dir))
        }
    };
    std::fs::create_dir_all(&work)?;

    let started = Instant::now();
    let records = generate(args);
    let rows = records.len();
    let ndjson = work.join("directory.ndjson");
    let csv = work.join("directory-csv");
    write_inputs(&records, &ndjson, &csv)?;
    let invalid = work.join("invalid-csv");
    let invalid_rows = write_invalid(records, &invalid)?;
    let generation_s = started.elapsed().as_secs_f64();
    let ndjson_mb = file_mb(&ndjson);
    let csv_mb = dir_mb(&csv);
    println!(
        "generated {} services, {rows} rows in {generation_s:.1} s: NDJSON {ndjson_mb:.0} MB, CSV {csv_mb:.0} MB",
        args.services
    );

    let mut steps = Vec::new();
    for backend in &args.backends {
        match backend.as_str() {
            "sqlite" | "postgres" => {}
            other => bail!("unknown backend {other}: expected sqlite or postgres"),
        }
        let bench = Backend {
            name: backend,
            exe: &exe,
            work: &work,
            postgres: &args.postgres,
            rows,
        };
        bench.measure(&ndjson, &csv, &mut steps)?;
        steps.push(bench.refuse(&invalid, invalid_rows)?);
    }

    print_table(&steps);
    if let Some(path) = &args.json {
        let report = Report {
            services: args.services,
            rows,
            ndjson_mb,
            csv_mb,
            generation_s,
            steps,
        };
        std::fs::write(path, serde_json::to_vec_pretty(&report)?)?;
        println!("results written to {}", path.display());
    }
    Ok(ExitCode::SUCCESS)
}

const NEEDS: [&str; 8] = [
    "health.primary_care",
    "documents.residence_permit",
    "language.courses",
    "work.job_search",
    "housing.shelter",
    "family.childcare",
    "education.school_enrolment",
    "asylum.application",
];

const NAMES: [(&str, &str); 8] = [
    (
        "Ambulatorio per stranieri",
        "Outpatient clinic for foreigners",
    ),
    ("Sportello permessi di soggiorno", "Residence permit desk"),
    ("Corso di italiano", "Italian course"),
    ("Orientamento al lavoro", "Job orientation"),
    ("Accoglienza notturna", "Night shelter"),
    ("Sostegno alle famiglie", "Family support"),
    ("Iscrizione scolastica", "School enrolment"),
    ("Consulenza legale per l'asilo", "Legal advice on asylum"),
];

const LANGUAGES: [(&str, &str); 6] = [
    ("en", "English"),
    ("fr", "Français"),
    ("ar", "العربية"),
    ("uk", "Українська"),
    ("es", "Español"),
    ("sq", "Shqip"),
];

fn uuid(kind: u8, i: usize) -> String {
    format!("{kind:08x}-0000-4000-8000-{i:012x}")
}

/// The synthetic directory, in the order a package lists it.
fn generate(args: &DirectoryArgs) -> Vec<Record> {
    let territories = crocevia_web::territories();
    let comuni: Vec<_> = territories
        .comuni
        .iter()
        .filter(|c| c.centroid.is_some())
        .collect();
    // Comuni by size: a capoluogo ten times as likely as another comune.
    let weights = super::rng::Weighted::new(
        comuni
            .iter()
            .map(|c| if c.is_provincial_capital { 10.0 } else { 1.0 }),
    );
    let mut rng = Rng::new(args.seed);
    let organizations = args.services.div_ceil(args.per_organization.max(1));
    let needs: Vec<String> = NEEDS.iter().map(|code| taxonomy::term_id(code)).collect();
    let mut records = Vec::with_capacity(args.services * 7 + organizations * 3);
    let abbreviations: std::collections::HashMap<&str, &str> = territories
        .provinces
        .iter()
        .map(|p| (p.code.as_str(), p.abbreviation.as_str()))
        .collect();
    for o in 0..organizations {
        let comune = comuni[weights.sample(&mut rng)];
        let centre = comune.centroid.as_ref().expect("filtered");
        let (org, location) = (uuid(1, o), uuid(2, o));
        records.push(
            Record::new("organization", org.as_str())
                .with("name", format!("Associazione {} {o}", comune.name))
                .with("description", "Servizi per cittadini di paesi terzi"),
        );
        records.push(
            Record::new("location", location.as_str())
                .with("location_type", "physical")
                .with("organization_id", org.as_str())
                .with("name", format!("Sede di {}", comune.name))
                .with("latitude", centre.lat + rng.range_f64(-0.01, 0.01))
                .with("longitude", centre.lon + rng.range_f64(-0.01, 0.01))
                .with("external_identifier", comune.code.as_str())
                .with("external_identifier_type", ISTAT_IDENTIFIER_TYPE),
        );
        records.push(
            Record::new("address", uuid(3, o))
                .with("location_id", location.as_str())
                .with("address_1", format!("Via Roma {}", 1 + o % 200))
                .with("city", comune.name.as_str())
                .with(
                    "state_province",
                    abbreviations
                        .get(comune.province_code.as_str())
                        .copied()
                        .unwrap_or_default(),
                )
                .with("postal_code", "00100")
                .with("country", "IT")
                .with("address_type", "physical"),
        );
    }
    for s in 0..args.services {
        let o = s / args.per_organization.max(1);
        let id = uuid(4, s);
        let kind = rng.below(NAMES.len());
        let (name, english) = NAMES[kind];
        records.push(
            Record::new("service", id.as_str())
                .with("organization_id", uuid(1, o))
                .with("name", format!("{name} {s}"))
                .with(
                    "description",
                    format!("{name}: accoglienza, informazioni e accompagnamento ({s})"),
                )
                .with("status", "active")
                .with("assured_date", "2026-10-01"),
        );
        records.push(
            Record::new("phone", uuid(5, s))
                .with("service_id", id.as_str())
                .with("number", format!("0{} {:06}", 10 + s % 89, s % 1_000_000))
                .with("type", "voice"),
        );
        records.push(
            Record::new("schedule", uuid(6, s))
                .with("service_id", id.as_str())
                .with("freq", "WEEKLY")
                .with("byday", "MO,WE,FR")
                .with("opens_at", "09:00:00")
                .with("closes_at", "13:00:00"),
        );
        let (code, language) = LANGUAGES[rng.below(LANGUAGES.len())];
        records.push(
            Record::new("language", uuid(7, s))
                .with("service_id", id.as_str())
                .with("code", code)
                .with("name", language),
        );
        records.push(
            Record::new("service_at_location", uuid(8, s))
                .with("service_id", id.as_str())
                .with("location_id", uuid(2, o)),
        );
        records.push(
            Record::new("attribute", uuid(9, s))
                .with("link_id", id.as_str())
                .with("link_entity", "service")
                .with("link_type", "need")
                .with("taxonomy_term_id", needs[kind].as_str()),
        );
        if s % 2 == 0 {
            records.push(
                Record::new("translation", uuid(10, s))
                    .with("link_id", id.as_str())
                    .with("link_entity", "service")
                    .with("language", "en")
                    .with("name", format!("{english} {s}")),
            );
        }
    }
    records
}

/// NDJSON: one `service_full` per line, as an API page would give them; the tabular package as
/// `export hsds` writes it.
fn write_inputs(records: &[Record], ndjson: &Path, csv: &Path) -> Result<()> {
    let index = RecordIndex::new(records);
    let mut out = BufWriter::new(std::fs::File::create(ndjson)?);
    for service in records.iter().filter(|r| r.table == "service") {
        serde_json::to_writer(&mut out, &index.assemble(service))?;
        out.write_all(b"\n")?;
    }
    out.flush()?;
    std::fs::create_dir_all(csv)?;
    for (name, bytes) in write_tabular(records) {
        std::fs::write(csv.join(name), bytes)?;
    }
    Ok(())
}

/// The package again with every phone's service missing and every schedule's frequency not
/// one HSDS allows: a problem in each of those rows, to time a refusal at scale. Returns
/// the rows with a problem.
fn write_invalid(mut records: Vec<Record>, dir: &Path) -> Result<usize> {
    let mut invalid = 0;
    for (i, record) in records.iter_mut().enumerate() {
        match record.table.as_str() {
            "phone" if record.fields.contains_key("service_id") => {
                record.set("service_id", uuid(9, i));
                invalid += 1;
            }
            "schedule" => {
                record.set("freq", "sometimes");
                invalid += 1;
            }
            _ => {}
        }
    }
    std::fs::create_dir_all(dir)?;
    for (name, bytes) in write_tabular(&records) {
        std::fs::write(dir.join(name), bytes)?;
    }
    Ok(invalid)
}

struct Backend<'a> {
    name: &'a str,
    exe: &'a Path,
    work: &'a Path,
    postgres: &'a str,
    rows: usize,
}

impl Backend<'_> {
    fn measure(&self, ndjson: &Path, csv: &Path, steps: &mut Vec<Step>) -> Result<()> {
        for (format, input) in [("csv", csv), ("ndjson", ndjson)] {
            let db = self.fresh_database(format)?;
            self.crocevia(&db, &["migrate"], "migrate", None)?;
            let input = input.to_string_lossy();
            let step = self.crocevia(
                &db,
                &["import", "hsds", &input],
                &format!("import {format}"),
                Some(self.rows),
            )?;
            if let Some(why) = &step.note {
                bail!("{}: the synthetic directory was refused ({why})", self.name);
            }
            steps.push(step);
        }
        // The NDJSON import's database stays for the rest.
        let db = self.database("ndjson");
        let exported = self.work.join(format!("export-{}", self.name));
        let (csv_out, json_out) = (exported.join("csv"), exported.join("directory.json"));
        for (format, out) in [("csv", &csv_out), ("json", &json_out)] {
            let out = out.to_string_lossy();
            steps.push(self.crocevia(
                &db,
                &["export", "hsds", "--format", format, &out],
                &format!("export {format}"),
                Some(self.rows),
            )?);
        }
        steps.push(self.crocevia(&db, &["reindex"], "reindex", None)?);
        steps.extend(self.start(&db, "restart (index kept)")?);
        // A new app server on the same database: no index of its own yet.
        let new_server = Database {
            dir: self.work.join(format!("{}-new-server", self.name)),
            url: db.url.clone(),
        };
        copy_without_index(&db.dir, &new_server.dir)?;
        steps.extend(self.start(&new_server, "first start (no index)")?);
        steps.extend(self.ceilings(csv, &db)?);
        if self.name == "postgres" {
            for format in ["csv", "ndjson"] {
                self.drop_database(format)?;
            }
        }
        Ok(())
    }

    /// `import hsds` of the invalid package on a fresh database: the time to refuse it, and
    /// to show the first problem.
    fn refuse(&self, invalid: &Path, invalid_rows: usize) -> Result<Step> {
        let db = self.fresh_database("invalid")?;
        self.crocevia(&db, &["migrate"], "migrate", None)?;
        let bar = spinner(&format!("{}: refuse invalid csv", self.name));
        let input = invalid.to_string_lossy();
        let run = run_measured(self.command(&db, &["import", "hsds", &input]))?;
        bar.finish_and_clear();
        if run.failure.is_none() {
            bail!("{}: the invalid package was accepted", self.name);
        }
        if self.name == "postgres" {
            self.drop_database("invalid")?;
        }
        let note = format!(
            "{invalid_rows} rows with a problem; the first shown after {}",
            run.first_problem_s
                .map_or("–".into(), |s| format!("{s:.2} s"))
        );
        Ok(self.step(
            "refuse invalid csv",
            run.seconds,
            Some(self.rows),
            run.peak,
            Some(note),
        ))
    }

    fn database(&self, format: &str) -> Database {
        let dir = self.work.join(format!("{}-{format}", self.name));
        let url = if self.name == "sqlite" {
            format!("sqlite://{}", dir.join("crocevia.db").display())
        } else {
            let (server, _) = self
                .postgres
                .rsplit_once('/')
                .unwrap_or((self.postgres, ""));
            format!("{server}/{}", pg_name(format))
        };
        Database { dir, url }
    }

    fn fresh_database(&self, format: &str) -> Result<Database> {
        let db = self.database(format);
        if db.dir.exists() {
            std::fs::remove_dir_all(&db.dir)?;
        }
        std::fs::create_dir_all(&db.dir)?;
        if self.name == "postgres" {
            self.drop_database(format)?;
            psql(
                self.postgres,
                &format!("CREATE DATABASE {}", pg_name(format)),
            )?;
        }
        Ok(db)
    }

    fn drop_database(&self, format: &str) -> Result<()> {
        psql(
            self.postgres,
            &format!("DROP DATABASE IF EXISTS {} WITH (FORCE)", pg_name(format)),
        )
    }

    fn command(&self, db: &Database, args: &[&str]) -> Command {
        let mut command = Command::new(self.exe);
        command
            .args(args)
            .env("CROCEVIA_DATA_DIR", &db.dir)
            .env("CROCEVIA_DATABASE_URL", &db.url)
            .env("RUST_LOG", "warn")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped());
        command
    }

    /// Runs one of this binary's commands on `db`, timing it and reading its peak memory.
    fn crocevia(
        &self,
        db: &Database,
        args: &[&str],
        step: &str,
        rows: Option<usize>,
    ) -> Result<Step> {
        let bar = spinner(&format!("{}: {step}", self.name));
        let run = run_measured(self.command(db, args))?;
        bar.finish_and_clear();
        Ok(self.step(step, run.seconds, rows, run.peak, run.failure))
    }

    fn step(
        &self,
        step: &str,
        seconds: f64,
        rows: Option<usize>,
        peak: Option<u64>,
        note: Option<String>,
    ) -> Step {
        let step = Step {
            backend: self.name.to_owned(),
            step: step.to_owned(),
            seconds,
            rows_per_second: rows.map_or(0.0, |r| r as f64 / seconds.max(1e-9)),
            peak_mb: peak.map(|b| b as f64 / 1_048_576.0),
            note,
        };
        println!(
            "{:<9} {:<22} {:>8.2} s {:>10} rows/s {:>8} MB{}",
            step.backend,
            step.step,
            step.seconds,
            step.rate(),
            step.peak(),
            step.note
                .as_deref()
                .map_or(String::new(), |n| format!("  ({n})"))
        );
        step
    }

    /// `serve` on an existing database: the time until `/healthz` answers, then until it
    /// says the search index is ready (a new server builds it after it starts answering), and
    /// the memory then.
    fn start(&self, db: &Database, step: &str) -> Result<Vec<Step>> {
        let port = std::net::TcpListener::bind("127.0.0.1:0")?
            .local_addr()?
            .port();
        let listen = format!("127.0.0.1:{port}");
        let mut command = self.command(db, &["serve", "--listen", &listen]);
        command.stderr(Stdio::null());
        let started = Instant::now();
        let mut child = command.spawn().context("cannot start serve")?;
        let pid = child.id();
        let mut peak = None;
        let mut note = None;
        let mut answering = None;
        loop {
            if let Some(status) = child.try_wait()? {
                note = Some(format!("serve exited with {status} before answering"));
                break;
            }
            peak = proc_kb(&format!("/proc/{pid}/status"), "VmHWM:").or(peak);
            if let Some(health) = healthz(&listen) {
                answering.get_or_insert(started.elapsed().as_secs_f64());
                if health.contains("\"search\":\"ready\"") {
                    break;
                }
            }
            if started.elapsed() > Duration::from_secs(600) {
                note = Some("no ready search index in 600 s".into());
                break;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        let ready = started.elapsed().as_secs_f64();
        let _ = Command::new("kill")
            .args(["-TERM", &pid.to_string()])
            .status();
        let _ = child.wait();
        Ok(vec![
            self.step(
                &format!("{step}: answering"),
                answering.unwrap_or(ready),
                None,
                None,
                None,
            ),
            self.step(&format!("{step}: search ready"), ready, None, peak, note),
        ])
    }

    /// What the database tools do with the same rows.
    fn ceilings(&self, csv: &Path, db: &Database) -> Result<Vec<Step>> {
        let mut steps = Vec::new();
        if self.name == "postgres" {
            if !tool("psql") {
                steps.push(self.step("COPY (ceiling)", 0.0, None, None, Some(missing("psql"))));
            } else {
                let (seconds, peak) = copy_ceiling(&db.url, csv)?;
                steps.push(self.step("COPY (ceiling)", seconds, Some(self.rows), peak, None));
            }
            if tool("pg_dump") {
                let mut dump = Command::new("pg_dump");
                dump.args(["--format=plain", "-f", "/dev/null"])
                    .args(["-t", "hsds_record", "-t", "hsds_ref", &db.url])
                    .stdout(Stdio::null())
                    .stderr(Stdio::piped());
                let Measured {
                    seconds,
                    peak,
                    failure,
                    ..
                } = run_measured(dump)?;
                steps.push(self.step("pg_dump (ceiling)", seconds, Some(self.rows), peak, failure));
            } else {
                steps.push(self.step(
                    "pg_dump (ceiling)",
                    0.0,
                    None,
                    None,
                    Some(missing("pg_dump")),
                ));
            }
        } else if tool("sqlite3") {
            let mut dump = Command::new("sqlite3");
            dump.arg(db.dir.join("crocevia.db"))
                .arg(".dump")
                .stdout(Stdio::null())
                .stderr(Stdio::piped());
            let Measured {
                seconds,
                peak,
                failure,
                ..
            } = run_measured(dump)?;
            steps.push(self.step(".dump (ceiling)", seconds, Some(self.rows), peak, failure));
        } else {
            steps.push(self.step(".dump (ceiling)", 0.0, None, None, Some(missing("sqlite3"))));
        }
        Ok(steps)
    }
}

struct Database {
    dir: PathBuf,
    url: String,
}

/// A data directory as another app server would have it: the database (SQLite) and the
/// audit key, without the search index.
fn copy_without_index(from: &Path, to: &Path) -> Result<()> {
    if to.exists() {
        std::fs::remove_dir_all(to)?;
    }
    std::fs::create_dir_all(to)?;
    for entry in std::fs::read_dir(from)? {
        let path = entry?.path();
        if path.is_file() {
            let name = path.file_name().context("a file name")?;
            std::fs::copy(&path, to.join(name))?;
        }
    }
    Ok(())
}

fn pg_name(format: &str) -> String {
    format!("crocevia_bench_{format}_{}", std::process::id())
}

fn missing(tool: &str) -> String {
    format!("skipped: {tool} is not installed")
}

fn tool(name: &str) -> bool {
    Command::new(name)
        .arg("--version")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

fn psql(url: &str, sql: &str) -> Result<()> {
    let out = Command::new("psql")
        .args(["-q", "-v", "ON_ERROR_STOP=1", url, "-c", sql])
        .output()
        .context("cannot run psql")?;
    if !out.status.success() {
        bail!("psql: {}", String::from_utf8_lossy(&out.stderr).trim());
    }
    Ok(())
}

/// Each CSV file of the package into a table of text columns with `\copy`: the rows as
/// PostgreSQL itself loads them, without checks, references or indexes.
fn copy_ceiling(url: &str, csv: &Path) -> Result<(f64, Option<u64>)> {
    let mut script = String::from("\\set ON_ERROR_STOP 1\n");
    let mut names: Vec<PathBuf> = std::fs::read_dir(csv)?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|e| e == "csv"))
        .collect();
    names.sort();
    for (i, path) in names.iter().enumerate() {
        let mut header = String::new();
        std::fs::File::open(path)?
            .take(64 * 1024)
            .read_to_string(&mut header)
            .ok();
        let columns: Vec<String> = header
            .trim_start_matches('\u{feff}')
            .lines()
            .next()
            .unwrap_or_default()
            .split(',')
            .map(|c| format!("\"{}\" text", c.trim().replace('"', "")))
            .collect();
        script.push_str(&format!(
            "DROP TABLE IF EXISTS copy_ceiling_{i}; CREATE TABLE copy_ceiling_{i} ({});\n\\copy copy_ceiling_{i} FROM '{}' WITH (FORMAT csv, HEADER true)\n",
            columns.join(", "),
            path.display()
        ));
    }
    let script_path = csv.with_extension("copy.sql");
    std::fs::write(&script_path, script)?;
    let mut command = Command::new("psql");
    command
        .args(["-q", url, "-f"])
        .arg(&script_path)
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
    let Measured {
        seconds, failure, ..
    } = run_measured(command)?;
    if let Some(failure) = failure {
        bail!("the COPY ceiling failed: {failure}");
    }
    // psql only streams the files; the work and the memory are the server's.
    Ok((seconds, None))
}

/// Runs `command` to its end: wall time, the child's peak resident memory (sampled while
/// it runs; `VmHWM` is a high-water mark), and its stderr's last lines when it failed.
/// What running a child process gave.
struct Measured {
    seconds: f64,
    peak: Option<u64>,
    /// What it printed when it failed.
    failure: Option<String>,
    /// When it printed its first problem (an indented line on standard error).
    first_problem_s: Option<f64>,
}

fn run_measured(mut command: Command) -> Result<Measured> {
    use std::io::BufRead as _;
    let started = Instant::now();
    let mut child = command.spawn().context("cannot start a benchmark step")?;
    let status_file = format!("/proc/{}/status", child.id());
    let stderr = child.stderr.take();
    let collector = std::thread::spawn(move || {
        let (mut text, mut first_problem_s) = (String::new(), None);
        for line in stderr
            .map(std::io::BufReader::new)
            .into_iter()
            .flat_map(|s| s.lines())
            .map_while(|l| l.ok())
        {
            if first_problem_s.is_none() && line.starts_with("  ") {
                first_problem_s = Some(started.elapsed().as_secs_f64());
            }
            text.push_str(&line);
            text.push('\n');
        }
        (text, first_problem_s)
    });
    let mut peak = None;
    let status = loop {
        if let Some(status) = child.try_wait()? {
            break status;
        }
        peak = proc_kb(&status_file, "VmHWM:").or(peak);
        std::thread::sleep(Duration::from_millis(10));
    };
    let seconds = started.elapsed().as_secs_f64();
    let (text, first_problem_s) = collector.join().unwrap_or_default();
    let failure = (!status.success()).then(|| {
        let lines: Vec<&str> = text
            .lines()
            .filter(|l| !l.trim().is_empty())
            .take(3)
            .collect();
        let mut text = lines.join(" | ");
        if let Some((cut, _)) = text.char_indices().nth(400) {
            text.truncate(cut);
            text.push('…');
        }
        format!("exit {}: {text}", status.code().unwrap_or(-1))
    });
    Ok(Measured {
        seconds,
        peak,
        failure,
        first_problem_s,
    })
}

/// What `/healthz` answers at `address`, when it answers 200.
fn healthz(address: &str) -> Option<String> {
    let mut stream = TcpStream::connect(address).ok()?;
    let _ = stream.set_read_timeout(Some(Duration::from_secs(2)));
    stream
        .write_all(b"GET /healthz HTTP/1.0\r\nHost: localhost\r\n\r\n")
        .ok()?;
    let mut answer = String::new();
    stream.read_to_string(&mut answer).ok()?;
    let status = answer.lines().next()?.split(' ').nth(1)?;
    (status == "200").then_some(answer)
}

fn file_mb(path: &Path) -> f64 {
    std::fs::metadata(path).map_or(0.0, |m| m.len() as f64 / 1_048_576.0)
}

fn dir_mb(path: &Path) -> f64 {
    std::fs::read_dir(path).map_or(0.0, |entries| {
        entries
            .filter_map(|e| e.ok()?.metadata().ok())
            .map(|m| m.len() as f64 / 1_048_576.0)
            .sum()
    })
}

fn print_table(steps: &[Step]) {
    println!();
    println!("| backend | step | seconds | rows/s | peak memory (MB) |");
    println!("|---|---|---|---|---|");
    for s in steps {
        println!(
            "| {} | {} | {:.2} | {} | {} |",
            s.backend,
            s.step,
            s.seconds,
            s.rate(),
            s.peak()
        );
    }
}
