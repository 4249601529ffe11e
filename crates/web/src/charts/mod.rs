//! Server-rendered SVG charts: a choropleth map ([`choropleth`]), a line chart for time series
//! ([`line`]) and a horizontal bar chart for breakdowns ([`bar`]). No JavaScript: each returns
//! an `<svg role="img">` whose accessible name is the figure's caption (by id), and every page
//! that shows one puts the same figures in an HTML table beside it.
//!
//! Numbers are written as the page's language writes them ([`format_number`]). Colours are a
//! sequential palette of one hue whose lightness falls steadily, readable with any colour
//! vision; map borders are a mid grey, visible on the lightest and the darkest class; cells
//! withheld by disclosure control ("<5") and missing figures have their own patterns, not
//! colours of the scale.

pub mod bar;
pub mod choropleth;
pub mod figure;
pub mod line;
pub mod maps;

use crocevia_core::stat_table::TableValue;

/// Five classes, light to dark (lightness 95% → 22%): a single blue hue, safe for the common
/// colour-vision deficiencies; neighbouring classes differ clearly in lightness.
pub const PALETTE: [&str; 5] = ["#e6eef7", "#a9c6e4", "#5f95c9", "#2a62a3", "#0c3266"];

/// The colour of text drawn on each class.
pub const PALETTE_INK: [&str; 5] = ["#000", "#000", "#000", "#fff", "#fff"];

/// The `<defs>` with the patterns for hidden and missing cells (ids prefixed by `id`).
pub(crate) fn pattern_defs(id: &str) -> String {
    format!(
        concat!(
            r##"<defs><pattern id="{id}-hidden" width="6" height="6" patternUnits="userSpaceOnUse" patternTransform="rotate(45)">"##,
            r##"<rect width="6" height="6" fill="#fff"/><line x1="0" y1="0" x2="0" y2="6" stroke="#7a4b00" stroke-width="2.5"/></pattern>"##,
            r##"<pattern id="{id}-missing" width="5" height="5" patternUnits="userSpaceOnUse">"##,
            r##"<rect width="5" height="5" fill="#f2f2f2"/><circle cx="2.5" cy="2.5" r="0.9" fill="#666"/></pattern></defs>"##
        ),
        id = id
    )
}

/// Escapes text for XML content and attribute values.
pub fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// The separators a language writes numbers with: (thousands, decimals).
fn separators(lang: &str) -> (&'static str, char) {
    match lang {
        "en" => (",", '.'),
        // Narrow no-break space, as French and Ukrainian typography want.
        "fr" | "uk" => ("\u{202f}", ','),
        _ => (".", ','),
    }
}

/// A number as `lang` writes it: `23.047` in Italian, `23,047` in English, with `decimals`
/// places.
pub fn format_number(lang: &str, n: f64, decimals: u8) -> String {
    let (group, point) = separators(lang);
    let text = format!("{:.*}", usize::from(decimals), n.abs());
    let (whole, fraction) = text.split_once('.').unwrap_or((&text, ""));
    let mut out = String::new();
    if n < 0.0 && text.bytes().any(|b| (b'1'..=b'9').contains(&b)) {
        out.push('-');
    }
    for (i, c) in whole.chars().enumerate() {
        if i > 0 && (whole.len() - i) % 3 == 0 {
            out.push_str(group);
        }
        out.push(c);
    }
    if !fraction.is_empty() {
        out.push(point);
        out.push_str(fraction);
    }
    out
}

/// A cell as text: the number, `hidden` (the table's "<5") when hidden, `–` when missing.
pub fn format_value(lang: &str, value: TableValue, decimals: u8, hidden: &str) -> String {
    match value {
        TableValue::Number(n) => format_number(lang, n, decimals),
        TableValue::Hidden => hidden.to_owned(),
        TableValue::Missing => "–".to_owned(),
    }
}

/// Class breaks for a choropleth: up to `classes - 1` thresholds at the quantiles of the
/// values, rounded to two significant digits (so the legend reads 5,000 – 10,000 rather than
/// 4,987 – 10,213) and deduplicated. A value `v` is in class `i` when `i` thresholds are ≤ `v`.
pub fn quantile_breaks(values: &[f64], classes: usize) -> Vec<f64> {
    let mut sorted: Vec<f64> = values.iter().copied().filter(|v| v.is_finite()).collect();
    sorted.sort_by(f64::total_cmp);
    if sorted.len() < 2 || classes < 2 {
        return Vec::new();
    }
    let (min, max) = (sorted[0], sorted[sorted.len() - 1]);
    let mut breaks: Vec<f64> = Vec::new();
    for k in 1..classes {
        let q = k as f64 / classes as f64;
        let position = q * (sorted.len() - 1) as f64;
        let (lo, hi) = (position.floor() as usize, position.ceil() as usize);
        let raw = sorted[lo] + (sorted[hi] - sorted[lo]) * (position - lo as f64);
        let nice = round_significant(raw, 2);
        if nice > min && nice <= max && breaks.last().is_none_or(|b| *b < nice) {
            breaks.push(nice);
        }
    }
    breaks
}

