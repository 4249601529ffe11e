//! Indicators: a measure over one fact table, broken down by up to two of the dimensions it
//! allows, filtered by any of them. Tables about people pass the disclosure rule before
//! anything leaves this module.

use chrono::{Datelike, Months, NaiveDate};
use crocevia_core::desk::referral::DeclineReason;
use crocevia_core::desk::{AgeBand, ReferralState, Sex};
use crocevia_core::disclosure::{CountTable, DisclosureRule, Shown, protect_table};
use crocevia_core::taxonomy;
use serde::Serialize;

use crate::facts::{
    BLOCK, Codes, Month, NO_ANSWER, Needs, Referrals, ServiceFact, UNKNOWN, month_key,
    month_number, reason_codes, region_bit, state_code,
};

/// A way to break an indicator down.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Dim {
    Region,
    Province,
    Comune,
    Month,
    Year,
    Sex,
    AgeBand,
    CitizenshipArea,
    Category,
    Organisation,
    State,
    Reason,
}

impl Dim {
    pub const ALL: [Dim; 12] = [
        Dim::Region,
        Dim::Province,
        Dim::Comune,
        Dim::Month,
        Dim::Year,
        Dim::Sex,
        Dim::AgeBand,
        Dim::CitizenshipArea,
        Dim::Category,
        Dim::Organisation,
        Dim::State,
        Dim::Reason,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Dim::Region => "region",
            Dim::Province => "province",
            Dim::Comune => "comune",
            Dim::Month => "month",
            Dim::Year => "year",
            Dim::Sex => "sex",
            Dim::AgeBand => "age_band",
            Dim::CitizenshipArea => "citizenship_area",
            Dim::Category => "category",
            Dim::Organisation => "organisation",
            Dim::State => "state",
            Dim::Reason => "reason",
        }
    }

    pub fn parse(text: &str) -> Option<Dim> {
        Dim::ALL.into_iter().find(|d| d.as_str() == text)
    }

    pub fn is_territory(self) -> bool {
        matches!(self, Dim::Region | Dim::Province | Dim::Comune)
    }
}

/// Which facts an indicator counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Fact {
    Needs,
    Referrals,
    Services,
}

/// What an indicator computes per cell.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Measure {
    /// Needs recorded (with the person's consent to statistics).
    Needs,
    /// Needs for which no listed service of their category is within the configured distance
    /// of the person's comune.
    UnmetNeeds,
    Referrals,
    /// Median hours from sending to the receiver's first answer, of the referrals answered.
    MedianHoursToFirstAnswer,
    /// Percentage of referrals declined as "no capacity" or "not eligible".
    DeclinedShare,
    /// Listed services per 10,000 foreign residents (ISTAT, latest year).
    ServicesPer10000,
    /// Listed services not verified for six months (or never).
    StaleServices,
}

/// A built-in indicator.
#[derive(Debug, PartialEq, Eq, Serialize)]
pub struct Indicator {
    pub id: &'static str,
    pub fact: Fact,
    pub measure: Measure,
    /// Counts of people: published under the disclosure rule.
    pub about_people: bool,
    pub dimensions: &'static [Dim],
}

const PEOPLE_DIMS: [Dim; 10] = [
    Dim::Region,
    Dim::Province,
    Dim::Comune,
    Dim::Month,
    Dim::Year,
    Dim::Sex,
    Dim::AgeBand,
    Dim::CitizenshipArea,
    Dim::Category,
    Dim::Organisation,
];
const REFERRAL_DIMS: [Dim; 12] = Dim::ALL;
const SERVICE_DIMS: [Dim; 3] = [Dim::Region, Dim::Province, Dim::Category];

pub static INDICATORS: &[Indicator] = &[
    Indicator {
        id: "needs",
        fact: Fact::Needs,
        measure: Measure::Needs,
        about_people: true,
        dimensions: &PEOPLE_DIMS,
    },
    Indicator {
        id: "unmet_needs",
        fact: Fact::Needs,
        measure: Measure::UnmetNeeds,
        about_people: true,
        dimensions: &PEOPLE_DIMS,
    },
    Indicator {
        id: "referrals",
        fact: Fact::Referrals,
        measure: Measure::Referrals,
        about_people: true,
        dimensions: &REFERRAL_DIMS,
    },
    Indicator {
        id: "median_hours_to_first_answer",
        fact: Fact::Referrals,
        measure: Measure::MedianHoursToFirstAnswer,
        about_people: true,
        dimensions: &PEOPLE_DIMS,
    },
    Indicator {
        id: "declined_no_capacity_or_not_eligible",
        fact: Fact::Referrals,
        measure: Measure::DeclinedShare,
        about_people: true,
        dimensions: &PEOPLE_DIMS,
    },
    Indicator {
        id: "services_per_10000_foreign_residents",
        fact: Fact::Services,
        measure: Measure::ServicesPer10000,
        about_people: false,
        dimensions: &SERVICE_DIMS,
    },
    Indicator {
        id: "stale_services",
        fact: Fact::Services,
        measure: Measure::StaleServices,
        about_people: false,
        dimensions: &SERVICE_DIMS,
    },
];

pub fn indicator(id: &str) -> Option<&'static Indicator> {
    INDICATORS.iter().find(|i| i.id == id)
}

/// Restrictions on the facts counted; every field narrows.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Filter {
    pub region: Option<u8>,
    pub province: Option<u8>,
    pub comune: Option<u16>,
    pub from: Option<Month>,
    pub to: Option<Month>,
    pub sex: Option<u8>,
    pub age: Option<u8>,
    pub area: Option<u8>,
    pub category: Option<u8>,
    pub organisation: Option<u16>,
    pub state: Option<u8>,
    /// A second territory at the level of the one territory filter (a region, province or
    /// comune index): facts of either are counted, so a breakdown by that level compares the
    /// two in one table, protected as a whole.
    pub compare: Option<u16>,
}

