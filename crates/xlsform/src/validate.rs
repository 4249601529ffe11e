//! Validation: every check a form author needs before a form can be deployed.
//!
//! The checks follow what pyxform (the reference XLSForm converter) rejects, calibrated on
//! its own test forms (see `tests/conformance.rs`), but unlike pyxform we never stop at the
//! first problem: the author gets the whole list, each located by sheet, row and column.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use crate::expr;
use crate::form::{Cell, Element, ElementKind, Form, GroupKind, QuestionType, similar};
use crate::names::NAME_RULE;
pub use crate::names::is_xml_name;
use crate::params;
use crate::report::{Code, Problem, Report};

/// Validates a form: the structural problems found while reading it, plus every check
/// below. Errors and warnings come back sorted by sheet and row.
pub fn validate(form: &Form) -> Report {
    let mut report = Report::default();
    for p in &form.problems {
        report.push(p.clone());
    }
    let mut v = Validator {
        form,
        report: &mut report,
        counts: HashMap::new(),
    };
    v.run();
    report.finish();
    report
}

struct Validator<'a> {
    form: &'a Form,
    report: &'a mut Report,
    /// How many elements carry each name, anywhere in the survey.
    counts: HashMap<&'a str, usize>,
}

impl<'a> Validator<'a> {
    fn run(&mut self) {
        let form = self.form;
        form.walk(|e| {
            if !e.name.is_empty() {
                *self.counts.entry(e.name.as_str()).or_default() += 1;
            }
        });
        self.choices();
        self.settings();
        let root = self.root_name();
        self.siblings(&form.root, None);
        let mut repeats: BTreeMap<&str, Vec<(usize, usize)>> = BTreeMap::new();
        for e in &form.root {
            self.collect_repeats(e, 1, &mut repeats);
        }
        for (name, rows) in &repeats {
            let total: usize = rows.iter().map(|(_, n)| n).sum();
            if total > 1 {
                let row = rows.last().map(|(r, _)| *r).unwrap_or(0);
                self.report.push(
                    Problem::error(
                        Code::DuplicateName,
                        format!(
                            "The repeat name '{name}' is used more than once. Repeat names must be unique in the whole survey, at every level of nesting."
                        ),
                    )
                    .at("survey", row)
                    .col("name"),
                );
            }
            if *name == root {
                let row = rows[0].0;
                self.report.push(
                    Problem::error(
                        Code::ReservedName,
                        format!(
                            "The repeat name '{name}' is the name of the survey root. Choose another name."
                        ),
                    )
                    .at("survey", row)
                    .col("name"),
                );
            }
        }
        let mut need_choices_sheet = None;
        form.walk(|e| {
            self.element(e);
            if let Some(
                t @ (QuestionType::SelectOne { .. }
                | QuestionType::SelectMultiple { .. }
                | QuestionType::Rank { .. }),
            ) = e.question_type()
                && !t.list().is_some_and(|l| l.starts_with("${"))
                && need_choices_sheet.is_none()
            {
                need_choices_sheet = Some(e.row);
            }
        });
        if need_choices_sheet.is_some()
            && !form
                .sheet_names
                .iter()
                .any(|s| s.eq_ignore_ascii_case("choices"))
        {
            let similar: Vec<String> = form
                .sheet_names
                .iter()
                .filter(|s| similar(s, "choices"))
                .map(|s| format!("'{s}'"))
                .collect();
            let hint = if similar.is_empty() {
                String::new()
            } else {
                format!(
                    " Sheets with similar names were found: {}.",
                    similar.join(", ")
                )
            };
            self.report.push(Problem::error(
                Code::MissingSheet,
                format!(
                    "The form uses select questions but has no 'choices' sheet; add one with the columns list_name, name and label.{hint}"
                ),
            ));
        }
        self.instances();
        let mut need_external = false;
        form.walk(|e| {
            if let Some(QuestionType::SelectOneExternal { .. }) = e.question_type() {
                need_external = true;
            }
        });
        if need_external
            && !form
                .sheet_names
                .iter()
                .any(|s| s.eq_ignore_ascii_case("external_choices"))
        {
            self.report.push(Problem::error(
                Code::MissingSheet,
                "The form uses select_one_external questions but has no 'external_choices' sheet; add one with the columns list_name and name.",
            ));
        }
    }

