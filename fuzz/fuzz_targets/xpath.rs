//! The XPath expression parser, then evaluation against an empty context (no answers, a
//! fixed clock); also the `${name}` reference scanner.
#![no_main]

use std::sync::LazyLock;

use chrono::DateTime;
use crocevia_xlsform::expr::{MapContext, evaluate, parse, references};
use libfuzzer_sys::fuzz_target;

static CONTEXT: LazyLock<MapContext> = LazyLock::new(|| {
    MapContext::new(DateTime::parse_from_rfc3339("2026-11-16T10:00:00+01:00").expect("a date"))
});

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let _ = references(text);
    if let Ok(expr) = parse(text) {
        let _ = evaluate(&expr, &*CONTEXT);
    }
});
