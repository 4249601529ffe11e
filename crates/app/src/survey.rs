//! A survey version's completed submissions tabulated per question: counts of each choice
//! (optionally split by one select_one question, for the gender perspective) or summaries of
//! numbers. Every count goes through the observatory's disclosure rule before it leaves: small
//! counts are hidden, with complementary cells hidden so none can be worked out from the
//! totals, and summaries of fewer answers than the threshold are not given.

use crocevia_core::disclosure::{CountTable, DisclosureRule, Shown, protect_table};
use crocevia_store::StoreError;
use crocevia_store::survey::{Submission, SubmissionStatus, SurveyStore};
use crocevia_xlsform::fill::or_other;
use crocevia_xlsform::{Element, ElementKind, Form, QuestionType, Text};
use serde_json::Value as Json;

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

/// Submissions read per page.
const PAGE: u32 = 1000;

/// Calls `f` on every completed submission of a version, a page at a time.
pub async fn each_submission<S: SurveyStore + ?Sized>(
    store: &S,
    version_id: &str,
    mut f: impl FnMut(&Submission),
) -> Result<(), StoreError> {
    let mut after: Option<String> = None;
    loop {
        let page = store
            .submissions(
                version_id,
                SubmissionStatus::Complete,
                after.as_deref(),
                PAGE,
            )
            .await?;
        for s in &page {
            f(s);
        }
        match page.last() {
            Some(last) if page.len() == PAGE as usize => after = Some(last.id.clone()),
            _ => return Ok(()),
        }
    }
}

/// The questions an analysis may be split by: select_one questions outside repeats.
pub fn splittable(form: &Form) -> Vec<&Element> {
    questions(form)
        .into_iter()
        .filter(|q| q.repeat.is_none() && is_select_one(q.element))
        .map(|q| q.element)
        .collect()
}

fn is_select_one(el: &Element) -> bool {
    matches!(el.question_type(), Some(QuestionType::SelectOne { .. }))
}

/// A text in the form's language, or `fallback` (a name) when it has none there.
pub fn label(text: &Text, language: &str, fallback: &str) -> String {
    text.get(language)
        .filter(|s| !s.is_empty())
        .unwrap_or(fallback)
        .to_owned()
}

/// A version's analysis, every count already under the disclosure rule.
pub struct Tabulation<'f> {
    /// Completed submissions counted (those in a group of the split, when split).
    pub completed: Shown,
    /// The question the analysis is split by, if any.
    pub by: Option<&'f Element>,
    /// The split's groups (its choices' labels), in list order; empty when not split.
    pub groups: Vec<String>,
    pub questions: Vec<QuestionTable<'f>>,
}

/// One analysed question.
pub struct QuestionTable<'f> {
    pub element: &'f Element,
    pub label: String,
    pub summary: Summary,
}

pub enum Summary {
    /// Counts of each choice per group (one column when not split).
    Choices {
        multiple: bool,
        rows: Vec<ChoiceRow>,
        /// Each column's base: its total, or for select_multiple its respondents (a person
        /// may tick several choices).
        column_bases: Vec<Shown>,
        /// The base of the whole table.
        base: Shown,
    },
    /// Summaries of the numbers answered: all groups together, then each group (only when
    /// split).
    Numbers {
        all: NumberSummary,
        groups: Vec<NumberSummary>,
    },
}

pub struct ChoiceRow {
    /// The choice's label; `None` for the "other" row of an `or_other` question.
    pub label: Option<String>,
    pub cells: Vec<Shown>,
    pub total: Shown,
}

/// How many numbers were answered and, when enough were, what they say.
pub struct NumberSummary {
    pub n: Shown,
    /// `None` when nothing was answered or too few for the rule.
    pub stats: Option<NumberStats>,
}

pub struct NumberStats {
    pub mean: f64,
    pub median: f64,
    pub min: f64,
    pub max: f64,
}

/// Counts gathered for one question.
struct Tally {
    counts: Vec<Vec<u64>>,
    respondents: Vec<u64>,
    numbers: Vec<Vec<f64>>,
}

fn is_analysed(el: &Element) -> bool {
    matches!(
        el.question_type(),
        Some(
            QuestionType::SelectOne { .. }
                | QuestionType::SelectMultiple { .. }
                | QuestionType::Integer
                | QuestionType::Decimal
                | QuestionType::Range
        )
    )
}

fn shown(n: u64, rule: &DisclosureRule) -> Shown {
    if rule.is_small(n) {
        Shown::Hidden
    } else {
        Shown::Count(n)
    }
}

