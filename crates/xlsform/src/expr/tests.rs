//! Table-driven tests of the evaluator: each row is an expression, the answers it sees and
//! the expected result as XPath's string() of the value (so numbers print as XPath does).

use chrono::{FixedOffset, TimeZone};

use super::{MapContext, Value, eval_str};

/// 2024-02-29 (a leap day) 14:30:15.250 in Rome (UTC+1).
fn ctx() -> MapContext {
    let tz = FixedOffset::east_opt(3600).unwrap();
    let now =
        tz.with_ymd_and_hms(2024, 2, 29, 14, 30, 15).unwrap() + chrono::Duration::milliseconds(250);
    let mut c = MapContext::new(now);
    c.set("age", "34")
        .set("empty", "")
        .set("name", "Amina")
        .set("langs", "it ar  fr")
        .set("q_one", "b")
        .set("dob", "1990-05-17")
        .set("ts", "2024-02-29T10:00:00.000+01:00")
        .set("dec", "2.5")
        .set("neg", "-2.5")
        .set("text_num", "12abc");
    c.set_all("member_age", &["30", "5", "", "71"]);
    c.set_all("member_name", &["Ali", "Sara", "Omar"]);
    c.labels.insert(("q_one".into(), "b".into()), "Beta".into());
    c.uuid = "uuid:4b1c1a52-0000-4000-8000-000000000001".into();
    c.random = 0.25;
    c
}

/// Runs a table: (expression, expected string value).
fn table(rows: &[(&str, &str)]) {
    let c = ctx();
    let mut failures = Vec::new();
    for (expr, want) in rows {
        match eval_str(expr, &c) {
            Ok(v) if v.string() == *want => {}
            Ok(v) => failures.push(format!(
                "{expr}: got '{}' ({v:?}), want '{want}'",
                v.string()
            )),
            Err(e) => failures.push(format!("{expr}: error {e}, want '{want}'")),
        }
    }
    assert!(failures.is_empty(), "\n{}", failures.join("\n"));
}

#[test]
fn references_and_literals() {
    table(&[
        ("${age}", "34"),
        ("${empty}", ""),
        ("'text'", "text"),
        ("\"double\"", "double"),
        ("42", "42"),
        ("4.50", "4.5"),
        ("-${age}", "-34"),
    ]);
}

#[test]
fn arithmetic() {
    table(&[
        ("1 + 2 * 3", "7"),
        ("(1 + 2) * 3", "9"),
        ("7 div 2", "3.5"),
        ("7 mod 3", "1"),
        ("-7 mod 3", "-1"),
        ("5.5 mod 2", "1.5"),
        ("1 div 0", "Infinity"),
        ("-1 div 0", "-Infinity"),
        ("0 div 0", "NaN"),
        ("${age} + 1", "35"),
        ("${age}*2", "68"),
        ("${age}-4", "30"),
        // Empty answers are NaN in arithmetic.
        ("${empty} + 1", "NaN"),
        ("${text_num} * 1", "NaN"),
        ("'3' + '4'", "7"),
        ("true() + 1", "2"),
        ("0.1 + 0.2", "0.30000000000000004"),
    ]);
}

#[test]
fn comparison_and_logic() {
    table(&[
        ("${age} > 18", "true"),
        ("${age} >= 34", "true"),
        ("${age} < 18", "false"),
        ("${age} = 34", "true"),
        ("${age} = '34'", "true"),
        ("${age} != 34", "false"),
        // Empty compares as NaN numerically: every comparison is false…
        ("${empty} > 18", "false"),
        ("${empty} < 18", "false"),
        ("${empty} = 0", "false"),
        // …but as a string it equals ''.
        ("${empty} = ''", "true"),
        ("${empty} != ''", "false"),
        ("${name} = 'Amina'", "true"),
        ("'abc' = 'ABC'", "false"),
        ("'10' < '9'", "false"),
        ("true() = 'x'", "true"),
        ("false() = ''", "true"),
        ("1 = true()", "true"),
        ("${age} > 18 and ${name} = 'Amina'", "true"),
        ("${age} < 18 or ${name} = 'Amina'", "true"),
        ("not(${age} > 18)", "false"),
        ("not(${empty})", "true"),
        ("not('false')", "false"),
        // A node-set compares if any member does.
        ("${member_age} > 70", "true"),
        ("${member_age} = 5", "true"),
        ("${member_age} > 100", "false"),
    ]);
}

