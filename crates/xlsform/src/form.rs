//! The typed form: settings, languages, nested elements and choice lists, built from a
//! [`Workbook`].
//!
//! Building never fails: a spreadsheet with mistakes still becomes a [`Form`] as close to
//! what the author meant as possible, and every structural mistake met on the way (an
//! unknown type, an unclosed group) is kept in [`Form::problems`] so that validation can
//! report it together with everything else.

use std::collections::BTreeMap;

use crate::report::{Code, Problem};
use crate::workbook::{Sheet, Workbook};

/// A text in every language the form gives it. The key is the language as written after
/// `::` in the header (`English (en)`), or the empty string for a column without language.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Text(pub BTreeMap<String, String>);

impl Text {
    /// The text in `lang`, else without language, else in any language.
    pub fn get(&self, lang: &str) -> Option<&str> {
        self.0
            .get(lang)
            .or_else(|| self.0.get(""))
            .or_else(|| self.0.values().next())
            .map(String::as_str)
    }
    /// True when no language has a text.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

/// One cell of a row with the header it came from, kept so validation can name the column
/// exactly as the author wrote it.
#[derive(Debug, Clone, PartialEq)]
pub struct Cell {
    /// The header as written (`label::Français (fr)`).
    pub column: String,
    /// The canonical column (`label`, `media::image`, `relevant`, or the header lowercased
    /// when XLSForm does not know it).
    pub key: String,
    /// The language part of the header, if any.
    pub lang: Option<String>,
    /// The trimmed value.
    pub value: String,
}

/// The form's settings sheet.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Settings {
    /// `form_id` (alias `id_string`).
    pub form_id: Option<String>,
    /// `form_title` (alias `title`).
    pub form_title: Option<String>,
    /// `version`.
    pub version: Option<String>,
    /// `default_language`.
    pub default_language: Option<String>,
    /// The survey's root element name (`name`), `data` when absent.
    pub name: Option<String>,
    /// Whether duplicate choice names are allowed (`allow_choice_duplicates`).
    pub allow_choice_duplicates: bool,
    /// Every setting, keys lowercased, values as written.
    pub all: BTreeMap<String, String>,
    /// The settings sheet's first data row number.
    pub row: Option<usize>,
}

/// What kind of container a group row opens.
#[derive(Debug, Clone, PartialEq)]
pub enum GroupKind {
    /// `begin group`: a set of questions shown together (a page, in our web client).
    Group,
    /// `begin repeat`: asked again for each item (each household member).
    Repeat,
    /// `begin loop over LIST`: a group repeated once per choice of a list.
    Loop {
        /// The choice list looped over.
        list: String,
    },
}

/// A question type.
#[derive(Debug, Clone, PartialEq)]
pub enum QuestionType {
    /// Free text.
    Text,
    /// Whole number.
    Integer,
    /// Number with decimals.
    Decimal,
    /// Calendar date.
    Date,
    /// Time of day.
    Time,
    /// Date and time.
    DateTime,
    /// Read-only text shown to the respondent.
    Note,
    /// A hidden value computed from `calculation`.
    Calculate,
    /// A checkbox to acknowledge (OK).
    Acknowledge,
    /// A number picked on a slider, see `parameters` start/end/step.
    Range,
    /// One point on a map.
    Geopoint,
    /// A line.
    Geotrace,
    /// A polygon.
    Geoshape,
    /// One choice from a list on the choices sheet.
    SelectOne {
        /// The `list_name`.
        list: String,
        /// `or_other`: an "Other" choice with a free-text follow-up.
        or_other: bool,
    },
    /// Any number of choices from a list.
    SelectMultiple {
        /// The `list_name`.
        list: String,
        /// `or_other`.
        or_other: bool,
    },
    /// Order the choices of a list.
    Rank {
        /// The `list_name`.
        list: String,
    },
    /// A select whose choices come from a file attached to the form.
    SelectFromFile {
        /// `select_multiple_from_file` rather than `select_one_from_file`.
        multiple: bool,
        /// The file name.
        file: String,
    },
    /// A select whose choices come from the `external_choices` sheet.
    SelectOneExternal {
        /// The `list_name`.
        list: String,
    },
    /// Media and device types we accept but do not collect on the web (image, audio,
    /// video, file, barcode, osm, background-*, ...), with the type name as written.
    Media(String),
    /// Metadata filled in by the client (start, end, today, deviceid, username, audit, ...).
    Metadata(String),
    /// An external secondary instance (`xml-external`, `csv-external`): no question.
    External(String),
    /// `hidden`: a value in the submission with no control.
    Hidden,
}

