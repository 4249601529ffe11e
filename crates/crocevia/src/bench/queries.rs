//! The fixed query mix: ten kinds of query, `n` of each, drawn deterministically from the
//! generated directory's own vocabulary (document frequencies counted while indexing).

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crocevia_core::service_doc::ServiceDoc;
use crocevia_core::territory::Point;
use crocevia_search::{Near, SearchQuery};

use super::corpus::{Corpus, is_function_word, words};
use super::rng::{Rng, Weighted};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    Common,
    Rare,
    TwoWords,
    Prefix,
    Typo,
    CategoryProvince,
    Proximity,
    OpenNow,
    Arabic,
    English,
    /// No text, no filter: facet counts over every service. Not part of the mix.
    BrowseAll,
}

impl Kind {
    /// The mix, in the order tables list it.
    pub const MIX: [Kind; 10] = [
        Kind::Common,
        Kind::Rare,
        Kind::TwoWords,
        Kind::Prefix,
        Kind::Typo,
        Kind::CategoryProvince,
        Kind::Proximity,
        Kind::OpenNow,
        Kind::Arabic,
        Kind::English,
    ];

    pub fn label(self) -> &'static str {
        match self {
            Kind::Common => "common word",
            Kind::Rare => "rare word",
            Kind::TwoWords => "two words (AND)",
            Kind::Prefix => "prefix (as you type)",
            Kind::Typo => "one typo",
            Kind::CategoryProvince => "category + province",
            Kind::Proximity => "proximity 10-30 km",
            Kind::OpenNow => "open now",
            Kind::Arabic => "Arabic",
            Kind::English => "English",
            Kind::BrowseAll => "browse all (facets)",
        }
    }

    pub fn key(self) -> &'static str {
        match self {
            Kind::Common => "common",
            Kind::Rare => "rare",
            Kind::TwoWords => "two_words",
            Kind::Prefix => "prefix",
            Kind::Typo => "typo",
            Kind::CategoryProvince => "category_province",
            Kind::Proximity => "proximity",
            Kind::OpenNow => "open_now",
            Kind::Arabic => "arabic",
            Kind::English => "english",
            Kind::BrowseAll => "browse_all",
        }
    }
}

/// A point and radius, with the comune it was taken from.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NearSpec {
    pub comune: String,
    pub lat: f64,
    pub lon: f64,
    pub radius_km: f64,
}

impl NearSpec {
    /// `(lat_min, lat_max, lon_min, lon_max)` of the square around the circle: what engines
    /// without distance can filter on.
    pub fn bbox(&self) -> (f64, f64, f64, f64) {
        let dlat = self.radius_km / 111.2;
        let dlon = self.radius_km / (111.32 * self.lat.to_radians().cos().max(0.01));
        (
            self.lat - dlat,
            self.lat + dlat,
            self.lon - dlon,
            self.lon + dlon,
        )
    }
}

/// One query of the mix, in a form every engine can read.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BenchQuery {
    pub kind: Kind,
    /// The text as typed; `None` when the query has no text.
    pub text: Option<String>,
    /// Its lowercase words, for engines that take words (all required).
    pub words: Vec<String>,
    /// The last word is still being typed: match it as a prefix.
    pub prefix: bool,
    /// The searcher's language.
    pub lang: String,
    /// A needs-taxonomy code.
    pub category: Option<String>,
    /// An ISTAT province code.
    pub province: Option<String>,
    pub near: Option<NearSpec>,
    pub open_now: bool,
}

impl BenchQuery {
    fn new(kind: Kind, text: Option<String>) -> BenchQuery {
        let words = text
            .as_deref()
            .map(|t| words(t).collect())
            .unwrap_or_default();
        BenchQuery {
            kind,
            text,
            words,
            prefix: false,
            lang: "it".to_owned(),
            category: None,
            province: None,
            near: None,
            open_now: false,
        }
    }

    /// The same query for our index.
    pub fn to_search(&self) -> SearchQuery {
        SearchQuery {
            text: self.text.clone(),
            language: Some(self.lang.clone()),
            categories: self.category.iter().cloned().collect(),
            province: self.province.clone(),
            open_now: self.open_now,
            near: self.near.as_ref().map(|n| Near {
                point: Point {
                    lat: n.lat,
                    lon: n.lon,
                },
                radius_km: n.radius_km,
            }),
            // As `GET /api/search` asks by default.
            facet_limit: Some(crocevia_search::query::DEFAULT_FACET_LIMIT),
            ..SearchQuery::default()
        }
    }
}

/// Every query, with when "now" is for open-now.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct QuerySet {
    pub now: DateTime<Utc>,
    pub services: usize,
    pub per_kind: usize,
    pub queries: Vec<BenchQuery>,
}

impl QuerySet {
    pub fn of(&self, kind: Kind) -> impl Iterator<Item = &BenchQuery> {
        self.queries.iter().filter(move |q| q.kind == kind)
    }

