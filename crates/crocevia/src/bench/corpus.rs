//! The synthetic national directory: [`Corpus::doc`] makes service `i` as a [`ServiceDoc`],
//! a pure function of the seed and `i`, so every engine can be fed the same documents without
//! holding a million of them in memory.
//!
//! Realism comes from the demo network (`data/demo/network.toml`): its ~80 service templates
//! (Italian names and descriptions, English/French/Arabic translations, needs, languages,
//! opening hours, fees) are placed in every real comune, with the demo's place names turned
//! back into placeholders. Around them:
//! - comuni are weighted by size (a provincial capital counts [`CAPITAL_WEIGHT`] times a
//!   small comune: there is no population in the shipped territory data);
//! - the primary need is Zipf-distributed over the 57 needs terms, ordered by how often the
//!   demo uses them; a need no template covers gets a generic service from the taxonomy's
//!   labels;
//! - every description gains a sentence of Zipf-distributed topic words (the vocabulary of
//!   the demo and the taxonomy, ranked by frequency), and some a project with a made-up
//!   name (the rare words of a real directory: proper nouns);
//! - translations for a share, in the template's languages, else from the taxonomy's labels
//!   (Spanish and Ukrainian too); points near the comune's centroid; statuses,
//!   verification dates, accessibility, free of charge.

use std::collections::{BTreeMap, HashMap};

use chrono::{Days, NaiveDate, Weekday};
use serde::Deserialize;

use crocevia_core::schedule::{Day, Opening};
use crocevia_core::service_doc::{LocalText, ServiceDoc};
use crocevia_core::taxonomy::{self, NeedTerm};
use crocevia_core::territory::{Point, Territories};

use super::rng::{Rng, Weighted};

const NETWORK_TOML: &str = include_str!("../../../../data/demo/network.toml");

/// A provincial capital weighs this many small comuni.
pub const CAPITAL_WEIGHT: f64 = 60.0;
/// Exponent of the Zipf laws (needs, topic words).
const ZIPF_S: f64 = 1.0;
/// Made-up project names: the rare tail of the vocabulary.
const PROJECT_NAMES: usize = 8000;

const STREAM_DOC: u64 = 1;

// ---------------------------------------------------------------------------------------------
// The demo file, as far as the generator needs it (unknown fields are ignored)
// ---------------------------------------------------------------------------------------------

#[derive(Deserialize)]
struct DemoFile {
    province: Vec<DemoProvince>,
    place: Vec<DemoPlace>,
    hours: BTreeMap<String, Vec<Slot>>,
    organization: Vec<OrgSpec>,
    service: Vec<ServiceSpec>,
}

#[derive(Deserialize)]
struct DemoProvince {
    name: String,
    di: String,
    ar: String,
}

#[derive(Deserialize)]
struct DemoPlace {
    name: String,
    di: String,
    a: String,
    ar: String,
}

#[derive(Deserialize)]
struct Slot {
    days: String,
    opens: String,
    closes: String,
}

#[derive(Deserialize, Clone)]
struct Text {
    name: String,
    description: String,
}

#[derive(Deserialize)]
struct OrgSpec {
    key: String,
    name: String,
    en: Option<Text>,
    fr: Option<Text>,
    ar: Option<Text>,
}

#[derive(Deserialize)]
struct ServiceSpec {
    organization: String,
    name: String,
    description: String,
    needs: Vec<String>,
    #[serde(default)]
    languages: Vec<String>,
    hours: String,
    fees: Option<String>,
    #[serde(default)]
    cost: Vec<toml::Value>,
    #[serde(default)]
    eligibility: String,
    #[serde(default)]
    application: String,
    #[serde(default)]
    documents: Vec<String>,
    en: Option<Text>,
    fr: Option<Text>,
    ar: Option<Text>,
}

// ---------------------------------------------------------------------------------------------
// Templates
// ---------------------------------------------------------------------------------------------

/// A text with `{placeholders}` for the place it is generated in.
#[derive(Debug, Clone)]
struct Pattern(String);

