//! Text analysis: how names and descriptions become index terms, and queries become words.
//!
//! One tokenizer for every language ([`FoldingTokenizer`]) splits on anything that is not a
//! letter or a digit and folds each word the way the needs taxonomy matches labels: lowercase,
//! Latin diacritics removed (`é` → `e`, `œ` → `oe`), Arabic vowel marks and tatweel dropped
//! (they do not split a word), alef forms unified, taa marbuta as haa, alef maqsura as yaa,
//! `ё` → `е`, `ґ` → `г`. An apostrophe splits Latin words (`l'impiego` → `l`, `impiego`) and
//! is part of a Cyrillic one (`сім'я`).
//!
//! On top of it each language field has a stemmer: tantivy's Snowball stemmers for English,
//! French, Spanish and Arabic. Italian words get two terms: the Snowball stem, which joins
//! derived words ("lavorativo", "lavoratori" → `lavor`), and a light stem of our own
//! ([`italian_light_stem`]) that only removes the gender and number ending, because Snowball's
//! Italian splits forms people use interchangeably ("italiano" → `ital` but "italiana" →
//! `italian`; "gratuito" → `gratu`, "gratuita" → `gratu`, but "gratuitamente" → `gratuit`).
//! Other languages (Ukrainian, …) are indexed folded, unstemmed.
//! The `words` field holds every text of a service in every language, folded and unstemmed:
//! it is the vocabulary typo correction and as-you-type prefixes are looked up in.

use std::sync::Arc;

use crocevia_core::text::{folded_words, next_word, primary_subtag};
use tantivy::Index;
use tantivy::tokenizer::{
    Language, RemoveLongFilter, Stemmer, TextAnalyzer, Token, TokenFilter, TokenStream, Tokenizer,
};

/// Tokenizer names registered on every index.
pub(crate) const FOLD: &str = "crocevia_fold";

/// The language groups with a field pair (name, description) each: the stemmed languages,
/// then `xx` for every other language (folded only).
pub(crate) const LANGS: [&str; 6] = ["it", "en", "fr", "es", "ar", "xx"];

/// The tokenizer name of a language group.
pub(crate) fn tokenizer_name(lang: &str) -> &'static str {
    match lang {
        "it" => "crocevia_it",
        "en" => "crocevia_en",
        "fr" => "crocevia_fr",
        "es" => "crocevia_es",
        "ar" => "crocevia_ar",
        _ => FOLD,
    }
}

/// The language group a BCP 47 tag is indexed under (`"en-GB"` → `"en"`, `"uk"` → `"xx"`).
pub(crate) fn lang_group(tag: &str) -> &'static str {
    let primary = primary_subtag(tag);
    LANGS[..5]
        .iter()
        .find(|l| **l == primary)
        .copied()
        .unwrap_or("xx")
}

/// Words longer than this (in bytes) are dropped: they are never typed and only bloat the
/// dictionary.
const MAX_TOKEN_BYTES: usize = 48;

pub(crate) fn analyzer(lang: &str) -> TextAnalyzer {
    let base = TextAnalyzer::builder(FoldingTokenizer::default())
        .filter(RemoveLongFilter::limit(MAX_TOKEN_BYTES));
    let stemmer = match lang {
        "it" => return base.filter(ItalianStemmer).build(),
        "en" => Language::English,
        "fr" => Language::French,
        "es" => Language::Spanish,
        "ar" => Language::Arabic,
        _ => return base.build(),
    };
    base.filter(Stemmer::new(stemmer)).build()
}

/// Registers the analyzers every field of the schema names.
pub(crate) fn register(index: &Index) {
    let manager = index.tokenizers();
    for lang in LANGS {
        manager.register(tokenizer_name(lang), analyzer(lang));
    }
}

/// The light Italian stem of a folded word: from five letters on, the final vowel goes, then a
/// final `i` left by a `-io`/`-ia`/`-ie` ending, and the `h` of `-che`/`-ghi`:
/// italiano, italiana, italiani → `italian`; ambulatorio, ambulatori → `ambulator`;
/// famiglia, famiglie → `famigl`; medico, medici → `medic`; amiche → `amic`; corso, corsi →
/// `cors`.
pub fn italian_light_stem(word: &mut String) {
    if word.chars().count() < 5 {
        return;
    }
    if word.ends_with(['a', 'e', 'i', 'o']) {
        word.pop();
        if word.ends_with('i') && word.chars().count() >= 5 {
            word.pop();
        }
        if word.ends_with("ch") || word.ends_with("gh") {
            word.pop();
        }
    }
}

