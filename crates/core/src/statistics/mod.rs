//! Official statistics: foreign residents, non-EU residence permits, new protection permits
//! and reception figures, as a small explicit fact model.
//!
//! A [`Dataset`] (what it counts, its source, its reference dates, its unit and the
//! [`Dimension`]s it is broken down by) is a list of [`Observation`]s: one integer value per
//! combination of typed dimension values. Every dataset is parsed from a file shipped in
//! `data/statistics/` (provenance in its `SOURCES.md`), embedded with `include_bytes!`, so
//! this module does no I/O.
//!
//! Territories are ISTAT codes, never ISTAT's SDMX area codes (ITTER107, `ITF11`), which
//! [`area`] maps. Residents are counted on the 107 current provinces ([`TerritoryLevel::Province`],
//! the codes of [`crate::territory::Province::code`]); permits on the 103 provinces in force
//! before 2009 ([`TerritoryLevel::HistoricalProvince`], keyed by their pre-2009 code): those
//! are kept as published, never split among today's provinces.
//!
//! Every parse problem names its file, row and column and carries a stable code
//! ([`ProblemKind::code`]); nothing is loaded from a file with problems.

pub mod area;
mod parse;
pub mod table;
#[cfg(test)]
mod tests;

use std::fmt;

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

pub use parse::{SourceFile, parse_file};

/// The attribution every view of these figures shows.
pub const ATTRIBUTION_ISTAT: &str = "Fonte: elaborazioni su dati ISTAT (CC BY)";
pub const ATTRIBUTION_MOI: &str =
    "Fonte: Ministero dell'Interno via Liberiamoli tutti!/onData (CC BY 4.0)";

/// The level of a territory an observation is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TerritoryLevel {
    /// The whole country, code `"IT"`.
    Italy,
    /// ISTAT's "ripartizione geografica", code `"1"` (Nord-ovest) … `"5"` (Isole).
    MacroArea,
    /// Region, 2 digits (`"13"`).
    Region,
    /// Current province, 3 digits (`"066"`, `"215"` Milano), as in [`crate::territory`].
    Province,
    /// One of the 103 provinces in force before 2009, by its code of then (`"015"` Milano,
    /// which then included Monza). The permit statistics use them.
    HistoricalProvince,
    /// Comune, 6 digits.
    Comune,
}

impl TerritoryLevel {
    pub const ALL: [TerritoryLevel; 6] = [
        Self::Italy,
        Self::MacroArea,
        Self::Region,
        Self::Province,
        Self::HistoricalProvince,
        Self::Comune,
    ];

    /// Stable name, as stored and in URLs.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Italy => "italy",
            Self::MacroArea => "macro_area",
            Self::Region => "region",
            Self::Province => "province",
            Self::HistoricalProvince => "historical_province",
            Self::Comune => "comune",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|l| l.as_str() == s)
    }
}

/// A territory: level and ISTAT code.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Territory {
    pub level: TerritoryLevel,
    pub code: String,
}

impl Territory {
    pub fn italy() -> Self {
        Self::new(TerritoryLevel::Italy, "IT")
    }
    pub fn new(level: TerritoryLevel, code: impl Into<String>) -> Self {
        Self {
            level,
            code: code.into(),
        }
    }
}

/// When an observation holds: a day (stocks, "on 1 January 2023") or a year (flows).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Period {
    Date(NaiveDate),
    Year(i32),
}

impl Period {
    /// 1 January of `year`.
    pub fn january_first(year: i32) -> Self {
        Self::Date(NaiveDate::from_ymd_opt(year, 1, 1).expect("1 January exists"))
    }

    /// Stable text: `2023-01-01` for a date, `2023` for a year. Sorts chronologically within
    /// a dataset (a dataset uses one kind).
    pub fn key(&self) -> String {
        match self {
            Self::Date(d) => d.format("%Y-%m-%d").to_string(),
            Self::Year(y) => format!("{y:04}"),
        }
    }