impl QuestionType {
    /// The choice list a select-like question uses, if any.
    pub fn list(&self) -> Option<&str> {
        match self {
            QuestionType::SelectOne { list, .. }
            | QuestionType::SelectMultiple { list, .. }
            | QuestionType::Rank { list }
            | QuestionType::SelectOneExternal { list } => Some(list),
            _ => None,
        }
    }
    /// True for questions the respondent sees and answers.
    pub fn is_input(&self) -> bool {
        !matches!(
            self,
            QuestionType::Calculate
                | QuestionType::Metadata(_)
                | QuestionType::External(_)
                | QuestionType::Hidden
        )
    }
}

/// A question, group or repeat.
#[derive(Debug, Clone, PartialEq)]
pub enum ElementKind {
    /// A question.
    Question(QuestionType),
    /// A group, repeat or loop, with its children in [`Element::children`].
    Group(GroupKind),
}

/// One row of the survey sheet (for a group or repeat: its `begin` row, with the rows up
/// to its `end` as children).
#[derive(Debug, Clone, PartialEq)]
pub struct Element {
    /// The spreadsheet row number of the row (the `begin` row for a group).
    pub row: usize,
    /// The `type` cell as written.
    pub type_text: String,
    /// What the row is.
    pub kind: ElementKind,
    /// `name` (empty when missing, which validation reports).
    pub name: String,
    /// `label`, per language.
    pub label: Text,
    /// `hint`, per language.
    pub hint: Text,
    /// `guidance_hint`, per language.
    pub guidance_hint: Text,
    /// `required`: `yes`/`true` or an expression.
    pub required: Option<String>,
    /// `required_message`, per language.
    pub required_message: Text,
    /// `relevant`: shown only when this is true.
    pub relevant: Option<String>,
    /// `constraint`: the answer (`.`) must make it true.
    pub constraint: Option<String>,
    /// `constraint_message`, per language.
    pub constraint_message: Text,
    /// `calculation`.
    pub calculation: Option<String>,
    /// `default`.
    pub default: Option<String>,
    /// `read_only`.
    pub read_only: Option<String>,
    /// `appearance`.
    pub appearance: Option<String>,
    /// `choice_filter`: which choices to offer, evaluated per choice.
    pub choice_filter: Option<String>,
    /// `parameters`, as written (`start=1 end=10 step=1`).
    pub parameters: Option<String>,
    /// `repeat_count`, for repeats.
    pub repeat_count: Option<String>,
    /// `trigger`.
    pub trigger: Option<String>,
    /// Media columns (`image`, `audio`, `video`, `big-image`), per language.
    pub media: BTreeMap<String, Text>,
    /// Every non-empty cell of the row, including columns XLSForm does not define.
    pub cells: Vec<Cell>,
    /// Children of a group or repeat, in order.
    pub children: Vec<Element>,
}

impl Element {
    /// The question type, if the element is a question.
    pub fn question_type(&self) -> Option<&QuestionType> {
        match &self.kind {
            ElementKind::Question(t) => Some(t),
            ElementKind::Group(_) => None,
        }
    }
    /// True for a repeat.
    pub fn is_repeat(&self) -> bool {
        matches!(self.kind, ElementKind::Group(GroupKind::Repeat))
    }
    /// Calls `f` on this element and every descendant, parents first.
    pub fn walk<'a>(&'a self, f: &mut impl FnMut(&'a Element)) {
        f(self);
        for c in &self.children {
            c.walk(f);
        }
    }
}

/// One choice of a list.
#[derive(Debug, Clone, PartialEq)]
pub struct Choice {
    /// The sheet it came from (`choices`, `external_choices`, `osm`).
    pub sheet: String,
    /// Spreadsheet row number.
    pub row: usize,
    /// The value stored in the answer.
    pub name: String,
    /// The label, per language.
    pub label: Text,
    /// Media columns, per language.
    pub media: BTreeMap<String, Text>,
    /// Every non-empty cell, including the extra columns that choice filters use.
    pub cells: Vec<Cell>,
}

