//! The needs taxonomy: the categories a desk records a need under and the directory tags its
//! services with (documents and permits, asylum, health, housing, work, …).
//!
//! The terms are data, `data/taxonomy/needs.toml`, embedded in the binary and parsed once. Each
//! term has a stable ASCII `code`, an optional parent and, in every supported language, a short
//! name, a one-sentence description and the everyday words people use for it, so that a search
//! for "doctor", "medico" or "طبيب" reaches the same term ([`match_terms`]).
//!
//! Ids are UUID v5 derived from the codes ([`term_id`], [`TAXONOMY_ID`]), so every install gives
//! a term the same id and exported directories agree. [`to_hsds_records`] gives the taxonomy as
//! HSDS rows: the Italian labels on `taxonomy_term`, the other languages (and the Italian
//! synonyms, which HSDS has no field for) as rows of our `translation` extension.

use std::collections::BTreeMap;
use std::sync::LazyLock;

use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::hsds::Record;
use crate::text::{fold, is_apostrophe, is_cyrillic, is_mark};

/// The languages every term is labelled in (BCP 47 tags), Italian first.
pub const LANGUAGES: &[&str] = &["it", "en", "fr", "ar", "es", "uk"];

/// The language of the labels on the HSDS `taxonomy_term` rows; the others are translations.
pub const BASE_LANGUAGE: &str = "it";

/// Namespace of every UUID this module derives. It was computed once as
/// `Uuid::new_v5(&Uuid::NAMESPACE_URL, b"urn:crocevia:taxonomy:needs")` and is written out as a
/// literal so that it can never drift: changing it would change every term id of every install.
pub const ID_NAMESPACE: Uuid = Uuid::from_u128(0x75c5_8b0a_58ad_534c_80c5_05d9_8905_ae44);

/// Id of the taxonomy itself: `Uuid::new_v5(&ID_NAMESPACE, b"taxonomy")`.
pub const TAXONOMY_ID: &str = "13d540b5-e628-5947-86a0-001bd89d5ba3";

/// Name of the taxonomy in HSDS exports.
pub const TAXONOMY_NAME: &str = "Crocevia needs taxonomy";

/// Version of the taxonomy in HSDS exports; bump it when terms are added or relabelled.
pub const TAXONOMY_VERSION: &str = "1";

const TAXONOMY_DESCRIPTION: &str = "The needs a desk records and the directory's services are \
     tagged with, for the networks of public offices and NGOs serving migrants in Italy. Labels \
     and synonyms in Italian, English, French, Arabic, Spanish and Ukrainian are in the \
     translation table.";

const NEEDS_TOML: &str = include_str!("../../../data/taxonomy/needs.toml");

/// What a term is called in one language.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Label {
    /// Short plain-language label.
    pub name: String,
    /// One sentence.
    pub description: String,
    /// Everyday words for the same thing; matched like the name.
    #[serde(default)]
    pub synonyms: Vec<String>,
}

/// One category of need.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct NeedTerm {
    /// Stable ASCII code (`health.primary_care`); the id is derived from it.
    pub code: String,
    /// Code of the broader term, if any.
    pub parent: Option<String>,
    /// Label by language, one for each of [`LANGUAGES`].
    pub labels: BTreeMap<String, Label>,
}

impl NeedTerm {
    /// The term's UUID, [`term_id`] of its code.
    pub fn id(&self) -> String {
        term_id(&self.code)
    }

    /// The label in `lang`, or the Italian one when the language is not supported.
    pub fn label(&self, lang: &str) -> &Label {
        self.labels
            .get(lang)
            .or_else(|| self.labels.get(BASE_LANGUAGE))
            .expect("every term has an Italian label")
    }
}

/// The file's shape: one table per term, one sub-table per language.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct NeedsFile {
    term: Vec<RawTerm>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawTerm {
    code: String,
    parent: Option<String>,
    it: Label,
    en: Label,
    fr: Label,
    ar: Label,
    es: Label,
    uk: Label,
}

