//! `backup`, `restore` and `migrate-to`: SQLite through `VACUUM INTO` and a file swap,
//! PostgreSQL through `pg_dump --format=custom` and `pg_restore`, and a SQLite installation
//! copied into PostgreSQL. The SQL is in `crocevia_store_sql::ops`; here are the commands,
//! the PostgreSQL client tools and the progress shown.

use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Instant;

use anyhow::{Context, Result, bail};
use crocevia_core::desk::audit::AuditSeal;
use crocevia_core::secret::DatabaseUrl;
use crocevia_store_sql::ops::{self, Backend, CopyProgress, OpsError};

use crate::config::Config;
use crate::transfer::{counting_bar, spinner};

/// `crocevia backup FILE`.
pub async fn backup(config: &Config, file: &Path) -> Result<ExitCode> {
    let url = config.database_url.as_str();
    let started = Instant::now();
    match Backend::of(url)? {
        Backend::Sqlite => {
            let bar = spinner("backing up the SQLite database");
            let result = ops::sqlite_backup(url, file).await;
            bar.finish_and_clear();
            result?;
        }
        Backend::Postgres => {
            let pg_dump = client_tool("pg_dump")?;
            let partial = beside(file, ".partial");
            let (address, password) = libpq_address(url);
            let bar = spinner("backing up the PostgreSQL database with pg_dump");
            let result = run_tool(
                &pg_dump,
                &[
                    "--format=custom".into(),
                    "--no-owner".into(),
                    "--no-privileges".into(),
                    "--file".into(),
                    partial.clone().into_os_string(),
                    "--dbname".into(),
                    address.into(),
                ],
                password.as_deref(),
            )
            .await;
            bar.finish_and_clear();
            result?;
            std::fs::rename(&partial, file).with_context(|| {
                format!("cannot rename {} to {}", partial.display(), file.display())
            })?;
        }
    }
    let size = std::fs::metadata(file)
        .with_context(|| format!("cannot read {}", file.display()))?
        .len();
    println!(
        "Backed up the database to {} ({}) in {:.1} s.",
        file.display(),
        human_bytes(size),
        started.elapsed().as_secs_f64()
    );
    remind_audit_key(config);
    Ok(ExitCode::SUCCESS)
}

/// The audit trail's key lives beside the search index, not in the database: a restored
/// database is only verifiable with it.
fn remind_audit_key(config: &Config) {
    let key = config.data_dir.join("audit.key");
    if key.exists() {
        eprintln!(
            "Keep a copy of {} with the backup: the audit trail cannot be verified without it.",
            key.display()
        );
    }
}

/// `crocevia restore FILE [--force]`: refuses a database holding data of its own unless
/// forced, restores, then migrates (an older backup comes up to date) and loads what a new
/// installation needs.
pub async fn restore(config: &Config, file: &Path, force: bool) -> Result<ExitCode> {
    let url = config.database_url.as_str();
    if !file.is_file() {
        bail!("no backup file at {}", file.display());
    }
    let own = ops::counts(url).await?.own_data();
    if !own.is_empty() && !force {
        bail!(
            "{}: restoring would replace it. Back it up first (crocevia backup FILE), then run \
             restore again with --force",
            OpsError::NotEmpty(own)
        );
    }
    let started = Instant::now();
    match Backend::of(url)? {
        Backend::Sqlite => {
            let bar = spinner("restoring the SQLite database");
            let result = ops::sqlite_restore(url, file).await;
            bar.finish_and_clear();
            result?;
        }
        Backend::Postgres => restore_postgres(url, file).await?,
    }
    let bar = spinner("migrating the restored database");
    let store = crate::open_store(config, false).await;
    bar.finish_and_clear();
    let store = store?;
    store.close().await;
    // The search index followed the replaced change log: rebuilt on the next start.
    let search = config.data_dir.join("search");
    if search.exists() {
        std::fs::remove_dir_all(&search)
            .with_context(|| format!("cannot remove the old search index {}", search.display()))?;
    }
    let counts = ops::counts(url).await?;
    println!(
        "Restored {} in {:.1} s: {}.",
        file.display(),
        started.elapsed().as_secs_f64(),
        summary(&counts)
    );
    remind_audit_key(config);
    Ok(ExitCode::SUCCESS)
}