/// Italian stemming as a tantivy token filter: for each word, its Snowball stem and, when
/// different, its [`italian_light_stem`] as a second term at the same place.
#[derive(Clone, Copy)]
pub struct ItalianStemmer;

impl TokenFilter for ItalianStemmer {
    type Tokenizer<T: Tokenizer> = SnowballFilter<T>;

    fn transform<T: Tokenizer>(self, tokenizer: T) -> SnowballFilter<T> {
        SnowballStem::italian().transform(tokenizer)
    }
}

/// Snowball stemming (plus the light stem for Italian), optionally only of the words that
/// begin like one of a few starts; the others pass unchanged.
#[derive(Clone)]
pub struct SnowballStem {
    algorithm: frostem::Algorithm,
    light: bool,
    starts: Option<Arc<[String]>>,
}

impl SnowballStem {
    fn italian() -> Self {
        SnowballStem {
            algorithm: frostem::Algorithm::Italian,
            light: true,
            starts: None,
        }
    }
}

impl TokenFilter for SnowballStem {
    type Tokenizer<T: Tokenizer> = SnowballFilter<T>;

    fn transform<T: Tokenizer>(self, tokenizer: T) -> SnowballFilter<T> {
        SnowballFilter {
            inner: tokenizer,
            stem: self,
        }
    }
}

#[derive(Clone)]
pub struct SnowballFilter<T> {
    inner: T,
    stem: SnowballStem,
}

impl<T: Tokenizer> Tokenizer for SnowballFilter<T> {
    type TokenStream<'a> = SnowballStream<'a, T::TokenStream<'a>>;

    fn token_stream<'a>(&'a mut self, text: &'a str) -> Self::TokenStream<'a> {
        SnowballStream {
            inner: self.inner.token_stream(text),
            snowball: frostem::Stemmer::new(self.stem.algorithm),
            light: self.stem.light,
            starts: self.stem.starts.as_deref(),
            pending: None,
        }
    }
}

pub struct SnowballStream<'a, S> {
    inner: S,
    snowball: frostem::Stemmer,
    light: bool,
    starts: Option<&'a [String]>,
    /// The light stem of the current word, still to be given.
    pending: Option<String>,
}

impl<S: TokenStream> TokenStream for SnowballStream<'_, S> {
    fn advance(&mut self) -> bool {
        if let Some(light) = self.pending.take() {
            self.inner.token_mut().text = light;
            return true;
        }
        if !self.inner.advance() {
            return false;
        }
        let token = self.inner.token_mut();
        if let Some(starts) = self.starts
            && !starts.iter().any(|s| token.text.starts_with(s.as_str()))
        {
            return true;
        }
        let snowball = self.snowball.stem(&token.text).into_owned();
        if self.light {
            let mut light = token.text.clone();
            italian_light_stem(&mut light);
            if light != snowball {
                self.pending = Some(light);
            }
        }
        token.text = snowball;
        true
    }

    fn token(&self) -> &Token {
        self.inner.token()
    }

    fn token_mut(&mut self) -> &mut Token {
        self.inner.token_mut()
    }
}

/// The analyzer of `lang` for highlighting a description where only the stems `terms` can
/// match: only words beginning like one of them are stemmed, which is most of the cost of a
/// snippet. Snowball's Italian, English, French and Spanish stemmers and our light Italian
/// stem change only a word's end, so a word whose stem is a term begins with the term's first
/// two letters, and a word left unstemmed equals no term. The Arabic stemmer removes
/// prefixes: every Arabic word is stemmed.
pub(crate) fn highlight_analyzer(lang: &str, terms: &[String]) -> TextAnalyzer {
    let algorithm = match lang {
        "it" => frostem::Algorithm::Italian,
        "en" => frostem::Algorithm::English,
        "fr" => frostem::Algorithm::French,
        "es" => frostem::Algorithm::Spanish,
        _ => return analyzer(lang),
    };
    let mut starts: Vec<String> = terms.iter().map(|t| t.chars().take(2).collect()).collect();
    starts.sort_unstable();
    starts.dedup();
    TextAnalyzer::builder(FoldingTokenizer::default())
        .filter(RemoveLongFilter::limit(MAX_TOKEN_BYTES))
        .filter(SnowballStem {
            algorithm,
            light: lang == "it",
            starts: Some(starts.into()),
        })
        .build()
}

/// Splits `text` and folds each word ([`crocevia_core::text::next_word`]); see the module
/// documentation.
#[derive(Clone, Default)]
pub struct FoldingTokenizer {
    token: Token,
}