    /// Reads [`Period::key`] back.
    pub fn parse(s: &str) -> Option<Self> {
        if s.len() == 4 && s.bytes().all(|b| b.is_ascii_digit()) {
            return s.parse().ok().map(Self::Year);
        }
        NaiveDate::parse_from_str(s, "%Y-%m-%d")
            .ok()
            .map(Self::Date)
    }
}

impl fmt::Display for Period {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.key())
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Sex {
    Total,
    Male,
    Female,
}

impl Sex {
    pub const ALL: [Sex; 3] = [Self::Total, Self::Male, Self::Female];
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Total => "total",
            Self::Male => "male",
            Self::Female => "female",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|x| x.as_str() == s)
    }
}

/// Citizenship as the sources break it down.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Citizenship {
    /// All citizenships (ISTAT's `WORLD`).
    Total,
    /// A state, by ISTAT's three-digit code (`"201"` Albania; see
    /// [`crate::territory::countries`]).
    Country(String),
    /// An aggregate as ISTAT codes it in SDMX: geopolitical areas (`AFR_N`, `EU28`, …) and the
    /// residual groups published as such (`X777` "other countries", `X94`, `X95`). See
    /// [`CITIZENSHIP_AREAS`].
    Area(String),
    /// Stateless (ISTAT's `999`).
    Stateless,
}

impl Citizenship {
    /// Stable text: `total`, `country:201`, `area:AFR_N`, `stateless`.
    pub fn key(&self) -> String {
        match self {
            Self::Total => "total".to_owned(),
            Self::Country(c) => format!("country:{c}"),
            Self::Area(a) => format!("area:{a}"),
            Self::Stateless => "stateless".to_owned(),
        }
    }

    /// Reads [`Citizenship::key`] back.
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "total" => Some(Self::Total),
            "stateless" => Some(Self::Stateless),
            _ => {
                if let Some(c) = s.strip_prefix("country:") {
                    Some(Self::Country(c.to_owned()))
                } else {
                    s.strip_prefix("area:").map(|a| Self::Area(a.to_owned()))
                }
            }
        }
    }
}

/// The citizenship aggregates the shipped files use, with ISTAT's Italian label where the
/// sources give one.
pub const CITIZENSHIP_AREAS: &[(&str, &str)] = &[
    ("EU28", "Unione europea (28 paesi)"),
    ("XEUR_NEU28_OTH", "Altri paesi europei non Ue 28"),
    ("EUR", "Europa"),
    ("EUR_C_E", "Europa centro-orientale"),
    ("EUR_OTH", "Altri paesi europei"),
    ("AFR", "Africa"),
    ("AFR_N", "Africa settentrionale"),
    ("AFR_W", "Africa occidentale"),
    ("AFR_E", "Africa orientale"),
    ("AFR_C_S", "Africa centro-meridionale"),
    ("ASI", "Asia"),
    ("ASI_W", "Asia occidentale"),
    ("ASI_E", "Asia orientale"),
    ("XASI_C_S", "Asia centro-meridionale"),
    ("AME", "America"),
    ("AME_N", "America settentrionale"),
    ("AME_C_S", "America centro-meridionale"),
    ("OCE", "Oceania"),
    ("X777", "Altri paesi"),
    ("X94", "X94 (come pubblicato da ISTAT)"),
    ("X95", "X95 (come pubblicato da ISTAT)"),
];

/// Kind of residence permit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PermitType {
    Total,
    /// EU long-term residence permit (no expiry; ISTAT `LONGT`).
    LongTerm,
    /// Permit with an expiry date (ISTAT `NLONGT`).
    WithExpiry,
}

impl PermitType {
    pub const ALL: [PermitType; 3] = [Self::Total, Self::LongTerm, Self::WithExpiry];
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Total => "total",
            Self::LongTerm => "long_term",
            Self::WithExpiry => "with_expiry",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|x| x.as_str() == s)
    }
}

/// A dimension a dataset can be broken down by.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Dimension {
    Territory,
    Period,
    Sex,
    Citizenship,
    PermitType,
    /// What is counted, when a dataset holds several measures (ISTAT's `DATA_TYPE` codes of
    /// the demographic balance, the kinds of reception centre).
    Measure,
}

