//! Turning a [`SearchQuery`] into a tantivy query, running it and shaping the answer.
//!
//! # How free text is read
//! 0. Only the first [`MAX_QUERY_CHARS`] characters are read (callers refuse longer text
//!    with [`check_text`]); 12 words are searched, and up to 48 read for the needs they tell.
//! 1. The text is split into folded words ([`crate::analysis`]). Function words and request
//!    phrasing ("di", "the", "j'ai besoin", "cerco") are not required to match.
//! 2. Typos: a word of 5 to [`MAX_FUZZY_CHARS`] letters found nowhere (in no language field,
//!    stemmed, nor in the unstemmed vocabulary, nor among the words of the taxonomy and of
//!    the cues of [`crate::understanding`]) is replaced by its closest word within one edit
//!    (two from 9 letters; a transposition is one edit, doubling or undoubling a letter
//!    half of one: "dotore" is "dottore", not "datore"). Only words of the searcher's
//!    language or of Italian are candidates: the cues' and taxonomy's words of that
//!    language first, then the services' words whose stem is in that language's texts, the
//!    most frequent on ties; never a word of another language ("familje" is not "famille").
//!    Before correcting, an Arabic word is tried without its attached conjunction,
//!    preposition and article ("فالمدرسة" is "مدرسة"), and a word in Cyrillic letters is
//!    spelt back in Italian ("барлетті" is Barletta). The pair is reported in
//!    [`Interpretation::corrections`]; both forms are searched; `verbatim` corrects nothing.
//! 3. As-you-type: when the text does not end with a space, its last word also matches the
//!    8 most frequent vocabulary words it begins (2 to [`MAX_FUZZY_CHARS`] letters).
//! 4. Needs: papers the person says they lack ("senza documenti", "no tengo papeles") name
//!    no category and are not searched; they ask for care without a permit (`health.stp_eni`)
//!    unless the text names a need other than health. Then the longest cue of
//!    `data/taxonomy/phrases.toml` ([`crate::understanding`]: "mi picchia", "hits me",
//!    "ما خلصنيش") or run of up to four words naming taxonomy terms, a cue first at equal
//!    length, never two on one word. A run that names a term exactly (a label or synonym in
//!    any language) selects those terms, a longer or specific partial match selects its few
//!    terms; one word naming a kind of office ("servizio", "sportello", "مكتب") selects none;
//!    a cue selects its need (as an exact name; a top-level category like "family" as a
//!    partial match). Selected categories are reported in [`Interpretation::categories`]
//!    and *boost* services tagged with them (or with a narrower term): they are an
//!    alternative way to match, not a filter, so "doctor", "médecin" and "طبيب" reach
//!    primary-care services described only in Italian, and a sentence naming a need finds
//!    the services for it even when none holds its words. Urgent needs (violence,
//!    trafficking, a health emergency, nowhere to sleep) are reported in
//!    [`Interpretation::emergencies`].
//! 5. Words saying "free" ("gratuito", "free", "gratuit", "مجاني") are not required: they
//!    rank free services first; so do the names of languages other than Italian ("arabo",
//!    "in English", "українською"), for services that speak them.
//! 6. A service matches when it contains enough of the words (all of one or two words; with
//!    three or more, all but a third, rounded down), each in any language field, or when it
//!    is tagged with a selected category. Every matching word adds to the score, so the
//!    words not consumed by a category ("Andria" in "doctor Andria") still rank.
//! 7. If that finds nothing, the words are tried again with any one of them enough
//!    ([`Interpretation::relaxed`]).
//!
//! # Ranking
//! The sum of:
//! - per word, BM25 over the fields (names weigh 2.5 times descriptions, organisation names
//!   1.5, comune names 5 (a place named is a place wanted), fields of the searcher's language 1.2 times the others; the best field
//!   counts fully, the others a fifth; a corrected word 0.9, a completion 0.8);
//! - per selected category, a constant (6 for an exact name, 3 for a partial match) plus
//!   0.3 of that times BM25 on the service's tags, which favours services tagged with few
//!   needs (more about each) and with rarer needs;
//! - 4 when a service has every word of a query of two or more;
//! - 3 for free services when a word asked for free ones, 6 for services speaking a language
//!   the text named;
//!
//! times freshness (verified in the last six months: up to +10%; stale: ×0.85, older than a
//! year ×0.75, never: ×0.8), times 0.6 when temporarily closed. With a point and text the
//! score also decays linearly to half at the edge of the radius; with a point and no text
//! hits are sorted nearest first; with neither, by freshness.
//!
//! # Filters and facets
//! Filters combine with AND; `categories` is an OR within itself (a category includes its
//! narrower terms). Facet counts are over the services that pass *every* filter, the facet's
//! own dimension included (so with `province` set, the province facet shows that one
//! province). `inactive` and `defunct` services are never returned.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::LazyLock;

use chrono::{DateTime, Datelike, Utc};
use serde::{Deserialize, Serialize};
use tantivy::query::{
    AllQuery, BooleanQuery, BoostQuery, ConstScoreQuery, DisjunctionMaxQuery, EmptyQuery,
    FuzzyTermQuery, Occur, Query, TermQuery, TermSetQuery,
};
use tantivy::schema::{Field, IndexRecordOption, Value};
use tantivy::snippet::SnippetGenerator;
use tantivy::tokenizer::TextAnalyzer;
use tantivy::{DocAddress, Searcher, TantivyDocument, Term};

use crocevia_core::schedule::{OpenAt, rome_time};
use crocevia_core::service_doc::BASE_LANGUAGE;
use crocevia_core::taxonomy;
use crocevia_core::territory::{Point, Territories};
use crocevia_core::text::primary_subtag;

use crate::analysis::{self, LANGS, analyze_into, is_stopword, lang_group};
use crate::collect::{Collect, Order, Settings};
use crate::fields::UNIT_SEPARATOR;
use crate::index::SearchIndex;
use crate::text_query::{CategoryClause, TextQuery};
use crate::understanding::{self, Emergency, LEXICON};
use crate::{Result, geo};

/// Hits per page when `limit` is 0.
pub const DEFAULT_LIMIT: usize = 10;
/// The largest page.
pub const MAX_LIMIT: usize = 100;
/// Comuni and provinces in the facet counts for a person or an API client: enough for any
/// list a person reads, without thousands of comuni in every national search.
pub const DEFAULT_FACET_LIMIT: usize = 50;
/// How deep paging goes (offset + limit).
pub const MAX_DEPTH: usize = 1000;

