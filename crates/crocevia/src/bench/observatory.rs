//! `crocevia bench observatory`: the observatory's dashboard queries over a synthetic national
//! history (issue 5, section 6), side by side with DuckDB over the same facts.
//!
//! 1. A deterministic history: needs across every real comune over five years (provinces
//!    weighted by their foreign residents, ISTAT 2023, half of a province's needs in its
//!    capoluogo), Zipf-distributed categories, and referrals of some of those needs.
//! 2. Loading it into the observatory's in-memory columns: time and memory.
//! 3. The dashboard queries, each with varying parameters: a map of needs by province for
//!    one year, a time series by month for one region over five years, a breakdown by area of
//!    citizenship and sex for one region over a year; p50 and p99, disclosure control
//!    included.
//! 4. With `--duckdb PYTHON` (a Python with the `duckdb` package): the same facts written as
//!    CSV, loaded into DuckDB, the same queries as `GROUP BY`s; our time / DuckDB's.

use std::io::Write as _;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use chrono::NaiveDate;
use clap::Args;
use crocevia_core::statistics::{ObservationFilter, Sex as StatSex, TerritoryLevel};
use crocevia_observatory::facts::{Month, NeedRow, ReferralRow, UNKNOWN, month_number};
use crocevia_observatory::indicators::{Dim, Filter, Query, indicator};
use crocevia_observatory::{Facts, Settings};
use indicatif::{ProgressBar, ProgressStyle};
use serde::{Deserialize, Serialize};

use super::rng::{Rng, Weighted};
use super::{Latency, peak_memory, reset_peak_memory, resident_memory};

#[derive(Args)]
pub struct ObservatoryArgs {
    /// Needs in the history.
    #[arg(long, default_value_t = 10_000_000)]
    needs: usize,
    /// Referrals in the history.
    #[arg(long, default_value_t = 3_000_000)]
    referrals: usize,
    /// Runs of each dashboard query.
    #[arg(long, default_value_t = 100)]
    runs: usize,
    /// A Python with the `duckdb` package: also measure DuckDB on the same facts.
    #[arg(long)]
    duckdb: Option<PathBuf>,
    /// Where the CSV for DuckDB goes (default: the system's temporary directory).
    #[arg(long)]
    work_dir: Option<PathBuf>,
    /// Also write the results as JSON.
    #[arg(long)]
    json: Option<PathBuf>,
    #[arg(long, default_value_t = 11)]
    seed: u64,
}

/// The history ends with October 2026 and spans five years.
const LAST_MONTH: (i32, u32) = (2026, 10);
const YEARS: u16 = 5;

#[derive(Debug, Serialize, Deserialize, Clone)]
struct Params {
    kind: String,
    /// Province/region index, or none.
    region: Option<u8>,
    from: Month,
    to: Month,
}

#[derive(Debug, Serialize)]
struct Report {
    needs: usize,
    referrals: usize,
    generation_s: f64,
    load_s: f64,
    /// The columns and id maps as counted by the observatory.
    facts_bytes: usize,
    /// Resident memory added by loading (VmRSS after - before).
    load_resident_bytes: Option<u64>,
    peak_bytes: Option<u64>,
    ours: std::collections::BTreeMap<String, Latency>,
    duckdb: Option<std::collections::BTreeMap<String, Latency>>,
    duckdb_load_s: Option<f64>,
}