/// Tabulates the completed submissions of a version of `form`, split by the select_one
/// question named `by` when it is one outside repeats (else not split), with labels in
/// `language`.
pub async fn tabulate<'f, S: SurveyStore + ?Sized>(
    store: &S,
    form: &'f Form,
    version_id: &str,
    by: &str,
    language: &str,
    rule: &DisclosureRule,
) -> Result<Tabulation<'f>, StoreError> {
    let choices_of = |el: &Element| {
        el.question_type()
            .and_then(QuestionType::list)
            .and_then(|l| form.list(l))
            .map(|l| l.choices.as_slice())
            .unwrap_or_default()
    };
    let by = splittable(form).into_iter().find(|el| el.name == by);
    let groups: Vec<&str> = by
        .map(|el| choices_of(el).iter().map(|c| c.name.as_str()).collect())
        .unwrap_or_default();
    let columns = groups.len().max(1);
    let all = questions(form);
    let analysed: Vec<&Question<'_>> = all.iter().filter(|q| is_analysed(q.element)).collect();
    let mut tallies: Vec<Tally> = analysed
        .iter()
        .map(|q| {
            let rows = choices_of(q.element).len() + usize::from(or_other(q.element));
            Tally {
                counts: vec![vec![0; columns]; rows],
                respondents: vec![0; columns],
                numbers: vec![Vec::new(); columns],
            }
        })
        .collect();
    let mut completed = 0u64;
    each_submission(store, version_id, |s| {
        let group = match by {
            Some(el) => {
                let v = text(s.answers.get(&el.name));
                match groups.iter().position(|name| *name == v) {
                    Some(g) => g,
                    None => return,
                }
            }
            None => 0,
        };
        completed += 1;
        for (q, tally) in analysed.iter().zip(tallies.iter_mut()) {
            let choices = choices_of(q.element);
            for value in values(&s.answers, q) {
                if value.trim().is_empty() {
                    continue;
                }
                tally.respondents[group] += 1;
                match q.element.question_type() {
                    Some(QuestionType::SelectOne { .. } | QuestionType::SelectMultiple { .. }) => {
                        for v in value.split_whitespace() {
                            let row = choices.iter().position(|c| c.name == v).or_else(|| {
                                (v == "other" && or_other(q.element)).then_some(choices.len())
                            });
                            if let Some(r) = row {
                                tally.counts[r][group] += 1;
                            }
                        }
                    }
                    _ => {
                        if let Ok(n) = value.trim().parse::<f64>() {
                            tally.numbers[group].push(n);
                        }
                    }
                }
            }
        }
    })
    .await?;
    let questions = analysed
        .iter()
        .zip(tallies)
        .map(|(q, tally)| {
            let el = q.element;
            let summary = if el.question_type().and_then(QuestionType::list).is_some() {
                let multiple = matches!(
                    el.question_type(),
                    Some(QuestionType::SelectMultiple { .. })
                );
                let labels = choices_of(el)
                    .iter()
                    .map(|c| Some(label(&c.label, language, &c.name)))
                    .chain(or_other(el).then_some(None));
                choice_summary(tally, multiple, labels, rule)
            } else {
                Summary::Numbers {
                    all: number_summary(&tally.numbers.concat(), rule),
                    groups: if groups.is_empty() {
                        Vec::new()
                    } else {
                        tally
                            .numbers
                            .iter()
                            .map(|v| number_summary(v, rule))
                            .collect()
                    },
                }
            };
            QuestionTable {
                element: el,
                label: label(&el.label, language, &el.name),
                summary,
            }
        })
        .collect();
    Ok(Tabulation {
        completed: shown(completed, rule),
        by,
        groups: by
            .map(|el| {
                choices_of(el)
                    .iter()
                    .map(|c| label(&c.label, language, &c.name))
                    .collect()
            })
            .unwrap_or_default(),
        questions,
    })
}

fn choice_summary(
    tally: Tally,
    multiple: bool,
    labels: impl Iterator<Item = Option<String>>,
    rule: &DisclosureRule,
) -> Summary {
    let protected = protect_table(
        &CountTable {
            cells: tally.counts,
        },
        rule,
    );
    // For select_multiple a column's base is its respondents, not the sum of ticks.
    let (column_bases, base) = if multiple {
        let bases = tally.respondents.iter().map(|&n| shown(n, rule)).collect();
        (bases, shown(tally.respondents.iter().sum(), rule))
    } else {
        (protected.column_totals.clone(), protected.total)
    };
    let rows = labels
        .zip(protected.cells)
        .zip(protected.row_totals)
        .map(|((label, cells), total)| ChoiceRow {
            label,
            cells,
            total,
        })
        .collect();
    Summary::Choices {
        multiple,
        rows,
        column_bases,
        base,
    }
}

fn number_summary(values: &[f64], rule: &DisclosureRule) -> NumberSummary {
    let n = values.len() as u64;
    if n == 0 || rule.is_small(n) {
        return NumberSummary {
            n: if n == 0 {
                Shown::Count(0)
            } else {
                Shown::Hidden
            },
            stats: None,
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
    NumberSummary {
        n: Shown::Count(n),
        stats: Some(NumberStats {
            mean: sorted.iter().sum::<f64>() / sorted.len() as f64,
            median,
            min: sorted[0],
            max: sorted[sorted.len() - 1],
        }),
    }
}

#[cfg(test)]
mod tests;