/// A search. `Default` is "everything, first page".
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct SearchQuery {
    /// Free text in any language.
    pub text: Option<String>,
    /// The searcher's language (BCP 47): names and snippets are shown in it when the service
    /// is translated, and its fields weigh a little more.
    pub language: Option<String>,
    /// Needs-taxonomy codes; a service tagged with any of them (or a narrower term) passes.
    pub categories: Vec<String>,
    /// ISTAT codes.
    pub comune: Option<String>,
    pub province: Option<String>,
    pub region: Option<String>,
    /// A language the service speaks (ISO 639-1).
    pub spoken_language: Option<String>,
    pub free_only: bool,
    pub accessible_only: bool,
    /// Open at `now` (Europe/Rome), holidays and closures included. Services without
    /// opening hours are not known to be open and are left out.
    pub open_now: bool,
    /// Within a radius of a point (confidential locations are never found this way).
    pub near: Option<Near>,
    pub offset: usize,
    /// 0 means [`DEFAULT_LIMIT`]; at most [`MAX_LIMIT`].
    pub limit: usize,
    /// Comuni and provinces kept in the facet counts, most frequent first (`None`: all); the
    /// other facet lists are short and always whole.
    pub facet_limit: Option<usize>,
    /// Search the words as typed: no typo correction (the "search instead for …" link).
    pub verbatim: bool,
}

/// A point and a radius.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Near {
    pub point: Point,
    pub radius_km: f64,
}

impl Near {
    /// Around a comune's centroid (ISTAT code); `None` when the comune is unknown or has no
    /// centroid.
    pub fn comune(territories: &Territories, code: &str, radius_km: f64) -> Option<Near> {
        let point = territories.comune(code)?.centroid?;
        Some(Near { point, radius_km })
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SearchResults {
    /// Services matching the query and every filter.
    pub total: u64,
    pub hits: Vec<Hit>,
    pub facets: Facets,
    pub interpretation: Interpretation,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Hit {
    /// The service's id.
    pub id: String,
    /// What hits are ordered by (relevance × freshness …; see the module docs).
    pub score: f32,
    /// To the nearest public location, when the query gave a point.
    pub distance_km: Option<f64>,
    /// In the searcher's language when translated, else Italian.
    pub name: String,
    /// A fragment of the description (same language), HTML-escaped, matched words in
    /// `<mark>`; the description's beginning when no word matched it.
    pub snippet: String,
}

/// Counts over the matching services, most frequent first (see the module docs for which
/// filters apply).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Facets {
    /// Category codes, narrower terms and their ancestors alike.
    pub categories: Vec<(String, u64)>,
    pub provinces: Vec<(String, u64)>,
    pub comuni: Vec<(String, u64)>,
    pub regions: Vec<(String, u64)>,
    pub languages: Vec<(String, u64)>,
    /// How many are free of charge.
    pub free: u64,
    /// How many describe their accessibility.
    pub accessible: u64,
}

/// How the text was understood.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Interpretation {
    /// Category codes the text named through the taxonomy's labels or synonyms.
    pub categories: Vec<String>,
    /// Words not found anywhere, with the word searched instead.
    pub corrections: Vec<(String, String)>,
    /// Nothing had enough of the words: results match some of them.
    pub relaxed: bool,
    /// Urgent needs the text names, whose emergency numbers belong above the results.
    pub emergencies: Vec<Emergency>,
}

// ---------------------------------------------------------------------------------------------
// Weights
// ---------------------------------------------------------------------------------------------

const NAME_BOOST: f32 = 2.5;
const DESC_BOOST: f32 = 1.0;
const ORG_BOOST: f32 = 1.5;
const PLACE_BOOST: f32 = 5.0;
/// Fields in the searcher's language.
const OWN_LANGUAGE_BOOST: f32 = 1.2;
/// A corrected word counts a little less than a word typed right.
const CORRECTED_WEIGHT: f32 = 0.9;
/// A completion of the word being typed.
const PREFIX_BOOST: f32 = 0.8;
/// Per word, the best field counts fully and the others this much.
const TIE_BREAKER: f32 = 0.2;
/// A category the text named exactly, and one it matched partly.
const CATEGORY_EXACT_BOOST: f32 = 6.0;
const CATEGORY_PARTIAL_BOOST: f32 = 3.0;

/// Weight of BM25 on the service's tags relative to a category's boost.
const CATEGORY_SPECIFICITY: f32 = 0.3;
/// Added when a service matches every word of a query of two words or more.
const ALL_WORDS_BONUS: f32 = 4.0;
/// Added to free services when the text asks for free ones.
const FREE_BOOST: f32 = 3.0;
/// Added to services speaking a language the text names.
const SPOKEN_BOOST: f32 = 6.0;

/// Words of a query considered; the rest are ignored. Twelve words is a long question
/// ("cerco un medico di base che parli arabo vicino a Bari…"); each word costs a vocabulary
/// look-up, a possible correction and a clause per field.
const MAX_WORDS: usize = 12;

/// Words of a query read for the needs it tells (cues and taxonomy names, no look-up in the
/// index): a sentence of 256 characters has about 40.
const MAX_UNDERSTOOD_WORDS: usize = 48;

/// The longest search text, in characters. The longest real request is a sentence or two;
/// a 64,000-character word cost 1.5–2 s of CPU (issue 17). Callers refuse longer text
/// ([`check_text`]); the index itself reads only this much ([`bounded_text`]).
pub const MAX_QUERY_CHARS: usize = 256;

/// Words longer than this are matched as typed: no typo correction and no completion. The
/// Levenshtein automaton and the edit distances grow with the word's length, and no word of
/// the vocabulary is this long (Italian's longest everyday words have about 25 letters).
pub const MAX_FUZZY_CHARS: usize = 30;

/// A search text longer than [`MAX_QUERY_CHARS`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct QueryTooLong {
    /// Its length in characters.
    pub chars: usize,
}

impl std::fmt::Display for QueryTooLong {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "the search text has {} characters; at most {MAX_QUERY_CHARS} are allowed: shorten it to the words that matter",
            self.chars
        )
    }
}

impl std::error::Error for QueryTooLong {}

