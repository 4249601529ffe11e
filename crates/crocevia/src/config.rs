//! Configuration: built-in defaults, overridden by `crocevia.toml`, overridden by environment
//! variables (`CROCEVIA_*`), overridden by command-line flags.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use chrono::Duration;
use crocevia_core::desk::Deadlines;
use crocevia_core::secret::{DatabaseUrl, Secret};
use crocevia_web::desk::DeskSettings;
use crocevia_web::desk::mail::{Security, SmtpSettings};
use crocevia_web::oidc::OidcSettings;
use crocevia_web::rate_limit::{Rate, RateLimits};
use ipnet::IpNet;
use serde::Deserialize;

#[derive(Debug, Clone, PartialEq)]
pub struct Config {
    /// `sqlite://…` or `postgres://…`; by default a SQLite file in the data directory.
    pub database_url: DatabaseUrl,
    pub data_dir: PathBuf,
    pub listen: SocketAddr,
    /// The URL users reach the server at (for links in API answers, and the OpenID Connect
    /// redirect URI `{public_url}/auth/oidc/callback`).
    pub public_url: String,
    /// Referral deadlines and retention of inactive contacts.
    pub desk: DeskSettings,
    /// Where e-mail notices go out; none configured: they stay queued.
    pub smtp: Option<SmtpSettings>,
    /// Back-office login through an OpenID Connect provider; `None` when not configured.
    pub oidc: Option<OidcSettings>,
    /// The disclosure threshold of published counts and the reach used for "unmet needs".
    pub observatory: crocevia_observatory::Settings,
    /// Search answers kept for repeated queries; 0 turns the cache off.
    pub search_cache_entries: usize,
    /// Reverse proxies whose `X-Forwarded-For` names the client (addresses or networks).
    pub trusted_proxies: Vec<IpNet>,
    /// The bearer token `/metrics` asks for; none: it answers this host only.
    pub metrics_token: Option<Secret>,
    /// Requests per client address on login, anonymous survey pages and search.
    pub rate_limits: RateLimits,
    /// The audit trail's key and checkpoints.
    pub audit: AuditSettings,
}

/// `[rate_limits]` in `crocevia.toml`: `"10/m"` (per s, m or h) or `"off"`.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RateLimitsFile {
    login: Option<String>,
    search: Option<String>,
    survey: Option<String>,
}

/// `[http]` in `crocevia.toml`.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct HttpFile {
    /// Addresses or networks (`10.0.0.0/8`) of the reverse proxies in front of the server.
    trusted_proxies: Option<Vec<String>>,
}

/// `[metrics]` in `crocevia.toml`.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct MetricsFile {
    token: Option<String>,
}

/// Where the audit trail's key and checkpoints live: outside the database.
#[derive(Debug, Clone, PartialEq)]
pub struct AuditSettings {
    /// The key sealing entries (created on first start); every app server sharing a database
    /// must use the same file.
    pub key_file: PathBuf,
    /// Signed checkpoints of the chain's head are appended here.
    pub checkpoint_file: PathBuf,
    /// How often the server writes a checkpoint (also at shutdown).
    pub checkpoint_interval: std::time::Duration,
}

/// `[audit]` in `crocevia.toml`.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct AuditFile {
    /// The key file (`{data_dir}/audit.key` by default).
    key_file: Option<PathBuf>,
    /// The checkpoint file (`{data_dir}/audit-checkpoints.log` by default).
    checkpoint_file: Option<PathBuf>,
    /// `"1h"` by default; s, m, h or d.
    checkpoint_interval: Option<String>,
}

/// `[search]` in `crocevia.toml`.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct SearchFile {
    /// Search answers kept for repeated queries (4096 by default; 0: no cache).
    result_cache: Option<usize>,
}

/// `[observatory]` in `crocevia.toml`.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct ObservatoryFile {
    /// Counts of people from 1 to this minus one are hidden (at least 3; 5 by default).
    disclosure_threshold: Option<u32>,
    /// A need is unmet when no service of its category is this close (km; 30 by default).
    unmet_distance_km: Option<f64>,
}

