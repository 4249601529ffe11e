//! Italy's administrative tree: regioni, province (and città metropolitane, liberi consorzi,
//! ...) and comuni, keyed by ISTAT codes, with the office that acts as each province's
//! Prefettura and a centroid for every unit, so desks, the directory and the observatory
//! share one territory.
//!
//! Built from the reference files in `data/territory/` (provenance in its `SOURCES.md`); the
//! loader takes their bytes, so it does no I/O and tests can feed it fixtures.
//!
//! Codes, as ISTAT defines them:
//! - region: 2 digits (`"13"` Abruzzo);
//! - province: 3 digits, the *current* code of the "unità territoriale sovracomunale"
//!   (`"201"` for the Città metropolitana di Torino). The comuni list, the prefectures file and
//!   ISTAT's statistics use it. The *historical* code (`"001"` for Torino, equal to the current
//!   one outside the città metropolitane) is kept as [`Province::historical_code`]: it is the
//!   prefix of comune codes and the key of the boundary files;
//! - comune: 6 digits (`"066049"` L'Aquila), historical province code + progressive number.

pub mod countries;
mod istat;
pub mod map;
pub mod topojson;

use std::collections::{BTreeMap, HashMap, HashSet};

use serde::{Deserialize, Serialize};

use istat::{COMUNI_FILE, PREFECTURES_FILE, PROVINCES_FILE, RowAt};

const REGION_BOUNDARIES_FILE: &str = "limits_IT_regions.topo.json";
const PROVINCE_BOUNDARIES_FILE: &str = "limits_IT_provinces.topo.json";

/// A point on the Earth, in WGS84 degrees.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Point {
    pub lat: f64,
    pub lon: f64,
}

impl Point {
    /// Mean Earth radius (IUGG), the usual choice for the haversine formula.
    pub const EARTH_RADIUS_KM: f64 = 6371.0088;

    /// Great-circle distance (haversine). A sphere is within 0.5% of the ellipsoid: plenty for
    /// "how far is this service from that comune".
    pub fn distance_km(&self, other: &Point) -> f64 {
        let (lat1, lat2) = (self.lat.to_radians(), other.lat.to_radians());
        let half_dlat = (lat2 - lat1) / 2.0;
        let half_dlon = (other.lon - self.lon).to_radians() / 2.0;
        let h = half_dlat.sin().powi(2) + lat1.cos() * lat2.cos() * half_dlon.sin().powi(2);
        2.0 * Self::EARTH_RADIUS_KM * h.sqrt().min(1.0).asin()
    }
}

/// A regione.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Region {
    /// ISTAT code, 2 digits (`"13"`).
    pub code: String,
    pub name: String,
    /// Area-weighted centroid of the boundary; `None` when the boundary file lacks it.
    pub centroid: Option<Point>,
}

/// A province in ISTAT's wide sense ("unità territoriale sovracomunale"): provincia,
/// provincia autonoma, città metropolitana, libero consorzio di comuni, or one of Friuli-Venezia
/// Giulia's former provinces, kept by ISTAT as "unità non amministrative".
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Province {
    /// Current ISTAT code, 3 digits (`"066"`; `"201"` for the Città metropolitana di Torino).
    pub code: String,
    /// Pre-2015 code (`"001"` for Torino): prefix of its comuni's codes.
    pub historical_code: String,
    pub name: String,
    /// Sigla automobilistica (`"AQ"`), what people write after a comune's name.
    pub abbreviation: String,
    pub region_code: String,
    /// ISTAT's type as published: `"Provincia"`, `"Provincia autonoma"`, `"Citta metropolitana"`,
    /// `"Libero consorzio di comuni"`, `"Unità non amministrativa"`.
    pub kind: String,
    pub prefecture: Prefecture,
    /// Area-weighted centroid of the boundary; `None` when the boundary file lacks it.
    pub centroid: Option<Point>,
}