    /// The mix, kinds interleaved (what throughput runs).
    pub fn mix(&self) -> Vec<&BenchQuery> {
        let by_kind: Vec<Vec<&BenchQuery>> =
            Kind::MIX.iter().map(|k| self.of(*k).collect()).collect();
        let longest = by_kind.iter().map(Vec::len).max().unwrap_or(0);
        (0..longest)
            .flat_map(|i| by_kind.iter().filter_map(move |qs| qs.get(i).copied()))
            .collect()
    }
}

/// Document frequencies of the lowercase words of every text, counted while indexing.
#[derive(Default)]
pub struct WordStats {
    df: HashMap<String, u32>,
    scratch: Vec<String>,
}

impl WordStats {
    pub fn add(&mut self, doc: &ServiceDoc) {
        self.scratch.clear();
        for text in &doc.texts {
            self.scratch.extend(words(&text.name));
            self.scratch.extend(words(&text.description));
        }
        self.scratch.sort_unstable();
        self.scratch.dedup();
        for w in self.scratch.drain(..) {
            match self.df.get_mut(w.as_str()) {
                Some(n) => *n += 1,
                None => {
                    self.df.insert(w, 1);
                }
            }
        }
    }

    pub fn df(&self, word: &str) -> u32 {
        self.df.get(word).copied().unwrap_or(0)
    }

    pub fn distinct(&self) -> usize {
        self.df.len()
    }
}

/// Words a user would type as content: Latin letters, four or more, not function words, not
/// the words that ask for free services (which our search treats as a wish, not a word), nor
/// the generator's own boilerplate ("Temi:", "Parole chiave:", "Si occupa in particolare
/// di:", "finanziato dal FAMI").
fn is_content_word(w: &str) -> bool {
    w.chars().count() >= 4
        && w.chars()
            .all(|c| c.is_alphabetic() && (c.is_ascii() || "àèéìíòóùú".contains(c)))
        && !is_function_word(w)
        && !matches!(
            w,
            "gratuito"
                | "gratuita"
                | "gratuiti"
                | "gratuite"
                | "gratis"
                | "free"
                | "gratuit"
                | "temi"
                | "parole"
                | "chiave"
                | "occupa"
                | "particolare"
                | "finanziato"
                | "fami"
        )
}

