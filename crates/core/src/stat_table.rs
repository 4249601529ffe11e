//! One table type for everything the observatory shows or exports: the official statistics
//! and, later, the network's own indicators (whose small counts are hidden by disclosure
//! control). Views (maps, charts, accessible tables) read a [`StatTable`]; the exports write it
//! as CSV ([`StatTable::to_csv`]) or as JSON-stat 2.0 ([`StatTable::to_json_stat`], the
//! format ISTAT and Eurostat publish in, <https://json-stat.org/full/>).
//!
//! A table is a cube: an ordered list of [`TableDimension`]s, each with its categories, and
//! one [`TableValue`] per combination, row-major with the last dimension varying fastest
//! (JSON-stat's order). Dimensions fixed by a query stay in the table with one category, so
//! an export says what it is about.

use std::collections::HashMap;

use serde::Serialize;
use serde_json::{Map, Value, json};

use crate::spreadsheet::spreadsheet_safe;

mod check;
pub use check::json_stat_problems;

/// What a dimension stands for, for JSON-stat's `role`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum DimensionRole {
    Time,
    Geo,
    Metric,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TableCategory {
    /// Stable code (`066`, `2023-01-01`, `female`).
    pub code: String,
    pub label: String,
}

impl TableCategory {
    pub fn new(code: impl Into<String>, label: impl Into<String>) -> Self {
        Self {
            code: code.into(),
            label: label.into(),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TableDimension {
    /// Stable id (`territory`, `period`, `sex`).
    pub id: String,
    pub label: String,
    pub role: Option<DimensionRole>,
    pub categories: Vec<TableCategory>,
}

impl TableDimension {
    /// The position of the category with this code.
    pub fn position(&self, code: &str) -> Option<usize> {
        self.categories.iter().position(|c| c.code == code)
    }
}

/// One cell. In JSON: the number, `"<5"` when hidden, `null` when missing.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum TableValue {
    Number(f64),
    /// Withheld by disclosure control: a count of people between 1 and the threshold. Shown
    /// as "<5".
    Hidden,
    /// No figure for this combination.
    Missing,
}

impl Serialize for TableValue {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            Self::Number(n) if n.fract() == 0.0 && n.abs() < 9e15 => s.serialize_i64(*n as i64),
            Self::Number(n) => s.serialize_f64(*n),
            Self::Hidden => s.serialize_str(HIDDEN_STATUS),
            Self::Missing => s.serialize_none(),
        }
    }
}

impl TableValue {
    pub fn number(self) -> Option<f64> {
        match self {
            Self::Number(n) => Some(n),
            _ => None,
        }
    }
}

/// How a hidden cell reads under the default threshold; a table's own is
/// [`StatTable::hidden_label`].
pub const HIDDEN_STATUS: &str = "<5";

/// What the values measure.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TableUnit {
    /// Stable code (`persons`, `permits`, `per_10000`).
    pub code: String,
    pub label: String,
    /// Decimal places to show.
    pub decimals: u8,
}

/// A cube of figures with what it counts, its source and when it was last updated.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StatTable {
    /// Stable id (the dataset or indicator).
    pub id: String,
    pub label: String,
    pub dimensions: Vec<TableDimension>,
    /// Row-major, last dimension fastest; as many as the product of the category counts.
    pub values: Vec<TableValue>,
    pub unit: TableUnit,
    /// The attribution to show beside the figures.
    pub source: String,
    /// ISO date (`2024-01-01`) of the last update of the figures.
    pub updated: String,
    /// Remarks a reader needs (e.g. "provinces as they were before 2009").
    pub notes: Vec<String>,
    /// The disclosure threshold behind hidden cells; `None` for figures published as they
    /// are (official statistics).
    pub disclosure_threshold: Option<u32>,
}

/// Why a table could not be built.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TableError {
    #[error("{values} values for {cells} cells")]
    WrongSize { values: usize, cells: usize },
    #[error("dimension {0:?} has no categories")]
    EmptyDimension(String),
    #[error("dimension {0:?} appears twice")]
    DuplicateDimension(String),
    #[error("dimension {dimension:?} has category {code:?} twice")]
    DuplicateCategory { dimension: String, code: String },
}

impl StatTable {
    /// The threshold hidden cells were below (the default rule's when none is recorded).
    fn threshold(&self) -> u32 {
        self.disclosure_threshold
            .unwrap_or(crate::disclosure::DisclosureRule::DEFAULT.threshold())
    }

    /// How a hidden cell reads: `<5` for the default threshold of 5.
    pub fn hidden_label(&self) -> String {
        format!("<{}", self.threshold())
    }

