//! Crocevia's domain logic: the HSDS directory model and its formats, Italian territories,
//! the needs taxonomy, and services as search and the observatory read them (their documents
//! and opening hours). It knows no HTTP and no SQL, and does no I/O: callers hand it bytes and
//! values, so every rule here is testable on its own.

pub mod access;
pub mod clock;
pub mod demo;
pub mod desk;
pub mod disclosure;
pub mod hsds;
pub mod schedule;
pub mod secret;
pub mod service_doc;
pub mod spreadsheet;
pub mod stat_table;
pub mod statistics;
pub mod taxonomy;
pub mod territory;
pub mod text;
