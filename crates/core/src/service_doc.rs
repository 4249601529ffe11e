//! [`ServiceDoc`]: what search and the observatory need to know about one service, gathered
//! from the flat HSDS rows of the directory. Here rather than in the search crate so that
//! readers of services need not take the search index with them.

use std::collections::{BTreeSet, HashMap};

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::hsds::Record;
use crate::hsds::nested::RecordIndex;
use crate::hsds::views::is_confidential;
use crate::schedule::Opening;
use crate::taxonomy;
use crate::territory::{Comune, Point, Territories};
use crate::text::{folded_words, primary_subtag};

/// The language of the HSDS rows' own texts; translations come from `translation` rows.
pub const BASE_LANGUAGE: &str = "it";

/// A service's name and description in one language.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LocalText {
    /// Primary language subtag, lowercase (`"it"`, `"en"`, `"uk"`).
    pub language: String,
    /// May be empty when a translation gives only the description.
    pub name: String,
    pub description: String,
    /// The organisation's name in this language, when known.
    pub organization: Option<String>,
}

/// Everything search (and the observatory's service facts) need about one service. Built by
/// [`service_docs`]; public so callers (the store's change-log follower, tests, benchmarks)
/// can also build documents directly.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ServiceDoc {
    pub id: String,
    /// Italian first (the service row), then each translation.
    pub texts: Vec<LocalText>,
    /// Needs-taxonomy codes the service is tagged with, sorted.
    pub needs: Vec<String>,
    /// Those codes and their ancestors, sorted: what category filters and facets use.
    pub categories: Vec<String>,
    /// ISTAT codes of the comuni, provinces and regions of its locations (confidential ones
    /// included: a comune does not reveal an address), sorted.
    pub comuni: Vec<String>,
    pub provinces: Vec<String>,
    pub regions: Vec<String>,
    /// Names of those comuni, searchable as text ("corso di italiano Andria").
    pub places: Vec<String>,
    /// Coordinates of its non-confidential locations (the comune's centroid when a location
    /// has none). A confidential location contributes no point, so proximity never finds it.
    pub points: Vec<Point>,
    /// Languages spoken (ISO 639-1), of the service and of its locations, sorted.
    pub languages: Vec<String>,
    /// Known to be free of charge, at least for some users: see [`is_free`].
    pub free: bool,
    /// At least one of its locations describes its accessibility (`accessibility` rows).
    pub accessible: bool,
    /// Opening rules: the service's own schedules (directly or through its
    /// service-at-locations), else those of its locations.
    pub schedules: Vec<Opening>,
    /// HSDS status (`active`, `inactive`, `defunct`, `temporarily closed`); `active` when
    /// absent.
    pub status: String,
    /// When the entry was last verified.
    pub assured_date: Option<NaiveDate>,
}

impl ServiceDoc {
    /// Whether search lists the service by default: every status but `inactive` and
    /// `defunct`.
    pub fn is_listed(&self) -> bool {
        !matches!(self.status.as_str(), "inactive" | "defunct")
    }
}

/// One [`ServiceDoc`] per `service` row of `rows`, in the order of the rows. `rows` is the
/// directory, or any part of it that holds each service with what nests in it (see the module
/// docs of [`crate::hsds::nested`]) and what it points to: organisation, locations,
/// addresses, taxonomy terms, translations. Categories are the needs taxonomy's, found by term
/// id (or by the `code` of a `taxonomy_term` row of that taxonomy) even when the term rows are
/// not among `rows`.
pub fn service_docs(rows: &[Record], territories: &Territories) -> Vec<ServiceDoc> {
    let index = RecordIndex::new(rows);
    let needs: HashMap<String, &'static str> = taxonomy::needs_taxonomy()
        .iter()
        .map(|t| (t.id(), t.code.as_str()))
        .collect();
    // Organisation names by language, once per organisation (big ones run many services).
    let org_names: HashMap<&str, HashMap<String, String>> = rows
        .iter()
        .filter(|r| r.table == "organization")
        .map(|org| {
            let names = translations(&index, &org.id)
                .into_iter()
                .filter_map(|t| {
                    Some((
                        primary_subtag(t.text("language")?),
                        t.text("name")?.to_owned(),
                    ))
                })
                .collect();
            (org.id.as_str(), names)
        })
        .collect();
    let context = Context {
        index: &index,
        needs: &needs,
        org_names: &org_names,
        territories,
    };
    rows.iter()
        .filter(|r| r.table == "service")
        .map(|service| build(service, &context))
        .collect()
}

/// What building every document shares.
struct Context<'a> {
    index: &'a RecordIndex<'a>,
    needs: &'a HashMap<String, &'static str>,
    org_names: &'a HashMap<&'a str, HashMap<String, String>>,
    territories: &'a Territories,
}