    /// Secondary instances (external files, choice lists, `pulldata` files, last-saved)
    /// become `<instance id="...">` in the XForm: two different sources with one id would
    /// make the form ambiguous.
    fn instances(&mut self) {
        let form = self.form;
        // id → (source, row)
        let mut seen: BTreeMap<String, (String, usize)> = BTreeMap::new();
        let mut externals: BTreeMap<&str, usize> = BTreeMap::new();
        let mut found: Vec<(String, String, usize)> = Vec::new();
        form.walk(|e| {
            match e.question_type() {
                Some(QuestionType::External(kind)) if !e.name.is_empty() => {
                    let uri = if kind == "xml-external" {
                        format!("jr://file/{}.xml", e.name)
                    } else {
                        format!("jr://file-csv/{}.csv", e.name)
                    };
                    found.push((e.name.clone(), uri, e.row));
                    *externals.entry(e.name.as_str()).or_default() += 1;
                    if externals[e.name.as_str()] == 2 {
                        self.report.push(
                            Problem::error(
                                Code::DuplicateInstance,
                                format!("The external instance name '{}' is used more than once; instance names must be unique in the form.", e.name),
                            )
                            .at("survey", e.row)
                            .col("name"),
                        );
                    }
                }
                Some(QuestionType::SelectFromFile { file, .. }) => {
                    if let Some((stem, ext)) = file.rsplit_once('.') {
                        let scheme = if ext.eq_ignore_ascii_case("csv") { "jr://file-csv/" } else { "jr://file/" };
                        found.push((stem.to_string(), format!("{scheme}{file}"), e.row));
                    }
                }
                Some(t @ (QuestionType::SelectOne { .. } | QuestionType::SelectMultiple { .. } | QuestionType::Rank { .. })) => {
                    if let Some(list) = t.list()
                        && !list.starts_with("${")
                    {
                        found.push((list.to_string(), "the choices sheet".to_string(), e.row));
                    }
                }
                Some(QuestionType::Geopoint | QuestionType::Geoshape | QuestionType::Geotrace) => {
                    // reference-geometry=LIST puts a choice list in the form as an instance.
                    if let Some(list) = e
                        .parameters
                        .as_deref()
                        .and_then(|p| params::parse(p).ok())
                        .and_then(|p| p.into_iter().find(|(k, _)| k == "reference-geometry"))
                        .map(|(_, v)| v)
                        && form.choices.contains_key(&list)
                    {
                        found.push((list, "the choices sheet".to_string(), e.row));
                    }
                }
                _ => {}
            }
            for c in &e.cells {
                if !is_expression_column(&c.key) {
                    continue;
                }
                if c.value.contains("last-saved#") {
                    found.push(("__last-saved".into(), "jr://instance/last-saved".into(), e.row));
                }
                let mut rest = c.value.as_str();
                while let Some(i) = rest.find("pulldata(") {
                    rest = &rest[i + 9..];
                    let arg = rest.trim_start();
                    if let Some(q) = arg.chars().next().filter(|c| *c == '\'' || *c == '"')
                        && let Some(end) = arg[1..].find(q)
                    {
                        let id = &arg[1..1 + end];
                        found.push((id.to_string(), format!("jr://file-csv/{id}.csv"), e.row));
                    }
                }
            }
        });
        for (id, source, row) in found {
            match seen.get(&id) {
                Some((first, _)) if *first != source => {
                    self.report.push(
                        Problem::error(
                            Code::DuplicateInstance,
                            format!(
                                "Two different sources would get the instance id '{id}': {first} and {source}. Rename the file, the external instance or the choice list."
                            ),
                        )
                        .at("survey", row)
                        .col("type"),
                    );
                }
                Some(_) => {}
                None => {
                    seen.insert(id, (source, row));
                }
            }
        }
    }

    fn root_name(&self) -> String {
        self.form
            .settings
            .name
            .clone()
            .unwrap_or_else(|| "data".to_string())
    }