/// The State's territorial office for a province, where residence permits, citizenship and
/// reception matters are handled.
///
/// Rules (see `prefecture_for`): the office is the one `prefetture_per_provincia.csv` names
/// (Sud Sardegna is served by Cagliari's); it is called "Prefettura di" + that province's name,
/// except where a special statute gives the job to another office (Commissariato del Governo
/// in Bolzano and Trento, the President of the Region in Valle d'Aosta); it sits in the
/// capoluogo of that province, and in Barletta for Barletta-Andria-Trani, the one province with
/// three capoluoghi.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Prefecture {
    /// `"Prefettura di L'Aquila"`.
    pub name: String,
    /// The province whose office it is: the province itself, or another one that serves it.
    pub province_code: String,
    /// The comune the office is in; `None` if the data cannot tell.
    pub seat_comune_code: Option<String>,
    /// The remark of `prefetture_per_provincia.csv`, when there is one.
    pub note: Option<String>,
}

/// A comune.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Comune {
    /// ISTAT code, 6 digits (`"066049"`).
    pub code: String,
    /// Italian name (`"Bolzano"`).
    pub name: String,
    /// Name in the other official language, where there is one (`"Bozen"`).
    pub name_other_language: Option<String>,
    /// Current province code (see [`Province::code`]).
    pub province_code: String,
    pub region_code: String,
    /// Codice catastale (Belfiore), as in the codice fiscale of people born there (`"A345"`).
    pub cadastral_code: String,
    /// Capoluogo of its province (Barletta-Andria-Trani has three).
    pub is_provincial_capital: bool,
    /// Area-weighted centroid of the boundary; `None` for the few comuni the boundary files
    /// lack.
    pub centroid: Option<Point>,
}

/// The raw bytes of every reference file, so loading is pure and testable with fixtures.
#[derive(Debug, Clone)]
pub struct TerritorySources<'a> {
    /// ISTAT "Elenco comuni italiani" (`;`-separated, Windows-1252 or UTF-8).
    pub comuni_csv: &'a [u8],
    /// `province_ripartizioni.csv`: the type of each province.
    pub provinces_csv: &'a [u8],
    /// `regioni_ripartizioni.csv`: region names.
    pub regions_csv: &'a [u8],
    /// `prefetture_per_provincia.csv`: which office serves each province.
    pub prefectures_csv: &'a [u8],
    /// TopoJSON of the regions (`reg_istat_code` property).
    pub region_boundaries: &'a [u8],
    /// TopoJSON of the provinces (`prov_istat_code`, the historical code).
    pub province_boundaries: &'a [u8],
    /// TopoJSON of the comuni (`com_istat_code`), one file per region, in region order: the
    /// position only names the file in error messages.
    pub comune_boundaries: Vec<&'a [u8]>,
}

/// Why the reference files could not be turned into [`Territories`]. Messages name the file
/// and, where there is one, the row.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum TerritoryError {
    #[error("{file}: cannot read CSV: {message}")]
    Csv { file: String, message: String },
    #[error("{file}: missing column {column:?}")]
    MissingColumn { file: String, column: &'static str },
    #[error("{file}, row {row} (line {line}): {message}")]
    Row {
        file: String,
        /// 1-based data row (the header is not counted).
        row: u64,
        /// Line where the row starts.
        line: u64,
        message: String,
    },
    /// Two files disagree, or one lacks what another refers to.
    #[error("{file}: {message}")]
    Inconsistent { file: String, message: String },
    #[error("{file}: {message}")]
    TopoJson { file: String, message: String },
    #[error("{file}, feature {index}: {message}")]
    Boundary {
        file: String,
        index: usize,
        message: String,
    },
}

