//! The desk's half of the store contract (see [`super`]): who finds what, the
//! compare-and-set of referral states, erasure, and the audit chain.

#![allow(clippy::unwrap_used)] // a contract check fails by panicking

use chrono::{DateTime, Duration, Utc};
use crocevia_core::desk::audit::{self, Actor, AuditAction, ChainBreak};
use crocevia_core::desk::{
    ConsentRecord, Contact, ContactFacts, Need, PersonalDetails, Purpose, Referral, ReferralEvent,
    ReferralState, Sex, SharedField, SharedPerson, Side, Urgency,
};
use crocevia_core::taxonomy::TermCode;

use super::{ORG, OTHER_ORG, SERVICE, at};
use crate::Store;
use crate::desk::{Direction, OutgoingMail, Pathway};

pub const CONTACT: &str = "c0000000-0000-4000-8000-000000000001";
pub const NEED: &str = "d0000000-0000-4000-8000-000000000001";
pub const REFERRAL: &str = "e0000000-0000-4000-8000-000000000001";
const THIRD_ORG: &str = "8b0a6f3e-0c59-4a55-9d2d-3f5a1e2b7c03";

pub fn operator(org: &str) -> Actor {
    Actor {
        account_id: format!("operator-of-{org}"),
        organization_id: org.to_owned(),
    }
}

pub fn contact() -> Contact {
    Contact {
        id: CONTACT.into(),
        organization_id: ORG.into(),
        reference: "ABC-234".into(),
        facts: ContactFacts {
            birth_year: Some(1994),
            age_band: None,
            sex: Sex::Female,
            citizenship: Some("201".into()),
            comune_code: Some("066049".into()),
            languages: vec!["sq".into(), "it".into()],
        },
        personal: PersonalDetails {
            given_name: "Drita".into(),
            family_name: "Ça".into(),
            phone: "+39 333 1234567".into(),
            email: String::new(),
        },
        created_at: at(2),
        created_by: operator(ORG).account_id,
        last_activity_at: at(2),
        erased_at: None,
    }
}

fn consent(purpose: Purpose) -> ConsentRecord {
    ConsentRecord {
        purpose,
        given: true,
        at: at(2),
        recorded_by: operator(ORG).account_id,
    }
}

pub fn need() -> Need {
    Need {
        id: NEED.into(),
        contact_id: CONTACT.into(),
        organization_id: ORG.into(),
        term: TermCode::new("health"),
        urgency: Urgency::Urgent,
        notes: "asks for a family doctor".into(),
        created_at: at(3),
        created_by: operator(ORG).account_id,
    }
}

pub fn referral() -> Referral {
    Referral {
        id: REFERRAL.into(),
        contact_id: CONTACT.into(),
        need_id: NEED.into(),
        from_organization_id: ORG.into(),
        from_account_id: operator(ORG).account_id,
        service_id: SERVICE.into(),
        to_organization_id: OTHER_ORG.into(),
        state: ReferralState::Sent,
        shared: vec![
            SharedField::Name,
            SharedField::AgeBand,
            SharedField::NeedNotes,
        ],
        message: "She will call you on Monday".into(),
        urgency: Urgency::Urgent,
        sent_at: at(4),
        due_at: at(5),
        updated_at: at(4),
        consent_override: None,
    }
}

fn send_event() -> ReferralEvent {
    ReferralEvent {
        referral_id: REFERRAL.into(),
        at: at(4),
        account_id: operator(ORG).account_id,
        side: Side::Sender,
        action: "send".into(),
        code: None,
        note: String::new(),
        from_state: None,
        to_state: ReferralState::Sent,
    }
}

/// A contact with consents, a need and a referral from ORG to OTHER_ORG.
pub async fn seed_desk(store: &dyn Store) {
    let me = operator(ORG);
    store
        .create_contact(
            &me,
            &contact(),
            &[consent(Purpose::Referral), consent(Purpose::Contact)],
        )
        .await
        .unwrap();
    assert!(store.add_need(&me, &need()).await.unwrap());
    let shared = SharedPerson::of(&contact(), &need(), &referral().shared, at(4));
    store
        .create_referral(
            &me,
            &referral(),
            &shared,
            &send_event(),
            &[notice("received", at(4))],
        )
        .await
        .unwrap();
}

