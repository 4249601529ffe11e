//! Readers of the shipped files: one per file, each turning rows into observations of one or
//! two datasets and reporting every problem by file, row and column.

use std::collections::{BTreeMap, BTreeSet};

use chrono::NaiveDate;
use csv::StringRecord;

use super::area::{self, AreaTable, Family};
use super::{
    CITIZENSHIP_AREAS, Citizenship, DATASETS, Dataset, DatasetInfo, Observation, Period,
    PermitType, Problem, ProblemKind, Sex, Territory, TerritoryLevel,
};
use crate::territory::countries;

pub(super) const BALANCE_FILE: &str = "DCIS_POPSTRBIL1_1_bilancio_stranieri_province_2019-2023.csv";
pub(super) const AREA_FILE: &str =
    "DCIS_POPSTRCIT1_24_stranieri_area_cittadinanza_province_2023.csv";
pub(super) const COUNTRY_FILE: &str = "stranieri_italia_per_cittadinanza_2023-01-01.csv";
pub(super) const PERMITS_PROVINCE_FILE: &str =
    "DCIS_PERMSOGG1_4_permessi_tipo_provincia_2015-2024.csv";
pub(super) const PERMITS_CITIZENSHIP_FILE: &str =
    "DCIS_PERMSOGG1_1_permessi_tipo_cittadinanza_2015-2024.csv";
pub(super) const INFLOWS_FILE: &str =
    "DCIS_PERMSOGG1_ingressi_protezione_internazionale_provincia_2019-2023.csv";
pub(super) const RECEPTION_FILE: &str = "accoglienza_regioni_2019-2025.csv";

/// The shipped files that hold figures (the ITTER107 table is read by [`area`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SourceFile {
    /// ISTAT demographic balance of foreign residents (`POPSTRBIL1`).
    ForeignBalance,
    /// ISTAT foreign residents by area of citizenship (`POPSTRCIT1_24`).
    ForeignByArea,
    /// Foreign residents in Italy by country (derived from `POPSTRCIT1_1`).
    ForeignByCountry,
    /// ISTAT permit holders by province and type (`PERMSOGG1_4`).
    PermitsByProvince,
    /// ISTAT permit holders by citizenship and type (`PERMSOGG1_1`).
    PermitsByCitizenship,
    /// ISTAT permits issued for international protection (`PERMSOGG1` inflows).
    ProtectionInflows,
    /// Ministry of the Interior, migrants in reception by region.
    Reception,
}

impl SourceFile {
    pub const ALL: [SourceFile; 7] = [
        Self::ForeignBalance,
        Self::ForeignByArea,
        Self::ForeignByCountry,
        Self::PermitsByProvince,
        Self::PermitsByCitizenship,
        Self::ProtectionInflows,
        Self::Reception,
    ];

    /// The file's name in `data/statistics/`.
    pub fn file_name(self) -> &'static str {
        match self {
            Self::ForeignBalance => BALANCE_FILE,
            Self::ForeignByArea => AREA_FILE,
            Self::ForeignByCountry => COUNTRY_FILE,
            Self::PermitsByProvince => PERMITS_PROVINCE_FILE,
            Self::PermitsByCitizenship => PERMITS_CITIZENSHIP_FILE,
            Self::ProtectionInflows => INFLOWS_FILE,
            Self::Reception => RECEPTION_FILE,
        }
    }
}

