//! The storage contract. Backends (`crocevia-store-sql`: SQLite and PostgreSQL) implement
//! [`Store`]; [`contract`] is the test suite every backend must pass, so both behave alike.

#[cfg(feature = "testing")]
pub mod contract;
pub mod desk;
pub mod import;
mod nested;
pub mod search_demand;
pub mod survey;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use crocevia_core::access::Role;
use crocevia_core::hsds::Record;
use crocevia_core::hsds::validate::Existing;
use crocevia_core::statistics::{Dataset, Observation, ObservationFilter};
use crocevia_core::territory::{Comune, Point, Province, Region, Territories};
use serde::Serialize;

pub use nested::{SharedRows, load_nested, load_nested_sharing, load_owned, services_affected_by};

/// Errors of any backend, with stable codes for the API and the CLI.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// A write would leave a reference pointing nowhere (the last line of defence; imports
    /// validate before writing and report by row).
    #[error("{table} {id}: field {field} refers to {target}, which does not exist")]
    DanglingReference {
        table: String,
        id: String,
        field: String,
        target: String,
    },
    /// Deleting a row others still point to.
    #[error("{table} {id} is still referenced by {referrer_table} {referrer_id}")]
    StillReferenced {
        table: String,
        id: String,
        referrer_table: String,
        referrer_id: String,
    },
    /// A row with this unique key exists already (an account's e-mail).
    #[error("{0} exists already")]
    AlreadyExists(String),
    #[error("database error: {0}")]
    Database(String),
}

impl StoreError {
    pub fn code(&self) -> &'static str {
        match self {
            StoreError::DanglingReference { .. } => "dangling_reference",
            StoreError::StillReferenced { .. } => "still_referenced",
            StoreError::AlreadyExists(_) => "already_exists",
            StoreError::Database(_) => "database_error",
        }
    }
}

pub type Result<T, E = StoreError> = std::result::Result<T, E>;

/// A set of directory writes applied atomically: all or nothing.
#[derive(Debug, Clone)]
pub struct ChangeSet {
    /// Rows to insert or replace.
    pub upserts: Vec<Record>,
    /// Rows to delete, as (table, id).
    pub deletes: Vec<(String, String)>,
    /// Who made the change (a user, a token's organisation, `import`, `demo`).
    pub actor: String,
    /// When, from the caller's clock (tests control time).
    pub at: DateTime<Utc>,
}

/// One entry of the change log: the feed that search, observatory aggregates and HSDS
/// `modified_after` follow.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Change {
    pub seq: i64,
    pub table: String,
    pub id: String,
    pub operation: Operation,
    pub at: DateTime<Utc>,
    pub actor: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Operation {
    Upsert,
    Delete,
}

impl Operation {
    pub fn as_str(self) -> &'static str {
        match self {
            Operation::Upsert => "upsert",
            Operation::Delete => "delete",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "upsert" => Some(Operation::Upsert),
            "delete" => Some(Operation::Delete),
            _ => None,
        }
    }
}

/// A listing request: one table, filters combined with AND, 1-based pages.
#[derive(Debug, Clone, Default)]
pub struct ListQuery {
    pub table: String,
    /// Words that must all appear in the name, alternate name or description.
    pub search: Option<String>,
    /// Rows tagged (through `attribute`) with this taxonomy term.
    pub taxonomy_term_id: Option<String>,
    /// Rows tagged with a term of this taxonomy; for taxonomy terms, the terms of it.
    pub taxonomy_id: Option<String>,
    /// Rows owned by this organisation (directly, or through their service).
    pub organization_id: Option<String>,
    /// Rows written at or after this time (HSDS: "modified on or after").
    pub modified_after: Option<DateTime<Utc>>,
    /// Service-at-locations whose location has an address with this postcode.
    pub postcode: Option<String>,
    /// Service-at-locations whose location lies within the radius; sorted nearest first.
    pub near: Option<Near>,
    pub page: u32,
    pub per_page: u32,
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Near {
    pub lat: f64,
    pub lon: f64,
    pub radius_km: f64,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Page<T> {
    pub items: Vec<T>,
    pub total_items: u64,
}

/// Bearer tokens for the write API, each bound to one organisation. Only the SHA-256 of a
/// token is stored, so a leaked database does not leak usable tokens.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ApiToken {
    pub token_hash: String,
    pub organization_id: String,
    pub label: String,
    pub created_at: DateTime<Utc>,
}

/// A back-office account, belonging to one organisation. The password is stored only as an
/// argon2id PHC string.
#[derive(Debug, Clone, PartialEq)]
pub struct Account {
    pub id: String,
    pub organization_id: String,
    /// Unique, normalised by the caller (`access::normalize_email`).
    pub email: String,
    pub display_name: String,
    pub role: Role,
    pub password_hash: String,
    /// Failed logins since the last success or lock-out.
    pub failed_logins: u32,
    /// Logins are refused until then.
    pub locked_until: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    /// The interface language the account last logged in with (e-mails are sent in it).
    pub language: String,
}

/// A back-office session. Only the SHA-256 of the cookie's token is stored.
#[derive(Debug, Clone, PartialEq)]
pub struct Session {
    pub token_hash: String,
    pub account_id: String,
    /// The token every form of the session must send back.
    pub csrf_token: String,
    pub created_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
}

/// An OpenID Connect identity linked to an account: the provider (its issuer URL) and the
/// provider's stable identifier of the person (`sub`).
#[derive(Debug, Clone, PartialEq)]
pub struct OidcLink {
    pub issuer: String,
    pub subject: String,
    pub account_id: String,
    pub created_at: DateTime<Utc>,
}

/// Which comuni [`Store::comuni`] returns: filters combined with AND, ordered by name
/// (folded: `l'aquila` before `la loggia`), then code.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ComuneFilter {
    /// Current province code (`"066"`).
    pub province_code: Option<String>,
    /// Start of the Italian or the other-language name, ignoring case, accents and apostrophe
    /// style (`"pizz"`, `"FORLI"`, `"bozen"`).
    pub name_prefix: Option<String>,
    /// Most comuni returned.
    pub limit: u32,
}

