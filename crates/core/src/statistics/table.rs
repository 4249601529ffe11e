//! Official statistics as [`StatTable`]s: the observations of a dataset laid out along the
//! dimensions a view asks for.

use std::collections::HashMap;

use super::{DatasetInfo, Dimension, Observation, Period, Unit};
use crate::stat_table::{
    DimensionRole, StatTable, TableCategory, TableDimension, TableUnit, TableValue,
};

impl Dimension {
    /// Stable id, as in tables and URLs.
    pub fn id(self) -> &'static str {
        match self {
            Self::Territory => "territory",
            Self::Period => "period",
            Self::Sex => "sex",
            Self::Citizenship => "citizenship",
            Self::PermitType => "permit_type",
            Self::Measure => "measure",
        }
    }

    pub fn role(self) -> Option<DimensionRole> {
        match self {
            Self::Territory => Some(DimensionRole::Geo),
            Self::Period => Some(DimensionRole::Time),
            Self::Measure => Some(DimensionRole::Metric),
            _ => None,
        }
    }
}

impl Unit {
    pub fn code(self) -> &'static str {
        match self {
            Self::Persons => "persons",
            Self::Permits => "permits",
        }
    }
}

/// The code of `observation` along `dimension`: territory code, period key, sex, citizenship
/// key, permit type or measure; `None` when the observation lacks that dimension.
pub fn category_code(observation: &Observation, dimension: Dimension) -> Option<String> {
    match dimension {
        Dimension::Territory => Some(observation.territory.code.clone()),
        Dimension::Period => Some(observation.period.key()),
        Dimension::Sex => observation.sex.map(|s| s.as_str().to_owned()),
        Dimension::Citizenship => observation.citizenship.as_ref().map(|c| c.key()),
        Dimension::PermitType => observation.permit_type.map(|p| p.as_str().to_owned()),
        Dimension::Measure => observation.measure.clone(),
    }
}

/// One dimension of the table to build, with its categories in display order.
#[derive(Debug, Clone)]
pub struct Axis {
    pub dimension: Dimension,
    pub label: String,
    pub categories: Vec<TableCategory>,
}

/// What a table says about itself.
#[derive(Debug, Clone)]
pub struct TableMeta {
    pub label: String,
    pub unit_label: String,
    pub notes: Vec<String>,
}

/// Lays `observations` out along `axes`. Observations outside the categories are ignored;
/// the caller filters the others (every observation must differ along the axes, or the last
/// one wins). Cells without an observation are [`TableValue::Missing`]. `updated` is the
/// latest period the table shows (the end of a year for yearly figures).
pub fn build_table(
    info: &DatasetInfo,
    meta: TableMeta,
    axes: Vec<Axis>,
    observations: &[Observation],
) -> StatTable {
    let latest = observations.iter().map(|o| o.period).max();
    let updated = match latest {
        Some(Period::Date(d)) => d.format("%Y-%m-%d").to_string(),
        Some(Period::Year(y)) => format!("{y:04}-12-31"),
        None => String::new(),
    };
    let dims: Vec<Dimension> = axes.iter().map(|a| a.dimension).collect();
    let mut table = StatTable {
        id: info.id.to_owned(),
        label: meta.label,
        dimensions: axes
            .into_iter()
            .map(|a| TableDimension {
                id: a.dimension.id().to_owned(),
                label: a.label,
                role: a.dimension.role(),
                categories: a.categories,
            })
            .collect(),
        values: Vec::new(),
        unit: TableUnit {
            code: info.unit.code().to_owned(),
            label: meta.unit_label,
            decimals: 0,
        },
        source: info.source.to_owned(),
        updated,
        notes: meta.notes,
        disclosure_threshold: None,
    };
    let keyed: Vec<(Vec<String>, TableValue)> = observations
        .iter()
        .filter_map(|o| {
            let codes: Option<Vec<String>> = dims.iter().map(|d| category_code(o, *d)).collect();
            Some((codes?, TableValue::Number(o.value as f64)))
        })
        .collect();
    let mut unique: HashMap<&[String], TableValue> = HashMap::new();
    for (codes, value) in &keyed {
        unique.insert(codes.as_slice(), *value);
    }
    // Categories are unique by construction of the axes; a duplicate is the caller's bug and
    // leaves the table empty-valued rather than panicking.
    let _ = table.fill(
        unique
            .into_iter()
            .map(|(codes, v)| (codes.iter().map(String::as_str).collect(), v)),
    );
    table
}
