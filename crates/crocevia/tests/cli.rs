//! The `crocevia` binary as a user runs it: real files, a real SQLite database in a temporary
//! data directory, exit codes and messages.

// Tests fail by panicking; some read the wall clock as the server under test does.
#![allow(clippy::unwrap_used, clippy::disallowed_methods)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn conformance() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/conformance/hsds")
}

struct Install {
    dir: tempfile::TempDir,
}

impl Install {
    fn new() -> Self {
        Install {
            dir: tempfile::tempdir().unwrap(),
        }
    }

    fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    fn run(&self, args: &[&str]) -> Output {
        Command::new(env!("CARGO_BIN_EXE_crocevia"))
            .arg("--data-dir")
            .arg(self.path("data"))
            .args(args)
            .env("CROCEVIA_LOG", "warn")
            .env_remove("CROCEVIA_DATABASE_URL")
            .output()
            .unwrap()
    }

    /// The seal in the key file the first start made.
    fn audit_seal(&self) -> crocevia_store_sql::AuditSeal {
        let text = std::fs::read_to_string(self.path("data/audit.key")).unwrap();
        let value = |name: &str| {
            text.lines()
                .find_map(|l| l.strip_prefix(name)?.trim().strip_prefix('='))
                .unwrap()
                .trim()
                .to_owned()
        };
        crocevia_store_sql::AuditSeal::keyed(
            crocevia_core::desk::audit::AuditKey::from_hex(&value("key")).unwrap(),
            value("keyed_from").parse().unwrap(),
        )
    }

