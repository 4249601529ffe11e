//! Two years of desk history for the demo (`serve --demo`): people recorded at the Comune
//! dell'Aquila's desk with their consents and needs, referred to the services of the
//! L'Aquila province and answered by the receivers' demo operators — accepted and completed,
//! declined, closed unresolved, left to expire, a few still waiting — so the desk, the
//! coordinators' lists and every observatory indicator show figures on a first run.
//!
//! Everything goes through the desk's own use cases (`crocevia_app::desk`) and store, each
//! at its moment in the past (a clock per step), as operators would have done it: the
//! observatory then reads the facts those writes logged. Deterministic: the same people
//! every time.

use std::collections::BTreeMap;

use anyhow::{Context, Result};
use chrono::{DateTime, Duration, Utc};
use crocevia_app::desk::{Desk, DeskSettings, ReferralChoices};
use crocevia_core::clock::FixedClock;
use crocevia_core::desk::audit::Actor;
use crocevia_core::desk::{
    ConsentRecord, Contact, ContactFacts, DeclineReason, Need, Outcome, PersonalDetails, Purpose,
    ReferralAction, Sex, SharedField, UnresolvedReason, Urgency,
};
use crocevia_core::hsds::Record;
use crocevia_core::{demo, taxonomy};
use crocevia_store::Store;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

/// People recorded over the two years.
const PEOPLE: usize = 260;
/// Days the history goes back.
const DAYS: i64 = 730;

/// Needs people bring, with their weight.
const NEEDS: &[(&str, u32)] = &[
    ("health.primary_care", 14),
    ("health.stp_eni", 5),
    ("language.courses", 14),
    ("documents.permit_renewal", 10),
    ("work.job_search", 12),
    ("legal.free_legal_aid", 6),
    ("basic_needs", 6),
    ("housing", 6),
    ("education.adult", 4),
    ("family.reunification", 3),
];

/// Citizenships (ISTAT codes) of the people, with their weight.
const CITIZENSHIPS: &[(&str, u32)] = &[
    ("436", 14), // Morocco
    ("201", 12), // Albania
    ("243", 9),  // Ukraine
    ("443", 8),  // Nigeria
    ("305", 6),  // Bangladesh
    ("344", 6),  // Pakistan
    ("450", 5),  // Senegal
    ("419", 4),  // Egypt
    ("314", 4),  // China
    ("330", 3),  // India
];

/// Comuni of the L'Aquila province the people live in (the demo's places), with weight.
const COMUNI: &[(&str, u32)] = &[
    ("066049", 30), // L'Aquila
    ("066072", 4),
    ("066056", 3),
    ("066065", 3),
    ("066087", 2),
    ("066043", 2),
    ("066055", 2),
    ("066047", 2),
];

const GIVEN: &[&str] = &[
    "Amina", "Youssef", "Fatima", "Arben", "Olena", "Chinedu", "Rahim", "Aisha", "Mamadou", "Li",
    "Sara", "Omar",
];
const FAMILY: &[&str] = &[
    "El Idrissi",
    "Hoxha",
    "Kovalenko",
    "Okafor",
    "Rahman",
    "Khan",
    "Diop",
    "Hassan",
    "Wang",
    "Singh",
];

fn pick<'a>(rng: &mut StdRng, weighted: &[(&'a str, u32)]) -> &'a str {
    let total: u32 = weighted.iter().map(|(_, w)| w).sum();
    let mut n = rng.random_range(0..total);
    for (value, weight) in weighted {
        if n < *weight {
            return value;
        }
        n -= weight;
    }
    weighted[0].0
}

/// Services of the L'Aquila province by the needs-taxonomy code they are tagged with, and
/// the organisation running each.
struct Directory {
    by_need: BTreeMap<String, Vec<String>>,
    organization: BTreeMap<String, String>,
}

