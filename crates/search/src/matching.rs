//! The desk's proposals: which services fit one need of one person, in what order, and why.
//! Search finds the candidates (the need's category, around the person's comune); this ranks
//! them by fit and says, for each, the reasons an operator can read out.

use chrono::{DateTime, Utc};
use crocevia_core::schedule::is_open;
use crocevia_core::service_doc::ServiceDoc;
use crocevia_core::territory::{Point, Territories};
use serde::Serialize;

/// What ranking knows of the person: where they live, the languages they speak, their age.
#[derive(Debug, Clone, Default)]
pub struct Person {
    /// The centroid of the comune of residence or domicile.
    pub point: Option<Point>,
    pub languages: Vec<String>,
    pub age: Option<i32>,
}

/// A service search found, with what ranking needs beyond its document.
#[derive(Debug, Clone)]
pub struct Candidate<'a> {
    pub doc: &'a ServiceDoc,
    /// The service's age limits (HSDS `minimum_age`, `maximum_age`).
    pub minimum_age: Option<f64>,
    pub maximum_age: Option<f64>,
    /// The operational protocol that names this service as the pathway for the need.
    pub pathway: Option<String>,
}

/// Why a service is proposed (or ranked lower).
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "reason", rename_all = "snake_case")]
pub enum Reason {
    /// An operational protocol names it for this need: it comes first.
    Pathway {
        protocol: String,
    },
    /// Tagged with the need's category itself (or a narrower one).
    SameCategory,
    /// Tagged with a broader category of the need.
    BroaderCategory,
    /// Distance from the person's comune to its nearest location.
    Distance {
        km: f64,
    },
    /// It speaks a language of the person other than Italian.
    SpeaksLanguage {
        language: String,
    },
    /// The person speaks no language it is known to speak (nor Italian).
    NoCommonLanguage,
    Free,
    OpenNow,
    /// The person's age is outside the service's limits.
    OutsideAgeLimits,
    /// Not verified for six months or more: details may be out of date.
    NotRecentlyVerified,
}

/// A ranked service.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Proposal {
    pub service_id: String,
    pub score: f64,
    pub distance_km: Option<f64>,
    pub reasons: Vec<Reason>,
}

