//! The orientation desk over the demo network, as its users go through it: an operator of the
//! Prefettura records a person and a need, the desk proposes the ASL's services first (the
//! protocol's pathway), the operator refers the person, the ASL answers; who sees what.

// Tests fail by panicking; some read the wall clock as the server under test does.
#![allow(clippy::unwrap_used, clippy::disallowed_methods)]

use axum::http::StatusCode;
use chrono::Duration;
use crocevia_core::desk::ReferralState;
use crocevia_core::desk::audit::{Actor, verify};
use crocevia_core::hsds::Record;
use crocevia_store::desk::Direction;

mod common;
use common::world::*;

/// The organisations of the loop, found in the demo records.
struct Orgs {
    prefettura: String,
    asl: String,
    questura: String,
    /// The ASL's service for registration with a family doctor in L'Aquila (the protocol's
    /// first pathway service).
    asl_service: Record,
}

fn orgs(w: &World) -> Orgs {
    let org = |prefix: &str| {
        w.records
            .iter()
            .find(|r| {
                r.table == "organization"
                    && r.text("name")
                        .is_some_and(|n| n.starts_with(prefix) && n.contains("Aquila"))
            })
            .unwrap_or_else(|| panic!("an organisation named {prefix}… Aquila"))
            .id
            .clone()
    };
    let first_pathway = crocevia_core::demo::pathways().remove(0);
    let asl_service = w
        .records
        .iter()
        .find(|r| r.id == first_pathway.service_id)
        .unwrap()
        .clone();
    Orgs {
        prefettura: org("Prefettura"),
        asl: asl_service.text("organization_id").unwrap().to_owned(),
        questura: org("Questura"),
        asl_service,
    }
}

fn location(headers: &[String]) -> String {
    headers
        .iter()
        .find_map(|h| h.strip_prefix("location: "))
        .unwrap_or_else(|| panic!("a redirect: {headers:?}"))
        .to_owned()
}

/// Posts a back-office form with the session's cookie and CSRF token.
async fn submit(
    w: &World,
    session: &str,
    uri: &str,
    form: &[(&str, &str)],
) -> (StatusCode, Vec<String>, String) {
    let csrf = w.csrf(session).await;
    let mut fields = form.to_vec();
    fields.push(("csrf", &csrf));
    w.post(uri, Some(format!("crocevia_session={session}")), &fields)
        .await
}

/// Records a person of L'Aquila (with the given consents) and one need; returns the contact's
/// and the need's URL.
async fn person_with_need(
    w: &World,
    session: &str,
    consents: &[&str],
    term: &str,
) -> (String, String) {
    person_of(w, session, "L'Aquila", consents, term).await
}

async fn person_of(
    w: &World,
    session: &str,
    comune: &str,
    consents: &[&str],
    term: &str,
) -> (String, String) {
    let mut form = vec![
        ("sex", "female"),
        ("birth_year", "1991"),
        ("citizenship", "201"),
        ("comune", comune),
        ("languages", "sq"),
        ("languages", "it"),
        ("given_name", "Drita"),
        ("family_name", "Hoxha"),
        ("phone", "+39 333 1234567"),
    ];
    for c in consents {
        form.push(("consent", c));
    }
    if !consents.contains(&"contact") {
        form.retain(|(k, _)| !matches!(*k, "given_name" | "family_name" | "phone"));
    }
    let (status, headers, body) = submit(w, session, "/it/desk/contacts/new", &form).await;
    assert_eq!(status, StatusCode::SEE_OTHER, "{body}");
    let contact = location(&headers);
    let (status, _, body) = submit(
        w,
        session,
        &format!("{contact}/needs"),
        &[
            ("term", term),
            ("urgency", "urgent"),
            ("notes", "Needs a family doctor for her son"),
        ],
    )
    .await;
    assert_eq!(status, StatusCode::SEE_OTHER, "{body}");
    let id = contact.rsplit('/').next().unwrap();
    let actor = Actor {
        account_id: String::new(),
        organization_id: orgs(w).prefettura,
    };
    let need = w.store.needs_of(id).await.unwrap().pop().unwrap();
    assert!(w.store.contact(&actor, id).await.unwrap().is_some());
    (contact.clone(), format!("{contact}/needs/{}", need.id))
}