/// `[desk]` in `crocevia.toml`.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct DeskFile {
    /// How long a receiver has to answer an urgent need (`"24h"`; s, m, h or d).
    urgent_deadline: Option<String>,
    normal_deadline: Option<String>,
    retention_days: Option<i64>,
    /// How often expiry, retention and e-mail run (`"30s"`).
    jobs_interval: Option<String>,
}

/// `[smtp]` in `crocevia.toml`.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct SmtpFile {
    host: Option<String>,
    port: Option<u16>,
    security: Option<String>,
    username: Option<String>,
    password: Option<String>,
    from: Option<String>,
}

/// What may be set in `crocevia.toml`, every key optional.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileConfig {
    database_url: Option<String>,
    data_dir: Option<PathBuf>,
    listen: Option<String>,
    public_url: Option<String>,
    #[serde(default)]
    desk: DeskFile,
    #[serde(default)]
    smtp: SmtpFile,
    oidc: Option<FileOidc>,
    #[serde(default)]
    observatory: ObservatoryFile,
    #[serde(default)]
    search: SearchFile,
    #[serde(default)]
    http: HttpFile,
    #[serde(default)]
    metrics: MetricsFile,
    #[serde(default)]
    rate_limits: RateLimitsFile,
    #[serde(default)]
    audit: AuditFile,
}

/// `[oidc]` in `crocevia.toml`.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileOidc {
    issuer: Option<String>,
    client_id: Option<String>,
    client_secret: Option<String>,
    display_name: Option<String>,
    scopes: Option<Vec<String>>,
}

/// Values given on the command line.
#[derive(Debug, Default, Clone, clap::Args)]
pub struct Overrides {
    /// Database URL: sqlite://PATH or postgres://USER@HOST/DB [env: CROCEVIA_DATABASE_URL]
    #[arg(long, global = true)]
    pub database_url: Option<String>,
    /// Directory for the embedded database and other data [env: CROCEVIA_DATA_DIR]
    #[arg(long, global = true)]
    pub data_dir: Option<PathBuf>,
    /// Address to listen on [env: CROCEVIA_LISTEN]
    #[arg(long, global = true)]
    pub listen: Option<String>,
    /// Configuration file (default: ./crocevia.toml when present)
    #[arg(long, global = true)]
    pub config: Option<PathBuf>,
}

