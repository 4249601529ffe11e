//! The official statistics' views: one set of query parameters ([`TableParams`]), checked
//! against what a dataset holds ([`Catalog`]) into a [`Choice`], which builds one
//! [`StatTable`]. The observatory's HTML views and its open API share all of it, so a view's
//! export is exactly the table beside its chart, and every URL is stable: [`Choice::query`]
//! writes the canonical parameters back.

use std::collections::{BTreeSet, HashMap};
use std::sync::{Arc, Mutex};

use crocevia_core::stat_table::{StatTable, TableCategory};
use crocevia_core::statistics::table::{Axis, TableMeta, build_table};
use crocevia_core::statistics::{
    Citizenship, DatasetInfo, Dimension, Observation, ObservationFilter, Period, PermitType, Sex,
    Territory, TerritoryLevel, Unit, dataset_info,
};
use crocevia_core::territory::Territories;
use crocevia_store::{StatisticsStore, StoreError};
use serde::Deserialize;

use super::StatisticsError;
use super::labels::{Tr, category_label, dataset_title, dimension_label, territory_label};

/// What a view shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum View {
    /// One period, every territory of a level: a choropleth.
    Map,
    /// Every period for one territory, or two to compare: a line chart.
    Series,
    /// One territory and period broken down by sex, citizenship, permit type or measure.
    Breakdown,
}

impl View {
    pub const ALL: [View; 3] = [Self::Map, Self::Series, Self::Breakdown];
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Map => "map",
            Self::Series => "series",
            Self::Breakdown => "table",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|v| v.as_str() == s)
    }
}

/// The query parameters of a view, all optional (its export adds only a format and the
/// language of the labels).
#[derive(Debug, Default, Clone, Deserialize)]
pub struct TableParams {
    pub view: Option<String>,
    pub level: Option<String>,
    pub region: Option<String>,
    pub period: Option<String>,
    pub sex: Option<String>,
    pub citizenship: Option<String>,
    pub permit_type: Option<String>,
    pub measure: Option<String>,
    pub territory: Option<String>,
    pub compare: Option<String>,
    pub by: Option<String>,
}

/// What a dataset holds: the values of each dimension, for defaults, checks and the form.
#[derive(Debug, Clone, Default)]
pub struct Catalog {
    pub territories: BTreeSet<(TerritoryLevel, String)>,
    pub periods: Vec<Period>,
    pub sexes: Vec<Sex>,
    pub citizenships: Vec<Citizenship>,
    pub permit_types: Vec<PermitType>,
    pub measures: Vec<String>,
}

impl Catalog {
    /// The catalogue of a dataset's observations (public for the fuzz target of the
    /// parameters, which builds catalogues without a store).
    pub fn of(observations: &[Observation]) -> Self {
        let mut territories = BTreeSet::new();
        let (mut periods, mut sexes, mut citizenships, mut permit_types, mut measures) = (
            BTreeSet::new(),
            BTreeSet::new(),
            BTreeSet::new(),
            BTreeSet::new(),
            BTreeSet::new(),
        );
        for o in observations {
            territories.insert((o.territory.level, o.territory.code.clone()));
            periods.insert(o.period);
            sexes.extend(o.sex);
            citizenships.extend(o.citizenship.clone());
            permit_types.extend(o.permit_type);
            measures.extend(o.measure.clone());
        }
        Self {
            territories,
            periods: periods.into_iter().collect(),
            sexes: sexes.into_iter().collect(),
            citizenships: citizenships.into_iter().collect(),
            permit_types: permit_types.into_iter().collect(),
            measures: measures.into_iter().collect(),
        }
    }

    pub fn levels(&self) -> Vec<TerritoryLevel> {
        let mut levels: Vec<TerritoryLevel> = self.territories.iter().map(|(l, _)| *l).collect();
        levels.dedup();
        levels
    }

    pub fn has_level(&self, level: TerritoryLevel) -> bool {
        self.territories.iter().any(|(l, _)| *l == level)
    }

    /// The codes of the territories at `level`.
    pub fn codes(&self, level: TerritoryLevel) -> impl Iterator<Item = &str> {
        self.territories
            .iter()
            .filter(move |(l, _)| *l == level)
            .map(|(_, c)| c.as_str())
    }