pub struct FoldingTokenStream<'a> {
    text: &'a str,
    /// Byte offset where scanning resumes.
    pos: usize,
    token: &'a mut Token,
}

impl Tokenizer for FoldingTokenizer {
    type TokenStream<'a> = FoldingTokenStream<'a>;

    fn token_stream<'a>(&'a mut self, text: &'a str) -> FoldingTokenStream<'a> {
        self.token.reset();
        FoldingTokenStream {
            text,
            pos: 0,
            token: &mut self.token,
        }
    }
}

impl TokenStream for FoldingTokenStream<'_> {
    fn advance(&mut self) -> bool {
        let Some(word) = next_word(self.text, self.pos, &mut self.token.text) else {
            self.pos = self.text.len();
            return false;
        };
        self.pos = word.end;
        self.token.offset_from = word.start;
        self.token.offset_to = word.end;
        self.token.position = self.token.position.wrapping_add(1);
        true
    }

    fn token(&self) -> &Token {
        self.token
    }

    fn token_mut(&mut self) -> &mut Token {
        self.token
    }
}

/// A word of a query: its folded form and where it ends in the query text.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct QueryWord {
    pub text: String,
    pub end: usize,
}

/// The folded words of `text`, at most `max` of them.
pub(crate) fn query_words(text: &str, max: usize) -> Vec<QueryWord> {
    folded_words(text)
        .take(max)
        .map(|(text, range)| QueryWord {
            text,
            end: range.end,
        })
        .collect()
}

/// The terms `analyzer` makes of one folded word (usually one; none for an over-long word).
pub(crate) fn analyze_into(analyzer: &mut TextAnalyzer, word: &str, out: &mut Vec<String>) {
    let mut stream = analyzer.token_stream(word);
    while stream.advance() {
        out.push(stream.token().text.clone());
    }
}