    fn ok(&self, args: &[&str]) -> String {
        let out = self.run(args);
        assert!(
            out.status.success(),
            "crocevia {args:?} failed:\n{}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    }
}

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

fn read_dir_sorted(dir: &Path) -> Vec<(String, Vec<u8>)> {
    let mut files: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .map(|p| {
            (
                p.file_name().unwrap().to_string_lossy().into_owned(),
                std::fs::read(&p).unwrap(),
            )
        })
        .collect();
    files.sort();
    files
}

#[test]
fn the_csv_example_alone_is_refused_with_each_dangling_reference_located() {
    let install = Install::new();
    let csv = conformance().join("examples/csv");
    let out = install.run(&[
        "import",
        "hsds",
        s(&csv),
        "--report",
        s(&install.path("report.json")),
    ]);
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    for expected in [
        "attributes.csv, row 2, field link_id",
        "contacts.csv, row 2, field organization_id",
        "locations.csv, row 2, field organization_id",
        "taxonomy_terms.csv, row 2, field taxonomy_id",
        "[dangling_reference]",
        "Nothing was written",
    ] {
        assert!(
            stderr.contains(expected),
            "{expected} missing from:\n{stderr}"
        );
    }
    let report: serde_json::Value =
        serde_json::from_slice(&std::fs::read(install.path("report.json")).unwrap()).unwrap();
    assert_eq!(report.as_array().unwrap().len(), 8);
    install.ok(&["export", "hsds", "--format", "csv", s(&install.path("out"))]);
    let services = std::fs::read_to_string(install.path("out/services.csv")).unwrap();
    assert_eq!(
        services.lines().count(),
        1,
        "nothing was imported: only the header"
    );
}

/// A row's own problems are printed as soon as it is read; those only the whole input shows
/// (references) follow the count, which is broken down by kind.
#[test]
fn problems_are_printed_as_found_then_counted_by_kind() {
    let install = Install::new();
    let package = install.path("package");
    std::fs::create_dir_all(&package).unwrap();
    for entry in std::fs::read_dir(conformance().join("examples/csv")).unwrap() {
        let path = entry.unwrap().path();
        let mut text = std::fs::read_to_string(&path).unwrap();
        if path.ends_with("schedules.csv") {
            text = text.replacen(",WEEKLY,", ",sometimes,", 1);
        }
        std::fs::write(package.join(path.file_name().unwrap()), text).unwrap();
    }
    let out = install.run(&["import", "hsds", s(&package)]);
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    let at = |needle: &str| {
        stderr
            .find(needle)
            .unwrap_or_else(|| panic!("{needle} missing from:\n{stderr}"))
    };
    let streamed = at("schedules.csv, row 2, field freq: 'sometimes' is not one of");
    let refused = at("The import was refused: 9 problem(s) (8 dangling_reference, 1 not_allowed)");
    assert!(at("Problems found (reading goes on") < streamed);
    assert!(streamed < refused, "shown while reading, before the count");
    assert!(refused < at("Besides those listed above:"));
    assert!(refused < at("attributes.csv, row 2, field link_id"));
}

#[test]
fn the_examples_round_trip_through_csv_and_json_exports() {
    let first = Install::new();
    let csv = conformance().join("examples/csv");
    let supplement = conformance().join("supplement/missing_rows.json");
    let stdout = first.ok(&["import", "hsds", s(&csv), s(&supplement)]);
    assert!(stdout.contains("Imported"), "{stdout}");
    first.ok(&["export", "hsds", "--format", "csv", s(&first.path("csv1"))]);
    first.ok(&[
        "export",
        "hsds",
        "--format",
        "json",
        s(&first.path("export.json")),
    ]);

    let second = Install::new();
    second.ok(&["import", "hsds", s(&first.path("csv1"))]);
    second.ok(&["export", "hsds", "--format", "csv", s(&second.path("csv2"))]);
    assert_eq!(
        read_dir_sorted(&first.path("csv1")),
        read_dir_sorted(&second.path("csv2")),
        "CSV → import → CSV is identical"
    );

    let third = Install::new();
    third.ok(&["import", "hsds", s(&first.path("export.json"))]);
    third.ok(&["export", "hsds", "--format", "csv", s(&third.path("csv3"))]);
    assert_eq!(
        read_dir_sorted(&first.path("csv1")),
        read_dir_sorted(&third.path("csv3")),
        "JSON → import → CSV is identical"
    );
}

#[test]
fn importing_the_same_package_twice_is_refused_unless_replacing() {
    let install = Install::new();
    let example = conformance().join("examples/service_full.json");
    let supplement = conformance().join("supplement/missing_rows.json");
    install.ok(&["import", "hsds", s(&example), s(&supplement)]);
    let again = install.run(&["import", "hsds", s(&example), s(&supplement)]);
    assert_eq!(again.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&again.stderr).contains("[already_imported]"));
    let replaced = install.ok(&["import", "hsds", "--replace", s(&example), s(&supplement)]);
    assert!(replaced.contains("Imported 0 rows"), "{replaced}");

    let changed = install.path("changed.json");
    let text = std::fs::read_to_string(&example)
        .unwrap()
        .replace("Community Counselling", "Counselling di comunità");
    std::fs::write(&changed, text).unwrap();
    let refused = install.run(&["import", "hsds", s(&changed)]);
    assert_eq!(refused.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&refused.stderr).contains("[already_exists]"));
    install.ok(&["import", "hsds", "--replace", s(&changed)]);
}

#[test]
fn unreadable_files_get_a_clear_error() {
    let install = Install::new();
    let broken = install.path("broken");
    std::fs::create_dir_all(&broken).unwrap();
    let mut bytes = b"id,name,description\r\nd9d5e0f5-d3ce-4f73-9a2f-4dd0ecc6c610,Caf".to_vec();
    bytes.extend_from_slice(&[0xE9, b',', b'x', b'\r', b'\n']);
    std::fs::write(broken.join("organizations.csv"), bytes).unwrap();
    let out = install.run(&["import", "hsds", s(&broken)]);
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("organizations.csv, row 2, field name")
            && stderr.contains("[invalid_utf8]"),
        "{stderr}"
    );

    let json = install.path("bad.json");
    std::fs::write(&json, "{\"id\": \"x\", \"name\": ").unwrap();
    let out = install.run(&["import", "hsds", s(&json)]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("[invalid_json]"));

    let out = install.run(&["import", "hsds", s(&install.path("missing"))]);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("cannot read"));
}