    /// The categories of a breakdown dimension, as codes.
    fn category_codes(&self, dimension: Dimension) -> Vec<String> {
        match dimension {
            Dimension::Sex => self.sexes.iter().map(|s| s.as_str().to_owned()).collect(),
            Dimension::Citizenship => self.citizenships.iter().map(Citizenship::key).collect(),
            Dimension::PermitType => self
                .permit_types
                .iter()
                .map(|p| p.as_str().to_owned())
                .collect(),
            Dimension::Measure => self.measures.clone(),
            Dimension::Period => self.periods.iter().map(Period::key).collect(),
            Dimension::Territory => Vec::new(),
        }
    }

    /// The territory a code names in this dataset: `IT`, a macro-area (1 digit), a region
    /// (2), a province (3; a pre-2009 province where the dataset counts on those) or a
    /// comune (6).
    pub fn territory(&self, code: &str) -> Option<Territory> {
        let level = match code.len() {
            _ if code == "IT" => TerritoryLevel::Italy,
            1 => TerritoryLevel::MacroArea,
            2 => TerritoryLevel::Region,
            3 if self.has_level(TerritoryLevel::HistoricalProvince) => {
                TerritoryLevel::HistoricalProvince
            }
            3 => TerritoryLevel::Province,
            6 => TerritoryLevel::Comune,
            _ => return None,
        };
        self.territories
            .contains(&(level, code.to_owned()))
            .then(|| Territory::new(level, code))
    }
}

/// The catalogs of the datasets, computed from the store once per process (the official
/// statistics change only when the binary does).
#[derive(Default)]
pub struct CatalogCache {
    catalogs: Mutex<HashMap<String, Arc<Catalog>>>,
}

impl CatalogCache {
    /// The catalogue of dataset `id`, read from `store` the first time it has figures.
    pub async fn get<S>(&self, store: &S, id: &str) -> Result<Arc<Catalog>, StoreError>
    where
        S: StatisticsStore + ?Sized,
    {
        if let Some(c) = self.catalogs.lock().expect("not poisoned").get(id) {
            return Ok(c.clone());
        }
        let all = store
            .observations(id, &ObservationFilter::default())
            .await?;
        let catalog = Arc::new(Catalog::of(&all));
        if !all.is_empty() {
            self.catalogs
                .lock()
                .expect("not poisoned")
                .insert(id.to_owned(), catalog.clone());
        }
        Ok(catalog)
    }
}

/// A view's parameters, checked and completed with defaults.
#[derive(Debug, Clone)]
pub struct Choice {
    pub info: &'static DatasetInfo,
    pub view: View,
    /// The level a map shows.
    pub level: TerritoryLevel,
    /// The region whose comuni a comune map shows.
    pub region: Option<String>,
    pub period: Period,
    pub sex: Option<Sex>,
    pub citizenship: Option<Citizenship>,
    pub permit_type: Option<PermitType>,
    pub measure: Option<String>,
    pub territory: Territory,
    pub compare: Option<Territory>,
    /// The dimension a breakdown is by.
    pub by: Option<Dimension>,
}

/// The breakdown dimensions of a dataset, in its order.
pub fn breakdowns(info: &DatasetInfo) -> Vec<Dimension> {
    info.dimensions
        .iter()
        .copied()
        .filter(|d| !matches!(d, Dimension::Territory | Dimension::Period))
        .collect()
}

/// A parameter's trimmed text, `None` when absent or empty.
fn text(v: &Option<String>) -> Option<&str> {
    v.as_deref().map(str::trim).filter(|s| !s.is_empty())
}

fn bad(parameter: &'static str, reason: impl std::fmt::Display) -> StatisticsError {
    StatisticsError::invalid(parameter, reason)
}

