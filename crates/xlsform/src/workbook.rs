//! The raw spreadsheet: sheets of text cells with their spreadsheet row numbers.
//!
//! Everything above this module works on [`Workbook`], so the XLSX and the CSV readers only
//! have to agree on one thing: every cell becomes text, and every row keeps the number a form
//! author sees in their spreadsheet program (the header is row 1). Error messages quote those
//! numbers, so they must survive blank rows and leading empty rows.

use std::io::Cursor;
use std::path::Path;

use calamine::{Data, Reader};

use crate::error::ReadError;

/// A whole workbook as text.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Workbook {
    /// The sheets in workbook order.
    pub sheets: Vec<Sheet>,
}

/// One sheet: the header row and the data rows below it.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Sheet {
    /// The sheet's name as written in the workbook (case kept).
    pub name: String,
    /// The header cells, trimmed, in column order (empty for a blank header cell).
    pub headers: Vec<String>,
    /// Data rows with at least one non-blank cell.
    pub rows: Vec<RawRow>,
}

/// One data row.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct RawRow {
    /// The spreadsheet row number, 1-based, the header being row 1 in a normal sheet.
    pub number: usize,
    /// The cells, aligned with [`Sheet::headers`]; missing trailing cells are empty.
    pub cells: Vec<String>,
}

impl Workbook {
    /// The sheet whose name is `name`, ignoring case (XLSForm sheet names are
    /// case-insensitive in practice: `Survey` works as well as `survey`).
    pub fn sheet(&self, name: &str) -> Option<&Sheet> {
        self.sheets
            .iter()
            .find(|s| s.name.trim().eq_ignore_ascii_case(name))
    }
}

/// Reads a workbook from a file, choosing the format from the extension
/// (`.xlsx`, `.xlsm`, `.xls`, `.ods` through calamine; `.csv` in XLSForm's CSV layout).
pub fn read_path(path: &Path) -> Result<Workbook, ReadError> {
    let ext = path
        .extension()
        .and_then(|e| e.to_str())
        .map(|e| e.to_ascii_lowercase())
        .unwrap_or_default();
    let bytes = std::fs::read(path).map_err(|source| ReadError::Io {
        path: path.display().to_string(),
        source,
    })?;
    match ext.as_str() {
        "csv" => read_csv(&bytes),
        "xlsx" | "xlsm" | "xls" | "ods" => read_spreadsheet(&bytes),
        _ => Err(ReadError::UnsupportedFormat(ext)),
    }
}

/// Reads an XLSX (or XLS/ODS) workbook from bytes.
pub fn read_spreadsheet(bytes: &[u8]) -> Result<Workbook, ReadError> {
    let mut book = calamine::open_workbook_auto_from_rs(Cursor::new(bytes.to_vec()))
        .map_err(|e| ReadError::Spreadsheet(e.to_string()))?;
    let mut sheets = Vec::new();
    for name in book.sheet_names() {
        let range = book
            .worksheet_range(&name)
            .map_err(|e| ReadError::Spreadsheet(e.to_string()))?;
        let (row0, col0) = range.start().unwrap_or((0, 0));
        let mut grid: Grid = Vec::new();
        for (i, row) in range.rows().enumerate() {
            // Absolute positions: the range starts at its first used cell, so pad on the
            // left to keep columns and count rows from the top of the sheet.
            let mut cells = vec![String::new(); col0 as usize];
            cells.extend(row.iter().map(cell_text));
            grid.push((row0 as usize + i + 1, cells));
        }
        sheets.push(sheet_from_grid(name, grid));
    }
    Ok(Workbook { sheets })
}

/// Rows with their spreadsheet numbers.
type Grid = Vec<(usize, Vec<String>)>;

/// Turns a grid of rows (with their spreadsheet numbers) into a sheet: the first non-blank
/// row is the header, blank rows are dropped.
fn sheet_from_grid(name: String, grid: Grid) -> Sheet {
    let mut rows = grid
        .into_iter()
        .filter(|(_, cells)| cells.iter().any(|c| !c.trim().is_empty()));
    let headers: Vec<String> = match rows.next() {
        Some((_, cells)) => cells.iter().map(|c| c.trim().to_string()).collect(),
        None => Vec::new(),
    };
    let rows = rows
        .map(|(number, mut cells)| {
            cells.resize(headers.len().max(cells.len()), String::new());
            RawRow { number, cells }
        })
        .collect();
    Sheet {
        name,
        headers,
        rows,
    }
}