impl Filter {
    /// The level of the territory filter a comparison extends, when there is one.
    fn compared_level(&self) -> Option<Dim> {
        self.compare?;
        match (self.region, self.province, self.comune) {
            (Some(_), None, None) => Some(Dim::Region),
            (None, Some(_), None) => Some(Dim::Province),
            (None, None, Some(_)) => Some(Dim::Comune),
            _ => None,
        }
    }

    /// The compared territory, if the comparison is at `level`.
    fn compare_at(&self, level: Dim) -> Option<u32> {
        (self.compared_level() == Some(level))
            .then(|| self.compare.map(u32::from))
            .flatten()
    }

    /// Whether facts of region `r` pass the region filter.
    pub fn allows_region(&self, r: u8) -> bool {
        self.region
            .is_none_or(|x| x == r || self.compare_at(Dim::Region) == Some(u32::from(r)))
    }

    pub fn allows_province(&self, p: u8) -> bool {
        self.province
            .is_none_or(|x| x == p || self.compare_at(Dim::Province) == Some(u32::from(p)))
    }

    pub fn allows_comune(&self, c: u16) -> bool {
        self.comune
            .is_none_or(|x| x == c || self.compare_at(Dim::Comune) == Some(u32::from(c)))
    }

    /// The regions facts must lie in, as [`region_bit`]s (`None`: any region).
    fn region_bits(&self, codes: &Codes) -> Option<u32> {
        let regions: Vec<u8> = match self.compared_level() {
            Some(Dim::Province) | None if self.province.is_some() => self
                .province
                .into_iter()
                .chain(self.compare_at(Dim::Province).map(|p| p as u8))
                .map(|p| codes.region_of_province[usize::from(p)])
                .collect(),
            Some(Dim::Comune) | None if self.comune.is_some() => self
                .comune
                .into_iter()
                .chain(self.compare_at(Dim::Comune).map(|c| c as u16))
                .map(|c| codes.region_of_comune(c))
                .collect(),
            _ => self
                .region
                .into_iter()
                .chain(self.compare_at(Dim::Region).map(|r| r as u8))
                .collect(),
        };
        (!regions.is_empty()).then(|| regions.into_iter().fold(0, |b, r| b | region_bit(r)))
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Query {
    pub indicator: &'static Indicator,
    /// Rows, then columns; at most two.
    pub by: Vec<Dim>,
    pub filter: Filter,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum QueryError {
    #[error("at most two breakdowns at once (asked for {0})")]
    TooManyBreakdowns(usize),
    #[error("the indicator {indicator} cannot be broken down by {dim}")]
    DimensionNotAvailable {
        indicator: &'static str,
        dim: &'static str,
    },
    #[error("a breakdown by comune needs a region or a province to be chosen")]
    ComuneNeedsTerritory,
    #[error("choose at most one territorial breakdown")]
    TwoTerritories,
    #[error("the period runs backwards or spans more than {0} months")]
    BadPeriod(u16),
    #[error(
        "a comparison needs exactly one of region, province or comune, and a second territory of that level"
    )]
    CompareNeedsOneTerritory,
}

impl QueryError {
    pub fn code(&self) -> &'static str {
        match self {
            Self::TooManyBreakdowns(_) => "too_many_breakdowns",
            Self::DimensionNotAvailable { .. } => "dimension_not_available",
            Self::ComuneNeedsTerritory => "comune_needs_territory",
            Self::TwoTerritories => "two_territories",
            Self::BadPeriod(_) => "bad_period",
            Self::CompareNeedsOneTerritory => "compare_needs_one_territory",
        }
    }
}

/// The longest period a table covers, in months.
pub const MAX_MONTHS: u16 = 120;

/// One published value.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Cell {
    Value(f64),
    /// Hidden by the disclosure rule.
    Hidden,
    /// Nothing to compute from (a median of nothing, a rate with no residents).
    Missing,
}

/// The categories along one side of a table: stable codes (`"066"`, `"2025-03"`, `"female"`,
/// `"unknown"`); labels are the interface's business.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Axis {
    /// `None` for the single "all" category of a table not broken down that way.
    pub dim: Option<Dim>,
    pub categories: Vec<String>,
}

/// An indicator's answer: a rows × columns table with its totals, as it may be published.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct IndicatorTable {
    pub indicator: &'static str,
    pub rows: Axis,
    pub columns: Axis,
    pub cells: Vec<Vec<Cell>>,
    pub row_totals: Vec<Cell>,
    pub column_totals: Vec<Cell>,
    pub total: Cell,
    /// The threshold applied (`None` for tables not about people).
    pub disclosure_threshold: Option<u32>,
    /// The months covered.
    pub from: String,
    pub to: String,
}

/// Everything a query reads.
pub struct Inputs<'a> {
    pub codes: &'a Codes,
    pub needs: &'a Needs,
    pub referrals: &'a Referrals,
    pub services: &'a [ServiceFact],
    /// Foreign residents by province index (ISTAT, latest year), for rates.
    pub residents_by_province: &'a [Option<u64>],
    /// Whether a need (by row) has no service of its category within reach.
    pub unmet: &'a (dyn Fn(usize) -> bool + Sync),
    pub rule: DisclosureRule,
    pub today: NaiveDate,
}

/// Sentinel for a value outside the table's categories.
const OUTSIDE: u32 = u32::MAX;

/// One side of the table being counted: how a fact's code maps to a category position.
struct Side {
    axis: Axis,
    dim: Option<Dim>,
    /// By code: the category's position, or [`OUTSIDE`].
    position: Vec<u32>,
}

impl Side {
    fn all() -> Self {
        Side {
            axis: Axis {
                dim: None,
                categories: vec!["all".into()],
            },
            dim: None,
            position: Vec::new(),
        }
    }

    fn len(&self) -> usize {
        self.axis.categories.len()
    }

    /// The position of a code (0 for the "all" side).
    #[inline]
    fn of(&self, code: u32) -> u32 {
        if self.dim.is_none() {
            return 0;
        }
        self.position.get(code as usize).copied().unwrap_or(OUTSIDE)
    }
}