impl Config {
    /// Resolves the configuration from the file, `env` (a lookup, so tests need not touch the
    /// process environment) and the flags.
    pub fn resolve(flags: &Overrides, env: impl Fn(&str) -> Option<String>) -> Result<Config> {
        let file = match &flags.config {
            Some(path) => read_file(path)?,
            None if Path::new("crocevia.toml").exists() => read_file(Path::new("crocevia.toml"))?,
            None => FileConfig::default(),
        };
        let data_dir = flags
            .data_dir
            .clone()
            .or_else(|| env("CROCEVIA_DATA_DIR").map(PathBuf::from))
            .or(file.data_dir)
            .unwrap_or_else(|| PathBuf::from("./crocevia-data"));
        let database_url = flags
            .database_url
            .clone()
            .or_else(|| env("CROCEVIA_DATABASE_URL"))
            .or(file.database_url)
            .unwrap_or_else(|| format!("sqlite://{}", data_dir.join("crocevia.db").display()));
        let database_url = DatabaseUrl::new(database_url);
        let listen_text = flags
            .listen
            .clone()
            .or_else(|| env("CROCEVIA_LISTEN"))
            .or(file.listen)
            .unwrap_or_else(|| "127.0.0.1:8080".to_owned());
        let listen: SocketAddr = listen_text.parse().with_context(|| {
            format!("listen address '{listen_text}' is not HOST:PORT (for example 127.0.0.1:8080)")
        })?;
        let public_url = env("CROCEVIA_PUBLIC_URL")
            .or(file.public_url)
            .unwrap_or_else(|| {
                let host = if listen.ip().is_unspecified() || listen.ip().is_loopback() {
                    "localhost".to_owned()
                } else {
                    listen.ip().to_string()
                };
                format!("http://{host}:{}", listen.port())
            })
            .trim_end_matches('/')
            .to_owned();
        let defaults = DeskSettings::default();
        let duration = |key: &str, file: Option<String>, default: Duration| -> Result<Duration> {
            match env(key).or(file) {
                Some(text) => parse_duration(&text).with_context(|| format!("{key}: '{text}'")),
                None => Ok(default),
            }
        };
        let retention_days = match env("CROCEVIA_DESK_RETENTION_DAYS") {
            Some(v) => v.parse::<i64>().with_context(|| {
                format!("CROCEVIA_DESK_RETENTION_DAYS '{v}' is not a whole number")
            })?,
            None => file.desk.retention_days.unwrap_or(defaults.retention_days),
        };
        if retention_days <= 0 {
            bail!("the retention period must be a positive number of days, not {retention_days}");
        }
        let desk = DeskSettings {
            deadlines: Deadlines {
                urgent: duration(
                    "CROCEVIA_DESK_URGENT_DEADLINE",
                    file.desk.urgent_deadline,
                    defaults.deadlines.urgent,
                )?,
                normal: duration(
                    "CROCEVIA_DESK_NORMAL_DEADLINE",
                    file.desk.normal_deadline,
                    defaults.deadlines.normal,
                )?,
            },
            retention_days,
            jobs_interval: duration(
                "CROCEVIA_DESK_JOBS_INTERVAL",
                file.desk.jobs_interval,
                Duration::from_std(defaults.jobs_interval).unwrap_or(Duration::seconds(30)),
            )?
            .to_std()
            .unwrap_or(defaults.jobs_interval),
        };
        let smtp = smtp_settings(file.smtp, &env)?;
        let oidc = resolve_oidc(file.oidc.unwrap_or_default(), &env)?;
        let observatory = observatory_settings(file.observatory, &env)?;
        let search_cache_entries = match env("CROCEVIA_SEARCH_CACHE") {
            Some(v) => v.trim().parse::<usize>().with_context(|| {
                format!("CROCEVIA_SEARCH_CACHE '{v}' is not a whole number (0 turns the cache off)")
            })?,
            None => file
                .search
                .result_cache
                .unwrap_or(crocevia_web::search_cache::DEFAULT_CAPACITY),
        };
        let audit = AuditSettings {
            key_file: env("CROCEVIA_AUDIT_KEY_FILE")
                .map(PathBuf::from)
                .or(file.audit.key_file)
                .unwrap_or_else(|| data_dir.join("audit.key")),
            checkpoint_file: env("CROCEVIA_AUDIT_CHECKPOINT_FILE")
                .map(PathBuf::from)
                .or(file.audit.checkpoint_file)
                .unwrap_or_else(|| data_dir.join("audit-checkpoints.log")),
            checkpoint_interval: duration(
                "CROCEVIA_AUDIT_CHECKPOINT_INTERVAL",
                file.audit.checkpoint_interval,
                Duration::hours(1),
            )?
            .to_std()
            .unwrap_or(std::time::Duration::from_secs(3600)),
        };
        let trusted_proxies = match env("CROCEVIA_TRUSTED_PROXIES") {
            Some(list) => {
                parse_networks(list.split([',', ' '])).context("CROCEVIA_TRUSTED_PROXIES")?
            }
            None => parse_networks(file.http.trusted_proxies.iter().flatten())
                .context("[http] trusted_proxies")?,
        };
        let metrics_token = env("CROCEVIA_METRICS_TOKEN")
            .or(file.metrics.token)
            .and_then(|token| Secret::new(token.trim()));
        let defaults = RateLimits::default();
        let rate = |key: &str, file: Option<String>, default: Option<Rate>| match env(key)
            .map(|v| (key.to_owned(), v))
            .or_else(|| {
                file.map(|v| {
                    (
                        format!(
                            "[rate_limits] {}",
                            key.trim_start_matches("CROCEVIA_RATE_LIMIT_")
                                .to_lowercase()
                        ),
                        v,
                    )
                })
            }) {
            Some((name, text)) => Rate::parse(&text).map_err(|e| anyhow::anyhow!("{name}: {e}")),
            None => Ok(default),
        };
        let rate_limits = RateLimits {
            login: rate(
                "CROCEVIA_RATE_LIMIT_LOGIN",
                file.rate_limits.login,
                defaults.login,
            )?,
            search: rate(
                "CROCEVIA_RATE_LIMIT_SEARCH",
                file.rate_limits.search,
                defaults.search,
            )?,
            survey: rate(
                "CROCEVIA_RATE_LIMIT_SURVEY",
                file.rate_limits.survey,
                defaults.survey,
            )?,
        };
        Ok(Config {
            rate_limits,
            trusted_proxies,
            metrics_token,
            audit,
            search_cache_entries,
            observatory,
            database_url,
            data_dir,
            listen,
            public_url,
            desk,
            smtp,
            oidc,
        })
    }
}

