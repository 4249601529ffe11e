//! The application's use cases, between the domain and the web: what a workflow checks, which
//! rows it builds, and what it writes in one transaction. Each use case takes the narrow store
//! ports it needs (`crocevia_store`'s `DeskStore`, `AccountStore`, `DirectoryRead`,
//! `StatisticsStore`, …) and the clock, returns its own error with stable codes, and is
//! tested without HTTP.
//!
//! - [`desk`]: referrals prepared, sent, answered and expired; inactive contacts erased.
//! - [`statistics`]: the observatory's views, official statistics and the network's
//!   indicators, from their parameters to the table every chart and export reads.
//! - [`search_demand`]: the portal's searches counted without personal data, as unmet
//!   search demand.
//!
//! A handler in `crocevia-web` parses the request, calls one use case and renders its result.

pub mod desk;
pub mod search_demand;
pub mod statistics;
pub mod survey;
