//! The raw spreadsheet: sheets of text cells with their spreadsheet row numbers.
//!
//! Everything above this module works on [`Workbook`], so the XLSX and the CSV readers only
//! have to agree on one thing: every cell becomes text, and every row keeps the number a form
//! author sees in their spreadsheet program (the header is row 1). Error messages quote those
//! numbers, so they must survive blank rows and leading empty rows.

use std::collections::BTreeMap;
use std::io::{Cursor, Read};
use std::path::Path;

use calamine::{Data, DataRef, Reader};

use crate::error::ReadError;
use crate::limits::{
    Limit, LimitExceeded, MAX_CELLS, MAX_COLUMNS, MAX_FILE_BYTES, MAX_ROWS, MAX_UNZIPPED_BYTES,
    MAX_ZIP_ENTRIES,
};

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

/// Reads a workbook from a file, choosing the format from the extension (`.xlsx`/`.xlsm`;
/// `.csv` in XLSForm's CSV layout). `.xls`, `.xlsb` and `.ods` are refused: their readers
/// build a dense grid from whatever positions the file names, which cannot be bounded.
pub fn read_path(path: &Path) -> Result<Workbook, ReadError> {
    let ext = path
        .extension()
        .and_then(|e| e.to_str())
        .map(|e| e.to_ascii_lowercase())
        .unwrap_or_default();
    if !matches!(ext.as_str(), "csv" | "xlsx" | "xlsm") {
        return Err(ReadError::UnsupportedFormat(ext));
    }
    let io = |source| ReadError::Io {
        path: path.display().to_string(),
        source,
    };
    // Read at most one byte more than allowed: a huge file is refused without reading it.
    let mut bytes = Vec::new();
    std::fs::File::open(path)
        .map_err(io)?
        .take(MAX_FILE_BYTES as u64 + 1)
        .read_to_end(&mut bytes)
        .map_err(io)?;
    match ext.as_str() {
        "csv" => read_csv(&bytes),
        _ => read_spreadsheet(&bytes),
    }
}

/// Reads an XLSX workbook from bytes, within [`crate::limits`]: the zip is checked (entries,
/// inflated size) before calamine opens it, and cells are streamed into a sparse grid, so
/// nothing is ever sized from the sheet's declared `<dimension>`.
pub fn read_spreadsheet(bytes: &[u8]) -> Result<Workbook, ReadError> {
    if bytes.len() > MAX_FILE_BYTES {
        return Err(LimitExceeded::new(Limit::FileSize).into());
    }
    if bytes.starts_with(&[0xD0, 0xCF, 0x11, 0xE0]) {
        // The OLE container of .xls (and of password-protected .xlsx).
        return Err(ReadError::UnsupportedFormat("xls".into()));
    }
    check_zip(bytes)?;
    let unreadable = |e: calamine::XlsxError| ReadError::Spreadsheet(e.to_string());
    let mut book = calamine::Xlsx::new(Cursor::new(bytes)).map_err(unreadable)?;
    let mut budget = Budget::default();
    let mut sheets = Vec::new();
    for name in book.sheet_names() {
        let mut grid = SparseSheet::new(name.clone());
        let mut cells = match book.worksheet_cells_reader(&name) {
            Ok(cells) => cells,
            // A chart sheet: no cells, as calamine's own ranges treat it.
            Err(calamine::XlsxError::NotAWorksheet(_)) => {
                sheets.push(sheet_from_grid(name, Vec::new()));
                continue;
            }
            Err(e) => return Err(unreadable(e)),
        };
        while let Some(cell) = cells.next_cell().map_err(unreadable)? {
            let (row, col) = cell.get_position();
            let value = cell.get_value();
            if *value == DataRef::Empty {
                continue;
            }
            grid.put(
                row as usize + 1,
                col as usize,
                cell_text(&value.clone().into()),
                &budget,
            )?;
        }
        budget.used += grid.area();
        sheets.push(sheet_from_grid(name, grid.into_grid()));
    }
    Ok(Workbook { sheets })
}

