//! Filling in a form on the server: pages, answers, relevance, calculations, defaults,
//! constraints and required fields, evaluated with [`crate::expr`] after every page so the
//! form works without JavaScript. The web layer renders the pages and reads the posts; this
//! module decides what the answers become.
//!
//! Answers are a JSON object: each question's answer as text under its name (a
//! select_multiple as its choices separated by spaces, as ODK stores it; `or_other`'s text
//! under `NAME_other`), and each repeat as an array of such objects, one per instance.
//! A repeat inside a repeat is an array inside each instance's object. Questions inside a
//! repeat read the values of their own instance, at every level (XLSForm's relative
//! references); from outside a repeat, all its instances' values.

use std::collections::HashMap;

use chrono::{DateTime, FixedOffset};
use serde_json::{Map, Value as Json};

use crate::expr::{self, Context};
use crate::{Choice, Element, ElementKind, Form, GroupKind, QuestionType};

/// A submission's answers (see the module docs for their shape).
pub type Answers = Map<String, Json>;

/// Where an expression is evaluated: at the top, or in one instance of a repeat, given as
/// the path of (repeat, index) from the outermost repeat in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct At<'a> {
    /// (repeat name, instance index) pairs, outermost first; empty at the top.
    pub path: &'a [(&'a str, usize)],
}

impl<'a> At<'a> {
    /// The top of the form, outside every repeat.
    pub const TOP: At<'static> = At { path: &[] };

    /// The path of instance `index` of `repeat` inside this place.
    pub fn inner(self, repeat: &'a str, index: usize) -> Vec<(&'a str, usize)> {
        let mut path = self.path.to_vec();
        path.push((repeat, index));
        path
    }

    /// The owned path, for lists of places.
    fn owned(self) -> Vec<(String, usize)> {
        self.path
            .iter()
            .map(|(r, i)| ((*r).to_owned(), *i))
            .collect()
    }
}

/// The object of the instance at a path (the answers themselves at the top).
fn object_at<'a>(answers: &'a Answers, path: &[(&str, usize)]) -> Option<&'a Map<String, Json>> {
    let mut here = answers;
    for (r, i) in path {
        here = here.get(*r)?.as_array()?.get(*i)?.as_object()?;
    }
    Some(here)
}

/// The object of the instance at a path, created as needed.
fn object_at_mut<'a>(answers: &'a mut Answers, path: &[(&str, usize)]) -> &'a mut Answers {
    let mut here = answers;
    for (r, i) in path {
        let array = here
            .entry((*r).to_owned())
            .or_insert_with(|| Json::Array(Vec::new()));
        if !array.is_array() {
            *array = Json::Array(Vec::new());
        }
        let items = array.as_array_mut().expect("an array");
        while items.len() <= *i {
            items.push(Json::Object(Map::new()));
        }
        if !items[*i].is_object() {
            items[*i] = Json::Object(Map::new());
        }
        here = items[*i].as_object_mut().expect("an object");
    }
    here
}

/// A form prepared for filling in: its pages and where each name lives.
pub struct Engine<'f> {
    form: &'f Form,
    /// Question or repeat name → the repeats it is in, outermost first (empty at the top).
    homes: HashMap<String, Vec<String>>,
    /// The names of the repeats.
    repeat_names: std::collections::HashSet<String>,
    /// Each page: the top-level elements it shows (a group alone, or loose questions).
    pages: Vec<Vec<&'f Element>>,
}

/// The name of the text answer that goes with an `or_other` select.
pub fn other_name(name: &str) -> String {
    format!("{name}_other")
}

/// Whether a select offers "other" with a text answer of its own (see [`other_name`]).
pub fn or_other(el: &Element) -> bool {
    matches!(
        el.question_type(),
        Some(
            QuestionType::SelectOne { or_other: true, .. }
                | QuestionType::SelectMultiple { or_other: true, .. }
        )
    )
}

fn is_group(el: &Element) -> bool {
    matches!(el.kind, ElementKind::Group(_))
}

/// Whether a group is filled in as instances: a repeat, or a loop over a choice list.
pub fn is_repeat(el: &Element) -> bool {
    matches!(
        el.kind,
        ElementKind::Group(GroupKind::Repeat | GroupKind::Loop { .. })
    )
}

fn text_of(v: Option<&Json>) -> String {
    match v {
        Some(Json::String(s)) => s.clone(),
        Some(Json::Number(n)) => n.to_string(),
        Some(Json::Bool(b)) => b.to_string(),
        _ => String::new(),
    }
}

