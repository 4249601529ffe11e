//! Readers for the ISTAT-derived CSV files: the comuni list, the provinces, the regions and the
//! prefectures. Each returns plain rows, checked field by field; cross-file rules live in
//! the parent module.

use std::collections::BTreeMap;

use csv::StringRecord;

use super::TerritoryError;

pub(super) const COMUNI_FILE: &str = "elenco_comuni_italiani_2023.csv";
pub(super) const PROVINCES_FILE: &str = "province_ripartizioni.csv";
pub(super) const REGIONS_FILE: &str = "regioni_ripartizioni.csv";
pub(super) const PREFECTURES_FILE: &str = "prefetture_per_provincia.csv";

/// One line of ISTAT's "Elenco comuni italiani".
#[derive(Debug, Clone)]
pub(super) struct ComuneRow {
    pub at: RowAt,
    pub code: String,
    pub name: String,
    pub name_other_language: Option<String>,
    pub region_code: String,
    pub province_code: String,
    pub province_historical_code: String,
    pub province_name: String,
    pub province_abbreviation: String,
    pub is_provincial_capital: bool,
    pub cadastral_code: String,
}

/// One (non-abolished) province of `province_ripartizioni.csv`.
#[derive(Debug, Clone)]
pub(super) struct ProvinceRow {
    pub at: RowAt,
    pub code: String,
    pub historical_code: String,
    pub region_code: String,
    pub abbreviation: String,
    pub kind: String,
}

/// One line of `prefetture_per_provincia.csv`.
#[derive(Debug, Clone)]
pub(super) struct PrefectureRow {
    pub at: RowAt,
    pub province_code: String,
    pub province_abbreviation: String,
    /// Abbreviation (sigla) of the province whose Prefettura serves this one.
    pub prefecture_abbreviation: String,
    pub note: Option<String>,
}

/// Where a row is, for error messages: its 1-based number among data rows, and the line it
/// starts on (they differ when a header spans several lines).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct RowAt {
    pub file: &'static str,
    pub row: u64,
    pub line: u64,
}

impl RowAt {
    pub fn error(self, message: impl Into<String>) -> TerritoryError {
        TerritoryError::Row {
            file: self.file.to_owned(),
            row: self.row,
            line: self.line,
            message: message.into(),
        }
    }
}

pub(super) fn read_comuni(bytes: &[u8]) -> Result<Vec<ComuneRow>, TerritoryError> {
    let table = Table::read(COMUNI_FILE, bytes, b';')?;
    let region = table.column("Codice Regione")?;
    let province = table.column("Codice dell'Unità territoriale sovracomunale")?;
    let province_historical = table.column("Codice Provincia (Storico)")?;
    let code = table.column("Codice Comune formato alfanumerico")?;
    let name = table.column("Denominazione in italiano")?;
    let other_name = table.column("Denominazione altra lingua")?;
    let province_name = table.column("Denominazione dell'Unità territoriale sovracomunale")?;
    let capital = table.column("Flag Comune capoluogo")?;
    let abbreviation = table.column("Sigla automobilistica")?;
    let cadastral = table.column("Codice Catastale del comune")?;
    table.rows(|at, r| {
        let row = ComuneRow {
            at,
            code: digits(at, r, code, "comune code", 6)?,
            name: non_empty(at, r, name, "name")?,
            name_other_language: Some(r.get(other_name))
                .filter(|s| !s.is_empty())
                .map(Into::into),
            region_code: digits(at, r, region, "region code", 2)?,
            province_code: digits(at, r, province, "province code", 3)?,
            province_historical_code: digits(
                at,
                r,
                province_historical,
                "historical province code",
                3,
            )?,
            province_name: non_empty(at, r, province_name, "province name")?,
            province_abbreviation: abbreviation_field(at, r, abbreviation)?,
            is_provincial_capital: match r.get(capital) {
                "1" => true,
                "0" => false,
                other => return Err(at.error(format!("capital flag {other:?} is not 0 or 1"))),
            },
            cadastral_code: cadastral_code(at, r, cadastral)?,
        };
        if !row.code.starts_with(&row.province_historical_code) {
            return Err(at.error(format!(
                "comune code {} does not start with its historical province code {}",
                row.code, row.province_historical_code
            )));
        }
        Ok(Some(row))
    })
}