/// The levels a map view can show, where the dataset has figures: regions, provinces and
/// comuni are drawn; the pre-2009 provinces, and Italy alone for a dataset with nothing
/// smaller, are shown as a table.
pub fn map_levels(catalog: &Catalog) -> Vec<TerritoryLevel> {
    let levels: Vec<TerritoryLevel> = [
        TerritoryLevel::Region,
        TerritoryLevel::Province,
        TerritoryLevel::HistoricalProvince,
        TerritoryLevel::Comune,
    ]
    .into_iter()
    .filter(|l| catalog.has_level(*l))
    .collect();
    if levels.is_empty() && catalog.has_level(TerritoryLevel::Italy) {
        vec![TerritoryLevel::Italy]
    } else {
        levels
    }
}

impl Choice {
    /// Checks `params` against what the dataset holds (`catalog`) and the regions of
    /// `territories`, completing what they leave out with the view's defaults.
    pub fn resolve(
        info: &'static DatasetInfo,
        catalog: &Catalog,
        territories: &Territories,
        params: &TableParams,
    ) -> Result<Self, StatisticsError> {
        let has = |d: Dimension| info.dimensions.contains(&d);
        let view = match text(&params.view) {
            None => View::Map,
            Some(v) => View::parse(v)
                .ok_or_else(|| bad("view", format!("'{v}' is not one of map, series, table")))?,
        };
        let levels = map_levels(catalog);
        let level = match text(&params.level) {
            None => [TerritoryLevel::Province, TerritoryLevel::Region]
                .into_iter()
                .find(|l| levels.contains(l))
                .or(levels.first().copied())
                .unwrap_or(TerritoryLevel::Italy),
            Some(l) => {
                let level = TerritoryLevel::parse(l).ok_or_else(|| {
                    bad(
                        "level",
                        format!(
                            "'{l}' is not one of region, province, historical_province, comune"
                        ),
                    )
                })?;
                if !levels.contains(&level) {
                    return Err(bad(
                        "level",
                        format!("this dataset has no figures by {l} to map"),
                    ));
                }
                level
            }
        };
        let region = match text(&params.region) {
            Some(r) if territories.region(r).is_some() => Some(r.to_owned()),
            Some(r) => return Err(bad("region", format!("'{r}' is not a region code (01–20)"))),
            None if level == TerritoryLevel::Comune => Some("13".to_owned()),
            None => None,
        };
        let period = match text(&params.period) {
            None => *catalog
                .periods
                .last()
                .ok_or_else(|| StatisticsError::not_found("figures of dataset", info.id))?,
            Some(p) => {
                let period = Period::parse(p).ok_or_else(|| {
                    bad(
                        "period",
                        format!("'{p}' is not a date (2023-01-01) or a year (2023)"),
                    )
                })?;
                if !catalog.periods.contains(&period) {
                    return Err(bad(
                        "period",
                        format!("this dataset has no figures for {p}"),
                    ));
                }
                period
            }
        };
        fn pick<T: Clone + PartialEq>(
            name: &'static str,
            value: Option<&str>,
            parse: impl Fn(&str) -> Option<T>,
            available: &[T],
            default: T,
            applies: bool,
        ) -> Result<Option<T>, StatisticsError> {
            if !applies {
                return match value {
                    Some(_) => Err(bad(name, "this dataset is not broken down by it")),
                    None => Ok(None),
                };
            }
            match value {
                None if available.contains(&default) => Ok(Some(default)),
                None => Ok(available.first().cloned()),
                Some(v) => {
                    let parsed =
                        parse(v).ok_or_else(|| bad(name, format!("'{v}' cannot be read")))?;
                    if available.contains(&parsed) {
                        Ok(Some(parsed))
                    } else {
                        Err(bad(name, format!("this dataset has no figures for '{v}'")))
                    }
                }
            }
        }
        let sex = pick(
            "sex",
            text(&params.sex),
            Sex::parse,
            &catalog.sexes,
            Sex::Total,
            has(Dimension::Sex),
        )?;
        let citizenship = pick(
            "citizenship",
            text(&params.citizenship),
            Citizenship::parse,
            &catalog.citizenships,
            Citizenship::Total,
            has(Dimension::Citizenship),
        )?;
        let permit_type = pick(
            "permit_type",
            text(&params.permit_type),
            PermitType::parse,
            &catalog.permit_types,
            PermitType::Total,
            has(Dimension::PermitType),
        )?;
        let default_measure = ["FJAN", "reception_centre"]
            .into_iter()
            .find(|m| catalog.measures.iter().any(|x| x == m))
            .map(str::to_owned)
            .unwrap_or_default();
        let measure = pick(
            "measure",
            text(&params.measure),
            |s| Some(s.to_owned()),
            &catalog.measures,
            default_measure,
            has(Dimension::Measure),
        )?;
        let territory_of = |name: &'static str, code: &str| {
            catalog.territory(code).ok_or_else(|| {
                bad(
                    name,
                    format!("this dataset has no figures for territory '{code}' (IT, a region code like 13, a province code like 066)"),
                )
            })
        };
        let territory = match text(&params.territory) {
            None => catalog.territory("IT").unwrap_or_else(|| {
                catalog
                    .territories
                    .first()
                    .map(|(l, c)| Territory::new(*l, c.clone()))
                    .unwrap_or_else(Territory::italy)
            }),
            Some(code) => territory_of("territory", code)?,
        };
        let compare = match text(&params.compare) {
            None => None,
            Some(code) => {
                let other = territory_of("compare", code)?;
                if other == territory {
                    return Err(bad("compare", "compare with a different territory"));
                }
                Some(other)
            }
        };
        let options = breakdowns(info);
        let by =
            match text(&params.by) {
                None => options.first().copied(),
                Some(b) => Some(options.iter().copied().find(|d| d.id() == b).ok_or_else(
                    || {
                        bad(
                            "by",
                            format!(
                                "'{b}' is not one of {}",
                                options
                                    .iter()
                                    .map(|d| d.id())
                                    .collect::<Vec<_>>()
                                    .join(", ")
                            ),
                        )
                    },
                )?),
            };
        if view == View::Breakdown && by.is_none() {
            return Err(bad("view", "this dataset has nothing to break down by"));
        }
        Ok(Self {
            info,
            view,
            level,
            region,
            period,
            sex,
            citizenship,
            permit_type,
            measure,
            territory,
            compare,
            by,
        })
    }

    /// The canonical query string of this choice (without `format`): what a view links to and
    /// bookmarks, with every parameter the view depends on, in a fixed order.
    pub fn query(&self) -> String {
        let mut q = form_urlencoded::Serializer::new(String::new());
        q.append_pair("view", self.view.as_str());
        if self.view == View::Map {
            q.append_pair("level", self.level.as_str());
            if let Some(r) = &self.region
                && self.level == TerritoryLevel::Comune
            {
                q.append_pair("region", r);
            }
        }
        if self.view != View::Series {
            q.append_pair("period", &self.period.key());
        }
        let by = |d: Dimension| self.view == View::Breakdown && self.by == Some(d);
        if let Some(s) = self.sex
            && !by(Dimension::Sex)
        {
            q.append_pair("sex", s.as_str());
        }
        if let Some(c) = &self.citizenship
            && !by(Dimension::Citizenship)
        {
            q.append_pair("citizenship", &c.key());
        }
        if let Some(p) = self.permit_type
            && !by(Dimension::PermitType)
        {
            q.append_pair("permit_type", p.as_str());
        }
        if let Some(m) = &self.measure
            && !by(Dimension::Measure)
        {
            q.append_pair("measure", m);
        }
        if self.view != View::Map {
            q.append_pair("territory", &self.territory.code);
        }
        if self.view == View::Series
            && let Some(c) = &self.compare
        {
            q.append_pair("compare", &c.code);
        }
        if self.view == View::Breakdown
            && let Some(b) = self.by
        {
            q.append_pair("by", b.id());
        }
        q.finish()
    }

    /// The territories the table covers.
    fn territories(&self, catalog: &Catalog, territories: &Territories) -> Vec<Territory> {
        match self.view {
            View::Map => catalog
                .codes(self.level)
                .filter(|code| {
                    self.level != TerritoryLevel::Comune
                        || territories
                            .comune(code)
                            .is_some_and(|c| Some(&c.region_code) == self.region.as_ref())
                })
                .map(|code| Territory::new(self.level, code))
                .collect(),
            View::Series => std::iter::once(self.territory.clone())
                .chain(self.compare.clone())
                .collect(),
            View::Breakdown => vec![self.territory.clone()],
        }
    }

    /// What the table takes from the store, whatever its territories: the period (all of
    /// them for a series) and the category of every dimension it is not broken down by.
    fn filter(&self) -> ObservationFilter {
        let by = |d: Dimension| self.broken_down_by(d);
        ObservationFilter {
            periods: if self.view == View::Series {
                Vec::new()
            } else {
                vec![self.period]
            },
            sex: self.sex.filter(|_| !by(Dimension::Sex)),
            citizenship: self
                .citizenship
                .clone()
                .filter(|_| !by(Dimension::Citizenship)),
            permit_type: self.permit_type.filter(|_| !by(Dimension::PermitType)),
            measure: self.measure.clone().filter(|_| !by(Dimension::Measure)),
            ..ObservationFilter::default()
        }
    }

    fn broken_down_by(&self, dimension: Dimension) -> bool {
        self.view == View::Breakdown && self.by == Some(dimension)
    }

    /// The table's dimensions in the dataset's order, each with its categories, labelled.
    fn axes(&self, catalog: &Catalog, territories: &[Territory], tr: &Tr) -> Vec<Axis> {
        let mut axes = Vec::new();
        for &dimension in self.info.dimensions {
            let codes: Vec<String> = match dimension {
                Dimension::Territory => territories.iter().map(|t| t.code.clone()).collect(),
                Dimension::Period if self.view == View::Series => {
                    catalog.category_codes(Dimension::Period)
                }
                Dimension::Period => vec![self.period.key()],
                d if self.broken_down_by(d) => catalog.category_codes(d),
                Dimension::Sex => self.sex.iter().map(|s| s.as_str().to_owned()).collect(),
                Dimension::Citizenship => self.citizenship.iter().map(Citizenship::key).collect(),
                Dimension::PermitType => self
                    .permit_type
                    .iter()
                    .map(|p| p.as_str().to_owned())
                    .collect(),
                Dimension::Measure => self.measure.iter().cloned().collect(),
            };
            let categories = codes
                .into_iter()
                .map(|code| {
                    let label = match dimension {
                        Dimension::Territory => {
                            let t = territories
                                .iter()
                                .find(|t| t.code == code)
                                .cloned()
                                .unwrap_or_else(|| Territory::new(self.level, code.clone()));
                            territory_label(tr, &t)
                        }
                        _ => category_label(tr, dimension, &code),
                    };
                    TableCategory::new(code, label)
                })
                .collect();
            axes.push(Axis {
                dimension,
                label: dimension_label(tr, dimension),
                categories,
            });
        }
        axes
    }
}

