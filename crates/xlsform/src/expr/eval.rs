//! Evaluating expressions the way ODK Collect (JavaRosa) and Enketo do.
//!
//! Answers are text, as they are stored: an unanswered question is the empty string, so
//! `${age} > 17` is false while age is empty (`number('')` is NaN and every comparison with
//! NaN is false), `${name} = ''` is true, and `string-length(${name})` is 0.
//!
//! Everything outside the form's data comes through [`Context`]: the answers, the position
//! in a repeat, choice labels, and — so tests can fix them — the clock and the random
//! source behind `today()`, `now()`, `uuid()` and `random()`.

use std::collections::HashMap;

use chrono::{
    DateTime, Datelike, FixedOffset, NaiveDate, NaiveDateTime, NaiveTime, TimeZone, Timelike,
};

use super::parse::{Axis, BinOp, Expr, PathStart};

/// A value during evaluation.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    /// Text (answers are text).
    Str(String),
    /// A number (XPath numbers are doubles).
    Num(f64),
    /// A boolean.
    Bool(bool),
    /// A date (`today()`, `date(...)`).
    Date(NaiveDate),
    /// A date and time with its offset (`now()`).
    DateTime(DateTime<FixedOffset>),
    /// Several values: a question inside a repeat seen from outside it (`sum(${x})`).
    Nodes(Vec<String>),
}

/// An evaluation failure: an unknown function, wrong arguments, an unsupported path.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EvalError {
    /// The function is not one we evaluate (`pulldata`, or a typo).
    #[error("unknown function {0}()")]
    UnknownFunction(String),
    /// A function got the wrong number of arguments.
    #[error("{name}() takes {expected} argument(s), not {got}")]
    Arity {
        /// The function.
        name: String,
        /// What it accepts, in words.
        expected: &'static str,
        /// How many it got.
        got: usize,
    },
    /// `${name}` names no question.
    #[error("${{{0}}} names no question")]
    UnknownReference(String),
    /// A regular expression in `regex()` is invalid.
    #[error("invalid regular expression '{0}'")]
    BadRegex(String),
}

/// What an expression can see beyond itself.
///
/// Only [`Context::value`], [`Context::now`] and [`Context::uuid`] must be written; the
/// rest have defaults that suit an evaluation outside any repeat.
pub trait Context {
    /// The answers to the question `name`, seen from where the expression is evaluated:
    /// one value for a question outside repeats or in the same repeat instance (the
    /// relative reference of XLSForm), every instance's value for a question in a repeat
    /// seen from outside it. `None` when no question has that name.
    fn value(&self, name: &str) -> Option<Vec<String>>;
    /// The value `.` stands for: the answer being checked by a constraint, or the
    /// current value for `once()`.
    fn current(&self) -> String {
        String::new()
    }
    /// The 1-based position of the current repeat instance, for `position(..)`.
    fn position(&self) -> usize {
        1
    }
    /// The label of the choice `value` of the question `question`, for `jr:choice-name`.
    fn choice_label(&self, _question: &str, _value: &str) -> Option<String> {
        None
    }
    /// A column of the choice being filtered, for bare names in a choice_filter
    /// (`district = ${district}`).
    fn choice_column(&self, _column: &str) -> Option<String> {
        None
    }
    /// `indexed-repeat(${name}, ${repeat}, index)`: the value of `name` in the given
    /// 1-based instance of a repeat.
    fn indexed(&self, name: &str, index: usize) -> Option<String> {
        self.value(name)
            .and_then(|v| v.get(index.wrapping_sub(1)).cloned())
    }
    /// The current time, with the offset of the respondent's time zone.
    fn now(&self) -> DateTime<FixedOffset>;
    /// A new random UUID (version 4), as text.
    fn uuid(&self) -> String;
    /// A random number in [0, 1).
    fn random(&self) -> f64 {
        0.5
    }
}