/// An e-mail notice to OTHER_ORG's operator about the referral.
fn notice(kind: &str, created_at: DateTime<Utc>) -> OutgoingMail {
    OutgoingMail {
        id: format!("mail-{kind}"),
        to: "operator@other.example".into(),
        language: "it".into(),
        kind: kind.into(),
        link: format!("https://crocevia.example/it/desk/referrals/{REFERRAL}"),
        created_at,
        attempts: 0,
    }
}

async fn queued_kinds(store: &dyn Store) -> Vec<String> {
    let pending = store.pending_mail(100, 10).await.unwrap();
    pending.into_iter().map(|m| m.kind).collect()
}

pub async fn a_referral_and_its_notices_are_written_together(store: &dyn Store) {
    seed_desk(store).await;
    assert_eq!(queued_kinds(store).await, ["received"]);
    // A referral the actor's organisation may not make (another's contact) writes nothing,
    // its notice included.
    let foreign = Referral {
        id: "referral-foreign".into(),
        ..referral()
    };
    let shared = SharedPerson::of(&contact(), &need(), &foreign.shared, at(4));
    let event = ReferralEvent {
        referral_id: foreign.id.clone(),
        ..send_event()
    };
    let refused = store
        .create_referral(
            &operator(OTHER_ORG),
            &foreign,
            &shared,
            &event,
            &[notice("refused", at(4))],
        )
        .await;
    assert!(refused.is_err());
    assert_eq!(queued_kinds(store).await, ["received"]);
}

async fn verify_chain(store: &dyn Store) -> Result<u64, ChainBreak> {
    let entries = store.audit_entries(0, 100_000).await.unwrap();
    let head = store.audit_head().await.unwrap();
    audit::verify(
        &entries,
        head.as_ref().map(|(s, h)| (*s, h.as_str())),
        store.audit_seal(),
    )
}

pub async fn contacts_are_found_only_by_their_organisation(store: &dyn Store) {
    seed_desk(store).await;
    let mine = store
        .contact(&operator(ORG), CONTACT)
        .await
        .unwrap()
        .expect("found by its organisation");
    assert_eq!(
        mine,
        Contact {
            last_activity_at: at(4),
            ..contact()
        }
    );
    assert_eq!(
        store.contact(&operator(OTHER_ORG), CONTACT).await.unwrap(),
        None
    );
    assert_eq!(
        store
            .find_contacts(&operator(OTHER_ORG), "drita", 10)
            .await
            .unwrap(),
        vec![]
    );
    let by_name = store
        .find_contacts(&operator(ORG), "DRITA ca", 10)
        .await
        .unwrap();
    assert_eq!(by_name.len(), 1, "found by folded name words");
    let by_reference = store
        .find_contacts(&operator(ORG), " abc-234 ", 10)
        .await
        .unwrap();
    assert_eq!(by_reference.len(), 1, "found by reference, any case");
    let recent = store.recent_contacts(&operator(ORG), 10).await.unwrap();
    assert_eq!(recent.len(), 1);
    assert!(
        recent[0].personal.is_empty(),
        "lists carry no personal details"
    );
    assert!(
        store
            .recent_contacts(&operator(OTHER_ORG), 10)
            .await
            .unwrap()
            .is_empty()
    );
}

pub async fn others_cannot_write_to_a_contact(store: &dyn Store) {
    seed_desk(store).await;
    let stranger = operator(OTHER_ORG);
    let mut changed = contact();
    changed.personal.given_name = "Someone".into();
    assert!(
        !store
            .update_contact(&stranger, &changed, at(6))
            .await
            .unwrap()
    );
    assert!(
        !store
            .record_consent(&stranger, CONTACT, &consent(Purpose::Statistics))
            .await
            .unwrap()
    );
    assert!(
        !store
            .add_need(
                &stranger,
                &Need {
                    id: "other-need".into(),
                    ..need()
                }
            )
            .await
            .unwrap()
    );
    assert!(
        store
            .export_person(&stranger, CONTACT)
            .await
            .unwrap()
            .is_none()
    );
    assert!(
        !store
            .erase_contact(&stranger, CONTACT, at(6))
            .await
            .unwrap()
    );
    let unchanged = store
        .contact(&operator(ORG), CONTACT)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(unchanged.personal.given_name, "Drita");
    assert!(
        store
            .update_contact(&operator(ORG), &changed, at(6))
            .await
            .unwrap()
    );
    let updated = store
        .contact(&operator(ORG), CONTACT)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        (
            updated.personal.given_name.as_str(),
            updated.last_activity_at
        ),
        ("Someone", at(6))
    );
}

