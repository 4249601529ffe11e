//! How people tell a need: the cues of `data/taxonomy/phrases.toml` found in a query ("mio
//! marito mi picchia" names gender-based violence), negated papers ("doctor without
//! documents" asks for care without a permit, not for the documents offices), Arabic words
//! with their attached conjunction, preposition and article ("فالمدرسة" is "مدرسة"), and the
//! vocabulary of each language that typo correction may correct into.
//!
//! The taxonomy's names and synonyms say what a need is called; the cues say how a person in
//! difficulty tells it. Both select categories ([`crate::query`] decides how much they weigh).

use std::collections::{BTreeMap, HashMap};
use std::sync::LazyLock;

use crocevia_core::taxonomy;
use crocevia_core::text::folded_words;
use serde::{Deserialize, Serialize};

const PHRASES_TOML: &str = include_str!("../../../data/taxonomy/phrases.toml");

/// Emergency numbers worth showing above the results when a query names an urgent need.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Emergency {
    /// Violence against a person: 112, and 1522 (anti-violence and stalking, free, 24 h).
    Violence,
    /// A health emergency: 118 (112).
    Health,
    /// Nowhere to sleep tonight: 112 when in danger.
    Shelter,
    /// Trafficking and severe exploitation: the anti-trafficking number 800 290 290.
    Trafficking,
}

#[derive(Deserialize)]
struct PhrasesFile {
    need: Vec<RawNeed>,
    without: RawWithout,
    /// Language code → the names people call it by.
    spoken: BTreeMap<String, Vec<String>>,
}

#[derive(Deserialize)]
struct RawNeed {
    code: String,
    #[serde(default)]
    emergency: Option<Emergency>,
    /// Language → cues.
    #[serde(flatten)]
    cues: BTreeMap<String, Vec<String>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawWithout {
    negators: Vec<String>,
    papers: Vec<String>,
    connectors: Vec<String>,
}

/// A word of a cue: folded, and whether it matches every word it begins.
#[derive(Debug, Clone, PartialEq)]
struct CueWord {
    text: String,
    prefix: bool,
}

impl CueWord {
    fn parse(word: &str) -> Self {
        match word.strip_suffix('*') {
            Some(stem) => CueWord {
                text: stem.to_owned(),
                prefix: true,
            },
            None => CueWord {
                text: word.to_owned(),
                prefix: false,
            },
        }
    }

    /// Whether a query word, given as its forms ([`word_forms`]), is this cue word.
    fn matches(&self, forms: &[&str]) -> bool {
        forms.iter().any(|form| {
            if self.prefix {
                form.starts_with(&self.text)
            } else {
                *form == self.text
            }
        })
    }
}

/// One cue of one need.
#[derive(Debug)]
struct Cue {
    words: Vec<CueWord>,
    /// Index in [`Lexicon::needs`].
    need: usize,
}

/// What the phrases file says about one need.
#[derive(Debug)]
pub(crate) struct NeedCues {
    pub code: &'static str,
    pub emergency: Option<Emergency>,
    /// A top-level category ("family", "health"): a cue for it gives context more than it
    /// names the need, so it weighs less.
    pub broad: bool,
}

/// The phrases file, ready to match.
pub(crate) struct Lexicon {
    pub needs: Vec<NeedCues>,
    cues: Vec<Cue>,
    /// Cues written without spaces (Chinese): matched anywhere in the folded text.
    unspaced: Vec<(String, usize)>,
    negators: Vec<CueWord>,
    papers: Vec<CueWord>,
    /// Short words inside the name of a paper ("di" in "permesso di soggiorno").
    connectors: Vec<String>,
    /// Folded name of a language → its code ("arabo" → "ar").
    spoken: HashMap<String, String>,
    /// Every whole word of every cue and of every taxonomy label, with the languages it is
    /// a word of: what typo correction may correct into, and what it must leave alone.
    vocabulary: HashMap<String, Vec<&'static str>>,
    /// The same words as an FST, for typo correction's automata.
    word_set: tantivy_fst::Map<Vec<u8>>,
    /// Cues by their first word, when it is whole; the others (first word starred) apart.
    by_first_word: HashMap<String, Vec<usize>>,
    starred_first: Vec<usize>,
}

/// A need a query names, and where.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Found {
    pub need: usize,
    pub start: usize,
    pub len: usize,
}