impl Choice {
    /// The value of a column (`district`, used by choice filters), if present.
    pub fn value(&self, key: &str) -> Option<&str> {
        self.cells
            .iter()
            .find(|c| c.key == key)
            .map(|c| c.value.as_str())
    }
}

/// A named list of choices.
#[derive(Debug, Clone, PartialEq)]
pub struct ChoiceList {
    /// The `list_name`.
    pub name: String,
    /// The choices in sheet order.
    pub choices: Vec<Choice>,
}

/// A whole form.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Form {
    /// The settings sheet.
    pub settings: Settings,
    /// Languages used by translated columns, in first-seen order (`English (en)`).
    /// Empty for a form without translations.
    pub languages: Vec<String>,
    /// The top-level elements.
    pub root: Vec<Element>,
    /// Choice lists by name, from the choices sheet.
    pub choices: BTreeMap<String, ChoiceList>,
    /// Choice lists from the `external_choices` sheet.
    pub external_choices: BTreeMap<String, ChoiceList>,
    /// List names of the ODK Entities sheet (`entities`), usable as secondary instances.
    pub entity_lists: Vec<String>,
    /// Names of all sheets in the workbook, as written.
    pub sheet_names: Vec<String>,
    /// Headers of the survey sheet, as written.
    pub survey_headers: Vec<String>,
    /// Headers of the choices sheet, as written.
    pub choices_headers: Vec<String>,
    /// Structural problems met while building the form; [`crate::validate`] reports them.
    pub problems: Vec<Problem>,
}

impl Form {
    /// Calls `f` on every element, depth first in sheet order.
    pub fn walk<'a>(&'a self, mut f: impl FnMut(&'a Element)) {
        for e in &self.root {
            e.walk(&mut f);
        }
    }
    /// The element whose name is `name` (the first one, if the name is used twice).
    pub fn element(&self, name: &str) -> Option<&Element> {
        let mut found = None;
        self.walk(|e| {
            if found.is_none() && e.name == name {
                found = Some(e);
            }
        });
        found
    }
    /// The number of questions (groups and repeats not counted).
    pub fn question_count(&self) -> usize {
        let mut n = 0;
        self.walk(|e| {
            if e.question_type().is_some() {
                n += 1;
            }
        });
        n
    }
    /// A choice list from the choices or external_choices sheet.
    pub fn list(&self, name: &str) -> Option<&ChoiceList> {
        self.choices
            .get(name)
            .or_else(|| self.external_choices.get(name))
    }
}

// ---------------------------------------------------------------------------------------
// Headers

/// Columns whose header may carry a language (`label::Italiano (it)`).
const TRANSLATABLE: &[&str] = &[
    "label",
    "hint",
    "guidance_hint",
    "constraint_message",
    "required_message",
    "media::image",
    "media::big-image",
    "media::audio",
    "media::video",
];

/// The canonical column for a header's base (before the language).
fn canonical(base: &str) -> String {
    let lower = base.trim().to_ascii_lowercase();
    let s = match lower.as_str() {
        "caption" => "label",
        "value" => "name",
        "list name" => "list_name",
        "readonly" => "read_only",
        "jr:count" | "repeat count" => "repeat_count",
        "calculate" | "bind::calculate" => "calculation",
        "relevance" | "bind::relevant" => "relevant",
        "bind::constraint" => "constraint",
        "bind::required" => "required",
        "bind::jr:constraintmsg" | "jr:constraintmsg" | "constraint message" => {
            "constraint_message"
        }
        "bind::jr:requiredmsg" | "jr:requiredmsg" | "required message" => "required_message",
        "control::appearance" => "appearance",
        "choice filter" => "choice_filter",
        "image" | "media::image" => "media::image",
        "big-image" | "media::big-image" => "media::big-image",
        "audio" | "media::audio" => "media::audio",
        "video" | "media::video" => "media::video",
        "id_string" => "form_id",
        "title" => "form_title",
        "guidance hint" => "guidance_hint",
        _ => return lower,
    };
    s.to_string()
}