/// A simple [`Context`]: answers in a map, a fixed clock, numbered UUIDs. Enough for
/// tests and for evaluating a flat form; the web client implements its own for repeats.
#[derive(Debug, Clone)]
pub struct MapContext {
    /// Answers by question name (several values for a question in a repeat).
    pub values: HashMap<String, Vec<String>>,
    /// The value of `.`.
    pub current: String,
    /// Repeat position.
    pub position: usize,
    /// Choice labels: (question, value) → label.
    pub labels: HashMap<(String, String), String>,
    /// Columns of the choice being filtered.
    pub choice: HashMap<String, String>,
    /// The clock.
    pub now: DateTime<FixedOffset>,
    /// What `uuid()` returns.
    pub uuid: String,
    /// What `random()` returns.
    pub random: f64,
}

impl MapContext {
    /// An empty context whose clock reads `now`.
    pub fn new(now: DateTime<FixedOffset>) -> Self {
        MapContext {
            values: HashMap::new(),
            current: String::new(),
            position: 1,
            labels: HashMap::new(),
            choice: HashMap::new(),
            now,
            uuid: "uuid:00000000-0000-4000-8000-000000000000".into(),
            random: 0.5,
        }
    }
    /// Sets one answer.
    pub fn set(&mut self, name: &str, value: &str) -> &mut Self {
        self.values.insert(name.into(), vec![value.into()]);
        self
    }
    /// Sets the values of a question in a repeat, one per instance.
    pub fn set_all(&mut self, name: &str, values: &[&str]) -> &mut Self {
        self.values
            .insert(name.into(), values.iter().map(|v| v.to_string()).collect());
        self
    }
}

impl Context for MapContext {
    fn value(&self, name: &str) -> Option<Vec<String>> {
        self.values.get(name).cloned()
    }
    fn current(&self) -> String {
        self.current.clone()
    }
    fn position(&self) -> usize {
        self.position
    }
    fn choice_label(&self, question: &str, value: &str) -> Option<String> {
        self.labels.get(&(question.into(), value.into())).cloned()
    }
    fn choice_column(&self, column: &str) -> Option<String> {
        self.choice.get(column).cloned()
    }
    fn now(&self) -> DateTime<FixedOffset> {
        self.now
    }
    fn uuid(&self) -> String {
        self.uuid.clone()
    }
    fn random(&self) -> f64 {
        self.random
    }
}

// ---------------------------------------------------------------------------------------
// Conversions (XPath 1.0 with ODK's date extensions)

fn epoch() -> NaiveDate {
    NaiveDate::from_ymd_opt(1970, 1, 1).expect("valid date")
}

/// Parses the date and time formats answers are stored in.
fn parse_date_like(s: &str) -> Option<Value> {
    let s = s.trim();
    if s.len() < 8 || !s.as_bytes()[0].is_ascii_digit() {
        return None;
    }
    if let Ok(d) = NaiveDate::parse_from_str(s, "%Y-%m-%d") {
        return Some(Value::Date(d));
    }
    if let Ok(dt) = DateTime::parse_from_rfc3339(s) {
        return Some(Value::DateTime(dt));
    }
    for f in ["%Y-%m-%dT%H:%M:%S%.f%:z", "%Y-%m-%dT%H:%M:%S%.f%z"] {
        if let Ok(dt) = DateTime::parse_from_str(s, f) {
            return Some(Value::DateTime(dt));
        }
    }
    for f in [
        "%Y-%m-%dT%H:%M:%S%.f",
        "%Y-%m-%dT%H:%M",
        "%Y-%m-%d %H:%M:%S",
    ] {
        if let Ok(dt) = NaiveDateTime::parse_from_str(s, f) {
            let utc = FixedOffset::east_opt(0).expect("zero offset");
            return utc.from_local_datetime(&dt).single().map(Value::DateTime);
        }
    }
    None
}