fn build(service: &Record, context: &Context<'_>) -> ServiceDoc {
    let Context {
        index,
        needs,
        org_names,
        territories,
    } = *context;
    let id = service.id.as_str();
    let organization = service
        .text("organization_id")
        .and_then(|o| index.get("organization", o));

    // Texts: the row in Italian, then each translation.
    let mut texts = vec![LocalText {
        language: BASE_LANGUAGE.to_owned(),
        name: service.text("name").unwrap_or_default().to_owned(),
        description: service.text("description").unwrap_or_default().to_owned(),
        organization: organization.and_then(|o| o.text("name")).map(str::to_owned),
    }];
    let no_names = HashMap::new();
    let org_names = organization
        .and_then(|o| org_names.get(o.id.as_str()))
        .unwrap_or(&no_names);
    for t in translations(index, id) {
        let Some(language) = t.text("language").map(primary_subtag) else {
            continue;
        };
        let name = t.text("name").unwrap_or_default();
        let description = t.text("description").unwrap_or_default();
        if name.is_empty() && description.is_empty() {
            continue;
        }
        texts.push(LocalText {
            organization: org_names.get(&language).cloned(),
            language,
            name: name.to_owned(),
            description: description.to_owned(),
        });
    }

    let sals = index.pointing_at("service_at_location", "service_id", id);
    let locations: Vec<&Record> = sals
        .iter()
        .filter_map(|sal| index.get("location", sal.text("location_id")?))
        .collect();

    // Categories: the needs terms of the service's attributes (and of its
    // service-at-locations'), with their ancestors.
    let mut needs_tagged = BTreeSet::new();
    let mut categories = BTreeSet::new();
    let attribute_owners = std::iter::once(id).chain(sals.iter().map(|s| s.id.as_str()));
    for owner in attribute_owners {
        for attribute in index.pointing_at("attribute", "link_id", owner) {
            let Some(term_id) = attribute.text("taxonomy_term_id") else {
                continue;
            };
            let code = needs.get(term_id).copied().or_else(|| {
                let term = index.get("taxonomy_term", term_id)?;
                (term.text("taxonomy_id") == Some(taxonomy::TAXONOMY_ID))
                    .then(|| term.text("code"))
                    .flatten()
                    .and_then(|c| taxonomy::term(c).map(|t| t.code.as_str()))
            });
            let mut next = code.and_then(taxonomy::term);
            if let Some(term) = next {
                needs_tagged.insert(term.code.clone());
            }
            while let Some(term) = next {
                categories.insert(term.code.clone());
                next = term.parent.as_deref().and_then(taxonomy::term);
            }
        }
    }

    // Territory and points.
    let mut comuni = BTreeSet::new();
    let mut points = Vec::new();
    for location in &locations {
        let comune = location_comune(location, index, territories);
        if let Some(c) = comune {
            comuni.insert(c.code.clone());
        }
        if is_confidential(location) {
            continue;
        }
        let point = match (number(location, "latitude"), number(location, "longitude")) {
            (Some(lat), Some(lon))
                if (-90.0..=90.0).contains(&lat) && (-180.0..=180.0).contains(&lon) =>
            {
                Some(Point { lat, lon })
            }
            _ => comune.and_then(|c| c.centroid),
        };
        if let Some(p) = point
            && !points.contains(&p)
        {
            points.push(p);
        }
    }
    let found: Vec<&Comune> = comuni
        .iter()
        .filter_map(|c| territories.comune(c))
        .collect();
    let provinces: BTreeSet<String> = found.iter().map(|c| c.province_code.clone()).collect();
    let regions: BTreeSet<String> = found.iter().map(|c| c.region_code.clone()).collect();
    let mut places: Vec<String> = found.iter().map(|c| c.name.clone()).collect();
    places.extend(found.iter().filter_map(|c| c.name_other_language.clone()));

    // Languages.
    let mut languages = BTreeSet::new();
    let language_rows = index
        .pointing_at("language", "service_id", id)
        .into_iter()
        .chain(
            locations
                .iter()
                .flat_map(|l| index.pointing_at("language", "location_id", &l.id)),
        );
    for row in language_rows {
        if let Some(code) = row.text("code").map(primary_subtag)
            && !code.is_empty()
        {
            languages.insert(code);
        }
    }

    let accessible = locations.iter().any(|l| {
        !index
            .pointing_at("accessibility", "location_id", &l.id)
            .is_empty()
    });

    // Schedules: the service's own, else its locations'.
    let mut schedule_rows = index.pointing_at("schedule", "service_id", id);
    for sal in &sals {
        for row in index.pointing_at("schedule", "service_at_location_id", &sal.id) {
            if !schedule_rows.iter().any(|r| r.id == row.id) {
                schedule_rows.push(row);
            }
        }
    }
    if schedule_rows.is_empty() {
        schedule_rows = locations
            .iter()
            .flat_map(|l| index.pointing_at("schedule", "location_id", &l.id))
            .collect();
    }
    let schedules = schedule_rows
        .iter()
        .filter_map(|r| Opening::from_record(r))
        .collect();

    let costs = index.pointing_at("cost_option", "service_id", id);

    ServiceDoc {
        id: id.to_owned(),
        texts,
        needs: needs_tagged.into_iter().collect(),
        categories: categories.into_iter().collect(),
        comuni: comuni.into_iter().collect(),
        provinces: provinces.into_iter().collect(),
        regions: regions.into_iter().collect(),
        places,
        points,
        languages: languages.into_iter().collect(),
        free: is_free(service, &costs),
        accessible,
        schedules,
        status: service.text("status").unwrap_or("active").to_owned(),
        assured_date: service
            .text("assured_date")
            .and_then(|d| NaiveDate::parse_from_str(d.get(..10)?, "%Y-%m-%d").ok()),
    }
}