pub fn run(args: &ObservatoryArgs) -> Result<ExitCode> {
    let territories = crocevia_web::territories();
    let started = Instant::now();
    let history = generate(args, territories)?;
    let generation_s = started.elapsed().as_secs_f64();
    println!(
        "generated {} needs and {} referrals in {generation_s:.1} s",
        history.needs.len(),
        history.referrals.len()
    );

    reset_peak_memory();
    let before = resident_memory();
    let started = Instant::now();
    let mut facts = Facts::new(territories);
    for (i, row) in history.needs.iter().enumerate() {
        facts.needs.put(i as u128, *row);
    }
    // As the first load from the database does.
    facts.needs.sort_by_month();
    for (i, row) in history.referrals.iter().enumerate() {
        facts.referrals.put(i as u128, *row);
    }
    for org in 0..history.organisations {
        facts.codes.intern_organisation(&format!("org-{org}"));
    }
    let load_s = started.elapsed().as_secs_f64();
    let load_resident_bytes = resident_memory()
        .zip(before)
        .map(|(after, before)| after.saturating_sub(before));
    let facts_bytes = facts.needs.memory_bytes() + facts.referrals.memory_bytes();
    println!(
        "loaded into the observatory in {load_s:.2} s: {} MB of columns and ids ({} MB resident)",
        facts_bytes / 1_000_000,
        load_resident_bytes.map_or("?".into(), |b| (b / 1_000_000).to_string())
    );

    let params = query_params(args, territories.regions.len());
    let settings = Settings::default();
    let today = NaiveDate::from_ymd_opt(LAST_MONTH.0, LAST_MONTH.1, 28).expect("a date");
    let mut ours = std::collections::BTreeMap::new();
    for kind in KINDS {
        let mut samples = Vec::new();
        let mut cells = Vec::new();
        for p in params.iter().filter(|p| p.kind == kind) {
            let query = our_query(p);
            let started = Instant::now();
            let table = facts
                .compute(&query, &settings, today)
                .map_err(|e| anyhow::anyhow!("{e}"))?;
            samples.push(started.elapsed());
            cells.push(table.cells.len() * table.columns.categories.len());
        }
        let latency = Latency::of(samples, &cells, None).context("no runs")?;
        println!(
            "ours   {kind:<28} p50 {:>7.2} ms  p99 {:>7.2} ms  ({} runs, {:.0} cells)",
            latency.p50_ms, latency.p99_ms, latency.n, latency.hits
        );
        ours.insert(kind.to_owned(), latency);
    }

    let (duckdb, duckdb_load_s) = match &args.duckdb {
        Some(python) => {
            let (latencies, load) = duckdb(args, python, &history, &params)?;
            for kind in KINDS {
                let (o, d) = (&ours[kind], &latencies[kind]);
                println!(
                    "duckdb {kind:<28} p50 {:>7.2} ms  p99 {:>7.2} ms  ours/duckdb p50 {:.2}  p99 {:.2}",
                    d.p50_ms,
                    d.p99_ms,
                    o.p50_ms / d.p50_ms,
                    o.p99_ms / d.p99_ms
                );
            }
            (Some(latencies), Some(load))
        }
        None => (None, None),
    };
    let report = Report {
        needs: history.needs.len(),
        referrals: history.referrals.len(),
        generation_s,
        load_s,
        facts_bytes,
        load_resident_bytes,
        peak_bytes: peak_memory(),
        ours,
        duckdb,
        duckdb_load_s,
    };
    if let Some(path) = &args.json {
        std::fs::write(path, serde_json::to_string_pretty(&report)?)
            .with_context(|| format!("cannot write {}", path.display()))?;
    }
    Ok(ExitCode::SUCCESS)
}

const KINDS: [&str; 3] = [
    "map_by_province_one_year",
    "series_by_month_one_region",
    "area_by_sex_one_region",
];

fn our_query(p: &Params) -> Query {
    let needs = indicator("needs").expect("built in");
    let (by, region) = match p.kind.as_str() {
        "map_by_province_one_year" => (vec![Dim::Province], None),
        "series_by_month_one_region" => (vec![Dim::Month], p.region),
        _ => (vec![Dim::CitizenshipArea, Dim::Sex], p.region),
    };
    Query {
        indicator: needs,
        by,
        filter: Filter {
            region,
            from: Some(p.from),
            to: Some(p.to),
            ..Filter::default()
        },
    }
}