/// Splits a header into canonical key and language.
fn parse_header(header: &str) -> (String, Option<String>) {
    let h = header.trim();
    let whole = canonical(h);
    if TRANSLATABLE.contains(&whole.as_str()) || !h.contains(':') {
        return (whole, None);
    }
    if let Some((base, lang)) = h.split_once("::") {
        let base_key = canonical(base);
        if base_key == "media" {
            // media::image::English
            let (kind, lang) = match lang.split_once("::") {
                Some((k, l)) => (k, Some(l.trim().to_string())),
                None => (lang, None),
            };
            return (canonical(&format!("media::{kind}")), lang);
        }
        if TRANSLATABLE.contains(&base_key.as_str()) {
            return (base_key, Some(lang.trim().to_string()));
        }
        return (whole, None);
    }
    // Legacy single colon: label:en.
    if let Some((base, lang)) = h.split_once(':') {
        let base_key = canonical(base);
        if TRANSLATABLE.contains(&base_key.as_str()) {
            return (base_key, Some(lang.trim().to_string()));
        }
    }
    (whole, None)
}

/// A sheet's headers, parsed once.
struct Columns {
    cols: Vec<(String, String, Option<String>)>,
}

impl Columns {
    fn new(sheet: &Sheet) -> Self {
        Columns {
            cols: sheet
                .headers
                .iter()
                .map(|h| {
                    let (k, l) = parse_header(h);
                    (h.clone(), k, l)
                })
                .collect(),
        }
    }
    fn has(&self, key: &str) -> bool {
        self.cols.iter().any(|(_, k, _)| k == key)
    }
    /// Reports headers that are two spellings of one column (`name` and `value`).
    fn conflicts(&self, sheet: &str) -> Vec<Problem> {
        let mut seen: BTreeMap<(String, Option<String>), &str> = BTreeMap::new();
        let mut out = Vec::new();
        for (h, k, l) in &self.cols {
            if h.is_empty() {
                continue;
            }
            if let Some(first) = seen.insert((k.clone(), l.clone()), h)
                && !first.eq_ignore_ascii_case(h)
            {
                out.push(
                    Problem::error(
                        Code::DuplicateColumn,
                        format!(
                            "The columns '{first}' and '{h}' are different names for the same column. Rename or remove one of them."
                        ),
                    )
                    .sheet(sheet)
                    .col(h),
                );
            }
        }
        out
    }
    fn cells(&self, values: &[String]) -> Vec<Cell> {
        self.cols
            .iter()
            .zip(values)
            .filter(|((h, _, _), v)| !h.is_empty() && !v.trim().is_empty())
            .map(|((h, k, l), v)| Cell {
                column: h.clone(),
                key: k.clone(),
                lang: l.clone(),
                value: v.trim().to_string(),
            })
            .collect()
    }
}

fn first<'a>(cells: &'a [Cell], key: &str) -> Option<&'a str> {
    cells
        .iter()
        .find(|c| c.key == key && c.lang.is_none())
        .or_else(|| cells.iter().find(|c| c.key == key))
        .map(|c| c.value.as_str())
}

fn opt(cells: &[Cell], key: &str) -> Option<String> {
    first(cells, key).map(str::to_string)
}

fn text(cells: &[Cell], key: &str) -> Text {
    Text(
        cells
            .iter()
            .filter(|c| c.key == key)
            .map(|c| (c.lang.clone().unwrap_or_default(), c.value.clone()))
            .collect(),
    )
}

fn media(cells: &[Cell]) -> BTreeMap<String, Text> {
    let mut out: BTreeMap<String, Text> = BTreeMap::new();
    for c in cells {
        if let Some(kind) = c.key.strip_prefix("media::") {
            out.entry(kind.to_string())
                .or_default()
                .0
                .insert(c.lang.clone().unwrap_or_default(), c.value.clone());
        }
    }
    out
}

// ---------------------------------------------------------------------------------------
// Types

/// What a `type` cell says.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum RowType {
    Begin(GroupKind),
    End(GroupKind),
    Question(QuestionType),
}