/// Refuses a search text longer than [`MAX_QUERY_CHARS`] characters.
pub fn check_text(text: &str) -> std::result::Result<(), QueryTooLong> {
    match text.char_indices().nth(MAX_QUERY_CHARS) {
        None => Ok(()),
        Some(_) => Err(QueryTooLong {
            chars: text.chars().count(),
        }),
    }
}

/// The first [`MAX_QUERY_CHARS`] characters of `text`.
pub fn bounded_text(text: &str) -> &str {
    match text.char_indices().nth(MAX_QUERY_CHARS) {
        Some((end, _)) => &text[..end],
        None => text,
    }
}

/// Edits allowed when correcting a word of `letters` letters (see the module docs): none
/// for short words, and none beyond [`MAX_FUZZY_CHARS`], which never reach the automaton.
fn fuzzy_edits(letters: usize) -> Option<u8> {
    match letters {
        0..5 => None,
        5..9 => Some(1),
        9..=MAX_FUZZY_CHARS => Some(2),
        _ => None,
    }
}
/// Longest run of words matched against the taxonomy.
const MAX_RUN: usize = 4;
/// Completions of the word being typed.
const MAX_PREFIX_TERMS: usize = 8;
/// Dictionary entries scanned per segment for completions.
const MAX_PREFIX_SCAN: usize = 4096;
const SNIPPET_CHARS: usize = 180;

// ---------------------------------------------------------------------------------------------
// The taxonomy's vocabulary
// ---------------------------------------------------------------------------------------------

/// Normalised phrase (see [`phrase_key`]) → codes of the terms it is a name or synonym of.
static EXACT_PHRASES: LazyLock<HashMap<String, Vec<&'static str>>> = LazyLock::new(|| {
    let mut map: HashMap<String, Vec<&'static str>> = HashMap::new();
    for (code, phrase) in all_phrases() {
        let words: Vec<String> = analysis::query_words(phrase, 64)
            .into_iter()
            .map(|w| w.text)
            .collect();
        let codes = map.entry(phrase_key(&words)).or_default();
        if !codes.contains(&code) {
            codes.push(code);
        }
    }
    map
});

/// Builds the taxonomy tables now, so the first search does not pay for them.
pub(crate) fn warm_up() {
    LazyLock::force(&EXACT_PHRASES);
    LazyLock::force(&LEXICON);
}

fn all_phrases() -> impl Iterator<Item = (&'static str, &'static str)> {
    taxonomy::needs_taxonomy().iter().flat_map(|term| {
        term.labels.values().flat_map(move |label| {
            std::iter::once(label.name.as_str())
                .chain(label.synonyms.iter().map(String::as_str))
                .map(move |p| (term.code.as_str(), p))
        })
    })
}

/// Folded words joined by spaces, a leading Arabic article dropped as the taxonomy does.
fn phrase_key(words: &[String]) -> String {
    let mut key = String::new();
    for w in words {
        if !key.is_empty() {
            key.push(' ');
        }
        match w.strip_prefix("ال") {
            Some(rest) if rest.chars().count() >= 2 => key.push_str(rest),
            _ => key.push_str(w),
        }
    }
    key
}

// ---------------------------------------------------------------------------------------------
// Planning
// ---------------------------------------------------------------------------------------------

/// One word that must (or may) match.
struct PlanWord {
    /// Folded forms with their weight: as typed, and its correction.
    forms: Vec<(String, f32)>,
    /// Scored but not required: words saying "free of charge", which rank free services
    /// first instead.
    optional: bool,
    /// Completions when it is the word being typed.
    prefixes: Vec<String>,
}

/// The query text, understood.
struct Plan {
    words: Vec<PlanWord>,
    categories: Vec<(&'static str, f32)>,
    corrections: Vec<(String, String)>,
    /// The text asks for free services ("gratuito", "free", "مجاني").
    wants_free: bool,
    /// Languages the text asks services to speak ("che parla arabo", "in English").
    spoken: Vec<&'static str>,
    /// Language group index of the searcher's language, if it has its own fields.
    own_group: Option<usize>,
    emergencies: Vec<Emergency>,
}

impl Plan {
    fn has_text(&self) -> bool {
        !self.words.is_empty() || !self.categories.is_empty()
    }

    /// How many of the required words must match.
    fn required(&self) -> usize {
        let n = self.words.iter().filter(|w| !w.optional).count();
        if n <= 2 { n } else { n - n / 3 }
    }
}

struct Analyzers([TextAnalyzer; 6]);

impl Analyzers {
    fn new() -> Self {
        Analyzers(LANGS.map(analysis::analyzer))
    }

    fn terms(&mut self, group: usize, word: &str) -> Vec<String> {
        let mut out = Vec::with_capacity(1);
        analyze_into(&mut self.0[group], word, &mut out);
        out
    }
}

impl SearchIndex {
    fn plan(&self, searcher: &Searcher, query: &SearchQuery, az: &mut Analyzers) -> Result<Plan> {
        let language = query.language.as_deref().map(primary_subtag);
        let own_group = language
            .as_deref()
            .map(lang_group)
            .and_then(|g| LANGS.iter().position(|l| *l == g));
        let mut plan = Plan {
            words: Vec::new(),
            categories: Vec::new(),
            corrections: Vec::new(),
            wants_free: false,
            spoken: Vec::new(),
            own_group,
            emergencies: Vec::new(),
        };
        let text = bounded_text(query.text.as_deref().unwrap_or_default());
        let mut words = analysis::query_words(text, MAX_UNDERSTOOD_WORDS);
        // Words past the twelfth still tell the need ("…, je deviens fou"); only the first
        // twelve are searched.
        let rest: Vec<String> = words
            .split_off(words.len().min(MAX_WORDS))
            .into_iter()
            .map(|w| w.text)
            .collect();
        let typing = rest.is_empty() && words.last().is_some_and(|w| w.end == text.len());
        // Every word, corrected, for understanding; the content words for matching.
        let mut tokens = Vec::with_capacity(words.len());
        let mut content = Vec::with_capacity(words.len());
        for (i, word) in words.iter().enumerate() {
            let w = word.text.as_str();
            if is_stopword(w) {
                tokens.push(w.to_owned());
                continue;
            }
            let last = i + 1 == words.len();
            let prefixes = if last && typing && w.chars().count() <= MAX_FUZZY_CHARS {
                self.completions(searcher, w)?
            } else {
                Vec::new()
            };
            let mut forms = vec![(w.to_owned(), 1.0)];
            let mut token = w.to_owned();
            if prefixes.is_empty() && !self.is_known(searcher, az, w)? {
                if let Some(base) = self.known_arabic_form(searcher, az, w)? {
                    // "فالمدرسة" is "مدرسة" with "and in the" attached.
                    token.clone_from(&base);
                    forms.push((base, 1.0));
                } else if !query.verbatim
                    && let Some(fix) = self
                        .correction(searcher, az, w, language.as_deref())?
                        .map_or_else(
                            || self.italian_of_cyrillic(searcher, az, w),
                            |f| Ok(Some(f)),
                        )?
                {
                    plan.corrections.push((w.to_owned(), fix.clone()));
                    token.clone_from(&fix);
                    forms.push((fix, CORRECTED_WEIGHT));
                }
            }
            content.push(tokens.len());
            tokens.push(token);
            let spoken = LEXICON.spoken_language(w);
            if let Some(code) = spoken
                && !plan.spoken.contains(&code)
            {
                plan.spoken.push(code);
            }
            let optional = is_free_word(w) || spoken.is_some();
            plan.wants_free |= is_free_word(w);
            plan.words.push(PlanWord {
                forms,
                optional,
                prefixes,
            });
        }
        tokens.extend(rest);
        let understood = understand(&tokens);
        // Papers the person says they lack match nothing and name no category.
        let mut kept = content.iter().map(|i| !understood.negated.contains(i));
        plan.words.retain(|_| kept.next().unwrap_or(true));
        plan.categories = understood.categories;
        plan.emergencies = understood.emergencies;
        Ok(plan)
    }