/// The months a query covers: its filter's, else the twelve months up to `today`.
fn period(filter: &Filter, today: NaiveDate) -> Result<(Month, Month), QueryError> {
    let this_month = month_number(today.year(), today.month());
    let to = filter.to.unwrap_or(this_month);
    let from = filter.from.unwrap_or(to.saturating_sub(11));
    if from > to || to - from >= MAX_MONTHS {
        return Err(QueryError::BadPeriod(MAX_MONTHS));
    }
    Ok((from, to))
}

fn side(dim: Dim, q: &Query, codes: &Codes, months: (Month, Month)) -> Result<Side, QueryError> {
    let territories = codes.territories;
    let f = &q.filter;
    let territory_filtered = f.region.is_some() || f.province.is_some() || f.comune.is_some();
    // (code, category code) pairs, in display order.
    let mut entries: Vec<(u32, String)> = match dim {
        Dim::Region => territories
            .regions
            .iter()
            .enumerate()
            .filter(|(i, _)| f.allows_region(*i as u8))
            .map(|(i, r)| (i as u32, r.code.clone()))
            .collect(),
        Dim::Province => territories
            .provinces
            .iter()
            .enumerate()
            .filter(|(i, _)| f.allows_province(*i as u8))
            .filter(|(i, _)| f.allows_region(codes.region_of_province[*i]))
            .map(|(i, p)| (i as u32, p.code.clone()))
            .collect(),
        Dim::Comune => {
            if f.region.is_none() && f.province.is_none() && f.comune.is_none() {
                return Err(QueryError::ComuneNeedsTerritory);
            }
            territories
                .comuni
                .iter()
                .enumerate()
                .filter(|(i, _)| f.allows_comune(*i as u16))
                .filter(|(i, _)| f.allows_province(codes.province_of_comune(*i as u16)))
                .filter(|(i, _)| f.allows_region(codes.region_of_comune(*i as u16)))
                .map(|(i, c)| (i as u32, c.code.clone()))
                .collect()
        }
        Dim::Month => (months.0..=months.1)
            .map(|m| (u32::from(m), month_key(m)))
            .collect(),
        Dim::Year => {
            let (first, last) = (months.0 / 12, months.1 / 12);
            (first..=last)
                .map(|y| (u32::from(y), (2000 + u32::from(y)).to_string()))
                .collect()
        }
        Dim::Sex => Sex::ALL
            .iter()
            .enumerate()
            .map(|(i, s)| (i as u32, s.as_str().to_owned()))
            .collect(),
        Dim::AgeBand => AgeBand::ALL
            .iter()
            .enumerate()
            .map(|(i, a)| (i as u32, a.as_str().to_owned()))
            .collect(),
        Dim::CitizenshipArea => codes
            .areas
            .iter()
            .enumerate()
            .map(|(i, (code, _))| (i as u32, (*code).to_owned()))
            .collect(),
        Dim::Category => taxonomy::needs_taxonomy()
            .iter()
            .enumerate()
            .filter(|(_, t)| t.parent.is_none())
            .map(|(i, t)| (i as u32, t.code.clone()))
            .collect(),
        Dim::Organisation => codes
            .organisations
            .iter()
            .enumerate()
            .map(|(i, o)| (i as u32, o.clone()))
            .collect(),
        Dim::State => ReferralState::ALL
            .iter()
            .map(|s| (u32::from(state_code(*s)), s.as_str().to_owned()))
            .collect(),
        Dim::Reason => reason_codes()
            .iter()
            .enumerate()
            .map(|(i, r)| (i as u32, (*r).to_owned()))
            .collect(),
    };
    // Facts may lack these: "unknown" is a category, so totals stay sums of their cells.
    let may_be_unknown = match dim {
        d if d.is_territory() => !territory_filtered,
        Dim::AgeBand | Dim::CitizenshipArea | Dim::Reason => true,
        _ => false,
    };
    if may_be_unknown {
        let unknown = if dim == Dim::Comune {
            u32::from(u16::MAX)
        } else {
            u32::from(UNKNOWN)
        };
        entries.push((unknown, "unknown".into()));
    }
    let size = entries
        .iter()
        .map(|(c, _)| *c as usize + 1)
        .max()
        .unwrap_or(0);
    let mut position = vec![OUTSIDE; size];
    for (i, (code, _)) in entries.iter().enumerate() {
        position[*code as usize] = i as u32;
    }
    Ok(Side {
        axis: Axis {
            dim: Some(dim),
            categories: entries.into_iter().map(|(_, c)| c).collect(),
        },
        dim: Some(dim),
        position,
    })
}

impl Query {
    fn check(&self) -> Result<(), QueryError> {
        if self.by.len() > 2 {
            return Err(QueryError::TooManyBreakdowns(self.by.len()));
        }
        if let Some(dim) = self
            .by
            .iter()
            .find(|d| !self.indicator.dimensions.contains(d))
        {
            return Err(QueryError::DimensionNotAvailable {
                indicator: self.indicator.id,
                dim: dim.as_str(),
            });
        }
        if self.by.iter().filter(|d| d.is_territory()).count() > 1 {
            return Err(QueryError::TwoTerritories);
        }
        if self.filter.compare.is_some() && self.filter.compared_level().is_none() {
            return Err(QueryError::CompareNeedsOneTerritory);
        }
        Ok(())
    }
}

