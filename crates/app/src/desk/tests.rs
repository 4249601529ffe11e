//! The desk's use cases on a real SQLite store, no HTTP.

use std::sync::Arc;

use chrono::{DateTime, Duration, Utc};
use crocevia_core::access::Role;
use crocevia_core::clock::FixedClock;
use crocevia_core::desk::audit::Actor;
use crocevia_core::desk::{
    ConsentRecord, DeclineReason, Purpose, ReferralAction, ReferralState, SharedField,
};
use crocevia_store::contract::{self, ORG, OTHER_ORG, OTHER_SERVICE, SERVICE, at, operator};
use crocevia_store::{Account, Store};

use super::*;

const CONTACT: &str = "c0a80101-0000-4000-8000-000000000001";
const NEED: &str = "c0a80101-0000-4000-8000-000000000002";

struct World {
    store: Arc<dyn Store>,
    settings: DeskSettings,
    _dir: tempfile::TempDir,
}

impl World {
    /// The contract's directory (ORG runs SERVICE, OTHER_ORG runs OTHER_SERVICE), a desk
    /// operator and an editor at OTHER_ORG, an operator at ORG, and ORG's contact with a need
    /// and the consents given.
    async fn new(consents: &[Purpose]) -> World {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}", dir.path().join("app.db").display());
        let store = crocevia_store_sql::open(&url, crocevia_store_sql::test_support::audit_seal())
            .await
            .unwrap();
        contract::seed(&*store).await;
        for (org, email, role, language) in [
            (OTHER_ORG, "op@asl.example", Role::Operator, "en"),
            (OTHER_ORG, "editor@asl.example", Role::Editor, "it"),
            (ORG, "op@comune.example", Role::Operator, "it"),
        ] {
            store
                .insert_account(&account(org, email, role, language))
                .await
                .unwrap();
        }
        let given: Vec<ConsentRecord> = consents
            .iter()
            .map(|&purpose| ConsentRecord {
                purpose,
                given: true,
                at: at(2),
                recorded_by: operator(ORG).account_id,
            })
            .collect();
        let contact = Contact {
            id: CONTACT.into(),
            ..contract::contact()
        };
        let me = operator(ORG);
        store.create_contact(&me, &contact, &given).await.unwrap();
        let need = Need {
            id: NEED.into(),
            contact_id: CONTACT.into(),
            ..contract::need()
        };
        assert!(store.add_need(&me, &need).await.unwrap());
        World {
            store,
            settings: DeskSettings::default(),
            _dir: dir,
        }
    }

    fn desk<'a>(&'a self, clock: &'a FixedClock) -> Desk<'a, dyn Store> {
        Desk {
            store: &*self.store,
            clock,
            settings: &self.settings,
            public_url: "https://crocevia.example",
        }
    }

    /// The queued notices as (recipient, kind, link).
    async fn queued(&self) -> Vec<(String, String, String)> {
        let mut mails: Vec<_> = self
            .store
            .pending_mail(100, 10)
            .await
            .unwrap()
            .into_iter()
            .map(|m| (m.to, m.kind, m.link))
            .collect();
        mails.sort();
        mails
    }

    async fn send(&self, role: Role, choices: ReferralChoices) -> Result<Referral, DeskFlowError> {
        let clock = FixedClock(at(4));
        let desk = self.desk(&clock);
        let me = operator(ORG);
        let draft = desk
            .prepare_referral(&me, CONTACT, NEED, OTHER_SERVICE)
            .await?;
        desk.send_referral(&me, role, &draft, choices).await
    }
}

fn account(org: &str, email: &str, role: Role, language: &str) -> Account {
    Account {
        id: format!("account-{email}"),
        organization_id: org.into(),
        email: email.into(),
        display_name: email.into(),
        role,
        password_hash: "$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$aGFzaA".into(),
        failed_logins: 0,
        locked_until: None,
        created_at: at(1),
        language: language.into(),
    }
}

fn coded_facts() -> ReferralChoices {
    ReferralChoices {
        shared: vec![SharedField::AgeBand, SharedField::NeedNotes],
        message: "She will call on Monday".into(),
        override_reason: String::new(),
    }
}

fn link(language: &str, referral: &str) -> String {
    format!("https://crocevia.example/{language}/desk/referrals/{referral}")
}

