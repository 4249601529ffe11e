//! Behaviour on the demo network: text in four languages, typos, filters, proximity, opening
//! hours, confidentiality, facets, and the index's life cycle.

use std::collections::HashSet;
use std::sync::LazyLock;

use chrono::{DateTime, NaiveDate, TimeZone, Utc};
use tantivy::query::TermQuery;
use tantivy::schema::IndexRecordOption;

use crocevia_core::hsds::Record;
use crocevia_core::service_doc::{ServiceDoc, service_docs};
use crocevia_core::territory::{Point, Territories};
use crocevia_core::{demo, schedule, taxonomy, territory};

use super::*;
use crate::understanding::Emergency;

struct Demo {
    rows: Vec<Record>,
    docs: Vec<ServiceDoc>,
    index: SearchIndex,
}

static TERRITORIES: LazyLock<Territories> =
    LazyLock::new(|| territory::load_embedded().expect("embedded territories load"));

fn today() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 11, 16).unwrap()
}

/// Monday 16 November 2026, 10:00 in Rome.
fn monday_10() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 16, 9, 0, 0).unwrap()
}

static DEMO: LazyLock<Demo> = LazyLock::new(|| {
    let mut rows = taxonomy::to_hsds_records();
    rows.extend(demo::network(today()));
    let docs = service_docs(&rows, &TERRITORIES);
    let index = SearchIndex::in_memory().unwrap();
    index.upsert(&docs).unwrap();
    index.commit().unwrap();
    Demo { rows, docs, index }
});

fn demo_id(key: &str) -> String {
    uuid::Uuid::new_v5(&demo::ID_NAMESPACE, format!("service:{key}").as_bytes()).to_string()
}

fn doc(id: &str) -> &'static ServiceDoc {
    DEMO.docs
        .iter()
        .find(|d| d.id == id)
        .expect("a demo service")
}

fn text(q: &str) -> SearchQuery {
    SearchQuery {
        text: Some(q.to_owned()),
        ..Default::default()
    }
}

fn search(query: &SearchQuery) -> SearchResults {
    DEMO.index.search(query, monday_10()).unwrap()
}

/// Every hit of a query (up to the page limit).
fn all(mut query: SearchQuery) -> SearchResults {
    query.limit = query::MAX_LIMIT;
    let results = search(&query);
    assert!(results.total <= query::MAX_LIMIT as u64, "more than a page");
    assert_eq!(results.hits.len() as u64, results.total);
    results
}

fn ids(results: &SearchResults) -> Vec<&str> {
    results.hits.iter().map(|h| h.id.as_str()).collect()
}

#[test]
fn the_index_can_be_shared_between_threads() {
    fn shared<T: Send + Sync>() {}
    shared::<SearchIndex>();
}

#[test]
fn the_demo_gives_one_document_per_service() {
    assert_eq!(DEMO.docs.len(), 188);
    assert_eq!(DEMO.index.len(), 188);
    let d = doc(&demo_id("asl-scelta-medico-andria"));
    assert_eq!(d.comuni, ["110001"]);
    assert_eq!(d.provinces, ["110"]);
    assert_eq!(d.regions, ["16"]);
    assert!(d.categories.contains(&"health.primary_care".to_owned()));
    assert!(d.categories.contains(&"health".to_owned()));
    assert!(d.languages.contains(&"it".to_owned()));
    assert!(d.texts.iter().any(|t| t.language == "ar"));
    assert_eq!(d.points.len(), 1);
    assert!(!d.schedules.is_empty());
    assert!(d.assured_date.is_some());
}

#[test]
fn doctor_in_four_languages_reaches_primary_care() {
    for (lang, q) in [
        ("en", "doctor"),
        ("fr", "médecin"),
        ("ar", "طبيب"),
        ("it", "medico di base"),
    ] {
        let mut query = text(q);
        query.language = Some(lang.to_owned());
        let results = search(&query);
        assert!(
            results
                .interpretation
                .categories
                .contains(&"health.primary_care".to_owned()),
            "{q}: {:?}",
            results.interpretation
        );
        let primary = results.hits.iter().take(5).any(|h| {
            doc(&h.id)
                .categories
                .contains(&"health.primary_care".to_owned())
        });
        assert!(primary, "{q}: {:?}", ids(&results));
    }
}