/// `serve` over a real socket: it answers, and SIGTERM stops it cleanly.
#[test]
fn the_server_answers_on_a_socket_and_stops_on_sigterm() {
    use std::io::{BufRead, BufReader, Read, Write};

    let install = Install::new();
    let mut child = Command::new(env!("CARGO_BIN_EXE_crocevia"))
        .arg("--data-dir")
        .arg(install.path("data"))
        .args(["--listen", "127.0.0.1:0", "serve"])
        .env("CROCEVIA_LOG", "warn")
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let banner = lines.next().unwrap().unwrap();
    let address = banner.rsplit("http://").next().unwrap().trim().to_owned();

    let mut stream = std::net::TcpStream::connect(&address).unwrap();
    write!(
        stream,
        "GET /healthz HTTP/1.1\r\nHost: {address}\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).unwrap();
    assert!(response.starts_with("HTTP/1.1 200"), "{response}");
    assert!(response.contains("\"status\":\"ok\""), "{response}");

    let pid = child.id().to_string();
    assert!(
        Command::new("kill")
            .args(["-TERM", &pid])
            .status()
            .unwrap()
            .success()
    );
    let status = child.wait().unwrap();
    assert!(status.success(), "graceful shutdown exits 0, got {status}");
    // It left a signed checkpoint of the audit trail on its way out.
    let checkpoints = std::fs::read_to_string(install.path("data/audit-checkpoints.log")).unwrap();
    assert_eq!(checkpoints.lines().count(), 1, "{checkpoints}");
    assert!(checkpoints.contains("\"mac\""), "{checkpoints}");
}

/// A kill in the middle of a large import loses nothing committed before it and leaves
/// nothing of the import; the same import then runs to the end.
#[test]
fn a_kill_during_an_import_loses_no_committed_data() {
    let install = Install::new();
    let example = conformance().join("examples/service_full.json");
    let supplement = conformance().join("supplement/missing_rows.json");
    install.ok(&["import", "hsds", s(&example), s(&supplement)]);

    let org = "d9d5e0f5-d3ce-4f73-9a2f-4dd0ecc6c610";
    let big = install.path("big.ndjson");
    let mut lines = String::new();
    for i in 0..20_000 {
        lines.push_str(&format!(
            "{{\"id\":\"00000000-0000-4000-8000-{i:012}\",\"name\":\"Servizio {i}\",\"status\":\"active\",\"organization_id\":\"{org}\",\"phones\":[{{\"id\":\"00000000-0000-4000-9000-{i:012}\",\"number\":\"0862 {i}\"}}]}}\n"
        ));
    }
    std::fs::write(&big, lines).unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_crocevia"))
        .arg("--data-dir")
        .arg(install.path("data"))
        .args(["import", "hsds", s(&big)])
        .env("CROCEVIA_LOG", "warn")
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    // Kill once the write transaction is under way: its pages are filling the WAL (the
    // earlier commands closed the database cleanly, so the WAL started empty).
    let wal = install.path("data/crocevia.db-wal");
    let started = std::time::Instant::now();
    while std::fs::metadata(&wal).map_or(0, |m| m.len()) < 4 * 1024 * 1024
        && started.elapsed() < std::time::Duration::from_secs(60)
    {
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    let _ = child.kill();
    child.wait().unwrap();

    install.ok(&[
        "export",
        "hsds",
        "--format",
        "csv",
        s(&install.path("after")),
    ]);
    let services = std::fs::read_to_string(install.path("after/services.csv")).unwrap();
    assert!(
        services.contains("ac148810-d857-441c-9679-408f346de14b"),
        "earlier data survives"
    );
    let rows = services.lines().count() - 1;
    assert!(
        rows == 1 || rows == 20_001,
        "all or nothing of the import, found {rows} services"
    );
}

#[test]
fn xlsform_check_names_each_problem_and_fails_only_on_errors() {
    let install = Install::new();
    let real = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../tests/conformance/xlsform/real/REACH_2024_MSNA-kobo-tool_draft_v11.xlsx");
    let out = install.run(&["xlsform", "check", s(&real)]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{stdout}");
    assert!(stdout.contains("0 error(s)"), "{stdout}");

    let bad = install.path("bad.csv");
    std::fs::write(
        &bad,
        "survey,type,name,label\n\
         ,integer,age,Age\n\
         ,text,age,Age again\n\
         ,text,note_x,Note\n\
         ,select_one colours,colour,Colour\n\
         ,integer,years,Years\n",
    )
    .unwrap();
    let out = install.run(&["xlsform", "check", s(&bad)]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(2), "{stdout}");
    assert!(
        stdout.contains("row 3"),
        "the duplicate name's row: {stdout}"
    );
    assert!(
        stdout.contains("no 'choices' sheet"),
        "the missing choice list: {stdout}"
    );

    let out = install.run(&["xlsform", "check", s(&install.path("missing.xlsx"))]);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("cannot read the form"));
}

/// `audit verify` passes on an intact trail and names the entry when one was changed or
/// deleted behind the application's back.
#[test]
fn audit_verify_detects_a_changed_or_deleted_entry() {
    use sqlx::Connection;

    let install = Install::new();
    install.ok(&["migrate"]);
    let url = format!("sqlite://{}", install.path("data/crocevia.db").display());
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let sql = |statement: &'static str| {
        runtime.block_on(async {
            let mut conn = sqlx::SqliteConnection::connect(&url).await.unwrap();
            sqlx::query(statement).execute(&mut conn).await.unwrap();
            conn.close().await.unwrap();
        })
    };
    runtime.block_on(async {
        let store = crocevia_store_sql::open(&url, install.audit_seal())
            .await
            .unwrap();
        crocevia_store::contract::desk::seed_desk(store.as_ref()).await;
        store.close().await;
    });
    let intact = install.ok(&["audit", "verify"]);
    assert!(intact.contains("intact: 3 entries checked"), "{intact}");

    sql("UPDATE desk_audit SET account_id = 'someone-else' WHERE seq = 2");
    let out = install.run(&["audit", "verify"]);
    assert_eq!(out.status.code(), Some(3));
    assert!(String::from_utf8_lossy(&out.stdout).contains("entry 2 was changed"));

    sql("DELETE FROM desk_audit WHERE seq = 2");
    let out = install.run(&["audit", "verify"]);
    assert_eq!(out.status.code(), Some(3));
    assert!(String::from_utf8_lossy(&out.stdout).contains("between 1 and 3 are missing"));
}

/// With a checkpoint, `audit verify` catches what the chain alone cannot: entries cut off the
/// end with the head rewritten to match. Without the key, an edited entry whose hash is
/// recomputed (plain SHA-256, the chain relinked, the head rewritten) is caught too.
#[test]
fn audit_verify_catches_a_cut_tail_with_a_checkpoint_and_a_recomputed_entry() {
    use crocevia_core::desk::audit::{Actor, AuditAction, AuditEvent, entry_hash};
    use sqlx::{Connection, Row};

    let install = Install::new();
    install.ok(&["migrate"]);
    let key_file = install.path("data/audit.key");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&key_file).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600, "the key file is the server's alone");
    }
    let url = format!("sqlite://{}", install.path("data/crocevia.db").display());
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let sql = |statements: &[String]| {
        runtime.block_on(async {
            let mut conn = sqlx::SqliteConnection::connect(&url).await.unwrap();
            for statement in statements {
                sqlx::query(sqlx::AssertSqlSafe(statement.clone()))
                    .execute(&mut conn)
                    .await
                    .unwrap();
            }
            conn.close().await.unwrap();
        })
    };
    let store = runtime.block_on(async {
        crocevia_store_sql::open(&url, install.audit_seal())
            .await
            .unwrap()
    });
    runtime.block_on(async {
        for n in 0..5 {
            store
                .append_audit(&AuditEvent {
                    at: chrono::Utc::now(),
                    actor: Actor {
                        account_id: format!("acc-{n}"),
                        organization_id: "org".into(),
                    },
                    action: AuditAction::Read,
                    subject_kind: "contact".into(),
                    subject_id: format!("c-{n}"),
                    contact_id: format!("c-{n}"),
                    detail: String::new(),
                })
                .await
                .unwrap();
        }
    });
    let written = install.ok(&["audit", "checkpoint"]);
    assert!(written.contains("Checkpoint of entry 5"), "{written}");
    let checkpoints = install.path("data/audit-checkpoints.log");
    let marks = s(&checkpoints);
    let intact = install.ok(&["audit", "verify", "--checkpoint", marks]);
    assert!(intact.contains("intact: 5 entries checked"), "{intact}");

    // Cut entries 4 and 5 off and rewrite the head to match what is left.
    let saved = runtime.block_on(async {
        let mut conn = sqlx::SqliteConnection::connect(&url).await.unwrap();
        let rows = sqlx::query("SELECT seq, hash FROM desk_audit ORDER BY seq")
            .fetch_all(&mut conn)
            .await
            .unwrap();
        conn.close().await.unwrap();
        rows.iter()
            .map(|r| (r.get::<i64, _>("seq"), r.get::<String, _>("hash")))
            .collect::<Vec<_>>()
    });
    sql(&[
        "DELETE FROM desk_audit WHERE seq > 3".into(),
        format!(
            "UPDATE desk_audit_head SET seq = 3, hash = '{}' WHERE id = 1",
            saved[2].1
        ),
    ]);
    let unaware = install.ok(&["audit", "verify"]);
    assert!(
        unaware.contains("intact: 3 entries"),
        "the chain alone cannot tell: {unaware}"
    );
    let out = install.run(&["audit", "verify", "--checkpoint", marks]);
    let said = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(3), "{said}");
    assert!(
        said.contains("the log ends at entry 3 but the checkpoint")
            && said.contains("recorded entry 5")
            && said.contains("compare the entries from 4 on"),
        "{said}"
    );

    // Edit entry 2 and recompute it, the link of entry 3 and the head as SHA-256.
    let entries = runtime.block_on(async {
        let all = store.audit_entries(0, 10).await.unwrap();
        store.close().await;
        all
    });
    let mut edited = entries[1].event.clone();
    edited.actor.account_id = "someone-else".into();
    let hash2 = entry_hash(2, &edited, &entries[1].prev_hash);
    let hash3 = entry_hash(3, &entries[2].event, &hash2);
    sql(&[
        format!(
            "UPDATE desk_audit SET account_id = 'someone-else', hash = '{hash2}' WHERE seq = 2"
        ),
        format!("UPDATE desk_audit SET prev_hash = '{hash2}', hash = '{hash3}' WHERE seq = 3"),
        format!("UPDATE desk_audit_head SET hash = '{hash3}' WHERE id = 1"),
    ]);
    let out = install.run(&["audit", "verify"]);
    let said = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(3), "{said}");
    assert!(
        said.contains("entry 2 was changed") && said.contains("recomputed without the key"),
        "{said}"
    );

    // A checkpoint file edited to hide the cut is refused.
    let text = std::fs::read_to_string(&checkpoints).unwrap();
    std::fs::write(&checkpoints, text.replace("\"seq\":5", "\"seq\":3")).unwrap();
    let out = install.run(&["audit", "verify", "--checkpoint", marks]);
    assert_eq!(out.status.code(), Some(3));
    assert!(String::from_utf8_lossy(&out.stdout).contains("is not signed with this audit key"));
}