impl Directory {
    fn of(records: &[Record], desk_organization: &str) -> Directory {
        let get = |table: &str, id: &str| records.iter().find(|r| r.table == table && r.id == id);
        let mut organization = BTreeMap::new();
        for s in records.iter().filter(|r| r.table == "service") {
            let in_province = records
                .iter()
                .filter(|r| r.table == "service_at_location" && r.text("service_id") == Some(&s.id))
                .filter_map(|sal| get("location", sal.text("location_id")?))
                .any(|l| {
                    l.text("external_identifier")
                        .is_some_and(|c| c.starts_with("066"))
                });
            let org = s.text("organization_id").unwrap_or_default();
            if in_province && org != desk_organization {
                organization.insert(s.id.clone(), org.to_owned());
            }
        }
        let mut by_need: BTreeMap<String, Vec<String>> = BTreeMap::new();
        for t in taxonomy::needs_taxonomy() {
            let term_id = taxonomy::term_id(&t.code);
            for a in records.iter().filter(|r| r.table == "attribute") {
                let service = a.text("link_id").unwrap_or_default();
                if a.text("taxonomy_term_id") == Some(term_id.as_str())
                    && organization.contains_key(service)
                {
                    by_need
                        .entry(t.code.to_string())
                        .or_default()
                        .push(service.to_owned());
                }
            }
        }
        Directory {
            by_need,
            organization,
        }
    }
}