/// Days since 1970-01-01, with the time of day as a fraction (in the value's own offset).
fn days(dt: &DateTime<FixedOffset>) -> f64 {
    let local = dt.naive_local();
    let d = (local.date() - epoch()).num_days() as f64;
    d + f64::from(local.time().num_seconds_from_midnight()) / 86_400.0
        + f64::from(local.time().nanosecond() / 1_000_000) / 86_400_000.0
}

/// XPath's number(): decimal notation only (no exponent, no 'Infinity'); answers that are
/// dates count as days since 1970-01-01, as JavaRosa's typed date answers do.
fn str_to_num(s: &str) -> f64 {
    let t = s.trim();
    let body = t.strip_prefix('-').unwrap_or(t);
    let numeric = !body.is_empty()
        && body.chars().all(|c| c.is_ascii_digit() || c == '.')
        && body.chars().filter(|c| *c == '.').count() <= 1
        && body != ".";
    if numeric {
        return t.parse().unwrap_or(f64::NAN);
    }
    match parse_date_like(t) {
        Some(v) => v.num(),
        None => f64::NAN,
    }
}

/// XPath's string() of a number: integers without a decimal point, no exponent.
pub fn num_to_string(n: f64) -> String {
    if n.is_nan() {
        "NaN".into()
    } else if n.is_infinite() {
        if n > 0.0 { "Infinity" } else { "-Infinity" }.into()
    } else if n == n.trunc() && n.abs() < 1e15 {
        format!("{}", n as i64)
    } else {
        let s = format!("{n}");
        if s.contains('e') {
            format!("{n:.20}").trim_end_matches('0').to_string()
        } else {
            s
        }
    }
}

impl Value {
    /// XPath's boolean().
    pub fn truthy(&self) -> bool {
        match self {
            Value::Str(s) => !s.is_empty(),
            Value::Num(n) => *n != 0.0 && !n.is_nan(),
            Value::Bool(b) => *b,
            Value::Date(_) | Value::DateTime(_) => true,
            Value::Nodes(v) => !v.is_empty(),
        }
    }
    /// XPath's number().
    pub fn num(&self) -> f64 {
        match self {
            Value::Str(s) => str_to_num(s),
            Value::Num(n) => *n,
            Value::Bool(b) => f64::from(u8::from(*b)),
            Value::Date(d) => (*d - epoch()).num_days() as f64,
            Value::DateTime(dt) => days(dt),
            Value::Nodes(v) => v.first().map(|s| str_to_num(s)).unwrap_or(f64::NAN),
        }
    }
    /// XPath's string(); dates as `YYYY-MM-DD`, date-times as ODK writes them.
    pub fn string(&self) -> String {
        match self {
            Value::Str(s) => s.clone(),
            Value::Num(n) => num_to_string(*n),
            Value::Bool(b) => b.to_string(),
            Value::Date(d) => d.format("%Y-%m-%d").to_string(),
            Value::DateTime(dt) => dt.format("%Y-%m-%dT%H:%M:%S%.3f%:z").to_string(),
            Value::Nodes(v) => v.first().cloned().unwrap_or_default(),
        }
    }
    fn date(&self) -> Option<DateTime<FixedOffset>> {
        let utc = FixedOffset::east_opt(0).expect("zero offset");
        match self {
            Value::Date(d) => utc
                .from_local_datetime(&d.and_time(NaiveTime::MIN))
                .single(),
            Value::DateTime(dt) => Some(*dt),
            Value::Str(s) => match parse_date_like(s)? {
                v @ (Value::Date(_) | Value::DateTime(_)) => v.date(),
                _ => None,
            },
            Value::Num(n) if n.is_finite() => {
                let secs = (n * 86_400.0).round() as i64;
                let base = epoch().and_time(NaiveTime::MIN);
                utc.from_local_datetime(&(base + chrono::Duration::seconds(secs)))
                    .single()
            }
            Value::Nodes(v) => Value::Str(v.first()?.clone()).date(),
            _ => None,
        }
    }
    fn nodes(&self) -> Vec<String> {
        match self {
            Value::Nodes(v) => v.clone(),
            other => vec![other.string()],
        }
    }
}