#[tokio::test]
async fn a_person_is_referred_to_the_asl_which_accepts_and_completes() {
    let w = World::new("http://localhost:8080").await;
    let o = orgs(&w);
    w.account(&o.prefettura, "operatore@prefettura.it", "operator")
        .await;
    w.account(&o.asl, "operatore@asl.it", "operator").await;
    let pref = w.session("operatore@prefettura.it").await;
    let asl = w.session("operatore@asl.it").await;

    let (contact, need) =
        person_with_need(&w, &pref, &["referral", "contact"], "health.primary_care").await;
    let (status, _, page) = w.get(&contact, Some(&pref)).await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        page.contains("Drita Hoxha")
            && page.contains("Albania")
            && page.contains("L&#39;Aquila (AQ)")
    );

    // The protocol's pathway comes first, with its reason.
    let (status, _, proposals) = w.get(&format!("{need}/proposals"), Some(&pref)).await;
    assert_eq!(status, StatusCode::OK);
    let service_name = esc(o.asl_service.text("name").unwrap());
    let cards: Vec<&str> = proposals
        .split("<li class=\"card card-bg mb-3 proposal")
        .skip(1)
        .collect();
    assert!(cards.len() >= 3, "{proposals}");
    assert!(
        cards[0].contains("Percorso previsto da"),
        "a pathway service first: {}",
        cards[0]
    );
    assert!(cards.iter().any(|c| c.contains(&service_name)));

    // Referral, sharing the name and the age band but not the phone.
    let refer = format!("{need}/refer?service={}", o.asl_service.id);
    let (status, _, form) = w.get(&refer, Some(&pref)).await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        form.contains("share-phone"),
        "the contact consent allows sharing the phone"
    );
    let (status, headers, body) = submit(
        &w,
        &pref,
        &refer,
        &[
            ("shared", "name"),
            ("shared", "age_band"),
            ("message", "Viene lunedì"),
        ],
    )
    .await;
    assert_eq!(status, StatusCode::SEE_OTHER, "{body}");
    let referral = location(&headers);

    // The ASL sees it in its inbox, with only what was shared.
    let (_, _, inbox) = w.get("/it/desk/inbox", Some(&asl)).await;
    assert!(inbox.contains(&service_name));
    // Its desk's notice names the sender and the service.
    let (_, _, home) = w.get("/it/desk", Some(&asl)).await;
    let sender = esc(&w.org_name(&o.prefettura));
    assert!(
        home.contains(&format!("Nuovo invio da {sender}: {service_name}")),
        "{home}"
    );
    let (status, _, seen) = w.get(&referral, Some(&asl)).await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        seen.contains("Drita Hoxha") && seen.contains("35-44") && seen.contains("Viene lunedì")
    );
    assert!(!seen.contains("333 1234567"), "the phone was not shared");
    assert!(
        !seen.contains("/desk/contacts/"),
        "the receiver has no link to the contact"
    );

    // The sender cannot answer for the receiver.
    let (status, _, _) = submit(
        &w,
        &pref,
        &format!("{referral}/act"),
        &[("action", "accept")],
    )
    .await;
    assert_eq!(status, StatusCode::CONFLICT);

    let act = format!("{referral}/act");
    for form in [
        vec![("action", "accept")],
        vec![("action", "start")],
        vec![
            ("action", "complete"),
            ("code", "service_provided"),
            ("note", "Medico assegnato"),
        ],
    ] {
        let (status, _, body) = submit(&w, &asl, &act, &form).await;
        assert_eq!(status, StatusCode::SEE_OTHER, "{form:?}: {body}");
    }
    let (_, _, home) = w.get("/it/desk", Some(&pref)).await;
    let receiver = esc(&w.org_name(&o.asl));
    assert!(
        home.contains(&format!(
            "{receiver} ha risposto al tuo invio: {service_name}"
        )),
        "{home}"
    );
    let (_, _, done) = w.get(&referral, Some(&pref)).await;
    assert!(done.contains("data-state=\"completed\""));
    assert!(done.contains("Servizio erogato") && done.contains("Medico assegnato"));
    assert_eq!(
        done.matches("<li><time>").count(),
        4,
        "sent, accepted, started, completed"
    );

    // A completing without an outcome is refused.
    let (status, _, _) = submit(&w, &asl, &act, &[("action", "complete")]).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);

    // E-mails were queued: the ASL on receipt, the Prefettura on each answer.
    let mails = w.store.pending_mail(100, 10).await.unwrap();
    let to_asl = mails.iter().filter(|m| m.to == "operatore@asl.it").count();
    let to_pref = mails
        .iter()
        .filter(|m| m.to == "operatore@prefettura.it")
        .count();
    assert_eq!((to_asl, to_pref), (1, 3));
    assert!(
        mails
            .iter()
            .all(|m| m.link.ends_with(referral.trim_start_matches("/it")))
    );

    // Every read and write left an intact audit chain.
    let entries = w.store.audit_entries(0, 10_000).await.unwrap();
    let head = w.store.audit_head().await.unwrap();
    assert!(
        verify(
            &entries,
            head.as_ref().map(|(s, h)| (*s, h.as_str())),
            w.store.audit_seal()
        )
        .is_ok()
    );
}