    fn settings(&mut self) {
        let s = &self.form.settings;
        let row = s.row.unwrap_or(2);
        if let Some(name) = &s.name
            && !is_xml_name(name)
        {
            self.report.push(
                Problem::error(
                    Code::InvalidSetting,
                    format!("The name '{name}' is not a valid name. {NAME_RULE}"),
                )
                .at("settings", row)
                .col("name"),
            );
        }
        if let Some(lang) = &s.default_language
            && !self.form.languages.is_empty()
            && !self.form.languages.contains(lang)
        {
            self.report.push(
                Problem::warning(
                    Code::MissingTranslation,
                    format!(
                        "The default_language '{lang}' is not one of the form's languages ({}).",
                        self.form.languages.join(", ")
                    ),
                )
                .at("settings", row)
                .col("default_language"),
            );
        }
    }

    fn choices(&mut self) {
        let form = self.form;
        if !form.choices_headers.is_empty()
            && !form.choices_headers.iter().any(|h| {
                let h = h.trim().to_ascii_lowercase();
                h == "name" || h == "value"
            })
        {
            self.report.push(
                Problem::error(Code::MissingColumn, "The 'choices' sheet has no 'name' column: each choice needs a name, the value stored in answers.")
                    .sheet("choices"),
            );
            return;
        }
        for list in form.choices.values() {
            let mut seen: BTreeMap<&str, usize> = BTreeMap::new();
            for c in &list.choices {
                if c.name.is_empty() {
                    self.report.push(
                        Problem::error(
                            Code::MissingChoiceName,
                            format!("This choice of the list '{}' has no name. Every choice needs a name: the value stored in answers.", list.name),
                        )
                        .at("choices", c.row)
                        .col("name"),
                    );
                    continue;
                }
                if let Some(first) = seen.insert(c.name.as_str(), c.row)
                    && !form.settings.allow_choice_duplicates
                {
                    self.report.push(
                        Problem::error(
                            Code::DuplicateChoice,
                            format!(
                                "The choice name '{}' is used twice in the list '{}' (first on row {first}). Choice names must be unique within a list; if this is intentional, set allow_choice_duplicates to yes in the settings sheet.",
                                c.name, list.name
                            ),
                        )
                        .at("choices", c.row)
                        .col("name"),
                    );
                }
                for cell in &c.cells {
                    if is_text_column(&cell.key) {
                        self.references(cell, "choices", c.row, false);
                    }
                }
            }
        }
    }

    /// Names must be unique among the children of one group, repeat or the survey.
    fn siblings(&mut self, elements: &'a [Element], _parent: Option<&Element>) {
        let mut seen: BTreeSet<&str> = BTreeSet::new();
        for e in elements {
            if !e.name.is_empty() && !seen.insert(e.name.as_str()) {
                self.report.push(
                    Problem::error(
                        Code::DuplicateName,
                        format!(
                            "The name '{}' is used twice in the same group. Questions, groups and repeats must have unique names within their group or repeat (or the survey, outside any group).",
                            e.name
                        ),
                    )
                    .at("survey", e.row)
                    .col("name"),
                );
            }
            // A repeat_count that is not a plain ${reference} gets a generated sibling
            // question `<repeat>_count` to hold it.
            if e.is_repeat() && e.repeat_count.as_deref().is_some_and(|c| !is_simple_ref(c)) {
                let generated = format!("{}_count", e.name);
                if elements.iter().any(|o| o.name == generated) {
                    self.report.push(
                        Problem::error(
                            Code::DuplicateName,
                            format!(
                                "The repeat '{}' has a repeat_count that is not a plain reference, so a hidden question '{generated}' is generated for it, but a question already has that name. Rename the question.",
                                e.name
                            ),
                        )
                        .at("survey", e.row)
                        .col("repeat_count"),
                    );
                }
            }
            if matches!(e.kind, ElementKind::Group(_)) {
                self.siblings(&e.children, Some(e));
            }
        }
    }

