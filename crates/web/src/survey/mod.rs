//! Needs-assessment surveys: coordinators upload XLSForms and deploy versions
//! ([`manage`]), respondents fill them in at a share link in their language ([`respond`],
//! evaluated server-side by [`crocevia_xlsform::fill`]), and the answers are analysed with disclosure
//! control ([`analysis`]) and exported ([`export`]).

pub mod analysis;
pub mod disclosure;
pub mod export;
pub mod manage;
pub mod respond;

use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};

use crocevia_store::survey::FormVersion;
use crocevia_xlsform::Form;

use crate::AppState;
use crate::error::{AppError, ErrorCode};

/// The parsed form of a version, read from its stored file once per process (versions never
/// change once uploaded).
pub async fn form_of(state: &AppState, version: &FormVersion) -> Result<Arc<Form>, AppError> {
    static CACHE: OnceLock<Mutex<HashMap<String, Arc<Form>>>> = OnceLock::new();
    let cache = CACHE.get_or_init(Mutex::default);
    if let Some(form) = cache.lock().ok().and_then(|c| c.get(&version.id).cloned()) {
        return Ok(form);
    }
    let bytes = state
        .store
        .version_file(&version.id)
        .await?
        .ok_or_else(|| AppError::not_found("form version", &version.id))?;
    let form = Arc::new(read_form(&version.file_name, &bytes).map_err(|e| {
        AppError::new(
            axum::http::StatusCode::INTERNAL_SERVER_ERROR,
            ErrorCode::UnreadableForm,
            format!("the stored form could not be read: {e}"),
        )
    })?);
    if let Ok(mut c) = cache.lock() {
        if c.len() > 64 {
            c.clear();
        }
        c.insert(version.id.clone(), form.clone());
    }
    Ok(form)
}

/// Reads an uploaded form by its file name: XLSForm CSV, else a spreadsheet.
pub fn read_form(file_name: &str, bytes: &[u8]) -> Result<Form, crocevia_xlsform::ReadError> {
    if file_name.to_ascii_lowercase().ends_with(".csv") {
        crocevia_xlsform::read_csv(bytes)
    } else {
        crocevia_xlsform::read_xlsx(bytes)
    }
}

/// The language code in a form language header: `Italiano (it)` → `it`, `english` → `en`.
pub fn language_code(header: &str) -> Option<&str> {
    let coded = header
        .rfind('(')
        .zip(header.rfind(')'))
        .filter(|(open, close)| open < close)
        .map(|(open, close)| header[open + 1..close].trim());
    coded.or_else(|| code_of_name(header))
}

/// The code of a language a form names without one (`label::english`, as KoBo and REACH
/// forms do), in English, Italian or the language itself.
fn code_of_name(name: &str) -> Option<&'static str> {
    const NAMES: &[(&str, &[&str])] = &[
        ("it", &["italian", "italiano"]),
        ("en", &["english", "inglese"]),
        ("fr", &["french", "français", "francais", "francese"]),
        ("ar", &["arabic", "arabo", "العربية"]),
        ("es", &["spanish", "español", "espanol", "spagnolo"]),
        ("uk", &["ukrainian", "ucraino", "українська"]),
        ("ru", &["russian", "russo", "русский"]),
        ("sq", &["albanian", "albanese", "shqip"]),
        ("ro", &["romanian", "rumeno", "română", "romana"]),
        ("zh", &["chinese", "cinese", "中文"]),
        ("bn", &["bengali", "bangla", "বাংলা"]),
        ("ur", &["urdu", "اردو"]),
        ("pa", &["punjabi", "panjabi", "ਪੰਜਾਬੀ"]),
        ("fil", &["filipino", "tagalog"]),
        (
            "fa",
            &["persian", "farsi", "dari", "persiano", "فارسی", "دری"],
        ),
        ("ti", &["tigrinya", "tigrino", "ትግርኛ"]),
    ];
    let name = name.trim().to_lowercase();
    NAMES
        .iter()
        .find(|(_, names)| names.contains(&name.as_str()))
        .map(|(code, _)| *code)
}

/// The form language to show on a page in `page_lang`: the one with that code, else the
/// respondent's earlier choice, else the form's default, else its first.
pub fn form_language(form: &Form, page_lang: &str, earlier: Option<&str>) -> String {
    let langs = &form.languages;
    langs
        .iter()
        .find(|l| language_code(l) == Some(page_lang))
        .or_else(|| earlier.and_then(|e| langs.iter().find(|l| l.as_str() == e)))
        .or_else(|| {
            form.settings
                .default_language
                .as_deref()
                .and_then(|d| langs.iter().find(|l| l.as_str() == d))
        })
        .or_else(|| langs.first())
        .cloned()
        .unwrap_or_default()
}

/// The title of a form in a language.
pub fn form_title(form: &Form, file_name: &str) -> String {
    form.settings
        .form_title
        .clone()
        .filter(|t| !t.trim().is_empty())
        .unwrap_or_else(|| {
            file_name
                .rsplit_once('.')
                .map_or(file_name, |(stem, _)| stem)
                .to_owned()
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn language_codes_come_from_headers() {
        assert_eq!(language_code("Italiano (it)"), Some("it"));
        assert_eq!(language_code("العربية (ar)"), Some("ar"));
        // Forms that name their languages without a code (`label::english`).
        assert_eq!(language_code("English"), Some("en"));
        assert_eq!(language_code("français"), Some("fr"));
        assert_eq!(language_code("العربية"), Some("ar"));
        assert_eq!(language_code("Klingon"), None);
    }
}