/// The text of a cell as a form author would type it: integers without ".0", dates in ISO.
fn cell_text(cell: &Data) -> String {
    match cell {
        Data::Empty => String::new(),
        Data::String(s) => s.clone(),
        Data::Int(i) => i.to_string(),
        Data::Float(f) => number_text(*f),
        Data::Bool(b) => if *b { "TRUE" } else { "FALSE" }.to_string(),
        Data::DateTime(dt) => match dt.as_datetime() {
            Some(d) if d.time() == chrono::NaiveTime::MIN => d.date().to_string(),
            Some(d) => d.format("%Y-%m-%dT%H:%M:%S").to_string(),
            None => number_text(dt.as_f64()),
        },
        Data::DateTimeIso(s) | Data::DurationIso(s) => s.clone(),
        Data::Error(e) => format!("#{e:?}"),
    }
}

/// Formats a spreadsheet number the way it is displayed: `2` rather than `2.0`.
fn number_text(f: f64) -> String {
    if f.fract() == 0.0 && f.abs() < 1e15 {
        format!("{}", f as i64)
    } else {
        f.to_string()
    }
}

/// Reads XLSForm's CSV layout: a cell in the first column names the sheet that the following
/// rows belong to; the first row of each sheet (on the same line as its name or below)
/// holds the headers, in the columns after the first. Row numbers count within each sheet,
/// header first, like a spreadsheet.
pub fn read_csv(bytes: &[u8]) -> Result<Workbook, ReadError> {
    let text = String::from_utf8_lossy(bytes);
    let text = text.strip_prefix('\u{feff}').unwrap_or(&text);
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(text.as_bytes());
    let mut sheets: Vec<(String, Grid)> = Vec::new();
    for record in reader.records() {
        let record = record.map_err(|e| ReadError::Csv(e.to_string()))?;
        let mut cells: Vec<String> = record.iter().map(str::to_string).collect();
        if cells.is_empty() {
            continue;
        }
        let first = cells.remove(0);
        if !first.trim().is_empty() {
            sheets.push((first.trim().to_string(), Vec::new()));
        }
        let Some((_, grid)) = sheets.last_mut() else {
            if cells.iter().any(|c| !c.trim().is_empty()) {
                return Err(ReadError::Csv(
                    "the first column must name a sheet (survey, choices, settings) before its rows"
                        .into(),
                ));
            }
            continue;
        };
        if cells.iter().any(|c| !c.trim().is_empty()) {
            let number = grid.len() + 1;
            grid.push((number, cells));
        }
    }
    Ok(Workbook {
        sheets: sheets
            .into_iter()
            .map(|(name, grid)| sheet_from_grid(name, grid))
            .collect(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_layout_names_sheets_in_the_first_column() {
        let csv = "survey,type,name,label\n,text,q1,Question 1\n,,,\n,integer,q2,Q2\nchoices,list_name,name,label\n,yn,yes,Yes\n";
        let wb = read_csv(csv.as_bytes()).unwrap();
        assert_eq!(wb.sheets.len(), 2);
        let survey = wb.sheet("SURVEY").unwrap();
        assert_eq!(survey.headers, ["type", "name", "label"]);
        assert_eq!(survey.rows.len(), 2);
        assert_eq!(survey.rows[0].number, 2);
        assert_eq!(survey.rows[1].cells[1], "q2");
        assert_eq!(
            wb.sheet("choices").unwrap().rows[0].cells,
            ["yn", "yes", "Yes"]
        );
    }

    #[test]
    fn numbers_display_like_a_spreadsheet() {
        assert_eq!(number_text(2.0), "2");
        assert_eq!(number_text(1.5), "1.5");
        assert_eq!(cell_text(&Data::Bool(true)), "TRUE");
    }
}
