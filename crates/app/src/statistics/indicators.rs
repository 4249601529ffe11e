//! The network's own indicators (needs, referrals, services; `crocevia-observatory`) as
//! tables: the query parameters ([`IndicatorParams`]) read against the codes of the facts in
//! memory, the table computed from facts at most [`MAX_STALENESS`] old under the disclosure
//! rule, then laid out as a [`StatTable`] with the totals and labels every chart and export
//! reads. The API and the pages take the same parameters, so both show the same figures,
//! hidden cells included.

use std::collections::HashMap;

use crocevia_core::clock::Clock;
use crocevia_core::desk::{AgeBand, ReferralState, Sex};
use crocevia_core::stat_table::{
    DimensionRole, StatTable, TableCategory, TableDimension, TableUnit, TableValue,
};
use crocevia_core::taxonomy;
use crocevia_i18n::{Arg, messages};
use crocevia_observatory::ObservatoryService;
use crocevia_observatory::facts::{Codes, age_code, parse_month, sex_code, state_code};
use crocevia_observatory::indicators::{
    self, Cell, Dim, Filter, Indicator, IndicatorTable, Measure, Query as IndicatorQuery,
};
use crocevia_store::DirectoryRead;
use serde::Deserialize;

use super::StatisticsError;
use super::labels::Tr;

/// How stale the facts may be when a request reads them.
pub const MAX_STALENESS: std::time::Duration = std::time::Duration::from_millis(500);

/// The indicator with this id.
pub fn indicator(id: &str) -> Result<&'static Indicator, StatisticsError> {
    indicators::indicator(id).ok_or_else(|| StatisticsError::not_found("indicator", id))
}

/// The query parameters of an indicator, all optional; every code is the one the tables use.
#[derive(Debug, Default, Clone, Deserialize)]
pub struct IndicatorParams {
    /// Up to two breakdowns, comma-separated: rows, then columns.
    pub by: Option<String>,
    pub region: Option<String>,
    pub province: Option<String>,
    pub comune: Option<String>,
    pub from: Option<String>,
    pub to: Option<String>,
    pub sex: Option<String>,
    pub age_band: Option<String>,
    pub citizenship_area: Option<String>,
    pub category: Option<String>,
    pub organisation: Option<String>,
    pub state: Option<String>,
    /// A second territory of the level of the territory filter, compared with it.
    pub compare: Option<String>,
}

/// A parameter's value read by `parse`, `None` when absent or empty.
fn code<T>(
    name: &'static str,
    value: &Option<String>,
    parse: impl Fn(&str) -> Option<T>,
    expected: &str,
) -> Result<Option<T>, StatisticsError> {
    match value.as_deref().map(str::trim).filter(|v| !v.is_empty()) {
        None => Ok(None),
        Some(v) => parse(v)
            .map(Some)
            .ok_or_else(|| StatisticsError::invalid(name, format!("'{v}' is not {expected}"))),
    }
}