/// True for `yes`, `true`, `true()`.
fn literal_yes(v: &str) -> Option<bool> {
    match v.trim().to_ascii_lowercase().as_str() {
        "yes" | "true" | "true()" | "1" => Some(true),
        "no" | "false" | "false()" | "0" | "" => Some(false),
        _ => None,
    }
}

struct Ctx<'e, 'f> {
    engine: &'e Engine<'f>,
    answers: &'e Answers,
    at: At<'e>,
    current: String,
    lang: &'e str,
    choice: Option<&'e Choice>,
    now: DateTime<FixedOffset>,
}

/// The values of `name` in `here` under the repeats `chain`: where the chain follows the
/// place `path` (the same repeat at the same depth), only that instance; elsewhere every
/// instance. A repeat's own name gives one (empty) value per instance, so `count()` counts
/// them.
fn collect(
    here: &Map<String, Json>,
    chain: &[String],
    path: &[(&str, usize)],
    name: &str,
    is_repeat: bool,
    out: &mut Vec<String>,
) {
    let Some((first, rest)) = chain.split_first() else {
        if is_repeat {
            let n = here.get(name).and_then(Json::as_array).map_or(0, Vec::len);
            out.extend(std::iter::repeat_n(String::new(), n));
        } else {
            out.push(text_of(here.get(name)));
        }
        return;
    };
    let instances = here.get(first).and_then(Json::as_array);
    let objects = instances.into_iter().flatten().filter_map(Json::as_object);
    match path.split_first() {
        Some(((r, i), inner)) if *r == first.as_str() => {
            if let Some(o) = instances.and_then(|a| a.get(*i)).and_then(Json::as_object) {
                collect(o, rest, inner, name, is_repeat, out);
            }
        }
        _ => {
            for o in objects {
                collect(o, rest, &[], name, is_repeat, out);
            }
        }
    }
}

impl Context for Ctx<'_, '_> {
    fn value(&self, name: &str) -> Option<Vec<String>> {
        let chain = self.engine.homes.get(name)?;
        let is_repeat = self.engine.repeat_names.contains(name);
        let mut out = Vec::new();
        collect(self.answers, chain, self.at.path, name, is_repeat, &mut out);
        Some(out)
    }
    fn current(&self) -> String {
        self.current.clone()
    }
    fn position(&self) -> usize {
        self.at.path.last().map_or(1, |(_, i)| i + 1)
    }
    fn choice_label(&self, question: &str, value: &str) -> Option<String> {
        let list = self
            .engine
            .form
            .element(question)?
            .question_type()?
            .list()?;
        self.engine
            .form
            .list(list)?
            .choices
            .iter()
            .find(|c| c.name == value)
            .and_then(|c| c.label.get(self.lang).map(str::to_owned))
    }
    fn choice_column(&self, column: &str) -> Option<String> {
        let choice = self.choice?;
        if column == "name" {
            return Some(choice.name.clone());
        }
        choice.value(column).map(str::to_owned)
    }
    fn now(&self) -> DateTime<FixedOffset> {
        self.now
    }
    fn uuid(&self) -> String {
        format!("uuid:{}", uuid::Uuid::new_v4())
    }
}

/// One problem with an answer, for the field `field`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldProblem {
    /// The form field (`name`, or `repeat.index.name` inside a repeat).
    pub field: String,
    /// What is wrong with the answer.
    pub kind: ProblemKind,
    /// The form's own message (constraint_message, required_message) in the language.
    pub message: Option<String>,
}

/// Why an answer is refused, checked in this order: empty but required; not of the
/// question's type (whole number, number, `YYYY-MM-DD`, `HH:MM`, an offered choice); then
/// against the question's constraint.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProblemKind {
    Required,
    Constraint,
    NotInteger,
    NotDecimal,
    NotDate,
    NotTime,
    NotChoice,
}

/// The form field of a question at a place: `name`, `repeat.index.name`,
/// `repeat.index.inner.index.name`, …
pub fn field_name(at: At<'_>, name: &str) -> String {
    let mut field = String::new();
    for (r, i) in at.path {
        field.push_str(&format!("{r}.{i}."));
    }
    field.push_str(name);
    field
}

/// The place of a repeat named in a form field (`member.0.child` → the path to `member` 0 and
/// the repeat `child`), as the add and remove buttons post it.
pub fn parse_repeat_field(field: &str) -> Option<(Vec<(&str, usize)>, &str)> {
    let parts: Vec<&str> = field.split('.').collect();
    if parts.len().is_multiple_of(2) {
        return None;
    }
    let mut path = Vec::new();
    for pair in parts[..parts.len() - 1].chunks(2) {
        path.push((pair[0], pair[1].parse().ok()?));
    }
    Some((path, parts[parts.len() - 1]))
}

