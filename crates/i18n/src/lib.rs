//! Every user-visible string goes through here: Fluent messages from `locales/<lang>/*.ftl`
//! (embedded in the binary), the choice of language for a request, and its text direction.
//!
//! Italian and English are complete (the back office and the portal); the other languages
//! cover the public portal, and fall back to Italian for anything else.

use std::collections::HashMap;

use fluent_bundle::concurrent::FluentBundle;
use fluent_bundle::{FluentArgs, FluentResource, FluentValue};
use include_dir::{Dir, include_dir};
use unic_langid::LanguageIdentifier;

static LOCALES: Dir<'_> = include_dir!("$CARGO_MANIFEST_DIR/../../locales");

/// A language the interface speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Language {
    /// BCP 47 tag, also the URL prefix (`/ar/…`).
    pub code: &'static str,
    /// The language's name in itself, for the language switcher.
    pub native_name: &'static str,
    pub rtl: bool,
    /// Complete languages translate the back office too; the others the public portal.
    pub complete: bool,
}

pub const LANGUAGES: &[Language] = &[
    Language {
        code: "it",
        native_name: "Italiano",
        rtl: false,
        complete: true,
    },
    Language {
        code: "en",
        native_name: "English",
        rtl: false,
        complete: true,
    },
    Language {
        code: "fr",
        native_name: "Français",
        rtl: false,
        complete: false,
    },
    Language {
        code: "ar",
        native_name: "العربية",
        rtl: true,
        complete: false,
    },
    Language {
        code: "es",
        native_name: "Español",
        rtl: false,
        complete: false,
    },
    Language {
        code: "uk",
        native_name: "Українська",
        rtl: false,
        complete: false,
    },
];

/// The language content and messages fall back to.
pub const DEFAULT_LANGUAGE: &str = "it";

/// Message ids every portal language must have start with one of these.
pub const PORTAL_PREFIXES: &[&str] = &["common-", "portal-", "need-", "day-", "respond-"];

pub fn language(code: &str) -> Option<&'static Language> {
    LANGUAGES.iter().find(|l| l.code == code)
}

/// The language a page's path starts with (`/ar/…`), if its first segment is one.
pub fn language_of_path(path: &str) -> Option<&'static Language> {
    path.trim_start_matches('/')
        .split('/')
        .next()
        .and_then(language)
}

/// `rtl` or `ltr`, for the `dir` attribute.
pub fn direction(code: &str) -> &'static str {
    if language(code).is_some_and(|l| l.rtl) {
        "rtl"
    } else {
        "ltr"
    }
}

/// Picks the language for a visitor without one in the URL: a supported language cookie
/// first, then the best match in `Accept-Language` (by quality, then order), else Italian.
pub fn negotiate(cookie: Option<&str>, accept_language: Option<&str>) -> &'static str {
    if let Some(l) = cookie.and_then(language) {
        return l.code;
    }
    let mut wanted: Vec<(f32, usize, &str)> = accept_language
        .unwrap_or("")
        .split(',')
        .enumerate()
        .filter_map(|(i, part)| {
            let mut pieces = part.trim().split(';');
            let tag = pieces.next()?.trim();
            let q = pieces
                .find_map(|p| p.trim().strip_prefix("q="))
                .and_then(|q| q.parse::<f32>().ok())
                .unwrap_or(1.0);
            (!tag.is_empty() && q > 0.0).then_some((q, i, tag))
        })
        .collect();
    wanted.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
    wanted
        .iter()
        .find_map(|(_, _, tag)| {
            let primary = tag.split(['-', '_']).next()?.to_ascii_lowercase();
            language(&primary).map(|l| l.code)
        })
        .unwrap_or(DEFAULT_LANGUAGE)
}

type Bundle = FluentBundle<FluentResource>;

/// The embedded messages, parsed once per process and shared by every crate that labels
/// something (the web's pages, the observatory's tables in `crocevia-app`).
pub fn messages() -> &'static Messages {
    static MESSAGES: std::sync::OnceLock<Messages> = std::sync::OnceLock::new();
    MESSAGES.get_or_init(Messages::embedded)
}

/// All messages of all languages, parsed once at start-up.
pub struct Messages {
    bundles: HashMap<&'static str, Bundle>,
}

/// A message argument.
pub enum Arg<'a> {
    Text(&'a str),
    Number(f64),
}