// ---------------------------------------------------------------------------------------
// Evaluation

/// Evaluates an expression in a context.
pub fn evaluate(expr: &Expr, ctx: &dyn Context) -> Result<Value, EvalError> {
    Ok(match expr {
        Expr::Number(n) => Value::Num(*n),
        Expr::Literal(s) => Value::Str(s.clone()),
        Expr::Ref { name, .. } => {
            let values = ctx
                .value(name)
                .ok_or_else(|| EvalError::UnknownReference(name.clone()))?;
            if values.len() == 1 {
                Value::Str(values.into_iter().next().unwrap_or_default())
            } else {
                Value::Nodes(values)
            }
        }
        Expr::Neg(e) => Value::Num(-evaluate(e, ctx)?.num()),
        Expr::Binary(op, l, r) => binary(*op, l, r, ctx)?,
        Expr::Call { name, args } => call(name, args, ctx)?,
        Expr::Filter(base, preds) => {
            let v = evaluate(base, ctx)?;
            let mut nodes = v.nodes();
            for p in preds {
                // Only positional predicates are meaningful on plain values.
                let n = evaluate(p, ctx)?.num();
                nodes = match nodes.get((n as usize).wrapping_sub(1)) {
                    Some(x) if n.fract() == 0.0 => vec![x.clone()],
                    _ => Vec::new(),
                };
            }
            Value::Nodes(nodes)
        }
        Expr::Path { start, steps } => path(start, steps, ctx)?,
    })
}

fn path(
    start: &PathStart,
    steps: &[super::parse::Step],
    ctx: &dyn Context,
) -> Result<Value, EvalError> {
    let is_self = |s: &super::parse::Step| s.axis == Axis::SelfNode && s.predicates.is_empty();
    match start {
        PathStart::Context => {
            if steps.len() == 1 && is_self(&steps[0]) {
                return Ok(Value::Str(ctx.current()));
            }
            if steps.len() == 1 && steps[0].axis == Axis::Child && steps[0].predicates.is_empty() {
                // A bare name: a column of the choice being filtered.
                if let Some(v) = ctx.choice_column(&steps[0].name) {
                    return Ok(Value::Str(v));
                }
            }
        }
        PathStart::Root => {
            // /data/group/question: the question is named by the last step.
            if let Some(last) = steps.last()
                && last.axis == Axis::Child
                && let Some(values) = ctx.value(&last.name)
            {
                return Ok(if values.len() == 1 {
                    Value::Str(values.into_iter().next().unwrap_or_default())
                } else {
                    Value::Nodes(values)
                });
            }
        }
        PathStart::Expr(_) => {}
    }
    // Secondary instances and other paths are not available here: an empty node-set.
    Ok(Value::Nodes(Vec::new()))
}

fn binary(op: BinOp, l: &Expr, r: &Expr, ctx: &dyn Context) -> Result<Value, EvalError> {
    // and/or short-circuit, as in XPath.
    match op {
        BinOp::And => {
            return Ok(Value::Bool(
                evaluate(l, ctx)?.truthy() && evaluate(r, ctx)?.truthy(),
            ));
        }
        BinOp::Or => {
            return Ok(Value::Bool(
                evaluate(l, ctx)?.truthy() || evaluate(r, ctx)?.truthy(),
            ));
        }
        _ => {}
    }
    let a = evaluate(l, ctx)?;
    let b = evaluate(r, ctx)?;
    Ok(match op {
        BinOp::Add => Value::Num(a.num() + b.num()),
        BinOp::Sub => Value::Num(a.num() - b.num()),
        BinOp::Mul => Value::Num(a.num() * b.num()),
        BinOp::Div => Value::Num(a.num() / b.num()),
        BinOp::Mod => Value::Num(a.num() % b.num()),
        BinOp::Union => {
            let mut n = a.nodes();
            n.extend(b.nodes());
            Value::Nodes(n)
        }
        _ => Value::Bool(compare(op, &a, &b)),
    })
}