/// Rows per table, every table (reference data, directory, desk, audit chain, change log).
fn table_counts(url: &str) -> Vec<(String, i64)> {
    tokio::runtime::Runtime::new()
        .unwrap()
        .block_on(crocevia_store_sql::ops::counts(url))
        .unwrap()
        .tables
}

/// The seal of the installation's audit key file, so entries written here verify with it.
fn install_seal(install: &Install) -> crocevia_core::desk::audit::AuditSeal {
    use crocevia_core::desk::audit::{AuditKey, AuditSeal};
    let text = std::fs::read_to_string(install.path("data/audit.key")).unwrap();
    let value = |name: &str| {
        text.lines()
            .find_map(|l| {
                l.strip_prefix(name)?
                    .trim()
                    .strip_prefix('=')
                    .map(str::trim)
            })
            .unwrap()
            .to_owned()
    };
    AuditSeal::keyed(
        AuditKey::from_hex(&value("key")).unwrap(),
        value("keyed_from").parse().unwrap(),
    )
}

/// Loads the demo network and a desk record (a contact, its need, a referral: three audit
/// entries) into the installation at `url`.
fn demo_with_desk(install: &Install, url: &str) {
    install.ok(&["--database-url", url, "demo"]);
    tokio::runtime::Runtime::new().unwrap().block_on(async {
        let store = crocevia_store_sql::open(url, install_seal(install))
            .await
            .unwrap();
        crocevia_store::contract::desk::seed_desk(store.as_ref()).await;
        store.close().await;
    });
}