fn parse(text: &str) -> Result<Vec<NeedTerm>, toml::de::Error> {
    let file: NeedsFile = toml::from_str(text)?;
    Ok(file
        .term
        .into_iter()
        .map(|t| NeedTerm {
            code: t.code,
            parent: t.parent,
            labels: [
                ("it", t.it),
                ("en", t.en),
                ("fr", t.fr),
                ("ar", t.ar),
                ("es", t.es),
                ("uk", t.uk),
            ]
            .into_iter()
            .map(|(lang, label)| (lang.to_owned(), label))
            .collect(),
        })
        .collect())
}

static TAXONOMY: LazyLock<Vec<NeedTerm>> = LazyLock::new(|| {
    parse(NEEDS_TOML).expect("the embedded data/taxonomy/needs.toml is valid (see its tests)")
});

/// Every term, parents before their children, in the order of the data file.
pub fn needs_taxonomy() -> &'static [NeedTerm] {
    &TAXONOMY
}

/// The term with this code.
pub fn term(code: &str) -> Option<&'static NeedTerm> {
    needs_taxonomy().iter().find(|t| t.code == code)
}

/// A code of the needs taxonomy (`health.primary_care`): what the desk records for a need and
/// the observatory counts by. It is not the HSDS `taxonomy_term` id, a UUID derived from it
/// ([`TermCode::hsds_id`]); both used to be plain strings named `term_id`, and a need recorded
/// at the desk (a code) was looked up by the observatory as a UUID and never counted.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct TermCode(String);

impl TermCode {
    /// A code as stored, even one the taxonomy no longer lists (old records keep theirs).
    pub fn new(code: impl Into<String>) -> Self {
        TermCode(code.into())
    }

