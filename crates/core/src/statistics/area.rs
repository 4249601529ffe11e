//! ISTAT's SDMX area codes (ITTER107: `IT`, `ITF` Sud, `ITF1` Abruzzo, `ITF11` L'Aquila) and
//! what they stand for in ISTAT's numeric codes, from `data/statistics/itter107_territori.csv`.
//!
//! One code names a different territory depending on the source: `ITC45` is the current
//! Città metropolitana di Milano (`215`) in the resident statistics, and the pre-2009 province
//! of Milano (`015`, Monza included) in the permit statistics. [`Family`] says which.

use std::collections::HashMap;
use std::sync::OnceLock;

use super::{Problem, ProblemKind, Territory, TerritoryLevel};

pub const AREA_FILE: &str = "itter107_territori.csv";
const AREA_CSV: &[u8] = include_bytes!("../../../../data/statistics/itter107_territori.csv");

/// Which province list a source counts on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Family {
    /// The resident statistics: 107 current provinces.
    Residents,
    /// The permit statistics: 103 provinces in force before 2009.
    Permits,
}

/// One row of the ITTER107 table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AreaCode {
    pub itter107: String,
    /// `italia`, `ripartizione`, `regione` or `provincia`, as published.
    pub level: String,
    /// ISTAT's SDMX label.
    pub name: String,
    /// Current province code (provinces only).
    pub province_code: Option<String>,
    /// Pre-2009 province code (provinces that existed then).
    pub historical_province_code: Option<String>,
    pub abbreviation: Option<String>,
    pub region_code: Option<String>,
    pub macro_area_code: Option<String>,
    pub in_residents: bool,
    pub in_permits: bool,
}

/// The table, indexed.
#[derive(Debug, Clone)]
pub struct AreaTable {
    pub codes: Vec<AreaCode>,
    by_code: HashMap<String, usize>,
}

/// What an area code stands for in a source.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Resolved {
    pub territory: Territory,
    /// The code repeats another one's figures (`ITD1`, the NUTS-2 unit that is the autonomous
    /// province of Bolzano, repeats `ITD10`): its rows must agree with that one's.
    pub alias: bool,
}

impl AreaTable {
    /// Parses the table; every problem is reported.
    pub fn parse(bytes: &[u8]) -> Result<Self, Vec<Problem>> {
        let mut problems = Vec::new();
        let table = match super::parse::Table::read(AREA_FILE, bytes, &mut problems) {
            Some(t) => t,
            None => return Err(problems),
        };
        let cols = [
            "itter107",
            "livello",
            "nome_istat_sdmx",
            "cod_provincia_istat",
            "cod_provincia_storico",
            "sigla",
            "cod_regione_istat",
            "cod_ripartizione",
            "in_bilancio_stranieri",
            "in_permessi",
        ]
        .map(|c| table.column(c, &mut problems));
        if !problems.is_empty() {
            return Err(problems);
        }
        let cols = cols.map(|c| c.expect("checked above"));
        let mut codes = Vec::new();
        for row in table.rows() {
            let get = |i: usize| row.get(cols[i]);
            let opt = |i: usize| Some(get(i).to_owned()).filter(|s| !s.is_empty());
            let flag = |i: usize, problems: &mut Vec<Problem>| match get(i) {
                "S" => true,
                "N" => false,
                other => {
                    problems.push(row.problem(
                        table.header(cols[i]),
                        ProblemKind::UnexpectedValue {
                            expected: "S or N".into(),
                            value: other.into(),
                        },
                    ));
                    false
                }
            };
            let level = get(1).to_owned();
            let ok = match level.as_str() {
                "italia" => true,
                "ripartizione" => opt(7).is_some(),
                "regione" => opt(6).is_some(),
                "provincia" => opt(3).is_some() && opt(6).is_some(),
                _ => false,
            };
            if !ok {
                problems.push(row.problem(
                    "livello",
                    ProblemKind::UnknownCode {
                        value: level.clone(),
                    },
                ));
            }
            let in_residents = flag(8, &mut problems);
            let in_permits = flag(9, &mut problems);
            codes.push(AreaCode {
                itter107: get(0).to_owned(),
                level,
                name: get(2).to_owned(),
                province_code: opt(3),
                historical_province_code: opt(4),
                abbreviation: opt(5),
                region_code: opt(6),
                macro_area_code: opt(7),
                in_residents,
                in_permits,
            });
        }
        let mut by_code = HashMap::new();
        for (i, c) in codes.iter().enumerate() {
            if by_code.insert(c.itter107.clone(), i).is_some() {
                problems.push(Problem {
                    file: AREA_FILE.into(),
                    row: Some(i as u64 + 1),
                    column: Some("itter107".into()),
                    kind: ProblemKind::DuplicateObservation { first_row: 0 },
                });
            }
        }
        if problems.is_empty() {
            Ok(Self { codes, by_code })
        } else {
            Err(problems)
        }
    }