/// Provinces with a current code; the Sardinian provinces abolished in 2016 are listed with
/// code `-` and skipped.
pub(super) fn read_provinces(bytes: &[u8]) -> Result<Vec<ProvinceRow>, TerritoryError> {
    let table = Table::read(PROVINCES_FILE, bytes, b',')?;
    let code = table.column("istat_code_provincia_statistico")?;
    let historical = table.column("istat_code_provincia_storico")?;
    let region = table.column("istat_code_regione")?;
    let abbreviation = table.column("motorizzazione_sigla_automobilistica")?;
    let kind = table.column("istat_tipo")?;
    table.rows(|at, r| {
        if r.get(code) == "-" {
            return Ok(None);
        }
        Ok(Some(ProvinceRow {
            at,
            code: digits(at, r, code, "province code", 3)?,
            historical_code: digits(at, r, historical, "historical province code", 3)?,
            region_code: digits(at, r, region, "region code", 2)?,
            abbreviation: abbreviation_field(at, r, abbreviation)?,
            kind: non_empty(at, r, kind, "type")?,
        }))
    })
}

/// Region code to name. The file repeats each region once per province (and per NUTS-2 unit),
/// so duplicates are expected; a code with two different names is an error.
pub(super) fn read_regions(bytes: &[u8]) -> Result<BTreeMap<String, String>, TerritoryError> {
    let table = Table::read(REGIONS_FILE, bytes, b',')?;
    let code_column = table.column("istat_code_reg")?;
    let name_column = table.column("istat_denominazione_regione_camel")?;
    let rows = table.rows(|at, r| {
        let code = digits(at, r, code_column, "region code", 2)?;
        Ok(Some((
            at,
            code,
            non_empty(at, r, name_column, "region name")?,
        )))
    })?;
    let mut regions = BTreeMap::new();
    for (at, code, name) in rows {
        if let Some(previous) = regions.insert(code.clone(), name.clone())
            && previous != name
        {
            return Err(at.error(format!(
                "region {code} is named {name:?} here but {previous:?} on an earlier row"
            )));
        }
    }
    Ok(regions)
}

pub(super) fn read_prefectures(bytes: &[u8]) -> Result<Vec<PrefectureRow>, TerritoryError> {
    let table = Table::read(PREFECTURES_FILE, bytes, b',')?;
    let abbreviation = table.column("sigla_provincia")?;
    let code = table.column("cod_provincia_istat")?;
    let prefecture = table.column("sigla_prefettura")?;
    let note = table.column("nota")?;
    table.rows(|at, r| {
        Ok(Some(PrefectureRow {
            at,
            province_code: digits(at, r, code, "province code", 3)?,
            province_abbreviation: abbreviation_field(at, r, abbreviation)?,
            prefecture_abbreviation: abbreviation_field(at, r, prefecture)?,
            note: Some(r.get(note)).filter(|s| !s.is_empty()).map(Into::into),
        }))
    })
}

/// A decoded CSV file with its normalized headers.
struct Table {
    file: &'static str,
    text: String,
    delimiter: u8,
    headers: Vec<String>,
}

/// A record whose fields come back trimmed (ISTAT pads some codes with spaces: `" 001 "`).
struct Fields<'r>(&'r StringRecord);

impl Fields<'_> {
    fn get(&self, column: usize) -> &str {
        self.0.get(column).unwrap_or_default().trim()
    }
}

impl Table {
    fn read(file: &'static str, bytes: &[u8], delimiter: u8) -> Result<Self, TerritoryError> {
        let text = decode_text(bytes);
        let headers = reader(&text, delimiter)
            .headers()
            .map_err(|source| csv_error(file, &text, source))?
            .iter()
            .map(|h| h.split_whitespace().collect::<Vec<_>>().join(" "))
            .collect();
        Ok(Self {
            file,
            text,
            delimiter,
            headers,
        })
    }

    /// The first column whose header starts with `prefix` (after collapsing white space), so
    /// footnote marks such as "(1)" in ISTAT headers do not matter.
    fn column(&self, prefix: &'static str) -> Result<usize, TerritoryError> {
        self.headers
            .iter()
            .position(|h| h.starts_with(prefix))
            .ok_or(TerritoryError::MissingColumn {
                file: self.file.to_owned(),
                column: prefix,
            })
    }

