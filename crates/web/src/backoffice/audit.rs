//! The directory's audit log: who changed what, and when, newest first, from the store's
//! change log (every write appends to it in the same transaction, whatever wrote it: the
//! back office, the write API, an import).
//!
//! Coordinators follow the whole network; an organisation's admin sees the same entries but
//! only the names of their own organisation's accounts (people of other organisations are
//! "another organisation's account"): the directory is public, who works where is not.

use std::collections::HashMap;

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use crocevia_core::access::Role;
use crocevia_search::schedule::rome_time;
use crocevia_store::{Account, Operation};
use serde::Deserialize;

use super::error_page;
use crate::AppState;
use crate::auth::CurrentUser;
use crate::error::AppError;
use crate::portal::{Page, lang_or_404, render};

/// Entries per page.
const PER_PAGE: u32 = 50;

pub struct AuditRow {
    /// `dd/mm/yyyy hh:mm` in Rome.
    pub at: String,
    /// ISO 8601, for `<time datetime>`.
    pub at_iso: String,
    pub who: String,
    pub operation: String,
    pub table: String,
    /// The record's name when it still has one.
    pub what: String,
    /// Where to see it (the public page of a service), or empty.
    pub link: String,
}

#[derive(Template)]
#[template(path = "backoffice_audit.html")]
struct AuditTemplate {
    page: Page,
    csrf: String,
    role: Role,
    rows: Vec<AuditRow>,
    older_url: String,
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct AuditParams {
    before: Option<i64>,
}

/// `GET /{lang}/backoffice/audit`.
pub async fn page(
    State(state): State<AppState>,
    Path(lang): Path<String>,
    Query(params): Query<AuditParams>,
    user: CurrentUser,
) -> Result<Response, AppError> {
    let language = lang_or_404(&lang)?;
    let role = user.account.role;
    if !matches!(role, Role::Coordinator | Role::Admin) {
        return Ok(error_page(language, StatusCode::FORBIDDEN, "forbidden"));
    }
    let mut page = Page::new(language, "/backoffice/audit");
    page.title = page.t("au-title");
    let store = state.store.as_ref();
    let changes = store.changes_before(params.before, PER_PAGE).await?;

    let mut accounts: HashMap<String, Option<Account>> = HashMap::new();
    let mut names: HashMap<(String, String), String> = HashMap::new();
    let mut rows = Vec::with_capacity(changes.len());
    for change in &changes {
        let who = match change.actor.split_once(':') {
            Some(("account", id)) => {
                if !accounts.contains_key(id) {
                    accounts.insert(id.to_owned(), store.account(id).await?);
                }
                match &accounts[id] {
                    Some(a)
                        if role == Role::Coordinator
                            || a.organization_id == user.account.organization_id =>
                    {
                        format!("{} <{}>", a.display_name, a.email)
                    }
                    Some(_) => page.t("au-other-organisation"),
                    None => page.t("au-deleted-account"),
                }
            }
            Some(("token", label)) => page.ts("au-api-token", "label", label),
            _ => match change.actor.as_str() {
                "import" => page.t("au-import"),
                "demo" => page.t("au-demo"),
                other => other.to_owned(),
            },
        };
        let key = (change.table.clone(), change.id.clone());
        if !names.contains_key(&key) {
            let name = store
                .get(&change.table, &change.id)
                .await?
                .and_then(|r| {
                    ["name", "language", "number", "document", "byday"]
                        .iter()
                        .find_map(|f| r.text(f).map(str::to_owned))
                })
                .unwrap_or_default();
            names.insert(key.clone(), name);
        }
        let at = rome_time(change.at);
        rows.push(AuditRow {
            at: at.format("%d/%m/%Y %H:%M").to_string(),
            at_iso: change.at.to_rfc3339(),
            who,
            operation: match change.operation {
                Operation::Upsert => page.t("au-op-upsert"),
                Operation::Delete => page.t("au-op-delete"),
            },
            table: change.table.clone(),
            what: names[&key].clone(),
            link: if change.table == "service" && change.operation == Operation::Upsert {
                format!("/{}/services/{}", language.code, change.id)
            } else {
                String::new()
            },
        });
    }
    let older_url = if changes.len() == PER_PAGE as usize {
        changes
            .last()
            .map(|c| format!("/{}/backoffice/audit?before={}", language.code, c.seq))
            .unwrap_or_default()
    } else {
        String::new()
    };
    Ok(render(&AuditTemplate {
        page,
        csrf: user.session.csrf_token.clone(),
        role,
        rows,
        older_url,
    }))
}