/// The files compiled into the binary.
pub(super) fn embedded_files() -> Vec<(SourceFile, &'static [u8])> {
    macro_rules! data {
        ($path:literal) => {
            include_bytes!(concat!("../../../../data/statistics/", $path)).as_slice()
        };
    }
    vec![
        (
            SourceFile::ForeignBalance,
            data!("DCIS_POPSTRBIL1_1_bilancio_stranieri_province_2019-2023.csv"),
        ),
        (
            SourceFile::ForeignByArea,
            data!("DCIS_POPSTRCIT1_24_stranieri_area_cittadinanza_province_2023.csv"),
        ),
        (
            SourceFile::ForeignByCountry,
            data!("stranieri_italia_per_cittadinanza_2023-01-01.csv"),
        ),
        (
            SourceFile::PermitsByProvince,
            data!("DCIS_PERMSOGG1_4_permessi_tipo_provincia_2015-2024.csv"),
        ),
        (
            SourceFile::PermitsByCitizenship,
            data!("DCIS_PERMSOGG1_1_permessi_tipo_cittadinanza_2015-2024.csv"),
        ),
        (
            SourceFile::ProtectionInflows,
            data!("DCIS_PERMSOGG1_ingressi_protezione_internazionale_provincia_2019-2023.csv"),
        ),
        (
            SourceFile::Reception,
            data!("accoglienza_regioni_2019-2025.csv"),
        ),
    ]
}

/// Parses one file into its datasets; every problem is reported and then nothing is returned.
pub fn parse_file(file: SourceFile, bytes: &[u8]) -> Result<Vec<Dataset>, Vec<Problem>> {
    let areas = area::areas();
    let name = file.file_name();
    let mut problems = Vec::new();
    let Some(table) = Table::read(name, bytes, &mut problems) else {
        return Err(problems);
    };
    let mut out = Outputs::default();
    match file {
        SourceFile::ForeignBalance => balance(&table, areas, &mut out, &mut problems),
        SourceFile::ForeignByArea => by_area(&table, areas, &mut out, &mut problems),
        SourceFile::ForeignByCountry => by_country(&table, &mut out, &mut problems),
        SourceFile::PermitsByProvince => permits(&table, areas, false, &mut out, &mut problems),
        SourceFile::PermitsByCitizenship => permits(&table, areas, true, &mut out, &mut problems),
        SourceFile::ProtectionInflows => inflows(&table, areas, &mut out, &mut problems),
        SourceFile::Reception => reception(&table, areas, &mut out, &mut problems),
    }
    out.finish(name, problems)
}

// ---------------------------------------------------------------------------------------
// Reading CSV

/// A CSV file read whole: header and records (BOM stripped).
pub(super) struct Table {
    file: &'static str,
    headers: StringRecord,
    records: Vec<(u64, StringRecord)>,
}

impl Table {
    pub(super) fn read(
        file: &'static str,
        bytes: &[u8],
        problems: &mut Vec<Problem>,
    ) -> Option<Self> {
        let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
        let mut reader = csv::ReaderBuilder::new().from_reader(bytes);
        let headers = match reader.headers() {
            Ok(h) => h.clone(),
            Err(e) => {
                problems.push(file_problem(
                    file,
                    None,
                    ProblemKind::InvalidCsv {
                        message: e.to_string(),
                    },
                ));
                return None;
            }
        };
        let mut records = Vec::new();
        for (i, rec) in reader.records().enumerate() {
            let row = i as u64 + 1;
            match rec {
                Ok(r) => records.push((row, r)),
                Err(e) => problems.push(file_problem(
                    file,
                    Some(row),
                    ProblemKind::InvalidCsv {
                        message: e.to_string(),
                    },
                )),
            }
        }
        Some(Self {
            file,
            headers,
            records,
        })
    }

    /// The index of a column; a problem if it is missing.
    pub(super) fn column(&self, name: &str, problems: &mut Vec<Problem>) -> Option<usize> {
        let found = self.headers.iter().position(|h| h == name);
        if found.is_none() {
            problems.push(Problem {
                file: self.file.into(),
                row: None,
                column: Some(name.into()),
                kind: ProblemKind::MissingColumn,
            });
        }
        found
    }

    /// Several columns at once; `None` (and problems) if any is missing.
    fn columns<const N: usize>(
        &self,
        names: [&str; N],
        problems: &mut Vec<Problem>,
    ) -> Option<[usize; N]> {
        let found = names.map(|n| self.column(n, problems));
        found
            .iter()
            .all(Option::is_some)
            .then(|| found.map(|c| c.unwrap_or_default()))
    }

    pub(super) fn header(&self, index: usize) -> &str {
        self.headers.get(index).unwrap_or("")
    }