fn folded(text: &str) -> Vec<String> {
    folded_words(text).map(|(w, _)| w).collect()
}

fn is_arabic(word: &str) -> bool {
    word.chars()
        .next()
        .is_some_and(|c| ('\u{0600}'..='\u{06FF}').contains(&c))
}

fn is_han(c: char) -> bool {
    ('\u{4E00}'..='\u{9FFF}').contains(&c) || ('\u{3400}'..='\u{4DBF}').contains(&c)
}

/// The forms a folded word may be matched under: itself and, for an Arabic word, the word
/// without its leading conjunction (و ف), preposition (ب ك ل) and article (ال, or the ل of
/// لل), as long as at least three letters remain (two after an article). The word comes
/// first; longer forms before shorter ones.
pub(crate) fn word_forms(word: &str) -> impl Iterator<Item = &str> {
    let mut forms = vec![word];
    if is_arabic(word) {
        let letters = |s: &str| s.chars().count();
        let conj = ["", "و", "ف"];
        let prep = ["", "ب", "ك", "ل"];
        for c in conj {
            let Some(a) = word.strip_prefix(c) else {
                continue;
            };
            for p in prep {
                let Some(b) = a.strip_prefix(p) else {
                    continue;
                };
                if (c, p) != ("", "") && letters(b) >= 3 && !forms.contains(&b) {
                    forms.push(b);
                }
                // The article, or after ل the ل of لل ("للمدرسة": ل + المدرسة).
                let article = if p == "ل" { "ل" } else { "ال" };
                if let Some(noun) = b.strip_prefix(article)
                    && letters(noun) >= 2
                    && !forms.contains(&noun)
                {
                    forms.push(noun);
                }
            }
        }
    }
    forms.into_iter()
}

fn is_cyrillic_word(word: &str) -> bool {
    word.chars().any(|c| ('\u{0400}'..='\u{04FF}').contains(&c))
}

/// An Italian word or place name written in Cyrillic letters, as Ukrainians and Russians
/// write them ("пермессо", "квестура", "Барлетта", "лаквіла"), spelt back the Italian way:
/// `permesso`, `questura`, `barletta`, `laquila`. `None` for a word with no Cyrillic letter.
/// Endings declined in Ukrainian ("в барлетті") stay: typo correction takes them the rest of
/// the way.
pub fn latin_of_cyrillic(word: &str) -> Option<String> {
    if !is_cyrillic_word(word) {
        return None;
    }
    let chars: Vec<char> = word.chars().collect();
    let soft_next = |i: usize| !matches!(chars.get(i + 1), Some('е' | 'є' | 'і' | 'и' | 'ї'));
    let mut out = String::with_capacity(word.len());
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        let next = chars.get(i + 1).copied();
        match (c, next) {
            ('д', Some('ж')) => {
                i += 1;
                out.push('g');
                if soft_next(i) {
                    out.push('i');
                }
            }
            ('ч', _) => {
                out.push('c');
                if soft_next(i) {
                    out.push('i');
                }
            }
            ('ш' | 'щ', _) => {
                out.push_str("sc");
                if soft_next(i) {
                    out.push('i');
                }
            }
            _ => {
                let latin = match c {
                    'а' => "a",
                    'б' => "b",
                    'в' => "v",
                    'г' | 'ж' => "g",
                    'д' => "d",
                    'е' | 'э' => "e",
                    'є' => "ie",
                    'з' => "z",
                    'и' | 'і' | 'ї' | 'й' | 'ы' => "i",
                    'к' => "k",
                    'л' => "l",
                    'м' => "m",
                    'н' => "n",
                    'о' => "o",
                    'п' => "p",
                    'р' => "r",
                    'с' => "s",
                    'т' => "t",
                    'у' => "u",
                    'ф' => "f",
                    'х' => "h",
                    'ц' => "z",
                    'ю' => "iu",
                    'я' => "ia",
                    'ь' | 'ъ' => "",
                    _ => {
                        out.push(c);
                        ""
                    }
                };
                out.push_str(latin);
            }
        }
        i += 1;
    }
    // k the Italian way: "kv" is "qu", before e and i "ch", elsewhere "c".
    let latin: Vec<char> = out.chars().collect();
    let mut italian = String::with_capacity(out.len());
    for (i, &c) in latin.iter().enumerate() {
        let next = latin.get(i + 1).copied();
        if c != 'k' {
            if !(c == 'v' && i > 0 && latin[i - 1] == 'k') {
                italian.push(c);
            }
            continue;
        }
        match next {
            Some('v') => italian.push_str("qu"),
            Some('e' | 'i') => italian.push_str("ch"),
            _ => italian.push('c'),
        }
    }
    Some(italian)
}