fn rows(counts: &[(String, i64)], table: &str) -> i64 {
    counts
        .iter()
        .find(|(t, _)| t == table)
        .map_or(0, |(_, n)| *n)
}

/// Backs up, checks a restore over the data is refused, wipes with `wipe`, restores and
/// compares every table's rows and the audit chain.
fn round_trip(install: &Install, url: &str, wipe: impl FnOnce()) {
    demo_with_desk(install, url);
    let before = table_counts(url);
    assert!(rows(&before, "hsds_record") > 100, "{before:?}");
    assert_eq!(rows(&before, "desk_audit"), 3);
    assert_eq!(rows(&before, "desk_referral"), 1);
    let backup = install.path("crocevia.backup");
    let printed = install.ok(&["--database-url", url, "backup", s(&backup)]);
    assert!(printed.contains("Backed up the database to"), "{printed}");
    assert!(backup.metadata().unwrap().len() > 0);

    let refused = install.run(&["--database-url", url, "restore", s(&backup)]);
    assert_eq!(refused.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&refused.stderr);
    assert!(
        stderr.contains("already holds data") && stderr.contains("--force"),
        "{stderr}"
    );

    wipe();
    install.ok(&["--database-url", url, "migrate"]);
    assert_eq!(rows(&table_counts(url), "desk_audit"), 0);
    let printed = install.ok(&["--database-url", url, "restore", s(&backup)]);
    assert!(printed.contains("Restored"), "{printed}");
    assert_eq!(table_counts(url), before);
    let verified = install.ok(&["--database-url", url, "audit", "verify"]);
    assert!(verified.contains("intact: 3 entries checked"), "{verified}");

    // Forced over data: the same again, and this server's search index (which followed the
    // replaced change log) is left to be rebuilt.
    std::fs::create_dir_all(install.path("data/search")).unwrap();
    install.ok(&["--database-url", url, "restore", "--force", s(&backup)]);
    assert_eq!(table_counts(url), before);
    assert!(!install.path("data/search").exists());
}