/// Reading the service directory (HSDS rows): the HSDS API, the portal, search and the
/// observatory's first loads.
#[async_trait]
pub trait DirectoryRead: Send + Sync {
    /// Of the given ids, those that exist, with their tables.
    async fn existing(&self, ids: &[String]) -> Result<Existing>;

    async fn get(&self, table: &str, id: &str) -> Result<Option<Record>>;

    /// Rows of `table` (any table when `None`) with these ids.
    async fn get_many(&self, table: Option<&str>, ids: &[String]) -> Result<Vec<Record>>;

    /// Rows whose field points at one of `ids`, through one of the `(table, field)` pairs.
    async fn pointing_at(&self, ids: &[String], via: &[(&str, &str)]) -> Result<Vec<Record>>;

    async fn list(&self, query: &ListQuery) -> Result<Page<Record>>;

    /// How many rows each table holds (for metrics).
    async fn table_counts(&self) -> Result<Vec<(String, i64)>>;

    /// Every row of every table, for export.
    async fn all_records(&self) -> Result<Vec<Record>>;

    /// The ids of every row of `table`, in id order: what a rebuild walks, without reading
    /// the rows.
    async fn ids_of(&self, table: &str) -> Result<Vec<String>>;

    /// Up to `limit` rows of `table` in id order, after the id `after` (empty for the first
    /// page): keyset paging, so a page deep into a large table costs what the first does.
    async fn records_after(&self, table: &str, after: &str, limit: u32) -> Result<Vec<Record>>;

    /// When each row was last written (for `modified_after` and `last_modified`).
    async fn modified_at(
        &self,
        table: &str,
        ids: &[String],
    ) -> Result<Vec<(String, DateTime<Utc>)>>;
}

/// Writing the directory, and the change log every follower (search, observatory, HSDS
/// `modified_after`) reads.
#[async_trait]
pub trait DirectoryWrite: Send + Sync {
    /// Applies all writes in one transaction, appending one change-log entry per row. Refuses
    /// the whole set if any reference would dangle or a deleted row is still referenced.
    async fn apply(&self, changes: ChangeSet) -> Result<Vec<Change>>;

    /// Change-log entries after `seq`, oldest first.
    async fn changes_since(&self, seq: i64, limit: u32) -> Result<Vec<Change>>;

    /// The position of the newest change-log entry (0 when the log is empty).
    async fn last_change(&self) -> Result<i64>;

    /// Directory change-log entries (not the desk's) before `before` (all when `None`),
    /// newest first: the audit page.
    async fn changes_before(&self, before: Option<i64>, limit: u32) -> Result<Vec<Change>>;
}

/// Accounts, sessions, OpenID Connect links and the write API's tokens.
#[async_trait]
pub trait AccountStore: Send + Sync {
    async fn insert_token(&self, token: &ApiToken) -> Result<()>;
    async fn token(&self, token_hash: &str) -> Result<Option<ApiToken>>;

    /// Stores a new account; `AlreadyExists` when its e-mail is taken.
    async fn insert_account(&self, account: &Account) -> Result<()>;
    async fn account(&self, id: &str) -> Result<Option<Account>>;
    async fn account_by_email(&self, email: &str) -> Result<Option<Account>>;
    /// The accounts of one organisation, by name then e-mail.
    async fn accounts_of(&self, organization_id: &str) -> Result<Vec<Account>>;

