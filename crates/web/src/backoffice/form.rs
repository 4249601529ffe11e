//! What back-office forms share: the posted fields (repeated names kept, which
//! `application/x-www-form-urlencoded` allows and checkbox groups need), field errors for the
//! page, and the check every editing page starts with.

use crocevia_core::hsds::Problem;

/// A message about one field, shown beside it and in the summary at the top of the page.
#[derive(Debug, Clone)]
pub struct FieldError {
    /// The form field's name (the summary links to it), or empty for the whole form.
    pub field: String,
    pub message: String,
}

/// Errors by field, for a template.
#[derive(Debug, Default)]
pub struct Errors(pub Vec<FieldError>);

impl Errors {
    pub fn add(&mut self, field: &str, message: String) {
        self.0.push(FieldError {
            field: field.to_owned(),
            message,
        });
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The message for `field`, or empty.
    pub fn of(&self, field: &str) -> String {
        self.0
            .iter()
            .filter(|e| e.field == field)
            .map(|e| e.message.as_str())
            .collect::<Vec<_>>()
            .join(" ")
    }

    /// The validator's problems with a saved batch, on the fields they name when the form
    /// has them (`known(path, field)` maps a problem to a form field, or `None`).
    pub fn from_problems(
        problems: &[Problem],
        known: impl Fn(&str, &str) -> Option<String>,
    ) -> Errors {
        let mut errors = Errors::default();
        for p in problems {
            let field =
                known(&p.origin.path, p.field.as_deref().unwrap_or_default()).unwrap_or_default();
            let message = match &p.field {
                Some(f) if field.is_empty() => format!("{f}: {}", p.message),
                _ => p.message.clone(),
            };
            errors.add(&field, message);
        }
        errors
    }
}