impl<'f> Engine<'f> {
    /// Prepares `form`: finds which repeats each name lives in and splits the form into pages.
    pub fn new(form: &'f Form) -> Self {
        let mut homes = HashMap::new();
        let mut repeat_names = std::collections::HashSet::new();
        fn visit(
            el: &Element,
            chain: &[String],
            homes: &mut HashMap<String, Vec<String>>,
            repeats: &mut std::collections::HashSet<String>,
        ) {
            if is_group(el) {
                let mut inner = chain.to_vec();
                if is_repeat(el) {
                    homes.entry(el.name.clone()).or_insert(chain.to_vec());
                    repeats.insert(el.name.clone());
                    inner.push(el.name.clone());
                }
                for c in &el.children {
                    visit(c, &inner, homes, repeats);
                }
            } else {
                if or_other(el) {
                    homes.entry(other_name(&el.name)).or_insert(chain.to_vec());
                }
                homes.entry(el.name.clone()).or_insert(chain.to_vec());
            }
        }
        for el in &form.root {
            visit(el, &[], &mut homes, &mut repeat_names);
        }
        let mut pages: Vec<Vec<&Element>> = Vec::new();
        let mut loose: Vec<&Element> = Vec::new();
        for el in &form.root {
            if is_group(el) {
                if !loose.is_empty() {
                    pages.push(std::mem::take(&mut loose));
                }
                pages.push(vec![el]);
            } else if el.question_type().is_some_and(QuestionType::is_input)
                && !matches!(el.question_type(), Some(QuestionType::Media(_)))
            {
                loose.push(el);
            }
        }
        if !loose.is_empty() {
            pages.push(loose);
        }
        Engine {
            form,
            homes,
            repeat_names,
            pages,
        }
    }

    /// The pages, in form order: each the top-level elements it shows (a group or repeat
    /// alone, or a run of loose questions).
    pub fn pages(&self) -> &[Vec<&'f Element>] {
        &self.pages
    }

    /// How many instances of a repeat there are at a place (inside the instance `at`).
    pub fn instances(&self, answers: &Answers, at: At<'_>, repeat: &str) -> usize {
        object_at(answers, at.path)
            .and_then(|o| o.get(repeat))
            .and_then(Json::as_array)
            .map_or(0, Vec::len)
    }

    /// Adds an instance to a repeat at a place (at most 100).
    pub fn add_instance(&self, answers: &mut Answers, at: At<'_>, repeat: &str) {
        let here = object_at_mut(answers, at.path);
        let array = here
            .entry(repeat.to_owned())
            .or_insert_with(|| Json::Array(Vec::new()));
        if let Some(items) = array.as_array_mut()
            && items.len() < 100
        {
            items.push(Json::Object(Map::new()));
        }
    }

    /// Removes instance `index` of a repeat at a place.
    pub fn remove_instance(&self, answers: &mut Answers, at: At<'_>, repeat: &str, index: usize) {
        if object_at(answers, at.path).is_none() {
            return;
        }
        let here = object_at_mut(answers, at.path);
        if let Some(items) = here.get_mut(repeat).and_then(Json::as_array_mut)
            && index < items.len()
        {
            items.remove(index);
        }
    }