/// The reference files compiled into the binary, so a release is self-contained.
pub fn embedded_sources() -> TerritorySources<'static> {
    macro_rules! data {
        ($path:literal) => {
            include_bytes!(concat!("../../../../data/territory/", $path)).as_slice()
        };
    }
    TerritorySources {
        comuni_csv: data!("elenco_comuni_italiani_2023.csv"),
        provinces_csv: data!("province_ripartizioni.csv"),
        regions_csv: data!("regioni_ripartizioni.csv"),
        prefectures_csv: data!("prefetture_per_provincia.csv"),
        region_boundaries: data!("limits_IT_regions.topo.json"),
        province_boundaries: data!("limits_IT_provinces.topo.json"),
        comune_boundaries: vec![
            data!("comuni_per_regione/limits_R_1_municipalities.topo.json"),
            data!("comuni_per_regione/limits_R_2_municipalities.topo.json"),
            data!("comuni_per_regione/limits_R_3_municipalities.topo.json"),
            data!("comuni_per_regione/limits_R_4_municipalities.topo.json"),
            data!("comuni_per_regione/limits_R_5_municipalities.topo.json"),
            data!("comuni_per_regione/limits_R_6_municipalities.topo.json"),
            data!("comuni_per_regione/limits_R_7_municipalities.topo.json"),
            data!("comuni_per_regione/limits_R_8_municipalities.topo.json"),
            data!("comuni_per_regione/limits_R_9_municipalities.topo.json"),
            data!("comuni_per_regione/limits_R_10_municipalities.topo.json"),
            data!("comuni_per_regione/limits_R_11_municipalities.topo.json"),
            data!("comuni_per_regione/limits_R_12_municipalities.topo.json"),
            data!("comuni_per_regione/limits_R_13_municipalities.topo.json"),
            data!("comuni_per_regione/limits_R_14_municipalities.topo.json"),
            data!("comuni_per_regione/limits_R_15_municipalities.topo.json"),
            data!("comuni_per_regione/limits_R_16_municipalities.topo.json"),
            data!("comuni_per_regione/limits_R_17_municipalities.topo.json"),
            data!("comuni_per_regione/limits_R_18_municipalities.topo.json"),
            data!("comuni_per_regione/limits_R_19_municipalities.topo.json"),
            data!("comuni_per_regione/limits_R_20_municipalities.topo.json"),
        ],
    }
}

/// [`Territories::load`] on the [`embedded_sources`].
pub fn load_embedded() -> Result<Territories, TerritoryError> {
    Territories::load(&embedded_sources())
}

/// The whole tree. Built by [`Territories::load`]: every vector is sorted by code and every
/// reference resolves (a comune's province and region exist, and so on). The fields are public
/// for reading; the lookups rely on that order and on a name index built at load time, so
/// treat the value as read-only.
#[derive(Debug, Clone)]
pub struct Territories {
    pub regions: Vec<Region>,
    pub provinces: Vec<Province>,
    pub comuni: Vec<Comune>,
    /// Folded name (see [`fold_name`]) to indices into `comuni`.
    names: HashMap<String, Vec<usize>>,
}

