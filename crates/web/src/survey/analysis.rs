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
use crocevia_core::access::Role;
use crocevia_core::desk::audit::AuditAction;
use crocevia_store::survey::{FormVersion, Submission, SubmissionStatus, Survey};
use crocevia_xlsform::fill::or_other;
use crocevia_xlsform::{Element, ElementKind, Form, QuestionType};
use serde::Deserialize;
use serde_json::Value as Json;

use super::disclosure::{CountTable, DisclosureRule, Shown, protect_table};
use super::{form_language, form_of, language_code};
use crate::AppState;
use crate::auth::CurrentUser;
use crate::backoffice::form::Denied;
use crate::error::AppError;
use crate::portal::{Page, lang_or_404, render};

/// A question as analysis and exports see it: where it is and what it asks.
pub struct Question<'f> {
    pub element: &'f Element,
    /// The repeat it is in, if any (the innermost).
    pub repeat: Option<&'f str>,
    /// The repeats it is in, outermost first.
    pub repeats: Vec<&'f str>,
}

/// The questions with answers worth analysing or exporting, in sheet order.
pub fn questions(form: &Form) -> Vec<Question<'_>> {
    fn visit<'f>(el: &'f Element, repeats: &[&'f str], out: &mut Vec<Question<'f>>) {
        match &el.kind {
            ElementKind::Group(_) => {
                let mut inner = repeats.to_vec();
                if el.is_repeat() {
                    inner.push(el.name.as_str());
                }
                for c in &el.children {
                    visit(c, &inner, out);
                }
            }
            ElementKind::Question(t) => {
                let skip = matches!(
                    t,
                    QuestionType::Note | QuestionType::Media(_) | QuestionType::External(_)
                );
                if !skip && !el.name.is_empty() {
                    out.push(Question {
                        element: el,
                        repeat: repeats.last().copied(),
                        repeats: repeats.to_vec(),
                    });
                }
            }
        }
    }
    let mut out = Vec::new();
    for el in &form.root {
        visit(el, &[], &mut out);
    }
    out
}

/// Text of an answer value.
pub fn text(v: Option<&Json>) -> String {
    match v {
        Some(Json::String(s)) => s.clone(),
        Some(Json::Number(n)) => n.to_string(),
        _ => String::new(),
    }
}

/// Each place a question is answered in a submission: once, or once per instance of its
/// repeat (of every instance of the repeats around it).
pub fn values(answers: &Json, q: &Question<'_>) -> Vec<String> {
    fn walk(here: &Json, repeats: &[&str], name: &str, out: &mut Vec<String>) {
        match repeats.split_first() {
            None => out.push(text(here.get(name))),
            Some((r, rest)) => {
                for item in here.get(*r).and_then(Json::as_array).into_iter().flatten() {
                    walk(item, rest, name, out);
                }
            }
        }
    }
    let mut out = Vec::new();
    walk(answers, &q.repeats, &q.element.name, &mut out);
    out
}

pub fn may_analyse(user: &CurrentUser) -> Result<(), Denied> {
    if user.account.role.may_analyse_surveys() {
        Ok(())
    } else {
        Err(Denied::Forbidden)
    }
}

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