impl IndicatorParams {
    /// The query these parameters ask of indicator `id`, codes resolved against `codes`.
    pub fn query(&self, id: &str, codes: &Codes) -> Result<IndicatorQuery, StatisticsError> {
        let indicator = indicator(id)?;
        let mut by = Vec::new();
        for name in self
            .by
            .iter()
            .flat_map(|b| b.split(','))
            .map(str::trim)
            .filter(|s| !s.is_empty())
        {
            by.push(Dim::parse(name).ok_or_else(|| {
                let known: Vec<&str> = indicator.dimensions.iter().map(|d| d.as_str()).collect();
                StatisticsError::invalid(
                    "by",
                    format!("'{name}' is not one of {}", known.join(", ")),
                )
            })?);
        }
        let given = |v: &Option<String>| v.as_deref().is_some_and(|v| !v.trim().is_empty());
        let compare = match (
            given(&self.region),
            given(&self.province),
            given(&self.comune),
        ) {
            _ if !given(&self.compare) => None,
            (true, false, false) => code(
                "compare",
                &self.compare,
                |c| codes.region(c).map(u16::from),
                "an ISTAT region code (14), as the region is",
            )?,
            (false, true, false) => code(
                "compare",
                &self.compare,
                |c| codes.province(c).map(u16::from),
                "an ISTAT province code (067), as the province is",
            )?,
            (false, false, true) => code(
                "compare",
                &self.compare,
                |c| codes.comune(c),
                "an ISTAT comune code (067041), as the comune is",
            )?,
            _ => {
                return Err(StatisticsError::invalid(
                    "compare",
                    "a comparison needs exactly one of region, province or comune",
                ));
            }
        };
        let filter = Filter {
            compare,
            region: code(
                "region",
                &self.region,
                |c| codes.region(c),
                "an ISTAT region code (13)",
            )?,
            province: code(
                "province",
                &self.province,
                |c| codes.province(c),
                "an ISTAT province code (066)",
            )?,
            comune: code(
                "comune",
                &self.comune,
                |c| codes.comune(c),
                "an ISTAT comune code (066049)",
            )?,
            from: code("from", &self.from, parse_month, "a month (2025-01)")?,
            to: code("to", &self.to, parse_month, "a month (2025-12)")?,
            sex: code(
                "sex",
                &self.sex,
                |s| Sex::parse(s).map(sex_code),
                "female, male or not_stated",
            )?,
            age: code(
                "age_band",
                &self.age_band,
                |a| AgeBand::parse(a).map(age_code),
                "an age band (25-34)",
            )?,
            area: code(
                "citizenship_area",
                &self.citizenship_area,
                |a| codes.area(a),
                "an ISTAT area of citizenship (12)",
            )?,
            category: code(
                "category",
                &self.category,
                |c| {
                    codes
                        .term_by_code(c)
                        .filter(|t| codes.top_category_of_term[usize::from(*t)] == *t)
                },
                "a top-level need category (health)",
            )?,
            organisation: code(
                "organisation",
                &self.organisation,
                |o| codes.organisation(o),
                "an organisation with desk records",
            )?,
            state: code(
                "state",
                &self.state,
                |s| ReferralState::parse(s).map(state_code),
                "a referral state (completed)",
            )?,
        };
        Ok(IndicatorQuery {
            indicator,
            by,
            filter,
        })
    }
}

/// The indicators' use cases over the observatory's facts, the directory (names of
/// organisations) and the clock (today, for the default period and the table's date).
pub struct Indicators<'a, S: ?Sized> {
    pub store: &'a S,
    pub observatory: &'a ObservatoryService,
    pub clock: &'a dyn Clock,
}

impl<S> Indicators<'_, S>
where
    S: DirectoryRead + ?Sized,
{
    /// Indicator `id`'s table for `params`, computed from facts at most [`MAX_STALENESS`]
    /// old, with the disclosure rule applied.
    pub async fn table(
        &self,
        id: &str,
        params: &IndicatorParams,
    ) -> Result<IndicatorTable, StatisticsError> {
        self.observatory.sync_if_older(MAX_STALENESS).await?;
        let query = self
            .observatory
            .with_facts(|facts| params.query(id, &facts.codes))
            .await?;
        let today = self.clock.now().date_naive();
        Ok(self.observatory.compute(&query, today).await?)
    }

    /// An indicator's table as a [`StatTable`] (for charts and exports), labelled in `lang`,
    /// organisations named from the directory.
    pub async fn stat_table(
        &self,
        table: &IndicatorTable,
        lang: &str,
    ) -> Result<StatTable, StatisticsError> {
        let names = self.organisation_names(table).await?;
        let updated = self.clock.now().date_naive().to_string();
        let tr = Tr::new(lang, self.observatory.territories());
        Ok(self
            .observatory
            .with_facts(|facts| {
                stat_table(
                    table,
                    &facts.codes,
                    &|id| names.get(id).cloned().unwrap_or_else(|| id.to_owned()),
                    &tr,
                    updated,
                )
            })
            .await)
    }

    /// Names of the organisations the table breaks down by, from the directory, by id.
    async fn organisation_names(
        &self,
        table: &IndicatorTable,
    ) -> Result<HashMap<String, String>, StatisticsError> {
        let ids: Vec<String> = [&table.rows, &table.columns]
            .into_iter()
            .filter(|a| a.dim == Some(Dim::Organisation))
            .flat_map(|a| a.categories.clone())
            .collect();
        if ids.is_empty() {
            return Ok(HashMap::new());
        }
        Ok(self
            .store
            .get_many(Some("organization"), &ids)
            .await?
            .into_iter()
            .filter_map(|r| Some((r.id.clone(), r.text("name")?.to_owned())))
            .collect())
    }
}