/// `pg_restore --clean --if-exists` in one transaction replaces the tables the dump holds;
/// tables it does not hold (added by a later migration) are dropped afterwards, so the
/// migrations create them again.
async fn restore_postgres(url: &str, file: &Path) -> Result<()> {
    let pg_restore = client_tool("pg_restore")?;
    let schema = ops::postgres_current_schema(url).await?;
    if schema != "public" {
        bail!(
            "restoring into the schema {schema} is not supported: pg_restore recreates the tables in \
             the schema they were dumped from (public)"
        );
    }
    let listing = tokio::process::Command::new(&pg_restore)
        .arg("--list")
        .arg(file)
        .output()
        .await
        .with_context(|| format!("cannot run {}", pg_restore.display()))?;
    if !listing.status.success() {
        bail!(
            "{} is not a backup pg_restore can read: {}",
            file.display(),
            String::from_utf8_lossy(&listing.stderr).trim()
        );
    }
    let dumped = dumped_tables(&String::from_utf8_lossy(&listing.stdout));
    let (address, password) = libpq_address(url);
    let bar = spinner("restoring the PostgreSQL database with pg_restore");
    let result = run_tool(
        &pg_restore,
        &[
            "--clean".into(),
            "--if-exists".into(),
            "--no-owner".into(),
            "--no-privileges".into(),
            "--single-transaction".into(),
            "--exit-on-error".into(),
            "--dbname".into(),
            address.into(),
            file.as_os_str().to_owned(),
        ],
        password.as_deref(),
    )
    .await;
    bar.finish_and_clear();
    result?;
    ops::postgres_drop_tables_except(url, &dumped).await?;
    Ok(())
}

/// The tables a `pg_restore --list` table of contents names (`… TABLE public name owner`).
fn dumped_tables(listing: &str) -> Vec<String> {
    listing
        .lines()
        .filter(|l| !l.starts_with(';'))
        .filter_map(|l| {
            let words: Vec<&str> = l.split_whitespace().collect();
            let at = words.iter().position(|w| *w == "TABLE")?;
            // "TABLE DATA public name owner" is the rows of a table, listed too.
            (words.get(at + 1) != Some(&"DATA"))
                .then(|| words.get(at + 2).map(|s| (*s).to_owned()))
                .flatten()
        })
        .collect()
}

/// `crocevia migrate-to postgres://…`.
pub async fn migrate_to(config: &Config, target: &str) -> Result<ExitCode> {
    let source = config.database_url.as_str();
    if Backend::of(source)? != Backend::Sqlite {
        bail!(
            "migrate-to moves a SQLite installation; this one uses {}",
            config.database_url
        );
    }
    if Backend::of(target)? != Backend::Postgres {
        bail!("the target must be a postgres:// URL");
    }
    let shown = DatabaseUrl::new(target);
    let bar = spinner("migrating the PostgreSQL schema");
    // Only the schema: the copied audit rows keep the seals they were written with.
    let opened = crocevia_store_sql::open(target, AuditSeal::unkeyed()).await;
    bar.finish_and_clear();
    opened
        .with_context(|| format!("cannot open the target database {shown}"))?
        .close()
        .await;
    let started = Instant::now();
    let mut bar = None;
    let result = ops::copy_sqlite_to_postgres(source, target, &mut |p| match p {
        CopyProgress::Started { rows } => bar = Some(counting_bar(rows, "copying")),
        CopyProgress::Table(table) => {
            if let Some(b) = &bar {
                b.set_message(table.to_owned());
            }
        }
        CopyProgress::Copied(rows) => {
            if let Some(b) = &bar {
                b.set_position(rows);
            }
        }
    })
    .await;
    if let Some(b) = bar {
        b.finish_and_clear();
    }
    let copied = match result {
        Ok(copied) => copied,
        Err(OpsError::NotEmpty(own)) => bail!(
            "the target {shown} already holds data ({}): migrate-to copies into an empty database only",
            own.iter()
                .map(|(t, n)| format!("{t}: {n}"))
                .collect::<Vec<_>>()
                .join(", ")
        ),
        Err(e) => return Err(e.into()),
    };
    let width = copied.iter().map(|c| c.table.len()).max().unwrap_or(5);
    println!("{:width$}  {:>10}  {:>10}", "table", "SQLite", "PostgreSQL");
    for c in &copied {
        println!(
            "{:width$}  {:>10}  {:>10}",
            c.table, c.source_rows, c.target_rows
        );
    }
    let rows: i64 = copied.iter().map(|c| c.target_rows).sum();
    println!(
        "Copied {rows} rows in {} tables to {shown} in {:.1} s; every count matches. Point \
         database_url at it and start the server (ids and the change log are kept, so search \
         indexes follow on).",
        copied.len(),
        started.elapsed().as_secs_f64()
    );
    Ok(ExitCode::SUCCESS)
}