/// The dataset with this id.
pub fn dataset(id: &str) -> Result<&'static DatasetInfo, StatisticsError> {
    dataset_info(id).ok_or_else(|| StatisticsError::not_found("dataset", id))
}

/// The official statistics' views over a store of statistics, Italy's territories (for
/// region codes, the comuni of a region and the names of places) and the catalogues
/// computed so far.
pub struct OfficialStatistics<'a, S: ?Sized> {
    pub store: &'a S,
    pub territories: &'static Territories,
    pub catalogs: &'a CatalogCache,
}

impl<S> OfficialStatistics<'_, S>
where
    S: StatisticsStore + ?Sized,
{
    /// What the dataset holds (read once, then cached).
    pub async fn catalog(&self, info: &DatasetInfo) -> Result<Arc<Catalog>, StatisticsError> {
        Ok(self.catalogs.get(self.store, info.id).await?)
    }

    /// The view `params` ask for, checked against what the dataset holds, with that
    /// catalogue (the form offers its values).
    pub async fn choose(
        &self,
        info: &'static DatasetInfo,
        params: &TableParams,
    ) -> Result<(Choice, Arc<Catalog>), StatisticsError> {
        let catalog = self.catalog(info).await?;
        let choice = Choice::resolve(info, &catalog, self.territories, params)?;
        Ok((choice, catalog))
    }

    /// The table `choice` shows, labelled in `lang`.
    pub async fn table(
        &self,
        choice: &Choice,
        catalog: &Catalog,
        lang: &str,
    ) -> Result<StatTable, StatisticsError> {
        let tr = Tr::new(lang, self.territories);
        let id = choice.info.id;
        let base = choice.filter();
        let territories = choice.territories(catalog, self.territories);
        let mut observations = Vec::new();
        if choice.view == View::Map {
            let filter = base.level(choice.level);
            observations = self.store.observations(id, &filter).await?;
        } else {
            for t in &territories {
                let filter = base.clone().territory(t);
                observations.extend(self.store.observations(id, &filter).await?);
            }
        }
        let axes = choice.axes(catalog, &territories, &tr);
        let mut notes = Vec::new();
        if catalog.has_level(TerritoryLevel::HistoricalProvince) {
            notes.push(tr.t("ob-note-historical"));
        }
        let meta = TableMeta {
            label: dataset_title(choice.info, lang),
            unit_label: match choice.info.unit {
                Unit::Persons => tr.t("ob-unit-persons"),
                Unit::Permits => tr.t("ob-unit-permits"),
            },
            notes,
        };
        Ok(build_table(choice.info, meta, axes, &observations))
    }
}

