//! `crocevia bench xlsform`: how long the survey features take on realistic inputs.
//!
//! 1. reading and validating the real 548-question needs assessment (REACH MSNA 2024, in
//!    tests/conformance/xlsform/real/);
//! 2. rendering its first page for a new respondent (the whole server-side work of a GET:
//!    pages, defaults, calculations, relevance, the HTML);
//! 3. exporting N synthetic submissions (default 100,000) of our needs-assessment form from
//!    a fresh SQLite database, as CSV and as XLSX with its repeat sheet.

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use chrono::{FixedOffset, TimeZone, Utc};
use clap::Args;
use crocevia_store::survey::{Audience, FormVersion, Submission, SubmissionStatus, Survey};
use futures::StreamExt as _;
use serde_json::json;

use super::rng::Rng;

#[derive(Args)]
pub struct XlsformArgs {
    /// The large form to validate and render.
    #[arg(
        long,
        default_value = "tests/conformance/xlsform/real/REACH_2024_MSNA-kobo-tool_draft_v11.xlsx"
    )]
    form: PathBuf,
    /// The form whose synthetic submissions are exported.
    #[arg(long, default_value = "data/surveys/needs-assessment.xlsx")]
    export_form: PathBuf,
    /// Synthetic submissions to export.
    #[arg(long, default_value_t = 100_000)]
    submissions: usize,
    /// Repetitions of the validation and rendering measures.
    #[arg(long, default_value_t = 30)]
    runs: usize,
}

fn median(mut times: Vec<Duration>) -> Duration {
    times.sort();
    times[times.len() / 2]
}

fn ms(d: Duration) -> String {
    format!("{:.2} ms", d.as_secs_f64() * 1000.0)
}