pub async fn referrals_are_seen_by_both_sides_only(store: &dyn Store) {
    seed_desk(store).await;
    for org in [ORG, OTHER_ORG] {
        let view = store
            .referral(&operator(org), REFERRAL)
            .await
            .unwrap()
            .expect("both sides see it");
        assert_eq!(view.referral, referral());
        assert_eq!(view.term.as_str(), "health");
        assert_eq!(view.shared_person.name.as_deref(), Some("Drita Ça"));
        assert_eq!(view.shared_person.phone, None, "the phone was not shared");
    }
    assert!(
        store
            .referral(&operator(THIRD_ORG), REFERRAL)
            .await
            .unwrap()
            .is_none()
    );
    let inbox = store
        .referrals_of(OTHER_ORG, Direction::Received, &[], 10)
        .await
        .unwrap();
    assert_eq!(inbox.len(), 1);
    assert!(
        store
            .referrals_of(OTHER_ORG, Direction::Sent, &[], 10)
            .await
            .unwrap()
            .is_empty()
    );
    assert!(
        store
            .referrals_of(
                OTHER_ORG,
                Direction::Received,
                &[ReferralState::Accepted],
                10
            )
            .await
            .unwrap()
            .is_empty()
    );
    let notes = store.notifications(OTHER_ORG, 10).await.unwrap();
    assert_eq!((notes.len(), notes[0].kind.as_str()), (1, "received"));
    store
        .mark_notifications_read(OTHER_ORG, at(5))
        .await
        .unwrap();
    assert_eq!(
        store.notifications(OTHER_ORG, 10).await.unwrap()[0].read_at,
        Some(at(5))
    );
}

pub async fn a_transition_applies_once_and_joins_the_timeline(store: &dyn Store) {
    seed_desk(store).await;
    let accept = ReferralEvent {
        at: at(5),
        account_id: operator(OTHER_ORG).account_id,
        side: Side::Receiver,
        action: "accept".into(),
        from_state: Some(ReferralState::Sent),
        to_state: ReferralState::Accepted,
        ..send_event()
    };
    let answered = [notice("answered", at(5))];
    assert!(
        store
            .transition_referral(&operator(OTHER_ORG), &accept, &answered)
            .await
            .unwrap()
    );
    let again = [OutgoingMail {
        id: "mail-again".into(),
        ..notice("again", at(5))
    }];
    assert!(
        !store
            .transition_referral(&operator(OTHER_ORG), &accept, &again)
            .await
            .unwrap(),
        "a second answer from the same state loses"
    );
    assert_eq!(
        queued_kinds(store).await,
        ["received", "answered"],
        "the losing answer queued no notice"
    );
    let view = store
        .referral(&operator(ORG), REFERRAL)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        (view.referral.state, view.referral.updated_at),
        (ReferralState::Accepted, at(5))
    );
    let timeline = store.referral_events(REFERRAL).await.unwrap();
    assert_eq!(timeline, vec![send_event(), accept]);
    let sender_notes = store.notifications(ORG, 10).await.unwrap();
    assert_eq!(sender_notes[0].kind, "answered");
}

pub async fn overdue_referrals_are_those_still_sent_past_their_deadline(store: &dyn Store) {
    seed_desk(store).await;
    assert!(
        store.overdue_referrals(at(5), 10).await.unwrap().is_empty(),
        "due exactly now is not late"
    );
    let late = store
        .overdue_referrals(at(5) + Duration::seconds(1), 10)
        .await
        .unwrap();
    assert_eq!(late.len(), 1);
    let expire = ReferralEvent {
        at: at(6),
        account_id: "system".into(),
        side: Side::System,
        action: "expire".into(),
        from_state: Some(ReferralState::Sent),
        to_state: ReferralState::Expired,
        ..send_event()
    };
    assert!(
        store
            .transition_referral(&Actor::system(), &expire, &[])
            .await
            .unwrap()
    );
    assert!(store.overdue_referrals(at(7), 10).await.unwrap().is_empty());
}