    /// Checks that the values fill the cube and codes are unique.
    pub fn check(&self) -> Result<(), TableError> {
        for (i, d) in self.dimensions.iter().enumerate() {
            if d.categories.is_empty() {
                return Err(TableError::EmptyDimension(d.id.clone()));
            }
            if self.dimensions[..i].iter().any(|e| e.id == d.id) {
                return Err(TableError::DuplicateDimension(d.id.clone()));
            }
            for (j, c) in d.categories.iter().enumerate() {
                if d.categories[..j].iter().any(|e| e.code == c.code) {
                    return Err(TableError::DuplicateCategory {
                        dimension: d.id.clone(),
                        code: c.code.clone(),
                    });
                }
            }
        }
        let cells = self.cells();
        if self.values.len() != cells {
            return Err(TableError::WrongSize {
                values: self.values.len(),
                cells,
            });
        }
        Ok(())
    }

    /// The number of cells: the product of the category counts.
    pub fn cells(&self) -> usize {
        self.dimensions.iter().map(|d| d.categories.len()).product()
    }

    /// The dimension with this id.
    pub fn dimension(&self, id: &str) -> Option<&TableDimension> {
        self.dimensions.iter().find(|d| d.id == id)
    }

    /// The index of the cell at these category positions (one per dimension).
    pub fn index(&self, positions: &[usize]) -> Option<usize> {
        if positions.len() != self.dimensions.len() {
            return None;
        }
        let mut index = 0;
        for (d, &p) in self.dimensions.iter().zip(positions) {
            if p >= d.categories.len() {
                return None;
            }
            index = index * d.categories.len() + p;
        }
        Some(index)
    }

    /// The category positions of cell `index` (inverse of [`StatTable::index`]).
    pub fn positions(&self, mut index: usize) -> Vec<usize> {
        let mut out = vec![0; self.dimensions.len()];
        for (slot, d) in out.iter_mut().zip(&self.dimensions).rev() {
            let n = d.categories.len().max(1);
            *slot = index % n;
            index /= n;
        }
        out
    }

    /// The cell whose categories have these codes, one per dimension in any order
    /// (`[("territory", "066"), ("sex", "female")]`); dimensions with one category may be left
    /// out.
    pub fn get(&self, codes: &[(&str, &str)]) -> Option<TableValue> {
        let mut positions = Vec::with_capacity(self.dimensions.len());
        for d in &self.dimensions {
            let p = match codes.iter().find(|(id, _)| *id == d.id) {
                Some((_, code)) => d.position(code)?,
                None if d.categories.len() == 1 => 0,
                None => return None,
            };
            positions.push(p);
        }
        self.index(&positions)
            .and_then(|i| self.values.get(i).copied())
    }

    /// Fills a table from `(category codes in dimension order, value)` pairs; cells without a
    /// pair are [`TableValue::Missing`], pairs outside the categories are ignored.
    pub fn fill<'a>(
        &mut self,
        cells: impl IntoIterator<Item = (Vec<&'a str>, TableValue)>,
    ) -> Result<(), TableError> {
        let lookup: Vec<HashMap<&str, usize>> = self
            .dimensions
            .iter()
            .map(|d| {
                d.categories
                    .iter()
                    .enumerate()
                    .map(|(i, c)| (c.code.as_str(), i))
                    .collect()
            })
            .collect();
        let mut values = vec![TableValue::Missing; self.cells()];
        for (codes, value) in cells {
            if codes.len() != lookup.len() {
                continue;
            }
            let positions: Option<Vec<usize>> = codes
                .iter()
                .zip(&lookup)
                .map(|(c, l)| l.get(c).copied())
                .collect();
            if let Some(i) = positions.and_then(|p| self.index(&p)) {
                values[i] = value;
            }
        }
        self.values = values;
        self.check()
    }

    /// The figure as text for exports: no grouping, a dot for decimals.
    fn plain(&self, n: f64) -> String {
        format!("{:.*}", usize::from(self.unit.decimals), n)
    }