#[test]
fn a_sqlite_backup_restores_every_row_and_the_audit_chain() {
    let install = Install::new();
    let db = install.path("data/crocevia.db");
    let url = format!("sqlite://{}", db.display());
    round_trip(&install, &url, || {
        for suffix in ["", "-wal", "-shm"] {
            let file = install.path(&format!("data/crocevia.db{suffix}"));
            if file.exists() {
                std::fs::remove_file(file).unwrap();
            }
        }
    });
}

#[test]
fn a_restore_refuses_a_file_that_is_not_a_backup() {
    let install = Install::new();
    let bogus = install.path("notes.txt");
    std::fs::write(&bogus, "not a database").unwrap();
    let out = install.run(&["restore", s(&bogus)]);
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("is not a Crocevia SQLite backup"),
        "{stderr}"
    );
    let out = install.run(&["restore", s(&install.path("missing.db"))]);
    assert!(String::from_utf8_lossy(&out.stderr).contains("no backup file at"));
}

/// A scratch database on the server `CROCEVIA_TEST_PG` names, dropped at the end.
struct ScratchDatabase {
    base: String,
    name: String,
    url: String,
}

impl ScratchDatabase {
    fn new(base: &str) -> Self {
        use sqlx::Connection;
        let name = format!("crocevia_ops_{}", uuid::Uuid::new_v4().simple());
        let prefix = base.split('?').next().unwrap();
        let url = format!("{}/{name}", &prefix[..prefix.rfind('/').unwrap()]);
        tokio::runtime::Runtime::new().unwrap().block_on(async {
            let mut conn = sqlx::PgConnection::connect(base).await.unwrap();
            sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
                .execute(&mut conn)
                .await
                .unwrap();
        });
        ScratchDatabase {
            base: base.to_owned(),
            name,
            url,
        }
    }