/// Draws `per_kind` queries of each kind.
pub fn generate(
    corpus: &Corpus,
    stats: &WordStats,
    services: usize,
    per_kind: usize,
    seed: u64,
    now: DateTime<Utc>,
) -> QuerySet {
    let mut rng = Rng::new(seed ^ 0x00C0_FFEE_0000_0001);
    // Content words by document frequency, most frequent first (ties by word: the order of
    // a HashMap must not leak into the queries).
    let mut ranked: Vec<(&str, u32)> = stats
        .df
        .iter()
        .filter(|(w, _)| is_content_word(w))
        .map(|(w, n)| (w.as_str(), *n))
        .collect();
    ranked.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(b.0)));
    let common: Vec<&str> = ranked.iter().take(40).map(|(w, _)| *w).collect();
    let common_weights = Weighted::zipf(common.len().max(1), 1.0);
    let long: Vec<&str> = ranked
        .iter()
        .filter(|(w, _)| w.chars().count() >= 6)
        .take(300)
        .map(|(w, _)| *w)
        .collect();
    let long_weights = Weighted::zipf(long.len().max(1), 1.0);
    let typo_source: Vec<&str> = ranked
        .iter()
        .filter(|(w, _)| w.chars().count() >= 6)
        .take(3000)
        .map(|(w, _)| *w)
        .collect();
    let rare_max = u32::try_from((services / 20_000).max(3)).unwrap_or(u32::MAX);
    let rare: Vec<&str> = ranked
        .iter()
        .filter(|(w, n)| *n <= rare_max && w.chars().count() >= 5)
        .map(|(w, _)| *w)
        .collect();

    let pick_common = |rng: &mut Rng| common[common_weights.sample(rng)].to_owned();
    // Two content words of one document's Italian text: what people pair really co-occurs.
    let pair = |rng: &mut Rng| -> (String, String) {
        loop {
            let doc = corpus.doc(rng.below(services.max(1)));
            let it = &doc.texts[0];
            let mut candidates: Vec<String> = words(&it.name)
                .chain(words(&it.description))
                .filter(|w| is_content_word(w) && stats.df(w) >= 2)
                .collect();
            candidates.sort();
            candidates.dedup();
            if candidates.len() >= 2 {
                let a = rng.below(candidates.len());
                let mut b = rng.below(candidates.len() - 1);
                if b >= a {
                    b += 1;
                }
                return (candidates[a].clone(), candidates[b].clone());
            }
        }
    };
    let truncate = |word: &str, rng: &mut Rng| -> String {
        let keep = 3 + rng.below(3);
        word.chars().take(keep).collect()
    };
    let taxonomy_phrase = |lang: &str, rng: &mut Rng| -> String {
        let term = corpus.needs[corpus.need_weights.sample(rng)];
        let label = term.label(lang);
        let phrases: Vec<&String> = std::iter::once(&label.name)
            .chain(&label.synonyms)
            .filter(|p| p.split_whitespace().count() <= 3)
            .collect();
        if phrases.is_empty() {
            label.name.clone()
        } else {
            (*rng.pick(&phrases)).clone()
        }
    };
    let near = |rng: &mut Rng| -> NearSpec {
        let comune = &corpus.territories().comuni[corpus.sample_comune(rng)];
        let centre = comune.centroid.expect("sampled comuni have a centroid");
        NearSpec {
            comune: comune.code.clone(),
            lat: centre.lat,
            lon: centre.lon,
            radius_km: f64::from(10 + u32::try_from(rng.below(21)).unwrap_or(0)),
        }
    };

    let mut queries = Vec::with_capacity(per_kind * (Kind::MIX.len() + 1));
    for kind in Kind::MIX.into_iter().chain([Kind::BrowseAll]) {
        for _ in 0..per_kind {
            let q = match kind {
                Kind::Common => BenchQuery::new(kind, Some(pick_common(&mut rng))),
                Kind::Rare => {
                    let word = if rare.is_empty() {
                        ranked.last().map_or("", |(w, _)| *w)
                    } else {
                        *rng.pick(&rare)
                    };
                    BenchQuery::new(kind, Some(word.to_owned()))
                }
                Kind::TwoWords => {
                    let (a, b) = pair(&mut rng);
                    BenchQuery::new(kind, Some(format!("{a} {b}")))
                }
                Kind::Prefix => {
                    let text = if rng.chance(0.5) {
                        truncate(long[long_weights.sample(&mut rng)], &mut rng)
                    } else {
                        let (a, b) = pair(&mut rng);
                        format!("{a} {}", truncate(&b, &mut rng))
                    };
                    let mut q = BenchQuery::new(kind, Some(text));
                    q.prefix = true;
                    q
                }
                Kind::Typo => {
                    let mut attempts = 0;
                    let typo = loop {
                        attempts += 1;
                        let word = typo_source.get(rng.below(typo_source.len().max(1)));
                        let word = word.copied().unwrap_or("permesso");
                        let typo = one_edit(word, &mut rng);
                        if attempts > 1000
                            || (typo != word && stats.df(&typo) == 0 && typo.chars().count() >= 5)
                        {
                            break typo;
                        }
                    };
                    BenchQuery::new(kind, Some(typo))
                }
                Kind::CategoryProvince => {
                    let mut q = BenchQuery::new(kind, None);
                    q.category = Some(
                        corpus.needs[corpus.need_weights.sample(&mut rng)]
                            .code
                            .clone(),
                    );
                    let comune = &corpus.territories().comuni[corpus.sample_comune(&mut rng)];
                    q.province = Some(comune.province_code.clone());
                    q
                }
                Kind::Proximity => {
                    let mut q = BenchQuery::new(kind, Some(pick_common(&mut rng)));
                    q.near = Some(near(&mut rng));
                    q
                }
                Kind::OpenNow => {
                    let mut q = BenchQuery::new(kind, Some(pick_common(&mut rng)));
                    q.open_now = true;
                    q
                }
                Kind::Arabic | Kind::English => {
                    let lang = if kind == Kind::Arabic { "ar" } else { "en" };
                    let mut q = BenchQuery::new(kind, Some(taxonomy_phrase(lang, &mut rng)));
                    lang.clone_into(&mut q.lang);
                    q
                }
                Kind::BrowseAll => BenchQuery::new(kind, None),
            };
            queries.push(q);
        }
    }
    QuerySet {
        now,
        services,
        per_kind,
        queries,
    }
}

/// One edit (substitution, deletion, insertion or transposition) away from `word`, never on
/// its first letter (people rarely get that wrong).
fn one_edit(word: &str, rng: &mut Rng) -> String {
    const LETTERS: &[char] = &['a', 'e', 'i', 'o', 'u', 'r', 'n', 's', 't', 'l', 'c', 'm'];
    let mut chars: Vec<char> = word.chars().collect();
    let at = 1 + rng.below(chars.len() - 1);
    match rng.below(4) {
        0 => chars[at] = *rng.pick(LETTERS),
        1 => {
            chars.remove(at);
        }
        2 => chars.insert(at, *rng.pick(LETTERS)),
        _ => {
            if at + 1 < chars.len() {
                chars.swap(at, at + 1);
            } else {
                chars.swap(at - 1, at);
            }
        }
    }
    chars.into_iter().collect()
}