/// The language whose vocabulary a cue's language counts as: Arabic in Latin letters is
/// Arabic, Russian is Ukrainian (many Ukrainians write Russian).
fn vocabulary_language(lang: &str) -> &str {
    match lang {
        "ar-latn" => "ar",
        "ru" => "uk",
        other => other,
    }
}

impl Lexicon {
    fn parse(text: &str) -> Result<Lexicon, String> {
        let file: PhrasesFile = toml::from_str(text).map_err(|e| e.to_string())?;
        let mut lexicon = Lexicon {
            needs: Vec::new(),
            cues: Vec::new(),
            unspaced: Vec::new(),
            negators: file.without.negators.iter().map(|w| cue_word(w)).collect(),
            papers: file.without.papers.iter().map(|w| cue_word(w)).collect(),
            connectors: file
                .without
                .connectors
                .iter()
                .flat_map(|w| folded(w))
                .collect(),
            spoken: HashMap::new(),
            vocabulary: HashMap::new(),
            word_set: tantivy_fst::Map::from_iter(std::iter::empty::<(&str, u64)>())
                .map_err(|e| e.to_string())?,
            by_first_word: HashMap::new(),
            starred_first: Vec::new(),
        };
        for raw in &file.need {
            let term = taxonomy::term(&raw.code)
                .ok_or_else(|| format!("phrases: {} is not a code of needs.toml", raw.code))?;
            let need = lexicon.needs.len();
            lexicon.needs.push(NeedCues {
                code: term.code.as_str(),
                emergency: raw.emergency,
                broad: term.parent.is_none(),
            });
            for (lang, cues) in &raw.cues {
                let lang: &'static str = language_key(lang)
                    .ok_or_else(|| format!("phrases: {}: unknown language {lang}", raw.code))?;
                for cue in cues {
                    if cue.chars().any(is_han) {
                        lexicon.unspaced.push((cue.clone(), need));
                        continue;
                    }
                    let words: Vec<CueWord> = cue.split_whitespace().map(CueWord::parse).collect();
                    let words: Vec<CueWord> = words
                        .into_iter()
                        .flat_map(|w| {
                            // A cue word may fold into several ("l'italiano"): the last keeps
                            // the star.
                            let parts = folded(&w.text);
                            let n = parts.len();
                            parts.into_iter().enumerate().map(move |(i, text)| CueWord {
                                text: strip_article(&text).to_owned(),
                                prefix: w.prefix && i + 1 == n,
                            })
                        })
                        .collect();
                    if words.is_empty() {
                        return Err(format!("phrases: {}: empty cue", raw.code));
                    }
                    for w in words.iter().filter(|w| !w.prefix) {
                        lexicon.add_word(&w.text, lang);
                    }
                    lexicon.cues.push(Cue { words, need });
                }
            }
        }
        for (code, names) in &file.spoken {
            for name in names {
                lexicon.spoken.insert(folded(name).concat(), code.clone());
            }
        }
        for term in taxonomy::needs_taxonomy() {
            for (lang, label) in &term.labels {
                let lang = language_key(lang).expect("taxonomy languages are phrase languages");
                for phrase in std::iter::once(&label.name).chain(&label.synonyms) {
                    for word in folded(phrase) {
                        lexicon.add_word(&word, lang);
                    }
                }
            }
        }
        let mut words: Vec<&String> = lexicon.vocabulary.keys().collect();
        words.sort_unstable();
        lexicon.word_set = tantivy_fst::Map::from_iter(words.into_iter().map(|w| (w, 0)))
            .map_err(|e| e.to_string())?;
        for (index, cue) in lexicon.cues.iter().enumerate() {
            let first = &cue.words[0];
            if first.prefix {
                lexicon.starred_first.push(index);
            } else {
                lexicon
                    .by_first_word
                    .entry(first.text.clone())
                    .or_default()
                    .push(index);
            }
        }
        Ok(lexicon)
    }