#[test]
fn typos_are_corrected_and_reported() {
    let results = search(&text("permeso di sogiorno"));
    let corrections = &results.interpretation.corrections;
    assert!(
        corrections.contains(&("permeso".to_owned(), "permesso".to_owned())),
        "{corrections:?}"
    );
    assert!(
        corrections.contains(&("sogiorno".to_owned(), "soggiorno".to_owned())),
        "{corrections:?}"
    );
    for hit in results.hits.iter().take(5) {
        let d = doc(&hit.id);
        assert!(
            d.categories.iter().any(|c| c.starts_with("documents")),
            "{}",
            hit.name
        );
    }
    assert!(
        results
            .hits
            .iter()
            .take(5)
            .any(|h| h.id == demo_id("questura-permessi-laquila")
                || h.id == demo_id("questura-permessi-andria")),
        "{:?}",
        results.hits.iter().map(|h| &h.name).collect::<Vec<_>>()
    );
    // Two edits from nine letters on, not before.
    let results = search(&text("ricongiungimneto"));
    assert_eq!(
        results.interpretation.corrections,
        [("ricongiungimneto".to_owned(), "ricongiungimento".to_owned())]
    );
    assert!(search(&text("medco")).interpretation.corrections.len() == 1);
    assert!(search(&text("mdco")).interpretation.corrections.is_empty());
    // A word that exists is never "corrected".
    assert!(
        search(&text("permesso"))
            .interpretation
            .corrections
            .is_empty()
    );
}

fn in_language(lang: &str, q: &str) -> SearchQuery {
    SearchQuery {
        language: Some(lang.to_owned()),
        ..text(q)
    }
}

/// Issue 22: corrections come from the searcher's language (or Italian, the directory's),
/// nearest first with a doubled or undoubled letter half an edit: "dotore" is "dottore",
/// not "datore" (employer); Albanian "familje" is not French "famille"; a colloquial word the
/// lexicon knows ("الولاد", the kids) is not "corrected" into another ("الولاده", childbirth).
#[test]
fn corrections_stay_in_the_searchers_language_and_know_the_colloquial_words() {
    let dottore = search(&in_language("it", "dotore"));
    assert_eq!(
        dottore.interpretation.corrections,
        [("dotore".to_owned(), "dottore".to_owned())]
    );
    assert!(
        dottore
            .interpretation
            .categories
            .contains(&"health.primary_care".to_owned())
    );
    assert!(
        search(&in_language("it", "familje"))
            .interpretation
            .corrections
            .is_empty()
    );
    let kids = search(&in_language("ar", "الولاد"));
    assert!(
        kids.interpretation.corrections.is_empty(),
        "{:?}",
        kids.interpretation
    );
    assert!(
        kids.interpretation
            .categories
            .contains(&"family".to_owned())
    );
    // An attached "and in the" is not a typo: "فالمدرسة" is "مدرسة", school.
    let school = search(&in_language("ar", "فالمدرسة"));
    assert!(school.interpretation.corrections.is_empty());
    assert!(
        school
            .interpretation
            .categories
            .iter()
            .any(|c| c.starts_with("education")),
        "{:?}",
        school.interpretation
    );
    // Barletta written in Cyrillic and declined ("in Barletta") is Barletta.
    let barletta = search(&in_language("uk", "пермессо барлетті"));
    assert!(
        barletta.hits[0].name.contains("Barletta"),
        "{:?}",
        barletta.hits.iter().map(|h| &h.name).collect::<Vec<_>>()
    );
}

