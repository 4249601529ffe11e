//! The observatory's indicators over the network's own records: needs and referrals from the
//! desk, services from the directory. Their facts are kept in memory as columns
//! ([`facts`]), loaded once and then kept current by following the store's change log
//! ([`sync`]), so a referral completed on any app server shows within seconds. Tables about
//! people pass the disclosure rule ([`crocevia_core::disclosure`]) in [`indicators`], before
//! anything is published.

pub mod facts;
pub mod indicators;
pub mod sync;
pub use sync::{Facts, ObservatoryError, ObservatoryService, Settings};
