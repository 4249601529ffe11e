//! Filling in a form on the server: pages, answers, relevance, calculations, defaults,
//! constraints and required fields, evaluated with [`crocevia_xlsform::expr`] after every
//! page so the form works without JavaScript.
//!
//! Answers are a JSON object: each question's answer as text under its name (a
//! select_multiple as its choices separated by spaces, as ODK stores it; `or_other`'s text
//! under `NAME_other`), and each repeat as an array of such objects, one per instance.
//! Questions inside a repeat read the values of their own instance (XLSForm's relative
//! references); from outside, all instances' values.

use std::collections::HashMap;

use chrono::{DateTime, FixedOffset};
use crocevia_xlsform::expr::{self, Context};
use crocevia_xlsform::{Choice, Element, ElementKind, Form, GroupKind, QuestionType};
use serde_json::{Map, Value as Json};

pub type Answers = Map<String, Json>;

/// Where an expression is evaluated: at the top, or in one instance of a repeat.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct At<'a> {
    pub repeat: Option<(&'a str, usize)>,
}

impl At<'_> {
    pub const TOP: At<'static> = At { repeat: None };
}

/// A form prepared for filling in: its pages and where each name lives.
pub struct Engine<'f> {
    pub form: &'f Form,
    /// Question name → the repeat it is in (`None` at the top).
    homes: HashMap<String, Option<String>>,
    /// Each page: the top-level elements it shows (a group alone, or loose questions).
    pub pages: Vec<Vec<&'f Element>>,
}

/// The name of the text answer that goes with an `or_other` select.
pub fn other_name(name: &str) -> String {
    format!("{name}_other")
}

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

