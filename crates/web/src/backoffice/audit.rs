//! The directory's audit log: who changed what, and when, newest first, from the store's
//! change log (every write appends to it in the same transaction, whatever wrote it: the
//! back office, the write API, an import).
//!
//! With `?trail=personal` it shows the audit trail of personal data instead: every read,
//! write, export, refused read, survey export and analysis, login and password reset, newest
//! first (coordinators: all of it; an admin: what their organisation's accounts did).
//!
//! Coordinators follow the whole network; an organisation's admin sees the same entries but
//! only the names of their own organisation's accounts (people of other organisations are
//! "another organisation's account"): the directory is public, who works where is not.

use std::collections::HashMap;

use askama::Template;
use axum::extract::{Query, State};
use axum::response::Response;
use crocevia_core::access::Role;
use crocevia_core::desk::audit::AuditAction;
use crocevia_core::schedule::rome_time;
use crocevia_store::{Account, Operation};
use serde::Deserialize;

use crate::AppState;
use crate::auth::CurrentUser;
use crate::error::AppError;
use crate::kit::Auditor;
use crate::kit::{Page, render};

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
    /// `personal`: the audit trail of personal data.
    trail: String,
}

pub struct PersonalRow {
    pub at: String,
    pub at_iso: String,
    pub who: String,
    pub action: String,
    pub subject: String,
    pub subject_id: String,
    pub contact_id: String,
    pub detail: String,
}

#[derive(Template)]
#[template(path = "backoffice_audit_personal.html")]
struct PersonalTemplate {
    page: Page,
    csrf: String,
    role: Role,
    rows: Vec<PersonalRow>,
    older_url: String,
}

fn action_label(page: &Page, action: AuditAction) -> String {
    match action {
        AuditAction::Read => page.t("au-pd-read"),
        AuditAction::Create => page.t("au-pd-create"),
        AuditAction::Update => page.t("au-pd-update"),
        AuditAction::Share => page.t("au-pd-share"),
        AuditAction::Export => page.t("au-pd-export"),
        AuditAction::Erase => page.t("au-pd-erase"),
        AuditAction::Analyse => page.t("au-pd-analyse"),
        AuditAction::Refused => page.t("au-pd-refused"),
        AuditAction::Login => page.t("au-pd-login"),
        AuditAction::LoginFailed => page.t("au-pd-login-failed"),
        AuditAction::PasswordReset => page.t("au-pd-password-reset"),
    }
}

fn subject_label(page: &Page, kind: &str) -> String {
    match kind {
        "contact" => page.t("au-pd-kind-contact"),
        "need" => page.t("au-pd-kind-need"),
        "referral" => page.t("au-pd-kind-referral"),
        "survey" => page.t("au-pd-kind-survey"),
        "account" => page.t("au-pd-kind-account"),
        other => other.to_owned(),
    }
}

/// The personal-data trail, newest first.
async fn personal(
    state: &AppState,
    mut page: Page,
    user: &CurrentUser,
    before: Option<i64>,
) -> Result<Response, AppError> {
    let role = user.account.role;
    page.title = page.t("au-pd-title");
    let store = state.store.as_ref();
    let organization = (role != Role::Coordinator).then_some(user.account.organization_id.as_str());
    let entries = store
        .audit_entries_before(before, organization, PER_PAGE)
        .await?;
    let mut accounts: HashMap<String, Option<Account>> = HashMap::new();
    let mut rows = Vec::with_capacity(entries.len());
    for entry in &entries {
        let e = &entry.event;
        let id = e.actor.account_id.as_str();
        let who = match id {
            "anonymous" => page.t("au-pd-anonymous"),
            "system" => page.t("au-pd-system"),
            "command-line" => page.t("au-pd-command-line"),
            _ => {
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
        };
        let at = rome_time(e.at);
        rows.push(PersonalRow {
            at: at.format("%d/%m/%Y %H:%M").to_string(),
            at_iso: e.at.to_rfc3339(),
            who,
            action: action_label(&page, e.action),
            subject: subject_label(&page, &e.subject_kind),
            subject_id: e.subject_id.clone(),
            contact_id: e.contact_id.clone(),
            detail: e.detail.clone(),
        });
    }
    let older_url = if entries.len() == PER_PAGE as usize {
        entries
            .last()
            .map(|e| {
                format!(
                    "/{}/backoffice/audit?trail=personal&before={}",
                    page.lang, e.seq
                )
            })
            .unwrap_or_default()
    } else {
        String::new()
    };
    Ok(render(&PersonalTemplate {
        page,
        csrf: user.session.csrf_token.clone(),
        role,
        rows,
        older_url,
    }))
}

/// `GET /{lang}/backoffice/audit`.
pub async fn page(
    State(state): State<AppState>,
    Query(params): Query<AuditParams>,
    Auditor { language, user, .. }: Auditor,
) -> Result<Response, AppError> {
    let role = user.account.role;
    let mut page = Page::new(language, "/backoffice/audit");
    if params.trail == "personal" {
        return personal(&state, page, &user, params.before).await;
    }
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