    /// For a word in Cyrillic letters found nowhere, the Italian word or place it spells
    /// ([`understanding::latin_of_cyrillic`]), as is or corrected in Italian: "барлетті" is
    /// Barletta.
    fn italian_of_cyrillic(
        &self,
        searcher: &Searcher,
        az: &mut Analyzers,
        word: &str,
    ) -> Result<Option<String>> {
        let Some(latin) = understanding::latin_of_cyrillic(word) else {
            return Ok(None);
        };
        if self.is_known(searcher, az, &latin)? {
            return Ok(Some(latin));
        }
        self.correction(searcher, az, &latin, Some(BASE_LANGUAGE))
    }

    /// For an Arabic word found nowhere, the first of its forms without attached
    /// conjunction, preposition and article that is known ([`understanding::word_forms`]).
    fn known_arabic_form(
        &self,
        searcher: &Searcher,
        az: &mut Analyzers,
        word: &str,
    ) -> Result<Option<String>> {
        for form in understanding::word_forms(word).skip(1) {
            if self.is_known(searcher, az, form)? {
                return Ok(Some(form.to_owned()));
            }
        }
        Ok(None)
    }

    fn doc_freq(&self, searcher: &Searcher, field: Field, text: &str) -> Result<u64> {
        Ok(searcher.doc_freq(&Term::from_field_text(field, text))?)
    }

    /// Whether a word occurs anywhere: the taxonomy, the unstemmed vocabulary, or a stemmed
    /// language field.
    fn is_known(&self, searcher: &Searcher, az: &mut Analyzers, word: &str) -> Result<bool> {
        if LEXICON.knows(word) || self.doc_freq(searcher, self.fields.words, word)? > 0 {
            return Ok(true);
        }
        for group in 0..LANGS.len() - 1 {
            for term in az.terms(group, word) {
                if self.doc_freq(searcher, self.fields.name[group], &term)? > 0
                    || self.doc_freq(searcher, self.fields.desc[group], &term)? > 0
                {
                    return Ok(true);
                }
            }
        }
        Ok(false)
    }

    /// The closest known word within the allowed edits, in the searcher's language or in
    /// Italian (see the module docs).
    fn correction(
        &self,
        searcher: &Searcher,
        az: &mut Analyzers,
        word: &str,
        language: Option<&str>,
    ) -> Result<Option<String>> {
        let letters = word.chars().count();
        let Some(max) = fuzzy_edits(letters) else {
            return Ok(None);
        };
        let automaton =
            FuzzyTermQuery::new(Term::from_field_text(self.fields.words, word), max, true)
                .automaton()?;
        // Candidate → (documents holding it, whether the services' texts hold it).
        let mut candidates: HashMap<String, (u64, bool)> = HashMap::new();
        for segment in searcher.segment_readers() {
            let inverted = segment.inverted_index(self.fields.words)?;
            let mut stream = inverted.terms().search(&automaton).into_stream()?;
            while stream.advance() {
                if let Ok(term) = std::str::from_utf8(stream.key()) {
                    let entry = candidates.entry(term.to_owned()).or_default();
                    entry.0 += u64::from(stream.value().doc_freq);
                    entry.1 = true;
                }
            }
        }
        for candidate in LEXICON.words_accepted(&automaton) {
            // A word of the taxonomy or of the cues counts as one more document.
            candidates.entry(candidate).or_default().0 += 1;
        }
        candidates.remove(word);
        let mut best = None;
        for (candidate, (df, in_texts)) in candidates {
            let distance = weighted_edit_distance(word, &candidate);
            if distance > 2 * usize::from(max) {
                continue;
            }
            let lexicon_languages = LEXICON.languages_of(&candidate);
            let own = language.is_none_or(|lang| lexicon_languages.contains(&lang));
            // Never into another language: Albanian "familje" is neither French "famille"
            // nor Romanian "familie". A word of the services' texts counts when its stem is
            // in the texts of the searcher's language or in Italian.
            let allowed = own
                || lexicon_languages.contains(&BASE_LANGUAGE)
                || (in_texts
                    && match language {
                        Some(lang) => {
                            self.is_word_of(searcher, az, &candidate, lang)?
                                || self.is_word_of(searcher, az, &candidate, BASE_LANGUAGE)?
                        }
                        None => true,
                    });
            if !allowed {
                continue;
            }
            let key = (distance, !own, std::cmp::Reverse(df), candidate);
            if best.as_ref().is_none_or(|b| key < *b) {
                best = Some(key);
            }
        }
        Ok(best.map(|(_, _, _, c)| c))
    }

    /// Whether a folded word's stem is in the services' texts in `lang` (a language without
    /// its own fields shares the others'). The lexicon's languages are checked by the caller.
    fn is_word_of(
        &self,
        searcher: &Searcher,
        az: &mut Analyzers,
        word: &str,
        lang: &str,
    ) -> Result<bool> {
        let group = LANGS
            .iter()
            .position(|l| *l == lang_group(lang))
            .unwrap_or(LANGS.len() - 1);
        for term in az.terms(group, word) {
            if self.doc_freq(searcher, self.fields.name[group], &term)? > 0
                || self.doc_freq(searcher, self.fields.desc[group], &term)? > 0
            {
                return Ok(true);
            }
        }
        Ok(false)
    }