    pub(super) fn rows<'a>(&'a self) -> impl Iterator<Item = Row<'a>> {
        self.records.iter().map(|(row, record)| Row {
            file: self.file,
            row: *row,
            record,
        })
    }
}

/// One data row.
pub(super) struct Row<'a> {
    file: &'static str,
    row: u64,
    record: &'a StringRecord,
}

impl Row<'_> {
    pub(super) fn get(&self, column: usize) -> &str {
        self.record.get(column).unwrap_or("").trim()
    }

    pub(super) fn problem(&self, column: &str, kind: ProblemKind) -> Problem {
        Problem {
            file: self.file.into(),
            row: Some(self.row),
            column: Some(column.into()),
            kind,
        }
    }
}

fn file_problem(file: &str, row: Option<u64>, kind: ProblemKind) -> Problem {
    Problem {
        file: file.into(),
        row,
        column: None,
        kind,
    }
}

/// A cell checked by a parser: the value, or a problem pushed and `None`.
struct Cells<'t, 'r, 'p> {
    table: &'t Table,
    row: &'r Row<'r>,
    problems: &'p mut Vec<Problem>,
}

impl Cells<'_, '_, '_> {
    fn fail<T>(&mut self, col: usize, kind: ProblemKind) -> Option<T> {
        let p = self.row.problem(self.table.header(col), kind);
        self.problems.push(p);
        None
    }

    fn expect(&mut self, col: usize, expected: &str) -> Option<()> {
        let value = self.row.get(col);
        if value == expected {
            Some(())
        } else {
            let value = value.to_owned();
            self.fail(
                col,
                ProblemKind::UnexpectedValue {
                    expected: expected.into(),
                    value,
                },
            )
        }
    }

    fn integer(&mut self, col: usize) -> Option<i64> {
        let value = self.row.get(col);
        match value.parse::<i64>() {
            Ok(v) => Some(v),
            Err(_) => {
                let value = value.to_owned();
                self.fail(col, ProblemKind::NotAnInteger { value })
            }
        }
    }

    fn year(&mut self, col: usize) -> Option<i32> {
        let value = self.row.get(col);
        match value.parse::<i32>() {
            Ok(y) if value.len() == 4 && (1900..=2100).contains(&y) => Some(y),
            _ => {
                let value = value.to_owned();
                self.fail(col, ProblemKind::NotAYear { value })
            }
        }
    }

    fn date(&mut self, col: usize) -> Option<NaiveDate> {
        let value = self.row.get(col);
        match NaiveDate::parse_from_str(value, "%Y-%m-%d") {
            Ok(d) => Some(d),
            Err(_) => {
                let value = value.to_owned();
                self.fail(col, ProblemKind::NotADate { value })
            }
        }
    }

    fn sex(&mut self, col: usize) -> Option<Sex> {
        match self.row.get(col) {
            "9" => Some(Sex::Total),
            "1" => Some(Sex::Male),
            "2" => Some(Sex::Female),
            other => {
                let value = other.to_owned();
                self.fail(col, ProblemKind::UnknownCode { value })
            }
        }
    }

    fn area(&mut self, col: usize, areas: &AreaTable, family: Family) -> Option<area::Resolved> {
        match areas.resolve(self.row.get(col), family) {
            Ok(r) => Some(r),
            Err(kind) => self.fail(col, kind),
        }
    }

    fn permit_type(&mut self, col: usize) -> Option<PermitType> {
        match self.row.get(col) {
            "TOTAL" => Some(PermitType::Total),
            "LONGT" => Some(PermitType::LongTerm),
            "NLONGT" => Some(PermitType::WithExpiry),
            other => {
                let value = other.to_owned();
                self.fail(col, ProblemKind::UnknownCode { value })
            }
        }
    }

    /// An SDMX citizenship code: `WORLD`, `999`, an area, or (with `iso_countries`) an ISO
    /// 3166 alpha-2 code turned into ISTAT's.
    fn citizenship(&mut self, col: usize, iso_countries: bool) -> Option<Citizenship> {
        let value = self.row.get(col).to_owned();
        match value.as_str() {
            "WORLD" => return Some(Citizenship::Total),
            "999" => return Some(Citizenship::Stateless),
            _ => {}
        }
        if CITIZENSHIP_AREAS.iter().any(|(code, _)| *code == value) {
            return Some(Citizenship::Area(value));
        }
        if iso_countries && value.len() == 2 {
            if let Some(c) = countries::countries()
                .iter()
                .find(|c| c.iso2.as_deref() == Some(value.as_str()))
            {
                return Some(Citizenship::Country(c.istat_code.clone()));
            }
            return self.fail(
                col,
                ProblemKind::UnknownCountry {
                    value: String::new(),
                    iso2: value,
                },
            );
        }
        self.fail(col, ProblemKind::UnknownCode { value })
    }
}

