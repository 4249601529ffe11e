//! Exports of a version's completed submissions: CSV (streamed page by page as it is read)
//! and XLSX (written row by row in constant memory), with question names or labels in any
//! of the form's languages, select_multiple as one column or as one 0/1 column per choice,
//! and (XLSX) each repeat on a sheet of its own, linked to the main sheet by row index and
//! submission id; a repeat inside a repeat also by `_parent_index`, the row of the enclosing
//! instance on its repeat's sheet. The CSV is one sheet: the main one, or a repeat's with
//! `?repeat=name` (the survey's page links each).
//!
//! Answers are untrusted text: in the CSV every text cell goes through
//! [`spreadsheet_safe`] (a leading `=`, `+`, `-`, `@`… gets a `'`), and in the XLSX text is
//! only ever written with `write_string`, a string cell no spreadsheet evaluates.

use crocevia_core::desk::audit::AuditAction;
use std::sync::Arc;

use axum::body::{Body, Bytes};
use axum::extract::{Path, Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use crocevia_core::spreadsheet::spreadsheet_safe;
use crocevia_store::survey::{Submission, SubmissionStatus};
use crocevia_xlsform::fill::{or_other, other_name};
use crocevia_xlsform::{Form, QuestionType};
use serde::Deserialize;
use serde_json::Value as Json;

use super::analysis::analysed;
use super::{form_language, form_of};
use crate::AppState;
use crate::error::{AppError, ErrorCode};
use crate::kit::Denied;
use crate::kit::SurveyManager;
use crocevia_app::survey::{each_submission, questions, text};

#[derive(Debug, Default, Deserialize, Clone)]
#[serde(default)]
pub struct ExportParams {
    /// `names` (default), or a form language code for labels (`it`, `ar`, …).
    pub labels: String,
    /// `joined` (default): a select_multiple in one column; `split`: one 0/1 column per choice.
    pub multiple: String,
    /// CSV only: the name of a repeat, for its sheet instead of the main one.
    pub repeat: String,
}

/// Where a column's value comes from.
#[derive(Debug, Clone)]
enum Source {
    Id,
    Started,
    Completed,
    Language,
    /// The answer to a question; `numeric` for integer and decimal answers.
    Answer {
        name: String,
        numeric: bool,
        choices: Option<Vec<(String, String)>>,
    },
    /// 1 when the select_multiple has the choice, 0 when answered without it.
    Choice {
        name: String,
        choice: String,
    },
}

#[derive(Debug, Clone)]
struct Column {
    header: String,
    source: Source,
}

/// A value to write.
pub enum Value {
    Text(String),
    Number(f64),
    Empty,
}

/// The columns of the main sheet (`repeat` None) or of one repeat's sheet.
fn columns(form: &Form, repeat: Option<&str>, params: &ExportParams) -> Vec<Column> {
    let lang = if params.labels.is_empty() || params.labels == "names" {
        None
    } else {
        Some(form_language(form, &params.labels, None))
    };
    let split = params.multiple == "split";
    let label = |t: &crocevia_xlsform::Text, name: &str| match &lang {
        Some(l) => t
            .get(l)
            .filter(|s| !s.is_empty())
            .unwrap_or(name)
            .to_owned(),
        None => name.to_owned(),
    };
    let mut out = Vec::new();
    if repeat.is_none() {
        for (header, source) in [
            ("_id", Source::Id),
            ("_started", Source::Started),
            ("_completed", Source::Completed),
            ("_language", Source::Language),
        ] {
            out.push(Column {
                header: header.into(),
                source,
            });
        }
    }
    for q in questions(form) {
        if q.repeat != repeat {
            continue;
        }
        let el = q.element;
        let header = label(&el.label, &el.name);
        let choices = el
            .question_type()
            .and_then(QuestionType::list)
            .and_then(|l| form.list(l))
            .map(|l| {
                l.choices
                    .iter()
                    .map(|c| (c.name.clone(), label(&c.label, &c.name)))
                    .collect::<Vec<_>>()
            });
        let multiple = matches!(
            el.question_type(),
            Some(QuestionType::SelectMultiple { .. })
        );
        if multiple && split {
            let mut all = choices.clone().unwrap_or_default();
            if or_other(el) {
                all.push(("other".into(), "other".into()));
            }
            for (name, choice_label) in all {
                out.push(Column {
                    header: format!(
                        "{header}/{}",
                        if lang.is_some() { &choice_label } else { &name }
                    ),
                    source: Source::Choice {
                        name: el.name.clone(),
                        choice: name,
                    },
                });
            }
        } else {
            out.push(Column {
                header,
                source: Source::Answer {
                    name: el.name.clone(),
                    numeric: matches!(
                        el.question_type(),
                        Some(QuestionType::Integer | QuestionType::Decimal | QuestionType::Range)
                    ),
                    choices: if lang.is_some() { choices } else { None },
                },
            });
        }
        if or_other(el) {
            let name = other_name(&el.name);
            out.push(Column {
                header: name.clone(),
                source: Source::Answer {
                    name,
                    numeric: false,
                    choices: None,
                },
            });
        }
    }
    out
}

fn value(column: &Column, sub: &Submission, answers: &serde_json::Map<String, Json>) -> Value {
    let time =
        |t: chrono::DateTime<chrono::Utc>| Value::Text(t.format("%Y-%m-%dT%H:%M:%SZ").to_string());
    match &column.source {
        Source::Id => Value::Text(sub.id.clone()),
        Source::Started => time(sub.started_at),
        Source::Completed => sub.completed_at.map_or(Value::Empty, time),
        Source::Language => Value::Text(sub.language.clone()),
        Source::Answer {
            name,
            numeric,
            choices,
        } => {
            let v = text(answers.get(name));
            if v.is_empty() {
                return Value::Empty;
            }
            if *numeric && let Ok(n) = v.parse::<f64>() {
                return Value::Number(n);
            }
            match choices {
                Some(list) => Value::Text(
                    v.split_whitespace()
                        .map(|c| {
                            list.iter()
                                .find(|(n, _)| n == c)
                                .map_or(c, |(_, l)| l.as_str())
                        })
                        .collect::<Vec<_>>()
                        .join("; "),
                ),
                None => Value::Text(v),
            }
        }
        Source::Choice { name, choice } => {
            let v = text(answers.get(name));
            if v.is_empty() {
                Value::Empty
            } else {
                Value::Number(if v.split_whitespace().any(|c| c == choice) {
                    1.0
                } else {
                    0.0
                })
            }
        }
    }
}

fn empty_map() -> &'static serde_json::Map<String, Json> {
    static EMPTY: std::sync::OnceLock<serde_json::Map<String, Json>> = std::sync::OnceLock::new();
    EMPTY.get_or_init(serde_json::Map::new)
}