    fn collect_repeats(
        &self,
        e: &'a Element,
        mult: usize,
        out: &mut BTreeMap<&'a str, Vec<(usize, usize)>>,
    ) {
        let mut inner = mult;
        match &e.kind {
            ElementKind::Group(GroupKind::Repeat) if !e.name.is_empty() => {
                out.entry(e.name.as_str()).or_default().push((e.row, mult));
            }
            ElementKind::Group(GroupKind::Loop { list }) => {
                inner = mult
                    * self
                        .form
                        .list(list)
                        .map(|l| l.choices.len())
                        .unwrap_or(1)
                        .max(1);
            }
            _ => {}
        }
        for c in &e.children {
            self.collect_repeats(c, inner, out);
        }
    }

    fn element(&mut self, e: &'a Element) {
        let at = |p: Problem| p.at("survey", e.row);
        // Names.
        let named_by_default =
            matches!(e.question_type(), Some(QuestionType::Metadata(m)) if m == "audit");
        if e.name.is_empty() && named_by_default {
            // `audit` is named by the client.
        } else if e.name.is_empty() {
            self.report.push(at(Problem::error(
                Code::MissingName,
                "This row has no name. Every question, group and repeat needs a name: it identifies the answer in the data.",
            ))
            .col("name"));
        } else if !is_xml_name(&e.name) {
            self.report.push(
                at(Problem::error(
                    Code::InvalidName,
                    format!("The name '{}' is not valid. {NAME_RULE}", e.name),
                ))
                .col("name"),
            );
        } else if e.name == "meta" {
            self.report.push(
                at(Problem::error(
                    Code::ReservedName,
                    "The name 'meta' is reserved for form metadata. Choose another name.",
                ))
                .col("name"),
            );
        }

        // Type-specific checks.
        if let Some(t) = e.question_type() {
            self.question(e, t);
            if let QuestionType::Media(m) | QuestionType::External(m) = t {
                self.report.push(at(Problem::warning(
                    Code::UnsupportedType,
                    format!("'{m}' questions are accepted but the web form cannot collect them; they stay empty in web submissions."),
                ))
                .col("type"));
            }
            if let QuestionType::SelectFromFile { .. } | QuestionType::SelectOneExternal { .. } = t
            {
                self.report.push(at(Problem::warning(
                    Code::UnsupportedType,
                    format!("'{}' takes its choices from a file attached to the form, which the web form does not load.", e.type_text),
                ))
                .col("type"));
            }
        }

        // Translations: a text given in some languages but not all.
        let shown = e.question_type().is_none_or(QuestionType::is_input);
        if shown && self.form.languages.len() > 1 {
            for (what, text) in [("label", &e.label), ("hint", &e.hint)] {
                if text.is_empty() {
                    continue;
                }
                let missing: Vec<&str> = self
                    .form
                    .languages
                    .iter()
                    .filter(|l| !text.0.contains_key(l.as_str()))
                    .map(String::as_str)
                    .collect();
                if !missing.is_empty() && !text.0.contains_key("") {
                    self.report.push(
                        at(Problem::warning(
                            Code::MissingTranslation,
                            format!(
                                "The {what} of '{}' has no translation in: {}.",
                                e.name,
                                missing.join(", ")
                            ),
                        ))
                        .col(what),
                    );
                }
            }
        }

        // Parameters.
        params::check(self.form, e, self.report);

        if let Some(trigger) = &e.trigger {
            self.trigger(e, trigger);
        }

        // References and expressions in every known column.
        for cell in &e.cells {
            if cell.key == "trigger" {
                continue;
            }
            let expression = is_expression_column(&cell.key)
                && (cell.key != "default" || is_dynamic(&cell.value));
            if expression || is_text_column(&cell.key) {
                self.references(cell, "survey", e.row, expression);
            }
        }
    }