    /// A code the taxonomy lists, for input.
    pub fn known(code: &str) -> Option<Self> {
        term(code).map(|t| TermCode(t.code.clone()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The taxonomy's term, if it lists this code.
    pub fn term(&self) -> Option<&'static NeedTerm> {
        term(&self.0)
    }

    /// The id of the HSDS `taxonomy_term` row for this code.
    pub fn hsds_id(&self) -> String {
        term_id(&self.0)
    }
}

impl std::fmt::Display for TermCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// The deterministic id of the term with this code (UUID v5 of `term:{code}` in
/// [`ID_NAMESPACE`]), the same on every install. It does not check that the code exists.
pub fn term_id(code: &str) -> String {
    derived_id(&format!("term:{code}"))
}

/// Id of the `translation` row of a term in a language (`translation:{code}:{lang}`).
fn translation_id(code: &str, lang: &str) -> String {
    derived_id(&format!("translation:{code}:{lang}"))
}

fn derived_id(name: &str) -> String {
    Uuid::new_v5(&ID_NAMESPACE, name.as_bytes())
        .hyphenated()
        .to_string()
}

// ---------------------------------------------------------------------------------------------
// Matching
// ---------------------------------------------------------------------------------------------

/// Normalised words of every name and synonym of each term, in taxonomy order.
static PHRASES: LazyLock<Vec<Vec<Vec<String>>>> = LazyLock::new(|| {
    needs_taxonomy()
        .iter()
        .map(|term| {
            let mut phrases: Vec<Vec<String>> = term
                .labels
                .values()
                .flat_map(|l| std::iter::once(&l.name).chain(&l.synonyms))
                .map(|p| words(p))
                .filter(|w| !w.is_empty())
                .collect();
            phrases.sort();
            phrases.dedup();
            phrases
        })
        .collect()
});

/// The terms whose name or a synonym, in any language, matches `query`: the query's words,
/// ignoring case, accents, Arabic vowel marks and letter variants, are the whole phrase or a
/// run of whole words in it ("medico" matches "medico di base", "medic" does not). Terms the
/// query names exactly come first, then the others, each group in taxonomy order. A query of
/// only short function words ("di", "the", "في") matches nothing.
pub fn match_terms(query: &str) -> Vec<&'static NeedTerm> {
    let query = words(query);
    if query.iter().all(|w| is_stopword(w)) {
        return Vec::new();
    }
    let mut exact = Vec::new();
    let mut partial = Vec::new();
    for (term, phrases) in needs_taxonomy().iter().zip(PHRASES.iter()) {
        if phrases.contains(&query) {
            exact.push(term);
        } else if phrases.iter().any(|p| contains_run(p, &query)) {
            partial.push(term);
        }
    }
    exact.extend(partial);
    exact
}

fn contains_run(phrase: &[String], query: &[String]) -> bool {
    query.len() <= phrase.len() && phrase.windows(query.len()).any(|w| w == query)
}

/// Words too common to match on their own.
fn is_stopword(word: &str) -> bool {
    #[rustfmt::skip]
    const STOPWORDS: &[&str] = &[
        // it
        "a", "ai", "al", "alla", "che", "con", "d", "da", "dei", "del", "della", "delle", "di",
        "e", "gli", "i", "il", "in", "l", "la", "le", "lo", "mi", "mio", "mia", "nel", "nella",
        "non", "o", "per", "senza", "su", "sul", "sulla", "un", "una",
        // en
        "an", "and", "at", "by", "for", "from", "i", "is", "it", "me", "my", "of", "on", "or",
        "s", "the", "to", "with", "without", "your",
        // fr
        "au", "aux", "de", "des", "du", "en", "et", "j", "ma", "mes", "moi", "mon", "ou",
        "pour", "qu", "que", "sans",
        // es
        "el", "los", "las", "mis", "para", "que", "sin", "y",
        // uk
        "в", "й", "на", "до", "для", "з", "із", "та", "у", "і", "без", "за", "про", "по", "чи",
        "або", "мені", "мій", "моя",
        // ar (normalised: الى for إلى)
        "في", "من", "و", "الى", "على", "عن", "بدون", "غير", "او",
    ];
    STOPWORDS.contains(&word)
}

/// Splits text into normalised words: lowercase, Latin diacritics folded (`é` → `e`,
/// `œ` → `oe`), Arabic vowel marks and tatweel removed, alef forms unified, taa marbuta as haa,
/// alef maqsura as yaa, a leading definite article `ال` dropped from longer words, `ґ` → `г`,
/// `ё` → `е`. An apostrophe inside a Cyrillic word is part of it (сім'я); elsewhere it
/// separates words (l'impiego).
fn words(text: &str) -> Vec<String> {
    let chars: Vec<char> = text.chars().collect();
    let mut flat = String::with_capacity(text.len());
    for (i, &c) in chars.iter().enumerate() {
        if is_apostrophe(c) {
            let inside_cyrillic = i > 0
                && is_cyrillic(chars[i - 1])
                && chars.get(i + 1).copied().is_some_and(is_cyrillic);
            if !inside_cyrillic {
                flat.push(' ');
            }
            continue;
        }
        if is_mark(c) {
            continue;
        }
        for lower in c.to_lowercase() {
            fold(lower, &mut flat);
        }
    }
    flat.split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(|w| match w.strip_prefix("ال") {
            Some(rest) if rest.chars().count() >= 2 => rest.to_owned(),
            _ => w.to_owned(),
        })
        .collect()
}

// ---------------------------------------------------------------------------------------------
// HSDS
// ---------------------------------------------------------------------------------------------

/// The taxonomy as HSDS 3.0 rows: one `taxonomy`, one `taxonomy_term` per term (Italian
/// labels) and `translation` rows: every other language of every term, plus the Italian
/// synonyms (HSDS has no field for them). Synonyms are joined with `"; "`.
pub fn to_hsds_records() -> Vec<Record> {
    let terms = needs_taxonomy();
    let mut records = Vec::with_capacity(1 + terms.len() * (1 + LANGUAGES.len()));
    records.push(
        Record::new("taxonomy", TAXONOMY_ID)
            .with("name", TAXONOMY_NAME)
            .with("description", TAXONOMY_DESCRIPTION)
            .with("version", TAXONOMY_VERSION),
    );
    for term in terms {
        let it = term.label(BASE_LANGUAGE);
        let mut record = Record::new("taxonomy_term", term.id())
            .with("code", term.code.as_str())
            .with("name", it.name.as_str())
            .with("description", it.description.as_str())
            .with("taxonomy_id", TAXONOMY_ID)
            .with("language", BASE_LANGUAGE);
        if let Some(parent) = &term.parent {
            record.set("parent_id", term_id(parent));
        }
        records.push(record);
    }
    for term in terms {
        for &lang in LANGUAGES {
            let Some(label) = term.labels.get(lang) else {
                continue;
            };
            let mut record = Record::new("translation", translation_id(&term.code, lang))
                .with("link_id", term.id())
                .with("link_entity", "taxonomy_term")
                .with("language", lang);
            if lang != BASE_LANGUAGE {
                record.set("name", label.name.as_str());
                record.set("description", label.description.as_str());
            } else if label.synonyms.is_empty() {
                continue;
            }
            if !label.synonyms.is_empty() {
                record.set("synonyms", label.synonyms.join("; "));
            }
            records.push(record);
        }
    }
    records
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;

    use super::*;
    use crate::hsds::validate::validate;
    use crate::hsds::{Origin, SourcedRecord};

    fn codes(terms: &[&NeedTerm]) -> Vec<String> {
        terms.iter().map(|t| t.code.clone()).collect()
    }

    #[test]
    fn the_embedded_file_parses_into_a_taxonomy_of_the_expected_size() {
        let terms = needs_taxonomy();
        assert!((40..=70).contains(&terms.len()), "{} terms", terms.len());
        let top = terms.iter().filter(|t| t.parent.is_none()).count();
        assert!((12..=20).contains(&top), "{top} top-level terms");
    }

    #[test]
    fn every_term_is_labelled_in_every_language() {
        for term in needs_taxonomy() {
            let langs: Vec<&str> = term.labels.keys().map(String::as_str).collect();
            let mut expected = LANGUAGES.to_vec();
            expected.sort_unstable();
            assert_eq!(langs, expected, "{}", term.code);
            for (lang, label) in &term.labels {
                assert!(!label.name.trim().is_empty(), "{} {lang}: name", term.code);
                assert!(
                    !label.description.trim().is_empty(),
                    "{} {lang}: description",
                    term.code
                );
                assert!(
                    label.synonyms.iter().all(|s| !words(s).is_empty()),
                    "{} {lang}: a synonym with no words",
                    term.code
                );
            }
        }
    }

    #[test]
    fn arabic_and_ukrainian_labels_are_in_their_scripts() {
        let arabic = |c: char| matches!(c, '\u{0600}'..='\u{06FF}');
        for term in needs_taxonomy() {
            assert!(term.label("ar").name.chars().any(arabic), "{}", term.code);
            assert!(
                term.label("ar").description.chars().any(arabic),
                "{}",
                term.code
            );
            assert!(
                term.label("uk").name.chars().any(is_cyrillic),
                "{}",
                term.code
            );
            assert!(
                term.label("uk").description.chars().any(is_cyrillic),
                "{}",
                term.code
            );
        }
    }

    #[test]
    fn codes_are_unique_ascii_and_parents_come_first() {
        let mut seen = HashSet::new();
        for term in needs_taxonomy() {
            assert!(
                term.code
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c == '_' || c == '.'),
                "{}",
                term.code
            );
            if let Some(parent) = &term.parent {
                assert!(
                    seen.contains(parent.as_str()),
                    "{}: parent {parent}",
                    term.code
                );
                assert!(
                    term.code.starts_with(&format!("{parent}.")),
                    "{}",
                    term.code
                );
            } else {
                assert!(!term.code.contains('.'), "{}", term.code);
            }
            assert!(seen.insert(term.code.as_str()), "duplicate {}", term.code);
        }
    }