/// XPath comparison: node-sets compare if any member does; booleans, then numbers, then
/// strings for `=`/`!=`; numbers for the others. A date on either side compares as days.
fn compare(op: BinOp, a: &Value, b: &Value) -> bool {
    if let Value::Nodes(v) = a {
        return v.iter().any(|x| compare(op, &Value::Str(x.clone()), b));
    }
    if let Value::Nodes(v) = b {
        return v.iter().any(|y| compare(op, a, &Value::Str(y.clone())));
    }
    let is_date = |v: &Value| matches!(v, Value::Date(_) | Value::DateTime(_));
    let numeric = |x: f64, y: f64| match op {
        BinOp::Eq => x == y,
        BinOp::Ne => x != y,
        BinOp::Lt => x < y,
        BinOp::Le => x <= y,
        BinOp::Gt => x > y,
        BinOp::Ge => x >= y,
        _ => false,
    };
    match op {
        BinOp::Eq | BinOp::Ne => {
            if matches!(a, Value::Bool(_)) || matches!(b, Value::Bool(_)) {
                let eq = a.truthy() == b.truthy();
                return if op == BinOp::Eq { eq } else { !eq };
            }
            if is_date(a) || is_date(b) {
                // Compare the calendar values, not the text.
                return match (a.date(), b.date()) {
                    (Some(x), Some(y)) => numeric(days(&x), days(&y)),
                    _ => op == BinOp::Ne,
                };
            }
            if matches!(a, Value::Num(_)) || matches!(b, Value::Num(_)) {
                return numeric(a.num(), b.num());
            }
            let eq = a.string() == b.string();
            if op == BinOp::Eq { eq } else { !eq }
        }
        _ => numeric(a.num(), b.num()),
    }
}

fn arity(
    name: &str,
    args: &[Expr],
    min: usize,
    max: usize,
    expected: &'static str,
) -> Result<(), EvalError> {
    if args.len() < min || args.len() > max {
        return Err(EvalError::Arity {
            name: name.into(),
            expected,
            got: args.len(),
        });
    }
    Ok(())
}

/// Splits a select_multiple answer into its choices.
fn tokens(s: &str) -> Vec<&str> {
    s.split_whitespace().collect()
}

/// The question named by jr:choice-name's second argument: `'${q}'` or `'/data/g/q'`.
fn question_name(path: &str) -> String {
    let p = path.trim();
    if let Some(inner) = p.strip_prefix("${").and_then(|x| x.strip_suffix('}')) {
        return inner.trim().to_string();
    }
    p.rsplit('/').next().unwrap_or(p).to_string()
}