fn observatory_settings(
    file: ObservatoryFile,
    env: &impl Fn(&str) -> Option<String>,
) -> Result<crocevia_observatory::Settings> {
    let defaults = crocevia_observatory::Settings::default();
    let threshold = match env("CROCEVIA_DISCLOSURE_THRESHOLD") {
        Some(v) => v.parse::<u32>().with_context(|| {
            format!("CROCEVIA_DISCLOSURE_THRESHOLD '{v}' is not a whole number")
        })?,
        None => file
            .disclosure_threshold
            .unwrap_or(defaults.rule.threshold()),
    };
    let rule = crocevia_core::disclosure::DisclosureRule::new(threshold)
        .map_err(|e| anyhow::anyhow!("[observatory] disclosure_threshold: {e}"))?;
    let unmet_distance_km = file.unmet_distance_km.unwrap_or(defaults.unmet_distance_km);
    if unmet_distance_km.is_nan() || unmet_distance_km <= 0.0 {
        bail!("[observatory] unmet_distance_km must be a positive number of kilometres");
    }
    Ok(crocevia_observatory::Settings {
        rule,
        unmet_distance_km,
    })
}

/// Addresses (`10.0.0.2`, `::1`) and networks (`10.0.0.0/8`); empty items are skipped.
fn parse_networks<S: AsRef<str>>(items: impl IntoIterator<Item = S>) -> Result<Vec<IpNet>> {
    let mut nets = Vec::new();
    for item in items {
        let item = item.as_ref().trim();
        if item.is_empty() {
            continue;
        }
        let net = item
            .parse::<IpNet>()
            .or_else(|_| item.parse::<std::net::IpAddr>().map(IpNet::from))
            .map_err(|_| {
                anyhow::anyhow!("'{item}' is not an IP address or network (like 10.0.0.0/8)")
            })?;
        nets.push(net);
    }
    Ok(nets)
}

/// `90s`, `15m`, `24h`, `30d`: a positive whole number and a unit.
fn parse_duration(text: &str) -> Result<Duration> {
    let text = text.trim();
    let last = text.char_indices().last().map_or(0, |(i, _)| i);
    let (number, unit) = text.split_at(last);
    let n: i64 =
        number.parse().ok().filter(|n| *n > 0).context(
            "expected a positive whole number and a unit: s, m, h or d (for example 24h)",
        )?;
    Ok(match unit {
        "s" => Duration::seconds(n),
        "m" => Duration::minutes(n),
        "h" => Duration::hours(n),
        "d" => Duration::days(n),
        _ => bail!("expected a unit: s, m, h or d (for example 24h)"),
    })
}

/// SMTP from the file, each key overridden by `CROCEVIA_SMTP_<KEY>`; none without a host.
fn smtp_settings(
    file: SmtpFile,
    env: &impl Fn(&str) -> Option<String>,
) -> Result<Option<SmtpSettings>> {
    let Some(host) = env("CROCEVIA_SMTP_HOST").or(file.host) else {
        return Ok(None);
    };
    let security_text = env("CROCEVIA_SMTP_SECURITY")
        .or(file.security)
        .unwrap_or_else(|| "starttls".to_owned());
    let security = Security::parse(&security_text).with_context(|| {
        format!("SMTP security '{security_text}' is not one of none, starttls, tls")
    })?;
    let port = match env("CROCEVIA_SMTP_PORT") {
        Some(p) => p
            .parse()
            .with_context(|| format!("CROCEVIA_SMTP_PORT '{p}' is not a port number"))?,
        None => file.port.unwrap_or(match security {
            Security::None => 25,
            Security::StartTls => 587,
            Security::Tls => 465,
        }),
    };
    let from = env("CROCEVIA_SMTP_FROM")
        .or(file.from)
        .context("an SMTP host is set but no sender: set smtp.from (or CROCEVIA_SMTP_FROM)")?;
    Ok(Some(SmtpSettings {
        host,
        port,
        security,
        username: env("CROCEVIA_SMTP_USERNAME").or(file.username),
        password: env("CROCEVIA_SMTP_PASSWORD")
            .or(file.password)
            .and_then(Secret::new),
        from,
    }))
}