    /// The most frequent words of the vocabulary that `prefix` begins (itself excluded).
    fn completions(&self, searcher: &Searcher, prefix: &str) -> Result<Vec<String>> {
        if prefix.chars().count() < 2 {
            return Ok(Vec::new());
        }
        let mut upper = prefix.as_bytes().to_vec();
        upper.push(0xFF);
        let mut found: HashMap<String, u64> = HashMap::new();
        for segment in searcher.segment_readers() {
            let inverted = segment.inverted_index(self.fields.words)?;
            let mut stream = inverted
                .terms()
                .range()
                .ge(prefix.as_bytes())
                .lt(&upper)
                .into_stream()?;
            let mut scanned = 0;
            while scanned < MAX_PREFIX_SCAN && stream.advance() {
                scanned += 1;
                if let Ok(term) = std::str::from_utf8(stream.key())
                    && term != prefix
                {
                    *found.entry(term.to_owned()).or_default() +=
                        u64::from(stream.value().doc_freq);
                }
            }
        }
        let mut found: Vec<(String, u64)> = found.into_iter().collect();
        found.sort_unstable_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
        found.truncate(MAX_PREFIX_TERMS);
        Ok(found.into_iter().map(|(t, _)| t).collect())
    }
}

/// What the (corrected) words say: the categories they name, the emergencies those are,
/// and the positions of papers the person says they lack.
struct Understood {
    categories: Vec<(&'static str, f32)>,
    emergencies: Vec<Emergency>,
    negated: Vec<usize>,
}

/// Reads the words as the module docs say: negated papers first, then the longest cue or
/// run of taxonomy names (a cue first at equal length), never two on one word.
fn understand(tokens: &[String]) -> Understood {
    let lexicon = &*LEXICON;
    let mut out: Vec<(&'static str, f32)> = Vec::new();
    let add = |out: &mut Vec<(&'static str, f32)>, code: &'static str, boost: f32| match out
        .iter_mut()
        .find(|(c, _)| *c == code)
    {
        Some(entry) => entry.1 = entry.1.max(boost),
        None => out.push((code, boost)),
    };
    let negated = lexicon.negated_papers(tokens);
    let mut used = vec![false; tokens.len()];
    for &i in &negated {
        used[i] = true;
    }
    let cues = lexicon.matches(tokens);
    let cue_boost = |need: usize| {
        if lexicon.needs[need].broad {
            CATEGORY_PARTIAL_BOOST
        } else {
            CATEGORY_EXACT_BOOST
        }
    };
    for found in cues.iter().filter(|f| f.len == 0) {
        add(
            &mut out,
            lexicon.needs[found.need].code,
            cue_boost(found.need),
        );
    }
    let longest = cues.first().map_or(0, |f| f.len).max(MAX_RUN);
    for len in (1..=longest.min(tokens.len())).rev() {
        for start in 0..=tokens.len() - len {
            if used[start..start + len].iter().any(|u| *u) {
                continue;
            }
            if let Some(found) = cues.iter().find(|f| f.len == len && f.start == start) {
                add(
                    &mut out,
                    lexicon.needs[found.need].code,
                    cue_boost(found.need),
                );
                used[start..start + len].iter_mut().for_each(|u| *u = true);
                continue;
            }
            let run = &tokens[start..start + len];
            if len > MAX_RUN
                || start + len > MAX_WORDS
                || is_stopword(&run[0])
                || is_stopword(&run[len - 1])
                || (len == 1 && (is_free_word(&run[0]) || is_generic_word(&run[0])))
            {
                continue;
            }
            let terms = taxonomy::match_terms(&run.join(" "));
            if terms.is_empty() {
                continue;
            }
            let exact = EXACT_PHRASES.get(&phrase_key(run));
            let named: Vec<&'static str> = terms
                .iter()
                .map(|t| t.code.as_str())
                .filter(|c| exact.is_some_and(|e| e.contains(c)))
                .collect();
            let content = run.iter().filter(|w| !is_stopword(w)).count();
            let (chosen, boost) = if !named.is_empty() {
                (named, CATEGORY_EXACT_BOOST)
            } else if content >= 2 || terms.len() <= 2 {
                let codes = terms.iter().take(3).map(|t| t.code.as_str()).collect();
                (codes, CATEGORY_PARTIAL_BOOST)
            } else {
                continue;
            };
            for code in chosen {
                add(&mut out, code, boost);
            }
            used[start..start + len].iter_mut().for_each(|u| *u = true);
        }
    }
    // No papers: care for people without a permit, unless the need named is not health
    // ("lavoro senza documenti" keeps to work).
    if !negated.is_empty() {
        let other_need = out
            .iter()
            .any(|(c, _)| *c != NO_PAPERS && !c.starts_with("health"));
        if !other_need {
            add(&mut out, NO_PAPERS, CATEGORY_EXACT_BOOST);
        }
    }
    let mut emergencies: Vec<Emergency> = out
        .iter()
        .filter_map(|(c, _)| lexicon.need(c)?.emergency)
        .collect();
    emergencies.sort_unstable();
    emergencies.dedup();
    Understood {
        categories: out,
        emergencies,
        negated,
    }
}

/// The category of services for people without papers.
const NO_PAPERS: &str = "health.stp_eni";

/// Words naming a kind of place or offer, not a need (folded): alone they select no category,
/// though the taxonomy has phrases with them ("servizio sanitario", "sportello legale"), since
/// "servizio" or "sportello" says nothing about which need. They still match text, and
/// inside a longer run ("sportello legale") they still name its category. Arabic ones are
/// compared without the definite article, as the taxonomy compares them.
fn is_generic_word(word: &str) -> bool {
    matches!(
        word.strip_prefix("ال").unwrap_or(word),
        "servizio"
            | "servizi"
            | "sportello"
            | "sportelli"
            | "ufficio"
            | "uffici"
            | "centro"
            | "centri"
            | "punto"
            | "service"
            | "services"
            | "office"
            | "centre"
            | "center"
            | "desk"
            | "bureau"
            | "guichet"
            | "servicio"
            | "servicios"
            | "oficina"
            | "خدمه"
            | "خدمات"
            | "مكتب"
            | "مركز"
            | "служба"
            | "послуга"
            | "послуги"
            | "центр"
            | "офіс"
    )
}

/// Words saying "free of charge" (folded).
fn is_free_word(word: &str) -> bool {
    matches!(
        word,
        "gratuito"
            | "gratuita"
            | "gratuiti"
            | "gratuite"
            | "gratis"
            | "free"
            | "gratuit"
            | "gratuitement"
            | "gratuitamente"
            | "مجاني"
            | "مجانا"
            | "مجانيه"
            | "безкоштовно"
            | "безкоштовна"
            | "безкоштовний"
    )
}

/// Edit distance in half edits, where doubling or undoubling a letter ("dotore" →
/// "dottore", "permessso" → "permesso") costs half an edit: the commonest misspelling of
/// Italian words, by Italians and foreigners alike. Otherwise the optimal string alignment
/// distance (Levenshtein with adjacent transpositions, on chars), times 2.
fn weighted_edit_distance(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    let width = b.len() + 1;
    let mut d = vec![0usize; (a.len() + 1) * width];
    // Deleting a[i - 1] is cheap when it repeats the letter before it; inserting b[j - 1]
    // when it repeats the letter before it in b.
    let delete = |i: usize| if i > 1 && a[i - 1] == a[i - 2] { 1 } else { 2 };
    let insert = |j: usize| if j > 1 && b[j - 1] == b[j - 2] { 1 } else { 2 };
    for i in 1..=a.len() {
        d[i * width] = d[(i - 1) * width] + delete(i);
    }
    for j in 1..=b.len() {
        d[j] = d[j - 1] + insert(j);
    }
    for i in 1..=a.len() {
        for j in 1..=b.len() {
            let cost = if a[i - 1] == b[j - 1] { 0 } else { 2 };
            let mut best = (d[(i - 1) * width + j] + delete(i))
                .min(d[i * width + j - 1] + insert(j))
                .min(d[(i - 1) * width + j - 1] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                best = best.min(d[(i - 2) * width + j - 2] + 2);
            }
            d[i * width + j] = best;
        }
    }
    d[a.len() * width + b.len()]
}

// ---------------------------------------------------------------------------------------------
// Building the tantivy query
// ---------------------------------------------------------------------------------------------

fn filter(query: Box<dyn Query>) -> (Occur, Box<dyn Query>) {
    (Occur::Must, Box::new(ConstScoreQuery::new(query, 0.0)))
}

fn term_query(term: Term) -> Box<dyn Query> {
    Box::new(TermQuery::new(term, IndexRecordOption::WithFreqs))
}

impl SearchIndex {
    fn filters(
        &self,
        searcher: &Searcher,
        query: &SearchQuery,
    ) -> Result<Vec<(Occur, Box<dyn Query>)>> {
        let f = &self.fields;
        let text = |field: Field, value: &str| term_query(Term::from_field_text(field, value));
        let mut out = Vec::new();
        // Few services are unlisted (inactive, defunct): excluding them skips through a short
        // list, where requiring the listed ones would intersect every search with almost the
        // whole directory.
        let unlisted = Term::from_field_bool(f.listed, false);
        if searcher.doc_freq(&unlisted)? > 0 {
            out.push((Occur::MustNot, term_query(unlisted)));
        }
        if !query.categories.is_empty() {
            let terms = query
                .categories
                .iter()
                .map(|c| Term::from_field_text(f.category, c.trim()));
            out.push(filter(Box::new(TermSetQuery::new(terms))));
        }
        for (field, value) in [
            (f.comune, &query.comune),
            (f.province, &query.province),
            (f.region, &query.region),
        ] {
            if let Some(v) = value {
                out.push(filter(text(field, v.trim())));
            }
        }
        if let Some(lang) = &query.spoken_language {
            out.push(filter(text(f.language, &primary_subtag(lang))));
        }
        if query.free_only {
            out.push(filter(term_query(Term::from_field_bool(f.free, true))));
        }
        if query.accessible_only {
            out.push(filter(term_query(Term::from_field_bool(
                f.accessible,
                true,
            ))));
        }
        if let Some(near) = &query.near
            && let Some(cells) = geo::cells_around(near.point, near.radius_km)
        {
            let terms = cells.iter().map(|c| Term::from_field_text(f.cell, c));
            out.push(filter(Box::new(TermSetQuery::new(terms))));
        }
        Ok(out)
    }

    /// One word in any field, as a disjunction (best field + a fraction of the others).
    fn word_query(
        &self,
        searcher: &Searcher,
        az: &mut Analyzers,
        word: &PlanWord,
        own_group: Option<usize>,
    ) -> Result<Box<dyn Query>> {
        let f = &self.fields;
        let mut seen: HashSet<Term> = HashSet::new();
        let mut disjuncts: Vec<Box<dyn Query>> = Vec::new();
        let mut add = |term: Term, boost: f32, seen: &mut HashSet<Term>| -> Result<()> {
            if seen.insert(term.clone()) && searcher.doc_freq(&term)? > 0 {
                disjuncts.push(Box::new(BoostQuery::new(term_query(term), boost)));
            }
            Ok(())
        };
        for (form, weight) in &word.forms {
            for group in 0..LANGS.len() {
                let own = if own_group == Some(group) {
                    OWN_LANGUAGE_BOOST
                } else {
                    1.0
                };
                for term in az.terms(group, form) {
                    let boost = weight * own;
                    add(
                        Term::from_field_text(f.name[group], &term),
                        NAME_BOOST * boost,
                        &mut seen,
                    )?;
                    add(
                        Term::from_field_text(f.desc[group], &term),
                        DESC_BOOST * boost,
                        &mut seen,
                    )?;
                }
            }
            add(
                Term::from_field_text(f.org, form),
                ORG_BOOST * weight,
                &mut seen,
            )?;
            add(
                Term::from_field_text(f.place, form),
                PLACE_BOOST * weight,
                &mut seen,
            )?;
        }
        for prefix in &word.prefixes {
            add(
                Term::from_field_text(f.words, prefix),
                PREFIX_BOOST,
                &mut seen,
            )?;
        }
        Ok(match disjuncts.len() {
            0 => Box::new(EmptyQuery),
            1 => disjuncts.pop().expect("one"),
            _ => Box::new(DisjunctionMaxQuery::with_tie_breaker(
                disjuncts,
                TIE_BREAKER,
            )),
        })
    }

    /// The whole query: text (or categories) gate and scoring, and the filters.
    /// `words` are the word queries with whether each is optional.
    fn build(
        &self,
        plan: &Plan,
        words: &[(Box<dyn Query>, bool)],
        filters: &[(Occur, Box<dyn Query>)],
        required: usize,
    ) -> Box<dyn Query> {
        let mut clauses: Vec<(Occur, Box<dyn Query>)> =
            filters.iter().map(|(o, q)| (*o, q.box_clone())).collect();
        if !plan.has_text() {
            if !clauses.iter().any(|(occur, _)| *occur == Occur::Must) {
                clauses.push((Occur::Must, Box::new(AllQuery)));
            }
            return match clauses.len() {
                1 => clauses.pop().expect("one").1,
                _ => Box::new(BooleanQuery::new(clauses)),
            };
        }
        let needed = words.iter().filter(|(_, optional)| !optional).count();
        let mut boosts = Vec::new();
        if plan.wants_free {
            boosts.push((Term::from_field_bool(self.fields.free, true), FREE_BOOST));
        }
        for code in &plan.spoken {
            boosts.push((
                Term::from_field_text(self.fields.language, code),
                SPOKEN_BOOST,
            ));
        }
        // Every required word (or only optional ones): tantivy's intersection, which skips by
        // blocks, and nothing to add for having them all.
        let plain = plan.categories.is_empty()
            && required >= needed
            && (needed == 0 || needed == words.len());
        if plain {
            // Beside the filters, as before: with no required word, the optional ones only
            // rank what the filters let through.
            clauses.extend(words.iter().map(|(q, optional)| {
                let occur = if *optional {
                    Occur::Should
                } else {
                    Occur::Must
                };
                (occur, q.box_clone())
            }));
            for (term, boost) in boosts {
                clauses.push((
                    Occur::Should,
                    Box::new(ConstScoreQuery::new(term_query(term), boost)),
                ));
            }
            return Box::new(BooleanQuery::new(clauses));
        }
        // Enough words, or a named category: gate and score in one pass.
        let text = Box::new(TextQuery {
            words: words.iter().map(|(q, o)| (q.box_clone(), *o)).collect(),
            required,
            categories: plan
                .categories
                .iter()
                .map(|(code, boost)| CategoryClause {
                    term: Term::from_field_text(self.fields.category, code),
                    boost: *boost,
                    bm25_weight: *boost * CATEGORY_SPECIFICITY,
                })
                .collect(),
            // Matching every word is worth more than the sum of the words: "clinic without
            // residence permit" prefers the clinic for people without a permit to the
            // permit offices.
            all_words_bonus: ALL_WORDS_BONUS,
            boosts,
        });
        if clauses.is_empty() {
            return text;
        }
        clauses.push((Occur::Must, text));
        Box::new(BooleanQuery::new(clauses))
    }

    /// Runs a search at `now` (for "open now" and freshness).
    pub fn search(&self, query: &SearchQuery, now: DateTime<Utc>) -> Result<SearchResults> {
        let searcher = self.reader.searcher();
        let mut az = Analyzers::new();
        let plan = self.plan(&searcher, query, &mut az)?;
        let word_queries = plan
            .words
            .iter()
            .map(|w| {
                Ok((
                    self.word_query(&searcher, &mut az, w, plan.own_group)?,
                    w.optional,
                ))
            })
            .collect::<Result<Vec<_>>>()?;
        let filters = self.filters(&searcher, query)?;

        let limit = match query.limit {
            0 => DEFAULT_LIMIT,
            n => n.min(MAX_LIMIT),
        };
        let offset = query.offset.min(MAX_DEPTH.saturating_sub(limit));
        let order = match (plan.has_text(), query.near.is_some()) {
            (true, _) => Order::Relevance,
            (false, true) => Order::Distance,
            (false, false) => Order::Freshness,
        };
        let collector = Collect {
            settings: Settings {
                keep: offset + limit,
                order,
                open_at: query.open_now.then(|| OpenAt::new(now)),
                near: query.near.map(|n| (n.point, n.radius_km)),
                today: i64::from(rome_time(now).date().num_days_from_ce()),
            },
            tables: self.facet_tables.clone(),
            facet_limit: query.facet_limit,
        };
        let required = plan.required();
        let mut fruit = searcher.search(
            &*self.build(&plan, &word_queries, &filters, required),
            &collector,
        )?;
        let mut relaxed = false;
        if fruit.total == 0 && required > 1 {
            relaxed = true;
            fruit = searcher.search(&*self.build(&plan, &word_queries, &filters, 1), &collector)?;
        }

        let mut snippets = Snippets::new(&plan, &mut az);
        let mut hits = Vec::with_capacity(limit);
        for entry in fruit.top.iter().skip(offset) {
            let doc: TantivyDocument = searcher.doc(DocAddress::new(entry.segment, entry.doc))?;
            let id = doc
                .get_first(self.fields.id)
                .and_then(|v| v.as_str())
                .unwrap_or_default()
                .to_owned();
            let texts: Vec<(&str, &str, &str)> = doc
                .get_all(self.fields.texts)
                .filter_map(|v| v.as_str())
                .filter_map(|v| {
                    let mut parts = v.splitn(3, UNIT_SEPARATOR);
                    Some((parts.next()?, parts.next()?, parts.next()?))
                })
                .collect();
            let wanted = query.language.as_deref().map(primary_subtag);
            let shown = wanted
                .as_deref()
                .and_then(|l| texts.iter().find(|t| t.0 == l))
                .or_else(|| texts.iter().find(|t| t.0 == BASE_LANGUAGE))
                .or(texts.first());
            let italian_name = texts
                .iter()
                .find(|t| t.0 == BASE_LANGUAGE)
                .map_or("", |t| t.1);
            let (name, snippet) = match shown {
                Some((lang, name, description)) => (
                    if name.is_empty() { italian_name } else { name },
                    snippets.make(lang, description),
                ),
                None => ("", String::new()),
            };
            hits.push(Hit {
                id,
                score: entry.score,
                distance_km: entry.distance,
                name: name.to_owned(),
                snippet,
            });
        }
        Ok(SearchResults {
            total: fruit.total,
            hits,
            facets: fruit.facets,
            interpretation: Interpretation {
                categories: plan
                    .categories
                    .iter()
                    .map(|(c, _)| (*c).to_owned())
                    .collect(),
                corrections: plan.corrections,
                relaxed,
                emergencies: plan.emergencies,
            },
        })
    }
}

// ---------------------------------------------------------------------------------------------
// Snippets
// ---------------------------------------------------------------------------------------------

/// Snippet generators per language group, made on first use.
struct Snippets<'p> {
    plan: &'p Plan,
    analyzers: &'p mut Analyzers,
    generators: [Option<SnippetGenerator>; 6],
}

impl<'p> Snippets<'p> {
    fn new(plan: &'p Plan, analyzers: &'p mut Analyzers) -> Self {
        Snippets {
            plan,
            analyzers,
            generators: Default::default(),
        }
    }

    fn make(&mut self, lang: &str, description: &str) -> String {
        let group = LANGS
            .iter()
            .position(|l| *l == lang_group(lang))
            .unwrap_or(LANGS.len() - 1);
        if self.generators[group].is_none() {
            let mut terms: BTreeMap<String, f32> = BTreeMap::new();
            for word in &self.plan.words {
                let forms = word.forms.iter().map(|(f, _)| f).chain(&word.prefixes);
                for form in forms {
                    for term in self.analyzers.terms(group, form) {
                        terms.insert(term, 1.0);
                    }
                }
            }
            let stems: Vec<String> = terms.keys().cloned().collect();
            let analyzer = analysis::highlight_analyzer(LANGS[group], &stems);
            // The field is not used by `snippet()`, which is given the text.
            let field = Field::from_field_id(0);
            self.generators[group] =
                Some(SnippetGenerator::new(terms, analyzer, field, SNIPPET_CHARS));
        }
        let generator = self.generators[group].as_ref().expect("just made");
        let mut snippet = generator.snippet(description);
        if snippet.is_empty() {
            return beginning(description);
        }
        snippet.set_snippet_prefix_postfix("<mark>", "</mark>");
        snippet.to_html()
    }
}

/// The first [`SNIPPET_CHARS`] characters, cut at a space, HTML-escaped.
fn beginning(text: &str) -> String {
    let cut = match text.char_indices().nth(SNIPPET_CHARS) {
        None => text,
        Some((end, _)) => {
            let head = &text[..end];
            head.rfind(' ').map_or(head, |space| &head[..space])
        }
    };
    let mut out = escape_html(cut.trim_end());
    if cut.len() < text.len() {
        out.push('…');
    }
    out
}

fn escape_html(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#x27;"),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tokens(text: &str) -> Vec<String> {
        analysis::query_words(text, MAX_WORDS)
            .into_iter()
            .map(|w| w.text)
            .collect()
    }

    fn codes(text: &str) -> Vec<&'static str> {
        understand(&tokens(text))
            .categories
            .into_iter()
            .map(|(c, _)| c)
            .collect()
    }