/// Computes an indicator's table, applying the disclosure rule to tables about people.
pub fn compute(query: &Query, inputs: &Inputs<'_>) -> Result<IndicatorTable, QueryError> {
    query.check()?;
    let months = period(&query.filter, inputs.today)?;
    let mut sides = Vec::with_capacity(2);
    for dim in &query.by {
        sides.push(side(*dim, query, inputs.codes, months)?);
    }
    while sides.len() < 2 {
        sides.push(Side::all());
    }
    let columns = sides.pop().expect("two sides");
    let rows = sides.pop().expect("two sides");
    let mut table = match query.indicator.measure {
        Measure::Needs | Measure::UnmetNeeds => {
            let unmet = query.indicator.measure == Measure::UnmetNeeds;
            let counts = count_needs(inputs, &query.filter, months, &rows, &columns, unmet);
            published_counts(&counts, &inputs.rule)
        }
        Measure::Referrals => {
            let counts = count_referrals(inputs, &query.filter, months, &rows, &columns, |_| true);
            published_counts(&counts, &inputs.rule)
        }
        Measure::DeclinedShare => {
            let declined = [DeclineReason::NoCapacity, DeclineReason::NotEligible].map(|r| {
                reason_codes()
                    .iter()
                    .position(|c| *c == r.as_str())
                    .expect("listed") as u8
            });
            let declined_state = state_code(ReferralState::Declined);
            let all = count_referrals(inputs, &query.filter, months, &rows, &columns, |_| true);
            let part = count_referrals(inputs, &query.filter, months, &rows, &columns, |r| {
                inputs.referrals.state[r] == declined_state
                    && declined.contains(&inputs.referrals.reason[r])
            });
            share(&part, &all, &inputs.rule)
        }
        Measure::MedianHoursToFirstAnswer => {
            median_hours(inputs, &query.filter, months, &rows, &columns)
        }
        Measure::ServicesPer10000 | Measure::StaleServices => {
            services(inputs, query, &rows, &columns)
        }
    };
    table.rows = rows.axis;
    table.columns = columns.axis;
    table.indicator = query.indicator.id;
    table.disclosure_threshold = query
        .indicator
        .about_people
        .then(|| inputs.rule.threshold());
    table.from = month_key(months.0);
    table.to = month_key(months.1);
    Ok(table)
}

/// A column a dimension or filter reads, for needs or (through their need) referrals.
#[derive(Clone, Copy)]
enum Column<'a> {
    Narrow(&'a [u8]),
    Wide(&'a [u16]),
}

impl Column<'_> {
    #[inline]
    fn get(&self, row: usize) -> u32 {
        match self {
            Column::Narrow(c) => u32::from(c[row]),
            Column::Wide(c) => u32::from(c[row]),
        }
    }
}

/// The need column for a dimension.
fn need_column(needs: &Needs, dim: Dim) -> Option<Column<'_>> {
    Some(match dim {
        Dim::Region => Column::Narrow(&needs.region),
        Dim::Province => Column::Narrow(&needs.province),
        Dim::Comune => Column::Wide(&needs.comune),
        Dim::Sex => Column::Narrow(&needs.sex),
        Dim::AgeBand => Column::Narrow(&needs.age),
        Dim::CitizenshipArea => Column::Narrow(&needs.area),
        Dim::Category => Column::Narrow(&needs.category),
        Dim::Organisation => Column::Wide(&needs.organisation),
        Dim::Month | Dim::Year => Column::Wide(&needs.month),
        Dim::State | Dim::Reason => return None,
    })
}

/// One filter on needs: the column's code must be `wanted` or `or` (the compared territory;
/// `wanted` again when there is none).
struct Check<'a> {
    column: Column<'a>,
    wanted: u32,
    or: u32,
}

impl Check<'_> {
    #[inline]
    fn passes(&self, row: usize) -> bool {
        let code = self.column.get(row);
        code == self.wanted || code == self.or
    }

    /// Leaves out ([`OUTSIDE`]) the rows of `range` that do not pass.
    fn apply(&self, range: std::ops::Range<usize>, cells: &mut [u32]) {
        let (wanted, or) = (self.wanted, self.or);
        match self.column {
            Column::Narrow(column) => {
                for (c, &v) in cells.iter_mut().zip(&column[range]) {
                    let v = u32::from(v);
                    if v != wanted && v != or {
                        *c = OUTSIDE;
                    }
                }
            }
            Column::Wide(column) => {
                for (c, &v) in cells.iter_mut().zip(&column[range]) {
                    let v = u32::from(v);
                    if v != wanted && v != or {
                        *c = OUTSIDE;
                    }
                }
            }
        }
    }
}

/// The filter as checks on needs.
fn need_checks<'a>(needs: &'a Needs, f: &Filter) -> Vec<Check<'a>> {
    let mut checks = Vec::new();
    let mut add_or = |column, value: Option<u32>, or: Option<u32>| {
        if let Some(wanted) = value {
            checks.push(Check {
                column,
                wanted,
                or: or.unwrap_or(wanted),
            });
        }
    };
    add_or(
        Column::Narrow(&needs.region),
        f.region.map(u32::from),
        f.compare_at(Dim::Region),
    );
    add_or(
        Column::Narrow(&needs.province),
        f.province.map(u32::from),
        f.compare_at(Dim::Province),
    );
    add_or(
        Column::Wide(&needs.comune),
        f.comune.map(u32::from),
        f.compare_at(Dim::Comune),
    );
    let mut add = |column, value: Option<u32>| add_or(column, value, None);
    add(Column::Narrow(&needs.sex), f.sex.map(u32::from));
    add(Column::Narrow(&needs.age), f.age.map(u32::from));
    add(Column::Narrow(&needs.area), f.area.map(u32::from));
    add(Column::Narrow(&needs.category), f.category.map(u32::from));
    add(
        Column::Wide(&needs.organisation),
        f.organisation.map(u32::from),
    );
    checks
}

/// The code a side reads for a row: months become years for the year dimension.
#[inline]
fn code_of(column: Option<Column<'_>>, dim: Option<Dim>, row: usize) -> u32 {
    match (column, dim) {
        (Some(c), Some(Dim::Year)) => c.get(row) / 12,
        (Some(c), _) => c.get(row),
        (None, _) => 0,
    }
}