fn query_params(args: &ObservatoryArgs, regions: usize) -> Vec<Params> {
    let last = month_number(LAST_MONTH.0, LAST_MONTH.1);
    let first = last + 1 - 12 * YEARS;
    let mut rng = Rng::new(args.seed ^ 0x5eed);
    let mut params = Vec::new();
    for _ in 0..args.runs {
        let year_start = first + 12 * rng.below(usize::from(YEARS)) as u16;
        params.push(Params {
            kind: KINDS[0].into(),
            region: None,
            from: year_start,
            to: year_start + 11,
        });
        params.push(Params {
            kind: KINDS[1].into(),
            region: Some(rng.below(regions) as u8),
            from: first,
            to: last,
        });
        params.push(Params {
            kind: KINDS[2].into(),
            region: Some(rng.below(regions) as u8),
            from: year_start,
            to: year_start + 11,
        });
    }
    params
}

struct History {
    needs: Vec<NeedRow>,
    referrals: Vec<ReferralRow>,
    organisations: u16,
}

fn generate(
    args: &ObservatoryArgs,
    territories: &'static crocevia_core::territory::Territories,
) -> Result<History> {
    let residents = crocevia_core::statistics::load_embedded()
        .map_err(|p| anyhow::anyhow!("the shipped statistics do not parse: {p:?}"))?
        .into_iter()
        .find(|d| d.info.id == "foreign_residents")
        .context("foreign residents are shipped")?;
    let filter = ObservationFilter::default().level(TerritoryLevel::Province);
    let weight_of = |code: &str| {
        residents
            .select(&filter)
            .filter(|o| o.territory.code == code && o.sex == Some(StatSex::Total))
            .map(|o| o.value)
            .max()
            .unwrap_or(1) as f64
    };
    let provinces = &territories.provinces;
    let province_weights = Weighted::new(provinces.iter().map(|p| weight_of(&p.code)));
    let comuni_of: Vec<Vec<u16>> = provinces
        .iter()
        .map(|p| {
            territories
                .comuni
                .iter()
                .enumerate()
                .filter(|(_, c)| c.province_code == p.code)
                .map(|(i, _)| i as u16)
                .collect()
        })
        .collect();
    let capital_of: Vec<Option<u16>> = provinces
        .iter()
        .zip(&comuni_of)
        .map(|(_, comuni)| {
            comuni
                .iter()
                .copied()
                .find(|&c| territories.comuni[usize::from(c)].is_provincial_capital)
        })
        .collect();
    let region_index = |code: &str| {
        territories
            .regions
            .iter()
            .position(|r| r.code == code)
            .map_or(UNKNOWN, |i| i as u8)
    };
    let codes = crocevia_observatory::facts::Codes::new(territories);
    let terms = codes.term_codes.len();
    let categories = Weighted::zipf(terms, 1.1);
    let areas = Weighted::zipf(codes.areas.len(), 0.9);
    let ages = Weighted::new([8.0, 14.0, 28.0, 24.0, 14.0, 8.0, 4.0]);
    let last = month_number(LAST_MONTH.0, LAST_MONTH.1);
    let first = last + 1 - 12 * YEARS;
    // More needs recorded each year, as desks join the network.
    let months = Weighted::new((0..12 * YEARS).map(|m| 1.0 + f64::from(m) / 30.0));
    // About twenty desks per province.
    let organisations = (provinces.len() * 20) as u16;

    let bar = ProgressBar::new((args.needs + args.referrals) as u64);
    bar.set_style(
        ProgressStyle::with_template("{msg:>10} [{bar:40}] {pos}/{len} {per_sec}")
            .expect("a template"),
    );
    bar.set_message("history");
    let mut needs = Vec::with_capacity(args.needs);
    let mut rng = Rng::new(args.seed);
    for i in 0..args.needs {
        let p = province_weights.sample(&mut rng);
        let comune = match capital_of[p] {
            Some(capital) if rng.chance(0.5) => capital,
            _ => *comuni_of[p]
                .get(rng.below(comuni_of[p].len().max(1)))
                .unwrap_or(&0),
        };
        let term = categories.sample(&mut rng) as u8;
        needs.push(NeedRow {
            month: first + months.sample(&mut rng) as u16,
            comune,
            province: p as u8,
            region: region_index(&provinces[p].region_code),
            sex: if rng.chance(0.52) { 0 } else { 1 },
            age: ages.sample(&mut rng) as u8,
            area: areas.sample(&mut rng) as u8,
            term,
            category: codes.top_category_of_term[usize::from(term)],
            organisation: (p * 20 + rng.below(20)) as u16,
            counted: rng.chance(0.95),
        });
        if i % 100_000 == 0 {
            bar.set_position(i as u64);
        }
    }
    let states = Weighted::new([10.0, 8.0, 12.0, 10.0, 45.0, 8.0, 3.0, 4.0]);
    let mut referrals = Vec::with_capacity(args.referrals);
    for i in 0..args.referrals {
        let need = rng.below(needs.len().max(1)) as u32;
        let month = needs[need as usize].month;
        let state = states.sample(&mut rng) as u8;
        referrals.push(ReferralRow {
            need,
            month: (month + rng.below(2) as u16).min(last),
            state,
            reason: if state >= 2 {
                rng.below(12) as u8
            } else {
                UNKNOWN
            },
            answer_minutes: if state == 0 {
                u32::MAX
            } else {
                (rng.unit() * rng.unit() * 4320.0) as u32
            },
            from: needs[need as usize].organisation,
            to: rng.below(usize::from(organisations)) as u16,
        });
        if i % 100_000 == 0 {
            bar.set_position((args.needs + i) as u64);
        }
    }
    bar.finish_and_clear();
    if needs.is_empty() {
        bail!("a history needs at least one need");
    }
    Ok(History {
        needs,
        referrals,
        organisations,
    })
}