    /// Issue 17: a 64,000-character word cost seconds in the Levenshtein automaton. A word
    /// over MAX_FUZZY_CHARS letters gets no edits, so it never reaches the fuzzy path.
    #[test]
    fn long_words_never_reach_the_fuzzy_path() {
        assert_eq!(fuzzy_edits(4), None);
        assert_eq!(fuzzy_edits(5), Some(1));
        assert_eq!(fuzzy_edits(9), Some(2));
        assert_eq!(fuzzy_edits(MAX_FUZZY_CHARS), Some(2));
        assert_eq!(fuzzy_edits(MAX_FUZZY_CHARS + 1), None);
        assert_eq!(fuzzy_edits(64_000), None);
    }

    #[test]
    fn search_text_is_bounded_in_characters() {
        let ok = "é".repeat(MAX_QUERY_CHARS);
        assert_eq!(check_text(&ok), Ok(()));
        assert_eq!(bounded_text(&ok), ok);
        let long = "a".repeat(64_000);
        assert_eq!(check_text(&long), Err(QueryTooLong { chars: 64_000 }));
        assert_eq!(bounded_text(&long).len(), MAX_QUERY_CHARS);
        let text = QueryTooLong { chars: 64_000 }.to_string();
        assert!(text.contains("256"), "{text}");
    }