    #[test]
    fn ids_are_stable() {
        assert_eq!(
            Uuid::new_v5(&Uuid::NAMESPACE_URL, b"urn:crocevia:taxonomy:needs"),
            ID_NAMESPACE
        );
        assert_eq!(
            Uuid::new_v5(&ID_NAMESPACE, b"taxonomy").to_string(),
            TAXONOMY_ID
        );
        assert_eq!(
            term_id("health.primary_care"),
            "498174bc-e9c1-58b2-ba4b-1676ab29aeee"
        );
        assert_eq!(
            term("health.primary_care").unwrap().id(),
            term_id("health.primary_care")
        );
        let ids: HashSet<String> = needs_taxonomy().iter().map(NeedTerm::id).collect();
        assert_eq!(ids.len(), needs_taxonomy().len());
    }

    #[test]
    fn doctor_in_any_language_is_primary_care() {
        for query in [
            "doctor",
            "Doctor",
            "GP",
            "médecin",
            "medecin",
            "MÉDECIN",
            "طبيب",
            "الطبيب",
            "medico di base",
            "Medico di Base",
            "medico",
            "dottore",
            "лікар",
            "médico",
        ] {
            let found = codes(&match_terms(query));
            assert!(
                found.contains(&"health.primary_care".to_owned()),
                "{query}: {found:?}"
            );
        }
    }