pub async fn erasure_removes_personal_details_and_keeps_coded_facts(store: &dyn Store) {
    seed_desk(store).await;
    let me = operator(ORG);
    let export = store.export_person(&me, CONTACT).await.unwrap().unwrap();
    assert_eq!(export.contact.personal.given_name, "Drita");
    assert_eq!(
        (
            export.needs.len(),
            export.referrals.len(),
            export.timelines.len()
        ),
        (1, 1, 1)
    );
    assert_eq!(export.consents.len(), 2);
    assert!(
        export
            .audit
            .iter()
            .any(|e| e.event.action == AuditAction::Share)
    );
    assert!(
        export
            .audit
            .iter()
            .any(|e| e.event.action == AuditAction::Export)
    );

    assert!(store.erase_contact(&me, CONTACT, at(9)).await.unwrap());
    let erased = store.contact(&me, CONTACT).await.unwrap().unwrap();
    assert!(erased.personal.is_empty());
    assert_eq!(erased.erased_at, Some(at(9)));
    assert_eq!(
        erased.facts,
        contact().facts,
        "coded facts stay for statistics"
    );
    assert_eq!(store.needs_of(CONTACT).await.unwrap()[0].notes, "");
    assert_eq!(
        store.needs_of(CONTACT).await.unwrap()[0].term.as_str(),
        "health"
    );
    let view = store
        .referral(&operator(OTHER_ORG), REFERRAL)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        (view.shared_person.name, view.shared_person.need_notes),
        (None, None)
    );
    assert!(
        view.shared_person.age_band.is_some(),
        "coded shared facts stay"
    );
    assert_eq!(view.referral.message, "");
    assert!(
        store
            .find_contacts(&me, "drita", 10)
            .await
            .unwrap()
            .is_empty()
    );
}

pub async fn inactive_contacts_are_listed_for_retention(store: &dyn Store) {
    seed_desk(store).await;
    assert!(
        store.inactive_contacts(at(4), 10).await.unwrap().is_empty(),
        "active on day 4"
    );
    assert_eq!(
        store.inactive_contacts(at(10), 10).await.unwrap(),
        vec![CONTACT.to_owned()]
    );
    assert!(
        store
            .erase_contact(&Actor::system(), CONTACT, at(10))
            .await
            .unwrap()
    );
    assert!(
        store
            .inactive_contacts(at(20), 10)
            .await
            .unwrap()
            .is_empty(),
        "erased once"
    );
}

pub async fn every_access_is_audited_and_the_chain_verifies(store: &dyn Store) {
    seed_desk(store).await;
    let before = store.audit_head().await.unwrap().unwrap().0;
    store.contact(&operator(ORG), CONTACT).await.unwrap();
    store.contact(&operator(OTHER_ORG), CONTACT).await.unwrap();
    store
        .referral(&operator(OTHER_ORG), REFERRAL)
        .await
        .unwrap();
    let entries = store.audit_entries(before, 100).await.unwrap();
    let seen: Vec<(&str, &str, AuditAction)> = entries
        .iter()
        .map(|e| {
            (
                e.event.actor.organization_id.as_str(),
                e.event.subject_kind.as_str(),
                e.event.action,
            )
        })
        .collect();
    assert_eq!(
        seen,
        vec![
            (ORG, "contact", AuditAction::Read),
            (OTHER_ORG, "contact", AuditAction::Refused),
            (OTHER_ORG, "referral", AuditAction::Read)
        ],
        "a refused read of another organisation's record is recorded as refused"
    );
    let all = store.audit_entries(0, 100).await.unwrap();
    let actions: Vec<AuditAction> = all.iter().take(3).map(|e| e.event.action).collect();
    assert_eq!(
        actions,
        vec![AuditAction::Create, AuditAction::Create, AuditAction::Share]
    );
    assert_eq!(verify_chain(store).await, Ok(all.len() as u64));
}

pub async fn concurrent_audit_appends_keep_one_chain(store: &dyn Store) {
    seed_desk(store).await;
    let reads = (0..20).map(|i| {
        let actor = if i % 2 == 0 {
            operator(ORG)
        } else {
            operator(OTHER_ORG)
        };
        async move {
            if actor.organization_id == ORG {
                store.contact(&actor, CONTACT).await.unwrap();
            } else {
                store.referral(&actor, REFERRAL).await.unwrap();
            }
        }
    });
    futures::future::join_all(reads).await;
    assert_eq!(verify_chain(store).await, Ok(23));
}