#[test]
fn constraints_use_the_current_value() {
    let mut c = ctx();
    c.current = "17".into();
    assert_eq!(eval_str(". >= 18", &c).unwrap(), Value::Bool(false));
    assert_eq!(
        eval_str(". >= 0 and . <= 120", &c).unwrap(),
        Value::Bool(true)
    );
    assert_eq!(eval_str("string-length(.)", &c).unwrap().string(), "2");
    c.current = String::new();
    assert_eq!(eval_str(". >= 18", &c).unwrap(), Value::Bool(false));
    assert_eq!(eval_str("string-length()", &c).unwrap().string(), "0");
}

#[test]
fn selects() {
    table(&[
        ("selected(${langs}, 'ar')", "true"),
        ("selected(${langs}, 'en')", "false"),
        ("selected(${langs}, ' fr ')", "true"),
        ("selected(${empty}, 'ar')", "false"),
        ("selected(${q_one}, 'b')", "true"),
        ("selected('ab c', 'a')", "false"),
        ("count-selected(${langs})", "3"),
        ("count-selected(${empty})", "0"),
        ("count-selected(${q_one})", "1"),
        ("selected-at(${langs}, 0)", "it"),
        ("selected-at(${langs}, 2)", "fr"),
        ("selected-at(${langs}, 3)", ""),
        ("selected-at(${langs}, -1)", ""),
        ("selected-at(${empty}, 0)", ""),
        ("jr:choice-name(${q_one}, '${q_one}')", "Beta"),
        ("jr:choice-name('b', '/data/q_one')", "Beta"),
        ("jr:choice-name('zz', '${q_one}')", ""),
        ("jr:choice-name(${empty}, '${q_one}')", ""),
    ]);
}

#[test]
fn conditionals() {
    table(&[
        ("if(${age} >= 18, 'adult', 'minor')", "adult"),
        ("if(${empty} >= 18, 'adult', 'minor')", "minor"),
        ("if(${empty}, 'yes', 'no')", "no"),
        ("if('0', 'yes', 'no')", "yes"),
        ("if(0, 'yes', 'no')", "no"),
        ("coalesce(${empty}, ${name})", "Amina"),
        ("coalesce(${name}, 'x')", "Amina"),
        ("coalesce(${empty}, '')", ""),
        ("coalesce(${empty}, ${empty}, 'third')", "third"),
    ]);
}

#[test]
fn strings() {
    table(&[
        ("concat(${name}, ' (', ${age}, ')')", "Amina (34)"),
        ("concat(${empty}, 'x')", "x"),
        ("concat(${member_name})", "AliSaraOmar"),
        ("concat('a', 1, true())", "a1true"),
        ("string-length(${name})", "5"),
        ("string-length(${empty})", "0"),
        ("string-length('مرحبا')", "5"),
        ("substr('abcdef', 2)", "cdef"),
        ("substr('abcdef', 1, 3)", "bc"),
        ("substr('abcdef', 0, 100)", "abcdef"),
        ("substr('abcdef', 4, 2)", ""),
        ("substr('abcdef', -2)", "ef"),
        ("substr(${empty}, 1, 2)", ""),
        ("substring('abcdef', 2, 3)", "bcd"),
        ("contains(${name}, 'min')", "true"),
        ("contains(${name}, '')", "true"),
        ("contains(${empty}, 'a')", "false"),
        ("starts-with(${name}, 'Am')", "true"),
        ("starts-with(${name}, 'am')", "false"),
        ("ends-with(${name}, 'na')", "true"),
        ("regex(${name}, '^[A-Z][a-z]+$')", "true"),
        ("regex('0612345678', '^[0-9]{10}$')", "true"),
        ("regex('06123', '^[0-9]{10}$')", "false"),
        ("regex(${empty}, '^$')", "true"),
        ("normalize-space('  a   b ')", "a b"),
        ("translate('abc', 'abc', 'AB')", "AB"),
        ("join(', ', ${member_name})", "Ali, Sara, Omar"),
    ]);
}