/// Calls `f` on every completed submission of a version, a page at a time.
pub async fn each_submission(
    state: &AppState,
    version_id: &str,
    mut f: impl FnMut(&Submission),
) -> Result<(), AppError> {
    let mut after: Option<String> = None;
    loop {
        let page = state
            .store
            .submissions(
                version_id,
                SubmissionStatus::Complete,
                after.as_deref(),
                1000,
            )
            .await?;
        for s in &page {
            f(s);
        }
        match page.last() {
            Some(last) if page.len() == 1000 => after = Some(last.id.clone()),
            _ => return Ok(()),
        }
    }
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
    Path((lang, id, number)): Path<(String, String, u32)>,
    Query(params): Query<AnalysisParams>,
    user: CurrentUser,
) -> Result<Response, AppError> {
    let language = lang_or_404(&lang)?;
    if let Err(denied) = may_analyse(&user) {
        return Ok(denied.page(language));
    }
    let Some((survey, version)) = analysed(&state, &user, &id, number).await? else {
        return Ok(crate::desk::not_found(language));
    };
    crate::audit_trail::record(
        state.store.as_ref(),
        state.clock.now(),
        crate::desk::actor(&user),
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
    let all = questions(&form);
    let by = all.iter().find(|q| {
        q.repeat.is_none()
            && q.element.name == params.by
            && matches!(
                q.element.question_type(),
                Some(QuestionType::SelectOne { .. })
            )
    });
    let list_of = |el: &Element| {
        el.question_type()
            .and_then(QuestionType::list)
            .and_then(|l| form.list(l))
            .map(|l| l.choices.as_slice())
            .unwrap_or_default()
    };
    let label_of = |t: &crocevia_xlsform::Text, fallback: &str| {
        t.get(&form_lang)
            .filter(|s| !s.is_empty())
            .unwrap_or(fallback)
            .to_owned()
    };
    let groups: Vec<(String, String)> = match by {
        Some(q) => list_of(q.element)
            .iter()
            .map(|c| (c.name.clone(), label_of(&c.label, &c.name)))
            .collect(),
        None => Vec::new(),
    };
    let columns = groups.len().max(1);
    // Accumulators per question.
    struct Acc {
        counts: Vec<Vec<u64>>,
        respondents: Vec<u64>,
        numbers: Vec<Vec<f64>>,
    }
    let analysed_questions: Vec<&Question<'_>> = all
        .iter()
        .filter(|q| {
            matches!(
                q.element.question_type(),
                Some(
                    QuestionType::SelectOne { .. }
                        | QuestionType::SelectMultiple { .. }
                        | QuestionType::Integer
                        | QuestionType::Decimal
                        | QuestionType::Range
                )
            )
        })
        .collect();
    let mut accs: Vec<Acc> = analysed_questions
        .iter()
        .map(|q| {
            let rows = list_of(q.element).len() + usize::from(or_other(q.element));
            Acc {
                counts: vec![vec![0; columns]; rows],
                respondents: vec![0; columns],
                numbers: vec![Vec::new(); columns],
            }
        })
        .collect();
    let mut completed = 0u64;
    each_submission(&state, &version.id, |s| {
        let group = match by {
            Some(q) => {
                let v = text(s.answers.get(&q.element.name));
                match groups.iter().position(|(name, _)| *name == v) {
                    Some(g) => g,
                    None => return,
                }
            }
            None => 0,
        };
        completed += 1;
        for (q, acc) in analysed_questions.iter().zip(accs.iter_mut()) {
            let choices = list_of(q.element);
            for value in values(&s.answers, q) {
                if value.trim().is_empty() {
                    continue;
                }
                acc.respondents[group] += 1;
                match q.element.question_type() {
                    Some(QuestionType::SelectOne { .. } | QuestionType::SelectMultiple { .. }) => {
                        for v in value.split_whitespace() {
                            let row = choices.iter().position(|c| c.name == v).or_else(|| {
                                (v == "other" && or_other(q.element)).then_some(choices.len())
                            });
                            if let Some(r) = row {
                                acc.counts[r][group] += 1;
                            }
                        }
                    }
                    _ => {
                        if let Ok(n) = value.trim().parse::<f64>() {
                            acc.numbers[group].push(n);
                        }
                    }
                }
            }
        }
    })
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
    let column_labels: Vec<String> = if groups.is_empty() {
        vec![page.t("sv-all")]
    } else {
        groups.iter().map(|(_, l)| l.clone()).collect()
    };
    let mut views = Vec::new();
    for (q, acc) in analysed_questions.iter().zip(accs) {
        let label = label_of(&q.element.label, &q.element.name);
        let multiple = matches!(
            q.element.question_type(),
            Some(QuestionType::SelectMultiple { .. })
        );
        let is_select = q
            .element
            .question_type()
            .and_then(QuestionType::list)
            .is_some();
        let mut view = QuestionView {
            name: q.element.name.clone(),
            label,
            multiple,
            columns: column_labels.clone(),
            rows: Vec::new(),
            column_totals: Vec::new(),
            total: String::new(),
            numbers: Vec::new(),
        };
        if is_select {
            let protected = protect_table(
                &CountTable {
                    cells: acc.counts.clone(),
                },
                &rule,
            );
            // For select_multiple a column's base is its respondents, not the sum of ticks.
            let bases: Vec<Shown> = if multiple {
                acc.respondents
                    .iter()
                    .map(|&n| {
                        if rule.is_small(n) {
                            Shown::Hidden
                        } else {
                            Shown::Count(n)
                        }
                    })
                    .collect()
            } else {
                protected.column_totals.clone()
            };
            let overall_base = if multiple {
                let n: u64 = acc.respondents.iter().sum();
                if rule.is_small(n) {
                    Shown::Hidden
                } else {
                    Shown::Count(n)
                }
            } else {
                protected.total
            };
            let mut names: Vec<String> = list_of(q.element)
                .iter()
                .map(|c| label_of(&c.label, &c.name))
                .collect();
            if or_other(q.element) {
                names.push(page.t("respond-other"));
            }
            let max_total = protected
                .row_totals
                .iter()
                .filter_map(|s| match s {
                    Shown::Count(n) => Some(*n),
                    Shown::Hidden => None,
                })
                .max()
                .unwrap_or(0);
            for (r, name) in names.into_iter().enumerate() {
                let row_total = protected.row_totals[r];
                let bar = match row_total {
                    Shown::Count(n) if max_total > 0 => (n * 100 / max_total) as u32,
                    _ => 0,
                };
                view.rows.push(Row {
                    label: name,
                    cells: protected.cells[r]
                        .iter()
                        .zip(&bases)
                        .map(|(&c, &b)| Cell {
                            text: shown(c, &rule),
                            percent: percent(c, b),
                        })
                        .collect(),
                    total: shown(row_total, &rule),
                    bar,
                    bar_text: percent(row_total, overall_base),
                });
            }
            view.column_totals = bases.iter().map(|&b| shown(b, &rule)).collect();
            view.total = shown(overall_base, &rule);
        } else {
            let mut all_values = Vec::new();
            for (g, values) in acc.numbers.iter().enumerate() {
                all_values.extend_from_slice(values);
                if groups.is_empty() {
                    continue;
                }
                view.numbers
                    .push(number_row(column_labels[g].clone(), values, &rule));
            }
            view.numbers
                .insert(0, number_row(page.t("sv-all"), &all_values, &rule));
        }
        views.push(view);
    }
    let by_options = all
        .iter()
        .filter(|q| {
            q.repeat.is_none()
                && matches!(
                    q.element.question_type(),
                    Some(QuestionType::SelectOne { .. })
                )
        })
        .map(|q| ByOption {
            name: q.element.name.clone(),
            label: label_of(&q.element.label, &q.element.name),
            selected: by.is_some_and(|b| b.element.name == q.element.name),
        })
        .collect();
    let _ = language_code;
    Ok((
        StatusCode::OK,
        render(&AnalysisTemplate {
            csrf: user.session.csrf_token.clone(),
            role: user.account.role,
            threshold: u64::from(rule.threshold()),
            completed: if rule.is_small(completed) {
                format!("<{}", rule.threshold())
            } else {
                completed.to_string()
            },
            by_label: by
                .map(|q| label_of(&q.element.label, &q.element.name))
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

fn number_row(group: String, values: &[f64], rule: &DisclosureRule) -> NumberRow {
    let n = values.len() as u64;
    if n == 0 || rule.is_small(n) {
        let hidden = if n == 0 {
            "0".to_owned()
        } else {
            format!("<{}", rule.threshold())
        };
        return NumberRow {
            group,
            n: hidden,
            mean: String::new(),
            median: String::new(),
            min: String::new(),
            max: String::new(),
        };
    }
    let mut sorted = values.to_vec();
    sorted.sort_by(f64::total_cmp);
    let mid = sorted.len() / 2;
    let median = if sorted.len().is_multiple_of(2) {
        (sorted[mid - 1] + sorted[mid]) / 2.0
    } else {
        sorted[mid]
    };
    NumberRow {
        group,
        n: n.to_string(),
        mean: round2(sorted.iter().sum::<f64>() / sorted.len() as f64),
        median: round2(median),
        min: round2(sorted[0]),
        max: round2(sorted[sorted.len() - 1]),
    }
}