/// What the values count.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Unit {
    Persons,
    Permits,
}

/// The description of a dataset.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DatasetInfo {
    /// Stable identifier (`foreign_residents`).
    pub id: &'static str,
    pub title_it: &'static str,
    pub title_en: &'static str,
    /// The attribution to show beside the figures.
    pub source: &'static str,
    /// The shipped file it is parsed from (in `data/statistics/`).
    pub file: &'static str,
    /// The reference dates, in words (`"1 January 2019–2024"`).
    pub reference: &'static str,
    pub unit: Unit,
    pub dimensions: &'static [Dimension],
}

/// One figure.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Observation {
    pub territory: Territory,
    pub period: Period,
    pub sex: Option<Sex>,
    pub citizenship: Option<Citizenship>,
    pub permit_type: Option<PermitType>,
    pub measure: Option<String>,
    pub value: i64,
}

/// A dataset with its observations, sorted by dimensions.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Dataset {
    pub info: &'static DatasetInfo,
    pub observations: Vec<Observation>,
}

impl Dataset {
    /// Observations matching `filter`.
    pub fn select<'a>(
        &'a self,
        filter: &'a ObservationFilter,
    ) -> impl Iterator<Item = &'a Observation> + 'a {
        self.observations.iter().filter(|o| filter.matches(o))
    }

    /// The one value matching `filter`; `None` when none or several match.
    pub fn value(&self, filter: &ObservationFilter) -> Option<i64> {
        let mut it = self.select(filter);
        let first = it.next()?;
        it.next().is_none().then_some(first.value)
    }
}

/// Which observations of a dataset to take: every field set must match, a list matches any
/// of its values, `None` or an empty list does not filter.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ObservationFilter {
    pub territory_level: Option<TerritoryLevel>,
    pub territory_codes: Vec<String>,
    pub periods: Vec<Period>,
    pub sex: Option<Sex>,
    pub citizenship: Option<Citizenship>,
    pub permit_type: Option<PermitType>,
    pub measure: Option<String>,
}

impl ObservationFilter {
    pub fn territory(mut self, territory: &Territory) -> Self {
        self.territory_level = Some(territory.level);
        self.territory_codes = vec![territory.code.clone()];
        self
    }
    pub fn level(mut self, level: TerritoryLevel) -> Self {
        self.territory_level = Some(level);
        self
    }
    pub fn period(mut self, period: Period) -> Self {
        self.periods = vec![period];
        self
    }
    pub fn sex(mut self, sex: Sex) -> Self {
        self.sex = Some(sex);
        self
    }
    pub fn citizenship(mut self, citizenship: Citizenship) -> Self {
        self.citizenship = Some(citizenship);
        self
    }
    pub fn permit_type(mut self, permit_type: PermitType) -> Self {
        self.permit_type = Some(permit_type);
        self
    }
    pub fn measure(mut self, measure: impl Into<String>) -> Self {
        self.measure = Some(measure.into());
        self
    }

    pub fn matches(&self, o: &Observation) -> bool {
        self.territory_level.is_none_or(|l| o.territory.level == l)
            && (self.territory_codes.is_empty() || self.territory_codes.contains(&o.territory.code))
            && (self.periods.is_empty() || self.periods.contains(&o.period))
            && self.sex.is_none_or(|s| o.sex == Some(s))
            && self
                .citizenship
                .as_ref()
                .is_none_or(|c| o.citizenship.as_ref() == Some(c))
            && self.permit_type.is_none_or(|p| o.permit_type == Some(p))
            && self
                .measure
                .as_ref()
                .is_none_or(|m| o.measure.as_ref() == Some(m))
    }
}

/// One problem found while parsing a shipped file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, thiserror::Error)]
#[error("{file}{}{}: {kind} [{}]", row.map(|r| format!(", row {r}")).unwrap_or_default(), column.as_ref().map(|c| format!(", column {c}")).unwrap_or_default(), kind.code())]
pub struct Problem {
    pub file: String,
    /// 1-based data row (the header is not counted).
    pub row: Option<u64>,
    pub column: Option<String>,
    pub kind: ProblemKind,
}