/// `x` rounded to `digits` significant digits (at least to units for numbers ≥ 1).
pub fn round_significant(x: f64, digits: i32) -> f64 {
    if x == 0.0 || !x.is_finite() {
        return x;
    }
    let magnitude = x.abs().log10().floor() as i32;
    let factor = 10f64.powi(magnitude - digits + 1);
    (x / factor).round() * factor
}

/// The class of `value` given `breaks` (see [`quantile_breaks`]).
pub fn class_of(value: f64, breaks: &[f64]) -> usize {
    breaks.iter().filter(|b| **b <= value).count()
}

/// A "nice" upper bound for an axis starting at 0, and its tick step: 1, 2 or 5 × 10^k,
/// with 4 to 6 ticks.
pub fn nice_axis(max: f64) -> (f64, f64) {
    if !(max.is_finite() && max > 0.0) {
        return (1.0, 0.25);
    }
    let raw_step = max / 5.0;
    let magnitude = 10f64.powf(raw_step.log10().floor());
    let step = [1.0, 2.0, 2.5, 5.0, 10.0]
        .into_iter()
        .map(|m| m * magnitude)
        .find(|s| *s >= raw_step)
        .unwrap_or(10.0 * magnitude);
    ((max / step).ceil() * step, step)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_follow_the_language() {
        assert_eq!(format_number("it", 23_047.0, 0), "23.047");
        assert_eq!(format_number("en", 23_047.0, 0), "23,047");
        assert_eq!(format_number("it", 5_141_341.0, 0), "5.141.341");
        assert_eq!(format_number("en", 1234.5, 1), "1,234.5");
        assert_eq!(format_number("it", 1234.5, 1), "1.234,5");
        assert_eq!(format_number("fr", 1234.0, 0), "1\u{202f}234");
        assert_eq!(format_number("it", 999.0, 0), "999");
        assert_eq!(format_number("it", -12_345.0, 0), "-12.345");
        assert_eq!(format_number("en", -0.01, 0), "0");
        assert_eq!(format_value("it", TableValue::Hidden, 0, "<3"), "<3");
        assert_eq!(format_value("it", TableValue::Missing, 0, "<3"), "–");
    }

    #[test]
    fn breaks_are_rounded_quantiles() {
        let values: Vec<f64> = (1..=100).map(f64::from).collect();
        assert_eq!(quantile_breaks(&values, 5), vec![21.0, 41.0, 60.0, 80.0]);
        assert_eq!(class_of(1.0, &[21.0, 41.0]), 0);
        assert_eq!(class_of(21.0, &[21.0, 41.0]), 1);
        assert_eq!(class_of(1000.0, &[21.0, 41.0]), 2);
        // Skewed, like foreign residents by province: thresholds stay increasing and within
        // the data.
        let skewed = [800.0, 1_200.0, 4_987.0, 10_213.0, 23_047.0, 480_000.0];
        let breaks = quantile_breaks(&skewed, 5);
        assert!(breaks.windows(2).all(|w| w[0] < w[1]), "{breaks:?}");
        assert_eq!(breaks[0], 1_200.0);
        assert!(breaks.iter().all(|b| *b > 800.0 && *b <= 480_000.0));
        // Equal values: one class, no thresholds.
        assert_eq!(quantile_breaks(&[7.0, 7.0, 7.0], 5), Vec::<f64>::new());
        assert_eq!(quantile_breaks(&[7.0], 5), Vec::<f64>::new());
    }

    #[test]
    fn significant_digits_and_axes() {
        assert_eq!(round_significant(4_987.0, 2), 5_000.0);
        assert_eq!(round_significant(10_213.0, 2), 10_000.0);
        assert_eq!(round_significant(0.0, 2), 0.0);
        assert_eq!(nice_axis(5_141_341.0), (6_000_000.0, 2_000_000.0));
        assert_eq!(nice_axis(23_047.0), (25_000.0, 5_000.0));
        assert_eq!(nice_axis(0.0), (1.0, 0.25));
    }

    #[test]
    fn text_is_escaped() {
        assert_eq!(esc("L'Aquila <&> \""), "L&#39;Aquila &lt;&amp;&gt; &quot;");
    }

    #[test]
    fn the_palette_gets_darker_step_by_step() {
        // Relative luminance (WCAG) of each class falls, and adjacent classes differ.
        let luminance = |hex: &str| {
            let channel = |i: usize| {
                let c = f64::from(u8::from_str_radix(&hex[i..i + 2], 16).unwrap()) / 255.0;
                if c <= 0.03928 {
                    c / 12.92
                } else {
                    ((c + 0.055) / 1.055).powf(2.4)
                }
            };
            0.2126 * channel(1) + 0.7152 * channel(3) + 0.0722 * channel(5)
        };
        let l: Vec<f64> = PALETTE.iter().map(|c| luminance(c)).collect();
        for w in l.windows(2) {
            let ratio = (w[0] + 0.05) / (w[1] + 0.05);
            assert!(ratio > 1.4, "adjacent classes too close: {l:?}");
        }
        // The lightest class is still visible against the white page (borders are drawn).
        assert!(l[0] < 0.9);
    }
}