#[tokio::test]
async fn a_referral_is_written_with_a_notice_to_each_desk_account_of_the_receiver() {
    let w = World::new(&[Purpose::Referral]).await;
    let referral = w.send(Role::Operator, coded_facts()).await.unwrap();
    assert_eq!(referral.to_organization_id, OTHER_ORG);
    assert_eq!(referral.service_id, OTHER_SERVICE);
    assert_eq!(referral.due_at, at(4) + w.settings.deadlines.urgent);
    let stored = w
        .store
        .referral(&operator(OTHER_ORG), &referral.id)
        .await
        .unwrap();
    assert_eq!(stored.unwrap().referral, referral);
    // The editor has no desk: no notice for them.
    assert_eq!(
        w.queued().await,
        [(
            "op@asl.example".into(),
            "received".into(),
            link("en", &referral.id)
        )]
    );
}

#[tokio::test]
async fn a_referral_goes_to_another_organisation() {
    let w = World::new(&[Purpose::Referral]).await;
    let clock = FixedClock(at(4));
    let desk = w.desk(&clock);
    let me = operator(ORG);
    let draft = desk
        .prepare_referral(&me, CONTACT, NEED, SERVICE)
        .await
        .unwrap();
    let refused = desk
        .send_referral(&me, Role::Operator, &draft, coded_facts())
        .await
        .unwrap_err();
    assert_eq!(refused.code(), "own_organization");
    assert!(w.queued().await.is_empty());
}

#[tokio::test]
async fn another_organisation_cannot_prepare_a_referral_of_the_contact() {
    let w = World::new(&[Purpose::Referral]).await;
    let clock = FixedClock(at(4));
    let found = w
        .desk(&clock)
        .prepare_referral(&operator(OTHER_ORG), CONTACT, NEED, SERVICE)
        .await;
    assert!(matches!(found, Err(DeskFlowError::NotFound)));
    let missing_need = w
        .desk(&clock)
        .prepare_referral(&operator(ORG), CONTACT, "no-such-need", OTHER_SERVICE)
        .await;
    assert!(matches!(missing_need, Err(DeskFlowError::NotFound)));
}

#[tokio::test]
async fn without_referral_consent_only_a_coordinator_with_a_reason_refers() {
    let w = World::new(&[]).await;
    let refused = w.send(Role::Operator, coded_facts()).await.unwrap_err();
    assert_eq!(refused.code(), "no_referral_consent");
    let with_reason = ReferralChoices {
        override_reason: "Urgent medical need, the person cannot sign today".into(),
        ..coded_facts()
    };
    let operator_reason = w.send(Role::Operator, with_reason.clone()).await;
    assert_eq!(
        operator_reason.unwrap_err().code(),
        "no_referral_consent",
        "an operator's reason is ignored"
    );
    let coordinator_blank = ReferralChoices {
        override_reason: "   ".into(),
        ..coded_facts()
    };
    assert!(w.send(Role::Coordinator, coordinator_blank).await.is_err());
    assert!(w.queued().await.is_empty());
    let sent = w.send(Role::Coordinator, with_reason).await.unwrap();
    assert_eq!(
        sent.consent_override.as_deref(),
        Some("Urgent medical need, the person cannot sign today")
    );
}