fn file_name(form_id: &str, number: u32, ext: &str) -> String {
    let safe: String = form_id
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                c
            } else {
                '_'
            }
        })
        .collect();
    format!("{safe}-v{number}.{ext}")
}

/// `GET /{lang}/surveys/{id}/versions/{number}/export.csv`: the main sheet, streamed.
pub async fn csv(
    State(state): State<AppState>,
    Path((_, id, number)): Path<(String, String, u32)>,
    Query(params): Query<ExportParams>,
    SurveyManager {
        language,
        user,
        actor,
        ..
    }: SurveyManager,
) -> Result<Response, AppError> {
    let Some((_, version)) = analysed(&state, &user, &id, number).await? else {
        return Ok(Denied::NotFound.page(language));
    };
    crate::audit_trail::record(
        state.store.as_ref(),
        state.clock.now(),
        actor,
        AuditAction::Export,
        crate::audit_trail::SURVEY,
        &id,
        &format!("version {number} csv"),
    )
    .await?;
    let form = form_of(&state, &version).await?;
    let (body, file) = if params.repeat.is_empty() {
        let stream = csv_stream(state.store.clone(), &form, &version.id, &params);
        (
            Body::from_stream(stream),
            file_name(&version.form_id, version.number, "csv"),
        )
    } else {
        let Some(bytes) = repeat_csv(state.store.as_ref(), &form, &version.id, &params).await?
        else {
            return Ok(Denied::NotFound.page(language));
        };
        let stem = format!("{}-{}", version.form_id, params.repeat);
        (Body::from(bytes), file_name(&stem, version.number, "csv"))
    };
    Ok((
        StatusCode::OK,
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_owned()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{file}\""),
            ),
        ],
        body,
    )
        .into_response())
}