impl Territories {
    /// Parses and joins the sources, checking that they agree with each other.
    pub fn load(sources: &TerritorySources) -> Result<Self, TerritoryError> {
        let region_names = istat::read_regions(sources.regions_csv)?;
        let province_rows = istat::read_provinces(sources.provinces_csv)?;
        let prefecture_rows = istat::read_prefectures(sources.prefectures_csv)?;
        let comune_rows = istat::read_comuni(sources.comuni_csv)?;

        let mut region_centroids = HashMap::new();
        add_centroids(
            REGION_BOUNDARIES_FILE,
            sources.region_boundaries,
            "reg_istat_code",
            &mut region_centroids,
        )?;
        let mut province_centroids = HashMap::new();
        add_centroids(
            PROVINCE_BOUNDARIES_FILE,
            sources.province_boundaries,
            "prov_istat_code",
            &mut province_centroids,
        )?;
        let mut comune_centroids = HashMap::new();
        for (i, bytes) in sources.comune_boundaries.iter().enumerate() {
            let file = format!("limits_R_{}_municipalities.topo.json", i + 1);
            add_centroids(&file, bytes, "com_istat_code", &mut comune_centroids)?;
        }

        // Provinces as the comuni list describes them, with their capoluoghi.
        let mut drafts: BTreeMap<String, ProvinceDraft> = BTreeMap::new();
        let mut comune_codes = HashSet::new();
        for row in &comune_rows {
            if !comune_codes.insert(row.code.as_str()) {
                return Err(row.at.error(format!("comune {} is listed twice", row.code)));
            }
            if !region_names.contains_key(&row.region_code) {
                return Err(row.at.error(format!(
                    "region {} is not in {}",
                    row.region_code,
                    istat::REGIONS_FILE
                )));
            }
            let draft = drafts
                .entry(row.province_code.clone())
                .or_insert_with(|| ProvinceDraft {
                    code: row.province_code.clone(),
                    historical_code: row.province_historical_code.clone(),
                    name: row.province_name.clone(),
                    abbreviation: row.province_abbreviation.clone(),
                    region_code: row.region_code.clone(),
                    capitals: Vec::new(),
                });
            let seen = (
                &draft.historical_code,
                &draft.name,
                &draft.abbreviation,
                &draft.region_code,
            );
            let here = (
                &row.province_historical_code,
                &row.province_name,
                &row.province_abbreviation,
                &row.region_code,
            );
            if seen != here {
                return Err(row.at.error(format!(
                    "province {} is (historical code, name, abbreviation, region) {here:?} here \
                     but {seen:?} on an earlier row",
                    row.province_code
                )));
            }
            if row.is_provincial_capital {
                draft.capitals.push(row.code.clone());
            }
        }

        let kinds = province_kinds(&province_rows, &drafts)?;
        let offices = prefecture_offices(&prefecture_rows, &drafts)?;

        let regions = region_names
            .into_iter()
            .map(|(code, name)| Region {
                centroid: region_centroids.get(&code).copied().flatten(),
                code,
                name,
            })
            .collect();
        let provinces = drafts
            .values()
            .map(|draft| {
                let (office, note) = &offices[&draft.code];
                Ok(Province {
                    code: draft.code.clone(),
                    historical_code: draft.historical_code.clone(),
                    name: draft.name.clone(),
                    abbreviation: draft.abbreviation.clone(),
                    region_code: draft.region_code.clone(),
                    kind: kinds[&draft.code].clone(),
                    prefecture: prefecture_for(&drafts[office], note.clone())?,
                    centroid: province_centroids
                        .get(&draft.historical_code)
                        .copied()
                        .flatten(),
                })
            })
            .collect::<Result<_, TerritoryError>>()?;
        let mut comuni: Vec<Comune> = comune_rows
            .into_iter()
            .map(|row| Comune {
                centroid: comune_centroids.get(&row.code).copied().flatten(),
                code: row.code,
                name: row.name,
                name_other_language: row.name_other_language,
                province_code: row.province_code,
                region_code: row.region_code,
                cadastral_code: row.cadastral_code,
                is_provincial_capital: row.is_provincial_capital,
            })
            .collect();
        comuni.sort_by(|a, b| a.code.cmp(&b.code));

        let mut names: HashMap<String, Vec<usize>> = HashMap::new();
        for (i, comune) in comuni.iter().enumerate() {
            let mut keys = vec![fold_name(&comune.name)];
            keys.extend(comune.name_other_language.as_deref().map(fold_name));
            keys.dedup();
            for key in keys {
                names.entry(key).or_default().push(i);
            }
        }
        Ok(Self {
            regions,
            provinces,
            comuni,
            names,
        })
    }

    /// The region with this ISTAT code (`"13"`).
    pub fn region(&self, code: &str) -> Option<&Region> {
        find(&self.regions, code, |r| &r.code)
    }

    /// The province with this current ISTAT code (`"066"`, `"201"`).
    pub fn province(&self, code: &str) -> Option<&Province> {
        find(&self.provinces, code, |p| &p.code)
    }

    /// The province with this sigla (`"AQ"`), as people write it after a comune's name.
    pub fn province_by_abbreviation(&self, abbreviation: &str) -> Option<&Province> {
        self.provinces
            .iter()
            .find(|p| p.abbreviation.eq_ignore_ascii_case(abbreviation.trim()))
    }

    /// The comune with this ISTAT code (`"066049"`).
    pub fn comune(&self, code: &str) -> Option<&Comune> {
        find(&self.comuni, code, |c| &c.code)
    }

    /// Comuni whose Italian or other-language name equals `name`, ignoring case, accents,
    /// apostrophe style and repeated spaces (`"l'aquila"`, `"FORLI"`, `"Bozen"`). A list,
    /// because names repeat across provinces (Castro BG and LE; Paternò CT and Paterno PZ once
    /// accents are ignored): disambiguate with the province.
    pub fn comuni_by_name(&self, name: &str) -> Vec<&Comune> {
        self.names
            .get(&fold_name(name))
            .map(|indices| indices.iter().map(|&i| &self.comuni[i]).collect())
            .unwrap_or_default()
    }
}

fn find<'t, T>(items: &'t [T], code: &str, key: impl Fn(&T) -> &String) -> Option<&'t T> {
    items
        .binary_search_by(|item| key(item).as_str().cmp(code))
        .ok()
        .map(|i| &items[i])
}

