//! The `parameters` column: `key=value` pairs whose allowed keys and values depend on the
//! question type (a range's start/end/step, a select's randomize/seed, ...).
//!
//! Types that define no parameters ignore the column, as ODK's tools do.

use crate::form::{Element, Form, QuestionType};
use crate::names::is_xml_name;
use crate::report::{Code, Problem, Report};

/// Parses `start=1 end=10, step=1; placeholder = 5` into lowercase keys and values.
/// Pairs may be separated by spaces, commas or semicolons; spaces around `=` are allowed.
pub fn parse(text: &str) -> Result<Vec<(String, String)>, String> {
    // Glue "key = value" into "key=value".
    let mut glued = String::new();
    let mut chars = text.trim().chars().peekable();
    while let Some(c) = chars.next() {
        if c == '=' {
            while glued.ends_with(' ') {
                glued.pop();
            }
            glued.push('=');
            while chars.peek().is_some_and(|c| c.is_whitespace()) {
                chars.next();
            }
        } else {
            glued.push(c);
        }
    }
    let mut out = Vec::new();
    for token in glued.split(|c: char| c.is_whitespace() || c == ',' || c == ';') {
        if token.is_empty() {
            continue;
        }
        let mut parts = token.split('=');
        let (Some(k), Some(v), None) = (parts.next(), parts.next(), parts.next()) else {
            return Err(format!(
                "'{token}' is not a key=value pair. Write parameters as 'key1=value1 key2=value2'."
            ));
        };
        if k.is_empty() || v.is_empty() {
            return Err(format!(
                "'{token}' is not a key=value pair. Write parameters as 'key1=value1 key2=value2'."
            ));
        }
        out.push((k.to_ascii_lowercase(), v.to_string()));
    }
    Ok(out)
}