fn translations<'a>(index: &RecordIndex<'a>, id: &str) -> Vec<&'a Record> {
    index.pointing_at("translation", "link_id", id)
}

fn number(record: &Record, field: &str) -> Option<f64> {
    match record.fields.get(field)? {
        Value::Number(n) => n.as_f64(),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

/// The comune a location is in: its `external_identifier` when the type is `istat` and the
/// code is a current comune; else the `city` of its address, matched by name and, when the
/// name repeats across Italy, by the address's province (`state_province`, the sigla) or
/// postal code's province.
fn location_comune<'t>(
    location: &Record,
    index: &RecordIndex<'_>,
    territories: &'t Territories,
) -> Option<&'t Comune> {
    if location
        .text("external_identifier_type")
        .is_some_and(|t| t.trim().eq_ignore_ascii_case("istat"))
        && let Some(c) = location
            .text("external_identifier")
            .and_then(|code| territories.comune(code.trim()))
    {
        return Some(c);
    }
    let mut addresses = index.pointing_at("address", "location_id", &location.id);
    addresses.sort_by_key(|a| a.text("address_type") != Some("physical"));
    for address in addresses {
        let Some(city) = address.text("city") else {
            continue;
        };
        let candidates = territories.comuni_by_name(city);
        match candidates.as_slice() {
            [] => continue,
            [one] => return Some(one),
            many => {
                let sigla = address.text("state_province").map(str::trim);
                let province = sigla.and_then(|s| territories.province_by_abbreviation(s));
                if let Some(p) = province
                    && let Some(c) = many.iter().find(|c| c.province_code == p.code)
                {
                    return Some(c);
                }
            }
        }
    }
    None
}

/// Whether a service is known to be free of charge, at least for some users:
/// - a `cost_option` with amount 0 says so; otherwise cost options with amounts say it is not;
/// - without amounts, `fees_description` (or the older `fees`) or a cost option's
///   `amount_description` saying free ("gratuito", "gratis", "free", "gratuit", "gratuito
///   per chi…") without a negation ("non gratuito");
/// - no information at all is *not* free: the filter promises what the directory says.
pub fn is_free(service: &Record, costs: &[&Record]) -> bool {
    let amounts: Vec<f64> = costs.iter().filter_map(|c| number(c, "amount")).collect();
    if amounts.contains(&0.0) {
        return true;
    }
    if !amounts.is_empty() {
        return false;
    }
    ["fees_description", "fees"]
        .iter()
        .filter_map(|f| service.text(f))
        .chain(costs.iter().filter_map(|c| c.text("amount_description")))
        .any(says_free)
}

fn says_free(text: &str) -> bool {
    let words: Vec<String> = folded_words(text).take(64).map(|(w, _)| w).collect();
    words.iter().enumerate().any(|(i, w)| {
        let free = w.starts_with("gratuit")
            || w == "gratis"
            || w == "free"
            || w == "freely"
            || w == "kostenlos"
            || w == "безкоштовно"
            || w == "مجاني"
            || w == "مجانا"
            || (w == "senza" && words.get(i + 1).is_some_and(|n| n == "costi"))
            || (w == "nessun" && words.get(i + 1).is_some_and(|n| n == "costo"));
        let negated = words[i.saturating_sub(2)..i]
            .iter()
            .any(|p| matches!(p.as_str(), "non" | "not" | "pas" | "no"));
        free && !negated
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn free_is_what_the_directory_says() {
        let service = |fees: &str| Record::new("service", "s").with("fees_description", fees);
        let cost = |amount: f64| Record::new("cost_option", "c").with("amount", amount);
        assert!(is_free(&service("Gratuito."), &[]));
        assert!(is_free(
            &service("Consulenza gratuita; iscrizione richiesta"),
            &[]
        ));
        assert!(is_free(&service("Free of charge"), &[]));
        assert!(is_free(&service("Servizio senza costi"), &[]));
        assert!(!is_free(&service("Il servizio non è gratuito"), &[]));
        assert!(!is_free(&service("Non gratuito"), &[]));
        assert!(!is_free(&service("Contributo di 250 €"), &[]));
        assert!(!is_free(&Record::new("service", "s"), &[]));
        assert!(is_free(&service("250 €"), &[&cost(0.0), &cost(250.0)]));
        assert!(!is_free(&service("Gratuito per alcuni"), &[&cost(16.0)]));
    }
}