/// Issue 22: a sentence that names a need finds the services for it, even when no service
/// holds its words; "without documents" asks for care without a permit and never for the
/// documents offices.
#[test]
fn sentences_and_negated_papers_are_understood() {
    for (lang, q) in [
        ("it", "mio marito mi picchia"),
        ("en", "my husband hits me"),
        ("fr", "mon mari me frappe"),
        ("ar", "زوجي يضربني"),
        ("es", "mi marido me pega"),
        ("uk", "чоловік б'є мене"),
    ] {
        let results = search(&in_language(lang, q));
        assert!(results.total > 0, "{q}");
        assert_eq!(
            results.interpretation.emergencies,
            [Emergency::Violence],
            "{q}"
        );
        let first = doc(&results.hits[0].id);
        assert!(
            first
                .categories
                .contains(&"violence.gender_based".to_owned()),
            "{q}: {}",
            results.hits[0].name
        );
    }
    for (lang, q) in [
        ("en", "doctor without documents"),
        ("fr", "soins sans papiers"),
        ("it", "medico senza permesso di soggiorno"),
        ("es", "no tengo papeles y estoy enfermo"),
    ] {
        let results = search(&in_language(lang, q));
        let categories = &results.interpretation.categories;
        assert!(
            categories.contains(&"health.stp_eni".to_owned()),
            "{q}: {categories:?}"
        );
        assert!(
            !categories.iter().any(|c| c.starts_with("documents")),
            "{q}: {categories:?}"
        );
        for hit in results.hits.iter().take(3) {
            assert!(
                doc(&hit.id)
                    .categories
                    .iter()
                    .any(|c| c.starts_with("health")),
                "{q}: {}",
                hit.name
            );
        }
    }
    // Papers that are not negated still name the documents offices.
    let permit = search(&in_language("en", "residence permit renewal"));
    assert!(
        permit
            .interpretation
            .categories
            .iter()
            .any(|c| c.starts_with("documents")),
        "{:?}",
        permit.interpretation
    );
}

/// Issue 22: a language named in the text ("in arabo", "in English") ranks the services
/// that speak it higher; it is a wish, not a word every service must hold.
#[test]
fn a_language_named_in_the_text_ranks_the_services_speaking_it_higher() {
    let speaking = |q: &str, code: &str| {
        let results = search(&in_language("it", q));
        results
            .hits
            .iter()
            .take(5)
            .filter(|h| doc(&h.id).languages.contains(&code.to_owned()))
            .count()
    };
    for (plain, asked, code) in [
        ("medico", "medico in arabo", "ar"),
        ("avvocato", "avvocato in bengalese", "bn"),
    ] {
        assert!(
            speaking(asked, code) > speaking(plain, code),
            "{asked}: {} against {}",
            speaking(asked, code),
            speaking(plain, code)
        );
    }
}

/// Issue 17: a 64,000-character word is read only up to the text limit and matched as
/// typed (no correction, no completion); the words before it are still understood.
#[test]
fn an_enormous_word_is_bounded_and_not_corrected() {
    let results = search(&text(&"permesso".repeat(8_000)));
    assert!(results.interpretation.corrections.is_empty());
    assert_eq!(results.total, 0);
    let results = search(&text(&format!("permeso {}", "x".repeat(64_000))));
    assert_eq!(
        results.interpretation.corrections,
        [("permeso".to_owned(), "permesso".to_owned())]
    );
}

#[test]
fn the_last_word_matches_as_a_prefix_while_typing() {
    let results = search(&text("corso di italiano andr"));
    assert!(results.total > 0);
    assert!(
        results.hits[0].name.contains("Andria"),
        "{:?}",
        results.hits.iter().map(|h| &h.name).collect::<Vec<_>>()
    );
    // Once a space follows, the word is complete: "bisceg" alone matches nothing.
    let done = search(&text("bisceg "));
    assert_eq!(done.total, 0);
    assert!(search(&text("bisceg")).total > 0);
}