/// Writes the history unless the demo desk has contacts already. Returns how many people.
pub async fn create(
    store: &dyn Store,
    now: DateTime<Utc>,
    settings: &DeskSettings,
) -> Result<usize> {
    let accounts = demo::accounts();
    let account = |email_start: &str| {
        accounts
            .iter()
            .find(|a| a.email.starts_with(email_start))
            .expect("a demo account")
    };
    let desk_account = account("operatore@");
    let found = store
        .account_by_email(&desk_account.email)
        .await?
        .context("the demo accounts are created first")?;
    let operator = Actor {
        account_id: found.id,
        organization_id: desk_account.organization_id.clone(),
    };
    if !store.recent_contacts(&operator, 1).await?.is_empty() {
        return Ok(0);
    }
    // The receivers' operators, by organisation.
    let mut receivers: BTreeMap<String, Actor> = BTreeMap::new();
    for a in accounts
        .iter()
        .filter(|a| a.role == "operator" && a.organization_id != operator.organization_id)
    {
        if let Some(found) = store.account_by_email(&a.email).await? {
            receivers.insert(
                a.organization_id.clone(),
                Actor {
                    account_id: found.id,
                    organization_id: a.organization_id.clone(),
                },
            );
        }
    }
    let records = demo::network(now.date_naive());
    let directory = Directory::of(&records, &operator.organization_id);
    let mut rng = StdRng::seed_from_u64(19);
    let start = now - Duration::days(DAYS);
    for i in 0..PEOPLE {
        // Spread over the two years, more in recent months (the desk grew).
        let f = (i as f64 + rng.random::<f64>()) / PEOPLE as f64;
        let at = start + Duration::minutes((f.sqrt() * (DAYS * 24 * 60) as f64) as i64);
        let at = at.min(now - Duration::hours(2));
        let clock = FixedClock(at);
        let desk = Desk {
            store,
            clock: &clock,
            settings,
            public_url: "http://localhost:8080",
        };
        let consents_to_contact = rng.random_bool(0.6);
        let consents: Vec<ConsentRecord> = Purpose::ALL
            .iter()
            .map(|&purpose| ConsentRecord {
                purpose,
                given: purpose != Purpose::Contact || consents_to_contact,
                at,
                recorded_by: operator.account_id.clone(),
            })
            .collect();
        let birth_year = rng.random_range(1962..2007);
        let contact = Contact {
            id: uuid::Uuid::new_v4().to_string(),
            organization_id: operator.organization_id.clone(),
            reference: format!("DEM-{i:04}"),
            facts: ContactFacts {
                birth_year: Some(birth_year),
                age_band: None,
                sex: if rng.random_bool(0.5) {
                    Sex::Female
                } else if rng.random_bool(0.95) {
                    Sex::Male
                } else {
                    Sex::NotStated
                },
                citizenship: Some(pick(&mut rng, CITIZENSHIPS).to_owned()),
                comune_code: Some(pick(&mut rng, COMUNI).to_owned()),
                languages: vec!["it".into()],
            },
            personal: if consents_to_contact {
                PersonalDetails {
                    given_name: GIVEN[rng.random_range(0..GIVEN.len())].into(),
                    family_name: FAMILY[rng.random_range(0..FAMILY.len())].into(),
                    phone: format!(
                        "+39 3{:02} {:07}",
                        rng.random_range(20..99),
                        rng.random_range(0..10_000_000)
                    ),
                    email: String::new(),
                }
            } else {
                PersonalDetails::default()
            },
            created_at: at,
            created_by: operator.account_id.clone(),
            last_activity_at: at,
            erased_at: None,
        };
        store.create_contact(&operator, &contact, &consents).await?;
        let needs = if rng.random_bool(0.3) { 2 } else { 1 };
        for _ in 0..needs {
            let code = pick(&mut rng, NEEDS);
            let need = Need {
                id: uuid::Uuid::new_v4().to_string(),
                contact_id: contact.id.clone(),
                organization_id: operator.organization_id.clone(),
                term: taxonomy::TermCode::known(code).context("a needs-taxonomy code")?,
                urgency: if rng.random_bool(0.15) {
                    Urgency::Urgent
                } else {
                    Urgency::Normal
                },
                notes: String::new(),
                created_at: at,
                created_by: operator.account_id.clone(),
            };
            store.add_need(&operator, &need).await?;
            // Some needs find no service, or stay with the desk.
            let Some(services) = directory
                .by_need
                .get(code)
                .filter(|_| rng.random_bool(0.85))
            else {
                continue;
            };
            let service = &services[rng.random_range(0..services.len())];
            let draft = desk
                .prepare_referral(&operator, &contact.id, &need.id, service)
                .await?;
            let choices = ReferralChoices {
                shared: vec![
                    SharedField::AgeBand,
                    SharedField::Sex,
                    SharedField::Citizenship,
                    SharedField::Comune,
                    SharedField::Languages,
                ],
                ..ReferralChoices::default()
            };
            let referral = desk
                .send_referral(
                    &operator,
                    crocevia_core::access::Role::Operator,
                    &draft,
                    choices,
                )
                .await?;
            let Some(receiver) = directory
                .organization
                .get(service)
                .and_then(|o| receivers.get(o))
            else {
                continue; // nobody there answers: it expires
            };
            answer(store, settings, receiver, &referral.id, at, now, &mut rng).await?;
        }
    }
    // What nobody answered in time expires, as the desk's job would have done.
    let clock = FixedClock(now);
    Desk {
        store,
        clock: &clock,
        settings,
        public_url: "http://localhost:8080",
    }
    .expire_overdue()
    .await?;
    // Their e-mail notices went out back then: none waits in the queue (to `.invalid`
    // addresses, ahead of the notices of real use).
    loop {
        let queued: Vec<_> = store
            .pending_mail(500, u32::MAX)
            .await?
            .into_iter()
            .filter(|m| demo::is_demo_account(&m.to))
            .collect();
        if queued.is_empty() {
            break;
        }
        for mail in queued {
            store
                .mail_attempted(&mail.id, Some(mail.created_at))
                .await?;
        }
    }
    Ok(PEOPLE)
}