fn is_repeat(el: &Element) -> bool {
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

impl Context for Ctx<'_, '_> {
    fn value(&self, name: &str) -> Option<Vec<String>> {
        let home = self.engine.homes.get(name)?.as_deref();
        Some(match home {
            None => vec![text_of(self.answers.get(name))],
            Some(repeat) => {
                let instances = self.engine.instances(self.answers, repeat);
                match self.at.repeat {
                    Some((r, i)) if r == repeat => {
                        vec![text_of(instances.get(i).and_then(|o| o.get(name)))]
                    }
                    _ => instances.iter().map(|o| text_of(o.get(name))).collect(),
                }
            }
        })
    }
    fn current(&self) -> String {
        self.current.clone()
    }
    fn position(&self) -> usize {
        self.at.repeat.map_or(1, |(_, i)| i + 1)
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
    pub kind: ProblemKind,
    /// The form's own message (constraint_message, required_message) in the language.
    pub message: Option<String>,
}

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

impl ProblemKind {
    pub fn message_id(self) -> &'static str {
        match self {
            ProblemKind::Required => "respond-error-required",
            ProblemKind::Constraint => "respond-error-constraint",
            ProblemKind::NotInteger => "respond-error-integer",
            ProblemKind::NotDecimal => "respond-error-decimal",
            ProblemKind::NotDate => "respond-error-date",
            ProblemKind::NotTime => "respond-error-time",
            ProblemKind::NotChoice => "respond-error-choice",
        }
    }
}

/// The form field of a question at a place.
pub fn field_name(at: At<'_>, name: &str) -> String {
    match at.repeat {
        Some((r, i)) => format!("{r}.{i}.{name}"),
        None => name.to_owned(),
    }
}

impl<'f> Engine<'f> {
    pub fn new(form: &'f Form) -> Self {
        let mut homes = HashMap::new();
        fn visit(el: &Element, repeat: Option<&str>, homes: &mut HashMap<String, Option<String>>) {
            let home = repeat.map(str::to_owned);
            if is_group(el) {
                let inner = if is_repeat(el) {
                    homes.entry(el.name.clone()).or_insert(home);
                    repeat.or(Some(el.name.as_str()))
                } else {
                    repeat
                };
                for c in &el.children {
                    visit(c, inner, homes);
                }
            } else {
                if or_other(el) {
                    homes.entry(other_name(&el.name)).or_insert(home.clone());
                }
                homes.entry(el.name.clone()).or_insert(home);
            }
        }
        for el in &form.root {
            visit(el, None, &mut homes);
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
        Engine { form, homes, pages }
    }

    /// The instances of a repeat in the answers.
    pub fn instances<'a>(&self, answers: &'a Answers, repeat: &str) -> Vec<&'a Map<String, Json>> {
        answers
            .get(repeat)
            .and_then(Json::as_array)
            .map(|a| a.iter().filter_map(Json::as_object).collect())
            .unwrap_or_default()
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
        match at.repeat {
            Some((r, i)) => text_of(self.instances(answers, r).get(i).and_then(|o| o.get(name))),
            None => text_of(answers.get(name)),
        }
    }

    /// Sets the answer of a question at a place (creating the repeat instance if needed).
    pub fn set(&self, answers: &mut Answers, at: At<'_>, name: &str, value: String) {
        let target = match at.repeat {
            None => answers,
            Some((r, i)) => {
                let array = answers
                    .entry(r.to_owned())
                    .or_insert_with(|| Json::Array(Vec::new()));
                if !array.is_array() {
                    *array = Json::Array(Vec::new());
                }
                let items = array.as_array_mut().expect("an array");
                while items.len() <= i {
                    items.push(Json::Object(Map::new()));
                }
                if !items[i].is_object() {
                    items[i] = Json::Object(Map::new());
                }
                items[i].as_object_mut().expect("an object")
            }
        };
        target.insert(name.to_owned(), Json::String(value));
    }

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
    pub fn instance_count(
        &self,
        el: &Element,
        answers: &Answers,
        lang: &str,
        now: DateTime<FixedOffset>,
    ) -> usize {
        if let Some(count) = el.repeat_count.as_deref() {
            let ctx = self.ctx(answers, At::TOP, lang, now);
            let n = expr::eval_str(count, &ctx).map(|v| v.num()).unwrap_or(0.0);
            return if n.is_finite() && n > 0.0 {
                (n as usize).min(100)
            } else {
                0
            };
        }
        self.instances(answers, &el.name).len().max(1)
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
                let n = self.instance_count(el, answers, lang, now);
                let array = answers
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
                    for c in &el.children {
                        self.update_element(
                            c,
                            answers,
                            At {
                                repeat: Some((el.name.as_str(), i)),
                            },
                            lang,
                            now,
                        );
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
                let present = match at.repeat {
                    None => answers.contains_key(&el.name),
                    Some((r, i)) => self
                        .instances(answers, r)
                        .get(i)
                        .is_some_and(|o| o.contains_key(&el.name)),
                };
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
        let mut clear: Vec<(Option<(String, usize)>, String)> = Vec::new();
        for el in &self.form.root {
            self.collect_irrelevant(el, answers, At::TOP, false, lang, now, &mut clear);
        }
        for (at, name) in clear {
            match at {
                None => {
                    answers.remove(&name);
                }
                Some((r, i)) => {
                    if let Some(o) = answers
                        .get_mut(&r)
                        .and_then(Json::as_array_mut)
                        .and_then(|a| a.get_mut(i))
                        .and_then(Json::as_object_mut)
                    {
                        o.remove(&name);
                    }
                }
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
        out: &mut Vec<(Option<(String, usize)>, String)>,
    ) {
        let hidden = parent_hidden || !self.relevant(el, answers, at, lang, now);
        let place = at.repeat.map(|(r, i)| (r.to_owned(), i));
        match &el.kind {
            ElementKind::Group(_) if is_repeat(el) => {
                if hidden {
                    out.push((place, el.name.clone()));
                    return;
                }
                for i in 0..self.instances(answers, &el.name).len() {
                    for c in &el.children {
                        let at = At {
                            repeat: Some((el.name.as_str(), i)),
                        };
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
    pub fn page_relevant(
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
                for i in 0..self.instances(answers, &el.name).len() {
                    let inner = At {
                        repeat: Some((el.name.as_str(), i)),
                    };
                    for c in &el.children {
                        self.check_element(c, answers, inner, lang, now, out);
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
                let text = |t: &crocevia_xlsform::Text| {
                    t.get(lang).map(str::to_owned).filter(|s| !s.is_empty())
                };
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
        crocevia_xlsform::read_csv(csv.as_bytes()).unwrap()
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
        let form = crocevia_xlsform::read_csv(csv.as_bytes()).unwrap();
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
                    repeat: Some(("members", 0))
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
}