#[test]
fn filters_keep_only_what_they_name() {
    let bat = all(SearchQuery {
        province: Some("110".into()),
        ..Default::default()
    });
    let expected = DEMO
        .docs
        .iter()
        .filter(|d| d.provinces.contains(&"110".to_owned()))
        .count();
    assert_eq!(bat.total as usize, expected);
    assert!(
        bat.hits
            .iter()
            .all(|h| doc(&h.id).provinces == ["110".to_owned()])
    );

    let mut arabic = text("permesso di soggiorno");
    arabic.spoken_language = Some("ar".into());
    let arabic = all(arabic);
    assert!(arabic.total > 0);
    assert!(
        arabic
            .hits
            .iter()
            .all(|h| doc(&h.id).languages.contains(&"ar".to_owned()))
    );

    let free = search(&SearchQuery {
        free_only: true,
        limit: 100,
        ..Default::default()
    });
    let expected = DEMO.docs.iter().filter(|d| d.free).count();
    assert_eq!(free.total as usize, expected);
    assert!(expected > 100 && expected < DEMO.docs.len());
    assert!(free.hits.iter().all(|h| doc(&h.id).free));
    let questura = doc(&demo_id("questura-permessi-laquila"));
    assert!(!questura.free, "fees of 70 € and more are not free");

    let health = all(SearchQuery {
        categories: vec!["health".into()],
        comune: Some("066049".into()),
        ..Default::default()
    });
    assert!(health.total > 0);
    for hit in &health.hits {
        let d = doc(&hit.id);
        assert!(d.categories.iter().any(|c| c.starts_with("health")));
        assert_eq!(d.comuni, ["066049".to_owned()]);
    }

    let accessible = search(&SearchQuery {
        accessible_only: true,
        ..Default::default()
    });
    let expected = DEMO.docs.iter().filter(|d| d.accessible).count() as u64;
    assert_eq!(accessible.total, expected);
    assert!(expected > 0);

    let abruzzo = search(&SearchQuery {
        region: Some("13".into()),
        ..Default::default()
    });
    let puglia = search(&SearchQuery {
        region: Some("16".into()),
        ..Default::default()
    });
    assert_eq!(abruzzo.total + puglia.total, 188);
}

#[test]
fn near_a_point_finds_what_is_within_the_radius_nearest_first() {
    let pizzoli = TERRITORIES.comune("066072").unwrap().centroid.unwrap();
    let results = all(SearchQuery {
        near: Near::comune(&TERRITORIES, "066072", 15.0),
        ..Default::default()
    });
    assert!(results.total > 10, "{}", results.total);
    let distances: Vec<f64> = results
        .hits
        .iter()
        .map(|h| h.distance_km.unwrap())
        .collect();
    assert!(distances.windows(2).all(|w| w[0] <= w[1]), "{distances:?}");
    assert!(distances.iter().all(|d| *d <= 15.0));
    for hit in &results.hits {
        let d = doc(&hit.id);
        assert!(d.provinces == ["066".to_owned()], "{}", hit.name);
        assert!(!hit.name.contains("Barletta"));
    }
    assert!(
        results.hits[0].name.contains("Pizzoli"),
        "{}",
        results.hits[0].name
    );
    let expected = DEMO
        .docs
        .iter()
        .filter(|d| d.points.iter().any(|p| p.distance_km(&pizzoli) <= 15.0))
        .count();
    assert_eq!(results.total as usize, expected);

    // With text, relevance leads and distances are still reported.
    let mut query = text("corso di italiano");
    query.near = Some(Near {
        point: pizzoli,
        radius_km: 15.0,
    });
    let results = search(&query);
    assert!(results.total > 0);
    assert!(results.hits.iter().all(|h| h.distance_km.is_some()));
    assert!(
        results.hits[0].name.contains("Pizzoli"),
        "{}",
        results.hits[0].name
    );
}

#[test]
fn open_now_follows_rome_time_weekdays_and_holidays() {
    let open_at = |now: DateTime<Utc>| -> HashSet<String> {
        let query = SearchQuery {
            open_now: true,
            limit: 100,
            ..Default::default()
        };
        let results = DEMO.index.search(&query, now).unwrap();
        assert!(results.total <= 100);
        results.hits.into_iter().map(|h| h.id).collect()
    };
    let monday = open_at(monday_10());
    let sunday = open_at(Utc.with_ymd_and_hms(2026, 11, 15, 9, 0, 0).unwrap());
    let christmas = open_at(Utc.with_ymd_and_hms(2026, 12, 25, 9, 0, 0).unwrap());
    let asylum_desk = demo_id("questura-asilo-laquila"); // MO–FR 8:30–12:00
    let emergency = demo_id("asl-pronto-soccorso-laquila"); // every day, 24 hours
    assert!(monday.contains(&asylum_desk));
    assert!(!sunday.contains(&asylum_desk));
    assert!(
        !christmas.contains(&asylum_desk),
        "25 December is a holiday"
    );
    for set in [&monday, &sunday, &christmas] {
        assert!(set.contains(&emergency));
    }
    assert!(
        monday.len() > 3 * sunday.len(),
        "{} vs {}",
        monday.len(),
        sunday.len()
    );
    // The index agrees with evaluating each service's rules directly.
    for (now, set) in [
        (monday_10(), &monday),
        (
            Utc.with_ymd_and_hms(2026, 12, 25, 9, 0, 0).unwrap(),
            &christmas,
        ),
    ] {
        let expected: HashSet<String> = DEMO
            .docs
            .iter()
            .filter(|d| d.status == "active" && schedule::is_open(&d.schedules, now))
            .map(|d| d.id.clone())
            .collect();
        assert_eq!(set, &expected);
    }
    // A temporarily closed service is never open.
    let closed = DEMO
        .docs
        .iter()
        .find(|d| d.status == "temporarily closed")
        .unwrap();
    assert!(!monday.contains(&closed.id));
}