// ---------------------------------------------------------------------------------------
// Collecting observations

/// The observations of one dataset, keyed by dimensions, with the row each came from.
#[derive(Default)]
struct Collected {
    rows: BTreeMap<Observation, (i64, u64, bool)>,
}

#[derive(Default)]
struct Outputs {
    datasets: Vec<(&'static DatasetInfo, Collected)>,
}

impl Outputs {
    fn dataset(&mut self, id: &str) -> &mut Collected {
        let info = DATASETS
            .iter()
            .find(|d| d.id == id)
            .expect("dataset ids are constants");
        if let Some(i) = self.datasets.iter().position(|(d, _)| d.id == id) {
            return &mut self.datasets[i].1;
        }
        self.datasets.push((info, Collected::default()));
        &mut self.datasets.last_mut().expect("just pushed").1
    }

    /// Adds an observation (its `value` field is ignored for the key). An alias row (see
    /// [`area::Resolved::alias`]) may repeat an observation with the same value.
    #[allow(clippy::too_many_arguments)]
    fn add(
        &mut self,
        id: &str,
        mut obs: Observation,
        alias: bool,
        row: &Row<'_>,
        value_column: &str,
        problems: &mut Vec<Problem>,
    ) {
        let value = obs.value;
        obs.value = 0;
        let collected = self.dataset(id);
        match collected.rows.get_mut(&obs) {
            None => {
                collected.rows.insert(obs, (value, row.row, alias));
            }
            Some((other, other_row, other_alias)) => {
                if *other != value {
                    problems.push(row.problem(
                        value_column,
                        ProblemKind::ConflictingDuplicate {
                            other_row: *other_row,
                            other: *other,
                            value,
                        },
                    ));
                } else if alias || *other_alias {
                    if *other_alias && !alias {
                        *other_row = row.row;
                        *other_alias = false;
                    }
                } else {
                    problems.push(row.problem(
                        value_column,
                        ProblemKind::DuplicateObservation {
                            first_row: *other_row,
                        },
                    ));
                }
            }
        }
    }