/// A province while loading: what the comuni list says about it.
struct ProvinceDraft {
    code: String,
    historical_code: String,
    name: String,
    abbreviation: String,
    region_code: String,
    /// Comuni flagged as capoluogo, in list order.
    capitals: Vec<String>,
}

/// Where the Prefettura sits when a province has several capoluoghi: Barletta-Andria-Trani's
/// is in Barletta (the other capoluoghi are Andria and Trani).
const PREFECTURE_SEATS: &[(&str, &str)] = &[("110", "110002")];

/// Offices that do a Prefettura's job under another name, by the province they serve: under
/// the special statutes, the Commissariati del Governo in the autonomous provinces and the
/// President of the Region in Valle d'Aosta.
const OTHER_OFFICES: &[(&str, &str)] = &[
    ("007", "Presidenza della Regione Valle d'Aosta"),
    (
        "021",
        "Commissariato del Governo per la Provincia di Bolzano",
    ),
    (
        "022",
        "Commissariato del Governo per la Provincia di Trento",
    ),
];

/// The office of province `office` (the one serving a province, maybe itself): see
/// [`Prefecture`] for the rules.
fn prefecture_for(
    office: &ProvinceDraft,
    note: Option<String>,
) -> Result<Prefecture, TerritoryError> {
    let name = match OTHER_OFFICES.iter().find(|(code, _)| *code == office.code) {
        Some((_, name)) => (*name).to_owned(),
        None => format!("Prefettura di {}", office.name),
    };
    let seat = match PREFECTURE_SEATS
        .iter()
        .find(|(code, _)| *code == office.code)
    {
        Some((_, seat)) if office.capitals.iter().any(|c| c == seat) => Some((*seat).to_owned()),
        Some((_, seat)) => {
            return Err(TerritoryError::Inconsistent {
                file: COMUNI_FILE.to_owned(),
                message: format!(
                    "comune {seat}, seat of the Prefettura of province {}, is not one of its \
                     capoluoghi {:?}",
                    office.code, office.capitals
                ),
            });
        }
        None => match office.capitals.as_slice() {
            [capital] => Some(capital.clone()),
            _ => None,
        },
    };
    Ok(Prefecture {
        name,
        province_code: office.code.clone(),
        seat_comune_code: seat,
        note,
    })
}

/// Each province's type from `province_ripartizioni.csv`, checking that the file agrees with
/// the comuni list on the codes and abbreviation.
fn province_kinds(
    rows: &[istat::ProvinceRow],
    drafts: &BTreeMap<String, ProvinceDraft>,
) -> Result<HashMap<String, String>, TerritoryError> {
    let mut kinds = HashMap::new();
    for row in rows {
        let Some(draft) = drafts.get(&row.code) else {
            continue; // a province with no comuni in this list: nothing refers to it
        };
        let seen = (
            &draft.historical_code,
            &draft.abbreviation,
            &draft.region_code,
        );
        let here = (&row.historical_code, &row.abbreviation, &row.region_code);
        if seen != here {
            return Err(row.at.error(format!(
                "province {} is (historical code, abbreviation, region) {here:?} here but \
                 {seen:?} in {COMUNI_FILE}",
                row.code
            )));
        }
        if kinds.insert(row.code.clone(), row.kind.clone()).is_some() {
            return Err(row
                .at
                .error(format!("province {} is listed twice", row.code)));
        }
    }
    missing(PROVINCES_FILE, drafts, &kinds)?;
    Ok(kinds)
}

/// For each province, the code of the province whose office serves it and the file's note.
fn prefecture_offices(
    rows: &[istat::PrefectureRow],
    drafts: &BTreeMap<String, ProvinceDraft>,
) -> Result<HashMap<String, (String, Option<String>)>, TerritoryError> {
    let by_abbreviation: HashMap<&str, &str> = drafts
        .values()
        .map(|d| (d.abbreviation.as_str(), d.code.as_str()))
        .collect();
    let mut offices = HashMap::new();
    for row in rows {
        let Some(draft) = drafts.get(&row.province_code) else {
            continue;
        };
        if draft.abbreviation != row.province_abbreviation {
            return Err(at_mismatch(
                row.at,
                &row.province_code,
                &row.province_abbreviation,
                draft,
            ));
        }
        let office = by_abbreviation
            .get(row.prefecture_abbreviation.as_str())
            .ok_or_else(|| {
                row.at.error(format!(
                    "prefecture {:?} is not the abbreviation of a province",
                    row.prefecture_abbreviation
                ))
            })?;
        let value = ((*office).to_owned(), row.note.clone());
        if offices.insert(row.province_code.clone(), value).is_some() {
            return Err(row
                .at
                .error(format!("province {} is listed twice", row.province_code)));
        }
    }
    missing(PREFECTURES_FILE, drafts, &offices)?;
    Ok(offices)
}