/// What is wrong; [`ProblemKind::code`] is stable.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, thiserror::Error)]
#[serde(tag = "code", rename_all = "snake_case")]
#[non_exhaustive]
pub enum ProblemKind {
    #[error("cannot read CSV: {message}")]
    InvalidCsv { message: String },
    #[error("missing column")]
    MissingColumn,
    #[error("unknown ITTER107 area code {value:?}")]
    UnknownArea { value: String },
    /// An area the source family does not publish (a current province in a permit file).
    #[error("area {value:?} is not one this source uses")]
    AreaNotInSource { value: String },
    #[error("unknown code {value:?}")]
    UnknownCode { value: String },
    #[error("expected {expected:?}, found {value:?}")]
    UnexpectedValue { expected: String, value: String },
    #[error("not an integer: {value:?}")]
    NotAnInteger { value: String },
    #[error("not a date (YYYY-MM-DD): {value:?}")]
    NotADate { value: String },
    #[error("not a year: {value:?}")]
    NotAYear { value: String },
    #[error("no state with ISTAT code {value:?} (or ISO code {iso2:?})")]
    UnknownCountry { value: String, iso2: String },
    #[error("region code {value:?} does not name a region")]
    UnknownRegion { value: String },
    #[error("the same observation appears again (first at row {first_row})")]
    DuplicateObservation { first_row: u64 },
    #[error(
        "another row gives {other} for the same observation (row {other_row}), this one {value}"
    )]
    ConflictingDuplicate {
        other_row: u64,
        other: i64,
        value: i64,
    },
}

impl ProblemKind {
    /// Stable code, for reports and tests.
    pub fn code(&self) -> &'static str {
        match self {
            Self::InvalidCsv { .. } => "invalid_csv",
            Self::MissingColumn => "missing_column",
            Self::UnknownArea { .. } => "unknown_area",
            Self::AreaNotInSource { .. } => "area_not_in_source",
            Self::UnknownCode { .. } => "unknown_code",
            Self::UnexpectedValue { .. } => "unexpected_value",
            Self::NotAnInteger { .. } => "not_an_integer",
            Self::NotADate { .. } => "not_a_date",
            Self::NotAYear { .. } => "not_a_year",
            Self::UnknownCountry { .. } => "unknown_country",
            Self::UnknownRegion { .. } => "unknown_region",
            Self::DuplicateObservation { .. } => "duplicate_observation",
            Self::ConflictingDuplicate { .. } => "conflicting_duplicate",
        }
    }
}