    /// CSV (RFC 4180, comma, CRLF, after a [`crate::spreadsheet::SPREADSHEET_BOM`]): one row per cell, a code and a label column per dimension,
    /// then `value` (empty when hidden or missing) and `status` (`<5` when hidden, `missing`
    /// when there is no figure). Codes and labels go through
    /// [`crate::spreadsheet::spreadsheet_safe`].
    pub fn to_csv(&self) -> String {
        let hidden = self.hidden_label();
        let mut writer = csv::WriterBuilder::new()
            .terminator(csv::Terminator::CRLF)
            .from_writer(crate::spreadsheet::SPREADSHEET_BOM.as_bytes().to_vec());
        let mut header: Vec<String> = Vec::new();
        for d in &self.dimensions {
            header.push(d.id.clone());
            header.push(format!("{}_label", d.id));
        }
        header.push("value".into());
        header.push("status".into());
        // Writing to a Vec cannot fail.
        let _ = writer.write_record(&header);
        for (i, value) in self.values.iter().enumerate() {
            let mut row: Vec<String> = Vec::with_capacity(header.len());
            for (d, p) in self.dimensions.iter().zip(self.positions(i)) {
                let c = &d.categories[p];
                // Labels can be user-provided (an organisation's name): opened in a
                // spreadsheet, they must stay text.
                row.push(spreadsheet_safe(&c.code).into_owned());
                row.push(spreadsheet_safe(&c.label).into_owned());
            }
            let (v, status) = match value {
                TableValue::Number(n) => (self.plain(*n), ""),
                TableValue::Hidden => (String::new(), hidden.as_str()),
                TableValue::Missing => (String::new(), "missing"),
            };
            row.push(v);
            row.push(status.to_owned());
            let _ = writer.write_record(&row);
        }
        String::from_utf8(writer.into_inner().unwrap_or_default()).unwrap_or_default()
    }

    /// JSON-stat 2.0, class `dataset`: `id`, `size` and `dimension` in the table's order,
    /// `value` as an array (`null` for hidden and missing cells), `status` as an object giving
    /// `"<5"` for each hidden cell, `role` for time, geography and metric, the unit on the
    /// metric dimension when there is one, and `extension` with the notes and the unit.
    pub fn to_json_stat(&self) -> Value {
        let hidden = self.hidden_label();
        let mut dimension = Map::new();
        for d in &self.dimensions {
            let index: Map<String, Value> = d
                .categories
                .iter()
                .enumerate()
                .map(|(i, c)| (c.code.clone(), json!(i)))
                .collect();
            let label: Map<String, Value> = d
                .categories
                .iter()
                .map(|c| (c.code.clone(), json!(c.label)))
                .collect();
            let mut category = json!({ "index": index, "label": label });
            if d.role == Some(DimensionRole::Metric) {
                let unit: Map<String, Value> = d
                    .categories
                    .iter()
                    .map(|c| {
                        (
                            c.code.clone(),
                            json!({"label": self.unit.label, "decimals": self.unit.decimals}),
                        )
                    })
                    .collect();
                category["unit"] = Value::Object(unit);
            }
            dimension.insert(
                d.id.clone(),
                json!({ "label": d.label, "category": category }),
            );
        }
        let mut role = Map::new();
        for (name, r) in [
            ("time", DimensionRole::Time),
            ("geo", DimensionRole::Geo),
            ("metric", DimensionRole::Metric),
        ] {
            let ids: Vec<&str> = self
                .dimensions
                .iter()
                .filter(|d| d.role == Some(r))
                .map(|d| d.id.as_str())
                .collect();
            if !ids.is_empty() {
                role.insert(name.into(), json!(ids));
            }
        }
        let value: Vec<Value> = self
            .values
            .iter()
            .map(|v| match v {
                TableValue::Number(n) if n.fract() == 0.0 && n.abs() < 9e15 => json!(*n as i64),
                TableValue::Number(n) => json!(n),
                TableValue::Hidden | TableValue::Missing => Value::Null,
            })
            .collect();
        let status: Map<String, Value> = self
            .values
            .iter()
            .enumerate()
            .filter(|(_, v)| **v == TableValue::Hidden)
            .map(|(i, _)| (i.to_string(), json!(hidden)))
            .collect();
        let mut out = json!({
            "version": "2.0",
            "class": "dataset",
            "label": self.label,
            "source": self.source,
            "updated": self.updated,
            "id": self.dimensions.iter().map(|d| d.id.as_str()).collect::<Vec<_>>(),
            "size": self.dimensions.iter().map(|d| d.categories.len()).collect::<Vec<_>>(),
            "dimension": dimension,
            "value": value,
            "extension": {
                "id": self.id,
                "unit": self.unit,
                "notes": self.notes,
                "status": { hidden.clone(): format!("count between 1 and {}, withheld to protect people", self.threshold() - 1) },
            },
        });
        if !role.is_empty() {
            out["role"] = Value::Object(role);
        }
        if !status.is_empty() {
            out["status"] = Value::Object(status);
        }
        if !self.notes.is_empty() {
            out["note"] = json!(self.notes);
        }
        out
    }
}

#[cfg(test)]
mod tests;