/// Ranks candidates for the need `need_code`: pathway services first, then by score (ties
/// by distance, then id so the order is stable).
pub fn rank(
    need_code: &str,
    person: &Person,
    candidates: &[Candidate<'_>],
    territories: &Territories,
    now: DateTime<Utc>,
) -> Vec<Proposal> {
    let mut ranked: Vec<(bool, Proposal)> = candidates
        .iter()
        .map(|c| {
            (
                c.pathway.is_some(),
                score(need_code, person, c, territories, now),
            )
        })
        .collect();
    ranked.sort_by(|(a_path, a), (b_path, b)| {
        b_path
            .cmp(a_path)
            .then(b.score.total_cmp(&a.score))
            .then(
                a.distance_km
                    .unwrap_or(f64::MAX)
                    .total_cmp(&b.distance_km.unwrap_or(f64::MAX)),
            )
            .then(a.service_id.cmp(&b.service_id))
    });
    ranked.into_iter().map(|(_, p)| p).collect()
}

fn score(
    need_code: &str,
    person: &Person,
    c: &Candidate<'_>,
    territories: &Territories,
    now: DateTime<Utc>,
) -> Proposal {
    let doc = c.doc;
    let mut reasons = Vec::new();
    let mut score = 0.0;
    if let Some(protocol) = &c.pathway {
        reasons.push(Reason::Pathway {
            protocol: protocol.clone(),
        });
    }
    let narrower = format!("{need_code}.");
    if doc
        .needs
        .iter()
        .any(|n| n == need_code || n.starts_with(&narrower))
    {
        score += 20.0;
        reasons.push(Reason::SameCategory);
    } else if doc
        .needs
        .iter()
        .any(|n| need_code.starts_with(&format!("{n}.")))
    {
        score += 8.0;
        reasons.push(Reason::BroaderCategory);
    }
    let distance_km = person.point.and_then(|p| nearest(doc, &p, territories));
    if let Some(km) = distance_km {
        // Full marks on the spot, half at 25 km, a quarter at 50 km.
        score += 30.0 * 0.5_f64.powf(km / 25.0);
        reasons.push(Reason::Distance {
            km: (km * 10.0).round() / 10.0,
        });
    }
    let theirs: Vec<&String> = person.languages.iter().filter(|l| *l != "it").collect();
    if let Some(shared) = theirs.iter().find(|l| doc.languages.contains(l)) {
        score += 15.0;
        reasons.push(Reason::SpeaksLanguage {
            language: (*shared).clone(),
        });
    } else if !person.languages.is_empty()
        && !person.languages.iter().any(|l| l == "it")
        && !doc.languages.iter().any(|l| l == "it")
    {
        score -= 10.0;
        reasons.push(Reason::NoCommonLanguage);
    }
    if doc.free {
        score += 5.0;
        reasons.push(Reason::Free);
    }
    if is_open(&doc.schedules, now) {
        score += 3.0;
        reasons.push(Reason::OpenNow);
    }
    if let Some(age) = person.age.map(f64::from) {
        let too_young = c.minimum_age.is_some_and(|min| age < min);
        let too_old = c.maximum_age.is_some_and(|max| age > max);
        if too_young || too_old {
            score -= 50.0;
            reasons.push(Reason::OutsideAgeLimits);
        }
    }
    let stale = doc
        .assured_date
        .is_none_or(|d| (now.date_naive() - d).num_days() > 183);
    if stale {
        score -= 5.0;
        reasons.push(Reason::NotRecentlyVerified);
    }
    Proposal {
        service_id: doc.id.clone(),
        score,
        distance_km,
        reasons,
    }
}

/// Kilometres to the nearest public location, else to the nearest comune it works in
/// (confidential locations give only their comune).
fn nearest(doc: &ServiceDoc, from: &Point, territories: &Territories) -> Option<f64> {
    let points: Vec<Point> = if doc.points.is_empty() {
        doc.comuni
            .iter()
            .filter_map(|code| territories.comune(code)?.centroid)
            .collect()
    } else {
        doc.points.clone()
    };
    points
        .iter()
        .map(|p| from.distance_km(p))
        .min_by(f64::total_cmp)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn territories() -> &'static Territories {
        use std::sync::OnceLock;
        static T: OnceLock<Territories> = OnceLock::new();
        T.get_or_init(|| crocevia_core::territory::load_embedded().unwrap())
    }

    fn now() -> DateTime<Utc> {
        DateTime::parse_from_rfc3339("2026-03-04T09:00:00Z")
            .unwrap()
            .to_utc()
    }

    fn doc(id: &str, needs: &[&str], comune: &str, languages: &[&str]) -> ServiceDoc {
        ServiceDoc {
            id: id.into(),
            texts: Vec::new(),
            needs: needs.iter().map(|s| s.to_string()).collect(),
            categories: Vec::new(),
            comuni: vec![comune.into()],
            provinces: Vec::new(),
            regions: Vec::new(),
            places: Vec::new(),
            points: Vec::new(),
            languages: languages.iter().map(|s| s.to_string()).collect(),
            free: false,
            accessible: false,
            schedules: Vec::new(),
            status: "active".into(),
            assured_date: Some(now().date_naive()),
        }
    }

    fn candidate(doc: &ServiceDoc) -> Candidate<'_> {
        Candidate {
            doc,
            minimum_age: None,
            maximum_age: None,
            pathway: None,
        }
    }

    fn person_in(comune: &str, languages: &[&str]) -> Person {
        Person {
            point: territories().comune(comune).unwrap().centroid,
            languages: languages.iter().map(|s| s.to_string()).collect(),
            age: Some(30),
        }
    }

    const LAQUILA: &str = "066049";
    const PIZZOLI: &str = "066072";
    const BARLETTA: &str = "110002";

    #[test]
    fn nearer_services_and_shared_languages_rank_higher_with_their_reasons() {
        let near = doc("near", &["health.primary_care"], LAQUILA, &["it"]);
        let far = doc("far", &["health.primary_care"], BARLETTA, &["it"]);
        let speaks = doc("speaks", &["health.primary_care"], PIZZOLI, &["it", "ar"]);
        let person = person_in(LAQUILA, &["ar", "fr"]);
        let ranked = rank(
            "health.primary_care",
            &person,
            &[candidate(&far), candidate(&near), candidate(&speaks)],
            territories(),
            now(),
        );
        let order: Vec<&str> = ranked.iter().map(|p| p.service_id.as_str()).collect();
        assert_eq!(order, vec!["speaks", "near", "far"]);
        assert!(ranked[0].reasons.contains(&Reason::SpeaksLanguage {
            language: "ar".into()
        }));
        assert!(
            ranked[2].distance_km.unwrap() > 150.0,
            "L'Aquila to Barletta"
        );
        assert!(ranked[1].reasons.contains(&Reason::SameCategory));
    }

    #[test]
    fn a_pathway_comes_first_and_age_limits_push_down() {
        let near = doc("near", &["health.primary_care"], LAQUILA, &["it"]);
        let far = doc("far", &["health"], BARLETTA, &["it"]);
        let mut minors = candidate(&near);
        minors.maximum_age = Some(17.0);
        let mut protocol = candidate(&far);
        protocol.pathway = Some("Protocollo salute".into());
        let ranked = rank(
            "health.primary_care",
            &person_in(LAQUILA, &["it"]),
            &[minors, protocol],
            territories(),
            now(),
        );
        assert_eq!(ranked[0].service_id, "far");
        assert!(ranked[0].reasons.contains(&Reason::BroaderCategory));
        assert!(ranked[1].reasons.contains(&Reason::OutsideAgeLimits));
    }

    #[test]
    fn no_common_language_and_staleness_are_said() {
        let mut stale = doc("stale", &["health.primary_care"], LAQUILA, &["en"]);
        stale.assured_date = None;
        let ranked = rank(
            "health.primary_care",
            &person_in(LAQUILA, &["ar"]),
            &[candidate(&stale)],
            territories(),
            now(),
        );
        assert!(ranked[0].reasons.contains(&Reason::NoCommonLanguage));
        assert!(ranked[0].reasons.contains(&Reason::NotRecentlyVerified));
    }
}