/// Words too common, or too much a part of how people phrase a request, to be required in
/// a match ("cerco un medico", "I need a doctor", "j'ai besoin d'un médecin"). They still
/// count inside a taxonomy phrase ("medico di base"). Folded forms.
pub(crate) fn is_stopword(word: &str) -> bool {
    #[rustfmt::skip]
    const STOPWORDS: &[&str] = &[
        // it
        "a", "ad", "ai", "al", "alla", "alle", "allo", "che", "chi", "ci", "con", "come", "d",
        "da", "dal", "dalla", "dei", "del", "dell", "della", "delle", "di", "dove", "e", "ed",
        "gli", "ho", "i", "il", "in", "l", "la", "le", "lo", "mi", "mio", "mia", "ne", "nel",
        "nella", "non", "o", "per", "posso", "qui", "quale", "se", "senza", "si", "sono", "su", "ha", "hanno", "sto", "ma",
        "sul", "sulla", "tra", "un", "una", "uno", "vicino", "cerco", "serve", "bisogno",
        "aiuto", "voglio", "vorrei", "trovare", "informazioni",
        // en
        "an", "and", "are", "at", "be", "by", "can", "do", "does", "for", "from", "get",
        "how", "is", "it", "me", "my", "near", "need", "of", "on", "or", "s", "the", "to",
        "want", "where", "with", "without", "your", "help", "find", "looking", "information",
        "no", "not", "i", "am", "have", "has", "was", "what", "this", "that", "please",
        // fr
        "au", "aux", "besoin", "ce", "cherche", "comment", "dans", "de", "des", "du", "en",
        "est", "et", "j", "je", "les", "ma", "mes", "moi", "mon", "ou", "où", "pour", "pres",
        "qu", "que", "sans", "sur", "trouver", "une", "aide", "pas", "ne", "n", "suis", "ai",
        "il", "elle", "on", "mais",
        // es
        "el", "los", "las", "mis", "necesito", "para", "sin", "y", "donde", "ayuda", "no",
        "tengo", "tiene", "estoy", "soy", "hay", "quiero", "puedo", "pero", "porque", "muy",
        // uk
        "в", "й", "на", "до", "для", "з", "із", "та", "у", "і", "без", "за", "про", "по", "чи",
        "або", "мені", "мій", "моя", "де", "потрібна", "потрібен", "допомога",
        // ar (folded)
        "في", "من", "و", "الى", "على", "عن", "بدون", "غير", "او", "اين", "اريد", "احتاج",
        "ابحث", "مساعده",
    ];
    STOPWORDS.contains(&word)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tokens(analyzer: &mut TextAnalyzer, text: &str) -> Vec<(String, usize, usize)> {
        let mut stream = analyzer.token_stream(text);
        let mut out = Vec::new();
        while stream.advance() {
            let t = stream.token();
            out.push((t.text.clone(), t.offset_from, t.offset_to));
        }
        out
    }

    #[test]
    fn folding_keeps_offsets_into_the_original_text() {
        let mut a = analyzer("xx");
        let text = "Città dell’Aquila – SÉ";
        let got = tokens(&mut a, text);
        let words: Vec<&str> = got.iter().map(|t| t.0.as_str()).collect();
        assert_eq!(words, ["citta", "dell", "aquila", "se"]);
        for (word, from, to) in &got {
            let original = &text[*from..*to];
            assert_eq!(
                original.to_lowercase().chars().count(),
                word.chars().count()
            );
        }
        assert_eq!(&text[got[0].1..got[0].2], "Città");
    }

    #[test]
    fn arabic_marks_do_not_split_words_and_cyrillic_apostrophes_join() {
        let mut a = analyzer("xx");
        let words: Vec<String> = tokens(&mut a, "طَبِيب الإقامة сім’я l'impiego")
            .into_iter()
            .map(|t| t.0)
            .collect();
        assert_eq!(words, ["طبيب", "الاقامه", "сімя", "l", "impiego"]);
    }

    /// Highlighting stems only the words that can match, and finds the same words.
    #[test]
    fn highlighting_finds_what_the_full_analyzer_finds() {
        let cases = [
            (
                "it",
                "permesso",
                "Rinnovo dei permessi di soggiorno: il permesso si chiede in Questura, con i moduli per il rinnovo.",
            ),
            (
                "it",
                "italiano",
                "Corsi di lingua italiana e cultura italiana per stranieri; italiani e non.",
            ),
            (
                "en",
                "housing",
                "Emergency houses and housing support; we house families while the application is checked.",
            ),
            (
                "fr",
                "médecin",
                "Les médecins reçoivent sans rendez-vous; un médecin généraliste parle arabe.",
            ),
            (
                "es",
                "trabajo",
                "Orientación al trabajo y a los trabajadores: trabajos de temporada.",
            ),
        ];
        for (lang, word, text) in cases {
            let mut full = analyzer(lang);
            let mut terms = Vec::new();
            analyze_into(&mut full, &fold_word(word), &mut terms);
            let matches = |az: &mut TextAnalyzer| -> Vec<(String, usize, usize)> {
                tokens(az, text)
                    .into_iter()
                    .filter(|t| terms.contains(&t.0))
                    .collect()
            };
            let expected = matches(&mut full);
            assert!(expected.len() >= 2, "{lang}: {expected:?}");
            assert_eq!(
                matches(&mut highlight_analyzer(lang, &terms)),
                expected,
                "{lang}"
            );
        }
    }

    fn fold_word(word: &str) -> String {
        query_words(word, 1).remove(0).text
    }

    #[test]
    fn stemmers_conflate_inflections() {
        let stem = |lang: &str, word: &str| {
            let mut a = analyzer(lang);
            tokens(&mut a, word).remove(0).0
        };
        assert_eq!(stem("it", "permessi"), stem("it", "permesso"));
        let italian = |word: &str| {
            let mut a = analyzer("it");
            tokens(&mut a, word)
                .into_iter()
                .map(|t| t.0)
                .collect::<Vec<_>>()
        };
        let shares = |a: &str, b: &str| {
            let b = italian(b);
            italian(a).iter().any(|t| b.contains(t))
        };
        assert!(shares("italiana", "italiano"));
        assert!(shares("lavorativo", "lavoratori"));
        assert!(shares("ambulatori", "ambulatorio"));
        assert!(shares("famiglie", "famiglia"));
        assert!(shares("gratuita", "gratuitamente"));
        assert!(!shares("casa", "corso"));
        let mut word = "amiche".to_owned();
        italian_light_stem(&mut word);
        assert_eq!(word, "amic");
        assert_eq!(stem("en", "doctors"), stem("en", "doctor"));
        assert_eq!(stem("fr", "médecins"), stem("fr", "médecin"));
        assert_eq!(stem("es", "médicos"), stem("es", "médico"));
        assert_eq!(stem("ar", "الطبيب"), stem("ar", "طبيب"));
    }

    #[test]
    fn language_tags_map_to_field_groups() {
        assert_eq!(lang_group("en-GB"), "en");
        assert_eq!(lang_group("IT"), "it");
        assert_eq!(lang_group("uk"), "xx");
    }

    #[test]
    fn query_words_know_where_they_end() {
        let words = query_words("Permesso di sogg", 10);
        assert_eq!(words.len(), 3);
        assert_eq!(words[2].text, "sogg");
        assert_eq!(words[2].end, 16);
    }
}