    fn add_word(&mut self, word: &str, lang: &'static str) {
        let languages = self.vocabulary.entry(word.to_owned()).or_default();
        let lang = vocabulary_language(lang);
        if let Some(lang) = language_key(lang)
            && !languages.contains(&lang)
        {
            languages.push(lang);
        }
    }

    /// Whether a folded word is a word of the cues or of the taxonomy, in any language.
    pub fn knows(&self, word: &str) -> bool {
        self.vocabulary.contains_key(word)
    }

    /// The languages a folded word belongs to (empty when the lexicon does not know it).
    pub fn languages_of(&self, word: &str) -> &[&'static str] {
        self.vocabulary.get(word).map_or(&[], Vec::as_slice)
    }

    /// The lexicon's words `automaton` accepts (the correction candidates of a word).
    pub fn words_accepted<A: tantivy_fst::Automaton>(&self, automaton: A) -> Vec<String> {
        use tantivy_fst::{IntoStreamer, Streamer};
        let mut stream = self.word_set.search(automaton).into_stream();
        let mut out = Vec::new();
        while let Some((word, _)) = stream.next() {
            if let Ok(word) = std::str::from_utf8(word) {
                out.push(word.to_owned());
            }
        }
        out
    }

    /// Every cue `tokens` (folded query words) hold, longest first, then leftmost; cues
    /// written without spaces (Chinese) last, with no position (`len` 0).
    pub fn matches(&self, tokens: &[String]) -> Vec<Found> {
        let forms: Vec<Vec<&str>> = tokens.iter().map(|t| word_forms(t).collect()).collect();
        let mut found: Vec<Found> = Vec::new();
        for (start, first) in forms.iter().enumerate() {
            let by_word = first
                .iter()
                .filter_map(|f| self.by_first_word.get(*f))
                .flatten();
            for &index in by_word.chain(&self.starred_first) {
                let words = &self.cues[index].words;
                let end = start + words.len();
                if end <= tokens.len()
                    && words
                        .iter()
                        .zip(&forms[start..end])
                        .all(|(w, f)| w.matches(f))
                {
                    found.push(Found {
                        need: self.cues[index].need,
                        start,
                        len: words.len(),
                    });
                }
            }
        }
        found.sort_by_key(|f| (std::cmp::Reverse(f.len), f.start, f.need));
        found.dedup();
        let joined: String = tokens.concat();
        for (cue, need) in &self.unspaced {
            if joined.contains(cue.as_str()) && !found.iter().any(|f| f.need == *need) {
                found.push(Found {
                    need: *need,
                    start: 0,
                    len: 0,
                });
            }
        }
        found
    }

    /// Positions of words for papers that a negator shortly before says the person lacks
    /// ("senza documenti", "I have no permit", "no tengo papeles"), with the negator's.
    pub fn negated_papers(&self, tokens: &[String]) -> Vec<usize> {
        let forms: Vec<Vec<&str>> = tokens.iter().map(|t| word_forms(t).collect()).collect();
        let is_paper = |i: usize| self.papers.iter().any(|p| p.matches(&forms[i]));
        let mut out = Vec::new();
        for i in 0..tokens.len() {
            if !is_paper(i) {
                continue;
            }
            let from = i.saturating_sub(3);
            if let Some(negator) =
                (from..i).find(|&j| self.negators.iter().any(|n| n.matches(&forms[j])))
            {
                // The rest of the name: "permesso di soggiorno", "titre de séjour".
                let mut end = i;
                while end + 1 < tokens.len() {
                    if is_paper(end + 1) {
                        end += 1;
                    } else if end + 2 < tokens.len()
                        && self.connectors.contains(&tokens[end + 1])
                        && is_paper(end + 2)
                    {
                        end += 2;
                    } else {
                        break;
                    }
                }
                out.extend(negator..=end);
            }
        }
        out.sort_unstable();
        out.dedup();
        out
    }