#[cfg(test)]
mod tests {
    use std::sync::LazyLock;

    use crocevia_core::statistics::{self, DATASETS};
    use crocevia_store::contract;
    use proptest::prelude::*;

    use super::*;

    static CATALOGS: LazyLock<Vec<Catalog>> = LazyLock::new(|| {
        let datasets = statistics::load_embedded().expect("embedded statistics");
        DATASETS
            .iter()
            .map(|info| {
                datasets
                    .iter()
                    .find(|d| d.info.id == info.id)
                    .map(|d| Catalog::of(&d.observations))
                    .unwrap_or_default()
            })
            .collect()
    });

    /// A parameter's value: absent, one a view writes, or anything.
    fn value(known: &'static [&'static str]) -> impl Strategy<Value = Option<String>> {
        prop_oneof![
            2 => Just(None),
            3 => proptest::sample::select(known).prop_map(|s| Some(s.to_owned())),
            1 => "\\PC{0,8}".prop_map(Some),
        ]
    }

    fn params() -> impl Strategy<Value = TableParams> {
        let codes: &[&str] = &["IT", "13", "16", "066", "072", "067041", "ITF1", "0", ""];
        (
            (
                value(&["map", "series", "table", "Map"]),
                value(&[
                    "region",
                    "province",
                    "historical_province",
                    "comune",
                    "italy",
                ]),
                value(&["13", "01", "20", "21", "1"]),
                value(&["2023", "2023-01-01", "2019", "2024-12-31", "1900"]),
                value(&["total", "female", "male", "F"]),
                value(&["total", "EU", "non_eu", "UA", "MA"]),
            ),
            (
                value(&["total", "asylum", "work", "family"]),
                value(&["FJAN", "reception_centre", "permits"]),
                value(codes),
                value(codes),
                value(&["sex", "citizenship", "permit_type", "measure", "period"]),
            ),
        )
            .prop_map(
                |(
                    (view, level, region, period, sex, citizenship),
                    (permit_type, measure, territory, compare, by),
                )| TableParams {
                    view,
                    level,
                    region,
                    period,
                    sex,
                    citizenship,
                    permit_type,
                    measure,
                    territory,
                    compare,
                    by,
                },
            )
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 128, ..ProptestConfig::default() })]

        /// Any parameters are a choice or an error, never a panic; a choice's canonical query
        /// (what views link to) reads back as the same choice.
        #[test]
        fn a_choice_reads_back_from_its_canonical_query(
            dataset in 0..DATASETS.len(),
            params in params(),
        ) {
            let (info, catalog) = (&DATASETS[dataset], &CATALOGS[dataset]);
            let territories = contract::territories();
            if let Ok(choice) = Choice::resolve(info, catalog, territories, &params) {
                let canonical = choice.query();
                // Read as the web's query extractor reads it.
                let again: TableParams = serde_urlencoded::from_str(&canonical)
                    .map_err(|e| TestCaseError::fail(format!("{canonical}: {e}")))?;
                let again = Choice::resolve(info, catalog, territories, &again)
                    .map_err(|e| TestCaseError::fail(format!("{canonical}: {e:?}")))?;
                prop_assert_eq!(again.query(), canonical);
            }
        }
    }
}
