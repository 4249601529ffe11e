//! `crocevia user …`: back-office accounts from the command line. Passwords are read from
//! standard input (`--password-stdin`), never from the command line, and stored as argon2id.

use std::io::BufRead;
use std::process::ExitCode;

use anyhow::{Context, Result, bail};
use clap::Subcommand;
use crocevia_core::clock::Clock;
use crocevia_store::Store;

#[derive(Subcommand)]
pub enum UserAction {
    /// Create an account of an organisation (the password is read from standard input).
    Create {
        #[arg(long)]
        organization: String,
        #[arg(long)]
        email: String,
        /// admin, coordinator, editor, operator or analyst.
        #[arg(long)]
        role: String,
        /// The name shown in the back office (defaults to the e-mail).
        #[arg(long, default_value = "")]
        name: String,
        /// Read the password from the first line of standard input.
        #[arg(long)]
        password_stdin: bool,
    },
    /// Set a new password (an administrator's reset): unlocks the account and ends its
    /// sessions.
    ResetPassword {
        #[arg(long)]
        email: String,
        /// Read the password from the first line of standard input.
        #[arg(long)]
        password_stdin: bool,
    },
}

fn read_password(from_stdin: bool) -> Result<String> {
    if !from_stdin {
        bail!("pass --password-stdin and write the password on standard input");
    }
    let mut line = String::new();
    std::io::stdin()
        .lock()
        .read_line(&mut line)
        .context("reading the password from standard input")?;
    Ok(line.trim_end_matches(['\r', '\n']).to_owned())
}

pub async fn run(action: UserAction, store: &dyn Store, clock: &dyn Clock) -> Result<ExitCode> {
    match action {
        UserAction::Create {
            organization,
            email,
            role,
            name,
            password_stdin,
        } => {
            let password = read_password(password_stdin)?;
            let account = crocevia_web::auth::create_account(
                store,
                clock.now(),
                &organization,
                &email,
                &name,
                &role,
                &password,
            )
            .await?;
            println!(
                "Account {} created: {} ({}) of organisation {}.",
                account.id, account.email, account.role, account.organization_id
            );
        }
        UserAction::ResetPassword {
            email,
            password_stdin,
        } => {
            let password = read_password(password_stdin)?;
            crocevia_web::auth::reset_password(store, &email, &password).await?;
            if let Some(account) = store
                .account_by_email(&crocevia_core::access::normalize_email(&email))
                .await?
            {
                crocevia_web::audit_trail::record(
                    store,
                    clock.now(),
                    crocevia_core::desk::audit::Actor {
                        account_id: "command-line".into(),
                        organization_id: String::new(),
                    },
                    crocevia_core::desk::audit::AuditAction::PasswordReset,
                    crocevia_web::audit_trail::ACCOUNT,
                    &account.id,
                    "crocevia user reset-password",
                )
                .await?;
            }
            println!("Password of {email} changed; its sessions have ended.");
        }
    }
    Ok(ExitCode::SUCCESS)
}