#[derive(Deserialize)]
struct DuckdbOut {
    load_s: f64,
    /// Milliseconds per run, by kind.
    runs: std::collections::BTreeMap<String, Vec<f64>>,
}

const DUCKDB_SCRIPT: &str = include_str!("observatory_duckdb.py");

fn duckdb(
    args: &ObservatoryArgs,
    python: &PathBuf,
    history: &History,
    params: &[Params],
) -> Result<(std::collections::BTreeMap<String, Latency>, f64)> {
    let dir = match &args.work_dir {
        Some(d) => tempfile::tempdir_in(d)?,
        None => tempfile::tempdir()?,
    };
    let csv = dir.path().join("needs.csv");
    let started = Instant::now();
    let mut out = std::io::BufWriter::new(std::fs::File::create(&csv)?);
    writeln!(out, "month,province,region,sex,area,counted")?;
    for n in &history.needs {
        writeln!(
            out,
            "{},{},{},{},{},{}",
            n.month,
            n.province,
            n.region,
            n.sex,
            n.area,
            u8::from(n.counted)
        )?;
    }
    out.flush()?;
    drop(out);
    println!(
        "wrote the needs for DuckDB in {:.1} s ({} MB)",
        started.elapsed().as_secs_f64(),
        std::fs::metadata(&csv)?.len() / 1_000_000
    );
    let params_path = dir.path().join("params.json");
    std::fs::write(&params_path, serde_json::to_vec(params)?)?;
    let script = dir.path().join("bench.py");
    std::fs::write(&script, DUCKDB_SCRIPT)?;
    let output = std::process::Command::new(python)
        .arg(&script)
        .arg(&csv)
        .arg(&params_path)
        .output()
        .with_context(|| format!("cannot run {}", python.display()))?;
    if !output.status.success() {
        bail!(
            "DuckDB's run failed (is the duckdb package installed for {}?): {}",
            python.display(),
            String::from_utf8_lossy(&output.stderr)
        );
    }
    let result: DuckdbOut = serde_json::from_slice(&output.stdout)
        .context("DuckDB's run printed something else than its figures")?;
    println!("DuckDB loaded the CSV in {:.1} s", result.load_s);
    let mut latencies = std::collections::BTreeMap::new();
    for (kind, ms) in result.runs {
        let samples: Vec<Duration> = ms
            .iter()
            .map(|m| Duration::from_secs_f64(m / 1000.0))
            .collect();
        let rows = vec![0; samples.len()];
        if let Some(l) = Latency::of(samples, &rows, None) {
            latencies.insert(kind, l);
        }
    }
    Ok((latencies, result.load_s))
}