fn at_mismatch(at: RowAt, code: &str, abbreviation: &str, draft: &ProvinceDraft) -> TerritoryError {
    at.error(format!(
        "province {code} has abbreviation {abbreviation:?} here but {:?} in {COMUNI_FILE}",
        draft.abbreviation
    ))
}

/// Fails if a province of the comuni list has no entry in `found` (read from `file`).
fn missing<V>(
    file: &str,
    drafts: &BTreeMap<String, ProvinceDraft>,
    found: &HashMap<String, V>,
) -> Result<(), TerritoryError> {
    match drafts.values().find(|d| !found.contains_key(&d.code)) {
        Some(d) => Err(TerritoryError::Inconsistent {
            file: file.to_owned(),
            message: format!(
                "province {} ({}) of {COMUNI_FILE} is missing",
                d.code, d.name
            ),
        }),
        None => Ok(()),
    }
}

/// Decodes a boundary file and records each feature's centroid under its `key` property.
/// `None` records a feature without area, so it counts as present but without a centroid.
fn add_centroids(
    file: &str,
    bytes: &[u8],
    key: &str,
    into: &mut HashMap<String, Option<Point>>,
) -> Result<(), TerritoryError> {
    let features = topojson::decode(bytes).map_err(|e| TerritoryError::TopoJson {
        file: file.to_owned(),
        message: e.to_string(),
    })?;
    for (index, feature) in features.into_iter().enumerate() {
        let error = |message: String| TerritoryError::Boundary {
            file: file.to_owned(),
            index,
            message,
        };
        let code = match feature.properties.get(key) {
            Some(serde_json::Value::String(code)) => code.clone(),
            other => {
                return Err(error(format!(
                    "property {key:?} is {other:?}, not a string"
                )));
            }
        };
        let centroid = feature
            .geometry
            .as_ref()
            .and_then(topojson::Geometry::centroid);
        if into.insert(code.clone(), centroid).is_some() {
            return Err(error(format!("a second boundary for {key} {code}")));
        }
    }
    Ok(())
}

/// The form names are compared in: lower case, without accents, one kind of apostrophe,
/// single spaces. Covers the letters of Italian, German, French, Slovenian and Ladin names;
/// input in decomposed form (accents as combining marks) folds the same way. Public so the
/// store can keep folded names and search them the same way on every backend.
pub fn fold_name(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    for word in name.split_whitespace() {
        if !out.is_empty() {
            out.push(' ');
        }
        for c in word.chars().flat_map(char::to_lowercase) {
            let folded = match c {
                'à' | 'á' | 'â' | 'ã' | 'ä' | 'å' | 'ā' | 'ă' | 'ą' => "a",
                'ç' | 'ć' | 'č' => "c",
                'ď' | 'đ' => "d",
                'è' | 'é' | 'ê' | 'ë' | 'ē' | 'ė' | 'ę' | 'ě' => "e",
                'ì' | 'í' | 'î' | 'ï' | 'ī' | 'į' => "i",
                'ł' => "l",
                'ñ' | 'ń' | 'ň' => "n",
                'ò' | 'ó' | 'ô' | 'õ' | 'ö' | 'ø' | 'ō' | 'ő' => "o",
                'ř' => "r",
                'ś' | 'š' => "s",
                'ť' => "t",
                'ù' | 'ú' | 'û' | 'ü' | 'ū' | 'ů' | 'ű' => "u",
                'ý' | 'ÿ' => "y",
                'ź' | 'ż' | 'ž' => "z",
                'ß' => "ss",
                'æ' => "ae",
                'œ' => "oe",
                '’' | '‘' | '`' | '´' | 'ʼ' => "'",
                '\u{300}'..='\u{36f}' => "",
                _ => {
                    out.push(c);
                    continue;
                }
            };
            out.push_str(folded);
        }
    }
    out
}

#[cfg(test)]
mod tests;
