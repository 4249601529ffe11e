//! Values from the configuration that must never reach a log: passwords, client secrets,
//! tokens, and database URLs that may hold a password. Their `Debug` (and a URL's `Display`)
//! hide the secret part, so printing a whole configuration struct is safe; the value itself is
//! read only where it is used, through [`Secret::expose`] or [`DatabaseUrl::as_str`].

use std::fmt;

/// A password, client secret or token.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    /// The value as given (a password may start or end with a space); `None` for an empty
    /// or blank one, which means "not set".
    pub fn new(value: impl Into<String>) -> Option<Self> {
        let value = value.into();
        (!value.trim().is_empty()).then_some(Secret(value))
    }

    /// The secret itself, for the one place that hands it on (a login, a token request).
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// Whether `sent` is this secret, compared in constant time.
    pub fn matches(&self, sent: &str) -> bool {
        same_secret(sent, &self.0)
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(***)")
    }
}

/// Compares two secrets without stopping at the first difference.
pub fn same_secret(a: &str, b: &str) -> bool {
    a.len() == b.len()
        && a.bytes()
            .zip(b.bytes())
            .fold(0u8, |acc, (x, y)| acc | (x ^ y))
            == 0
}

/// A database URL (`sqlite://…`, `postgres://user:password@host/db`). Printed, its password
/// shows as `***`.
#[derive(Clone, PartialEq, Eq)]
pub struct DatabaseUrl(String);

impl DatabaseUrl {
    pub fn new(url: impl Into<String>) -> Self {
        DatabaseUrl(url.into())
    }

    /// The URL itself, to connect with.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The URL with its password replaced by `***`, for logs and error messages.
    pub fn redacted(&self) -> String {
        let url = &self.0;
        match (url.find("://"), url.rfind('@')) {
            (Some(scheme), Some(at)) if at > scheme => {
                let credentials = &url[scheme + 3..at];
                match credentials.split_once(':') {
                    Some((user, _)) => format!("{}{user}:***{}", &url[..scheme + 3], &url[at..]),
                    None => url.clone(),
                }
            }
            _ => url.clone(),
        }
    }
}

impl fmt::Debug for DatabaseUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "DatabaseUrl({:?})", self.redacted())
    }
}

impl fmt::Display for DatabaseUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.redacted())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn printing_never_shows_the_secret() {
        let secret = Secret::new("s3cret").unwrap();
        assert_eq!(format!("{secret:?}"), "Secret(***)");
        assert_eq!(secret.expose(), "s3cret");
        assert_eq!(Secret::new(" pass ").unwrap().expose(), " pass ");
        assert!(secret.matches("s3cret") && !secret.matches("s3cre") && !secret.matches("s3creT"));
        assert_eq!(Secret::new("  "), None);
        let settings = (Some(secret), "host");
        assert!(!format!("{settings:?}").contains("s3cret"));
    }

    #[test]
    fn a_database_url_prints_without_its_password() {
        let url = DatabaseUrl::new("postgres://crocevia:p@ss:w0rd@db.example:5432/crocevia");
        assert_eq!(
            url.to_string(),
            "postgres://crocevia:***@db.example:5432/crocevia"
        );
        assert!(!format!("{url:?}").contains("w0rd"));
        assert!(url.as_str().contains("p@ss:w0rd"));
        let sqlite = DatabaseUrl::new("sqlite://./data/crocevia.db");
        assert_eq!(sqlite.to_string(), "sqlite://./data/crocevia.db");
        let no_password = DatabaseUrl::new("postgres://crocevia@db/crocevia");
        assert_eq!(no_password.to_string(), "postgres://crocevia@db/crocevia");
    }
}