    fn sql(&self, statement: &str) {
        use sqlx::Connection;
        tokio::runtime::Runtime::new().unwrap().block_on(async {
            let mut conn = sqlx::PgConnection::connect(&self.url).await.unwrap();
            sqlx::raw_sql(sqlx::AssertSqlSafe(statement.to_owned()))
                .execute(&mut conn)
                .await
                .unwrap();
        });
    }
}

impl Drop for ScratchDatabase {
    fn drop(&mut self) {
        use sqlx::Connection;
        let _ = tokio::runtime::Runtime::new().unwrap().block_on(async {
            let mut conn = sqlx::PgConnection::connect(&self.base).await?;
            sqlx::query(sqlx::AssertSqlSafe(format!(
                "DROP DATABASE IF EXISTS {} WITH (FORCE)",
                self.name
            )))
            .execute(&mut conn)
            .await
        });
    }
}

fn test_pg(what: &str) -> Option<String> {
    let base = std::env::var("CROCEVIA_TEST_PG").ok();
    if base.is_none() {
        eprintln!("CROCEVIA_TEST_PG is not set: PostgreSQL {what} test skipped");
    }
    base
}

#[test]
fn a_postgres_backup_restores_every_row_and_the_audit_chain() {
    let Some(base) = test_pg("backup") else {
        return;
    };
    let db = ScratchDatabase::new(&base);
    let install = Install::new();
    round_trip(&install, &db.url, || {
        db.sql("DROP SCHEMA public CASCADE; CREATE SCHEMA public;");
    });
}

#[test]
fn a_sqlite_installation_moves_to_postgres_with_every_row_and_sequence() {
    let Some(base) = test_pg("migrate-to") else {
        return;
    };
    let install = Install::new();
    let source = format!("sqlite://{}", install.path("data/crocevia.db").display());
    demo_with_desk(&install, &source);
    let target = tokio::runtime::Runtime::new()
        .unwrap()
        .block_on(crocevia_store_sql::test_support::fresh_postgres_schema(
            &base,
        ))
        .unwrap();

    let printed = install.ok(&["--database-url", &source, "migrate-to", &target]);
    assert!(printed.contains("every count matches"), "{printed}");
    let before = table_counts(&source);
    assert_eq!(table_counts(&target), before);
    let line = printed
        .lines()
        .find(|l| l.starts_with("desk_audit "))
        .unwrap();
    assert_eq!(
        line.split_whitespace().collect::<Vec<_>>(),
        ["desk_audit", "3", "3"]
    );
    let verified = install.ok(&["--database-url", &target, "audit", "verify"]);
    assert!(verified.contains("intact: 3 entries checked"), "{verified}");

    // The change log's sequence continues after the copied entries.
    let (last, next): (i64, i64) = tokio::runtime::Runtime::new().unwrap().block_on(async {
        use sqlx::Connection;
        let mut conn = sqlx::PgConnection::connect(&target).await.unwrap();
        let last = sqlx::query_scalar("SELECT MAX(seq) FROM change_log")
            .fetch_one(&mut conn)
            .await
            .unwrap();
        let next = sqlx::query_scalar(
            "INSERT INTO change_log (table_name, record_id, operation, actor, at) \
             VALUES ('service', 'x', 'upsert', 'test', '2026-01-01T00:00:00.000000Z') RETURNING seq",
        )
        .fetch_one(&mut conn)
        .await
        .unwrap();
        (last, next)
    });
    assert!(last > 0);
    assert_eq!(next, last + 1);

    // A second copy into the same database is refused, naming what is there.
    let again = install.run(&["--database-url", &source, "migrate-to", &target]);
    assert_eq!(again.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&again.stderr);
    assert!(
        stderr.contains("already holds data") && stderr.contains("desk_audit: 3"),
        "{stderr}"
    );
}