/// The main sheet of a version's completed submissions as CSV, read and written a page of
/// 1,000 submissions at a time.
pub fn csv_stream(
    store: Arc<dyn crocevia_store::Store>,
    form: &Form,
    version_id: &str,
    params: &ExportParams,
) -> impl futures::Stream<Item = Result<Bytes, std::io::Error>> + Send + 'static {
    let cols = Arc::new(columns(form, None, params));
    let header = {
        let bom = crocevia_core::spreadsheet::SPREADSHEET_BOM
            .as_bytes()
            .to_vec();
        let mut w = csv::Writer::from_writer(bom);
        let _ = w.write_record(
            cols.iter()
                .map(|c| spreadsheet_safe(&c.header).into_owned()),
        );
        w.into_inner().unwrap_or_default()
    };
    let version_id = version_id.to_owned();
    // Each step reads one page of submissions and yields it as CSV.
    let pages = futures::stream::unfold((Some(String::new()), false), move |(after, done)| {
        let store = store.clone();
        let version_id = version_id.clone();
        let cols = cols.clone();
        async move {
            if done {
                return None;
            }
            let after = after?;
            let page = match store
                .submissions(
                    &version_id,
                    SubmissionStatus::Complete,
                    Some(after.as_str()).filter(|a| !a.is_empty()),
                    1000,
                )
                .await
            {
                Ok(p) => p,
                Err(e) => return Some((Err(std::io::Error::other(e.to_string())), (None, true))),
            };
            let mut w = csv::Writer::from_writer(Vec::new());
            for s in &page {
                let answers = s.answers.as_object().unwrap_or(empty_map());
                let record: Vec<String> = cols
                    .iter()
                    .map(|c| csv_cell(value(c, s, answers)))
                    .collect();
                if let Err(e) = w.write_record(&record) {
                    return Some((Err(std::io::Error::other(e.to_string())), (None, true)));
                }
            }
            let bytes = w.into_inner().unwrap_or_default();
            let next = page.last().map(|s| s.id.clone());
            let done = page.len() < 1000;
            Some((
                Ok::<Bytes, std::io::Error>(Bytes::from(bytes)),
                (next, done),
            ))
        }
    });
    let head =
        futures::stream::once(async move { Ok::<Bytes, std::io::Error>(Bytes::from(header)) });
    futures::StreamExt::chain(head, pages)
}

/// `GET /{lang}/surveys/{id}/versions/{number}/export.xlsx`: the main sheet and one sheet per
/// repeat (`_index` is the row of the main sheet's submission, `_submission` its id).
pub async fn xlsx(
    State(state): State<AppState>,
    Path((_, id, number)): Path<(String, String, u32)>,
    Query(params): Query<ExportParams>,
    SurveyManager {
        language,
        user,
        actor,
        ..
    }: SurveyManager,
) -> Result<Response, AppError> {
    let Some((_, version)) = analysed(&state, &user, &id, number).await? else {
        return Ok(Denied::NotFound.page(language));
    };
    crate::audit_trail::record(
        state.store.as_ref(),
        state.clock.now(),
        actor,
        AuditAction::Export,
        crate::audit_trail::SURVEY,
        &id,
        &format!("version {number} xlsx"),
    )
    .await?;
    let form = form_of(&state, &version).await?;
    let bytes = write_xlsx(&state, &form, &version.id, &params).await?;
    Ok((
        StatusCode::OK,
        [
            (
                header::CONTENT_TYPE,
                "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet".to_owned(),
            ),
            (
                header::CONTENT_DISPOSITION,
                format!(
                    "attachment; filename=\"{}\"",
                    file_name(&version.form_id, version.number, "xlsx")
                ),
            ),
        ],
        bytes,
    )
        .into_response())
}

/// One repeat's sheet.
struct RepeatSheet {
    name: String,
    /// The sheet (index in the list of repeat sheets) of the enclosing repeat.
    parent: Option<usize>,
    children: Vec<usize>,
    columns: Vec<Column>,
}

/// The repeats of a form at every level, in sheet order (each before those inside it).
fn repeat_sheets(form: &Form, params: &ExportParams) -> Vec<RepeatSheet> {
    fn visit(
        el: &crocevia_xlsform::Element,
        parent: Option<usize>,
        form: &Form,
        params: &ExportParams,
        out: &mut Vec<RepeatSheet>,
    ) {
        if !matches!(el.kind, crocevia_xlsform::ElementKind::Group(_)) {
            return;
        }
        let mut inner = parent;
        if el.is_repeat() && !out.iter().any(|s| s.name == el.name) {
            let index = out.len();
            out.push(RepeatSheet {
                name: el.name.clone(),
                parent,
                children: Vec::new(),
                columns: columns(form, Some(&el.name), params),
            });
            if let Some(p) = parent {
                out[p].children.push(index);
            }
            inner = Some(index);
        }
        for c in &el.children {
            visit(c, inner, form, params, out);
        }
    }
    let mut out = Vec::new();
    for el in &form.root {
        visit(el, None, form, params, &mut out);
    }
    out
}