const MEDIA: &[&str] = &[
    "image",
    "photo",
    "audio",
    "video",
    "file",
    "barcode",
    "background-audio",
    "background-geopoint",
    "osm",
];
const METADATA: &[&str] = &[
    "start",
    "end",
    "today",
    "deviceid",
    "imei",
    "subscriberid",
    "simserial",
    "phonenumber",
    "phone_number",
    "username",
    "email",
    "audit",
    "start-geopoint",
];

/// Parses a `type` cell. `Err` carries a message for an unknown type.
pub(crate) fn parse_type(raw: &str) -> Result<RowType, String> {
    let words: Vec<&str> = raw.split_whitespace().collect();
    let lower: Vec<String> = words.iter().map(|w| w.to_ascii_lowercase()).collect();
    let l: Vec<&str> = lower.iter().map(String::as_str).collect();
    let unknown = || Err(format!("Unknown question type '{raw}'."));
    match l.as_slice() {
        [] => return unknown(),
        ["begin_group"] | ["begin", "group"] => return Ok(RowType::Begin(GroupKind::Group)),
        ["begin_repeat"] | ["begin", "repeat"] => return Ok(RowType::Begin(GroupKind::Repeat)),
        ["end_group"] | ["end", "group"] => return Ok(RowType::End(GroupKind::Group)),
        ["end_repeat"] | ["end", "repeat"] => return Ok(RowType::End(GroupKind::Repeat)),
        ["end_loop"] | ["end", "loop"] => {
            return Ok(RowType::End(GroupKind::Loop {
                list: String::new(),
            }));
        }
        ["begin_loop", "over", _] | ["begin", "loop", "over", _] => {
            return Ok(RowType::Begin(GroupKind::Loop {
                list: words[words.len() - 1].to_string(),
            }));
        }
        _ => {}
    }
    // Select-like types: keyword, then the list or file name, then maybe or_other.
    const SELECTS: &[(&str, &str)] = &[
        ("select_one_from_file", "sof"),
        ("select one from file", "sof"),
        ("select_multiple_from_file", "smf"),
        ("select multiple from file", "smf"),
        ("select_one_external", "ext"),
        ("select one external", "ext"),
        ("select_one", "one"),
        ("select one", "one"),
        ("select1", "one"),
        ("select_multiple", "multi"),
        ("select multiple", "multi"),
        ("select all that apply", "multi"),
        ("select", "multi"),
        ("rank", "rank"),
        ("osm", "osm"),
    ];
    for (kw, what) in SELECTS {
        let n = kw.split(' ').count();
        if l.len() > n && l[..n].join(" ") == *kw {
            let rest = &words[n..];
            let or_other = rest.len() == 2 && rest[1].eq_ignore_ascii_case("or_other");
            if rest.len() > 2 || (rest.len() == 2 && !or_other) {
                return unknown();
            }
            let list = rest[0].to_string();
            return Ok(RowType::Question(match *what {
                "sof" => QuestionType::SelectFromFile {
                    multiple: false,
                    file: list,
                },
                "smf" => QuestionType::SelectFromFile {
                    multiple: true,
                    file: list,
                },
                "ext" => QuestionType::SelectOneExternal { list },
                "one" => QuestionType::SelectOne { list, or_other },
                "multi" => QuestionType::SelectMultiple { list, or_other },
                "rank" => QuestionType::Rank { list },
                _ => QuestionType::Media(format!("osm {list}")),
            }));
        }
    }
    if l.len() != 1 {
        // "select_one" with nothing after is a missing list, reported by validation.
        return unknown();
    }
    let w = l[0];
    let t = match w {
        "text" | "string" => QuestionType::Text,
        "integer" | "int" => QuestionType::Integer,
        "decimal" => QuestionType::Decimal,
        "date" => QuestionType::Date,
        "time" => QuestionType::Time,
        "datetime" => QuestionType::DateTime,
        "note" => QuestionType::Note,
        "calculate" => QuestionType::Calculate,
        "acknowledge" | "trigger" => QuestionType::Acknowledge,
        "range" => QuestionType::Range,
        "geopoint" | "gps" | "location" => QuestionType::Geopoint,
        "geotrace" => QuestionType::Geotrace,
        "geoshape" => QuestionType::Geoshape,
        "hidden" => QuestionType::Hidden,
        "xml-external" | "csv-external" => QuestionType::External(w.to_string()),
        "select_one"
        | "select_multiple"
        | "rank"
        | "select_one_from_file"
        | "select_multiple_from_file"
        | "select_one_external" => {
            return Err(format!(
                "The type '{raw}' needs the name of a choice list after it, e.g. '{raw} yes_no'."
            ));
        }
        _ if MEDIA.contains(&w) => QuestionType::Media(w.to_string()),
        _ if METADATA.contains(&w) => QuestionType::Metadata(w.to_string()),
        _ if w.starts_with("uri:") => QuestionType::Media(w.to_string()),
        _ => return unknown(),
    };
    Ok(RowType::Question(t))
}