    /// Counts a failed login, atomically. The failure that reaches `max_failures` locks the
    /// account until `lock_until` and starts the count again.
    async fn record_failed_login(
        &self,
        account_id: &str,
        max_failures: u32,
        lock_until: DateTime<Utc>,
    ) -> Result<()>;

    /// Remembers the interface language an account uses.
    async fn set_account_language(&self, account_id: &str, language: &str) -> Result<()>;

    /// A successful login clears the failures and any lock.
    async fn record_successful_login(&self, account_id: &str) -> Result<()>;

    /// Replaces the password hash, clears failures and lock, and ends every session of the
    /// account, in one transaction. False when there is no such account.
    async fn set_password_hash(&self, account_id: &str, password_hash: &str) -> Result<bool>;

    async fn insert_session(&self, session: &Session) -> Result<()>;
    /// The session with this token hash, expired or not (the caller compares with its clock).
    async fn session(&self, token_hash: &str) -> Result<Option<Session>>;
    async fn delete_session(&self, token_hash: &str) -> Result<()>;

    /// Links an OpenID Connect identity to an account; `AlreadyExists` when the identity is
    /// linked already (to any account).
    async fn insert_oidc_link(&self, link: &OidcLink) -> Result<()>;
    /// The link of an identity, if any.
    async fn oidc_link(&self, issuer: &str, subject: &str) -> Result<Option<OidcLink>>;
    /// The identities linked to an account, oldest first.
    async fn oidc_links_of(&self, account_id: &str) -> Result<Vec<OidcLink>>;
}

/// Italy's regions, provinces and comuni.
#[async_trait]
pub trait TerritoryStore: Send + Sync {
    /// How many regions, provinces and comuni are stored.
    async fn territory_counts(&self) -> Result<(i64, i64, i64)>;

    /// Replaces every stored territory with `territories`, in one transaction.
    async fn replace_territories(&self, territories: &Territories) -> Result<()>;

    /// The comune with this ISTAT code (`"066049"`).
    async fn comune(&self, code: &str) -> Result<Option<Comune>>;

    /// Every province, by code.
    async fn provinces(&self) -> Result<Vec<Province>>;

    /// Every region, by code.
    async fn regions(&self) -> Result<Vec<Region>>;

    async fn comuni(&self, filter: &ComuneFilter) -> Result<Vec<Comune>>;

    /// Comuni whose centroid lies within `radius_km` of `point` (great-circle distance), with
    /// that distance, nearest first (ties by code); at most `limit`. Comuni without a centroid
    /// are never near anything.
    async fn comuni_near(
        &self,
        point: Point,
        radius_km: f64,
        limit: u32,
    ) -> Result<Vec<(Comune, f64)>>;
}

/// The official statistics datasets (ISTAT) and their observations.
#[async_trait]
pub trait StatisticsStore: Send + Sync {
    /// The official statistics datasets stored, with their number of observations, by id.
    async fn statistics_datasets(&self) -> Result<Vec<(String, i64)>>;

    /// Replaces a dataset's observations with `dataset`'s, in one transaction.
    async fn replace_dataset(&self, dataset: &Dataset) -> Result<()>;

    /// The observations of dataset `dataset_id` matching `filter`, ordered by the stored text
    /// keys (territory level and code, period, then the other dimensions; sort them for the
    /// core types' order). Empty for an unknown dataset.
    async fn observations(
        &self,
        dataset_id: &str,
        filter: &ObservationFilter,
    ) -> Result<Vec<Observation>>;
}

/// Everything a backend stores, as one handle on the ports above (the directory, its change
/// log, accounts, territories, statistics, the desk in [`desk::DeskStore`], surveys
/// in [`survey::SurveyStore`], unmet search demand in
/// [`search_demand::SearchDemandStore`]). Code that needs only some of them takes those ports (as
/// `&dyn Port` or a generic bound), so what it can touch is visible in its signature.
#[async_trait]
pub trait Store:
    DirectoryRead
    + DirectoryWrite
    + AccountStore
    + TerritoryStore
    + StatisticsStore
    + desk::DeskStore
    + survey::SurveyStore
    + search_demand::SearchDemandStore
    + Send
    + Sync
{
    /// Which backend this is (`sqlite`, `postgres`), for logs and `/healthz`.
    fn backend(&self) -> &'static str;

    /// Waits for work in flight and closes the connections (SQLite then checkpoints its WAL).
    async fn close(&self);

    /// Answers a trivial query; used by `/healthz`.
    async fn ping(&self) -> Result<()>;
}
