//! XLSForm's expression language: ODK XPath with `${name}` references.
//!
//! [`parse`] turns an expression into an [`Expr`] tree (validation uses it to reject
//! expressions that would fail on the phone or the web); [`evaluate`] computes it against
//! a [`Context`] that supplies answers, the clock and randomness.

mod eval;
mod parse;
mod refs;

pub use eval::{Context, EvalError, MapContext, Value, evaluate, num_to_string};
pub use parse::{Axis, BinOp, Expr, MAX_DEPTH, ParseError, PathStart, Step, parse};
pub use refs::{Reference, references};

/// Parses and evaluates in one step (an error in either becomes text).
pub fn eval_str(expression: &str, ctx: &dyn Context) -> Result<Value, String> {
    let e = parse(expression).map_err(|e| e.to_string())?;
    evaluate(&e, ctx).map_err(|e| e.to_string())
}

#[cfg(test)]
mod tests;