/// The receiver's answers to one referral sent at `sent`, none later than `now`.
async fn answer(
    store: &dyn Store,
    settings: &DeskSettings,
    receiver: &Actor,
    referral_id: &str,
    sent: DateTime<Utc>,
    now: DateTime<Utc>,
    rng: &mut StdRng,
) -> Result<()> {
    let roll: f64 = rng.random();
    let accept_after = Duration::hours(rng.random_range(2..96));
    let steps: Vec<(Duration, ReferralAction)> = if roll < 0.10 {
        Vec::new() // never answered
    } else if roll < 0.25 {
        let reason = [
            DeclineReason::NoCapacity,
            DeclineReason::NotEligible,
            DeclineReason::OutsideArea,
        ][rng.random_range(0..3)];
        vec![(accept_after, ReferralAction::Decline { reason })]
    } else if roll < 0.35 {
        vec![
            (accept_after, ReferralAction::Accept),
            (accept_after + Duration::days(2), ReferralAction::Start),
            (
                accept_after + Duration::days(10),
                ReferralAction::CloseUnresolved {
                    reason: UnresolvedReason::PersonDidNotAttend,
                },
            ),
        ]
    } else {
        let outcome = if rng.random_bool(0.8) {
            Outcome::ServiceProvided
        } else {
            Outcome::PartiallyProvided
        };
        vec![
            (accept_after, ReferralAction::Accept),
            (accept_after + Duration::days(1), ReferralAction::Start),
            (
                accept_after + Duration::days(rng.random_range(5..25)),
                ReferralAction::Complete { outcome },
            ),
        ]
    };
    for (after, action) in steps {
        let at = sent + after;
        if at >= now {
            break; // still to come
        }
        let clock = FixedClock(at);
        let desk = Desk {
            store,
            clock: &clock,
            settings,
            public_url: "http://localhost:8080",
        };
        desk.act(receiver, referral_id, action, String::new())
            .await?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::disallowed_methods)]

    use std::collections::BTreeSet;

    use chrono::TimeZone;
    use crocevia_core::desk::ReferralState;
    use crocevia_store::desk::Direction;

    use super::*;
    use crate::transfer::{create_demo_accounts, load_demo, load_reference_data};

    /// The demo's desk shows people, referrals in every state a desk meets, and the facts
    /// the observatory counts; a second start adds nothing.
    #[tokio::test(flavor = "multi_thread")]
    async fn the_demo_desk_has_two_years_of_people_and_referrals_in_every_state() {
        let dir = tempfile::tempdir().unwrap();
        let store = crocevia_store_sql::open(
            &format!("sqlite://{}", dir.path().join("t.db").display()),
            crocevia_store_sql::test_support::audit_seal(),
        )
        .await
        .unwrap();
        let now = Utc.with_ymd_and_hms(2026, 12, 7, 9, 0, 0).unwrap();
        let clock = FixedClock(now);
        load_reference_data(store.as_ref()).await.unwrap();
        load_demo(store.as_ref(), &clock).await.unwrap();
        create_demo_accounts(store.as_ref(), &clock).await.unwrap();
        let settings = DeskSettings::default();
        assert_eq!(
            create(store.as_ref(), now, &settings).await.unwrap(),
            PEOPLE
        );

        let desk = demo::accounts()
            .into_iter()
            .find(|a| a.email.starts_with("operatore@"))
            .unwrap();
        let sent = store
            .referrals_of(
                &desk.organization_id,
                Direction::Sent,
                &ReferralState::ALL,
                10_000,
            )
            .await
            .unwrap();
        let states: BTreeSet<&str> = sent.iter().map(|r| r.referral.state.as_str()).collect();
        for state in [
            "sent",
            "declined",
            "completed",
            "closed_unresolved",
            "expired",
        ] {
            assert!(states.contains(state), "no {state} referral in {states:?}");
        }
        let first = sent.iter().map(|r| r.referral.sent_at).min().unwrap();
        assert!(
            now - first > Duration::days(600),
            "the history spans two years: {first}"
        );
        assert!(sent.iter().all(|r| r.referral.sent_at < now));
        assert!(!store.need_facts_after("", 10).await.unwrap().is_empty());
        assert!(!store.referral_facts_after("", 10).await.unwrap().is_empty());
        assert!(
            store.pending_mail(10, u32::MAX).await.unwrap().is_empty(),
            "no notice of the history waits to be sent"
        );

        assert_eq!(create(store.as_ref(), now, &settings).await.unwrap(), 0);
    }
}