struct Template {
    name: Pattern,
    description: Pattern,
    /// Eligibility and application sentences: sometimes appended.
    extra: Vec<Pattern>,
    /// `(language, name, description)`.
    translations: Vec<(&'static str, Pattern, Pattern)>,
    organization: usize,
    needs: Vec<String>,
    languages: Vec<String>,
    schedule: Vec<Opening>,
    free: bool,
}

struct Organization {
    name: Pattern,
    translations: Vec<(&'static str, Pattern)>,
}

/// The values of the placeholders in one comune.
struct Place<'a> {
    code: &'a str,
    name: &'a str,
    province: &'a str,
    province_code: &'a str,
}

impl Pattern {
    /// Replaces the placeholders in one pass.
    fn fill_into(&self, place: &Place<'_>, out: &mut String) {
        let mut rest = self.0.as_str();
        while let Some(open) = rest.find('{') {
            out.push_str(&rest[..open]);
            let after = &rest[open + 1..];
            let Some(close) = after.find('}') else {
                out.push_str(&rest[open..]);
                return;
            };
            let key = &after[..close];
            match key {
                "p" => out.push_str(place.name),
                "di" => {
                    out.push_str("di ");
                    out.push_str(place.name);
                }
                "a" => {
                    out.push_str(if starts_with_a(place.name) {
                        "ad "
                    } else {
                        "a "
                    });
                    out.push_str(place.name);
                }
                "prov_name" => out.push_str(place.province),
                "prov_di" => {
                    out.push_str("di ");
                    out.push_str(place.province);
                }
                "place" => out.push_str(place.code),
                "prov" => out.push_str(place.province_code),
                "hall" => out.push_str("Piazza del Municipio, 1"),
                "s1" => out.push_str("Via Roma"),
                "s2" => out.push_str("Corso Italia"),
                "s3" => out.push_str("Via Giuseppe Garibaldi"),
                "n" => out.push('1'),
                "day" => out.push_str("MO"),
                _ => {
                    out.push('{');
                    out.push_str(key);
                    out.push('}');
                }
            }
            rest = &after[close + 1..];
        }
        out.push_str(rest);
    }