    /// The language a folded word names ("arabo", "english", "українською" → its code).
    pub fn spoken_language(&self, word: &str) -> Option<&str> {
        self.spoken.get(word).map(String::as_str)
    }

    /// The entry for a category code, if the phrases file has one.
    pub fn need(&self, code: &str) -> Option<&NeedCues> {
        self.needs.iter().find(|n| n.code == code)
    }
}

fn cue_word(word: &str) -> CueWord {
    let parsed = CueWord::parse(word);
    let text = folded(&parsed.text).concat();
    CueWord {
        text: strip_article(&text).to_owned(),
        prefix: parsed.prefix,
    }
}

/// A folded Arabic word without its leading article (two letters at least remain), as the
/// taxonomy compares words.
fn strip_article(word: &str) -> &str {
    match word.strip_prefix("ال") {
        Some(rest) if rest.chars().count() >= 2 => rest,
        _ => word,
    }
}

/// The languages cues may be written in, as `'static` keys.
fn language_key(lang: &str) -> Option<&'static str> {
    const KEYS: &[&str] = &[
        "it", "en", "fr", "es", "ar", "ar-latn", "uk", "ru", "sq", "ro", "zh", "bn", "ur", "pa",
        "tl", "fa", "ti",
    ];
    KEYS.iter().find(|k| **k == lang).copied()
}

pub(crate) static LEXICON: LazyLock<Lexicon> = LazyLock::new(|| {
    Lexicon::parse(PHRASES_TOML)
        .expect("the embedded data/taxonomy/phrases.toml is valid (see its tests)")
});

#[cfg(test)]
mod tests {
    use super::*;

    fn tokens(text: &str) -> Vec<String> {
        folded(text)
    }

