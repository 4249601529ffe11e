//! E-mail notices go out through a real SMTP server on loopback (aiosmtpd, from PyPI; the
//! test command installs it and names its Python in `CROCEVIA_TEST_AIOSMTPD`), in the
//! recipient's language, with a link and no personal data.

// Tests fail by panicking; some read the wall clock as the server under test does.
#![allow(clippy::unwrap_used, clippy::disallowed_methods)]

use std::net::TcpListener;
use std::path::Path;
use std::process::{Child, Command};
use std::time::{Duration, Instant};

use chrono::Utc;
use crocevia_store::desk::OutgoingMail;
use crocevia_web::desk::mail::{Mailer, Security, SmtpSettings, send_pending};

mod common;
use common::world::World;

struct Smtpd {
    child: Child,
    port: u16,
}

impl Drop for Smtpd {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// aiosmtpd writing every message it receives into the Maildir `dir`.
fn start_smtpd(dir: &Path) -> Option<Smtpd> {
    let Ok(python) = std::env::var("CROCEVIA_TEST_AIOSMTPD") else {
        assert!(
            std::env::var("CI").is_err(),
            "CI must set CROCEVIA_TEST_AIOSMTPD (scripts/test does)"
        );
        eprintln!(
            "CROCEVIA_TEST_AIOSMTPD is not set: the SMTP test is skipped (scripts/test sets it)"
        );
        return None;
    };
    let port = free_port();
    let child = Command::new(python)
        .args(["-m", "aiosmtpd", "-n", "-l", &format!("127.0.0.1:{port}")])
        .args(["-c", "aiosmtpd.handlers.Mailbox"])
        .arg(dir)
        .spawn()
        .expect("start aiosmtpd");
    let started = Instant::now();
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(
            started.elapsed() < Duration::from_secs(20),
            "aiosmtpd did not start"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    Some(Smtpd { child, port })
}

fn settings(port: u16) -> SmtpSettings {
    SmtpSettings {
        host: "127.0.0.1".into(),
        port,
        security: Security::None,
        username: None,
        password: None,
        from: "Crocevia <noreply@crocevia.example>".into(),
    }
}

fn mail(to: &str, language: &str) -> OutgoingMail {
    OutgoingMail {
        id: uuid::Uuid::new_v4().to_string(),
        to: to.into(),
        language: language.into(),
        kind: "received".into(),
        link: format!("http://localhost:8080/{language}/desk/referrals/r-1"),
        created_at: Utc::now(),
        attempts: 0,
    }
}

fn received(dir: &Path) -> Vec<String> {
    std::fs::read_dir(dir.join("new"))
        .map(|entries| {
            entries
                .map(|e| std::fs::read_to_string(e.unwrap().path()).unwrap())
                .collect()
        })
        .unwrap_or_default()
}

#[tokio::test]
async fn notices_arrive_in_the_recipients_language_with_only_a_link() {
    let temp = tempfile::tempdir().unwrap();
    // aiosmtpd creates the Maildir's folders only when the directory does not exist yet.
    let maildir = temp.path().join("maildir");
    let Some(smtpd) = start_smtpd(&maildir) else {
        return;
    };
    let w = World::new("http://localhost:8080").await;
    w.store
        .queue_mail(&mail("ada@asl.example", "en"))
        .await
        .unwrap();
    w.store
        .queue_mail(&mail("bea@asl.example", "it"))
        .await
        .unwrap();

    let mailer = Mailer::new(&settings(smtpd.port)).unwrap();
    assert_eq!(send_pending(&w.state(), &mailer).await.unwrap(), 2);
    assert!(
        w.store.pending_mail(10, 10).await.unwrap().is_empty(),
        "sent mails leave the queue"
    );

    let messages = received(&maildir);
    assert_eq!(messages.len(), 2);
    let english = messages
        .iter()
        .find(|m| m.contains("To: ada@asl.example"))
        .unwrap();
    assert!(
        english.contains("Subject: Crocevia: new referral received"),
        "{english}"
    );
    assert!(english.contains("http://localhost:8080/en/desk/referrals/r-1"));
    assert!(english.contains("no personal data"));
    let italian = messages
        .iter()
        .find(|m| m.contains("To: bea@asl.example"))
        .unwrap();
    assert!(
        italian.contains("Subject: Crocevia: nuovo invio ricevuto"),
        "{italian}"
    );
    assert_eq!(
        send_pending(&w.state(), &mailer).await.unwrap(),
        0,
        "nothing is sent twice"
    );
}

#[tokio::test]
async fn an_unreachable_server_keeps_the_mail_queued_and_counts_the_attempt() {
    let w = World::new("http://localhost:8080").await;
    w.store
        .queue_mail(&mail("ada@asl.example", "it"))
        .await
        .unwrap();
    let mailer = Mailer::new(&settings(free_port())).unwrap();
    assert_eq!(send_pending(&w.state(), &mailer).await.unwrap(), 0);
    let pending = w.store.pending_mail(10, 10).await.unwrap();
    assert_eq!((pending.len(), pending[0].attempts), (1, 1));
    assert!(
        w.store.pending_mail(10, 1).await.unwrap().is_empty(),
        "given up after the last attempt"
    );
}