/// Refuses a zip with too many entries or whose entries inflate beyond
/// [`MAX_UNZIPPED_BYTES`], counting the bytes actually inflated (a zip's declared sizes
/// may lie).
fn check_zip(bytes: &[u8]) -> Result<(), ReadError> {
    let unreadable = |e: String| ReadError::Spreadsheet(format!("not an .xlsx workbook ({e})"));
    let mut zip =
        zip::ZipArchive::new(Cursor::new(bytes)).map_err(|e| unreadable(e.to_string()))?;
    if zip.len() > MAX_ZIP_ENTRIES {
        return Err(LimitExceeded::new(Limit::ZipEntries).into());
    }
    if zip.index_for_name("content.xml").is_some()
        && zip.index_for_name("xl/workbook.xml").is_none()
    {
        return Err(ReadError::UnsupportedFormat("ods".into()));
    }
    if zip.index_for_name("xl/workbook.bin").is_some() {
        return Err(ReadError::UnsupportedFormat("xlsb".into()));
    }
    let too_large = || ReadError::from(LimitExceeded::new(Limit::UnzippedSize));
    let mut total: u64 = 0;
    for i in 0..zip.len() {
        let mut entry = zip.by_index(i).map_err(|e| unreadable(e.to_string()))?;
        let room = MAX_UNZIPPED_BYTES - total;
        if entry.size() > room {
            return Err(too_large());
        }
        let inflated = std::io::copy(&mut (&mut entry).take(room + 1), &mut std::io::sink())
            .map_err(|e| unreadable(e.to_string()))?;
        if inflated > room {
            return Err(too_large());
        }
        total += inflated;
    }
    Ok(())
}

/// The dense size of the sheets read so far, against [`MAX_CELLS`].
#[derive(Default)]
struct Budget {
    used: usize,
}

/// One sheet's non-empty cells by row, with the width the sheet's grid will have.
struct SparseSheet {
    name: String,
    rows: BTreeMap<usize, Vec<String>>,
    width: usize,
}

impl SparseSheet {
    fn new(name: String) -> Self {
        SparseSheet {
            name,
            rows: BTreeMap::new(),
            width: 0,
        }
    }

    /// The cells the grid will hold: every kept row padded to the sheet's width.
    fn area(&self) -> usize {
        self.rows.len() * self.width
    }

    /// Keeps a cell (row 1-based, column 0-based) if the limits allow the grid it makes.
    fn put(
        &mut self,
        row: usize,
        col: usize,
        text: String,
        budget: &Budget,
    ) -> Result<(), LimitExceeded> {
        let refuse = |limit| Err(LimitExceeded::new(limit).at(&self.name, row, col));
        if row > MAX_ROWS {
            return refuse(Limit::Rows);
        }
        if col >= MAX_COLUMNS {
            return refuse(Limit::Columns);
        }
        let rows = self.rows.len() + usize::from(!self.rows.contains_key(&row));
        let width = self.width.max(col + 1);
        if budget.used + rows * width > MAX_CELLS {
            return refuse(Limit::Cells);
        }
        self.width = width;
        let cells = self.rows.entry(row).or_default();
        if cells.len() <= col {
            cells.resize(col + 1, String::new());
        }
        cells[col] = text;
        Ok(())
    }

