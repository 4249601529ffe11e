//! The observatory's figures as use cases: the parameters of a view checked against what it
//! can show, then laid out as one [`StatTable`](crocevia_core::stat_table::StatTable), the
//! table every chart, HTML table and export of the observatory reads.
//!
//! - [`official`]: the official statistics (ISTAT datasets): a view's parameters
//!   ([`official::TableParams`]) checked against what a dataset holds ([`official::Catalog`])
//!   into a [`official::Choice`], whose table the store's observations fill.
//! - [`indicators`]: the network's own indicators (`crocevia-observatory`): the parameters
//!   ([`indicators::IndicatorParams`]) read against the facts' codes, the table computed under
//!   the disclosure rule and labelled.
//! - [`labels`]: the translated labels both lay their tables out with.
//!
//! The web layer parses the request, calls these, maps [`StatisticsError`] to its answer and
//! draws the table.

use crocevia_observatory::ObservatoryError;
use crocevia_observatory::indicators::QueryError;
use crocevia_store::StoreError;

pub mod indicators;
pub mod labels;
pub mod official;

#[cfg(test)]
mod tests;

/// Why a view's table cannot be given.
#[derive(Debug, thiserror::Error)]
pub enum StatisticsError {
    /// A query parameter that cannot be read, or that asks for something the dataset or the
    /// indicator does not have; `parameter` names it, `reason` says what is wrong with it.
    #[error("query parameter {parameter}: {reason}")]
    InvalidParameter {
        parameter: &'static str,
        reason: String,
    },
    /// No dataset or indicator with this id, or a dataset without figures.
    #[error("no {what} with id {id}")]
    NotFound { what: &'static str, id: String },
    /// Parameters that read well but a table the indicator cannot build (two territorial
    /// breakdowns, a period running backwards, …), with the observatory's own code.
    #[error(transparent)]
    Query(#[from] QueryError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl StatisticsError {
    pub fn code(&self) -> &'static str {
        match self {
            StatisticsError::InvalidParameter { .. } => "invalid_parameter",
            StatisticsError::NotFound { .. } => "not_found",
            StatisticsError::Query(e) => e.code(),
            StatisticsError::Store(e) => e.code(),
        }
    }

    /// The query parameter at fault, if one is.
    pub fn parameter(&self) -> Option<&'static str> {
        match self {
            StatisticsError::InvalidParameter { parameter, .. } => Some(parameter),
            _ => None,
        }
    }

    fn invalid(parameter: &'static str, reason: impl std::fmt::Display) -> Self {
        StatisticsError::InvalidParameter {
            parameter,
            reason: reason.to_string(),
        }
    }

    fn not_found(what: &'static str, id: &str) -> Self {
        StatisticsError::NotFound {
            what,
            id: id.to_owned(),
        }
    }
}

impl From<ObservatoryError> for StatisticsError {
    fn from(e: ObservatoryError) -> Self {
        match e {
            ObservatoryError::Query(q) => StatisticsError::Query(q),
            ObservatoryError::Store(s) => StatisticsError::Store(s),
        }
    }
}