    fn fill(&self, place: &Place<'_>) -> String {
        let mut out = String::with_capacity(self.0.len() + 16);
        self.fill_into(place, &mut out);
        out
    }
}

fn starts_with_a(name: &str) -> bool {
    name.chars().next().is_some_and(|c| c == 'A' || c == 'a')
}

/// Turns the demo's own place names back into placeholders, longest first, so a template
/// written for L'Aquila reads right in Bergamo.
struct Unplace(Vec<(String, &'static str)>);

impl Unplace {
    fn new(file: &DemoFile) -> Unplace {
        let mut pairs: Vec<(String, &'static str)> = Vec::new();
        for p in &file.province {
            pairs.push((p.di.clone(), "{prov_di}"));
            pairs.push((p.name.clone(), "{prov_name}"));
            pairs.push((p.ar.clone(), "{prov_name}"));
        }
        for p in &file.place {
            pairs.push((p.di.clone(), "{di}"));
            pairs.push((p.a.clone(), "{a}"));
            pairs.push((p.name.clone(), "{p}"));
            pairs.push((p.ar.clone(), "{p}"));
        }
        for (from, to) in [
            ("Avezzano-Sulmona-L'Aquila", "{prov_name}"),
            ("Trani-Barletta-Bisceglie", "{prov_name}"),
            ("dell'Aquila", "{prov_di}"),
        ] {
            pairs.push((from.to_owned(), to));
        }
        pairs.sort_by(|a, b| b.0.len().cmp(&a.0.len()).then_with(|| a.0.cmp(&b.0)));
        pairs.dedup_by(|a, b| a.0 == b.0);
        Unplace(pairs)
    }

    fn apply(&self, text: &str) -> Pattern {
        let mut out = text.to_owned();
        for (from, to) in &self.0 {
            if out.contains(from.as_str()) {
                out = out.replace(from.as_str(), to);
            }
        }
        Pattern(out)
    }
}

fn openings(slots: &[Slot]) -> Vec<Opening> {
    slots
        .iter()
        .filter_map(|slot| {
            let mut days = Vec::new();
            for part in slot.days.split(',').map(str::trim) {
                let (nth, code) = part.split_at(part.len().checked_sub(2)?);
                let weekday = match code {
                    "MO" => Weekday::Mon,
                    "TU" => Weekday::Tue,
                    "WE" => Weekday::Wed,
                    "TH" => Weekday::Thu,
                    "FR" => Weekday::Fri,
                    "SA" => Weekday::Sat,
                    "SU" => Weekday::Sun,
                    _ => return None,
                };
                let nth = if nth.is_empty() {
                    None
                } else {
                    Some(nth.parse::<i8>().ok()?)
                };
                days.push(Day { weekday, nth });
            }
            Some(Opening {
                days,
                month_days: Vec::new(),
                opens: Some(minutes(&slot.opens)?),
                closes: Some(minutes(&slot.closes)?),
                valid_from: None,
                valid_to: None,
            })
        })
        .collect()
}

fn minutes(hhmm: &str) -> Option<u16> {
    let (h, m) = hhmm.split_once(':')?;
    let total = h.parse::<u16>().ok()? * 60 + m.parse::<u16>().ok()?;
    Some(if total == 1439 { 1440 } else { total })
}

// ---------------------------------------------------------------------------------------------
// Words
// ---------------------------------------------------------------------------------------------

/// Function words left out of the topic vocabulary and of query words (lowercase): ours
/// (`crocevia_search::analysis`'s stopwords, which a query does not require) and a few more.
pub fn is_function_word(w: &str) -> bool {
    #[rustfmt::skip]
    const WORDS: &[&str] = &[
        "senza", "vicino", "cerco", "serve", "bisogno", "aiuto", "voglio", "vorrei", "trovare",
        "informazioni", "posso", "quale", "near", "need", "want", "where", "without", "help",
        "find", "looking", "information", "besoin", "cherche", "comment", "trouver", "sans",
        "aide", "necesito", "para", "donde", "ayuda",
        "alla", "alle", "allo", "agli", "anche", "base", "come", "con", "dalla", "dalle", "degli",
        "dei", "del", "dell", "della", "delle", "dello", "dopo", "dove", "ogni", "loro", "nella",
        "nelle", "negli", "nello", "non", "oppure", "per", "più", "può", "quando", "questo",
        "questa", "sono", "sulla", "sulle", "sugli", "tutti", "tutte", "viene", "vengono",
        "essere", "hanno", "chi", "che", "della", "anni", "solo", "fino", "entro", "presso",
        "with", "from", "your", "their", "that", "this", "they", "have", "which", "also", "after",
        "pour", "avec", "dans", "sont", "leur", "aussi", "après", "chez",
    ];
    WORDS.contains(&w)
}

/// Lowercase words of letters and digits, as tantivy's default tokenizer cuts them.
pub fn words(text: &str) -> impl Iterator<Item = String> + '_ {
    text.split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(str::to_lowercase)
}

/// Made-up Italian-sounding project names ("Velamonte", "Arcorina").
fn project_names(seed: u64) -> Vec<String> {
    const FIRST: &[&str] = &[
        "Ar", "Ve", "Mon", "Lu", "Sol", "Fio", "Ter", "Al", "Bri", "Cam", "Do", "Gra", "Lan",
        "Mar", "Ner", "Or", "Pel", "Ri", "San", "Tra", "Val", "Zef", "Cor", "Fel", "Ol",
    ];
    const MIDDLE: &[&str] = &[
        "a", "e", "i", "o", "la", "le", "ri", "ro", "ti", "ca", "ne", "mi", "sa", "ve", "do", "gi",
        "stel", "mon", "cor", "bel",
    ];
    const LAST: &[&str] = &[
        "na", "ra", "nte", "lia", "ssa", "ria", "tto", "lo", "sco", "rta", "via", "dea", "ima",
        "gna", "lla", "ndo", "stra", "ce",
    ];
    let mut rng = Rng::new(seed ^ 0x005E_ED0F_9A3E);
    let mut seen = std::collections::HashSet::new();
    let mut out = Vec::with_capacity(PROJECT_NAMES);
    while out.len() < PROJECT_NAMES {
        let mut name = String::new();
        name.push_str(FIRST[rng.below(FIRST.len())]);
        for _ in 0..1 + rng.below(2) {
            name.push_str(MIDDLE[rng.below(MIDDLE.len())]);
        }
        name.push_str(LAST[rng.below(LAST.len())]);
        if seen.insert(name.clone()) {
            out.push(name);
        }
    }
    out
}

// ---------------------------------------------------------------------------------------------
// The corpus
// ---------------------------------------------------------------------------------------------

pub struct Corpus {
    seed: u64,
    today: NaiveDate,
    territories: &'static Territories,
    /// Indexes into `territories.comuni` of the comuni with a centroid, and their weights.
    comuni: Vec<usize>,
    comune_weights: Weighted,
    /// Comuni (indexes into `territories.comuni`) by province code.
    by_province: HashMap<String, Vec<usize>>,
    province_names: HashMap<String, String>,
    templates: Vec<Template>,
    organizations: Vec<Organization>,
    schedules: Vec<Vec<Opening>>,
    /// Needs terms, most used first, with a Zipf law over them.
    pub needs: Vec<&'static NeedTerm>,
    pub need_weights: Weighted,
    /// Templates covering each need (same order as `needs`).
    templates_by_need: Vec<Vec<usize>>,
    /// Topic words, most frequent first, with a Zipf law over them.
    vocabulary: Vec<String>,
    vocabulary_weights: Weighted,
    projects: Vec<String>,
}

impl Corpus {
    pub fn new(seed: u64, today: NaiveDate, territories: &'static Territories) -> Corpus {
        let file: DemoFile =
            toml::from_str(NETWORK_TOML).expect("the embedded demo network is valid");
        let unplace = Unplace::new(&file);

        let organizations: Vec<Organization> = file
            .organization
            .iter()
            .map(|o| Organization {
                name: unplace.apply(&o.name),
                translations: [("en", &o.en), ("fr", &o.fr), ("ar", &o.ar)]
                    .into_iter()
                    .filter_map(|(l, t)| Some((l, unplace.apply(&t.as_ref()?.name))))
                    .collect(),
            })
            .collect();
        let org_index: HashMap<&str, usize> = file
            .organization
            .iter()
            .enumerate()
            .map(|(i, o)| (o.key.as_str(), i))
            .collect();
        let schedules: Vec<Vec<Opening>> = file.hours.values().map(|s| openings(s)).collect();
        let hours_index: HashMap<&str, usize> = file
            .hours
            .keys()
            .enumerate()
            .map(|(i, k)| (k.as_str(), i))
            .collect();

        let known = |code: &str| taxonomy::term(code).is_some();
        let templates: Vec<Template> = file
            .service
            .iter()
            .map(|s| {
                let mut extra = Vec::new();
                for text in [&s.eligibility, &s.application] {
                    if !text.is_empty() {
                        extra.push(unplace.apply(text));
                    }
                }
                let free = s.cost.is_empty()
                    && s.fees
                        .as_deref()
                        .is_none_or(|f| f.to_lowercase().starts_with("gratuit"));
                Template {
                    name: unplace.apply(&s.name),
                    description: unplace.apply(&s.description),
                    extra,
                    translations: [("en", &s.en), ("fr", &s.fr), ("ar", &s.ar)]
                        .into_iter()
                        .filter_map(|(l, t)| {
                            let t = t.as_ref()?;
                            Some((l, unplace.apply(&t.name), unplace.apply(&t.description)))
                        })
                        .collect(),
                    organization: org_index.get(s.organization.as_str()).copied().unwrap_or(0),
                    needs: s.needs.iter().filter(|c| known(c)).cloned().collect(),
                    languages: s.languages.clone(),
                    schedule: hours_index
                        .get(s.hours.as_str())
                        .map(|&i| schedules[i].clone())
                        .unwrap_or_default(),
                    free,
                }
            })
            .collect();

        // Needs, most used by the demo first.
        let mut use_count: HashMap<&str, usize> = HashMap::new();
        for s in &file.service {
            for code in &s.needs {
                *use_count.entry(code.as_str()).or_default() += 1;
            }
        }
        let mut needs: Vec<&'static NeedTerm> = taxonomy::needs_taxonomy().iter().collect();
        needs.sort_by(|a, b| {
            let ca = use_count.get(a.code.as_str()).copied().unwrap_or(0);
            let cb = use_count.get(b.code.as_str()).copied().unwrap_or(0);
            cb.cmp(&ca).then_with(|| a.code.cmp(&b.code))
        });
        let templates_by_need: Vec<Vec<usize>> = needs
            .iter()
            .map(|term| {
                let narrower = format!("{}.", term.code);
                templates
                    .iter()
                    .enumerate()
                    .filter(|(_, t)| {
                        t.needs
                            .iter()
                            .any(|c| *c == term.code || c.starts_with(&narrower))
                    })
                    .map(|(i, _)| i)
                    .collect()
            })
            .collect();

        // Topic vocabulary: the demo's and the taxonomy's Italian words, by frequency.
        let mut counts: HashMap<String, usize> = HashMap::new();
        let mut count = |text: &str| {
            for w in words(text) {
                if w.chars().count() >= 4
                    && w.chars().all(char::is_alphabetic)
                    && !is_function_word(&w)
                {
                    *counts.entry(w).or_default() += 1;
                }
            }
        };
        for s in &file.service {
            count(&s.name);
            count(&s.description);
            count(&s.eligibility);
            count(&s.application);
            for d in &s.documents {
                count(d);
            }
        }
        for term in taxonomy::needs_taxonomy() {
            let label = term.label("it");
            count(&label.name);
            count(&label.description);
            for s in &label.synonyms {
                count(s);
            }
        }
        let mut vocabulary: Vec<(String, usize)> = counts.into_iter().collect();
        vocabulary.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
        let vocabulary: Vec<String> = vocabulary.into_iter().map(|(w, _)| w).collect();

        // Comuni with a centroid, capitals weighing more.
        let comuni: Vec<usize> = territories
            .comuni
            .iter()
            .enumerate()
            .filter(|(_, c)| c.centroid.is_some())
            .map(|(i, _)| i)
            .collect();
        let comune_weights = Weighted::new(comuni.iter().map(|&i| {
            if territories.comuni[i].is_provincial_capital {
                CAPITAL_WEIGHT
            } else {
                1.0
            }
        }));
        let mut by_province: HashMap<String, Vec<usize>> = HashMap::new();
        for &i in &comuni {
            by_province
                .entry(territories.comuni[i].province_code.clone())
                .or_default()
                .push(i);
        }
        let province_names = territories
            .provinces
            .iter()
            .map(|p| (p.code.clone(), p.name.clone()))
            .collect();

        Corpus {
            seed,
            today,
            territories,
            comune_weights,
            comuni,
            by_province,
            province_names,
            templates,
            organizations,
            schedules,
            need_weights: Weighted::zipf(needs.len(), ZIPF_S),
            needs,
            templates_by_need,
            vocabulary_weights: Weighted::zipf(vocabulary.len(), ZIPF_S),
            vocabulary,
            projects: project_names(seed),
        }
    }

    pub fn territories(&self) -> &'static Territories {
        self.territories
    }

    /// How many comuni documents are placed in.
    pub fn comuni_count(&self) -> usize {
        self.comuni.len()
    }

    pub fn templates_count(&self) -> usize {
        self.templates.len()
    }

    pub fn vocabulary_len(&self) -> usize {
        self.vocabulary.len()
    }

    /// A comune drawn by size (index into `territories.comuni`).
    pub fn sample_comune(&self, rng: &mut Rng) -> usize {
        self.comuni[self.comune_weights.sample(rng)]
    }

    /// The id of document `i`.
    pub fn id(i: usize) -> String {
        format!("svc-{i:07}")
    }

    /// Service `i` of the directory.
    pub fn doc(&self, i: usize) -> ServiceDoc {
        let mut rng = Rng::for_item(self.seed, STREAM_DOC, i as u64);
        let t = self.territories;
        let comune = &t.comuni[self.sample_comune(&mut rng)];
        let province = self
            .province_names
            .get(&comune.province_code)
            .map_or(comune.name.as_str(), String::as_str);
        let place = Place {
            code: &comune.code,
            name: &comune.name,
            province,
            province_code: &comune.province_code,
        };

        let need_rank = self.need_weights.sample(&mut rng);
        let need = self.needs[need_rank];
        let candidates = &self.templates_by_need[need_rank];
        let template = (!candidates.is_empty() && rng.chance(0.85))
            .then(|| &self.templates[*rng.pick(candidates)]);

        // Italian name and description.
        let (name, mut description, organization) = match template {
            Some(tpl) => (
                tpl.name.fill(&place),
                tpl.description.fill(&place),
                &self.organizations[tpl.organization],
            ),
            None => {
                let label = need.label("it");
                let lower = lowercase_first(&label.name);
                let name = match rng.below(4) {
                    0 => format!("Sportello {lower} – {}", comune.name),
                    1 => format!("{} – servizio per cittadini stranieri", label.name),
                    2 => format!("Punto informativo: {lower} ({})", comune.name),
                    _ => format!("Centro servizi {lower} di {}", comune.name),
                };
                let description = format!(
                    "{} Il servizio è rivolto ai cittadini stranieri che vivono a {} e nei comuni vicini.",
                    label.description, comune.name
                );
                (
                    name,
                    description,
                    &self.organizations[rng.below(self.organizations.len())],
                )
            }
        };
        if let Some(tpl) = template
            && !tpl.extra.is_empty()
            && rng.chance(0.3)
        {
            description.push(' ');
            rng.pick(&tpl.extra).fill_into(&place, &mut description);
        }
        // Topic words, Zipf-distributed.
        let topics = 3 + rng.below(4);
        description.push_str(match rng.below(3) {
            0 => " Temi: ",
            1 => " Si occupa in particolare di: ",
            _ => " Parole chiave: ",
        });
        for k in 0..topics {
            if k > 0 {
                description.push_str(if k + 1 == topics { " e " } else { ", " });
            }
            description.push_str(&self.vocabulary[self.vocabulary_weights.sample(&mut rng)]);
        }
        description.push('.');
        if rng.chance(0.15) {
            description.push_str(" Fa parte del progetto «");
            description.push_str(&self.projects[rng.below(self.projects.len())]);
            description.push_str("», finanziato dal FAMI.");
        }
        if rng.chance(0.3) {
            description.push_str(" La sede si trova a ");
            description.push_str(&comune.name);
            if let Some(p) = t.province(&comune.province_code) {
                description.push_str(" (");
                description.push_str(&p.abbreviation);
                description.push(')');
            }
            description.push('.');
        }

        let mut texts = vec![LocalText {
            language: "it".to_owned(),
            name,
            description,
            organization: Some(organization.name.fill(&place)),
        }];
        // Translations: the template's, else the taxonomy's labels.
        for (lang, share) in [
            ("en", 0.45),
            ("fr", 0.25),
            ("ar", 0.2),
            ("es", 0.04),
            ("uk", 0.03),
        ] {
            if !rng.chance(share) {
                continue;
            }
            let from_template = template.and_then(|tpl| {
                tpl.translations
                    .iter()
                    .find(|(l, _, _)| *l == lang)
                    .map(|(_, n, d)| (n.fill(&place), d.fill(&place)))
            });
            let (name, description) = from_template.unwrap_or_else(|| {
                let label = need.label(lang);
                (
                    format!("{} – {}", label.name, comune.name),
                    label.description.clone(),
                )
            });
            let organization = organization
                .translations
                .iter()
                .find(|(l, _)| *l == lang)
                .map(|(_, n)| n.fill(&place));
            texts.push(LocalText {
                language: lang.to_owned(),
                name,
                description,
                organization,
            });
        }

        // Needs and their ancestors.
        let mut needs: Vec<String> = template.map(|t| t.needs.clone()).unwrap_or_default();
        needs.push(need.code.clone());
        if rng.chance(0.15) {
            needs.push(self.needs[self.need_weights.sample(&mut rng)].code.clone());
        }
        needs.sort();
        needs.dedup();
        let mut categories = Vec::new();
        for code in &needs {
            let mut next = taxonomy::term(code);
            while let Some(term) = next {
                categories.push(term.code.clone());
                next = term.parent.as_deref().and_then(taxonomy::term);
            }
        }
        categories.sort();
        categories.dedup();

        // Places: the comune, sometimes a second one in the same province.
        let mut comuni = vec![comune];
        if rng.chance(0.08)
            && let Some(others) = self.by_province.get(&comune.province_code)
        {
            let other = &t.comuni[*rng.pick(others)];
            if other.code != comune.code {
                comuni.push(other);
            }
        }
        let mut points = Vec::new();
        for c in &comuni {
            if let Some(centre) = c.centroid {
                points.push(Point {
                    lat: centre.lat + rng.range_f64(-0.02, 0.02),
                    lon: centre.lon + rng.range_f64(-0.025, 0.025),
                });
            }
        }
        let mut codes: Vec<String> = comuni.iter().map(|c| c.code.clone()).collect();
        codes.sort();
        codes.dedup();
        let mut provinces: Vec<String> = comuni.iter().map(|c| c.province_code.clone()).collect();
        provinces.sort();
        provinces.dedup();
        let mut regions: Vec<String> = comuni.iter().map(|c| c.region_code.clone()).collect();
        regions.sort();
        regions.dedup();
        let mut places: Vec<String> = comuni.iter().map(|c| c.name.clone()).collect();
        places.extend(comuni.iter().filter_map(|c| c.name_other_language.clone()));

        // Languages spoken.
        const EXTRA_LANGUAGES: &[&str] = &[
            "en", "fr", "ar", "es", "uk", "ro", "sq", "zh", "bn", "ur", "ti", "wo", "ru", "pa",
        ];
        let mut languages = vec!["it".to_owned()];
        if let Some(tpl) = template {
            languages.extend(tpl.languages.iter().cloned());
        }
        for _ in 0..rng.below(3) {
            if rng.chance(0.4) {
                languages.push((*rng.pick(EXTRA_LANGUAGES)).to_owned());
            }
        }
        languages.sort();
        languages.dedup();

        // Opening hours: the template's, else one of the demo's sets; a few have none, and
        // a few close in August.
        let mut schedules = match template {
            Some(tpl) if rng.chance(0.9) => tpl.schedule.clone(),
            _ => rng.pick(&self.schedules).clone(),
        };
        if rng.chance(0.05) {
            schedules.clear();
        } else if rng.chance(0.03) {
            schedules.push(Opening {
                days: Vec::new(),
                month_days: Vec::new(),
                opens: None,
                closes: None,
                valid_from: NaiveDate::from_ymd_opt(2026, 8, 1),
                valid_to: NaiveDate::from_ymd_opt(2026, 8, 31),
            });
        }

        let mut free = template.is_none_or(|tpl| tpl.free);
        if rng.chance(0.05) {
            free = !free;
        }
        let status = match rng.below(1000) {
            0..5 => "inactive",
            5..15 => "temporarily closed",
            _ => "active",
        };
        let assured_date = rng
            .chance(0.9)
            .then(|| self.today - Days::new(rng.below(540) as u64));

        ServiceDoc {
            id: Corpus::id(i),
            texts,
            needs,
            categories,
            comuni: codes,
            provinces,
            regions,
            places,
            points,
            languages,
            free,
            accessible: rng.chance(0.4),
            schedules,
            status: status.to_owned(),
            assured_date,
        }
    }
}

fn lowercase_first(text: &str) -> String {
    let mut chars = text.chars();
    match chars.next() {
        Some(first) => first.to_lowercase().chain(chars).collect(),
        None => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn corpus() -> Corpus {
        Corpus::new(
            42,
            NaiveDate::from_ymd_opt(2026, 11, 16).unwrap(),
            crocevia_web::territories(),
        )
    }

    #[test]
    fn documents_are_a_function_of_the_seed_and_their_number() {
        let c = corpus();
        assert_eq!(c.doc(17), c.doc(17));
        assert_ne!(c.doc(17), c.doc(18));
        assert!(c.templates_count() > 50, "{}", c.templates_count());
        assert_eq!(c.needs.len(), taxonomy::needs_taxonomy().len());
        assert!(c.comuni_count() > 7000);
    }

    #[test]
    fn documents_read_like_a_directory_of_real_places() {
        let c = corpus();
        let docs: Vec<ServiceDoc> = (0..2000).map(|i| c.doc(i)).collect();
        for d in &docs {
            let it = &d.texts[0];
            assert_eq!(it.language, "it");
            assert!(!it.name.is_empty() && it.description.len() > 40, "{it:?}");
            for text in &d.texts {
                assert!(
                    !text.name.contains('{') && !text.description.contains('{'),
                    "{text:?}"
                );
            }
            assert!(!d.needs.is_empty() && !d.categories.is_empty());
            assert_eq!(d.comuni.len(), d.points.len());
            assert!(d.languages.contains(&"it".to_owned()));
        }
        let translated = docs.iter().filter(|d| d.texts.len() > 1).count();
        assert!((600..1600).contains(&translated), "{translated}");
        let arabic = docs
            .iter()
            .filter(|d| d.texts.iter().any(|t| t.language == "ar"))
            .count();
        assert!(arabic > 200, "{arabic}");
        let provinces: std::collections::HashSet<&String> =
            docs.iter().flat_map(|d| &d.provinces).collect();
        assert!(provinces.len() > 80, "{}", provinces.len());
        // No demo place names are left in texts placed elsewhere.
        let aquila = docs
            .iter()
            .filter(|d| !d.provinces.contains(&"066".to_owned()))
            .filter(|d| d.texts[0].description.contains("L'Aquila"))
            .count();
        assert_eq!(aquila, 0);
    }
}