pub async fn pathways_are_found_by_need_in_order(store: &dyn Store) {
    let pathway = |service: &str, position| Pathway {
        protocol: "Protocollo salute".into(),
        territory: "066".into(),
        term_code: "health.primary_care".into(),
        service_id: service.into(),
        position,
    };
    store
        .save_pathways(&[pathway("b", 2), pathway("a", 1)])
        .await
        .unwrap();
    store.save_pathways(&[pathway("b", 0)]).await.unwrap();
    let found = store
        .pathways_for(&["health.primary_care".into(), "work".into()])
        .await
        .unwrap();
    let order: Vec<&str> = found.iter().map(|p| p.service_id.as_str()).collect();
    assert_eq!(order, vec!["b", "a"], "saving again replaces the position");
    assert!(found.iter().all(|p| p.territory == "066"), "{found:?}");
    assert!(
        store
            .pathways_for(&["work".into()])
            .await
            .unwrap()
            .is_empty()
    );
}

/// The observatory's view: coded facts, counted only with the statistics consent, and every
/// change in the change log (which the directory's audit page does not show).
pub async fn desk_facts_are_logged_and_read_without_personal_data(store: &dyn Store) {
    seed_desk(store).await;
    let needs = store.need_facts_after("", 10).await.unwrap();
    assert_eq!(needs.len(), 1);
    let fact = &needs[0];
    assert_eq!(fact.id, NEED);
    assert_eq!(fact.term.as_str(), "health");
    assert_eq!(fact.sex, Sex::Female);
    assert_eq!(fact.birth_year, Some(1994));
    assert_eq!(fact.citizenship.as_deref(), Some("201"));
    assert_eq!(fact.comune_code.as_deref(), Some("066049"));
    assert!(!fact.counted, "no consent to statistics yet");
    assert!(store.need_facts_after(NEED, 10).await.unwrap().is_empty());

    let logged = store.changes_since(0, 100).await.unwrap();
    let tables: Vec<(&str, &str)> = logged
        .iter()
        .map(|c| (c.table.as_str(), c.id.as_str()))
        .collect();
    assert!(
        tables.contains(&(crate::desk::NEED_FACTS, NEED)),
        "{tables:?}"
    );
    assert!(
        tables.contains(&(crate::desk::REFERRAL_FACTS, REFERRAL)),
        "{tables:?}"
    );
    let position = logged.last().unwrap().seq;

    let me = operator(ORG);
    let statistics = ConsentRecord {
        purpose: Purpose::Statistics,
        given: true,
        at: at(5),
        recorded_by: me.account_id.clone(),
    };
    assert!(
        store
            .record_consent(&me, CONTACT, &statistics)
            .await
            .unwrap()
    );
    let of_contact = store.need_facts(&[CONTACT.to_owned()], true).await.unwrap();
    assert!(of_contact[0].counted);
    let accept = ReferralEvent {
        at: at(6),
        account_id: operator(OTHER_ORG).account_id,
        side: Side::Receiver,
        action: "accept".into(),
        from_state: Some(ReferralState::Sent),
        to_state: ReferralState::Accepted,
        ..send_event()
    };
    assert!(
        store
            .transition_referral(&operator(OTHER_ORG), &accept, &[])
            .await
            .unwrap()
    );
    let after: Vec<(String, String)> = store
        .changes_since(position, 100)
        .await
        .unwrap()
        .into_iter()
        .map(|c| (c.table, c.id))
        .collect();
    assert_eq!(
        after,
        vec![
            (crate::desk::CONTACT_FACTS.to_owned(), CONTACT.to_owned()),
            (crate::desk::REFERRAL_FACTS.to_owned(), REFERRAL.to_owned()),
        ]
    );
    let referral = &store.referral_facts(&[REFERRAL.to_owned()]).await.unwrap()[0];
    assert_eq!(referral.need_id, NEED);
    assert_eq!(referral.state, ReferralState::Accepted);
    assert_eq!(referral.sent_at, at(4));
    assert_eq!(referral.first_answer_at, Some(at(6)));
    assert_eq!(store.referral_facts_after("", 10).await.unwrap().len(), 1);
    let audit_page = store.changes_before(None, 100).await.unwrap();
    assert!(
        audit_page.iter().all(|c| !c.table.starts_with("desk_")),
        "{audit_page:?}"
    );
}