#[test]
fn numbers() {
    table(&[
        ("round(2.5)", "3"),
        ("round(-2.5)", "-2"),
        ("round(2.4)", "2"),
        ("round(${dec})", "3"),
        ("round(3.14159, 2)", "3.14"),
        ("round(2.675, 1)", "2.7"),
        ("round(-1.25, 1)", "-1.3"),
        ("round(1234.5, -2)", "1200"),
        ("round(${empty})", "NaN"),
        ("int(3.9)", "3"),
        ("int(-3.9)", "-3"),
        ("int(${neg})", "-2"),
        ("int('7')", "7"),
        ("int(${empty})", "NaN"),
        ("number('12')", "12"),
        ("number(' 12 ')", "12"),
        ("number('')", "NaN"),
        ("number('1e3')", "NaN"),
        ("number('abc')", "NaN"),
        ("number(true())", "1"),
        ("number(false())", "0"),
        ("number('-0.5')", "-0.5"),
        ("string(12)", "12"),
        ("string(1.50)", "1.5"),
        ("string(true())", "true"),
        ("string(1 div 0)", "Infinity"),
        ("string(${empty})", ""),
        ("boolean('')", "false"),
        ("boolean('a')", "true"),
        ("boolean(0)", "false"),
        ("pow(2, 10)", "1024"),
        ("abs(-3)", "3"),
        ("floor(-1.5)", "-2"),
        ("ceiling(1.2)", "2"),
    ]);
}

#[test]
fn repeats_and_aggregates() {
    table(&[
        ("count(${member_age})", "4"),
        ("count(${member_name})", "3"),
        ("sum(${member_name})", "NaN"),
        // An empty answer in the repeat makes the sum NaN, as in JavaRosa.
        ("sum(${member_age})", "NaN"),
        ("max(${member_name})", "NaN"),
        ("max(3, 9, 4)", "9"),
        ("min(3, 9, 4)", "3"),
        ("max(${age}, 50)", "50"),
        ("min(${empty}, 5)", "NaN"),
        ("position(..)", "1"),
        ("indexed-repeat(${member_name}, ${member_name}, 2)", "Sara"),
        ("indexed-repeat(${member_name}, ${member_name}, 9)", ""),
    ]);
    let mut c = ctx();
    c.set_all("kids", &["3", "4", "0"]);
    c.position = 3;
    assert_eq!(eval_str("sum(${kids})", &c).unwrap().string(), "7");
    assert_eq!(eval_str("max(${kids})", &c).unwrap().string(), "4");
    assert_eq!(eval_str("min(${kids})", &c).unwrap().string(), "0");
    assert_eq!(eval_str("position(..)", &c).unwrap().string(), "3");
    assert_eq!(eval_str("count(${age})", &c).unwrap().string(), "1");
}

#[test]
fn dates_and_times() {
    table(&[
        ("today()", "2024-02-29"),
        ("now()", "2024-02-29T14:30:15.250+01:00"),
        ("format-date(today(), '%Y-%m-%d')", "2024-02-29"),
        ("format-date(today(), '%e/%n/%y %b %a')", "29/2/24 Feb Thu"),
        ("format-date(${dob}, '%d/%m/%Y')", "17/05/1990"),
        ("format-date(${empty}, '%Y')", ""),
        ("format-date('not a date', '%Y')", ""),
        ("format-date-time(now(), '%H:%M:%S.%3')", "14:30:15.250"),
        (
            "format-date-time(${ts}, '%Y-%m-%d %H:%M')",
            "2024-02-29 10:00",
        ),
        ("date('2024-03-01')", "2024-03-01"),
        ("date(0)", "1970-01-01"),
        ("date(19782)", "2024-02-29"),
        ("date(${empty})", ""),
        (
            "format-date(date('2024-02-28') + 1, '%Y-%m-%d')",
            "2024-02-29",
        ),
        ("format-date(date(today() + 1), '%Y-%m-%d')", "2024-03-01"),
        ("decimal-date-time('1970-01-02')", "1"),
        ("decimal-date-time('1970-01-01T12:00:00.000+00:00')", "0.5"),
        ("decimal-date-time(${empty})", "NaN"),
        ("number(today())", "19782"),
        ("today() - date('2024-02-01')", "28"),
        ("int((today() - date(${dob})) div 365.25)", "33"),
        ("${dob} < today()", "true"),
        ("${dob} > today()", "false"),
        ("today() = '2024-02-29'", "true"),
        ("date('2024-02-29') = today()", "true"),
        ("${empty} < today()", "false"),
        ("decimal-time('12:00:00')", "0.5"),
    ]);
}

