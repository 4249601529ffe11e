//! The analysis of one version's completed submissions: per question, counts and
//! percentages of each choice, or mean, median, minimum and maximum of numbers; optionally
//! split by one select_one question (sex, for the gender perspective). Every count goes
//! through the observatory's disclosure rule: small counts show as "<5", with complementary
//! cells hidden so they cannot be worked out from the totals, and number summaries of fewer
//! than five answers are not shown.

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use crocevia_app::survey::{self, NumberSummary, Summary};
use crocevia_core::access::Role;
use crocevia_core::desk::audit::AuditAction;
use crocevia_store::survey::{FormVersion, Survey};
use serde::Deserialize;

use super::disclosure::{DisclosureRule, Shown};
use super::{form_language, form_of};
use crate::AppState;
use crate::auth::CurrentUser;
use crate::error::AppError;
use crate::kit::{Analyst, Denied};
use crate::kit::{Page, render};

/// The survey and one of its versions, if the user's organisation owns it and may read it.
pub async fn analysed(
    state: &AppState,
    user: &CurrentUser,
    id: &str,
    number: u32,
) -> Result<Option<(Survey, FormVersion)>, AppError> {
    let Some(survey) = state
        .store
        .survey(&user.account.organization_id, id)
        .await?
    else {
        return Ok(None);
    };
    let version = state
        .store
        .versions(&survey.id)
        .await?
        .into_iter()
        .find(|v| v.number == number);
    Ok(version.map(|v| (survey, v)))
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct AnalysisParams {
    /// A top-level select_one question to split by.
    pub by: String,
    /// The form language for labels (its code).
    pub language: String,
}

pub struct Cell {
    pub text: String,
    pub percent: String,
}

pub struct Row {
    pub label: String,
    pub cells: Vec<Cell>,
    pub total: String,
    /// Width of the chart's bar, in percent of the largest total.
    pub bar: u32,
    pub bar_text: String,
}

pub struct NumberRow {
    pub group: String,
    pub n: String,
    pub mean: String,
    pub median: String,
    pub min: String,
    pub max: String,
}

pub struct QuestionView {
    pub name: String,
    pub label: String,
    pub multiple: bool,
    pub columns: Vec<String>,
    pub rows: Vec<Row>,
    pub column_totals: Vec<String>,
    pub total: String,
    pub numbers: Vec<NumberRow>,
}

pub struct ByOption {
    pub name: String,
    pub label: String,
    pub selected: bool,
}

#[derive(Template)]
#[template(path = "survey_analysis.html")]
struct AnalysisTemplate {
    page: Page,
    csrf: String,
    role: Role,
    survey: Survey,
    version: FormVersion,
    threshold: u64,
    completed: String,
    by_options: Vec<ByOption>,
    by_label: String,
    questions: Vec<QuestionView>,
}

fn shown(s: Shown, rule: &DisclosureRule) -> String {
    match s {
        Shown::Count(n) => n.to_string(),
        Shown::Hidden => format!("<{}", rule.threshold()),
    }
}

fn percent(part: Shown, whole: Shown) -> String {
    match (part, whole) {
        (Shown::Count(p), Shown::Count(w)) if w > 0 => {
            format!("{:.1}%", p as f64 * 100.0 / w as f64)
        }
        _ => String::new(),
    }
}

fn round2(v: f64) -> String {
    let s = format!("{v:.2}");
    s.trim_end_matches('0').trim_end_matches('.').to_owned()
}

/// `GET /{lang}/surveys/{id}/versions/{number}/analysis?by=QUESTION&language=CODE`.
pub async fn page(
    State(state): State<AppState>,
    Path((_, id, number)): Path<(String, String, u32)>,
    Query(params): Query<AnalysisParams>,
    Analyst {
        language,
        user,
        actor,
        ..
    }: Analyst,
) -> Result<Response, AppError> {
    let Some((survey, version)) = analysed(&state, &user, &id, number).await? else {
        return Ok(Denied::NotFound.page(language));
    };
    crate::audit_trail::record(
        state.store.as_ref(),
        state.clock.now(),
        actor,
        AuditAction::Analyse,
        crate::audit_trail::SURVEY,
        &survey.id,
        &format!("version {number}"),
    )
    .await?;
    let form = form_of(&state, &version).await?;
    let form_lang = form_language(
        &form,
        if params.language.is_empty() {
            language.code
        } else {
            &params.language
        },
        None,
    );
    let rule = state.observatory.settings().rule;
    let tabulation = survey::tabulate(
        state.store.as_ref(),
        &form,
        &version.id,
        &params.by,
        &form_lang,
        &rule,
    )
    .await?;
    let mut page = Page::new(
        language,
        format!(
            "/surveys/{}/versions/{}/analysis",
            survey.id, version.number
        ),
    );
    page.title = format!(
        "{} · {} {}",
        survey.title,
        page.t("sv-analysis"),
        version.number
    );
    let column_labels: Vec<String> = if tabulation.groups.is_empty() {
        vec![page.t("sv-all")]
    } else {
        tabulation.groups.clone()
    };
    let views = tabulation
        .questions
        .into_iter()
        .map(|q| question_view(&page, q, &column_labels, &rule))
        .collect();
    let by_options = survey::splittable(&form)
        .into_iter()
        .map(|el| ByOption {
            name: el.name.clone(),
            label: survey::label(&el.label, &form_lang, &el.name),
            selected: tabulation.by.is_some_and(|b| b.name == el.name),
        })
        .collect();
    Ok((
        StatusCode::OK,
        render(&AnalysisTemplate {
            csrf: user.session.csrf_token.clone(),
            role: user.account.role,
            threshold: u64::from(rule.threshold()),
            completed: shown(tabulation.completed, &rule),
            by_label: tabulation
                .by
                .map(|el| survey::label(&el.label, &form_lang, &el.name))
                .unwrap_or_default(),
            by_options,
            questions: views,
            survey,
            version,
            page,
        }),
    )
        .into_response())
}

/// One question's table or number summaries as the page shows them.
fn question_view(
    page: &Page,
    q: survey::QuestionTable<'_>,
    column_labels: &[String],
    rule: &DisclosureRule,
) -> QuestionView {
    let mut view = QuestionView {
        name: q.element.name.clone(),
        label: q.label,
        multiple: false,
        columns: column_labels.to_vec(),
        rows: Vec::new(),
        column_totals: Vec::new(),
        total: String::new(),
        numbers: Vec::new(),
    };
    match q.summary {
        Summary::Choices {
            multiple,
            rows,
            column_bases,
            base,
        } => {
            view.multiple = multiple;
            let max_total = rows
                .iter()
                .filter_map(|row| match row.total {
                    Shown::Count(n) => Some(n),
                    Shown::Hidden => None,
                })
                .max()
                .unwrap_or(0);
            view.rows = rows
                .into_iter()
                .map(|row| Row {
                    label: row.label.unwrap_or_else(|| page.t("respond-other")),
                    cells: row
                        .cells
                        .iter()
                        .zip(&column_bases)
                        .map(|(&c, &b)| Cell {
                            text: shown(c, rule),
                            percent: percent(c, b),
                        })
                        .collect(),
                    total: shown(row.total, rule),
                    bar: match row.total {
                        Shown::Count(n) if max_total > 0 => (n * 100 / max_total) as u32,
                        _ => 0,
                    },
                    bar_text: percent(row.total, base),
                })
                .collect();
            view.column_totals = column_bases.iter().map(|&b| shown(b, rule)).collect();
            view.total = shown(base, rule);
        }
        Summary::Numbers { all, groups } => {
            view.numbers.push(number_row(page.t("sv-all"), &all, rule));
            for (label, summary) in column_labels.iter().zip(&groups) {
                view.numbers.push(number_row(label.clone(), summary, rule));
            }
        }
    }
    view
}

fn number_row(group: String, summary: &NumberSummary, rule: &DisclosureRule) -> NumberRow {
    let (mean, median, min, max) = match &summary.stats {
        Some(s) => (
            round2(s.mean),
            round2(s.median),
            round2(s.min),
            round2(s.max),
        ),
        None => Default::default(),
    };
    NumberRow {
        group,
        n: shown(summary.n, rule),
        mean,
        median,
        min,
        max,
    }
}