/// The cell a CSV holds for a value: text made safe for spreadsheets (an answer is anyone's
/// text: never a formula), numbers as the form writes them.
fn csv_cell(value: Value) -> String {
    match value {
        Value::Text(t) => spreadsheet_safe(&t).into_owned(),
        Value::Number(n) => crocevia_xlsform::expr::num_to_string(n),
        Value::Empty => String::new(),
    }
}

/// A repeat sheet's header: the link columns, then its questions.
fn repeat_header(sheet: &RepeatSheet) -> Vec<String> {
    let mut header: Vec<String> = ["_index", "_submission", "_instance"]
        .map(str::to_owned)
        .to_vec();
    if sheet.parent.is_some() {
        header.push("_parent_index".into());
    }
    header.extend(sheet.columns.iter().map(|c| c.header.clone()));
    header
}

/// Hands `emit` every row of every repeat sheet one submission fills — `(sheet, row on that
/// sheet, cells)` — in sheet-row order: the instances of sheet `k` in `items`, each followed
/// by those of the repeats inside it. `rows` counts each sheet's rows so far.
#[allow(clippy::too_many_arguments)]
fn each_instance<E>(
    sheets: &[RepeatSheet],
    rows: &mut [u32],
    k: usize,
    items: &[Json],
    sub: &Submission,
    main_row: u32,
    parent_row: Option<u32>,
    emit: &mut dyn FnMut(usize, u32, Vec<Value>) -> Result<(), E>,
) -> Result<(), E> {
    for (i, item) in items.iter().enumerate() {
        let Some(obj) = item.as_object() else {
            continue;
        };
        rows[k] += 1;
        let row = rows[k];
        let mut cells = vec![
            Value::Number(f64::from(main_row + 1)),
            Value::Text(sub.id.clone()),
            Value::Number((i + 1) as f64),
        ];
        if let Some(p) = parent_row {
            cells.push(Value::Number(f64::from(p + 1)));
        }
        cells.extend(sheets[k].columns.iter().map(|col| value(col, sub, obj)));
        emit(k, row, cells)?;
        for &child in &sheets[k].children {
            let inner = obj
                .get(&sheets[child].name)
                .and_then(Json::as_array)
                .map(Vec::as_slice)
                .unwrap_or_default();
            each_instance(sheets, rows, child, inner, sub, main_row, Some(row), emit)?;
        }
    }
    Ok(())
}

/// Every repeat row of one submission (its main sheet row is `main_row`), as [`each_instance`].
fn each_repeat_row<E>(
    sheets: &[RepeatSheet],
    rows: &mut [u32],
    sub: &Submission,
    main_row: u32,
    emit: &mut dyn FnMut(usize, u32, Vec<Value>) -> Result<(), E>,
) -> Result<(), E> {
    let answers = sub.answers.as_object().unwrap_or(empty_map());
    for (k, sheet) in sheets.iter().enumerate() {
        if sheet.parent.is_some() {
            continue;
        }
        let items = answers
            .get(&sheet.name)
            .and_then(Json::as_array)
            .map(Vec::as_slice)
            .unwrap_or_default();
        each_instance(sheets, rows, k, items, sub, main_row, None, emit)?;
    }
    Ok(())
}

/// One repeat's sheet of a version's completed submissions as CSV, with its link columns
/// (`_index` the row of the submission on the main sheet, `_parent_index` the row of the
/// enclosing instance on its repeat's CSV). `None` when the form has no such repeat.
pub async fn repeat_csv(
    store: &dyn crocevia_store::Store,
    form: &Form,
    version_id: &str,
    params: &ExportParams,
) -> Result<Option<Vec<u8>>, AppError> {
    let sheets = repeat_sheets(form, params);
    let Some(target) = sheets.iter().position(|s| s.name == params.repeat) else {
        return Ok(None);
    };
    let bom = crocevia_core::spreadsheet::SPREADSHEET_BOM
        .as_bytes()
        .to_vec();
    let mut w = csv::Writer::from_writer(bom);
    let header = repeat_header(&sheets[target]);
    let csv_error = |e: csv::Error| {
        AppError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            ErrorCode::ExportFailed,
            format!("the CSV export failed: {e}"),
        )
    };
    w.write_record(&header).map_err(csv_error)?;
    let mut rows = vec![0u32; sheets.len()];
    let mut main_row = 0u32;
    let mut failure = None;
    each_submission(store, version_id, |s| {
        main_row += 1;
        let mut emit = |k: usize, _row: u32, cells: Vec<Value>| {
            if k == target {
                w.write_record(cells.into_iter().map(csv_cell))?;
            }
            Ok(())
        };
        if let Err(e) = each_repeat_row(&sheets, &mut rows, s, main_row, &mut emit) {
            failure.get_or_insert(e);
        }
    })
    .await?;
    if let Some(e) = failure {
        return Err(csv_error(e));
    }
    w.into_inner()
        .map(Some)
        .map_err(|e| csv_error(e.into_error().into()))
}