pub async fn run(args: XlsformArgs) -> Result<ExitCode> {
    let bytes =
        std::fs::read(&args.form).with_context(|| format!("reading {}", args.form.display()))?;
    let runs = args.runs.max(1);

    let mut read_times = Vec::new();
    let mut validate_times = Vec::new();
    let mut form = None;
    for _ in 0..runs {
        let started = Instant::now();
        let f = crocevia_xlsform::read_xlsx(&bytes)?;
        read_times.push(started.elapsed());
        let started = Instant::now();
        let report = crocevia_xlsform::validate(&f);
        validate_times.push(started.elapsed());
        anyhow::ensure!(report.is_valid(), "the form is not valid:\n{report}");
        form = Some(f);
    }
    let form = form.expect("at least one run");
    println!(
        "form: {} ({} questions, {} languages)",
        args.form.display(),
        form.question_count(),
        form.languages.len()
    );
    println!(
        "read (xlsx → form), median of {runs}:  {}",
        ms(median(read_times))
    );
    println!(
        "validate, median of {runs}:           {}",
        ms(median(validate_times))
    );

    let now = FixedOffset::east_opt(3600)
        .expect("an offset")
        .with_ymd_and_hms(2026, 12, 4, 10, 0, 0)
        .single()
        .expect("a time");
    let language = crocevia_i18n::language("en").expect("English");
    let mut render_times = Vec::new();
    let mut size = 0;
    for _ in 0..runs {
        let started = Instant::now();
        let html = crocevia_web::survey::respond::first_page_html(&form, language, now);
        render_times.push(started.elapsed());
        size = html.len();
    }
    println!(
        "render the first page ({} KiB of HTML), median of {runs}: {}",
        size / 1024,
        ms(median(render_times))
    );

    // Exports: a fresh SQLite database with N synthetic submissions.
    let export_bytes = std::fs::read(&args.export_form)
        .with_context(|| format!("reading {}", args.export_form.display()))?;
    let export_form = crocevia_xlsform::read_xlsx(&export_bytes)?;
    let dir = tempfile::tempdir()?;
    let url = format!("sqlite://{}", dir.path().join("bench.db").display());
    let store = crocevia_store_sql::open(&url, crocevia_store_sql::AuditSeal::unkeyed()).await?;
    let at = Utc
        .with_ymd_and_hms(2026, 12, 1, 9, 0, 0)
        .single()
        .expect("a time");
    let survey = Survey {
        id: "bench-survey".into(),
        organization_id: "bench-org".into(),
        title: "Bench".into(),
        share_token: "bench".into(),
        audience: Audience::Public,
        created_at: at,
        created_by: "bench".into(),
    };
    let version = FormVersion {
        id: "bench-version".into(),
        survey_id: survey.id.clone(),
        number: 1,
        file_name: "needs-assessment.xlsx".into(),
        form_id: "needs_assessment".into(),
        form_version: String::new(),
        title: "Bench".into(),
        languages: export_form.languages.clone(),
        deployed: true,
        uploaded_at: at,
        uploaded_by: "bench".into(),
        completed: 0,
        drafts: 0,
    };
    store
        .create_survey(&survey, &version, &export_bytes)
        .await?;
    let mut rng = Rng::new(11);
    let sexes = ["female", "male", "not_stated"];
    let needs = [
        "documents",
        "housing",
        "work",
        "health",
        "language",
        "legal",
        "other",
    ];
    let started = Instant::now();
    let mut batch = Vec::with_capacity(5000);
    for i in 0..args.submissions {
        let members: Vec<_> = (0..1 + rng.below(4))
            .map(|_| {
                let age = rng.below(80);
                json!({"member_age": age.to_string(), "is_child": if age < 18 { "1" } else { "0" }})
            })
            .collect();
        let chosen: Vec<&str> = needs
            .iter()
            .copied()
            .filter(|_| rng.below(3) == 0)
            .collect();
        let chosen = if chosen.is_empty() {
            vec!["housing"]
        } else {
            chosen
        };
        batch.push(Submission {
            id: format!("{i:09}"),
            version_id: version.id.clone(),
            resume_token: format!("r{i:09}"),
            language: "Italiano (it)".into(),
            status: SubmissionStatus::Complete,
            answers: json!({
                "sex": sexes[rng.below(3)],
                "age": (16 + rng.below(60)).to_string(),
                "member": members,
                "needs": chosen.join(" "),
                "needs_other": if chosen.contains(&"other") { "bicicletta" } else { "" },
                "has_work": if rng.below(2) == 0 { "yes" } else { "no" },
                "hours": (1 + rng.below(40)).to_string(),
            }),
            page: 2,
            started_at: at,
            updated_at: at,
            completed_at: Some(at),
        });
        if batch.len() == batch.capacity() {
            store.save_submissions(&batch).await?;
            batch.clear();
        }
    }
    store.save_submissions(&batch).await?;
    println!(
        "{} synthetic submissions written to SQLite in {:.1} s (setup, not measured below)",
        args.submissions,
        started.elapsed().as_secs_f64()
    );

    let params = crocevia_web::survey::export::ExportParams {
        labels: "it".into(),
        multiple: "split".into(),
        ..Default::default()
    };
    let started = Instant::now();
    let mut stream = Box::pin(crocevia_web::survey::export::csv_stream(
        store.clone(),
        &export_form,
        &version.id,
        &params,
    ));
    let mut csv_bytes = 0usize;
    while let Some(chunk) = stream.next().await {
        csv_bytes += chunk?.len();
    }
    println!(
        "CSV export of {} submissions: {:.2} s ({} MiB)",
        args.submissions,
        started.elapsed().as_secs_f64(),
        csv_bytes / (1024 * 1024)
    );

    let state = crocevia_web::AppState::new(
        store.clone(),
        Arc::new(crocevia_core::clock::SystemClock),
        crocevia_web::WebConfig::default(),
    );
    let started = Instant::now();
    let xlsx = crocevia_web::survey::export::write_xlsx(&state, &export_form, &version.id, &params)
        .await
        .map_err(|e| anyhow::anyhow!("{e:?}"))?;
    println!(
        "XLSX export of {} submissions (main sheet + repeat sheet): {:.2} s ({} MiB)",
        args.submissions,
        started.elapsed().as_secs_f64(),
        xlsx.len() / (1024 * 1024)
    );
    store.close().await;
    Ok(ExitCode::SUCCESS)
}