    pub fn get(&self, itter107: &str) -> Option<&AreaCode> {
        self.by_code.get(itter107).map(|&i| &self.codes[i])
    }

    /// The territory `itter107` stands for in a source of `family`.
    pub fn resolve(&self, itter107: &str, family: Family) -> Result<Resolved, ProblemKind> {
        let area = self.get(itter107).ok_or_else(|| ProblemKind::UnknownArea {
            value: itter107.to_owned(),
        })?;
        let published = match family {
            Family::Residents => area.in_residents,
            Family::Permits => area.in_permits,
        };
        if !published {
            return Err(ProblemKind::AreaNotInSource {
                value: itter107.to_owned(),
            });
        }
        let region = || area.region_code.clone().unwrap_or_default();
        let territory = match area.level.as_str() {
            "italia" => Territory::italy(),
            "ripartizione" => Territory::new(
                TerritoryLevel::MacroArea,
                area.macro_area_code.clone().unwrap_or_default(),
            ),
            "regione" => {
                // A NUTS-2 unit sharing its region code with another one (Bolzano and Trento
                // inside Trentino-Alto Adige) is its one province.
                let shared = self.codes.iter().any(|c| {
                    c.level == "regione"
                        && c.itter107 != area.itter107
                        && c.region_code == area.region_code
                });
                let mut provinces = self
                    .codes
                    .iter()
                    .filter(|c| c.level == "provincia" && c.itter107.starts_with(&area.itter107));
                match (shared, provinces.next(), provinces.next()) {
                    (true, Some(only), None) => {
                        let inner = self.resolve(&only.itter107, family)?;
                        return Ok(Resolved {
                            territory: inner.territory,
                            alias: true,
                        });
                    }
                    _ => Territory::new(TerritoryLevel::Region, region()),
                }
            }
            _ => match family {
                Family::Residents => Territory::new(
                    TerritoryLevel::Province,
                    area.province_code.clone().unwrap_or_default(),
                ),
                Family::Permits => Territory::new(
                    TerritoryLevel::HistoricalProvince,
                    area.historical_province_code.clone().ok_or_else(|| {
                        ProblemKind::AreaNotInSource {
                            value: itter107.to_owned(),
                        }
                    })?,
                ),
            },
        };
        Ok(Resolved {
            territory,
            alias: false,
        })
    }

    /// The region a province or historical province (by ISTAT code) belongs to.
    pub fn region_of(&self, territory: &Territory) -> Option<&str> {
        self.codes
            .iter()
            .find(|c| {
                c.level == "provincia"
                    && match territory.level {
                        TerritoryLevel::Province => {
                            c.province_code.as_deref() == Some(&territory.code)
                        }
                        TerritoryLevel::HistoricalProvince => {
                            c.in_permits
                                && c.historical_province_code.as_deref() == Some(&territory.code)
                        }
                        _ => false,
                    }
            })
            .and_then(|c| c.region_code.as_deref())
    }

    /// The name of a pre-2009 province, by its code of then.
    pub fn historical_province_name(&self, code: &str) -> Option<&str> {
        self.codes
            .iter()
            .find(|c| {
                c.level == "provincia"
                    && c.in_permits
                    && c.historical_province_code.as_deref() == Some(code)
            })
            .map(|c| c.name.as_str())
    }
}

/// The embedded table.
pub fn areas() -> &'static AreaTable {
    static TABLE: OnceLock<AreaTable> = OnceLock::new();
    TABLE.get_or_init(|| {
        AreaTable::parse(AREA_CSV).expect("the embedded ITTER107 table parses (tested)")
    })
}

/// The embedded table's bytes, for the tests.
#[cfg(test)]
pub(super) fn embedded_bytes() -> &'static [u8] {
    AREA_CSV
}