/// The OpenID Connect settings: `[oidc]` overridden by `CROCEVIA_OIDC_*`. Off without an
/// issuer; an issuer without a client id (or the reverse) is a mistake worth stopping for.
fn resolve_oidc(
    file: FileOidc,
    env: &impl Fn(&str) -> Option<String>,
) -> Result<Option<OidcSettings>> {
    let non_empty = |v: Option<String>| v.map(|v| v.trim().to_owned()).filter(|v| !v.is_empty());
    let issuer = non_empty(env("CROCEVIA_OIDC_ISSUER").or(file.issuer));
    let client_id = non_empty(env("CROCEVIA_OIDC_CLIENT_ID").or(file.client_id));
    let (issuer, client_id) = match (issuer, client_id) {
        (None, None) => return Ok(None),
        (Some(issuer), Some(client_id)) => (issuer, client_id),
        (Some(_), None) => bail!(
            "OpenID Connect: an issuer is set but no client id: set client_id in [oidc] or CROCEVIA_OIDC_CLIENT_ID"
        ),
        (None, Some(_)) => bail!(
            "OpenID Connect: a client id is set but no issuer: set issuer in [oidc] or CROCEVIA_OIDC_ISSUER"
        ),
    };
    if !(issuer.starts_with("https://") || issuer.starts_with("http://")) {
        bail!("OpenID Connect: the issuer '{issuer}' is not an http(s) URL");
    }
    let scopes = match env("CROCEVIA_OIDC_SCOPES") {
        Some(list) => list
            .split([' ', ','])
            .filter(|s| !s.is_empty())
            .map(str::to_owned)
            .collect(),
        None => file
            .scopes
            .unwrap_or_else(|| vec!["openid".into(), "email".into(), "profile".into()]),
    };
    Ok(Some(OidcSettings {
        issuer: issuer.trim_end_matches('/').to_owned(),
        client_id,
        client_secret: non_empty(env("CROCEVIA_OIDC_CLIENT_SECRET").or(file.client_secret))
            .and_then(Secret::new),
        display_name: non_empty(env("CROCEVIA_OIDC_DISPLAY_NAME").or(file.display_name))
            .unwrap_or_else(|| "OpenID Connect".to_owned()),
        scopes,
    }))
}