/// Checks the parameters of one element against its type.
pub(crate) fn check(form: &Form, e: &Element, report: &mut Report) {
    let Some(raw) = e.parameters.as_deref() else {
        return;
    };
    let Some(t) = e.question_type() else {
        return;
    };
    let mut err = |msg: String| {
        report.push(
            Problem::error(Code::InvalidParameter, msg)
                .at("survey", e.row)
                .col("parameters"),
        );
    };
    let allowed: &[&str] = match t {
        QuestionType::Range => &[
            "start",
            "end",
            "step",
            "tick_interval",
            "placeholder",
            "tick_labelset",
        ],
        QuestionType::SelectOne { .. }
        | QuestionType::SelectMultiple { .. }
        | QuestionType::Rank { .. } => &["randomize", "seed"],
        QuestionType::SelectOneExternal { .. } => &["randomize", "seed"],
        QuestionType::SelectFromFile { .. } => &["value", "label", "randomize", "seed"],
        QuestionType::Geopoint => &[
            "allow-mock-accuracy",
            "capture-accuracy",
            "reference-geometry",
            "warning-accuracy",
        ],
        QuestionType::Geoshape | QuestionType::Geotrace => {
            &["allow-mock-accuracy", "incremental", "reference-geometry"]
        }
        QuestionType::Media(m) if m == "audio" || m == "background-audio" => &["quality"],
        QuestionType::Media(m) if m == "image" || m == "photo" => &["max-pixels", "app"],
        QuestionType::Metadata(m) if m == "audit" => &[
            "location-priority",
            "location-min-interval",
            "location-max-age",
            "track-changes",
            "identify-user",
            "track-changes-reasons",
        ],
        QuestionType::Text => {
            // Text accepts free parameters; only `rows` has a meaning to check.
            if let Ok(pairs) = parse(raw)
                && let Some((_, v)) = pairs.iter().find(|(k, _)| k == "rows")
                && v.parse::<u32>().is_err()
            {
                err(format!(
                    "The parameter rows must be a whole number, not '{v}'."
                ));
            }
            return;
        }
        _ => return,
    };
    let pairs = match parse(raw) {
        Ok(p) => p,
        Err(msg) => return err(msg),
    };
    let unknown: Vec<&str> = pairs
        .iter()
        .map(|(k, _)| k.as_str())
        .filter(|k| !allowed.contains(k))
        .collect();
    if !unknown.is_empty() {
        return err(format!(
            "Unknown parameter(s) for a {} question: {}. The accepted parameters are: {}.",
            e.type_text.split_whitespace().next().unwrap_or(""),
            unknown.join(", "),
            allowed.join(", ")
        ));
    }
    let get = |k: &str| {
        pairs
            .iter()
            .find(|(key, _)| key == k)
            .map(|(_, v)| v.as_str())
    };
    let number = |k: &str| get(k).map(|v| v.parse::<f64>().map_err(|_| v.to_string()));
    let bool_value = |v: &str| matches!(v, "true" | "false");
    match t {
        QuestionType::Range => {
            for msg in range(form, e, &get) {
                err(msg);
            }
        }
        QuestionType::SelectOne { .. }
        | QuestionType::SelectMultiple { .. }
        | QuestionType::Rank { .. }
        | QuestionType::SelectOneExternal { .. }
        | QuestionType::SelectFromFile { .. } => {
            for key in ["value", "label"] {
                if let Some(v) = get(key)
                    && !is_xml_name(v)
                {
                    err(format!(
                        "The parameter {key}='{v}' must be a column name of the choices file. {}",
                        crate::names::NAME_RULE
                    ));
                }
            }
            if let Some(v) = get("randomize")
                && !bool_value(&v.to_ascii_lowercase())
            {
                err(format!("randomize must be true or false, not '{v}'."));
            }
            if let Some(seed) = get("seed") {
                if !get("randomize").is_some_and(|v| v.eq_ignore_ascii_case("true")) {
                    err(
                        "A seed is only used together with randomize=true: add randomize=true."
                            .into(),
                    );
                }
                let is_ref = seed.starts_with("${")
                    && seed.ends_with('}')
                    && is_xml_name(&seed[2..seed.len() - 1]);
                if seed.parse::<f64>().is_err() && !is_ref {
                    err(format!(
                        "The seed '{seed}' must be a number or a ${{reference}} to another question."
                    ));
                }
            }
        }
        QuestionType::Geopoint | QuestionType::Geoshape | QuestionType::Geotrace => {
            if let Some(v) = get("allow-mock-accuracy")
                && !bool_value(v)
            {
                err(format!(
                    "allow-mock-accuracy must be true or false, not '{v}'."
                ));
            }
            for key in ["capture-accuracy", "warning-accuracy"] {
                if let Some(Err(v)) = number(key) {
                    err(format!("{key} must be a number (meters), not '{v}'."));
                }
            }
            if let Some(v) = get("incremental")
                && !matches!(v, "true" | "yes" | "true()")
            {
                err(format!(
                    "incremental may only be 'true' (or left out), not '{v}'."
                ));
            }
            if let Some(v) = get("reference-geometry") {
                let is_ref = v.starts_with("${") && v.ends_with('}');
                let mut instance =
                    form.choices.contains_key(v) || form.entity_lists.iter().any(|l| l == v);
                form.walk(|o| match o.question_type() {
                    Some(QuestionType::External(_)) if o.name == v => instance = true,
                    Some(QuestionType::SelectFromFile { file, .. })
                        if file.rsplit_once('.').map(|(stem, _)| stem) == Some(v) =>
                    {
                        instance = true
                    }
                    _ => {}
                });
                if !is_ref && !instance {
                    err(format!(
                        "reference-geometry '{v}' must name a choice list, an xml-external or csv-external instance, or be a ${{reference}} to a geo question."
                    ));
                }
            }
        }
        QuestionType::Media(m) if m == "audio" || m == "background-audio" => {
            if let Some(v) = get("quality") {
                let ok: &[&str] = if m == "audio" {
                    &["normal", "low", "voice-only", "external"]
                } else {
                    &["normal", "low", "voice-only"]
                };
                if !ok.contains(&v) {
                    err(format!(
                        "quality must be one of {}, not '{v}'.",
                        ok.join(", ")
                    ));
                }
            }
        }
        QuestionType::Media(_) => {
            if let Some(Err(v)) = number("max-pixels") {
                err(format!("max-pixels must be a whole number, not '{v}'."));
            }
            let appearance = e.appearance.as_deref().unwrap_or("").trim();
            if let Some(app) = get("app")
                && matches!(appearance, "" | "annotate")
                && !is_android_package(app)
            {
                err(format!(
                    "app '{app}' is not an Android package name: it needs at least one '.', as in org.example.camera."
                ));
            }
        }
        QuestionType::Metadata(_) => {
            for key in ["identify-user", "track-changes"] {
                if let Some(v) = get(key)
                    && !bool_value(v)
                {
                    err(format!("{key} must be true or false, not '{v}'."));
                }
            }
            if let Some(v) = get("track-changes-reasons")
                && v != "on-form-edit"
            {
                err(format!(
                    "track-changes-reasons can only be 'on-form-edit', not '{v}'."
                ));
            }
            let loc = [
                "location-priority",
                "location-min-interval",
                "location-max-age",
            ];
            let present = loc.iter().filter(|k| get(k).is_some()).count();
            if present > 0 && present < 3 {
                err("To include locations in the audit, give all three of location-priority, location-min-interval and location-max-age.".into());
            } else if present == 3 {
                let p = get("location-priority").unwrap_or("");
                if !["no-power", "low-power", "balanced", "high-accuracy"].contains(&p) {
                    err(format!(
                        "location-priority must be no-power, low-power, balanced or high-accuracy, not '{p}'."
                    ));
                }
                match (number("location-min-interval"), number("location-max-age")) {
                    (Some(Ok(min)), Some(Ok(max))) => {
                        if min < 0.0 {
                            err("location-min-interval must be zero or more.".into());
                        } else if max < min {
                            err("location-max-age must be at least location-min-interval.".into());
                        }
                    }
                    _ => err(
                        "location-min-interval and location-max-age must be numbers (seconds)."
                            .into(),
                    ),
                }
            }
        }
        _ => {}
    }
}