#[test]
fn once_uuid_random() {
    let mut c = ctx();
    assert_eq!(
        eval_str("once(concat('id-', ${age}))", &c)
            .unwrap()
            .string(),
        "id-34"
    );
    c.current = "kept".into();
    assert_eq!(
        eval_str("once(concat('id-', ${age}))", &c)
            .unwrap()
            .string(),
        "kept"
    );
    assert_eq!(
        eval_str("uuid()", &c).unwrap().string(),
        "uuid:4b1c1a52-0000-4000-8000-000000000001"
    );
    assert_eq!(eval_str("random()", &c).unwrap().string(), "0.25");
    assert_eq!(eval_str("int(random() * 100)", &c).unwrap().string(), "25");
}

#[test]
fn choice_filters_see_choice_columns() {
    let mut c = ctx();
    c.set("region", "lazio");
    c.choice.insert("region".into(), "lazio".into());
    assert_eq!(
        eval_str("region = ${region}", &c).unwrap(),
        Value::Bool(true)
    );
    c.choice.insert("region".into(), "sicilia".into());
    assert_eq!(
        eval_str("region = ${region}", &c).unwrap(),
        Value::Bool(false)
    );
}

#[test]
fn errors() {
    let c = ctx();
    assert!(
        eval_str("pulldata('a', 'b', 'c', 'd')", &c)
            .unwrap_err()
            .contains("unknown function")
    );
    assert!(eval_str("${nobody}", &c).unwrap_err().contains("nobody"));
    assert!(eval_str("if(1, 2)", &c).unwrap_err().contains("3"));
    assert!(eval_str("regex('a', '(')", &c).is_err());
    assert!(eval_str("1 +", &c).is_err());
}

/// Found by fuzzing (`ceiling()`): one-argument functions without their argument indexed
/// past the end of the arguments and panicked. Each is now an arity error.
#[test]
fn missing_arguments_are_errors_not_panics() {
    let c = ctx();
    for f in [
        "floor",
        "ceiling",
        "abs",
        "sqrt",
        "exp",
        "log",
        "log10",
        "int",
        "round",
        "not",
        "boolean",
        "number",
        "string-length",
        "normalize-space",
        "concat",
        "coalesce",
        "if",
        "substr",
        "contains",
        "translate",
        "regex",
        "selected",
        "count-selected",
        "selected-at",
        "jr:choice-name",
        "count",
        "sum",
        "max",
        "min",
        "indexed-repeat",
        "once",
        "date",
        "decimal-date-time",
        "decimal-time",
        "format-date",
        "pow",
        "join",
    ] {
        for args in ["", "1", "1, 2"] {
            let _ = eval_str(&format!("{f}({args})"), &c);
        }
    }
    assert_eq!(
        eval_str("ceiling()", &c).unwrap_err(),
        "ceiling() takes 1 argument(s), not 0"
    );
}

/// Parses and evaluates on a thread with the 2 MiB stack of a tokio worker, where the web
/// server evaluates uploaded forms' expressions.
fn on_small_stack(expr: String) -> Result<String, String> {
    std::thread::Builder::new()
        .stack_size(2 << 20)
        .spawn(move || eval_str(&expr, &ctx()).map(|v| v.string()))
        .unwrap()
        .join()
        .expect("no panic")
}