fn count_needs(
    inputs: &Inputs<'_>,
    filter: &Filter,
    (from, to): (Month, Month),
    rows: &Side,
    columns: &Side,
    unmet_only: bool,
) -> Vec<Vec<u64>> {
    let needs = inputs.needs;
    let checks = need_checks(needs, filter);
    let regions = filter.region_bits(inputs.codes);
    let row_positions = Positions::of(rows, rows.dim.and_then(|d| need_column(needs, d)));
    let column_positions = Positions::of(columns, columns.dim.and_then(|d| need_column(needs, d)));
    let width = columns.len() as u32;
    let cells = rows.len() * columns.len();
    // Only the blocks whose months meet the period, and which hold the region's rows.
    let blocks: Vec<usize> = (0..needs.len().div_ceil(BLOCK))
        .filter(|&b| {
            let in_period = needs
                .block_months
                .get(b)
                .is_none_or(|(low, high)| *high >= from && *low <= to);
            let in_region = regions.is_none_or(|wanted| {
                needs
                    .block_regions
                    .get(b)
                    .is_none_or(|bits| bits & wanted != 0)
            });
            in_period && in_region
        })
        .collect();
    let count_blocks = |blocks: &[usize]| {
        // One slot more, for the rows left out: counting needs no branch.
        let mut counts = vec![0u64; cells + 1];
        let mut cell = vec![0u32; BLOCK];
        for &b in blocks {
            let range = b * BLOCK..((b + 1) * BLOCK).min(needs.len());
            let cell = &mut cell[..range.len()];
            // A column at a time over the block: each pass is a tight loop over one column.
            row_positions.fill(range.clone(), cell);
            column_positions.combine(range.clone(), width, cell);
            let whole_block_in_period = needs
                .block_months
                .get(b)
                .is_some_and(|(low, high)| *low >= from && *high <= to);
            if !whole_block_in_period {
                for (c, &month) in cell.iter_mut().zip(&needs.month[range.clone()]) {
                    if month < from || month > to {
                        *c = OUTSIDE;
                    }
                }
            }
            for (c, &counted) in cell.iter_mut().zip(&needs.counted[range.clone()]) {
                if !counted {
                    *c = OUTSIDE;
                }
            }
            for check in &checks {
                check.apply(range.clone(), cell);
            }
            if unmet_only {
                for (c, i) in cell.iter_mut().zip(range) {
                    if *c != OUTSIDE && !(inputs.unmet)(i) {
                        *c = OUTSIDE;
                    }
                }
            }
            for &c in cell.iter() {
                counts[(c as usize).min(cells)] += 1;
            }
        }
        counts.truncate(cells);
        counts
    };
    // Large histories are scanned in parallel, the wanted blocks shared out evenly (rows are
    // sorted by month, so a period's blocks sit together).
    let threads = if needs.len() >= PARALLEL_FROM {
        std::thread::available_parallelism().map_or(1, |n| n.get().min(8))
    } else {
        1
    };
    let counts = if threads == 1 || blocks.len() < 2 {
        count_blocks(&blocks)
    } else {
        std::thread::scope(|scope| {
            let parts: Vec<_> = blocks
                .chunks(blocks.len().div_ceil(threads))
                .map(|share| scope.spawn(|| count_blocks(share)))
                .collect();
            let mut total = vec![0u64; cells];
            for part in parts {
                for (sum, n) in total.iter_mut().zip(part.join().expect("a scan thread")) {
                    *sum += n;
                }
            }
            total
        })
    };
    counts.chunks(columns.len()).map(<[u64]>::to_vec).collect()
}

/// A side's category position for every value its column can hold (months already made
/// years for the year dimension), so a scan looks each row's position up in one step.
enum Positions<'a> {
    /// The side reads no need column: every row has the position of code 0.
    Constant(u32),
    Narrow(&'a [u8], Vec<u32>),
    Wide(&'a [u16], Vec<u32>),
}

impl<'a> Positions<'a> {
    fn of(side: &Side, column: Option<Column<'a>>) -> Self {
        let position = |value: u32| {
            side.of(match side.dim {
                Some(Dim::Year) => value / 12,
                _ => value,
            })
        };
        match column {
            None => Positions::Constant(side.of(0)),
            Some(Column::Narrow(c)) => {
                Positions::Narrow(c, (0..=u32::from(u8::MAX)).map(position).collect())
            }
            Some(Column::Wide(c)) => {
                Positions::Wide(c, (0..=u32::from(u16::MAX)).map(position).collect())
            }
        }
    }

    /// Each row's position, or [`OUTSIDE`].
    fn fill(&self, range: std::ops::Range<usize>, out: &mut [u32]) {
        match self {
            Positions::Constant(p) => out.fill(*p),
            Positions::Narrow(c, table) => {
                for (o, &v) in out.iter_mut().zip(&c[range]) {
                    *o = table[usize::from(v)];
                }
            }
            Positions::Wide(c, table) => {
                for (o, &v) in out.iter_mut().zip(&c[range]) {
                    *o = table[usize::from(v)];
                }
            }
        }
    }

    /// Turns row positions in `cells` into cell positions, this side being the columns of
    /// a table `width` wide.
    fn combine(&self, range: std::ops::Range<usize>, width: u32, cells: &mut [u32]) {
        let join = |row: u32, column: u32| {
            if row == OUTSIDE || column == OUTSIDE {
                OUTSIDE
            } else {
                row * width + column
            }
        };
        match self {
            Positions::Constant(p) => cells.iter_mut().for_each(|c| *c = join(*c, *p)),
            Positions::Narrow(column, table) => {
                for (c, &v) in cells.iter_mut().zip(&column[range]) {
                    *c = join(*c, table[usize::from(v)]);
                }
            }
            Positions::Wide(column, table) => {
                for (c, &v) in cells.iter_mut().zip(&column[range]) {
                    *c = join(*c, table[usize::from(v)]);
                }
            }
        }
    }
}

/// Below this many needs a scan stays on one thread.
const PARALLEL_FROM: usize = 1_000_000;

/// The referral-side code of a dimension (its own columns), or `None` for the need's.
fn referral_code(referrals: &Referrals, dim: Dim, row: usize) -> Option<u32> {
    Some(match dim {
        Dim::State => u32::from(referrals.state[row]),
        Dim::Reason => u32::from(referrals.reason[row]),
        // A referral's organisation is its receiver; its period is when it was sent.
        Dim::Organisation => u32::from(referrals.to[row]),
        Dim::Month => u32::from(referrals.month[row]),
        Dim::Year => u32::from(referrals.month[row]) / 12,
        _ => return None,
    })
}

fn count_referrals(
    inputs: &Inputs<'_>,
    filter: &Filter,
    (from, to): (Month, Month),
    rows: &Side,
    columns: &Side,
    include: impl Fn(usize) -> bool,
) -> Vec<Vec<u64>> {
    let width = columns.len();
    let mut counts = vec![0u64; rows.len() * width];
    for_each_referral(inputs, filter, (from, to), rows, columns, |i, r, c| {
        if include(i) {
            counts[r * width + c] += 1;
        }
    });
    counts.chunks(width).map(<[u64]>::to_vec).collect()
}

/// Calls `visit(referral row, row position, column position)` for every counted referral
/// in the table.
fn for_each_referral(
    inputs: &Inputs<'_>,
    filter: &Filter,
    (from, to): (Month, Month),
    rows: &Side,
    columns: &Side,
    mut visit: impl FnMut(usize, usize, usize),
) {
    let (needs, referrals) = (inputs.needs, inputs.referrals);
    let mut checks = need_checks(needs, filter);
    // The organisation filter is the receiver's, as the breakdown is.
    checks.retain(|check| !matches!(check.column, Column::Wide(col) if std::ptr::eq(col, needs.organisation.as_slice())));
    let row_need_column = rows.dim.and_then(|d| need_column(needs, d));
    let column_need_column = columns.dim.and_then(|d| need_column(needs, d));
    let position = |side: &Side, need_column: Option<Column<'_>>, i: usize, need: usize| {
        let code = match side.dim {
            None => 0,
            Some(dim) => referral_code(referrals, dim, i)
                .unwrap_or_else(|| code_of(need_column, side.dim, need)),
        };
        side.of(code)
    };
    for i in 0..referrals.len() {
        let month = referrals.month[i];
        let need = referrals.need[i] as usize;
        if month < from || month > to || need >= needs.len() || !needs.counted[need] {
            continue;
        }
        if filter.state.is_some_and(|s| referrals.state[i] != s)
            || filter.organisation.is_some_and(|o| referrals.to[i] != o)
            || !checks.iter().all(|check| check.passes(need))
        {
            continue;
        }
        let r = position(rows, row_need_column, i, need);
        let c = position(columns, column_need_column, i, need);
        if r != OUTSIDE && c != OUTSIDE {
            visit(i, r as usize, c as usize);
        }
    }
}