// ---------------------------------------------------------------------------------------
// Building

/// Builds a form from a workbook.
pub fn build(wb: &Workbook) -> Form {
    let mut form = Form {
        sheet_names: wb.sheets.iter().map(|s| s.name.clone()).collect(),
        ..Form::default()
    };
    let mut langs: Vec<String> = Vec::new();
    let mut note_lang = |l: &Option<String>| {
        if let Some(l) = l
            && !langs.contains(l)
        {
            langs.push(l.clone());
        }
    };

    if let Some(sheet) = wb.sheet("settings") {
        form.settings = settings(sheet);
    }

    if let Some(sheet) = wb.sheet("choices") {
        form.choices_headers = sheet.headers.clone();
        let cols = Columns::new(sheet);
        for (_, _, l) in &cols.cols {
            note_lang(l);
        }
        form.choices = choice_lists(sheet, &cols, "choices", &mut form.problems);
    }
    if let Some(sheet) = wb.sheet("entities") {
        let cols = Columns::new(sheet);
        for row in &sheet.rows {
            if let Some(l) = first(&cols.cells(&row.cells), "list_name") {
                form.entity_lists.push(l.to_string());
            }
        }
    }
    if let Some(sheet) = wb.sheet("external_choices") {
        let cols = Columns::new(sheet);
        form.external_choices = choice_lists(sheet, &cols, "external_choices", &mut Vec::new());
    }

    let Some(sheet) = wb.sheet("survey") else {
        let similar: Vec<String> = wb
            .sheets
            .iter()
            .filter(|s| similar(&s.name, "survey"))
            .map(|s| format!("'{}'", s.name))
            .collect();
        let hint = if similar.is_empty() {
            String::new()
        } else {
            format!(
                " Sheets with similar names were found: {}; rename the right one to 'survey'.",
                similar.join(", ")
            )
        };
        form.problems.push(Problem::error(
            Code::MissingSheet,
            format!("The form must have a sheet named 'survey'.{hint}"),
        ));
        form.languages = langs;
        return form;
    };
    form.survey_headers = sheet.headers.clone();
    let cols = Columns::new(sheet);
    for (_, _, l) in &cols.cols {
        note_lang(l);
    }
    form.problems.extend(cols.conflicts("survey"));
    if !cols.has("type") {
        form.problems.push(
            Problem::error(
                Code::MissingColumn,
                "The 'survey' sheet has no 'type' column. Its first row must hold the column headers: type, name, label, ...",
            )
            .sheet("survey"),
        );
    }
    if !cols.has("name") && !sheet.rows.is_empty() {
        form.problems.push(
            Problem::error(
                Code::MissingColumn,
                "The 'survey' sheet has no 'name' column.",
            )
            .sheet("survey"),
        );
    }
    form.languages = langs;

    // A stack of open groups: (element, begin row).
    let mut stack: Vec<Element> = Vec::new();
    for row in &sheet.rows {
        let cells = cols.cells(&row.cells);
        let type_text = first(&cells, "type").unwrap_or("").to_string();
        if type_text.is_empty() {
            if !cells.is_empty() && cells.iter().any(|c| c.key == "name" || c.key == "label") {
                form.problems.push(
                    Problem::error(
                        Code::UnknownType,
                        "This row has no type. Give it a question type (text, integer, select_one LIST, ...) or delete it.",
                    )
                    .at("survey", row.number)
                    .col("type"),
                );
            }
            continue;
        }
        let parsed = match parse_type(&type_text) {
            Ok(t) => t,
            Err(msg) => {
                form.problems.push(
                    Problem::error(Code::UnknownType, msg)
                        .at("survey", row.number)
                        .col("type"),
                );
                continue;
            }
        };
        let name = first(&cells, "name").unwrap_or("").to_string();
        match parsed {
            RowType::End(kind) => {
                let matches = |open: &Element| match (&open.kind, &kind) {
                    (ElementKind::Group(GroupKind::Loop { .. }), GroupKind::Loop { .. }) => true,
                    (ElementKind::Group(a), b) => a == b,
                    _ => false,
                };
                match stack.last() {
                    Some(open) if matches(open) => {
                        let done = stack.pop().expect("checked");
                        push(&mut stack, &mut form.root, done);
                    }
                    _ => {
                        let what = kind_word(&kind);
                        form.problems.push(
                            Problem::error(
                                Code::UnmatchedGroup,
                                format!(
                                    "'end {what}'{} has no matching 'begin {what}' above it.{}",
                                    if name.is_empty() {
                                        String::new()
                                    } else {
                                        format!(" for '{name}'")
                                    },
                                    match stack.last() {
                                        Some(open) => format!(
                                            " The innermost open container is '{}' (row {}).",
                                            open.name, open.row
                                        ),
                                        None => String::new(),
                                    }
                                ),
                            )
                            .at("survey", row.number)
                            .col("type"),
                        );
                    }
                }
            }
            RowType::Begin(kind) => {
                stack.push(element(
                    row.number,
                    type_text,
                    ElementKind::Group(kind),
                    name,
                    cells,
                ));
            }
            RowType::Question(t) => {
                let e = element(row.number, type_text, ElementKind::Question(t), name, cells);
                push(&mut stack, &mut form.root, e);
            }
        }
    }
    while let Some(open) = stack.pop() {
        let what = match &open.kind {
            ElementKind::Group(k) => kind_word(k),
            ElementKind::Question(_) => "group",
        };
        form.problems.push(
            Problem::error(
                Code::UnmatchedGroup,
                format!(
                    "'begin {what}' '{}' is never closed: add an 'end {what}' row after its last question.",
                    open.name
                ),
            )
            .at("survey", open.row)
            .col("type"),
        );
        push(&mut stack, &mut form.root, open);
    }
    form
}