impl Messages {
    /// The messages embedded in the binary. Panics on a syntax error in a shipped `.ftl`
    /// file: a test loads them, so that never reaches a user.
    pub fn embedded() -> Self {
        let mut bundles = HashMap::new();
        for lang in LANGUAGES {
            let id: LanguageIdentifier = lang.code.parse().expect("valid language tag");
            let mut bundle = FluentBundle::new_concurrent(vec![id]);
            // Unicode isolation marks around arguments confuse screen readers and tests; the
            // templates escape and isolate by markup instead.
            bundle.set_use_isolating(false);
            if let Some(dir) = LOCALES.get_dir(lang.code) {
                let mut files: Vec<_> = dir
                    .files()
                    .filter(|f| f.path().extension().is_some_and(|e| e == "ftl"))
                    .collect();
                files.sort_by_key(|f| f.path());
                for file in files {
                    let text = file
                        .contents_utf8()
                        .expect("ftl files are UTF-8")
                        .to_owned();
                    let resource = FluentResource::try_new(text).unwrap_or_else(|(_, errors)| {
                        panic!("{}: {errors:?}", file.path().display())
                    });
                    bundle.add_resource(resource).unwrap_or_else(|errors| {
                        panic!("{}: duplicate messages {errors:?}", file.path().display())
                    });
                }
            }
            bundles.insert(lang.code, bundle);
        }
        Messages { bundles }
    }

    /// The message `id` in `lang`, falling back to Italian. A missing message shows as its id
    /// and is logged; the completeness test keeps that from shipping.
    pub fn get(&self, lang: &str, id: &str, args: &[(&str, Arg<'_>)]) -> String {
        let fluent_args = (!args.is_empty()).then(|| {
            let mut a = FluentArgs::new();
            for (name, value) in args {
                match value {
                    Arg::Text(t) => a.set(*name, FluentValue::from(*t)),
                    Arg::Number(n) => a.set(*name, FluentValue::from(*n)),
                }
            }
            a
        });
        for code in [lang, DEFAULT_LANGUAGE] {
            let Some(bundle) = self.bundles.get(code) else {
                continue;
            };
            if let Some(pattern) = bundle.get_message(id).and_then(|m| m.value()) {
                let mut errors = Vec::new();
                let text = bundle.format_pattern(pattern, fluent_args.as_ref(), &mut errors);
                if !errors.is_empty() {
                    tracing::warn!(id, lang = code, ?errors, "message formatting problem");
                }
                return text.into_owned();
            }
        }
        tracing::error!(id, lang, "missing message");
        id.to_owned()
    }

    /// Whether `lang` has its own message `id` (no fallback).
    pub fn has(&self, lang: &str, id: &str) -> bool {
        self.bundles.get(lang).is_some_and(|b| b.has_message(id))
    }

    /// Every message id of a language, for completeness checks.
    pub fn ids(&self, lang: &str) -> Vec<String> {
        let Some(dir) = LOCALES.get_dir(lang) else {
            return Vec::new();
        };
        let mut ids: Vec<String> = dir
            .files()
            .filter_map(|f| f.contents_utf8())
            .flat_map(|text| {
                text.lines()
                    .filter(|l| l.chars().next().is_some_and(|c| c.is_ascii_alphabetic()))
                    .filter_map(|l| l.split_once('=').map(|(id, _)| id.trim().to_owned()))
                    .collect::<Vec<_>>()
            })
            .collect();
        ids.sort();
        ids
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_url_cookie_and_header_choose_in_that_order() {
        assert_eq!(negotiate(Some("ar"), Some("fr")), "ar");
        assert_eq!(negotiate(Some("xx"), Some("fr-FR,fr;q=0.9,en;q=0.8")), "fr");
        assert_eq!(negotiate(None, Some("de-DE,en;q=0.5,uk;q=0.7")), "uk");
        assert_eq!(negotiate(None, Some("de")), "it");
        assert_eq!(negotiate(None, None), "it");
    }

    #[test]
    fn arabic_is_right_to_left() {
        assert_eq!(direction("ar"), "rtl");
        assert_eq!(direction("it"), "ltr");
    }

    #[test]
    fn every_shipped_file_parses_and_messages_fall_back_to_italian() {
        let m = Messages::embedded();
        assert_eq!(m.get("it", "common-site-name", &[]), "Crocevia");
        assert!(!m.has("zz", "common-site-name"));
        assert_eq!(m.get("zz", "common-site-name", &[]), "Crocevia");
        assert_eq!(m.get("it", "no-such-message", &[]), "no-such-message");
    }

    #[test]
    fn complete_languages_have_every_message_and_portal_languages_the_portal() {
        let m = Messages::embedded();
        let all = m.ids(DEFAULT_LANGUAGE);
        assert!(all.len() > 20);
        for lang in LANGUAGES {
            let missing: Vec<&String> = all
                .iter()
                .filter(|id| lang.complete || PORTAL_PREFIXES.iter().any(|p| id.starts_with(p)))
                .filter(|id| !m.has(lang.code, id))
                .collect();
            assert!(missing.is_empty(), "{} lacks {missing:?}", lang.code);
            let extra: Vec<String> = m
                .ids(lang.code)
                .into_iter()
                .filter(|id| !m.has("it", id))
                .collect();
            assert!(
                extra.is_empty(),
                "{} has messages Italian lacks: {extra:?}",
                lang.code
            );
        }
    }
}