fn call(name: &str, args: &[Expr], ctx: &dyn Context) -> Result<Value, EvalError> {
    // Every function checks its arity first; a missing argument is still an error, never an
    // index out of bounds (`ceiling()` panicked before it had its check).
    let ev = |i: usize| match args.get(i) {
        Some(arg) => evaluate(arg, ctx),
        None => Err(EvalError::Arity {
            name: name.into(),
            expected: "more",
            got: args.len(),
        }),
    };
    let local = name.rsplit(':').next().unwrap_or(name);
    let v = match local {
        "true" => Value::Bool(true),
        "false" => Value::Bool(false),
        "not" => {
            arity(name, args, 1, 1, "1")?;
            Value::Bool(!ev(0)?.truthy())
        }
        "boolean" => {
            arity(name, args, 1, 1, "1")?;
            Value::Bool(ev(0)?.truthy())
        }
        "number" => {
            arity(name, args, 1, 1, "1")?;
            Value::Num(ev(0)?.num())
        }
        "string" => {
            arity(name, args, 0, 1, "0 or 1")?;
            Value::Str(if args.is_empty() {
                ctx.current()
            } else {
                ev(0)?.string()
            })
        }
        "int" => {
            arity(name, args, 1, 1, "1")?;
            Value::Num(ev(0)?.num().trunc())
        }
        "round" => {
            arity(name, args, 1, 2, "1 or 2")?;
            let x = ev(0)?.num();
            if args.len() == 1 {
                // XPath 1.0: half rounds up, towards positive infinity.
                Value::Num((x + 0.5).floor())
            } else {
                // ODK's two-argument form: half away from zero, at `places` decimals.
                let places = ev(1)?.num().trunc() as i32;
                let f = 10f64.powi(places);
                let scaled = x * f;
                let r = if (scaled.abs().fract() - 0.5).abs() < 1e-9 {
                    scaled.trunc() + scaled.signum()
                } else {
                    scaled.round()
                };
                Value::Num(r / f)
            }
        }
        "floor" => {
            arity(name, args, 1, 1, "1")?;
            Value::Num(ev(0)?.num().floor())
        }
        "ceiling" => {
            arity(name, args, 1, 1, "1")?;
            Value::Num(ev(0)?.num().ceil())
        }
        "abs" => {
            arity(name, args, 1, 1, "1")?;
            Value::Num(ev(0)?.num().abs())
        }
        "pow" => {
            arity(name, args, 2, 2, "2")?;
            Value::Num(ev(0)?.num().powf(ev(1)?.num()))
        }
        "sqrt" => {
            arity(name, args, 1, 1, "1")?;
            Value::Num(ev(0)?.num().sqrt())
        }
        "exp" => {
            arity(name, args, 1, 1, "1")?;
            Value::Num(ev(0)?.num().exp())
        }
        "log" => {
            arity(name, args, 1, 1, "1")?;
            Value::Num(ev(0)?.num().ln())
        }
        "log10" => {
            arity(name, args, 1, 1, "1")?;
            Value::Num(ev(0)?.num().log10())
        }
        "pi" => Value::Num(std::f64::consts::PI),
        "if" => {
            arity(name, args, 3, 3, "3")?;
            if ev(0)?.truthy() { ev(1)? } else { ev(2)? }
        }
        "coalesce" => {
            arity(name, args, 2, usize::MAX, "2 or more")?;
            let mut out = Value::Str(String::new());
            for i in 0..args.len() {
                let v = ev(i)?;
                if !v.string().is_empty() {
                    out = v;
                    break;
                }
            }
            out
        }
        "concat" => {
            let mut s = String::new();
            for i in 0..args.len() {
                for n in ev(i)?.nodes() {
                    s.push_str(&n);
                }
            }
            Value::Str(s)
        }
        "join" => {
            arity(name, args, 1, usize::MAX, "1 or more")?;
            let sep = ev(0)?.string();
            let mut parts = Vec::new();
            for i in 1..args.len() {
                parts.extend(ev(i)?.nodes());
            }
            Value::Str(parts.join(&sep))
        }
        "string-length" => {
            arity(name, args, 0, 1, "0 or 1")?;
            let s = if args.is_empty() {
                ctx.current()
            } else {
                ev(0)?.string()
            };
            Value::Num(s.chars().count() as f64)
        }
        "normalize-space" => {
            let s = if args.is_empty() {
                ctx.current()
            } else {
                ev(0)?.string()
            };
            Value::Str(tokens(&s).join(" "))
        }
        "substr" | "substring" => {
            arity(name, args, 2, 3, "2 or 3")?;
            let chars: Vec<char> = ev(0)?.string().chars().collect();
            let n = chars.len() as f64;
            let (start, end) = if local == "substr" {
                // ODK: 0-based start, exclusive end; negative counts from the end.
                let clamp = |x: f64| {
                    let x = if x < 0.0 { n + x } else { x };
                    x.clamp(0.0, n) as usize
                };
                let start = clamp(ev(1)?.num().trunc());
                let end = if args.len() == 3 {
                    clamp(ev(2)?.num().trunc())
                } else {
                    chars.len()
                };
                (start, end)
            } else {
                // XPath 1.0 substring: 1-based, rounded, with a length.
                let s = ev(1)?.num().round();
                let e = if args.len() == 3 {
                    s + ev(2)?.num().round()
                } else {
                    f64::INFINITY
                };
                (
                    (s - 1.0).clamp(0.0, n) as usize,
                    (e - 1.0).clamp(0.0, n) as usize,
                )
            };
            Value::Str(if start < end {
                chars[start..end].iter().collect()
            } else {
                String::new()
            })
        }
        "contains" => {
            arity(name, args, 2, 2, "2")?;
            Value::Bool(ev(0)?.string().contains(&ev(1)?.string()))
        }
        "starts-with" => {
            arity(name, args, 2, 2, "2")?;
            Value::Bool(ev(0)?.string().starts_with(&ev(1)?.string()))
        }
        "ends-with" => {
            arity(name, args, 2, 2, "2")?;
            Value::Bool(ev(0)?.string().ends_with(&ev(1)?.string()))
        }
        "translate" => {
            arity(name, args, 3, 3, "3")?;
            let from: Vec<char> = ev(1)?.string().chars().collect();
            let to: Vec<char> = ev(2)?.string().chars().collect();
            Value::Str(
                ev(0)?
                    .string()
                    .chars()
                    .filter_map(|c| match from.iter().position(|f| *f == c) {
                        Some(i) => to.get(i).copied(),
                        None => Some(c),
                    })
                    .collect(),
            )
        }
        "regex" => {
            arity(name, args, 2, 2, "2")?;
            let pattern = ev(1)?.string();
            let re =
                regex::Regex::new(&pattern).map_err(|_| EvalError::BadRegex(pattern.clone()))?;
            Value::Bool(re.is_match(&ev(0)?.string()))
        }
        "selected" => {
            arity(name, args, 2, 2, "2")?;
            let list = ev(0)?.string();
            let value = ev(1)?.string();
            let value = value.trim();
            Value::Bool(tokens(&list).contains(&value))
        }
        "count-selected" => {
            arity(name, args, 1, 1, "1")?;
            Value::Num(tokens(&ev(0)?.string()).len() as f64)
        }
        "selected-at" => {
            arity(name, args, 2, 2, "2")?;
            let list = ev(0)?.string();
            let i = ev(1)?.num();
            let t = tokens(&list);
            Value::Str(if i >= 0.0 && i.fract() == 0.0 {
                t.get(i as usize).map(|s| s.to_string()).unwrap_or_default()
            } else {
                String::new()
            })
        }
        "choice-name" => {
            arity(name, args, 2, 2, "2")?;
            let value = ev(0)?.string();
            let question = question_name(&match &args[1] {
                Expr::Literal(s) => s.clone(),
                Expr::Ref { name, .. } => name.clone(),
                other => evaluate(other, ctx)?.string(),
            });
            Value::Str(
                ctx.choice_label(&question, value.trim())
                    .unwrap_or_default(),
            )
        }
        "count" => {
            arity(name, args, 1, 1, "1")?;
            Value::Num(match ev(0)? {
                Value::Nodes(v) => v.len() as f64,
                _ => 1.0,
            })
        }
        "sum" => {
            arity(name, args, 1, 1, "1")?;
            Value::Num(ev(0)?.nodes().iter().map(|s| str_to_num(s)).sum())
        }
        "max" | "min" => {
            let mut nums = Vec::new();
            for i in 0..args.len() {
                nums.extend(ev(i)?.nodes().iter().map(|s| str_to_num(s)));
            }
            if nums.is_empty() || nums.iter().any(|n| n.is_nan()) {
                Value::Num(f64::NAN)
            } else if local == "max" {
                Value::Num(nums.into_iter().fold(f64::NEG_INFINITY, f64::max))
            } else {
                Value::Num(nums.into_iter().fold(f64::INFINITY, f64::min))
            }
        }
        "position" => Value::Num(ctx.position() as f64),
        "indexed-repeat" => {
            arity(name, args, 3, usize::MAX, "3 or more")?;
            let target = match &args[0] {
                Expr::Ref { name, .. } => name.clone(),
                Expr::Path { steps, .. } => {
                    steps.last().map(|s| s.name.clone()).unwrap_or_default()
                }
                _ => String::new(),
            };
            let index = ev(2)?.num();
            Value::Str(if index >= 1.0 {
                ctx.indexed(&target, index as usize).unwrap_or_default()
            } else {
                String::new()
            })
        }
        "once" => {
            arity(name, args, 1, 1, "1")?;
            let current = ctx.current();
            if current.is_empty() {
                ev(0)?
            } else {
                Value::Str(current)
            }
        }
        "uuid" => Value::Str(ctx.uuid()),
        "random" => Value::Num(ctx.random()),
        "today" => Value::Date(ctx.now().date_naive()),
        "now" => Value::DateTime(ctx.now()),
        "date" | "date-time" => {
            arity(name, args, 1, 1, "1")?;
            let v = ev(0)?;
            match (&v, v.date()) {
                (Value::Num(_), Some(dt)) if local == "date" && v.num().fract() == 0.0 => {
                    Value::Date(dt.date_naive())
                }
                (_, Some(dt)) => match v {
                    Value::Str(ref s) if s.trim().len() == 10 => Value::Date(dt.date_naive()),
                    Value::Date(d) => Value::Date(d),
                    _ => Value::DateTime(dt),
                },
                _ => Value::Str(String::new()),
            }
        }
        "decimal-date-time" | "decimal-date" => {
            arity(name, args, 1, 1, "1")?;
            match ev(0)?.date() {
                Some(dt) => Value::Num(days(&dt)),
                None => Value::Num(f64::NAN),
            }
        }
        "decimal-time" => {
            arity(name, args, 1, 1, "1")?;
            let s = ev(0)?.string();
            match NaiveTime::parse_from_str(s.get(..8).unwrap_or(""), "%H:%M:%S") {
                Ok(t) => Value::Num(f64::from(t.num_seconds_from_midnight()) / 86_400.0),
                Err(_) => Value::Num(f64::NAN),
            }
        }
        "format-date" | "format-date-time" => {
            arity(name, args, 2, 2, "2")?;
            let v = ev(0)?;
            let fmt = ev(1)?.string();
            match v.date() {
                Some(dt) if !v.string().is_empty() => Value::Str(format_date(&dt, &fmt)),
                _ => Value::Str(String::new()),
            }
        }
        _ => return Err(EvalError::UnknownFunction(name.to_string())),
    };
    Ok(v)
}