    #[test]
    fn edit_distance_counts_transpositions_as_one_and_doubled_letters_as_half() {
        assert_eq!(weighted_edit_distance("sogiorno", "soggiorno"), 1);
        assert_eq!(weighted_edit_distance("permeso", "permesso"), 1);
        assert_eq!(weighted_edit_distance("dotore", "dottore"), 1);
        assert_eq!(weighted_edit_distance("dotore", "datore"), 2);
        assert_eq!(weighted_edit_distance("medcio", "medico"), 2);
        assert_eq!(weighted_edit_distance("abc", "abc"), 0);
        assert_eq!(weighted_edit_distance("", "ab"), 4);
        assert_eq!(weighted_edit_distance("", "aa"), 3);
    }

    #[test]
    fn taxonomy_phrases_in_any_language_name_categories() {
        for q in [
            "doctor",
            "médecin",
            "طبيب",
            "medico di base",
            "cerco un medico di base",
        ] {
            assert!(
                codes(q).contains(&"health.primary_care"),
                "{q}: {:?}",
                codes(q)
            );
        }
        assert_eq!(
            codes("permesso di soggiorno")[0],
            "documents.residence_permit"
        );
        assert!(codes("the of").is_empty());
        assert!(codes("xyzzy").is_empty());
    }

    #[test]
    fn words_naming_a_kind_of_office_select_no_category_alone() {
        for q in [
            "servizio",
            "sportello",
            "servizio sportello",
            "service",
            "مكتب",
            "الخدمة",
        ] {
            assert!(codes(q).is_empty(), "{q}: {:?}", codes(q));
        }
        assert!(
            codes("sportello legale").contains(&"legal"),
            "{:?}",
            codes("sportello legale")
        );
        assert!(codes("servizio sanitario").contains(&"health"));
        assert!(codes("ufficio immigrazione").contains(&"documents"));
    }

    #[test]
    fn the_beginning_of_a_description_is_cut_at_a_space_and_escaped() {
        assert_eq!(beginning("<b>Short</b>"), "&lt;b&gt;Short&lt;/b&gt;");
        let long = "parola ".repeat(60);
        let cut = beginning(&long);
        assert!(cut.ends_with("parola…"), "{cut}");
        assert!(cut.chars().count() <= SNIPPET_CHARS + 1);
    }
}
