//! `crocevia`: one binary for serving, migrating, importing, exporting and the demo.

mod audit;
#[cfg(feature = "bench")]
mod bench;
mod config;
mod demo_history;
mod operations;
mod transfer;
mod users;

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::{Context, Result};
use clap::{Parser, Subcommand, ValueEnum};
use crocevia_core::clock::{Clock, SystemClock};
use crocevia_search::{SearchIndex, SearchService};
use crocevia_store::Store;
use crocevia_store_sql::AuditSeal;

use crate::config::{Config, Overrides};

#[derive(Parser)]
#[command(
    name = "crocevia",
    version,
    about = "Services network for third-country nationals: directory, desk, observatory."
)]
struct Cli {
    #[command(flatten)]
    overrides: Overrides,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run the web server (migrates the database first).
    Serve {
        /// Load the demo network first, if it is not loaded yet.
        #[arg(long)]
        demo: bool,
    },
    /// Bring the database schema up to date, and load reference data on first start.
    Migrate,
    /// Load the demo network (L'Aquila and Barletta-Andria-Trani).
    Demo,
    /// Rebuild the search index of this server from the database.
    Reindex,
    /// Import data.
    Import {
        #[command(subcommand)]
        what: ImportKind,
    },
    /// Export data.
    Export {
        #[command(subcommand)]
        what: ExportKind,
    },
    /// Manage API tokens of organisations.
    Token {
        #[command(subcommand)]
        action: TokenAction,
    },
    /// Manage back-office accounts.
    User {
        #[command(subcommand)]
        action: users::UserAction,
    },
    /// Measure: `bench search` compares our search with the alternatives (see
    /// docs/benchmarks.md). Built with `--features bench`.
    #[cfg(feature = "bench")]
    Bench {
        #[command(subcommand)]
        what: bench::BenchCommand,
    },
    /// The audit trail of personal data: `audit verify` checks its hash chain and exits 3
    /// when an entry was changed or deleted.
    Audit {
        #[command(subcommand)]
        what: AuditCommand,
    },
    /// Back up the database to FILE: SQLite with `VACUUM INTO` (consistent while the server
    /// runs), PostgreSQL with `pg_dump --format=custom`.
    Backup { file: PathBuf },
    /// Restore the database from FILE (made by `backup`), then migrate it. Stop the server
    /// first. Refuses a database holding data unless --force.
    Restore {
        file: PathBuf,
        /// Replace a database that already holds data.
        #[arg(long)]
        force: bool,
    },
    /// Move this SQLite installation to the PostgreSQL database at TARGET (postgres://…):
    /// migrates it, copies every table in one transaction, checks the row counts. Stop the
    /// server first.
    MigrateTo { target: String },
    /// Work with XLSForm survey forms.
    Xlsform {
        #[command(subcommand)]
        what: XlsformCommand,
    },
}

#[derive(Subcommand)]
enum AuditCommand {
    /// Check that no entry was changed or deleted: every entry's seal, the links between
    /// them, the head, and with --checkpoint the signed heads the server wrote.
    Verify {
        /// Checkpoints to check the trail against (the checkpoint file, or lines of the
        /// server's log that carry them); a cut tail with a rewritten head shows only so.
        #[arg(long)]
        checkpoint: Option<PathBuf>,
    },
    /// Write a signed checkpoint of the trail's head now (to the configured checkpoint
    /// file unless --out is given).
    Checkpoint {
        #[arg(long)]
        out: Option<PathBuf>,
    },
}

#[derive(Subcommand)]
enum XlsformCommand {
    /// Check a form (.xlsx, .xls, .ods or CSV): prints every error and warning with sheet,
    /// row and column; exits 2 when the form has errors.
    Check { form: PathBuf },
}

#[derive(Subcommand)]
enum ImportKind {
    /// HSDS 3.0 data: directories of CSV files (with datapackage.json) and/or JSON/NDJSON
    /// files, imported together in one transaction.
    Hsds {
        #[arg(required = true)]
        paths: Vec<PathBuf>,
        /// Replace rows that already exist instead of refusing the import.
        #[arg(long)]
        replace: bool,
        /// Also write the problems found, as JSON, to this file.
        #[arg(long)]
        report: Option<PathBuf>,
    },
}

#[derive(Clone, Copy, ValueEnum)]
enum ExportFormat {
    Csv,
    Json,
}