    fn finish(self, _file: &str, problems: Vec<Problem>) -> Result<Vec<Dataset>, Vec<Problem>> {
        if !problems.is_empty() {
            return Err(problems);
        }
        Ok(self
            .datasets
            .into_iter()
            .map(|(info, c)| Dataset {
                info,
                observations: c
                    .rows
                    .into_iter()
                    .map(|(mut o, (value, _, _))| {
                        o.value = value;
                        o
                    })
                    .collect(),
            })
            .collect())
    }
}

fn obs(territory: Territory, period: Period, value: i64) -> Observation {
    Observation {
        territory,
        period,
        sex: None,
        citizenship: None,
        permit_type: None,
        measure: None,
        value,
    }
}

// ---------------------------------------------------------------------------------------
// The files

/// ISTAT's data types of the demographic balance of foreign residents (`POPSTRBIL1`).
pub const BALANCE_MEASURES: &[&str] = &[
    "ACQCITIZ",
    "FBLOTHR",
    "FDEATH",
    "FDEC_CP",
    "FDEREGM",
    "FDERGOTHC",
    "FDEROTHR",
    "FHOUSMEMB_CP",
    "FIDECTR",
    "FINTNMIG",
    "FINTRNMIGR",
    "FJAN",
    "FLBIRTH",
    "FNATGR",
    "FNETMIG",
    "FNMIGRAT",
    "FPOPCOM_CP",
    "FREGM",
    "FREGOTHC",
    "FREGOTHR",
    "FREGSTAD_CP",
    "FSTAT_ADJUST",
    "FTOCESTAD_CP",
    "FTOTAL_BAL",
    "FTOTBAL_CP",
    "TFDEREG_TOT",
    "TFREG_TOT",
];

/// The balance: every row into `foreign_population_balance`; the population on 1 January
/// into `foreign_residents`: `FJAN` of each year, and for the year after the last one the
/// file covers, `FDEC_CP` (31 December) of that last year. `FDEC_CP` is not used where the
/// next `FJAN` exists: it is counted on the boundaries of its own year, and provinces change
/// (Montecopiolo and Sassofeltrio moved from Pesaro e Urbino to Rimini between 31 December
/// 2020 and 1 January 2021).
fn balance(table: &Table, areas: &AreaTable, out: &mut Outputs, problems: &mut Vec<Problem>) {
    let Some([area, dtype, sex, time, value, freq]) = table.columns(
        [
            "REF_AREA",
            "DATA_TYPE",
            "SEX",
            "TIME_PERIOD",
            "OBS_VALUE",
            "FREQ",
        ],
        problems,
    ) else {
        return;
    };
    let value_col = table.header(value);
    let mut january_years = BTreeSet::new();
    let mut december = Vec::new();
    for row in table.rows() {
        let mut c = Cells {
            table,
            row: &row,
            problems,
        };
        let freq_ok = c.expect(freq, "A");
        let resolved = c.area(area, areas, Family::Residents);
        let measure = row.get(dtype).to_owned();
        let measure_ok = if BALANCE_MEASURES.contains(&measure.as_str()) {
            Some(())
        } else {
            c.fail(
                dtype,
                ProblemKind::UnknownCode {
                    value: measure.clone(),
                },
            )
        };
        let sex = c.sex(sex);
        let year = c.year(time);
        let v = c.integer(value);
        let (Some(()), Some(r), Some(()), Some(sex), Some(year), Some(v)) =
            (freq_ok, resolved, measure_ok, sex, year, v)
        else {
            continue;
        };
        let mut o = obs(r.territory.clone(), Period::Year(year), v);
        o.sex = Some(sex);
        o.measure = Some(measure.clone());
        out.add(
            "foreign_population_balance",
            o,
            r.alias,
            &row,
            value_col,
            problems,
        );
        let mut stock = obs(r.territory, Period::january_first(year), v);
        stock.sex = Some(sex);
        match measure.as_str() {
            "FJAN" => {
                january_years.insert(year);
                out.add(
                    "foreign_residents",
                    stock,
                    r.alias,
                    &row,
                    value_col,
                    problems,
                );
            }
            "FDEC_CP" => {
                stock.period = Period::january_first(year + 1);
                december.push((year, stock, r.alias, row));
            }
            _ => {}
        }
    }
    for (year, stock, alias, row) in december {
        if !january_years.contains(&(year + 1)) {
            out.add("foreign_residents", stock, alias, &row, value_col, problems);
        }
    }
}

fn by_area(table: &Table, areas: &AreaTable, out: &mut Outputs, problems: &mut Vec<Problem>) {
    let Some([area, dtype, sex, cit, time, value]) = table.columns(
        [
            "REF_AREA",
            "DATA_TYPE",
            "SEX",
            "CITIZENSHIP",
            "TIME_PERIOD",
            "OBS_VALUE",
        ],
        problems,
    ) else {
        return;
    };
    for row in table.rows() {
        let mut c = Cells {
            table,
            row: &row,
            problems,
        };
        let dtype_ok = c.expect(dtype, "FJAN");
        let resolved = c.area(area, areas, Family::Residents);
        let sex = c.sex(sex);
        let cit = c.citizenship(cit, false);
        let year = c.year(time);
        let v = c.integer(value);
        let (Some(()), Some(r), Some(sex), Some(cit), Some(year), Some(v)) =
            (dtype_ok, resolved, sex, cit, year, v)
        else {
            continue;
        };
        let mut o = obs(r.territory, Period::january_first(year), v);
        o.sex = Some(sex);
        o.citizenship = Some(cit);
        out.add(
            "foreign_residents_by_area",
            o,
            r.alias,
            &row,
            table.header(value),
            problems,
        );
    }
}

fn by_country(table: &Table, out: &mut Outputs, problems: &mut Vec<Problem>) {
    let Some([kind, code, istat, males, females, total]) = table.columns(
        [
            "tipo",
            "codice",
            "codice_istat",
            "maschi",
            "femmine",
            "totale",
        ],
        problems,
    ) else {
        return;
    };
    for row in table.rows() {
        let mut c = Cells {
            table,
            row: &row,
            problems,
        };
        let cit = match row.get(kind) {
            "aggregato" if row.get(code) == "WORLD" => Some(Citizenship::Total),
            "aggregato" => c.citizenship(code, false),
            "apolide" => c.expect(code, "999").map(|()| Citizenship::Stateless),
            "paese" => {
                let istat_code = row.get(istat);
                let iso2 = row.get(code);
                match countries::country(istat_code) {
                    Some(country) if country.iso2.as_deref() == Some(iso2) => {
                        Some(Citizenship::Country(istat_code.to_owned()))
                    }
                    _ => c.fail(
                        istat,
                        ProblemKind::UnknownCountry {
                            value: istat_code.into(),
                            iso2: iso2.into(),
                        },
                    ),
                }
            }
            other => {
                let value = other.to_owned();
                c.fail(kind, ProblemKind::UnknownCode { value })
            }
        };
        let values = [
            (Sex::Male, c.integer(males), males),
            (Sex::Female, c.integer(females), females),
            (Sex::Total, c.integer(total), total),
        ];
        let Some(cit) = cit else { continue };
        for (sex, v, col) in values {
            let Some(v) = v else { continue };
            let mut o = obs(Territory::italy(), Period::january_first(2023), v);
            o.sex = Some(sex);
            o.citizenship = Some(cit.clone());
            out.add(
                "foreign_residents_by_country",
                o,
                false,
                &row,
                table.header(col),
                problems,
            );
        }
    }
}

/// Permit holders on 1 January: by (historical) province, or for Italy by citizenship.
fn permits(
    table: &Table,
    areas: &AreaTable,
    by_citizenship: bool,
    out: &mut Outputs,
    problems: &mut Vec<Problem>,
) {
    let Some(
        [
            area,
            dtype,
            sex,
            cit,
            reason,
            ptype,
            age,
            marital,
            time,
            value,
        ],
    ) = table.columns(
        [
            "REF_AREA",
            "DATA_TYPE",
            "SEX",
            "MOSTREL_CCITENSHIP",
            "TYPE_RES_PERMIT_REASON",
            "TYPE_RES_PERMIT",
            "AGE",
            "MARITAL_STATUS",
            "TIME_PERIOD",
            "OBS_VALUE",
        ],
        problems,
    )
    else {
        return;
    };
    let id = if by_citizenship {
        "residence_permits_by_citizenship"
    } else {
        "residence_permits_by_province"
    };
    for row in table.rows() {
        let mut c = Cells {
            table,
            row: &row,
            problems,
        };
        let fixed = [
            c.expect(dtype, "RESPER"),
            c.expect(reason, "ALL"),
            c.expect(age, "TOTAL"),
            c.expect(marital, "99"),
        ];
        let resolved = if by_citizenship {
            c.expect(area, "IT").map(|()| area::Resolved {
                territory: Territory::italy(),
                alias: false,
            })
        } else {
            c.area(area, areas, Family::Permits)
        };
        let citizenship = if by_citizenship {
            c.citizenship(cit, true).map(Some)
        } else {
            c.expect(cit, "WORLD").map(|()| None)
        };
        let sex = c.sex(sex);
        let ptype = c.permit_type(ptype);
        let year = c.year(time);
        let v = c.integer(value);
        let (Some(r), Some(citizenship), Some(sex), Some(ptype), Some(year), Some(v)) =
            (resolved, citizenship, sex, ptype, year, v)
        else {
            continue;
        };
        if fixed.iter().any(Option::is_none) {
            continue;
        }
        let mut o = obs(r.territory, Period::january_first(year), v);
        o.sex = Some(sex);
        o.citizenship = citizenship;
        o.permit_type = Some(ptype);
        out.add(id, o, r.alias, &row, table.header(value), problems);
    }
}

fn inflows(table: &Table, areas: &AreaTable, out: &mut Outputs, problems: &mut Vec<Problem>) {
    let Some([area, dtype, sex, cit, reason, time, value]) = table.columns(
        [
            "ITTER107",
            "TIPO_DATO15",
            "SEXISTAT1",
            "ISO",
            "MOTIVOPS1",
            "TIME",
            "Value",
        ],
        problems,
    ) else {
        return;
    };
    for row in table.rows() {
        let mut c = Cells {
            table,
            row: &row,
            problems,
        };
        let fixed = [c.expect(dtype, "INFLNONEU"), c.expect(reason, "ALL1")];
        let resolved = c.area(area, areas, Family::Permits);
        let sex = c.sex(sex);
        let cit = c.citizenship(cit, true);
        let year = c.year(time);
        let v = c.integer(value);
        let (Some(r), Some(sex), Some(cit), Some(year), Some(v)) = (resolved, sex, cit, year, v)
        else {
            continue;
        };
        if fixed.iter().any(Option::is_none) {
            continue;
        }
        let mut o = obs(r.territory, Period::Year(year), v);
        o.sex = Some(sex);
        o.citizenship = Some(cit);
        out.add(
            "protection_permits_issued",
            o,
            r.alias,
            &row,
            table.header(value),
            problems,
        );
    }
}

/// Reception measures: the column and the stable measure code.
pub const RECEPTION_MEASURES: [(&str, &str); 4] = [
    ("Migranti presenti negli hot spot", "hotspot"),
    (
        "Migranti presenti nei centri di accoglienza",
        "reception_centre",
    ),
    ("Migranti presenti nei centri SIPROIMI", "siproimi"),
    ("Migranti presenti nei centri SAI", "sai"),
];

fn reception(table: &Table, areas: &AreaTable, out: &mut Outputs, problems: &mut Vec<Problem>) {
    let Some([region, date]) = table.columns(["CodiceRegione", "Data_Report"], problems) else {
        return;
    };
    let Some(measure_cols) = table.columns(RECEPTION_MEASURES.map(|(c, _)| c), problems) else {
        return;
    };
    let regions: Vec<&str> = areas
        .codes
        .iter()
        .filter(|a| a.level == "regione")
        .filter_map(|a| a.region_code.as_deref())
        .collect();
    for row in table.rows() {
        let mut c = Cells {
            table,
            row: &row,
            problems,
        };
        let code = row.get(region);
        let region_ok = if regions.contains(&code) {
            Some(())
        } else {
            c.fail(region, ProblemKind::UnknownRegion { value: code.into() })
        };
        let day = c.date(date);
        let mut values = Vec::new();
        for (i, col) in measure_cols.into_iter().enumerate() {
            // Empty: not reported (SIPROIMI before, SAI after the 2020 renaming).
            if row.get(col).is_empty() {
                continue;
            }
            if let Some(v) = c.integer(col) {
                values.push((RECEPTION_MEASURES[i].1, v, col));
            }
        }
        let (Some(()), Some(day)) = (region_ok, day) else {
            continue;
        };
        for (measure, v, col) in values {
            let mut o = obs(
                Territory::new(TerritoryLevel::Region, code),
                Period::Date(day),
                v,
            );
            o.measure = Some(measure.to_owned());
            out.add("reception", o, false, &row, table.header(col), problems);
        }
    }
}