    /// The rows, each as wide as the sheet (as a dense range would have them).
    fn into_grid(self) -> Grid {
        let width = self.width;
        self.rows
            .into_iter()
            .map(|(number, mut cells)| {
                cells.resize(width, String::new());
                (number, cells)
            })
            .collect()
    }
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
    if bytes.len() > MAX_FILE_BYTES {
        return Err(LimitExceeded::new(Limit::FileSize).into());
    }
    let text = String::from_utf8_lossy(bytes);
    let text = text.strip_prefix('\u{feff}').unwrap_or(&text);
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(text.as_bytes());
    let mut budget = Budget::default();
    let mut sheets: Vec<SparseSheet> = Vec::new();
    let mut record = csv::StringRecord::new();
    while reader
        .read_record(&mut record)
        .map_err(|e| ReadError::Csv(e.to_string()))?
    {
        let Some(first) = record.get(0) else {
            continue;
        };
        if !first.trim().is_empty() {
            if let Some(done) = sheets.last() {
                budget.used += done.area();
            }
            sheets.push(SparseSheet::new(first.trim().to_string()));
        }
        let blank = record.iter().skip(1).all(|c| c.trim().is_empty());
        let Some(sheet) = sheets.last_mut() else {
            if !blank {
                return Err(ReadError::Csv(
                    "the first column must name a sheet (survey, choices, settings) before its rows"
                        .into(),
                ));
            }
            continue;
        };
        if blank {
            continue;
        }
        // Row numbers count the sheet's non-blank rows, header first, like a spreadsheet.
        let number = sheet.rows.len() + 1;
        // Cells are checked from the last: the first one kept sizes the row and the grid.
        for col in (1..record.len()).rev() {
            let cell = record.get(col).unwrap_or_default();
            sheet.put(number, col - 1, cell.to_string(), &budget)?;
        }
    }
    Ok(Workbook {
        sheets: sheets
            .into_iter()
            .map(|sheet| {
                let name = sheet.name.clone();
                sheet_from_grid(name, sheet.into_grid())
            })
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

    /// A minimal .xlsx written by hand: one sheet `survey` whose cells (reference, text) are
    /// inline strings, plus `extra` entries (name, content) in the zip.
    pub(crate) fn xlsx(cells: &[(&str, &str)], extra: &[(String, Vec<u8>)]) -> Vec<u8> {
        use std::io::Write;
        let mut rows: BTreeMap<u32, String> = BTreeMap::new();
        for (at, text) in cells {
            let row: u32 = at
                .trim_start_matches(|c: char| c.is_ascii_alphabetic())
                .parse()
                .unwrap();
            rows.entry(row).or_default().push_str(&format!(
                r#"<c r="{at}" t="inlineStr"><is><t>{text}</t></is></c>"#
            ));
        }
        let sheet_data: String = rows
            .iter()
            .map(|(r, cs)| format!(r#"<row r="{r}">{cs}</row>"#))
            .collect();
        let last = cells.last().map_or("A1", |c| c.0);
        let parts = [
            ("[Content_Types].xml", r#"<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/><Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/></Types>"#.to_string()),
            ("_rels/.rels", r#"<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>"#.to_string()),
            ("xl/workbook.xml", r#"<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets><sheet name="survey" sheetId="1" r:id="rId1"/></sheets></workbook>"#.to_string()),
            ("xl/_rels/workbook.xml.rels", r#"<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/></Relationships>"#.to_string()),
            ("xl/worksheets/sheet1.xml", format!(r#"<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><dimension ref="A1:{last}"/><sheetData>{sheet_data}</sheetData></worksheet>"#)),
        ];
        let mut zip = zip::ZipWriter::new(Cursor::new(Vec::new()));
        let options = zip::write::SimpleFileOptions::default()
            .compression_method(zip::CompressionMethod::Deflated);
        for (name, text) in parts {
            zip.start_file(name, options).unwrap();
            zip.write_all(text.as_bytes()).unwrap();
        }
        for (name, content) in extra {
            zip.start_file(name.as_str(), options).unwrap();
            zip.write_all(content).unwrap();
        }
        zip.finish().unwrap().into_inner()
    }

    fn refused(result: Result<Workbook, ReadError>) -> LimitExceeded {
        match result {
            Err(ReadError::TooLarge(e)) => e,
            other => panic!("expected a refusal for size, got {other:?}"),
        }
    }

    #[test]
    fn a_small_handmade_xlsx_reads() {
        let wb = read_spreadsheet(&xlsx(
            &[("A1", "type"), ("B1", "name"), ("A2", "text"), ("B2", "q1")],
            &[],
        ))
        .unwrap();
        let survey = wb.sheet("survey").unwrap();
        assert_eq!(survey.headers, ["type", "name"]);
        assert_eq!(survey.rows[0].cells, ["text", "q1"]);
        assert_eq!(survey.rows[0].number, 2);
    }

    /// Issue 17: 1.8 KB naming cells at A1 and XFD1048576 made calamine allocate ~550 GB
    /// and the process abort. It is refused, naming the stray cell, without allocating.
    #[test]
    fn cells_at_opposite_corners_are_refused_not_allocated() {
        let bytes = xlsx(&[("A1", "type"), ("XFD1048576", "x")], &[]);
        assert!(bytes.len() < 2_000, "{}", bytes.len());
        let e = refused(read_spreadsheet(&bytes));
        assert_eq!(e.limit, Limit::Rows);
        assert_eq!(e.limit.code(), "too-many-rows");
        assert_eq!(
            (e.sheet.as_deref(), e.row, e.column.as_deref()),
            (Some("survey"), Some(1_048_576), Some("XFD"))
        );
        let text = ReadError::TooLarge(e).to_string();
        assert!(
            text.starts_with("survey, row 1048576, column XFD: error[too-many-rows]"),
            "{text}"
        );
        assert!(text.contains("split the form"), "{text}");

        // Within the rows but far to the right: the column limit.
        let e = refused(read_spreadsheet(&xlsx(
            &[("A1", "type"), ("XFD10", "x")],
            &[],
        )));
        assert_eq!(
            (e.limit, e.column.as_deref()),
            (Limit::Columns, Some("XFD"))
        );
    }

    /// The bounded variant (inside the row and column limits) cost 1.2 GB before, as a dense
    /// range: now blank rows are never laid out, so it costs two rows.
    #[test]
    fn far_apart_cells_within_the_limits_cost_only_their_rows() {
        let wb = read_spreadsheet(&xlsx(&[("A1", "type"), ("ALL100000", "x")], &[])).unwrap();
        let survey = wb.sheet("survey").unwrap();
        assert_eq!(survey.headers.len(), MAX_COLUMNS);
        assert_eq!(survey.rows.len(), 1);
        assert_eq!(survey.rows[0].number, 100_000);
    }

    /// What reading does cost, rows with content × the sheet's width, is counted and
    /// refused before the cell that would go beyond it is kept.
    #[test]
    fn a_grid_spanning_too_many_cells_is_refused() {
        let mut cells = vec![("ALL1".to_string(), "h")];
        cells.extend((2..=2_001).map(|r| (format!("A{r}"), "text")));
        let cells: Vec<(&str, &str)> = cells.iter().map(|(a, t)| (a.as_str(), *t)).collect();
        let e = refused(read_spreadsheet(&xlsx(&cells, &[])));
        assert_eq!(e.limit, Limit::Cells);
        assert_eq!((e.row, e.column.as_deref()), (Some(2_001), Some("A")));
        assert!(read_spreadsheet(&xlsx(&cells[..1_000], &[])).is_ok());
    }

    #[test]
    fn zip_bombs_and_zips_of_many_parts_are_refused() {
        // 129 MiB of zeros deflate to ~130 KB.
        let bomb = vec![0u8; MAX_UNZIPPED_BYTES as usize + (1 << 20)];
        let bytes = xlsx(&[("A1", "type")], &[("xl/media/bomb.bin".into(), bomb)]);
        assert!(bytes.len() < 1 << 20, "{}", bytes.len());
        assert_eq!(refused(read_spreadsheet(&bytes)).limit, Limit::UnzippedSize);

        let many: Vec<(String, Vec<u8>)> = (0..MAX_ZIP_ENTRIES)
            .map(|i| (format!("xl/media/{i}.txt"), Vec::new()))
            .collect();
        let bytes = xlsx(&[("A1", "type")], &many);
        assert_eq!(refused(read_spreadsheet(&bytes)).limit, Limit::ZipEntries);
    }

    #[test]
    fn an_oversized_file_is_refused_before_reading() {
        let big = vec![b' '; MAX_FILE_BYTES + 1];
        assert_eq!(refused(read_spreadsheet(&big)).limit, Limit::FileSize);
        assert_eq!(refused(read_csv(&big)).limit, Limit::FileSize);
    }

    #[test]
    fn csv_forms_have_the_same_limits() {
        // A row of 16,000 empty cells: the column limit, before the row is kept.
        let wide = format!("survey,type{}\n", ",".repeat(16_000));
        let e = refused(read_csv(wide.as_bytes()));
        assert_eq!((e.limit, e.row), (Limit::Columns, Some(1)));

        // 900 columns × 3,000 rows: within rows and columns, beyond the cells.
        let mut tall = format!("survey,type{}\n", ",h".repeat(899));
        for _ in 0..3_000 {
            tall.push_str(",text\n");
        }
        let e = refused(read_csv(tall.as_bytes()));
        assert_eq!(e.limit, Limit::Cells);
        assert_eq!(e.sheet.as_deref(), Some("survey"));

        let mut long = "survey,type\n".to_string();
        for _ in 0..MAX_ROWS {
            long.push_str(",text\n");
        }
        assert_eq!(refused(read_csv(long.as_bytes())).limit, Limit::Rows);
    }

    #[test]
    fn other_spreadsheet_formats_are_refused_with_advice() {
        let xls = [0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1];
        let e = read_spreadsheet(&xls).unwrap_err();
        assert_eq!(e.code(), "unsupported-format");
        assert!(e.to_string().contains("save the form as .xlsx"), "{e}");
    }

    #[test]
    fn numbers_display_like_a_spreadsheet() {
        assert_eq!(number_text(2.0), "2");
        assert_eq!(number_text(1.5), "1.5");
        assert_eq!(cell_text(&Data::Bool(true)), "TRUE");
    }
}