/// Ids of the services at confidential locations, with those locations' coordinates.
fn confidential_services() -> Vec<(String, Point)> {
    let rows = &DEMO.rows;
    let mut out = Vec::new();
    for location in rows
        .iter()
        .filter(|r| r.table == "location" && r.fields.get("confidential") == Some(&true.into()))
    {
        let point = Point {
            lat: location.fields["latitude"].as_f64().unwrap(),
            lon: location.fields["longitude"].as_f64().unwrap(),
        };
        for sal in rows.iter().filter(|r| {
            r.table == "service_at_location" && r.text("location_id") == Some(&location.id)
        }) {
            out.push((sal.text("service_id").unwrap().to_owned(), point));
        }
    }
    out
}

#[test]
fn confidential_locations_never_reach_the_index() {
    let confidential = confidential_services();
    assert!(confidential.len() >= 3);
    let searcher = DEMO.index.reader.searcher();
    for (id, point) in &confidential {
        let d = doc(id);
        assert!(d.points.is_empty(), "{id}");
        assert_eq!(d.comuni.len(), 1, "the comune is kept");
        // Nothing in the index's point column for it.
        let query = TermQuery::new(
            tantivy::Term::from_field_text(DEMO.index.fields.id, id),
            IndexRecordOption::Basic,
        );
        let found = searcher
            .search(&query, &tantivy::collector::DocSetCollector)
            .unwrap();
        assert_eq!(found.len(), 1);
        for address in found {
            let reader = searcher.segment_reader(address.segment_ord);
            let column = reader
                .fast_fields()
                .column_opt::<u64>(crate::fields::names::POINT)
                .unwrap();
            if let Some(column) = column {
                assert_eq!(column.values_for_doc(address.doc_id).count(), 0, "{id}");
            }
        }
        // Proximity at its very door does not find it.
        let results = all(SearchQuery {
            near: Some(Near {
                point: *point,
                radius_km: 1.0,
            }),
            ..Default::default()
        });
        assert!(!ids(&results).contains(&id.as_str()));
        // Text finds it.
        let name = d.texts[0].name.clone();
        assert!(ids(&search(&text(&name))).contains(&id.as_str()), "{name}");
    }
}

#[test]
fn facet_counts_add_up() {
    let results = search(&text("sportello"));
    let f = &results.facets;
    let sum = |list: &[(String, u64)]| list.iter().map(|(_, c)| c).sum::<u64>();
    assert!(results.total > 20);
    // Every demo service is in exactly one comune, province and region.
    assert_eq!(sum(&f.provinces), results.total);
    assert_eq!(sum(&f.comuni), results.total);
    assert_eq!(sum(&f.regions), results.total);
    // Italian is spoken everywhere.
    assert_eq!(f.languages[0], ("it".to_owned(), results.total));
    // A top-level category counts each service once, whatever its narrower terms.
    for (code, count) in &f.categories {
        assert!(*count <= results.total, "{code}");
    }
    let top_level: u64 = f
        .categories
        .iter()
        .filter(|(c, _)| !c.contains('.'))
        .map(|(_, c)| c)
        .sum();
    assert!(top_level >= results.total);
    assert!(f.free <= results.total && f.accessible <= results.total);
    // Sorted by count.
    assert!(f.categories.windows(2).all(|w| w[0].1 >= w[1].1));
    // Facets count the filtered set, the facet's own dimension included.
    let mut filtered = text("sportello");
    filtered.province = Some("066".into());
    let filtered = search(&filtered);
    assert_eq!(
        filtered.facets.provinces,
        [("066".to_owned(), filtered.total)]
    );
    let in_066 = f.provinces.iter().find(|(p, _)| p == "066").unwrap().1;
    assert_eq!(filtered.total, in_066);
    // Free facet equals the total with free_only.
    let mut free = text("sportello");
    free.free_only = true;
    assert_eq!(search(&free).total, f.free);
}