fn empty_table() -> IndicatorTable {
    IndicatorTable {
        indicator: "",
        rows: Axis {
            dim: None,
            categories: Vec::new(),
        },
        columns: Axis {
            dim: None,
            categories: Vec::new(),
        },
        cells: Vec::new(),
        row_totals: Vec::new(),
        column_totals: Vec::new(),
        total: Cell::Missing,
        disclosure_threshold: None,
        from: String::new(),
        to: String::new(),
    }
}

fn shown(value: Shown) -> Cell {
    match value {
        Shown::Count(n) => Cell::Value(n as f64),
        Shown::Hidden => Cell::Hidden,
    }
}

fn published_counts(counts: &[Vec<u64>], rule: &DisclosureRule) -> IndicatorTable {
    let protected = protect_table(
        &CountTable {
            cells: counts.to_vec(),
        },
        rule,
    );
    IndicatorTable {
        cells: protected
            .cells
            .iter()
            .map(|row| row.iter().copied().map(shown).collect())
            .collect(),
        row_totals: protected.row_totals.iter().copied().map(shown).collect(),
        column_totals: protected.column_totals.iter().copied().map(shown).collect(),
        total: shown(protected.total),
        ..empty_table()
    }
}

/// `part / all` as a percentage, hidden where either count is.
fn share(part: &[Vec<u64>], all: &[Vec<u64>], rule: &DisclosureRule) -> IndicatorTable {
    let part = published_counts(part, rule);
    let all = published_counts(all, rule);
    let ratio = |p: &Cell, a: &Cell| match (p, a) {
        (_, Cell::Value(a)) if *a == 0.0 => Cell::Missing,
        (Cell::Value(p), Cell::Value(a)) => Cell::Value(100.0 * p / a),
        _ => Cell::Hidden,
    };
    let zip = |p: &[Cell], a: &[Cell]| p.iter().zip(a).map(|(p, a)| ratio(p, a)).collect();
    IndicatorTable {
        cells: part
            .cells
            .iter()
            .zip(&all.cells)
            .map(|(p, a)| zip(p, a))
            .collect(),
        row_totals: zip(&part.row_totals, &all.row_totals),
        column_totals: zip(&part.column_totals, &all.column_totals),
        total: ratio(&part.total, &all.total),
        ..empty_table()
    }
}

fn median_hours(
    inputs: &Inputs<'_>,
    filter: &Filter,
    months: (Month, Month),
    rows: &Side,
    columns: &Side,
) -> IndicatorTable {
    let width = columns.len();
    let mut minutes: Vec<Vec<u32>> = vec![Vec::new(); rows.len() * width];
    for_each_referral(inputs, filter, months, rows, columns, |i, r, c| {
        let answered = inputs.referrals.answer_minutes[i];
        if answered != NO_ANSWER {
            minutes[r * width + c].push(answered);
        }
    });
    let counts: Vec<Vec<u64>> = minutes
        .chunks(width)
        .map(|row| row.iter().map(|m| m.len() as u64).collect())
        .collect();
    let counts = published_counts(&counts, &inputs.rule);
    let median = |shown: &Cell, values: Vec<u32>| match shown {
        Cell::Hidden => Cell::Hidden,
        _ if values.is_empty() => Cell::Missing,
        _ => Cell::Value(median_of(values) / 60.0),
    };
    let cell = |r: usize, c: usize| minutes[r * width + c].clone();
    let row_values = |r: usize| (0..width).flat_map(|c| cell(r, c)).collect::<Vec<_>>();
    let column_values = |c: usize| (0..rows.len()).flat_map(|r| cell(r, c)).collect::<Vec<_>>();
    IndicatorTable {
        cells: (0..rows.len())
            .map(|r| {
                (0..width)
                    .map(|c| median(&counts.cells[r][c], cell(r, c)))
                    .collect()
            })
            .collect(),
        row_totals: (0..rows.len())
            .map(|r| median(&counts.row_totals[r], row_values(r)))
            .collect(),
        column_totals: (0..width)
            .map(|c| median(&counts.column_totals[c], column_values(c)))
            .collect(),
        total: median(&counts.total, minutes.concat()),
        ..empty_table()
    }
}

