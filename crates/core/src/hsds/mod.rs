//! Open Referral HSDS 3.0: the model ([`schema`]), flat rows ([`record`]), the nested JSON form
//! ([`nested`]), validation of whole batches ([`validate`]) and the file formats ([`formats`]).

pub mod formats;
pub mod nested;
pub mod ownership;
pub mod record;
pub mod schema;
pub mod validate;
pub mod views;

pub use record::Record;
pub use validate::{ExistingRows, Origin, Problem, ProblemCode, SourcedRecord};