    fn ctx<'e>(
        &'e self,
        answers: &'e Answers,
        at: At<'e>,
        lang: &'e str,
        now: DateTime<FixedOffset>,
    ) -> Ctx<'e, 'f> {
        Ctx {
            engine: self,
            answers,
            at,
            current: String::new(),
            lang,
            choice: None,
            now,
        }
    }

    /// Evaluates a condition; an expression that fails counts as true, so a respondent is
    /// never stuck behind a form's mistake (the validator refuses most such forms).
    fn condition(&self, expression: &str, ctx: &Ctx<'_, '_>) -> bool {
        match literal_yes(expression) {
            Some(v) => v,
            None => match expr::eval_str(expression, ctx) {
                Ok(v) => v.truthy(),
                Err(e) => {
                    tracing::debug!(expression, error = %e, "an expression failed; taken as true");
                    true
                }
            },
        }
    }

    /// The answer of a question at a place.
    pub fn answer(&self, answers: &Answers, at: At<'_>, name: &str) -> String {
        text_of(object_at(answers, at.path).and_then(|o| o.get(name)))
    }

    /// Sets the answer of a question at a place (creating the repeat instance if needed).
    pub fn set(&self, answers: &mut Answers, at: At<'_>, name: &str, value: String) {
        object_at_mut(answers, at.path).insert(name.to_owned(), Json::String(value));
    }

    /// Whether an element is relevant at a place (no `relevant` column: always).
    pub fn relevant(
        &self,
        el: &Element,
        answers: &Answers,
        at: At<'_>,
        lang: &str,
        now: DateTime<FixedOffset>,
    ) -> bool {
        el.relevant
            .as_deref()
            .is_none_or(|r| self.condition(r, &self.ctx(answers, at, lang, now)))
    }

    /// Whether a question must be answered at a place (no `required` column: never).
    pub fn required(
        &self,
        el: &Element,
        answers: &Answers,
        at: At<'_>,
        lang: &str,
        now: DateTime<FixedOffset>,
    ) -> bool {
        el.required
            .as_deref()
            .is_some_and(|r| self.condition(r, &self.ctx(answers, at, lang, now)))
    }

    /// The choices a select offers at a place, after its choice_filter.
    pub fn choices(
        &self,
        el: &'f Element,
        answers: &Answers,
        at: At<'_>,
        lang: &str,
        now: DateTime<FixedOffset>,
    ) -> Vec<&'f Choice> {
        let Some(list) = el
            .question_type()
            .and_then(QuestionType::list)
            .and_then(|l| self.form.list(l))
        else {
            return Vec::new();
        };
        list.choices
            .iter()
            .filter(|c| match el.choice_filter.as_deref() {
                None => true,
                Some(filter) => {
                    let mut ctx = self.ctx(answers, at, lang, now);
                    ctx.choice = Some(c);
                    self.condition(filter, &ctx)
                }
            })
            .collect()
    }

    /// How many instances a repeat shows: its `repeat_count`, else those answered (at least one).
    fn instance_count(
        &self,
        el: &Element,
        answers: &Answers,
        at: At<'_>,
        lang: &str,
        now: DateTime<FixedOffset>,
    ) -> usize {
        if let Some(count) = el.repeat_count.as_deref() {
            let ctx = self.ctx(answers, at, lang, now);
            let n = expr::eval_str(count, &ctx).map(|v| v.num()).unwrap_or(0.0);
            return if n.is_finite() && n > 0.0 {
                (n as usize).min(100)
            } else {
                0
            };
        }
        self.instances(answers, at, &el.name).max(1)
    }

    /// Fills in calculations (in sheet order, twice so later ones can feed earlier ones) and
    /// the defaults of questions never answered, and the instances a repeat_count asks for.
    pub fn update(&self, answers: &mut Answers, lang: &str, now: DateTime<FixedOffset>) {
        for _ in 0..2 {
            for el in &self.form.root {
                self.update_element(el, answers, At::TOP, lang, now);
            }
        }
    }

    fn update_element(
        &self,
        el: &'f Element,
        answers: &mut Answers,
        at: At<'_>,
        lang: &str,
        now: DateTime<FixedOffset>,
    ) {
        match &el.kind {
            ElementKind::Group(_) if is_repeat(el) => {
                let n = self.instance_count(el, answers, at, lang, now);
                let array = object_at_mut(answers, at.path)
                    .entry(el.name.clone())
                    .or_insert_with(|| Json::Array(Vec::new()));
                if let Some(items) = array.as_array_mut() {
                    if el.repeat_count.is_some() {
                        items.truncate(n);
                    }
                    while items.len() < n {
                        items.push(Json::Object(Map::new()));
                    }
                }
                for i in 0..n {
                    let path = at.inner(&el.name, i);
                    for c in &el.children {
                        self.update_element(c, answers, At { path: &path }, lang, now);
                    }
                }
            }
            ElementKind::Group(_) => {
                for c in &el.children {
                    self.update_element(c, answers, at, lang, now);
                }
            }
            ElementKind::Question(t) => {
                if let Some(calc) = el.calculation.as_deref() {
                    let value = {
                        let ctx = self.ctx(answers, at, lang, now);
                        expr::eval_str(calc, &ctx)
                            .map(|v| v.string())
                            .unwrap_or_default()
                    };
                    self.set(answers, at, &el.name, value);
                    return;
                }
                let present = object_at(answers, at.path).is_some_and(|o| o.contains_key(&el.name));
                if present {
                    return;
                }
                let value = match t {
                    QuestionType::Metadata(kind) if kind == "start" || kind == "today" => {
                        if kind == "today" {
                            now.format("%Y-%m-%d").to_string()
                        } else {
                            now.format("%Y-%m-%dT%H:%M:%S%.3f%:z").to_string()
                        }
                    }
                    _ => match el.default.as_deref() {
                        Some(d) if !d.trim().is_empty() => {
                            default_value(d, &self.ctx(answers, at, lang, now))
                        }
                        _ => return,
                    },
                };
                self.set(answers, at, &el.name, value);
            }
        }
    }

    /// Removes the answers of questions that are not relevant (as ODK leaves them out).
    pub fn clear_irrelevant(&self, answers: &mut Answers, lang: &str, now: DateTime<FixedOffset>) {
        let mut clear: Vec<(Vec<(String, usize)>, String)> = Vec::new();
        for el in &self.form.root {
            self.collect_irrelevant(el, answers, At::TOP, false, lang, now, &mut clear);
        }
        // Deepest first, so clearing a repeat does not move what is still to clear inside it.
        clear.sort_by_key(|(path, _)| std::cmp::Reverse(path.len()));
        for (path, name) in clear {
            let path: Vec<(&str, usize)> = path.iter().map(|(r, i)| (r.as_str(), *i)).collect();
            if object_at(answers, &path).is_some() {
                object_at_mut(answers, &path).remove(&name);
            }
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn collect_irrelevant(
        &self,
        el: &'f Element,
        answers: &Answers,
        at: At<'_>,
        parent_hidden: bool,
        lang: &str,
        now: DateTime<FixedOffset>,
        out: &mut Vec<(Vec<(String, usize)>, String)>,
    ) {
        let hidden = parent_hidden || !self.relevant(el, answers, at, lang, now);
        let place = at.owned();
        match &el.kind {
            ElementKind::Group(_) if is_repeat(el) => {
                if hidden {
                    out.push((place, el.name.clone()));
                    return;
                }
                for i in 0..self.instances(answers, at, &el.name) {
                    let path = at.inner(&el.name, i);
                    for c in &el.children {
                        let at = At { path: &path };
                        self.collect_irrelevant(c, answers, at, false, lang, now, out);
                    }
                }
            }
            ElementKind::Group(_) => {
                for c in &el.children {
                    self.collect_irrelevant(c, answers, at, hidden, lang, now, out);
                }
            }
            ElementKind::Question(_) => {
                if hidden && el.calculation.is_none() {
                    out.push((place.clone(), el.name.clone()));
                }
                if or_other(el) {
                    let selected = self.answer(answers, at, &el.name);
                    if hidden || !selected.split_whitespace().any(|v| v == "other") {
                        out.push((place, other_name(&el.name)));
                    }
                }
            }
        }
    }

    /// Whether a page shows anything with the current answers.
    fn page_relevant(
        &self,
        page: usize,
        answers: &Answers,
        lang: &str,
        now: DateTime<FixedOffset>,
    ) -> bool {
        self.pages.get(page).is_some_and(|els| {
            els.iter()
                .any(|el| self.relevant(el, answers, At::TOP, lang, now) && shows_something(el))
        })
    }

    /// The relevant pages, in order.
    pub fn relevant_pages(
        &self,
        answers: &Answers,
        lang: &str,
        now: DateTime<FixedOffset>,
    ) -> Vec<usize> {
        (0..self.pages.len())
            .filter(|&p| self.page_relevant(p, answers, lang, now))
            .collect()
    }

    /// Checks the answers of one page: required, types, choices, constraints.
    pub fn check_page(
        &self,
        page: usize,
        answers: &Answers,
        lang: &str,
        now: DateTime<FixedOffset>,
    ) -> Vec<FieldProblem> {
        let mut problems = Vec::new();
        for el in self.pages.get(page).into_iter().flatten() {
            self.check_element(el, answers, At::TOP, lang, now, &mut problems);
        }
        problems
    }

    fn check_element(
        &self,
        el: &'f Element,
        answers: &Answers,
        at: At<'_>,
        lang: &str,
        now: DateTime<FixedOffset>,
        out: &mut Vec<FieldProblem>,
    ) {
        if !self.relevant(el, answers, at, lang, now) {
            return;
        }
        match &el.kind {
            ElementKind::Group(_) if is_repeat(el) => {
                for i in 0..self.instances(answers, at, &el.name) {
                    let path = at.inner(&el.name, i);
                    for c in &el.children {
                        self.check_element(c, answers, At { path: &path }, lang, now, out);
                    }
                }
            }
            ElementKind::Group(_) => {
                for c in &el.children {
                    self.check_element(c, answers, at, lang, now, out);
                }
            }
            ElementKind::Question(t) => {
                if !t.is_input() || el.calculation.is_some() {
                    return;
                }
                let field = field_name(at, &el.name);
                let value = self.answer(answers, at, &el.name);
                let problem = |kind, message: Option<String>| FieldProblem {
                    field: field.clone(),
                    kind,
                    message,
                };
                let text =
                    |t: &crate::Text| t.get(lang).map(str::to_owned).filter(|s| !s.is_empty());
                if value.trim().is_empty() {
                    if self.required(el, answers, at, lang, now) {
                        out.push(problem(ProblemKind::Required, text(&el.required_message)));
                    }
                } else {
                    let kind = match t {
                        QuestionType::Integer if value.trim().parse::<i64>().is_err() => {
                            Some(ProblemKind::NotInteger)
                        }
                        QuestionType::Decimal | QuestionType::Range
                            if value.trim().parse::<f64>().map_or(true, |v| !v.is_finite()) =>
                        {
                            Some(ProblemKind::NotDecimal)
                        }
                        QuestionType::Date
                            if chrono::NaiveDate::parse_from_str(value.trim(), "%Y-%m-%d")
                                .is_err() =>
                        {
                            Some(ProblemKind::NotDate)
                        }
                        QuestionType::Time
                            if chrono::NaiveTime::parse_from_str(value.trim(), "%H:%M")
                                .is_err()
                                && chrono::NaiveTime::parse_from_str(value.trim(), "%H:%M:%S")
                                    .is_err() =>
                        {
                            Some(ProblemKind::NotTime)
                        }
                        QuestionType::SelectOne { .. } | QuestionType::SelectMultiple { .. } => {
                            let offered = self.choices(el, answers, at, lang, now);
                            let ok = value.split_whitespace().all(|v| {
                                offered.iter().any(|c| c.name == v)
                                    || (or_other(el) && v == "other")
                            });
                            (!ok).then_some(ProblemKind::NotChoice)
                        }
                        _ => None,
                    };
                    if let Some(kind) = kind {
                        out.push(problem(kind, None));
                        return;
                    }
                    if let Some(constraint) = el.constraint.as_deref() {
                        let mut ctx = self.ctx(answers, at, lang, now);
                        ctx.current = value.clone();
                        if !self.condition(constraint, &ctx) {
                            out.push(problem(
                                ProblemKind::Constraint,
                                text(&el.constraint_message),
                            ));
                        }
                    }
                }
                if or_other(el)
                    && value.split_whitespace().any(|v| v == "other")
                    && self
                        .answer(answers, at, &other_name(&el.name))
                        .trim()
                        .is_empty()
                {
                    out.push(FieldProblem {
                        field: field_name(at, &other_name(&el.name)),
                        kind: ProblemKind::Required,
                        message: None,
                    });
                }
            }
        }
    }

    /// A label with `${name}` replaced by the answers.
    pub fn interpolate(
        &self,
        text: &str,
        answers: &Answers,
        at: At<'_>,
        lang: &str,
        now: DateTime<FixedOffset>,
    ) -> String {
        if !text.contains("${") {
            return text.to_owned();
        }
        let ctx = self.ctx(answers, at, lang, now);
        let mut out = String::new();
        let mut rest = text;
        while let Some(start) = rest.find("${") {
            out.push_str(&rest[..start]);
            let after = &rest[start + 2..];
            match after.find('}') {
                Some(end) => {
                    let name = &after[..end];
                    out.push_str(&ctx.value(name).map(|v| v.join(", ")).unwrap_or_default());
                    rest = &after[end + 1..];
                }
                None => {
                    out.push_str(&rest[start..]);
                    rest = "";
                }
            }
        }
        out.push_str(rest);
        out
    }
}

/// Whether an element shows the respondent anything (a page of only calculations does not).
fn shows_something(el: &Element) -> bool {
    match &el.kind {
        ElementKind::Group(_) => el.children.iter().any(shows_something),
        ElementKind::Question(t) => {
            t.is_input() && !matches!(t, QuestionType::Media(_)) && el.calculation.is_none()
        }
    }
}

/// A default is a literal, or (ODK's dynamic defaults) an expression when it looks like one.
fn default_value(default: &str, ctx: &dyn Context) -> String {
    let looks_like_expression = default.contains("${") || default.contains('(');
    if looks_like_expression {
        expr::eval_str(default, ctx)
            .map(|v| v.string())
            .unwrap_or_default()
    } else {
        default.to_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn form() -> Form {
        let csv = "\
survey,type,name,label,relevant,constraint,required,calculation,default
,integer,age,Age,,. >= 0 and . < 120,yes,,
,select_one yn,adult,Adult?,${age} >= 18,,,,
,calculate,double,,,,,${age} * 2,
,begin repeat,members,Members,,,,,
,text,mname,Name,,,yes,,
,integer,mage,Age,,,,,3
,end repeat,,,,,,,
,begin group,g,Group,${age} > 10,,,,
,note,n,Hello ${age},,,,,
,text,t,Text,,,,,
,end group,,,,,,,
choices,list_name,name,label
,yn,yes,Yes
,yn,no,No
";
        crate::read_csv(csv.as_bytes()).unwrap()
    }

    fn now() -> DateTime<FixedOffset> {
        DateTime::parse_from_rfc3339("2026-03-01T10:00:00+01:00").unwrap()
    }

    #[test]
    fn choice_filters_and_or_other() {
        let csv = "\
survey,type,name,label,choice_filter
,select_one region,region,Region,
,select_one city or_other,city,City,
,select_one city,town,Town,region = ${region}
choices,list_name,name,label,region
,region,north,North,
,region,south,South,
,city,milano,Milano,north
,city,napoli,Napoli,south
";
        let form = crate::read_csv(csv.as_bytes()).unwrap();
        let e = Engine::new(&form);
        let mut a = Answers::new();
        e.set(&mut a, At::TOP, "region", "south".into());
        let town = form.element("town").unwrap();
        let offered: Vec<&str> = e
            .choices(town, &a, At::TOP, "", now())
            .iter()
            .map(|c| c.name.as_str())
            .collect();
        assert_eq!(offered, ["napoli"]);
        e.set(&mut a, At::TOP, "city", "other".into());
        let p = e.check_page(0, &a, "", now());
        assert_eq!(p.len(), 1, "{p:?}");
        assert_eq!(
            (p[0].field.as_str(), p[0].kind),
            ("city_other", ProblemKind::Required)
        );
        e.set(&mut a, At::TOP, "city_other", "Bari".into());
        e.set(&mut a, At::TOP, "town", "milano".into());
        let p = e.check_page(0, &a, "", now());
        assert_eq!(p.len(), 1);
        assert_eq!(
            (p[0].field.as_str(), p[0].kind),
            ("town", ProblemKind::NotChoice)
        );
        e.set(&mut a, At::TOP, "city", "milano".into());
        e.clear_irrelevant(&mut a, "", now());
        assert!(!a.contains_key("city_other"), "the text goes with 'other'");
    }

    #[test]
    fn pages_relevance_calculations_and_checks() {
        let form = form();
        let e = Engine::new(&form);
        assert_eq!(e.pages.len(), 3, "loose questions, the repeat, the group");
        let mut a = Answers::new();
        e.update(&mut a, "", now());
        assert_eq!(a["members"].as_array().unwrap().len(), 1);
        assert_eq!(
            e.answer(
                &a,
                At {
                    path: &[("members", 0)]
                },
                "mage"
            ),
            "3"
        );
        let problems = e.check_page(0, &a, "", now());
        assert_eq!(problems.len(), 1);
        assert_eq!(problems[0].kind, ProblemKind::Required);
        e.set(&mut a, At::TOP, "age", "150".into());
        assert_eq!(
            e.check_page(0, &a, "", now())[0].kind,
            ProblemKind::Constraint
        );
        e.set(&mut a, At::TOP, "age", "abc".into());
        assert_eq!(
            e.check_page(0, &a, "", now())[0].kind,
            ProblemKind::NotInteger
        );
        e.set(&mut a, At::TOP, "age", "8".into());
        e.set(&mut a, At::TOP, "adult", "yes".into());
        e.update(&mut a, "", now());
        assert_eq!(a["double"], "16");
        e.clear_irrelevant(&mut a, "", now());
        assert!(!a.contains_key("adult"), "not relevant under 18");
        assert_eq!(e.relevant_pages(&a, "", now()), [0, 1]);
        e.set(&mut a, At::TOP, "age", "12".into());
        assert_eq!(e.relevant_pages(&a, "", now()), [0, 1, 2]);
        assert_eq!(
            e.interpolate("Hello ${age}", &a, At::TOP, "", now()),
            "Hello 12"
        );
        let p = e.check_page(1, &a, "", now());
        assert_eq!(p[0].field, "members.0.mname");
    }

    fn nested() -> Form {
        let csv = "\
survey,type,name,label,relevant,calculation,repeat_count
,begin repeat,household,Household,,,
,text,hname,Name,,,
,begin repeat,child,Child,,,
,integer,cage,Age,,,
,integer,cpos,Position,,position(..),
,calculate,older,,,${cage} > 10,
,text,school,School,${cage} >= 6,,
,note,whose,Child of ${hname},,,
,end repeat,,,,,
,calculate,children,,,count(${child}),
,calculate,ages,,,sum(${cage}),
,end repeat,,,,,
,calculate,all_ages,,,sum(${cage}),
,calculate,households,,,count(${household}),
";
        crate::read_csv(csv.as_bytes()).unwrap()
    }

    #[test]
    fn nested_repeats_resolve_in_the_innermost_instance() {
        let form = nested();
        let e = Engine::new(&form);
        let mut a = Answers::new();
        e.update(&mut a, "", now());
        let h0 = [("household", 0)];
        e.set(&mut a, At { path: &h0 }, "hname", "Rossi".into());
        e.add_instance(&mut a, At::TOP, "household");
        let h1 = [("household", 1)];
        e.set(&mut a, At { path: &h1 }, "hname", "Bianchi".into());
        e.update(&mut a, "", now());
        // Two children in the first household, one in the second.
        e.add_instance(&mut a, At { path: &h0 }, "child");
        let c00 = [("household", 0), ("child", 0)];
        let c01 = [("household", 0), ("child", 1)];
        let c10 = [("household", 1), ("child", 0)];
        e.set(&mut a, At { path: &c00 }, "cage", "4".into());
        e.set(&mut a, At { path: &c01 }, "cage", "12".into());
        e.set(&mut a, At { path: &c10 }, "cage", "7".into());
        e.update(&mut a, "", now());
        assert_eq!(e.instances(&a, At { path: &h0 }, "child"), 2);
        assert_eq!(e.instances(&a, At { path: &h1 }, "child"), 1);
        // Relative references: the child's own age, its own household's name.
        assert_eq!(e.answer(&a, At { path: &c01 }, "older"), "true");
        assert_eq!(e.answer(&a, At { path: &c00 }, "older"), "false");
        let whose = form.element("whose").unwrap();
        assert_eq!(
            e.interpolate(
                whose.label.get("").unwrap_or_default(),
                &a,
                At { path: &c10 },
                "",
                now()
            ),
            "Child of Bianchi"
        );
        // position() and count() per level; sums over the place's own instances.
        assert_eq!(e.answer(&a, At { path: &c01 }, "cpos"), "2");
        assert_eq!(e.answer(&a, At { path: &c10 }, "cpos"), "1");
        assert_eq!(e.answer(&a, At { path: &h0 }, "children"), "2");
        assert_eq!(e.answer(&a, At { path: &h1 }, "children"), "1");
        assert_eq!(e.answer(&a, At { path: &h0 }, "ages"), "16");
        assert_eq!(e.answer(&a, At { path: &h1 }, "ages"), "7");
        assert_eq!(
            a["all_ages"], "23",
            "from the top, every instance at every level"
        );
        assert_eq!(a["households"], "2");
        // Relevance per child; answers of an irrelevant child question are cleared there only.
        let school = form.element("school").unwrap();
        assert!(!e.relevant(school, &a, At { path: &c00 }, "", now()));
        assert!(e.relevant(school, &a, At { path: &c01 }, "", now()));
        e.set(&mut a, At { path: &c00 }, "school", "x".into());
        e.set(&mut a, At { path: &c01 }, "school", "Dante".into());
        e.clear_irrelevant(&mut a, "", now());
        assert_eq!(e.answer(&a, At { path: &c00 }, "school"), "");
        assert_eq!(e.answer(&a, At { path: &c01 }, "school"), "Dante");
        assert_eq!(
            field_name(At { path: &c01 }, "cage"),
            "household.0.child.1.cage"
        );
        assert_eq!(
            parse_repeat_field("household.1.child"),
            Some((vec![("household", 1)], "child"))
        );
        assert_eq!(parse_repeat_field("household"), Some((vec![], "household")));
        assert_eq!(parse_repeat_field("household.x.child"), None);
        // Removing the first child of the first household leaves the others in place.
        e.remove_instance(&mut a, At { path: &h0 }, "child", 0);
        assert_eq!(
            e.answer(
                &a,
                At {
                    path: &[("household", 0), ("child", 0)]
                },
                "cage"
            ),
            "12"
        );
        assert_eq!(e.answer(&a, At { path: &c10 }, "cage"), "7");
    }
}