#[tokio::test]
async fn a_referral_needs_consent_unless_a_coordinator_gives_a_reason() {
    let w = World::new("http://localhost:8080").await;
    let o = orgs(&w);
    w.account(&o.prefettura, "operatore@prefettura.it", "operator")
        .await;
    w.account(&o.prefettura, "coordinatore@prefettura.it", "coordinator")
        .await;
    let operator = w.session("operatore@prefettura.it").await;
    let coordinator = w.session("coordinatore@prefettura.it").await;
    let (_, need) = person_with_need(&w, &operator, &["statistics"], "health.primary_care").await;
    let refer = format!("{need}/refer?service={}", o.asl_service.id);

    let (_, _, form) = w.get(&refer, Some(&operator)).await;
    assert!(form.contains("id=\"no-consent\""));
    assert!(
        !form.contains("share-name"),
        "no contact consent: personal fields are not offered"
    );
    let (status, _, page) = submit(&w, &operator, &refer, &[("shared", "age_band")]).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(page.contains("Senza il consenso della persona all&#39;invio"));
    let (status, _, _) = submit(
        &w,
        &operator,
        &refer,
        &[("shared", "age_band"), ("override_reason", "urgente")],
    )
    .await;
    assert_eq!(
        status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "operators cannot override"
    );

    let (status, headers, body) = submit(
        &w,
        &coordinator,
        &refer,
        &[
            ("shared", "age_band"),
            ("override_reason", "Rischio per la salute del bambino"),
        ],
    )
    .await;
    assert_eq!(status, StatusCode::SEE_OTHER, "{body}");
    let (_, _, page) = w.get(&location(&headers), Some(&coordinator)).await;
    assert!(page.contains("Rischio per la salute del bambino"));
    let sent = w
        .store
        .referrals_of(&o.prefettura, Direction::Sent, &[], 10)
        .await
        .unwrap();
    assert_eq!(
        sent[0].referral.consent_override.as_deref(),
        Some("Rischio per la salute del bambino")
    );
}