/// ODK's format-date: `%Y %y %m %n %b %d %e %H %h %M %S %3 %a` (English names).
fn format_date(dt: &DateTime<FixedOffset>, fmt: &str) -> String {
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    const DAYS: [&str; 7] = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"];
    let mut out = String::new();
    let mut chars = fmt.chars();
    while let Some(c) = chars.next() {
        if c != '%' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('Y') => out.push_str(&format!("{:04}", dt.year())),
            Some('y') => out.push_str(&format!("{:02}", dt.year() % 100)),
            Some('m') => out.push_str(&format!("{:02}", dt.month())),
            Some('n') => out.push_str(&dt.month().to_string()),
            Some('b') => out.push_str(MONTHS[dt.month0() as usize]),
            Some('d') => out.push_str(&format!("{:02}", dt.day())),
            Some('e') => out.push_str(&dt.day().to_string()),
            Some('H') => out.push_str(&format!("{:02}", dt.hour())),
            Some('h') => out.push_str(&dt.hour().to_string()),
            Some('M') => out.push_str(&format!("{:02}", dt.minute())),
            Some('S') => out.push_str(&format!("{:02}", dt.second())),
            Some('3') => out.push_str(&format!("{:03}", dt.nanosecond() / 1_000_000)),
            Some('a') => out.push_str(DAYS[dt.weekday().num_days_from_monday() as usize]),
            Some(other) => {
                out.push('%');
                out.push(other);
            }
            None => out.push('%'),
        }
    }
    out
}