fn is_android_package(s: &str) -> bool {
    let parts: Vec<&str> = s.split('.').collect();
    parts.len() >= 2
        && parts.iter().all(|p| {
            p.chars().next().is_some_and(|c| c.is_ascii_alphabetic())
                && p.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
        })
}

/// True when `x` is a whole multiple of `step`, allowing for decimal rounding.
fn multiple(x: f64, step: f64) -> bool {
    let q = x / step;
    (q - q.round()).abs() < 1e-9
}

fn range<'v>(form: &Form, e: &Element, get: &dyn Fn(&str) -> Option<&'v str>) -> Vec<String> {
    let mut out = Vec::new();
    let mut num = |k: &str, default: Option<f64>| -> Option<f64> {
        match get(k) {
            None => default,
            Some(v) => match v.parse::<f64>() {
                Ok(n) if n.is_finite() => Some(n),
                _ => {
                    out.push(format!(
                        "For a range question, {k} must be a number, not '{v}'."
                    ));
                    None
                }
            },
        }
    };
    let start = num("start", Some(1.0));
    let end = num("end", Some(10.0));
    let step = num("step", Some(1.0));
    let tick = num("tick_interval", None);
    let placeholder = num("placeholder", None);
    let (Some(start), Some(end), Some(step)) = (start, end, step) else {
        return out;
    };
    let (lo, hi) = (start.min(end), start.max(end));
    if step == 0.0 {
        out.push("For a range question, step must not be 0.".into());
        return out;
    }
    if tick == Some(0.0) {
        out.push("For a range question, tick_interval must not be 0.".into());
        return out;
    }
    if step.abs() > hi - lo {
        out.push("For a range question, step must not be larger than the range (the difference between start and end).".into());
    }
    let appearance = e.appearance.as_deref().unwrap_or("");
    let uses_ticks = tick.is_some() || placeholder.is_some() || get("tick_labelset").is_some();
    if uses_ticks
        && appearance
            .split_whitespace()
            .any(|a| a != "vertical" && a != "no-ticks")
    {
        out.push(format!(
            "For a range question, tick_interval, placeholder and tick_labelset only work with no appearance or the appearances 'vertical' and 'no-ticks', not '{appearance}'."
        ));
        return out;
    }
    if let Some(t) = tick
        && !multiple(t, step)
    {
        out.push("For a range question, tick_interval must be a multiple of step.".into());
    }
    if let Some(p) = placeholder {
        if p < lo || p > hi {
            out.push(
                "For a range question, placeholder must be between start and end (inclusive)."
                    .into(),
            );
        } else if !multiple(p - start, step) {
            out.push(
                "For a range question, placeholder must be start plus a multiple of step.".into(),
            );
        }
    }
    if let Some(list) = get("tick_labelset") {
        let Some(choices) = form.choices.get(list) else {
            out.push(format!("For a range question, tick_labelset must name a list on the choices sheet; '{list}' is not there."));
            return out;
        };
        let no_ticks = appearance.split_whitespace().any(|a| a == "no-ticks");
        let mut values: Vec<f64> = Vec::new();
        for c in &choices.choices {
            match c.name.parse::<f64>() {
                Ok(v) => {
                    if !values.contains(&v) {
                        values.push(v)
                    }
                }
                Err(_) => {
                    out.push(format!("For a range question, the choices of the tick_labelset '{list}' must all be numbers; '{}' is not.", c.name));
                    return out;
                }
            }
        }
        if no_ticks {
            if values.len() > 2 {
                out.push(format!("With the appearance 'no-ticks', the tick_labelset '{list}' may have only 2 choices, for start and end."));
            } else if values.iter().any(|v| *v != start && *v != end) {
                out.push(format!("With the appearance 'no-ticks', the choices of the tick_labelset '{list}' must be the start and end values."));
            }
            return out;
        }
        let unit = tick.unwrap_or(step);
        for v in values {
            if v < lo || v > hi {
                out.push(format!("For a range question, the tick_labelset choice {v} must be between start and end (inclusive)."));
                break;
            }
            if !multiple(v - start, unit) {
                out.push(format!(
                    "For a range question, each tick_labelset choice must be start plus a multiple of {}; {v} is not.",
                    if tick.is_some() { "tick_interval" } else { "step" }
                ));
                break;
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::parse;

    #[test]
    fn pairs_with_any_separator() {
        let p = parse("start=2 , end = 9;step=1").unwrap();
        assert_eq!(
            p,
            [
                ("start".into(), "2".into()),
                ("end".into(), "9".into()),
                ("step".into(), "1".into())
            ]
        );
        assert!(parse("start=2 & end=9").is_err());
        assert!(parse("start==1").is_err());
        assert!(parse("end1").is_err());
        assert!(parse("start=2-end=9").is_err());
    }
}