#[test]
fn hits_speak_the_searchers_language_and_snippets_are_safe_html() {
    let mut query = text("permesso di soggiorno");
    query.language = Some("ar".into());
    let results = search(&query);
    let first = &results.hits[0];
    assert!(
        first
            .name
            .chars()
            .any(|c| ('\u{0600}'..='\u{06FF}').contains(&c)),
        "{}",
        first.name
    );
    let mut query = text("corso italiano");
    query.language = Some("it".into());
    let results = search(&query);
    let snippet = &results.hits[0].snippet;
    assert!(snippet.contains("<mark>"), "{snippet}");
    let without_marks = snippet.replace("<mark>", "").replace("</mark>", "");
    assert!(!without_marks.contains('<') && !without_marks.contains('>'));
    // No word in the description: its beginning.
    let results = search(&text("doctor"));
    assert!(results.hits.iter().all(|h| !h.snippet.is_empty()));
}

#[test]
fn paging_is_stable_and_limited() {
    let page = |offset| {
        search(&SearchQuery {
            text: Some("servizi".into()),
            offset,
            limit: 5,
            ..Default::default()
        })
    };
    let first = page(0);
    let second = page(5);
    assert_eq!(first.total, second.total);
    assert_eq!(first.hits.len(), 5);
    let all_ten = search(&SearchQuery {
        text: Some("servizi".into()),
        limit: 10,
        ..Default::default()
    });
    let joined: Vec<&str> = ids(&first).into_iter().chain(ids(&second)).collect();
    assert_eq!(ids(&all_ten), joined);
    assert!(first.hits.windows(2).all(|w| w[0].score >= w[1].score));
}

#[test]
fn fresher_services_rank_above_stale_twins() {
    // Identical texts, different verification dates.
    let index = SearchIndex::in_memory().unwrap();
    let mut fresh = doc(&demo_id("cpia-a1-trani")).clone();
    fresh.id = "fresh".into();
    fresh.assured_date = Some(today() - chrono::Days::new(10));
    let mut stale = fresh.clone();
    stale.id = "stale".into();
    stale.assured_date = Some(today() - chrono::Days::new(300));
    index.upsert(&[stale, fresh]).unwrap();
    index.commit().unwrap();
    let results = index.search(&text("corso italiano"), monday_10()).unwrap();
    assert_eq!(ids(&results), ["fresh", "stale"]);
    assert!(results.hits[0].score > results.hits[1].score);
}

#[test]
fn inactive_services_are_not_listed_and_writes_show_after_commit() {
    let index = SearchIndex::in_memory().unwrap();
    assert!(index.needs_rebuild());
    let mut a = doc(&demo_id("caritas-guardaroba-laquila")).clone();
    a.id = "a".into();
    let mut b = a.clone();
    b.id = "b".into();
    b.status = "defunct".into();
    index.upsert(&[a.clone(), b]).unwrap();
    assert_eq!(index.len(), 0, "not before the commit");
    index.commit().unwrap();
    assert!(!index.needs_rebuild());
    assert_eq!(index.len(), 2);
    let results = index.search(&text("guardaroba"), monday_10()).unwrap();
    assert_eq!(ids(&results), ["a"]);
    // Upsert replaces.
    a.texts[0].name = "Armadio solidale".into();
    index.upsert(&[a]).unwrap();
    index.commit().unwrap();
    assert_eq!(index.len(), 2);
    let results = index.search(&text("armadio"), monday_10()).unwrap();
    assert_eq!(ids(&results), ["a"]);
    index.delete(&["a"]).unwrap();
    index.commit().unwrap();
    assert_eq!(index.len(), 1);
    assert_eq!(
        index.search(&text("armadio"), monday_10()).unwrap().total,
        0
    );
}