    #[test]
    fn exact_names_come_first_and_words_must_be_whole() {
        let found = codes(&match_terms("permesso di soggiorno"));
        assert_eq!(found[0], "documents.residence_permit", "{found:?}");
        assert!(match_terms("medic").is_empty());
        assert!(match_terms("xyzzy").is_empty());
        assert!(match_terms("").is_empty());
        assert!(match_terms("  di  ").is_empty());
        assert!(match_terms("the").is_empty());
    }

    #[test]
    fn matching_ignores_marks_and_letter_variants() {
        assert_eq!(
            words("Centro per l’impiego"),
            ["centro", "per", "l", "impiego"]
        );
        assert_eq!(words("сім’я"), words("сім'я"));
        assert_eq!(words("Ґанок"), ["ганок"]);
        assert_eq!(words("إقامة"), words("اقامه"));
        assert_eq!(words("الإقامة"), words("إقامة"));
        assert_eq!(words("طَبِيب"), ["طبيب"]);
        assert_eq!(words("Cœur, ÇA"), ["coeur", "ca"]);
        assert!(codes(&match_terms("centro per l'impiego")).contains(&"work.job_search".into()));
        assert!(codes(&match_terms("возз’єднання сім’ї")).contains(&"family.reunification".into()));
        assert!(codes(&match_terms("لم الشمل")).contains(&"family.reunification".into()));
        assert!(codes(&match_terms("Ricongiungimento")).contains(&"family.reunification".into()));
    }

    #[test]
    fn hsds_records_validate() {
        let records = to_hsds_records();
        let terms = needs_taxonomy().len();
        let count = |table: &str| records.iter().filter(|r| r.table == table).count();
        assert_eq!(count("taxonomy"), 1);
        assert_eq!(count("taxonomy_term"), terms);
        let translations = count("translation");
        assert!(translations >= terms * (LANGUAGES.len() - 1));
        let mut batch: Vec<SourcedRecord> = records
            .into_iter()
            .enumerate()
            .map(|(i, record)| SourcedRecord {
                record,
                origin: Origin {
                    file: "needs.toml".into(),
                    row: i + 1,
                    path: String::new(),
                },
            })
            .collect();
        let problems = validate(&mut batch, &Default::default());
        assert!(problems.is_empty(), "{problems:#?}");
        assert_eq!(batch.len(), 1 + terms + translations, "no id repeats");
    }

    #[test]
    fn hsds_term_rows_carry_italian_labels_and_translations_the_rest() {
        let records = to_hsds_records();
        let id = term_id("health.primary_care");
        let row = records
            .iter()
            .find(|r| r.table == "taxonomy_term" && r.id == id)
            .unwrap();
        assert_eq!(row.text("code"), Some("health.primary_care"));
        assert_eq!(row.text("parent_id"), Some(term_id("health").as_str()));
        assert_eq!(row.text("taxonomy_id"), Some(TAXONOMY_ID));
        assert_eq!(row.text("language"), Some("it"));
        let ar = records
            .iter()
            .find(|r| {
                r.table == "translation"
                    && r.text("link_id") == Some(&id)
                    && r.text("language") == Some("ar")
            })
            .unwrap();
        assert_eq!(ar.id, "c51cd7d3-616a-53e6-891a-81a15fec254f");
        assert_eq!(ar.text("link_entity"), Some("taxonomy_term"));
        assert!(ar.text("synonyms").unwrap().contains("طبيب; "));
        let it = records
            .iter()
            .find(|r| {
                r.table == "translation"
                    && r.text("link_id") == Some(&id)
                    && r.text("language") == Some("it")
            })
            .unwrap();
        assert!(it.text("synonyms").unwrap().contains("medico di base"));
        assert_eq!(it.text("name"), None);
    }
}