/// For each role and organisation, which desk pages answer 200, 403 (the role has no desk)
/// or 404 (the record is not theirs), on SQLite and on PostgreSQL.
async fn access_matrix(w: World) {
    let o = orgs(&w);
    w.account(&o.prefettura, "operatore@prefettura.it", "operator")
        .await;
    let owner = w.session("operatore@prefettura.it").await;
    let (contact, need) = person_with_need(&w, &owner, &["referral"], "health.primary_care").await;
    let refer = format!("{need}/refer?service={}", o.asl_service.id);
    let (status, headers, _) = submit(&w, &owner, &refer, &[("shared", "age_band")]).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let referral = location(&headers);

    let pages = [
        ("contact", contact.clone()),
        ("export", format!("{contact}/export")),
        ("proposals", format!("{need}/proposals")),
        ("referral", referral.clone()),
        ("inbox", "/it/desk/inbox".to_owned()),
    ];
    // (organisation, role) → expected status per page, in the order above.
    let ok = StatusCode::OK;
    let no = StatusCode::NOT_FOUND;
    let role_denied = StatusCode::FORBIDDEN;
    let matrix = [
        (&o.prefettura, "admin", [ok, ok, ok, ok, ok]),
        (&o.prefettura, "coordinator", [ok, ok, ok, ok, ok]),
        (&o.prefettura, "operator", [ok, ok, ok, ok, ok]),
        (&o.prefettura, "editor", [role_denied; 5]),
        (&o.prefettura, "analyst", [role_denied; 5]),
        (&o.asl, "operator", [no, no, no, ok, ok]),
        (&o.asl, "admin", [no, no, no, ok, ok]),
        (&o.asl, "editor", [role_denied; 5]),
        (&o.questura, "operator", [no, no, no, no, ok]),
        (&o.questura, "coordinator", [no, no, no, no, ok]),
    ];
    let mut mismatches = Vec::new();
    for (i, (org, role, expected)) in matrix.iter().enumerate() {
        let email = format!("{role}{i}@example.it");
        w.account(org, &email, role).await;
        let session = w.session(&email).await;
        for ((page, uri), want) in pages.iter().zip(expected) {
            let (got, _, _) = w.get(uri, Some(&session)).await;
            if got != *want {
                mismatches.push(format!("{role} of {org} on {page}: {got}, expected {want}"));
            }
        }
    }
    assert!(mismatches.is_empty(), "{}", mismatches.join("\n"));
    let (status, _, _) = w.get(&contact, None).await;
    assert_eq!(
        status,
        StatusCode::SEE_OTHER,
        "no session: to the login page"
    );
}

#[tokio::test]
async fn access_matrix_holds() {
    access_matrix(World::new("http://localhost:8080").await).await;
}

#[tokio::test]
async fn a_person_is_exported_and_erased_on_request() {
    let w = World::new("http://localhost:8080").await;
    let o = orgs(&w);
    w.account(&o.prefettura, "operatore@prefettura.it", "operator")
        .await;
    let pref = w.session("operatore@prefettura.it").await;
    let (contact, _) = person_with_need(&w, &pref, &["referral", "contact"], "work").await;

    let (status, _, json) = w.get(&format!("{contact}/export"), Some(&pref)).await;
    assert_eq!(status, StatusCode::OK);
    let export: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(export["contact"]["personal"]["given_name"], "Drita");
    assert_eq!(export["needs"][0]["term"], "work");
    assert!(
        export["audit"]
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["event"]["action"] == "create")
    );

    let (status, _, _) = submit(&w, &pref, &format!("{contact}/erase"), &[]).await;
    assert_eq!(
        status,
        StatusCode::SEE_OTHER,
        "without the confirmation box nothing happens"
    );
    let (_, _, page) = w.get(&contact, Some(&pref)).await;
    assert!(page.contains("Drita"));
    submit(&w, &pref, &format!("{contact}/erase"), &[("confirm", "1")]).await;
    let (_, _, page) = w.get(&contact, Some(&pref)).await;
    assert!(!page.contains("Drita") && !page.contains("Needs a family doctor"));
    assert!(
        page.contains("id=\"erased\"") && page.contains("Albania"),
        "coded facts stay"
    );
}