    /// The needs of the longest cues, never two on one word.
    fn codes(text: &str) -> Vec<&'static str> {
        let t = tokens(text);
        let mut taken = vec![false; t.len()];
        let mut out = Vec::new();
        for f in LEXICON.matches(&t) {
            if taken[f.start..f.start + f.len].iter().any(|t| *t) {
                continue;
            }
            taken[f.start..f.start + f.len]
                .iter_mut()
                .for_each(|t| *t = true);
            out.push(LEXICON.needs[f.need].code);
        }
        out
    }

    #[test]
    fn the_phrases_file_parses_and_names_known_codes() {
        assert!(LEXICON.cues.len() > 1000, "{} cues", LEXICON.cues.len());
        assert!(LEXICON.needs.len() >= 40);
        for cue in &LEXICON.cues {
            for w in &cue.words {
                assert!(
                    !w.prefix || w.text.chars().count() >= 4,
                    "{}: a starred word needs four letters: {}",
                    LEXICON.needs[cue.need].code,
                    w.text
                );
            }
        }
        assert!(
            Lexicon::parse("[[need]]\ncode = \"nope\"\n[without]\nnegators=[]\npapers=[]").is_err()
        );
    }

    /// A misspelling ("permeso", "dotore") is typo correction's to fix: as a cue it would
    /// be "known" and never corrected into the word the services hold.
    #[test]
    fn cues_are_not_misspellings_of_the_taxonomy_words() {
        let undoubled = |w: &str| {
            let mut out = String::new();
            for c in w.chars() {
                if !out.ends_with(c) {
                    out.push(c);
                }
            }
            out
        };
        let mut taxonomy: HashMap<String, Vec<String>> = HashMap::new();
        for term in taxonomy::needs_taxonomy() {
            for label in term.labels.values() {
                let texts = [&label.name, &label.description];
                for word in texts
                    .into_iter()
                    .chain(&label.synonyms)
                    .flat_map(|t| folded(t))
                {
                    taxonomy.entry(undoubled(&word)).or_default().push(word);
                }
            }
        }
        // Words of other languages that happen to differ by a doubled letter.
        const ALLOWED: &[&str] = &[
            "pasport", "payee", "vaccinee", "casse", "enroll", "modelo", "apelo", "bilet",
            "avvocat",
        ];
        for cue in &LEXICON.cues {
            // Latin letters only: Russian and Ukrainian spell some shared words differently.
            let checked = |w: &&CueWord| {
                !w.prefix && w.text.len() >= 5 && w.text.chars().all(|c| c.is_ascii_alphanumeric())
            };
            for word in cue.words.iter().filter(checked) {
                let Some(spelled) = taxonomy.get(&undoubled(&word.text)) else {
                    continue;
                };
                assert!(
                    spelled.contains(&word.text) || ALLOWED.contains(&word.text.as_str()),
                    "{}: cue word {} is a misspelling of {}",
                    LEXICON.needs[cue.need].code,
                    word.text,
                    spelled[0]
                );
            }
        }
    }

    #[test]
    fn a_need_told_as_a_sentence_is_found() {
        assert_eq!(codes("mio marito mi picchia"), ["violence.gender_based"]);
        assert_eq!(codes("my husband hits me"), ["violence.gender_based"]);
        assert_eq!(codes("mon mari me frappe"), ["violence.gender_based"]);
        assert_eq!(codes("زوجي يضربني"), ["violence.gender_based"]);
        assert_eq!(codes("non ho dove dormire"), ["housing.shelter"]);
        assert!(codes("il datore non mi paga").contains(&"work.rights"));
        assert_eq!(codes("我需要看病"), ["health.primary_care"]);
    }

    #[test]
    fn cues_split_where_queries_split() {
        // The Bengali virama ends a word for the tokenizer, in the cue as in the query.
        assert_eq!(codes("ডাক্তার"), ["health.primary_care"]);
    }

    #[test]
    fn longer_cues_win_and_take_their_words() {
        // "permis de sejour" is a residence permit, not a driving licence ("permis").
        assert_eq!(codes("permis de sejour"), ["documents.residence_permit"]);
    }

    #[test]
    fn arabic_clitics_are_stripped_for_matching() {
        let forms: Vec<&str> = word_forms("فالمدرسه").collect();
        assert!(forms.contains(&"مدرسه"), "{forms:?}");
        let forms: Vec<&str> = word_forms("للمدرسه").collect();
        assert!(forms.contains(&"مدرسه"), "{forms:?}");
        let forms: Vec<&str> = word_forms("والاقامه").collect();
        assert!(forms.contains(&"اقامه"), "{forms:?}");
        // A short word keeps its first letters: "بيت" is not "ب" + "يت".
        assert_eq!(word_forms("بيت").collect::<Vec<_>>(), ["بيت"]);
        assert!(codes("فالمدرسة").contains(&"education.school_enrolment"));
    }

    #[test]
    fn negated_papers_are_found_with_their_negator() {
        let t = tokens("doctor without documents");
        assert_eq!(LEXICON.negated_papers(&t), [1, 2]);
        let t = tokens("no tengo papeles");
        assert_eq!(LEXICON.negated_papers(&t), [0, 1, 2]);
        let t = tokens("rinnovo documenti");
        assert!(LEXICON.negated_papers(&t).is_empty());
    }

    #[test]
    fn italian_words_in_cyrillic_letters_are_spelt_back() {
        for (cyrillic, italian) in [
            ("пермессо", "permesso"),
            ("квестура", "questura"),
            ("барлетта", "barletta"),
            ("лаквіла", "laquila"),
            ("соджорно", "sogiorno"),
            ("піццолі", "pizzoli"),
            ("кастельвеккіо", "castelvecchio"),
            ("читтадінанца", "cittadinanza"),
        ] {
            assert_eq!(
                latin_of_cyrillic(cyrillic).as_deref(),
                Some(italian),
                "{cyrillic}"
            );
        }
        assert_eq!(latin_of_cyrillic("permesso"), None);
    }

    #[test]
    fn colloquial_words_are_vocabulary() {
        assert!(LEXICON.knows("ولاد"));
        assert!(LEXICON.knows("dottore"));
        assert!(LEXICON.languages_of("dottore").contains(&"it"));
        assert!(LEXICON.languages_of("famille").contains(&"fr"));
        assert!(!LEXICON.languages_of("famille").contains(&"it"));
    }
}