fn kind_word(k: &GroupKind) -> &'static str {
    match k {
        GroupKind::Group => "group",
        GroupKind::Repeat => "repeat",
        GroupKind::Loop { .. } => "loop",
    }
}

fn push(stack: &mut [Element], root: &mut Vec<Element>, e: Element) {
    match stack.last_mut() {
        Some(parent) => parent.children.push(e),
        None => root.push(e),
    }
}

fn element(
    row: usize,
    type_text: String,
    kind: ElementKind,
    name: String,
    cells: Vec<Cell>,
) -> Element {
    Element {
        row,
        type_text,
        kind,
        name,
        label: text(&cells, "label"),
        hint: text(&cells, "hint"),
        guidance_hint: text(&cells, "guidance_hint"),
        required: opt(&cells, "required"),
        required_message: text(&cells, "required_message"),
        relevant: opt(&cells, "relevant"),
        constraint: opt(&cells, "constraint"),
        constraint_message: text(&cells, "constraint_message"),
        calculation: opt(&cells, "calculation"),
        default: opt(&cells, "default"),
        read_only: opt(&cells, "read_only"),
        appearance: opt(&cells, "appearance"),
        choice_filter: opt(&cells, "choice_filter"),
        parameters: opt(&cells, "parameters"),
        repeat_count: opt(&cells, "repeat_count"),
        trigger: opt(&cells, "trigger"),
        media: media(&cells),
        cells,
        children: Vec::new(),
    }
}

fn settings(sheet: &Sheet) -> Settings {
    let mut s = Settings::default();
    let Some(row) = sheet.rows.first() else {
        return s;
    };
    s.row = Some(row.number);
    for (h, v) in sheet.headers.iter().zip(&row.cells) {
        let v = v.trim();
        if h.is_empty() || v.is_empty() {
            continue;
        }
        let key = canonical(h);
        s.all.insert(key.clone(), v.to_string());
        match key.as_str() {
            "form_id" => s.form_id = Some(v.to_string()),
            "form_title" => s.form_title = Some(v.to_string()),
            "version" => s.version = Some(v.to_string()),
            "default_language" => s.default_language = Some(v.to_string()),
            "name" => s.name = Some(v.to_string()),
            "allow_choice_duplicates" => s.allow_choice_duplicates = is_yes(v),
            _ => {}
        }
    }
    s
}