fn median_of(mut values: Vec<u32>) -> f64 {
    values.sort_unstable();
    let middle = values.len() / 2;
    if values.len() % 2 == 1 {
        f64::from(values[middle])
    } else {
        (f64::from(values[middle - 1]) + f64::from(values[middle])) / 2.0
    }
}

/// Services by territory and category. A service counts once in each cell it belongs to, so
/// totals are counted, not summed (a service in two provinces is one service of the region).
fn services(inputs: &Inputs<'_>, query: &Query, rows: &Side, columns: &Side) -> IndicatorTable {
    let codes = inputs.codes;
    let f = &query.filter;
    let stale_before = inputs
        .today
        .checked_sub_months(Months::new(6))
        .unwrap_or(inputs.today);
    let stale_only = query.indicator.measure == Measure::StaleServices;
    // The codes a service has along a side: its provinces, regions or categories.
    let codes_along = |side: &Side, s: &ServiceFact| -> Vec<u32> {
        let mut out: Vec<u32> = match side.dim {
            None => vec![0],
            Some(Dim::Province) => s.provinces.iter().map(|&p| u32::from(p)).collect(),
            Some(Dim::Region) => s
                .provinces
                .iter()
                .map(|&p| u32::from(codes.region_of_province[usize::from(p)]))
                .collect(),
            Some(Dim::Category) => s
                .terms
                .iter()
                .map(|&t| u32::from(codes.top_category_of_term[usize::from(t)]))
                .collect(),
            Some(_) => Vec::new(),
        };
        out.sort_unstable();
        out.dedup();
        out.into_iter()
            .map(|code| side.of(code))
            .filter(|p| *p != OUTSIDE)
            .collect()
    };
    let (height, width) = (rows.len(), columns.len());
    let mut cells = vec![vec![0u64; width]; height];
    let mut row_totals = vec![0u64; height];
    let mut column_totals = vec![0u64; width];
    let mut total = 0u64;
    for s in inputs.services {
        let territorial = f.province.is_some() || f.region.is_some();
        let in_filter = (!territorial
            || s.provinces.iter().any(|&p| {
                f.allows_province(p) && f.allows_region(codes.region_of_province[usize::from(p)])
            }))
            && f.category.is_none_or(|c| {
                s.terms
                    .iter()
                    .any(|&t| codes.top_category_of_term[usize::from(t)] == c)
            });
        let stale = s.assured_date.is_none_or(|d| d < stale_before);
        if !in_filter || (stale_only && !stale) {
            continue;
        }
        let (rs, cs) = (codes_along(rows, s), codes_along(columns, s));
        for &r in &rs {
            for &c in &cs {
                cells[r as usize][c as usize] += 1;
            }
            row_totals[r as usize] += u64::from(!cs.is_empty());
        }
        for &c in &cs {
            column_totals[c as usize] += u64::from(!rs.is_empty());
        }
        total += u64::from(!rs.is_empty() && !cs.is_empty());
    }
    if stale_only {
        let value = |n: u64| Cell::Value(n as f64);
        return IndicatorTable {
            cells: cells
                .iter()
                .map(|row| row.iter().map(|&n| value(n)).collect())
                .collect(),
            row_totals: row_totals.into_iter().map(value).collect(),
            column_totals: column_totals.into_iter().map(value).collect(),
            total: value(total),
            ..empty_table()
        };
    }
    // Rates: the residents of the territory a row or column stands for (all of the filter's
    // territory where the table is not broken down by territory).
    let residents_of = |side: &Side, position: Option<usize>| -> Option<u64> {
        let wanted = |p: usize| match (side.dim, position) {
            (Some(Dim::Province), Some(i)) => {
                side.axis.categories[i] == codes.territories.provinces[p].code
            }
            (Some(Dim::Region), Some(i)) => {
                side.axis.categories[i]
                    == codes.territories.regions[usize::from(codes.region_of_province[p])].code
            }
            _ => true,
        };
        let mut sum = 0u64;
        for (p, residents) in inputs.residents_by_province.iter().enumerate() {
            let in_filter =
                f.allows_province(p as u8) && f.allows_region(codes.region_of_province[p]);
            if in_filter && wanted(p) {
                sum += (*residents)?;
            }
        }
        (sum > 0).then_some(sum)
    };
    let territory_side = if rows.dim.is_some_and(Dim::is_territory) {
        Some(rows)
    } else if columns.dim.is_some_and(Dim::is_territory) {
        Some(columns)
    } else {
        None
    };
    let rate = |count: u64, residents: Option<u64>| match residents {
        Some(n) => Cell::Value(count as f64 * 10_000.0 / n as f64),
        None => Cell::Missing,
    };
    let rows_are_territory = territory_side.is_some_and(|s| std::ptr::eq(s, rows));
    let all_residents =
        territory_side.map_or_else(|| residents_of(rows, None), |s| residents_of(s, None));
    IndicatorTable {
        cells: (0..height)
            .map(|r| {
                (0..width)
                    .map(|c| {
                        let residents = match territory_side {
                            Some(s) if rows_are_territory => residents_of(s, Some(r)),
                            Some(s) => residents_of(s, Some(c)),
                            None => all_residents,
                        };
                        rate(cells[r][c], residents)
                    })
                    .collect()
            })
            .collect(),
        row_totals: (0..height)
            .map(|r| {
                let residents = if rows_are_territory {
                    residents_of(rows, Some(r))
                } else {
                    all_residents
                };
                rate(row_totals[r], residents)
            })
            .collect(),
        column_totals: (0..width)
            .map(|c| {
                let residents = match territory_side {
                    Some(s) if !rows_are_territory => residents_of(s, Some(c)),
                    _ => all_residents,
                };
                rate(column_totals[c], residents)
            })
            .collect(),
        total: rate(total, all_residents),
        ..empty_table()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::facts::{NeedRow, month_number};

    /// A need in `month` and `region`, everything else coded 0.
    fn need(month: Month, region: u8, sex: u8, counted: bool) -> NeedRow {
        NeedRow {
            month,
            comune: 0,
            province: 0,
            region,
            sex,
            age: 0,
            area: 0,
            term: 0,
            category: 0,
            organisation: 0,
            counted,
        }
    }

    /// `query` over `needs` alone.
    fn needs_table(query: &Query, needs: &Needs) -> IndicatorTable {
        static CODES: std::sync::OnceLock<Codes> = std::sync::OnceLock::new();
        let codes = CODES.get_or_init(|| {
            Codes::new(Box::leak(Box::new(
                crocevia_core::territory::load_embedded().expect("shipped"),
            )))
        });
        compute(
            query,
            &Inputs {
                codes,
                needs,
                referrals: &Referrals::default(),
                services: &[],
                residents_by_province: &[],
                unmet: &|_| false,
                rule: DisclosureRule::DEFAULT,
                today: NaiveDate::from_ymd_opt(2026, 1, 1).expect("a date"),
            },
        )
        .expect("a table")
    }

    /// Needs over several blocks, loaded out of order: the counts by month are the same
    /// before and after sorting, and equal to counting by hand.
    #[test]
    fn block_skipping_and_sorting_keep_counts_exact() {
        let mut needs = Needs::default();
        let first = month_number(2024, 1);
        let n = 3 * BLOCK + 123;
        for i in 0..n {
            let month = first + ((i * 7919) % 24) as u16;
            needs.put(
                i as u128,
                need(month, (i % 3) as u8, (i % 2) as u8, i % 10 != 0),
            );
        }
        let query = |region: Option<u8>| Query {
            indicator: indicator("needs").expect("built in"),
            by: vec![Dim::Month],
            filter: Filter {
                from: Some(first + 3),
                to: Some(first + 5),
                region,
                ..Filter::default()
            },
        };
        let run = |needs: &Needs, region: Option<u8>| needs_table(&query(region), needs);
        let by_hand = |region: Option<usize>| -> Vec<f64> {
            (3..=5)
                .map(|m| {
                    (0..n)
                        .filter(|i| ((i * 7919) % 24) as u16 == m && i % 10 != 0)
                        .filter(|i| region.is_none_or(|r| i % 3 == r))
                        .count() as f64
                })
                .collect()
        };
        let counts = |t: &IndicatorTable| -> Vec<f64> {
            t.row_totals
                .iter()
                .map(|c| match c {
                    Cell::Value(v) => *v,
                    other => panic!("{other:?}"),
                })
                .collect()
        };
        assert_eq!(counts(&run(&needs, None)), by_hand(None));
        assert_eq!(counts(&run(&needs, Some(1))), by_hand(Some(1)));
        needs.sort_by_month();
        assert_eq!(counts(&run(&needs, None)), by_hand(None));
        assert_eq!(counts(&run(&needs, Some(1))), by_hand(Some(1)));
        assert!(
            needs
                .block_months
                .iter()
                .filter(|(low, high)| *high >= first + 3 && *low <= first + 5)
                .count()
                < needs.block_months.len(),
            "sorted, some blocks are skipped"
        );
    }

    /// A table of two dimensions (years × sex) with a filter and a period cutting blocks in
    /// the middle, counted a column at a time, equals counting row by row.
    #[test]
    fn column_passes_count_what_rows_counted_one_by_one_give() {
        let mut needs = Needs::default();
        let first = month_number(2024, 1);
        let n = 3 * BLOCK + 77;
        let row = |i: usize| NeedRow {
            category: (i % 4) as u8,
            ..need(
                first + ((i * 7919) % 24) as u16,
                0,
                ((i / 3) % 2) as u8,
                !i.is_multiple_of(10),
            )
        };
        for i in 0..n {
            needs.put(i as u128, row(i));
        }
        needs.sort_by_month();
        let (from, to) = (first + 6, first + 17);
        let query = Query {
            indicator: indicator("needs").expect("built in"),
            by: vec![Dim::Year, Dim::Sex],
            filter: Filter {
                from: Some(from),
                to: Some(to),
                category: Some(2),
                ..Filter::default()
            },
        };
        let table = needs_table(&query, &needs);
        assert_eq!(table.rows.categories, ["2024", "2025"]);
        for (y, cells) in table.cells.iter().enumerate() {
            for (sex, cell) in cells.iter().enumerate() {
                let by_hand = (0..n)
                    .map(row)
                    .filter(|r| r.month >= from && r.month <= to && r.counted)
                    .filter(|r| r.category == 2 && usize::from(r.sex) == sex)
                    .filter(|r| usize::from(r.month / 12 - first / 12) == y)
                    .count();
                assert_eq!(*cell, Cell::Value(by_hand as f64), "year {y}, sex {sex}");
            }
        }
    }

    /// After sorting, a block's region bits are those of the rows it now holds, so a
    /// region filter skips the blocks of other regions.
    #[test]
    fn sorting_recomputes_the_regions_of_each_block() {
        let mut needs = Needs::default();
        let rows = 3 * BLOCK;
        for i in 0..rows {
            needs.put(i as u128, need(100, (i % 3) as u8, 0, true));
        }
        let all = region_bit(0) | region_bit(1) | region_bit(2);
        assert!(needs.block_regions.iter().all(|&bits| bits == all));
        needs.sort_by_month();
        assert_eq!(
            needs.block_regions,
            vec![region_bit(0), region_bit(1), region_bit(2)]
        );
        // A comparison of regions 0 and 2 counts both, whichever blocks it skips.
        let table = needs_table(
            &Query {
                indicator: indicator("needs").expect("built in"),
                by: vec![Dim::Region],
                filter: Filter {
                    region: Some(0),
                    compare: Some(2),
                    from: Some(100),
                    to: Some(100),
                    ..Filter::default()
                },
            },
            &needs,
        );
        let block = Cell::Value(BLOCK as f64);
        assert_eq!(table.row_totals, vec![block, block]);
        assert_eq!(table.total, Cell::Value(2.0 * BLOCK as f64));
    }
}