#[test]
fn an_index_on_disk_survives_reopening_and_is_rebuilt_on_a_new_schema() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("search");
    {
        let index = SearchIndex::open(&path).unwrap();
        assert!(index.needs_rebuild());
        index.upsert(&DEMO.docs[..20]).unwrap();
        index.commit_at("change-42").unwrap();
        assert_eq!(index.cursor().as_deref(), Some("change-42"));
    }
    {
        let index = SearchIndex::open(&path).unwrap();
        assert!(!index.needs_rebuild());
        assert_eq!(index.len(), 20);
        assert_eq!(index.cursor().as_deref(), Some("change-42"));
        index.upsert(&DEMO.docs[20..25]).unwrap();
        index.commit().unwrap();
        assert_eq!(index.cursor().as_deref(), Some("change-42"), "kept");
    }
    // An index written by an older layout.
    {
        let old = tantivy::Index::open_in_dir(&path).unwrap();
        let mut writer: tantivy::IndexWriter = old.writer(15_000_000).unwrap();
        let mut commit = writer.prepare_commit().unwrap();
        commit.set_payload(r#"{"schema":0,"cursor":"change-7"}"#);
        commit.commit().unwrap();
    }
    std::fs::write(path.join("NOTES.txt"), "kept").unwrap();
    let index = SearchIndex::open(&path).unwrap();
    assert!(index.needs_rebuild());
    assert_eq!(index.len(), 0);
    assert_eq!(index.cursor(), None);
    assert!(
        path.join("NOTES.txt").exists(),
        "only index files are removed"
    );
}

#[test]
fn relaxed_matching_when_no_service_has_every_word() {
    let results = search(&text("ambulatorio infermieristico zanzibar"));
    assert!(results.total > 0);
    assert!(
        !results.interpretation.relaxed,
        "two of three words are enough"
    );
    let results = search(&text("Trinitapoli zanzibar"));
    assert!(results.interpretation.relaxed);
    assert!(results.total > 0);
    assert!(search(&text("zanzibar")).total == 0);
}

#[test]
fn services_with_addresses_but_no_istat_code_are_placed_by_city() {
    let rows = vec![
        Record::new("service", "s")
            .with("name", "Sportello")
            .with("status", "active"),
        Record::new("service_at_location", "sal")
            .with("service_id", "s")
            .with("location_id", "l"),
        Record::new("location", "l").with("name", "Sede"),
        Record::new("address", "a")
            .with("location_id", "l")
            .with("city", "Castro")
            .with("state_province", "LE"),
    ];
    let docs = service_docs(&rows, &TERRITORIES);
    let castro = &docs[0];
    assert_eq!(castro.provinces, ["075"]);
    // No coordinates: the comune's centroid stands in.
    assert_eq!(castro.points.len(), 1);
    assert!(!castro.free, "no fee information is not free");
    assert!(castro.schedules.is_empty());
}

mod properties {
    use proptest::prelude::*;

    use super::*;

    proptest! {
        #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

        /// Any text in any language, with any filters, is a search: an answer within the
        /// page limit, never a panic or an error.
        #[test]
        fn any_query_text_is_searched(
            text in "[ a-zA-Zàéèìòù'\"*?~+:()\\[\\]{}^!&|/\\\\,.-]{0,40}|\\PC{0,20}",
            language in proptest::option::of("[a-z]{0,3}(-[A-Za-z]{0,4})?"),
            categories in proptest::collection::vec("[a-z-]{0,12}", 0..3),
            comune in proptest::option::of("[0-9]{0,7}"),
            flags in any::<(bool, bool, bool)>(),
            offset in 0usize..2000,
            limit in 0usize..200,
        ) {
            let query = SearchQuery {
                text: Some(text),
                language,
                categories,
                comune,
                free_only: flags.0,
                accessible_only: flags.1,
                open_now: flags.2,
                offset,
                limit,
                ..Default::default()
            };
            let results = DEMO.index.search(&query, monday_10()).unwrap();
            prop_assert!(results.hits.len() <= query::MAX_LIMIT);
        }
    }
}