/// Found while fuzzing: the parser, the evaluator and the tree's drop recursed once per
/// bracket, minus sign or operator, so a 20,000-character expression overflowed the stack
/// and aborted the process. Nesting is limited; an expression within the limit works.
#[test]
fn deep_nesting_is_refused_not_a_stack_overflow() {
    for deep in [
        format!("{}1{}", "(".repeat(20_000), ")".repeat(20_000)),
        format!("{}1", "-".repeat(20_000)),
        format!("1{}", " + 1".repeat(20_000)),
        format!("{}1{}", "abs(".repeat(20_000), ")".repeat(20_000)),
        format!("{}1{}", "${age}[".repeat(20_000), "]".repeat(20_000)),
        "1 or ".repeat(20_000) + "1",
    ] {
        let error = on_small_stack(deep).unwrap_err();
        assert!(error.contains("nested"), "{error}");
    }
    let limit = super::MAX_DEPTH;
    let sum = format!("1{}", " + 1".repeat(limit - 1));
    assert_eq!(on_small_stack(sum).unwrap(), limit.to_string());
    let brackets = format!("{}1{}", "(".repeat(limit - 1), ")".repeat(limit - 1));
    assert_eq!(on_small_stack(brackets).unwrap(), "1");
    // Calls around a chain add up: the whole tree is within the limit.
    let both = |calls: usize, chain: usize| {
        format!(
            "{}1{}{}",
            "abs(".repeat(calls),
            " + 1".repeat(chain),
            ")".repeat(calls)
        )
    };
    let half = limit / 2;
    assert_eq!(
        on_small_stack(both(half, limit - half - 1)).unwrap(),
        (limit - half).to_string()
    );
    let error = on_small_stack(both(limit - 1, limit - 1)).unwrap_err();
    assert!(error.contains("nested"), "{error}");
}

mod properties {
    use proptest::prelude::*;

    use super::super::{parse, references};
    use super::ctx;

    /// Pieces of XLSForm expressions: operators, functions, references, literals, paths.
    const PIECES: &[&str] = &[
        "(",
        ")",
        "[",
        "]",
        ",",
        "+",
        "-",
        "*",
        "div",
        "mod",
        "=",
        "!=",
        "<",
        "<=",
        ">",
        ">=",
        "and",
        "or",
        "|",
        "/",
        "//",
        ".",
        "..",
        "@",
        "::",
        "${age}",
        "${member_age}",
        "${name}",
        "${",
        "}",
        "'a'",
        "\"b\"",
        "'",
        "1",
        "0",
        "-1.5",
        "1e3",
        "NaN",
        "if(",
        "concat(",
        "count(",
        "sum(",
        "selected(",
        "count-selected(",
        "jr:choice-name(",
        "indexed-repeat(",
        "position(",
        "today()",
        "now()",
        "date(",
        "format-date(",
        "regex(",
        "substr(",
        "string-length(",
        "round(",
        "pow(",
        "int(",
        "number(",
        "coalesce(",
        "join(",
        "max(",
        "min(",
        "once(",
        "random()",
        "uuid()",
        "decimal-date-time(",
        "digest(",
        "not(",
        "true()",
        "false()",
        "child::",
        "node()",
        "text()",
        "*",
        " ",
    ];

    proptest! {
        #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

        /// Any sequence of expression pieces parses or is refused, and what parses
        /// evaluates or fails with an error: never a panic.
        #[test]
        fn pieces_never_panic(pieces in proptest::collection::vec(proptest::sample::select(PIECES), 0..24)) {
            let text = pieces.concat();
            let _ = references(&text);
            if let Ok(e) = parse(&text) {
                let _ = super::super::evaluate(&e, &ctx());
            }
        }

        /// Any string of the expression alphabet likewise.
        #[test]
        fn any_text_never_panics(text in "[ -~àé€\u{0600}-\u{0605}]{0,40}") {
            let _ = references(&text);
            if let Ok(e) = parse(&text) {
                let _ = super::super::evaluate(&e, &ctx());
            }
        }
    }
}