    /// Parses every data row with `parse`, which may skip a row by returning `None`.
    fn rows<T>(
        &self,
        mut parse: impl FnMut(RowAt, &Fields) -> Result<Option<T>, TerritoryError>,
    ) -> Result<Vec<T>, TerritoryError> {
        let mut reader = reader(&self.text, self.delimiter);
        let mut record = StringRecord::new();
        let mut lines = LineCounter::default();
        let mut out = Vec::new();
        for row in 1.. {
            match reader.read_record(&mut record) {
                Ok(false) => break,
                Ok(true) => {}
                Err(source) => return Err(csv_error(self.file, &self.text, source)),
            }
            let byte = record.position().map_or(0, csv::Position::byte);
            let at = RowAt {
                file: self.file,
                row,
                line: lines.line_at(&self.text, byte),
            };
            out.extend(parse(at, &Fields(&record))?);
        }
        Ok(out)
    }
}

/// Turns byte offsets into 1-based line numbers, counting forward from the last offset asked.
/// (The csv crate's own line numbers miss newlines inside quoted fields, which ISTAT headers
/// have.)
#[derive(Default)]
struct LineCounter {
    byte: usize,
    newlines: u64,
}

impl LineCounter {
    fn line_at(&mut self, text: &str, byte: u64) -> u64 {
        let mut byte = usize::try_from(byte).unwrap_or(usize::MAX).min(text.len());
        // After a CRLF the csv crate places the next record on the LF: move past it.
        while matches!(text.as_bytes().get(byte), Some(b'\r' | b'\n')) {
            byte += 1;
        }
        if byte < self.byte {
            *self = Self::default();
        }
        let skipped = &text.as_bytes()[self.byte..byte];
        self.newlines += skipped.iter().filter(|&&b| b == b'\n').count() as u64;
        self.byte = byte;
        self.newlines + 1
    }
}

fn reader(text: &str, delimiter: u8) -> csv::Reader<&[u8]> {
    csv::ReaderBuilder::new()
        .delimiter(delimiter)
        .from_reader(text.as_bytes())
}

/// A CSV syntax error, located by row when the csv crate knows where it happened.
fn csv_error(file: &'static str, text: &str, source: csv::Error) -> TerritoryError {
    match source.position() {
        Some(p) => TerritoryError::Row {
            file: file.to_owned(),
            // The header is record 0, so the record index is the 1-based data row.
            row: p.record(),
            line: LineCounter::default().line_at(text, p.byte()),
            message: match source.kind() {
                csv::ErrorKind::UnequalLengths {
                    expected_len, len, ..
                } => format!("{len} fields where the header has {expected_len}"),
                _ => source.to_string(),
            },
        },
        None => TerritoryError::Csv {
            file: file.to_owned(),
            message: source.to_string(),
        },
    }
}

fn digits(
    at: RowAt,
    r: &Fields,
    column: usize,
    what: &str,
    len: usize,
) -> Result<String, TerritoryError> {
    let value = r.get(column);
    if value.len() == len && value.bytes().all(|b| b.is_ascii_digit()) {
        Ok(value.to_owned())
    } else {
        Err(at.error(format!("{what} {value:?} is not {len} digits")))
    }
}

fn non_empty(at: RowAt, r: &Fields, column: usize, what: &str) -> Result<String, TerritoryError> {
    match r.get(column) {
        "" => Err(at.error(format!("{what} is empty"))),
        value => Ok(value.to_owned()),
    }
}

/// A province's sigla automobilistica: two capital letters.
fn abbreviation_field(at: RowAt, r: &Fields, column: usize) -> Result<String, TerritoryError> {
    let value = r.get(column);
    if value.len() == 2 && value.bytes().all(|b| b.is_ascii_uppercase()) {
        Ok(value.to_owned())
    } else {
        Err(at.error(format!(
            "province abbreviation {value:?} is not two capital letters"
        )))
    }
}

/// The Agenzia delle Entrate code (codice catastale / Belfiore): a letter and three digits.
fn cadastral_code(at: RowAt, r: &Fields, column: usize) -> Result<String, TerritoryError> {
    let value = r.get(column);
    let b = value.as_bytes();
    if b.len() == 4 && b[0].is_ascii_uppercase() && b[1..].iter().all(u8::is_ascii_digit) {
        Ok(value.to_owned())
    } else {
        Err(at.error(format!(
            "cadastral code {value:?} is not a letter and 3 digits"
        )))
    }
}