#[tokio::test]
async fn late_referrals_expire_and_coordinators_see_them_coming() {
    let w = World::new("http://localhost:8080").await;
    let o = orgs(&w);
    w.account(&o.prefettura, "operatore@prefettura.it", "operator")
        .await;
    w.account(&o.questura, "coordinatore@questura.it", "coordinator")
        .await;
    let pref = w.session("operatore@prefettura.it").await;
    let (_, need) = person_with_need(&w, &pref, &["referral"], "health.primary_care").await;
    let refer = format!("{need}/refer?service={}", o.asl_service.id);
    let (_, headers, _) = submit(&w, &pref, &refer, &[("shared", "age_band")]).await;
    let referral = location(&headers);

    // Urgent: 24 hours. At 13 hours it is due soon, at 25 it is late.
    w.clock.advance(Duration::hours(13));
    let coordinator = w.session("coordinatore@questura.it").await;
    let pref = w.session("operatore@prefettura.it").await;
    let (status, _, overdue) = w.get("/it/desk/overdue", Some(&coordinator)).await;
    assert_eq!(status, StatusCode::OK);
    assert!(overdue.contains(&esc(o.asl_service.text("name").unwrap())));
    assert!(
        !overdue.contains("Drita") && !overdue.contains("/desk/referrals/"),
        "no personal data, no link"
    );
    let (status, _, _) = w.get("/it/desk/overdue", Some(&pref)).await;
    assert_eq!(
        status,
        StatusCode::FORBIDDEN,
        "operators do not see the network"
    );

    w.clock.advance(Duration::hours(12));
    let pref = w.session("operatore@prefettura.it").await;
    let expired = w.state().desk().expire_overdue().await.unwrap();
    assert_eq!(expired, 1);
    let (_, _, page) = w.get(&referral, Some(&pref)).await;
    assert!(page.contains("data-state=\"expired\""));
    assert!(page.contains("Sistema"), "the timeline names the system");
    let id = referral.rsplit('/').next().unwrap();
    let view = w
        .store
        .referral(
            &Actor {
                account_id: "t".into(),
                organization_id: o.prefettura.clone(),
            },
            id,
        )
        .await
        .unwrap()
        .unwrap();
    assert_eq!(view.referral.state, ReferralState::Expired);
    assert_eq!(w.state().desk().expire_overdue().await.unwrap(), 0, "once");
}

#[tokio::test]
async fn contacts_inactive_beyond_the_retention_period_are_erased() {
    let w = World::new("http://localhost:8080").await;
    let o = orgs(&w);
    w.account(&o.prefettura, "operatore@prefettura.it", "operator")
        .await;
    let pref = w.session("operatore@prefettura.it").await;
    let (contact, _) = person_with_need(&w, &pref, &["referral", "contact"], "work").await;
    let state = w.state();
    let jobs = || async { state.desk().erase_inactive().await };

    w.clock.advance(Duration::days(729));
    assert_eq!(jobs().await.unwrap(), 0, "still within the 730 days");
    w.clock.advance(Duration::days(2));
    assert_eq!(jobs().await.unwrap(), 1);
    assert_eq!(jobs().await.unwrap(), 0, "erased once");
    let pref = w.session("operatore@prefettura.it").await;
    let (_, _, page) = w.get(&contact, Some(&pref)).await;
    assert!(page.contains("id=\"erased\"") && !page.contains("Drita"));
    let entries = w.store.audit_entries(0, 1000).await.unwrap();
    let last = entries
        .iter()
        .rev()
        .find(|e| e.event.action.as_str() == "erase")
        .unwrap();
    assert_eq!(
        last.event.actor.account_id, "system",
        "the retention job is in the audit trail"
    );
}