fn read_file(path: &Path) -> Result<FileConfig> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("cannot read the configuration file {}", path.display()))?;
    toml::from_str(&text)
        .with_context(|| format!("{} is not a valid Crocevia configuration", path.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_need_no_configuration() {
        let c = Config::resolve(&Overrides::default(), |_| None).unwrap();
        assert_eq!(c.listen.to_string(), "127.0.0.1:8080");
        assert_eq!(
            c.database_url.as_str(),
            "sqlite://./crocevia-data/crocevia.db"
        );
        assert_eq!(c.public_url, "http://localhost:8080");
    }

    #[test]
    fn flags_beat_environment_beat_file() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("crocevia.toml");
        std::fs::write(
            &file,
            "listen = \"127.0.0.1:9000\"\ndata_dir = \"/srv/file\"\n",
        )
        .unwrap();
        let mut flags = Overrides {
            config: Some(file),
            ..Overrides::default()
        };
        let env = |k: &str| (k == "CROCEVIA_DATA_DIR").then(|| "/srv/env".to_owned());
        let c = Config::resolve(&flags, env).unwrap();
        assert_eq!(c.listen.port(), 9000);
        assert_eq!(c.data_dir, PathBuf::from("/srv/env"));
        flags.data_dir = Some("/srv/flag".into());
        let c = Config::resolve(&flags, env).unwrap();
        assert_eq!(c.database_url.as_str(), "sqlite:///srv/flag/crocevia.db");
    }

    #[test]
    fn the_search_cache_size_comes_from_the_file_then_the_environment() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("crocevia.toml");
        std::fs::write(&file, "[search]\nresult_cache = 64\n").unwrap();
        let flags = Overrides {
            config: Some(file),
            ..Overrides::default()
        };
        assert_eq!(
            Config::resolve(&flags, |_| None)
                .unwrap()
                .search_cache_entries,
            64
        );
        let off = |k: &str| (k == "CROCEVIA_SEARCH_CACHE").then(|| "0".to_owned());
        assert_eq!(
            Config::resolve(&flags, off).unwrap().search_cache_entries,
            0
        );
        let bad = |k: &str| (k == "CROCEVIA_SEARCH_CACHE").then(|| "many".to_owned());
        assert!(Config::resolve(&flags, bad).is_err());
        let none = Overrides::default();
        assert_eq!(
            Config::resolve(&none, |_| None)
                .unwrap()
                .search_cache_entries,
            crocevia_web::search_cache::DEFAULT_CAPACITY
        );
    }

    #[test]
    fn desk_deadlines_and_smtp_come_from_the_file_and_the_environment() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("crocevia.toml");
        std::fs::write(
            &file,
            "[desk]\nurgent_deadline = \"12h\"\nretention_days = 365\n[smtp]\nhost = \"mail.example.it\"\nfrom = \"Crocevia <noreply@example.it>\"\n",
        )
        .unwrap();
        let flags = Overrides {
            config: Some(file),
            ..Overrides::default()
        };
        let env = |k: &str| (k == "CROCEVIA_DESK_NORMAL_DEADLINE").then(|| "90m".to_owned());
        let c = Config::resolve(&flags, env).unwrap();
        assert_eq!(c.desk.deadlines.urgent, Duration::hours(12));
        assert_eq!(c.desk.deadlines.normal, Duration::minutes(90));
        assert_eq!(c.desk.retention_days, 365);
        let smtp = c.smtp.unwrap();
        assert_eq!((smtp.port, smtp.security), (587, Security::StartTls));
        let bad = |k: &str| (k == "CROCEVIA_DESK_URGENT_DEADLINE").then(|| "-3h".to_owned());
        let err = format!("{:#}", Config::resolve(&flags, bad).unwrap_err());
        assert!(err.contains("positive whole number"), "{err}");
        let bad = |k: &str| (k == "CROCEVIA_DESK_URGENT_DEADLINE").then(|| "3 weeks".to_owned());
        assert!(Config::resolve(&flags, bad).is_err());
        assert_eq!(
            Config::resolve(&Overrides::default(), |_| None)
                .unwrap()
                .smtp,
            None
        );
    }

    #[test]
    fn oidc_is_off_unless_configured_and_env_beats_file() {
        assert_eq!(
            Config::resolve(&Overrides::default(), |_| None)
                .unwrap()
                .oidc,
            None
        );
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("crocevia.toml");
        std::fs::write(
            &file,
            "[oidc]\nissuer = \"https://id.example.it/\"\nclient_id = \"crocevia\"\nclient_secret = \"s3cret\"\ndisplay_name = \"SPID/CIE\"\n",
        )
        .unwrap();
        let flags = Overrides {
            config: Some(file),
            ..Overrides::default()
        };
        let oidc = Config::resolve(&flags, |_| None).unwrap().oidc.unwrap();
        assert_eq!(oidc.issuer, "https://id.example.it");
        assert_eq!(
            oidc.client_secret.as_ref().map(Secret::expose),
            Some("s3cret")
        );
        assert_eq!(oidc.display_name, "SPID/CIE");
        assert_eq!(oidc.scopes, ["openid", "email", "profile"]);
        assert!(
            !format!("{oidc:?}").contains("s3cret"),
            "the secret is not logged"
        );
        let env = |k: &str| match k {
            "CROCEVIA_OIDC_ISSUER" => Some("http://127.0.0.1:9000".to_owned()),
            "CROCEVIA_OIDC_SCOPES" => Some("openid email".to_owned()),
            _ => None,
        };
        let oidc = Config::resolve(&flags, env).unwrap().oidc.unwrap();
        assert_eq!(oidc.issuer, "http://127.0.0.1:9000");
        assert_eq!(oidc.client_id, "crocevia");
        assert_eq!(oidc.scopes, ["openid", "email"]);
        let half =
            |k: &str| (k == "CROCEVIA_OIDC_ISSUER").then(|| "https://id.example.it".to_owned());
        let err = Config::resolve(&Overrides::default(), half)
            .unwrap_err()
            .to_string();
        assert!(err.contains("CROCEVIA_OIDC_CLIENT_ID"), "{err}");
    }

    #[test]
    fn trusted_proxies_and_the_metrics_token_come_from_the_file_then_the_environment() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("crocevia.toml");
        std::fs::write(
            &file,
            "[http]\ntrusted_proxies = [\"127.0.0.1\", \"10.0.0.0/8\"]\n[metrics]\ntoken = \"t0ken\"\n",
        )
        .unwrap();
        let flags = Overrides {
            config: Some(file),
            ..Overrides::default()
        };
        let c = Config::resolve(&flags, |_| None).unwrap();
        let nets: Vec<String> = c.trusted_proxies.iter().map(ToString::to_string).collect();
        assert_eq!(nets, ["127.0.0.1/32", "10.0.0.0/8"]);
        assert_eq!(c.metrics_token, Secret::new("t0ken"));
        assert!(
            !format!("{c:?}").contains("t0ken"),
            "the token is not logged"
        );
        let env = |k: &str| match k {
            "CROCEVIA_TRUSTED_PROXIES" => Some("::1, 192.168.0.0/16".to_owned()),
            "CROCEVIA_METRICS_TOKEN" => Some("other".to_owned()),
            _ => None,
        };
        let c = Config::resolve(&flags, env).unwrap();
        assert_eq!(c.trusted_proxies.len(), 2);
        assert_eq!(c.metrics_token, Secret::new("other"));
        let bad = |k: &str| (k == "CROCEVIA_TRUSTED_PROXIES").then(|| "proxy.local".to_owned());
        let err = format!("{:#}", Config::resolve(&flags, bad).unwrap_err());
        assert!(err.contains("not an IP address"), "{err}");
        let none = Config::resolve(&Overrides::default(), |_| None).unwrap();
        assert!(none.trusted_proxies.is_empty() && none.metrics_token.is_none());
    }

    #[test]
    fn rate_limits_default_on_and_come_from_the_file_then_the_environment() {
        let c = Config::resolve(&Overrides::default(), |_| None).unwrap();
        assert_eq!(c.rate_limits, RateLimits::default());
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("crocevia.toml");
        std::fs::write(&file, "[rate_limits]\nlogin = \"5/m\"\nsearch = \"off\"\n").unwrap();
        let flags = Overrides {
            config: Some(file),
            ..Overrides::default()
        };
        let c = Config::resolve(&flags, |_| None).unwrap();
        assert_eq!(c.rate_limits.login, Rate::parse("5/m").unwrap());
        assert_eq!(c.rate_limits.search, None);
        assert_eq!(c.rate_limits.survey, RateLimits::default().survey);
        let env = |k: &str| (k == "CROCEVIA_RATE_LIMIT_LOGIN").then(|| "off".to_owned());
        assert_eq!(
            Config::resolve(&flags, env).unwrap().rate_limits.login,
            None
        );
        let bad = |k: &str| (k == "CROCEVIA_RATE_LIMIT_SURVEY").then(|| "fast".to_owned());
        let err = format!("{:#}", Config::resolve(&flags, bad).unwrap_err());
        assert!(err.contains("CROCEVIA_RATE_LIMIT_SURVEY"), "{err}");
    }

    #[test]
    fn a_bad_listen_address_says_what_is_expected() {
        let flags = Overrides {
            listen: Some("localhost".into()),
            ..Overrides::default()
        };
        let err = Config::resolve(&flags, |_| None).unwrap_err().to_string();
        assert!(err.contains("HOST:PORT"), "{err}");
    }
}