    fn question(&mut self, e: &'a Element, t: &QuestionType) {
        let at = |p: Problem| p.at("survey", e.row);
        match t {
            QuestionType::SelectOne { list, or_other }
            | QuestionType::SelectMultiple { list, or_other } => {
                self.check_list(e, list, false);
                if *or_other && e.choice_filter.is_some() {
                    self.report.push(at(Problem::error(
                        Code::InvalidCombination,
                        "A choice_filter cannot be used with or_other. Remove or_other and add an 'other' choice to the list instead.",
                    ))
                    .col("choice_filter"));
                }
            }
            QuestionType::Rank { list } => self.check_list(e, list, false),
            QuestionType::SelectOneExternal { list } => self.check_list(e, list, true),
            QuestionType::SelectFromFile { file, .. } => {
                let lower = file.to_ascii_lowercase();
                if !(lower.ends_with(".csv")
                    || lower.ends_with(".xml")
                    || lower.ends_with(".geojson"))
                {
                    self.report.push(at(Problem::error(
                        Code::InvalidFileName,
                        format!(
                            "The file name '{file}' in '{}' must end with one of the supported extensions: .csv, .xml, .geojson.",
                            e.type_text
                        ),
                    ))
                    .col("type"));
                }
            }
            QuestionType::Media(m) if m == "background-geopoint" => {
                if e.trigger.is_none() {
                    self.report.push(at(Problem::error(
                        Code::InvalidCombination,
                        "A background-geopoint records the location when another question changes: name that question in the 'trigger' column.",
                    ))
                    .col("trigger"));
                }
                if e.calculation.is_some() {
                    self.report.push(at(Problem::error(
                        Code::InvalidCombination,
                        "A background-geopoint's value is the location: leave the 'calculation' column empty.",
                    ))
                    .col("calculation"));
                }
            }
            QuestionType::Calculate => {
                let dynamic_default = e.default.as_deref().is_some_and(is_dynamic);
                if e.calculation.is_none() && !dynamic_default {
                    self.report.push(at(Problem::error(
                        Code::MissingCalculation,
                        format!("The calculate '{}' has no calculation. Write the expression to compute in the 'calculation' column.", e.name),
                    ))
                    .col("calculation"));
                }
            }
            _ => {}
        }
        let needs_label = t.is_input()
            && !matches!(t, QuestionType::Media(m) if m.starts_with("background-"))
            && e.calculation.is_none()
            && e.trigger.is_none();
        if needs_label
            && e.label.is_empty()
            && e.hint.is_empty()
            && e.media.is_empty()
            && e.guidance_hint.is_empty()
        {
            self.report.push(at(Problem::error(
                Code::MissingLabel,
                format!("The question '{}' has no label or hint: the respondent would see nothing. Add a label.", e.name),
            ))
            .col("label"));
        }
    }