#[tokio::test]
async fn personal_details_are_shared_only_with_the_consent_to_be_contacted() {
    let w = World::new(&[Purpose::Referral]).await;
    let with_name = ReferralChoices {
        shared: vec![SharedField::Name, SharedField::Phone],
        ..coded_facts()
    };
    let refused = w.send(Role::Operator, with_name.clone()).await.unwrap_err();
    assert_eq!(refused.code(), "invalid_field");
    let w = World::new(&[Purpose::Referral, Purpose::Contact]).await;
    let referral = w.send(Role::Operator, with_name).await.unwrap();
    let view = w
        .store
        .referral(&operator(OTHER_ORG), &referral.id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(view.shared_person.name.as_deref(), Some("Drita Ça"));
}

#[tokio::test]
async fn an_answer_moves_the_referral_once_and_tells_the_sender() {
    let w = World::new(&[Purpose::Referral]).await;
    let referral = w.send(Role::Operator, coded_facts()).await.unwrap();
    let clock = FixedClock(at(4) + Duration::hours(2));
    let desk = w.desk(&clock);
    let receiver = operator(OTHER_ORG);
    let state = desk
        .act(
            &receiver,
            &referral.id,
            ReferralAction::Accept,
            "We call her".into(),
        )
        .await
        .unwrap();
    assert_eq!(state, ReferralState::Accepted);
    let again = desk
        .act(
            &receiver,
            &referral.id,
            ReferralAction::Accept,
            String::new(),
        )
        .await
        .unwrap_err();
    assert_eq!(again.code(), "transition_not_allowed");
    let declined = desk
        .act(
            &receiver,
            &referral.id,
            ReferralAction::Decline {
                reason: DeclineReason::NoCapacity,
            },
            String::new(),
        )
        .await;
    assert!(declined.is_err(), "an accepted referral cannot be declined");
    let kinds: Vec<String> = w
        .queued()
        .await
        .into_iter()
        .map(|(to, kind, _)| format!("{to} {kind}"))
        .collect();
    assert_eq!(
        kinds,
        ["op@asl.example received", "op@comune.example answered"]
    );
    let timeline = w.store.referral_events(&referral.id).await.unwrap();
    let actions: Vec<&str> = timeline.iter().map(|e| e.action.as_str()).collect();
    assert_eq!(actions, ["send", "accept"]);
    assert_eq!(timeline[1].note, "We call her");
}

#[tokio::test]
async fn only_the_two_sides_act_on_a_referral() {
    let w = World::new(&[Purpose::Referral]).await;
    let referral = w.send(Role::Operator, coded_facts()).await.unwrap();
    let clock = FixedClock(at(5));
    let stranger = Actor {
        account_id: "someone".into(),
        organization_id: "c0a80101-0000-4000-8000-0000000000ff".into(),
    };
    let refused = w
        .desk(&clock)
        .act(
            &stranger,
            &referral.id,
            ReferralAction::Cancel,
            String::new(),
        )
        .await;
    assert!(matches!(refused, Err(DeskFlowError::NotFound)));
    let cancelled = w
        .desk(&clock)
        .act(
            &operator(ORG),
            &referral.id,
            ReferralAction::Cancel,
            String::new(),
        )
        .await
        .unwrap();
    assert_eq!(cancelled, ReferralState::Cancelled);
    let last = w.queued().await;
    assert!(last.contains(&(
        "op@asl.example".into(),
        "cancelled".into(),
        link("en", &referral.id)
    )));
}

#[tokio::test]
async fn unanswered_referrals_expire_once_past_their_deadline() {
    let w = World::new(&[Purpose::Referral]).await;
    let referral = w.send(Role::Operator, coded_facts()).await.unwrap();
    let on_time = FixedClock(referral.due_at);
    assert_eq!(w.desk(&on_time).expire_overdue().await.unwrap(), 0);
    let late = FixedClock(referral.due_at + Duration::minutes(1));
    assert_eq!(w.desk(&late).expire_overdue().await.unwrap(), 1);
    assert_eq!(w.desk(&late).expire_overdue().await.unwrap(), 0);
    let view = w
        .store
        .referral(&operator(ORG), &referral.id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(view.referral.state, ReferralState::Expired);
    let kinds: Vec<String> = w
        .queued()
        .await
        .into_iter()
        .map(|(to, kind, _)| format!("{to} {kind}"))
        .collect();
    assert_eq!(
        kinds,
        ["op@asl.example received", "op@comune.example expired"]
    );
}

#[tokio::test]
async fn contacts_inactive_for_the_retention_period_lose_their_personal_details() {
    let w = World::new(&[Purpose::Referral]).await;
    let within = FixedClock(at(2) + Duration::days(w.settings.retention_days) - Duration::hours(1));
    assert_eq!(w.desk(&within).erase_inactive().await.unwrap(), 0);
    let after: DateTime<Utc> =
        at(3) + Duration::days(w.settings.retention_days) + Duration::hours(1);
    assert_eq!(
        w.desk(&FixedClock(after)).erase_inactive().await.unwrap(),
        1
    );
    let contact = w
        .store
        .contact(&operator(ORG), CONTACT)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(contact.personal.given_name, "");
    assert!(contact.erased_at.is_some());
}
