//! The `parameters` column: `key=value` pairs whose allowed keys depend on the type.

use crate::form::{Element, Form};
use crate::report::Report;

/// Checks the parameters of one element.
pub(crate) fn check(_form: &Form, _e: &Element, _report: &mut Report) {}