    /// `trigger`: a comma-separated list of `${name}` of questions the respondent answers;
    /// when one of them changes, this question's calculation runs again.
    fn trigger(&mut self, e: &Element, trigger: &str) {
        let err = |msg: String| {
            Problem::error(Code::UnknownReference, msg)
                .at("survey", e.row)
                .col("trigger")
        };
        for part in trigger.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            let refs = expr::references(part).unwrap_or_default();
            if refs.is_empty() {
                self.report.push(err(format!(
                    "'{part}' is not a reference: a trigger lists questions as ${{name}}, separated by commas."
                )));
                continue;
            }
            if refs.len() > 1 || !(part.starts_with("${") && part.ends_with('}')) {
                self.report.push(err(format!(
                    "'{part}': put a comma between the questions of a trigger, as in ${{a}}, ${{b}}."
                )));
                continue;
            }
            let name = &refs[0].name;
            let mut target = None;
            self.form.walk(|o| {
                if &o.name == name && target.is_none() {
                    target = Some(o);
                }
            });
            match target {
                None => self.report.push(err(format!("The trigger ${{{name}}} does not name any question on the 'survey' sheet."))),
                Some(t) if t.question_type().is_some_and(|q| !q.is_input()) => self.report.push(err(format!(
                    "The trigger ${{{name}}} is not shown to the respondent (it is a {}), so it can never change: use a question the respondent answers.",
                    t.type_text
                ))),
                _ => {}
            }
        }
    }

    fn check_list(&mut self, e: &Element, list: &str, external: bool) {
        let form = self.form;
        if list.starts_with("${") {
            // Choices from the answers of a repeat: the reference is checked like any other.
            let cell = Cell {
                column: "type".into(),
                key: "type".into(),
                lang: None,
                value: list.to_string(),
            };
            self.references(&cell, "survey", e.row, false);
            return;
        }
        let found = if external {
            form.external_choices.contains_key(list)
        } else {
            form.choices.contains_key(list)
        };
        if found
            || (!external
                && !form
                    .sheet_names
                    .iter()
                    .any(|s| s.eq_ignore_ascii_case("choices")))
        {
            // A missing sheet is reported once for the whole form.
            return;
        }
        if external
            && !form
                .sheet_names
                .iter()
                .any(|s| s.eq_ignore_ascii_case("external_choices"))
        {
            return;
        }
        let sheet = if external {
            "external_choices"
        } else {
            "choices"
        };
        self.report.push(
            Problem::error(
                Code::UnknownList,
                format!("The choice list '{list}' is not on the '{sheet}' sheet. Check the spelling in the type column and the list_name column."),
            )
            .at("survey", e.row)
            .col("type"),
        );
    }

    /// Checks every `${name}` in a cell, and that an expression column parses.
    fn references(&mut self, cell: &Cell, sheet: &str, row: usize, expression: bool) {
        let refs = match expr::references(&cell.value) {
            Ok(r) => r,
            Err(msg) => {
                self.report.push(
                    Problem::error(
                        Code::UnknownReference,
                        format!(
                            "{msg} A reference is written ${{name}}, with the name of a question."
                        ),
                    )
                    .at(sheet, row)
                    .col(&cell.column),
                );
                return;
            }
        };
        for r in refs {
            if r.last_saved {
                continue;
            }
            if r.name == "instanceID"
                && !self
                    .form
                    .settings
                    .all
                    .get("omit_instanceid")
                    .is_some_and(|v| crate::form::is_yes(v))
            {
                continue;
            }
            match self.counts.get(r.name.as_str()) {
                None => self.report.push(
                    Problem::error(
                        Code::UnknownReference,
                        format!("${{{}}} does not name any question on the 'survey' sheet.", r.name),
                    )
                    .at(sheet, row)
                    .col(&cell.column),
                ),
                Some(n) if *n > 1 => self.report.push(
                    Problem::error(
                        Code::AmbiguousReference,
                        format!(
                            "${{{}}} is ambiguous: {} elements are named '{}'. A name used in a reference must be unique in the whole survey.",
                            r.name, n, r.name
                        ),
                    )
                    .at(sheet, row)
                    .col(&cell.column),
                ),
                _ => {}
            }
        }
        if expression && let Err(err) = expr::parse(&cell.value) {
            self.report.push(
                Problem::error(
                    Code::InvalidExpression,
                    format!("The expression does not parse: {err}."),
                )
                .at(sheet, row)
                .col(&cell.column),
            );
        }
    }
}

fn is_simple_ref(s: &str) -> bool {
    let s = s.trim();
    s.starts_with("${")
        && s.ends_with('}')
        && s[2..s.len() - 1].chars().all(|c| c != '}' && c != '$')
}

/// A default that is an expression evaluated when the form opens (it references a
/// question or calls a function), rather than a literal value such as `2022-03-14` or a
/// geopoint.
fn is_dynamic(s: &str) -> bool {
    if s.contains("${") {
        return true;
    }
    let chars: Vec<char> = s.chars().collect();
    chars
        .windows(2)
        .any(|w| w[1] == '(' && (w[0].is_alphanumeric() || w[0] == '_'))
}

/// Columns holding expressions.
fn is_expression_column(key: &str) -> bool {
    matches!(
        key,
        "relevant"
            | "constraint"
            | "calculation"
            | "required"
            | "read_only"
            | "choice_filter"
            | "repeat_count"
            | "default"
    )
}

/// Columns holding text shown to people, in which `${name}` is replaced by an answer.
fn is_text_column(key: &str) -> bool {
    matches!(
        key,
        "label" | "hint" | "guidance_hint" | "constraint_message" | "required_message"
    ) || key.starts_with("media::")
}