/// A one-line summary of what a database holds.
fn summary(counts: &ops::Counts) -> String {
    let own = counts.own_data();
    if own.is_empty() {
        return "no data of its own".to_owned();
    }
    own.iter()
        .map(|(t, n)| format!("{t} {n}"))
        .collect::<Vec<_>>()
        .join(", ")
}

fn beside(path: &Path, suffix: &str) -> PathBuf {
    let mut name = path.file_name().unwrap_or_default().to_os_string();
    name.push(suffix);
    path.with_file_name(name)
}

fn human_bytes(bytes: u64) -> String {
    match bytes {
        b if b >= 1 << 30 => format!("{:.1} GiB", b as f64 / (1u64 << 30) as f64),
        b if b >= 1 << 20 => format!("{:.1} MiB", b as f64 / (1u64 << 20) as f64),
        b if b >= 1 << 10 => format!("{:.1} KiB", b as f64 / 1024.0),
        b => format!("{b} bytes"),
    }
}

/// A PostgreSQL client program on PATH, or what to install.
fn client_tool(name: &str) -> Result<PathBuf> {
    find_on_path(name, std::env::var_os("PATH")).ok_or_else(|| {
        anyhow::anyhow!(
            "{name} was not found on PATH: install PostgreSQL's client tools, of the server's \
             major version or newer (Debian and Ubuntu: apt-get install postgresql-client; \
             RHEL: dnf install postgresql)"
        )
    })
}

fn find_on_path(name: &str, path: Option<OsString>) -> Option<PathBuf> {
    std::env::split_paths(&path?)
        .map(|dir| dir.join(name))
        .find(|p| p.is_file())
}

/// Runs a client tool; the password goes through `PGPASSWORD`, not the command line.
async fn run_tool(tool: &Path, args: &[OsString], password: Option<&str>) -> Result<()> {
    let mut command = tokio::process::Command::new(tool);
    command.args(args);
    if let Some(p) = password {
        command.env("PGPASSWORD", p);
    }
    let out = command
        .output()
        .await
        .with_context(|| format!("cannot run {}", tool.display()))?;
    if !out.status.success() {
        bail!(
            "{} failed ({}): {}",
            tool.display(),
            out.status,
            String::from_utf8_lossy(&out.stderr).trim()
        );
    }
    Ok(())
}

/// The URL without its password, and the password (percent-decoded).
fn libpq_address(url: &str) -> (String, Option<String>) {
    let (Some(scheme), Some(at)) = (url.find("://"), url.find('@')) else {
        return (url.to_owned(), None);
    };
    if at < scheme {
        return (url.to_owned(), None);
    }
    let credentials = &url[scheme + 3..at];
    match credentials.split_once(':') {
        Some((user, password)) => (
            format!("{}{user}{}", &url[..scheme + 3], &url[at..]),
            Some(percent_decode(password)),
        ),
        None => (url.to_owned(), None),
    }
}

fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = |b: u8| (b as char).to_digit(16);
        if bytes[i] == b'%'
            && let (Some(h), Some(l)) = (
                bytes.get(i + 1).copied().and_then(hex),
                bytes.get(i + 2).copied().and_then(hex),
            )
        {
            out.push((h * 16 + l) as u8);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_password_leaves_the_url_and_is_decoded() {
        assert_eq!(
            libpq_address("postgres://crocevia:p%40ss%3Aw@db.example:5432/crocevia"),
            (
                "postgres://crocevia@db.example:5432/crocevia".to_owned(),
                Some("p@ss:w".to_owned())
            )
        );
        assert_eq!(
            libpq_address("postgres://postgres@127.0.0.1/test"),
            ("postgres://postgres@127.0.0.1/test".to_owned(), None)
        );
    }

    #[test]
    fn a_missing_tool_is_not_found_and_names_what_to_install() {
        assert_eq!(
            find_on_path("pg_dump", Some(OsString::from("/nonexistent"))),
            None
        );
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("pg_dump"), "").unwrap();
        assert_eq!(
            find_on_path("pg_dump", Some(dir.path().as_os_str().to_owned())),
            Some(dir.path().join("pg_dump"))
        );
    }

    #[test]
    fn the_tables_of_a_dump_are_read_from_its_listing() {
        let listing = ";\n; Archive created at 2026-11-02\n;\n\
            215; 1259 16390 TABLE public account postgres\n\
            216; 1259 16400 TABLE public change_log postgres\n\
            217; 1259 16399 SEQUENCE public change_log_seq_seq postgres\n\
            3400; 0 16390 TABLE DATA public account postgres\n";
        assert_eq!(dumped_tables(listing), vec!["account", "change_log"]);
    }
}