#[tokio::test]
async fn a_contact_is_corrected_keeping_details_only_with_consent() {
    let w = World::new("http://localhost:8080").await;
    let o = orgs(&w);
    w.account(&o.prefettura, "operatore@prefettura.it", "operator")
        .await;
    let pref = w.session("operatore@prefettura.it").await;
    let (contact, _) = person_with_need(&w, &pref, &["referral", "contact"], "work").await;
    let (status, _, form) = w.get(&format!("{contact}/edit"), Some(&pref)).await;
    assert_eq!(status, StatusCode::OK);
    assert!(form.contains("value=\"Drita\"") && form.contains("L&#39;Aquila (AQ)"));
    assert!(
        !form.contains("name=\"consent\""),
        "consents are changed on the contact's page"
    );
    let (status, headers, body) = submit(
        &w,
        &pref,
        &format!("{contact}/edit"),
        &[
            ("sex", "female"),
            ("birth_year", "1990"),
            ("comune", "Pizzoli"),
            ("given_name", "Dritë"),
        ],
    )
    .await;
    assert_eq!(status, StatusCode::SEE_OTHER, "{body}");
    let (_, _, page) = w.get(&location(&headers), Some(&pref)).await;
    assert!(page.contains("Pizzoli (AQ)") && page.contains("Dritë") && page.contains("1990"));

    // Withdrawing the contact consent removes the details; without it they cannot be kept.
    submit(
        &w,
        &pref,
        &format!("{contact}/consents"),
        &[("purpose", "contact"), ("given", "0")],
    )
    .await;
    let (_, _, page) = w.get(&contact, Some(&pref)).await;
    assert!(!page.contains("Dritë") && !page.contains("333 1234567"));
    let (status, _, _) = submit(
        &w,
        &pref,
        &format!("{contact}/edit"),
        &[("sex", "female"), ("given_name", "Dritë")],
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
}

/// Desk → observatory, through the desk's own pages: needs and referrals recorded by an
/// operator are what the observatory counts (only people who agreed to statistics), with
/// their category. The observatory once looked up the desk's taxonomy codes as term UUIDs
/// and counted none of them.
#[tokio::test]
async fn needs_and_referrals_recorded_at_the_desk_are_counted_by_the_observatory() {
    let w = World::new("http://localhost:8080").await;
    let o = orgs(&w);
    w.account(&o.prefettura, "operatore@prefettura.it", "operator")
        .await;
    w.account(&o.asl, "operatore@asl.it", "operator").await;
    let pref = w.session("operatore@prefettura.it").await;
    let asl = w.session("operatore@asl.it").await;

    let mut needs = Vec::new();
    for _ in 0..6 {
        let (_, need) = person_with_need(
            &w,
            &pref,
            &["referral", "statistics"],
            "health.primary_care",
        )
        .await;
        needs.push(need);
    }
    person_with_need(&w, &pref, &["referral"], "health.primary_care").await;
    for need in &needs {
        let refer = format!("{need}/refer?service={}", o.asl_service.id);
        let (status, headers, body) = submit(&w, &pref, &refer, &[("shared", "age_band")]).await;
        assert_eq!(status, StatusCode::SEE_OTHER, "{body}");
        let referral = location(&headers);
        let (status, _, body) = submit(
            &w,
            &asl,
            &format!("{referral}/act"),
            &[("action", "accept")],
        )
        .await;
        assert_eq!(status, StatusCode::SEE_OTHER, "{body}");
    }

    let json = |query: &str| {
        let w = &w;
        let query = query.to_owned();
        async move {
            let (status, _, body) = w
                .get(&format!("/api/observatory/indicators/{query}"), None)
                .await;
            assert_eq!(status, StatusCode::OK, "{query}: {body}");
            serde_json::from_str::<serde_json::Value>(&body).unwrap()
        }
    };
    let by_sex = json("needs?by=sex").await;
    assert_eq!(
        by_sex["total"], 6,
        "six needs with the statistics consent, the seventh person did not agree: {by_sex}"
    );
    let by_category = json("needs?by=category").await;
    let categories = by_category["rows"]["categories"].as_array().unwrap();
    let health = categories.iter().position(|c| c == "health").unwrap();
    assert_eq!(by_category["row_totals"][health], 6, "{by_category}");
    let referrals = json("referrals?by=state").await;
    assert_eq!(referrals["total"], 6, "{referrals}");
    let states = referrals["rows"]["categories"].as_array().unwrap();
    let accepted = states.iter().position(|c| c == "accepted").unwrap();
    assert_eq!(referrals["row_totals"][accepted], 6, "{referrals}");
}

/// Directory → search → desk matching: a protocol's pathway holds in its territory only, and
/// the proposals for a person in Barletta are the province's services, nearest first after
/// the pathway, not L'Aquila's ASL 261 km away.
#[tokio::test]
async fn proposals_follow_the_persons_territory_and_the_protocols() {
    let w = World::new("http://localhost:8080").await;
    let o = orgs(&w);
    w.account(&o.prefettura, "operatore@prefettura.it", "operator")
        .await;
    let pref = w.session("operatore@prefettura.it").await;
    let (_, need) = person_of(&w, &pref, "Barletta", &["referral"], "health.primary_care").await;
    let (status, _, proposals) = w.get(&format!("{need}/proposals"), Some(&pref)).await;
    assert_eq!(status, StatusCode::OK);
    let cards: Vec<&str> = proposals
        .split("<li class=\"card card-bg mb-3 proposal")
        .skip(1)
        .collect();
    assert!(cards.len() >= 3, "{proposals}");
    assert!(
        cards[0].contains("Percorso previsto da") && cards[0].contains("Barletta-Andria-Trani"),
        "the province's own protocol first: {}",
        cards[0]
    );
    assert!(
        cards.iter().all(|c| !c.contains("L&#39;Aquila")),
        "nothing of L'Aquila, 261 km away, is proposed: {proposals}"
    );
    let distances: Vec<f64> = cards[1..]
        .iter()
        .filter_map(|c| {
            let at = c.find(" km")?;
            let start = c[..at].rfind(|ch: char| !(ch.is_ascii_digit() || ch == ','))? + 1;
            c[start..at].replace(',', ".").parse().ok()
        })
        .collect();
    assert!(
        !distances.is_empty() && distances.iter().all(|km| *km < 40.0),
        "every other proposal is within the province: {distances:?}"
    );
}

/// Directory writes → search → desk matching: a service the ASL publishes through the write
/// API, at its Barletta premises, is proposed at the desk for a person of Barletta at once,
/// and withdrawn from the proposals when the ASL deletes it.
#[tokio::test]
async fn a_service_written_through_the_api_is_proposed_at_the_desk() {
    use axum::body::Body;
    use axum::http::{Request, header};
    use crocevia_core::taxonomy::TermCode;

    let w = World::new("http://localhost:8080").await;
    let o = orgs(&w);
    let asl_bt = w
        .records
        .iter()
        .find(|r| {
            r.table == "organization" && r.text("name").is_some_and(|n| n.starts_with("ASL BT"))
        })
        .unwrap()
        .id
        .clone();
    let location = w
        .records
        .iter()
        .find(|r| {
            r.table == "location"
                && r.text("organization_id") == Some(asl_bt.as_str())
                && r.text("name").is_some_and(|n| n.contains("Barletta"))
        })
        .unwrap_or_else(|| panic!("an ASL BT location in Barletta"))
        .id
        .clone();
    let (token, token_hash) = crocevia_web::write_api::new_token();
    w.store
        .insert_token(&crocevia_store::ApiToken {
            token_hash,
            organization_id: asl_bt.clone(),
            label: "asl-bt".into(),
            created_at: chrono::Utc::now(),
        })
        .await
        .unwrap();
    let service = "6a0b1c2d-3e4f-4a5b-8c6d-7e8f9a0b1c01";
    let body = serde_json::json!({
        "id": service, "organization_id": asl_bt, "status": "active",
        "name": "Ambulatorio medico di quartiere Borgovilla",
        "description": "Medico di base per chi è in attesa dell'iscrizione.",
        "service_at_locations": [{"id": "6a0b1c2d-3e4f-4a5b-8c6d-7e8f9a0b1c02", "location_id": location}],
        "attributes": [{"id": "6a0b1c2d-3e4f-4a5b-8c6d-7e8f9a0b1c03", "taxonomy_term_id": TermCode::new("health.primary_care").hsds_id(), "link_entity": "service"}]
    });
    let write = |method: &str, uri: &str, body: String| {
        Request::builder()
            .method(method)
            .uri(uri)
            .header(header::CONTENT_TYPE, "application/json")
            .header(header::AUTHORIZATION, format!("Bearer {token}"))
            .body(Body::from(body))
            .unwrap()
    };
    let (status, _, answer) = w
        .send(write("POST", "/api/v1/services", body.to_string()))
        .await;
    assert_eq!(status, StatusCode::CREATED, "{answer}");

    w.account(&o.prefettura, "operatore@prefettura.it", "operator")
        .await;
    let pref = w.session("operatore@prefettura.it").await;
    let (_, need) = person_of(&w, &pref, "Barletta", &["referral"], "health.primary_care").await;
    let (_, _, proposals) = w.get(&format!("{need}/proposals"), Some(&pref)).await;
    assert!(
        proposals.contains("Ambulatorio medico di quartiere Borgovilla"),
        "{proposals}"
    );

    let (status, _, _) = w
        .send(write(
            "DELETE",
            &format!("/api/v1/services/{service}"),
            String::new(),
        ))
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (_, _, proposals) = w.get(&format!("{need}/proposals"), Some(&pref)).await;
    assert!(!proposals.contains("Borgovilla"), "{proposals}");
}

/// An operator who opens another organisation's person or referral gets "not found", and the
/// attempt is in the audit trail: who tried, on which record, about which person.
#[tokio::test]
async fn a_refused_read_of_another_organisations_record_is_audited() {
    use crocevia_core::desk::audit::AuditAction;

    let w = World::new("http://localhost:8080").await;
    let o = orgs(&w);
    w.account(&o.prefettura, "op@prefettura.it", "operator")
        .await;
    let owner = w.session("op@prefettura.it").await;
    let (contact, need) = person_with_need(&w, &owner, &["referral"], "health.primary_care").await;
    let refer = format!("{need}/refer?service={}", o.asl_service.id);
    let (status, headers, _) = submit(&w, &owner, &refer, &[("shared", "age_band")]).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let referral = location(&headers);
    let contact_id = contact.rsplit('/').next().unwrap().to_owned();
    let referral_id = referral.rsplit('/').next().unwrap().to_owned();

    w.account(&o.questura, "op@questura.it", "operator").await;
    let stranger = w.session("op@questura.it").await;
    let stranger_id = w
        .store
        .account_by_email("op@questura.it")
        .await
        .unwrap()
        .unwrap()
        .id;
    let before = w.store.audit_head().await.unwrap().unwrap().0;
    for uri in [&contact, &referral] {
        let (status, _, _) = w.get(uri, Some(&stranger)).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{uri}");
    }
    let refused: Vec<(String, String, String, String)> = w
        .store
        .audit_entries(before, 100)
        .await
        .unwrap()
        .into_iter()
        .filter(|e| e.event.action == AuditAction::Refused)
        .map(|e| {
            (
                e.event.actor.account_id,
                e.event.subject_kind,
                e.event.subject_id,
                e.event.contact_id,
            )
        })
        .collect();
    assert_eq!(
        refused,
        vec![
            (
                stranger_id.clone(),
                "contact".to_owned(),
                contact_id.clone(),
                contact_id.clone()
            ),
            (stranger_id, "referral".to_owned(), referral_id, contact_id),
        ]
    );
}