/// Decodes a text file: UTF-8 (a BOM is dropped) when the bytes are valid UTF-8, otherwise
/// Windows-1252.
///
/// ISTAT declares its list ISO-8859-1, but the 2023 file is really Windows-1252: it spells
/// "Števerjan" and "Nabrežina" with bytes 0x8A and 0x9E, which are control characters in
/// Latin-1. Windows-1252 equals Latin-1 on every other byte, so it is the safe reading. Valid
/// UTF-8 is tried first because ISTAT also publishes UTF-8 editions, and non-ASCII Windows-1252
/// text is practically never valid UTF-8.
pub(super) fn decode_text(bytes: &[u8]) -> String {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    match std::str::from_utf8(bytes) {
        Ok(text) => text.to_owned(),
        Err(_) => bytes.iter().map(|&b| windows_1252(b)).collect(),
    }
}

fn windows_1252(byte: u8) -> char {
    // 0x80..=0x9F; the five bytes Windows-1252 leaves undefined map to the C1 controls, as in
    // the WHATWG encoding standard.
    const HIGH: [char; 32] = [
        '€', '\u{81}', '‚', 'ƒ', '„', '…', '†', '‡', 'ˆ', '‰', 'Š', '‹', 'Œ', '\u{8D}', 'Ž',
        '\u{8F}', '\u{90}', '‘', '’', '“', '”', '•', '–', '—', '˜', '™', 'š', '›', 'œ', '\u{9D}',
        'ž', 'Ÿ',
    ];
    match byte {
        0x80..=0x9F => HIGH[usize::from(byte - 0x80)],
        _ => char::from(byte),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_windows_1252_and_utf8() {
        assert_eq!(
            decode_text(b"Doberd\xf2 - \x8atever - Nabre\x9eina"),
            "Doberdò - Štever - Nabrežina"
        );
        assert_eq!(decode_text("\u{feff}Forlì".as_bytes()), "Forlì");
        assert_eq!(decode_text(b"\x80\x81"), "€\u{81}");
    }

    #[test]
    fn real_list_names_slovenian_comuni_correctly() {
        let rows = read_comuni(super::super::embedded_sources().comuni_csv).unwrap();
        let name = |code: &str| {
            let row = rows.iter().find(|r| r.code == code).unwrap();
            (row.name.clone(), row.name_other_language.clone())
        };
        assert_eq!(
            name("031019"),
            ("San Floriano del Collio".into(), Some("Števerjan".into()))
        );
        assert_eq!(
            name("032001"),
            ("Duino Aurisina".into(), Some("Devin Nabrežina".into()))
        );
        // The source itself lost the "č" of Soči: kept as published.
        assert_eq!(
            name("031022"),
            ("Savogna d'Isonzo".into(), Some("Sovodnje ob So?i".into()))
        );
    }

    #[test]
    fn header_prefixes_survive_embedded_newlines() {
        let csv = "\"Codice dell'Unità territoriale \r\n(valida)\";b\r\n201;x\r\n";
        let table = Table::read("t.csv", csv.as_bytes(), b';').unwrap();
        assert_eq!(
            table
                .column("Codice dell'Unità territoriale (valida)")
                .unwrap(),
            0
        );
        let err = table.column("nope").unwrap_err().to_string();
        assert_eq!(err, "t.csv: missing column \"nope\"");
    }

    #[test]
    fn regions_with_conflicting_names_are_rejected() {
        let csv = "istat_code_reg,istat_denominazione_regione_camel\n01,Piemonte\n01,Piemonte\n01,Piedmont\n";
        let err = read_regions(csv.as_bytes()).unwrap_err().to_string();
        assert_eq!(
            err,
            "regioni_ripartizioni.csv, row 3 (line 4): region 01 is named \"Piedmont\" here but \"Piemonte\" on an earlier row"
        );
        let ok = "istat_code_reg,istat_denominazione_regione_camel\n01,Piemonte\n01,Piemonte\n02,Valle\n";
        assert_eq!(read_regions(ok.as_bytes()).unwrap().len(), 2);
    }
}
