//! E-mail notices of the desk over SMTP. A notice says what happened and links to the
//! referral; it never carries personal data. It is written in the recipient's language (the
//! one their account last used), when sent rather than when queued.

use lettre::message::Mailbox;
use lettre::transport::smtp::authentication::Credentials;
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};

use crate::AppState;
use crate::error::AppError;
use crate::kit::messages;

/// How the connection to the SMTP server is secured.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Security {
    /// Plain SMTP (a relay on the same host or network).
    None,
    /// STARTTLS on the submission port (587).
    StartTls,
    /// TLS from the start (465).
    Tls,
}

impl Security {
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "none" => Some(Security::None),
            "starttls" => Some(Security::StartTls),
            "tls" => Some(Security::Tls),
            _ => None,
        }
    }
}

/// Where and as whom notices are sent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SmtpSettings {
    pub host: String,
    pub port: u16,
    pub security: Security,
    pub username: Option<String>,
    pub password: Option<crocevia_core::secret::Secret>,
    /// The sender, `Name <address>` or an address.
    pub from: String,
}

pub struct Mailer {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    from: Mailbox,
}

/// Mails are not tried again after this many failed attempts.
pub const MAX_ATTEMPTS: u32 = 10;

impl Mailer {
    pub fn new(settings: &SmtpSettings) -> Result<Self, String> {
        let from: Mailbox = settings
            .from
            .parse()
            .map_err(|e| format!("the sender address '{}' is not valid: {e}", settings.from))?;
        let builder = match settings.security {
            Security::None => {
                AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(&settings.host)
            }
            Security::StartTls => {
                AsyncSmtpTransport::<Tokio1Executor>::starttls_relay(&settings.host)
                    .map_err(|e| format!("SMTP server {}: {e}", settings.host))?
            }
            Security::Tls => AsyncSmtpTransport::<Tokio1Executor>::relay(&settings.host)
                .map_err(|e| format!("SMTP server {}: {e}", settings.host))?,
        };
        let mut builder = builder.port(settings.port);
        if let (Some(user), Some(password)) = (&settings.username, &settings.password) {
            builder =
                builder.credentials(Credentials::new(user.clone(), password.expose().to_owned()));
        }
        Ok(Mailer {
            transport: builder.build(),
            from,
        })
    }

    async fn send(&self, to: &str, subject: String, body: String) -> Result<(), String> {
        let to: Mailbox = to.parse().map_err(|e| format!("recipient '{to}': {e}"))?;
        let message = Message::builder()
            .from(self.from.clone())
            .to(to)
            .subject(subject)
            .body(body)
            .map_err(|e| e.to_string())?;
        self.transport
            .send(message)
            .await
            .map(|_| ())
            .map_err(|e| e.to_string())
    }
}

/// Sends what is queued; returns how many went out. A failure is counted on the mail and
/// tried again on the next round, up to [`MAX_ATTEMPTS`].
pub async fn send_pending(state: &AppState, mailer: &Mailer) -> Result<usize, AppError> {
    let messages = messages();
    let mut sent = 0;
    for mail in state.store.pending_mail(100, MAX_ATTEMPTS).await? {
        let lang = mail.language.as_str();
        let link = crocevia_i18n::Arg::Text(&mail.link);
        let subject = messages.get(lang, &format!("ml-subject-{}", mail.kind), &[]);
        let body = messages.get(lang, &format!("ml-body-{}", mail.kind), &[("link", link)]);
        match mailer.send(&mail.to, subject, body).await {
            Ok(()) => {
                state
                    .store
                    .mail_attempted(&mail.id, Some(state.clock.now()))
                    .await?;
                sent += 1;
            }
            Err(e) => {
                tracing::warn!(mail = %mail.id, error = %e, "e-mail not sent; will retry");
                state.store.mail_attempted(&mail.id, None).await?;
            }
        }
    }
    Ok(sent)
}
