//! Finding `${name}` references in any cell, expression or label.

/// One `${name}` (or `${last-saved#name}`) in a text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reference {
    /// The referenced question's name.
    pub name: String,
    /// `${last-saved#name}`: the value from the last saved submission.
    pub last_saved: bool,
    /// Byte offset of the `$` in the text.
    pub offset: usize,
}

/// Every `${...}` in `text`, in order. An `Err` describes a malformed one (no closing brace,
/// an empty or invalid name) in words for a form author.
pub fn references(text: &str) -> Result<Vec<Reference>, String> {
    let mut out = Vec::new();
    let mut rest = text;
    let mut base = 0;
    while let Some(i) = rest.find("${") {
        let after = &rest[i + 2..];
        let Some(end) = after.find('}') else {
            return Err(format!(
                "'{}' opens a reference with '${{' but never closes it with '}}'.",
                &rest[i..]
            ));
        };
        let inner = after[..end].trim();
        let (name, last_saved) = match inner.strip_prefix("last-saved#") {
            Some(n) => (n, true),
            None => (inner, false),
        };
        if !crate::names::is_xml_name(name) {
            return Err(format!(
                "'${{{inner}}}' is not a reference to a question name."
            ));
        }
        out.push(Reference {
            name: name.to_string(),
            last_saved,
            offset: base + i,
        });
        base += i + 2 + end + 1;
        rest = &after[end + 1..];
    }
    Ok(out)
}