/// XLSForm's spellings of "yes" in boolean columns.
pub(crate) fn is_yes(v: &str) -> bool {
    matches!(
        v.trim().to_ascii_lowercase().as_str(),
        "yes" | "true" | "true()" | "1"
    )
}

fn choice_lists(
    sheet: &Sheet,
    cols: &Columns,
    sheet_name: &str,
    problems: &mut Vec<Problem>,
) -> BTreeMap<String, ChoiceList> {
    problems.extend(cols.conflicts(sheet_name));
    let mut lists: BTreeMap<String, ChoiceList> = BTreeMap::new();
    for row in &sheet.rows {
        let cells = cols.cells(&row.cells);
        let Some(list) = first(&cells, "list_name").map(str::to_string) else {
            continue;
        };
        let choice = Choice {
            sheet: sheet_name.to_string(),
            row: row.number,
            name: first(&cells, "name").unwrap_or("").to_string(),
            label: text(&cells, "label"),
            media: media(&cells),
            cells,
        };
        lists
            .entry(list.clone())
            .or_insert_with(|| ChoiceList {
                name: list.clone(),
                choices: Vec::new(),
            })
            .choices
            .push(choice);
    }
    lists
}

/// True when `name` looks like a misspelling of `target` (a sheet named `surveys`,
/// `Surve` or `sruvey` for `survey`): same letters give or take one or two edits.
pub(crate) fn similar(name: &str, target: &str) -> bool {
    let a: Vec<char> = name.trim().to_lowercase().chars().collect();
    let b: Vec<char> = target.chars().collect();
    if a == b {
        return false;
    }
    // Levenshtein with adjacent transpositions.
    let mut d = vec![vec![0usize; b.len() + 1]; a.len() + 1];
    for (i, row) in d.iter_mut().enumerate() {
        row[0] = i;
    }
    for (j, cell) in d[0].iter_mut().enumerate() {
        *cell = j;
    }
    for i in 1..=a.len() {
        for j in 1..=b.len() {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            d[i][j] = (d[i - 1][j] + 1)
                .min(d[i][j - 1] + 1)
                .min(d[i - 1][j - 1] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                d[i][j] = d[i][j].min(d[i - 2][j - 2] + 1);
            }
        }
    }
    d[a.len()][b.len()] <= 2
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn headers_split_language_and_aliases() {
        assert_eq!(
            parse_header("label::English (en)"),
            ("label".into(), Some("English (en)".into()))
        );
        assert_eq!(parse_header("caption"), ("label".into(), None));
        assert_eq!(
            parse_header("media::image::eng"),
            ("media::image".into(), Some("eng".into()))
        );
        assert_eq!(parse_header("image"), ("media::image".into(), None));
        assert_eq!(
            parse_header("label:fr"),
            ("label".into(), Some("fr".into()))
        );
        assert_eq!(parse_header("jr:count"), ("repeat_count".into(), None));
        assert_eq!(
            parse_header("body:esri:style"),
            ("body:esri:style".into(), None)
        );
    }

    #[test]
    fn types_parse() {
        assert_eq!(
            parse_type("select_one yn or_other"),
            Ok(RowType::Question(QuestionType::SelectOne {
                list: "yn".into(),
                or_other: true
            }))
        );
        assert_eq!(
            parse_type("begin group"),
            Ok(RowType::Begin(GroupKind::Group))
        );
        assert_eq!(
            parse_type("end"),
            Ok(RowType::Question(QuestionType::Metadata("end".into())))
        );
        assert_eq!(
            parse_type("dateTime"),
            Ok(RowType::Question(QuestionType::DateTime))
        );
        assert!(parse_type("begin").is_err());
        assert!(parse_type("begin dancing").is_err());
    }

    #[test]
    fn misspellings() {
        assert!(similar("surveys", "survey"));
        assert!(similar("sruvey", "survey"));
        assert!(similar("Surve", "survey"));
        assert!(!similar("settings", "survey"));
    }
}