/// The datasets the shipped files hold.
pub static DATASETS: &[DatasetInfo] = &[
    DatasetInfo {
        id: "foreign_residents",
        title_it: "Stranieri residenti al 1° gennaio per provincia e sesso",
        title_en: "Foreign residents on 1 January by province and sex",
        source: ATTRIBUTION_ISTAT,
        file: parse::BALANCE_FILE,
        reference: "1 January 2019–2024 (2024: population on 31 December 2023)",
        unit: Unit::Persons,
        dimensions: &[Dimension::Territory, Dimension::Period, Dimension::Sex],
    },
    DatasetInfo {
        id: "foreign_population_balance",
        title_it: "Bilancio demografico della popolazione straniera residente",
        title_en: "Demographic balance of the foreign resident population",
        source: ATTRIBUTION_ISTAT,
        file: parse::BALANCE_FILE,
        reference: "years 2019–2023",
        unit: Unit::Persons,
        dimensions: &[
            Dimension::Territory,
            Dimension::Period,
            Dimension::Sex,
            Dimension::Measure,
        ],
    },
    DatasetInfo {
        id: "foreign_residents_by_area",
        title_it: "Stranieri residenti per provincia, sesso e area geopolitica di cittadinanza",
        title_en: "Foreign residents by province, sex and area of citizenship",
        source: ATTRIBUTION_ISTAT,
        file: parse::AREA_FILE,
        reference: "1 January 2023",
        unit: Unit::Persons,
        dimensions: &[
            Dimension::Territory,
            Dimension::Period,
            Dimension::Sex,
            Dimension::Citizenship,
        ],
    },
    DatasetInfo {
        id: "foreign_residents_by_country",
        title_it: "Stranieri residenti in Italia per paese di cittadinanza e sesso",
        title_en: "Foreign residents in Italy by country of citizenship and sex",
        source: ATTRIBUTION_ISTAT,
        file: parse::COUNTRY_FILE,
        reference: "1 January 2023",
        unit: Unit::Persons,
        dimensions: &[
            Dimension::Territory,
            Dimension::Period,
            Dimension::Sex,
            Dimension::Citizenship,
        ],
    },
    DatasetInfo {
        id: "residence_permits_by_province",
        title_it: "Cittadini non comunitari regolarmente soggiornanti per provincia (103 province ante 2009), sesso e tipo di permesso",
        title_en: "Non-EU citizens holding a residence permit by province (the 103 pre-2009 provinces), sex and type of permit",
        source: ATTRIBUTION_ISTAT,
        file: parse::PERMITS_PROVINCE_FILE,
        reference: "1 January 2015–2024",
        unit: Unit::Persons,
        dimensions: &[
            Dimension::Territory,
            Dimension::Period,
            Dimension::Sex,
            Dimension::PermitType,
        ],
    },
    DatasetInfo {
        id: "residence_permits_by_citizenship",
        title_it: "Cittadini non comunitari regolarmente soggiornanti in Italia per cittadinanza, sesso e tipo di permesso",
        title_en: "Non-EU citizens holding a residence permit in Italy by citizenship, sex and type of permit",
        source: ATTRIBUTION_ISTAT,
        file: parse::PERMITS_CITIZENSHIP_FILE,
        reference: "1 January 2015–2024",
        unit: Unit::Persons,
        dimensions: &[
            Dimension::Territory,
            Dimension::Period,
            Dimension::Sex,
            Dimension::Citizenship,
            Dimension::PermitType,
        ],
    },
    DatasetInfo {
        id: "protection_permits_issued",
        title_it: "Nuovi permessi rilasciati per protezione internazionale per provincia (103 province ante 2009), sesso e cittadinanza",
        title_en: "New permits issued for international protection by province (the 103 pre-2009 provinces), sex and citizenship",
        source: ATTRIBUTION_ISTAT,
        file: parse::INFLOWS_FILE,
        reference: "years 2019–2023",
        unit: Unit::Permits,
        dimensions: &[
            Dimension::Territory,
            Dimension::Period,
            Dimension::Sex,
            Dimension::Citizenship,
        ],
    },
    DatasetInfo {
        id: "reception",
        title_it: "Migranti presenti nelle strutture di accoglienza per regione",
        title_en: "Migrants in reception facilities by region",
        source: ATTRIBUTION_MOI,
        file: parse::RECEPTION_FILE,
        reference: "twice a month, 30 September 2019 – 15 September 2025",
        unit: Unit::Persons,
        dimensions: &[Dimension::Territory, Dimension::Period, Dimension::Measure],
    },
];

/// The description of the dataset with this id.
pub fn dataset_info(id: &str) -> Option<&'static DatasetInfo> {
    DATASETS.iter().find(|d| d.id == id)
}

/// Parses every embedded file. On problems, all of them (of every file) are returned.
pub fn load_embedded() -> Result<Vec<Dataset>, Vec<Problem>> {
    let mut datasets = Vec::new();
    let mut problems = Vec::new();
    for (file, bytes) in parse::embedded_files() {
        match parse_file(file, bytes) {
            Ok(mut d) => datasets.append(&mut d),
            Err(mut p) => problems.append(&mut p),
        }
    }
    if problems.is_empty() {
        datasets.sort_by_key(|d| {
            DATASETS
                .iter()
                .position(|i| i.id == d.info.id)
                .unwrap_or(usize::MAX)
        });
        Ok(datasets)
    } else {
        Err(problems)
    }
}