/// The names of a form's repeats, in sheet order (for the links to their CSVs).
pub fn repeat_names(form: &Form) -> Vec<String> {
    repeat_sheets(form, &ExportParams::default())
        .into_iter()
        .map(|s| s.name)
        .collect()
}

/// Builds the workbook: rows are written as pages of submissions are read, each sheet in
/// constant memory (rows go to a temporary file, not to memory).
pub async fn write_xlsx(
    state: &AppState,
    form: &Form,
    version_id: &str,
    params: &ExportParams,
) -> Result<Vec<u8>, AppError> {
    use rust_xlsxwriter::Workbook;
    let xlsx_error = |e: rust_xlsxwriter::XlsxError| {
        AppError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            ErrorCode::ExportFailed,
            format!("the XLSX export failed: {e}"),
        )
    };
    let main_cols = columns(form, None, params);
    let sheets = repeat_sheets(form, params);
    let mut workbook = Workbook::new();
    let sheet_name = |s: &str| {
        s.chars()
            .filter(|c| !"[]:*?/\\".contains(*c))
            .take(31)
            .collect::<String>()
    };
    {
        let ws = workbook
            .add_worksheet_with_constant_memory()
            .map_err(xlsx_error)?;
        ws.set_name(sheet_name(
            form.settings.form_id.as_deref().unwrap_or("survey"),
        ))
        .map_err(xlsx_error)?;
        for (c, col) in main_cols.iter().enumerate() {
            ws.write_string(0, c as u16, &col.header)
                .map_err(xlsx_error)?;
        }
    }
    for sheet in &sheets {
        let ws = workbook
            .add_worksheet_with_constant_memory()
            .map_err(xlsx_error)?;
        ws.set_name(sheet_name(&sheet.name)).map_err(xlsx_error)?;
        for (c, header) in repeat_header(sheet).iter().enumerate() {
            ws.write_string(0, c as u16, header).map_err(xlsx_error)?;
        }
    }
    let mut main_row: u32 = 0;
    let mut repeat_rows = vec![0u32; sheets.len()];
    let mut failure = None;
    each_submission(state.store.as_ref(), version_id, |s| {
        if failure.is_some() {
            return;
        }
        main_row += 1;
        let answers = s.answers.as_object().unwrap_or(empty_map());
        let result = (|| -> Result<(), rust_xlsxwriter::XlsxError> {
            let ws = workbook.worksheet_from_index(0)?;
            for (c, col) in main_cols.iter().enumerate() {
                write(ws, main_row, c as u16, value(col, s, answers))?;
            }
            let mut emit = |k: usize, row: u32, cells: Vec<Value>| {
                let ws = workbook.worksheet_from_index(k + 1)?;
                for (c, cell) in cells.into_iter().enumerate() {
                    write(ws, row, c as u16, cell)?;
                }
                Ok(())
            };
            each_repeat_row::<rust_xlsxwriter::XlsxError>(
                &sheets,
                &mut repeat_rows,
                s,
                main_row,
                &mut emit,
            )?;
            Ok(())
        })();
        if let Err(e) = result {
            failure = Some(e);
        }
    })
    .await?;
    if let Some(e) = failure {
        return Err(xlsx_error(e));
    }
    workbook.save_to_buffer().map_err(xlsx_error)
}

fn write(
    ws: &mut rust_xlsxwriter::Worksheet,
    row: u32,
    col: u16,
    value: Value,
) -> Result<(), rust_xlsxwriter::XlsxError> {
    match value {
        Value::Text(t) => ws.write_string(row, col, t).map(|_| ()),
        Value::Number(n) => ws.write_number(row, col, n).map(|_| ()),
        Value::Empty => Ok(()),
    }
}