#[derive(Subcommand)]
enum ExportKind {
    /// The whole directory as HSDS 3.0: a directory of CSV files, or one JSON file.
    Hsds {
        #[arg(long, value_enum, default_value = "csv")]
        format: ExportFormat,
        path: PathBuf,
    },
}

#[derive(Subcommand)]
enum TokenAction {
    /// Create a token for an organisation; it is printed once and stored only as a hash.
    Create {
        #[arg(long)]
        organization: String,
        #[arg(long, default_value = "api")]
        label: String,
    },
}

/// Exit codes: 0 done, 1 failure, 2 the input data was refused.
const EXIT_INVALID_DATA: u8 = 2;

/// Bulk imports and exports allocate and free millions of small values (a record's fields);
/// mimalloc does that in about half the time of the system allocator.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    let cli = Cli::parse();
    init_logging();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("tokio runtime");
    match runtime.block_on(run(cli)) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

fn init_logging() {
    let filter = tracing_subscriber::EnvFilter::try_from_env("CROCEVIA_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info,sqlx=warn,tower_http=info"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    if std::env::var("CROCEVIA_LOG_FORMAT").as_deref() == Ok("json") {
        builder.json().init();
    } else {
        builder.init();
    }
}

async fn run(cli: Cli) -> Result<ExitCode> {
    // Checking a form needs no database.
    if let Command::Xlsform {
        what: XlsformCommand::Check { form },
    } = &cli.command
    {
        return check_xlsform(form);
    }
    let config = Config::resolve(&cli.overrides, |k| std::env::var(k).ok())?;
    // Backups read the database as it is; a restore replaces it before migrating.
    match &cli.command {
        Command::Backup { file } => return operations::backup(&config, file).await,
        Command::Restore { file, force } => {
            return operations::restore(&config, file, *force).await;
        }
        _ => {}
    }
    let clock: Arc<dyn Clock> = Arc::new(SystemClock);
    // The audit commands check with the key there is; they never make a new one.
    let create_key = !matches!(cli.command, Command::Audit { .. });
    let store = open_store(&config, create_key).await?;
    let outcome = execute(cli.command, config, store.clone(), clock).await;
    store.close().await;
    outcome
}

async fn execute(
    command: Command,
    config: Config,
    store: Arc<dyn Store>,
    clock: Arc<dyn Clock>,
) -> Result<ExitCode> {
    match command {
        Command::Migrate => {
            println!("database is up to date ({})", store.backend());
            Ok(ExitCode::SUCCESS)
        }
        Command::Serve { demo } => {
            if demo {
                transfer::load_demo(store.as_ref(), clock.as_ref()).await?;
                transfer::create_demo_accounts(store.as_ref(), clock.as_ref()).await?;
                let people =
                    demo_history::create(store.as_ref(), clock.now(), &config.desk).await?;
                if people > 0 {
                    println!(
                        "Demo desk history: {people} people over two years, with their needs and referrals."
                    );
                }
            }
            serve(config, store, clock, demo).await?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Reindex => {
            let search = open_search(&config, store.clone(), true)?;
            let started = std::time::Instant::now();
            search.sync().await?;
            println!(
                "Search index rebuilt: {} services in {:.1} s.",
                search.index().len(),
                started.elapsed().as_secs_f64()
            );
            Ok(ExitCode::SUCCESS)
        }
        Command::Demo => {
            transfer::load_demo(store.as_ref(), clock.as_ref()).await?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Import {
            what:
                ImportKind::Hsds {
                    paths,
                    replace,
                    report,
                },
        } => {
            let ok = transfer::import_hsds(
                store.as_ref(),
                clock.as_ref(),
                &paths,
                replace,
                report.as_deref(),
            )
            .await?;
            Ok(if ok {
                ExitCode::SUCCESS
            } else {
                ExitCode::from(EXIT_INVALID_DATA)
            })
        }
        Command::Export {
            what: ExportKind::Hsds { format, path },
        } => {
            transfer::export_hsds(store.as_ref(), matches!(format, ExportFormat::Json), &path)
                .await?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Token {
            action:
                TokenAction::Create {
                    organization,
                    label,
                },
        } => {
            if store.get("organization", &organization).await?.is_none() {
                anyhow::bail!(
                    "no organization with id {organization}; list them at /api/hsds/organizations"
                );
            }
            let (token, token_hash) = crocevia_web::write_api::new_token();
            store
                .insert_token(&crocevia_store::ApiToken {
                    token_hash,
                    organization_id: organization,
                    label,
                    created_at: clock.now(),
                })
                .await?;
            println!("{token}");
            eprintln!(
                "Keep this token safe: it is shown only now. Send it as 'Authorization: Bearer TOKEN'."
            );
            Ok(ExitCode::SUCCESS)
        }
        Command::User { action } => users::run(action, store.as_ref(), clock.as_ref()).await,
        #[cfg(feature = "bench")]
        Command::Bench { what } => bench::run(what).await,
        Command::Audit {
            what: AuditCommand::Verify { checkpoint },
        } => audit::verify(store.as_ref(), store.audit_seal(), checkpoint.as_deref()).await,
        Command::Audit {
            what: AuditCommand::Checkpoint { out },
        } => {
            let out = out.unwrap_or_else(|| config.audit.checkpoint_file.clone());
            audit::checkpoint_now(store.as_ref(), store.audit_seal(), &out, clock.now()).await
        }
        Command::MigrateTo { target } => operations::migrate_to(&config, &target).await,
        Command::Backup { file } => operations::backup(&config, &file).await,
        Command::Restore { file, force } => operations::restore(&config, &file, force).await,
        Command::Xlsform {
            what: XlsformCommand::Check { form },
        } => check_xlsform(&form),
    }
}

fn check_xlsform(path: &std::path::Path) -> Result<ExitCode> {
    let form = crocevia_xlsform::read_path(path)
        .with_context(|| format!("cannot read the form {}", path.display()))?;
    let report = crocevia_xlsform::validate(&form);
    println!("{report}");
    Ok(if report.is_valid() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(EXIT_INVALID_DATA)
    })
}

/// Opens the database (creating the data directory for SQLite), migrates it and loads the
/// reference data a new installation needs. The store seals audit entries with the key file;
/// on first start (`create_key`) the key is made, keying the entries after those already there.
async fn open_store(config: &Config, create_key: bool) -> Result<Arc<dyn Store>> {
    if config.database_url.as_str().starts_with("sqlite:") {
        std::fs::create_dir_all(&config.data_dir).with_context(|| {
            format!(
                "cannot create the data directory {}",
                config.data_dir.display()
            )
        })?;
    }
    let open = |seal| async {
        crocevia_store_sql::open(config.database_url.as_str(), seal)
            .await
            .with_context(|| format!("cannot open the database at {}", config.database_url))
    };
    let key_file = &config.audit.key_file;
    let seal = match audit::load_key(key_file)? {
        Some(seal) => seal,
        None if create_key => {
            let plain = open(AuditSeal::unkeyed()).await?;
            let head = plain.audit_head().await?.map_or(0, |(seq, _)| seq);
            plain.close().await;
            audit::create_key(key_file, head + 1)?
        }
        None => {
            eprintln!(
                "warning: no audit key at {}: entries are checked as unkeyed SHA-256 (set \
                 [audit] key_file or CROCEVIA_AUDIT_KEY_FILE to the servers' key file)",
                key_file.display()
            );
            AuditSeal::unkeyed()
        }
    };
    let store = open(seal).await?;
    transfer::load_reference_data(store.as_ref()).await?;
    Ok(store)
}

/// This server's search index, in the data directory (each app server keeps its own and
/// follows the shared change log). `fresh` deletes it first, for `reindex`.
fn open_search(config: &Config, store: Arc<dyn Store>, fresh: bool) -> Result<Arc<SearchService>> {
    let dir = config.data_dir.join("search");
    if fresh && dir.exists() {
        std::fs::remove_dir_all(&dir)
            .with_context(|| format!("cannot remove {}", dir.display()))?;
    }
    let index = SearchIndex::open(&dir)
        .with_context(|| format!("cannot open the search index in {}", dir.display()))?;
    Ok(Arc::new(SearchService::new(
        store,
        index,
        crocevia_web::territories(),
    )))
}

/// Follows writes made by other app servers (and by imports) into this server's index.
/// The first round brings the index up to date (building it when new) as soon as the server
/// starts.
async fn follow_changes(search: Arc<SearchService>) {
    let mut every = tokio::time::interval(crocevia_web::search_api::FOLLOW_INTERVAL);
    loop {
        every.tick().await;
        match search.sync().await {
            Ok(synced) if synced.services > 0 => tracing::info!(
                changes = synced.changes,
                services = synced.services,
                "search index up to date"
            ),
            Ok(_) | Err(crocevia_search::SyncError::Building) => {}
            Err(e) => tracing::warn!(error = %e, "search index follower: will retry"),
        }
    }
}

async fn serve(
    config: Config,
    store: Arc<dyn Store>,
    clock: Arc<dyn Clock>,
    demo: bool,
) -> Result<()> {
    let search = open_search(&config, store.clone(), false)?;
    if search.index().needs_rebuild() {
        // A new app server, or an upgrade that changed the index: the server answers at once
        // and searches answer 503 `search_unavailable` until the follower has built it.
        tracing::warn!(
            "the search index is being built from the directory; searches answer 503 until it is done"
        );
    }
    let follower = tokio::spawn(follow_changes(search.clone()));
    let listener = tokio::net::TcpListener::bind(config.listen)
        .await
        .with_context(|| format!("cannot listen on {}: is another server using the port? Choose another with --listen", config.listen))?;
    let bound = listener.local_addr()?;
    // Port 0 asks the system for a free port: the URL must name the one we got.
    let public_url = if config.listen.port() == 0 {
        format!("http://{bound}")
    } else {
        config.public_url.clone()
    };
    if let Some(oidc) = &config.oidc {
        tracing::info!(
            issuer = %oidc.issuer,
            redirect_uri = %format!("{public_url}{}", crocevia_web::oidc::CALLBACK_PATH),
            "OpenID Connect login enabled"
        );
    }
    let web_config = crocevia_web::WebConfig {
        public_url: public_url.clone(),
        desk: config.desk,
        observatory: config.observatory,
        oidc: config.oidc.clone(),
        search_cache_entries: config.search_cache_entries,
        trusted_proxies: config.trusted_proxies.clone(),
        metrics_token: config.metrics_token.clone(),
        rate_limits: config.rate_limits,
        demo,
        ..crocevia_web::WebConfig::default()
    };
    let mailer = match &config.smtp {
        Some(smtp) => Some(
            crocevia_web::desk::mail::Mailer::new(smtp)
                .map_err(|e| anyhow::anyhow!("{e}: check the [smtp] settings"))?,
        ),
        None => {
            tracing::warn!("no SMTP server configured ([smtp] host): e-mail notices stay queued");
            None
        }
    };
    let checkpoints = tokio::spawn(audit::checkpoints_every(
        store.clone(),
        store.audit_seal().clone(),
        config.audit.clone(),
        clock.clone(),
    ));
    let (audit_store, audit_clock) = (store.clone(), clock.clone());
    let state = crocevia_web::AppState::with_search(store, clock, web_config, search);
    let observatory = state.observatory.clone();
    let observatory_follower = tokio::spawn(async move {
        let mut every = tokio::time::interval(crocevia_web::search_api::FOLLOW_INTERVAL);
        loop {
            every.tick().await;
            if let Err(e) = observatory.sync().await {
                tracing::warn!(error = %e, "observatory follower: will retry");
            }
        }
    });
    let jobs = tokio::spawn(crocevia_web::desk::jobs::run(
        state.clone(),
        config.desk.jobs_interval,
        mailer,
    ));
    let search_demand = tokio::spawn(crocevia_web::search_demand::run(state.clone()));
    let flush_state = state.clone();
    let app = crocevia_web::router(state);
    tracing::info!(url = %public_url, listen = %bound, "Crocevia is serving");
    println!("Crocevia is running at {public_url}");
    // The peer's address: rate limits, the login lock-out and /metrics need it.
    axum::serve(
        listener,
        app.into_make_service_with_connect_info::<std::net::SocketAddr>(),
    )
    .with_graceful_shutdown(shutdown_signal())
    .await
    .context("the server stopped with an error")?;
    follower.abort();
    observatory_follower.abort();
    jobs.abort();
    checkpoints.abort();
    search_demand.abort();
    // The searches counted since the last flush.
    crocevia_web::search_demand::flush(&flush_state).await;
    audit::checkpoint(
        audit_store.as_ref(),
        audit_store.audit_seal(),
        &config.audit.checkpoint_file,
        audit_clock.now(),
    )
    .await
    .context("the audit checkpoint at shutdown could not be written")?;
    tracing::info!("stopped");
    Ok(())
}

/// Resolves on Ctrl-C or SIGTERM: in-flight requests finish, then the server stops.
async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = terminate => {},
    }
    tracing::info!("shutting down: finishing requests in flight");
}