/// The label of one category of a dimension.
fn category_label(tr: &Tr, codes: &Codes, dim: Dim, code: &str) -> String {
    if code == "unknown" {
        return tr.t("ob-ind-unknown");
    }
    let t = tr.territories();
    match dim {
        Dim::Region => t.region(code).map(|r| r.name.clone()),
        Dim::Province => t.province(code).map(|p| p.name.clone()),
        Dim::Comune => t.comune(code).map(|c| c.name.clone()),
        Dim::Sex => Some(tr.t(&format!("ob-ind-sex-{code}"))),
        Dim::CitizenshipArea => codes
            .areas
            .iter()
            .find(|(c, _)| *c == code)
            .map(|(_, name)| (*name).to_owned()),
        Dim::Category => taxonomy::term(code).map(|term| term.label(&tr.lang).name.clone()),
        Dim::State => Some(tr.t(&format!("dk-state-{code}"))),
        Dim::Reason => Some(tr.t(&format!("dk-code-{code}"))),
        Dim::Month | Dim::Year | Dim::AgeBand | Dim::Organisation => None,
    }
    .unwrap_or_else(|| code.to_owned())
}

fn value(cell: &Cell) -> TableValue {
    match cell {
        Cell::Value(v) => TableValue::Number(*v),
        Cell::Hidden => TableValue::Hidden,
        Cell::Missing => TableValue::Missing,
    }
}

/// The breakdowns, each with a last "total" category, so totals travel with the cells.
fn stat_table(
    t: &IndicatorTable,
    codes: &Codes,
    organisation_names: &dyn Fn(&str) -> String,
    tr: &Tr,
    updated: String,
) -> StatTable {
    let total_label = tr.t("ob-total");
    let dimension = |axis: &indicators::Axis| {
        axis.dim.map(|dim| TableDimension {
            id: dim.as_str().to_owned(),
            label: tr.t(&format!("ob-ind-dim-{}", dim.as_str())),
            role: match dim {
                Dim::Region | Dim::Province | Dim::Comune => Some(DimensionRole::Geo),
                Dim::Month | Dim::Year => Some(DimensionRole::Time),
                _ => None,
            },
            categories: axis
                .categories
                .iter()
                .map(|code| {
                    let label = if dim == Dim::Organisation {
                        organisation_names(code)
                    } else {
                        category_label(tr, codes, dim, code)
                    };
                    TableCategory::new(code.clone(), label)
                })
                .chain(std::iter::once(TableCategory::new(
                    "total",
                    total_label.clone(),
                )))
                .collect(),
        })
    };
    let rows = dimension(&t.rows);
    let columns = dimension(&t.columns);
    let mut values = Vec::new();
    match (&rows, &columns) {
        (Some(_), Some(_)) => {
            for (cells, total) in t.cells.iter().zip(&t.row_totals) {
                values.extend(cells.iter().map(value));
                values.push(value(total));
            }
            values.extend(t.column_totals.iter().map(value));
            values.push(value(&t.total));
        }
        (Some(_), None) => {
            values.extend(t.row_totals.iter().map(value));
            values.push(value(&t.total));
        }
        _ => values.push(value(&t.total)),
    }
    let measure = indicators::indicator(t.indicator).map(|i| i.measure);
    let (unit, decimals) = match measure {
        Some(Measure::MedianHoursToFirstAnswer) => ("hours", 1),
        Some(Measure::DeclinedShare) => ("percent", 1),
        Some(Measure::ServicesPer10000) => ("per_10000", 2),
        _ => ("count", 0),
    };
    StatTable {
        id: t.indicator.to_owned(),
        label: tr.t(&format!("ob-ind-{}", t.indicator)),
        dimensions: rows.into_iter().chain(columns).collect(),
        values,
        unit: TableUnit {
            code: unit.to_owned(),
            label: tr.t(&format!("ob-ind-unit-{unit}")),
            decimals,
        },
        source: tr.t("ob-ind-source"),
        updated,
        notes: t
            .disclosure_threshold
            .map(|n| {
                messages().get(
                    &tr.lang,
                    "ob-ind-note-hidden",
                    &[("threshold", Arg::Number(f64::from(n)))],
                )
            })
            .into_iter()
            .collect(),
        disclosure_threshold: t.disclosure_threshold,
    }
}
