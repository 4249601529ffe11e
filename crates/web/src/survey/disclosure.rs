//! The observatory's disclosure rule, as the survey analysis applies it (see
//! [`crocevia_core::disclosure`]): small counts hidden, with complementary cells hidden so
//! that none can be worked out from the published totals.

pub use crocevia_core::disclosure::{CountTable, DisclosureRule, Shown, protect_table};
