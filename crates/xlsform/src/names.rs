//! XML's rule for names: a form's names become element names in the XForm, and expressions
//! refer to them, so the validator and the expression parser both check it.

/// XML's name rule (names become element names in the XForm).
pub fn is_xml_name(s: &str) -> bool {
    let mut chars = s.chars();
    let Some(first) = chars.next() else {
        return false;
    };
    (first.is_alphabetic() || first == '_' || first == ':')
        && chars.all(|c| {
            c.is_alphanumeric() || matches!(c, '_' | '-' | '.' | ':' | '\u{B7}') || is_combining(c)
        })
}

fn is_combining(c: char) -> bool {
    matches!(c as u32, 0x0300..=0x036F | 0x203F..=0x2040)
}

/// The naming rule, as a form author reads it.
pub(crate) const NAME_RULE: &str = "Names must begin with a letter or underscore; after the first character they may contain letters, digits, underscores, hyphens and periods.";
