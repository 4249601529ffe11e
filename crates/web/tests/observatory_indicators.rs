//! The observatory's indicators over the desk's records, through the open API, on the suite's
//! backend (SQLite, then PostgreSQL in `scripts/test`'s second run): small counts hidden so they cannot be worked out,
//! only people who agreed to statistics counted, changes visible within a second, and two
//! app servers on one database giving the same answers.

// Tests fail by panicking; some read the wall clock as the server under test does.
#![allow(clippy::unwrap_used, clippy::disallowed_methods)]

mod common;

use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};

use chrono::{DateTime, Duration, TimeZone, Utc};
use common::world::World;
use crocevia_core::clock::Clock;
use crocevia_core::desk::audit::Actor;
use crocevia_core::desk::{
    ConsentRecord, Contact, ContactFacts, Need, PersonalDetails, Purpose, Referral, ReferralEvent,
    ReferralState, Sex, SharedPerson, Side, Urgency,
};
use crocevia_core::disclosure::DisclosureRule;
use crocevia_core::hsds::Record;
use crocevia_core::hsds::validate::{ExistingRows, sourced};
use crocevia_core::taxonomy::{TermCode, term_id};
use crocevia_observatory::Settings;
use crocevia_store::import::{Writer, validate_and_apply};
use crocevia_web::{AppState, WebConfig, router};
use serde_json::Value;

const PREFETTURA: &str = "a1000000-0000-4000-8000-000000000001";
const ASL: &str = "a1000000-0000-4000-8000-000000000002";

fn when() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 2, 10, 0, 0).unwrap()
}

fn operator(org: &str) -> Actor {
    Actor {
        account_id: format!("operator-{org}"),
        organization_id: org.to_owned(),
    }
}

fn uuid(kind: u32) -> String {
    static NEXT: AtomicU32 = AtomicU32::new(1);
    format!(
        "{kind:08x}-0000-4000-8000-{:012x}",
        NEXT.fetch_add(1, Ordering::Relaxed)
    )
}

/// Records a person at the Prefettura with one need; returns the need's id.
async fn person(
    world: &World,
    sex: Sex,
    comune: &str,
    term: &str,
    statistics: bool,
) -> (String, String) {
    let me = operator(PREFETTURA);
    let contact = Contact {
        id: uuid(0xc),
        organization_id: PREFETTURA.into(),
        reference: format!("REF-{}", uuid(1)),
        facts: ContactFacts {
            birth_year: Some(1990),
            age_band: None,
            sex,
            citizenship: Some("201".into()),
            comune_code: Some(comune.into()),
            languages: vec!["sq".into()],
        },
        personal: PersonalDetails::default(),
        created_at: when(),
        created_by: me.account_id.clone(),
        last_activity_at: when(),
        erased_at: None,
    };
    let consents: Vec<ConsentRecord> = [Purpose::Referral, Purpose::Statistics]
        .into_iter()
        .filter(|p| statistics || *p != Purpose::Statistics)
        .map(|purpose| ConsentRecord {
            purpose,
            given: true,
            at: when(),
            recorded_by: me.account_id.clone(),
        })
        .collect();
    world
        .store
        .create_contact(&me, &contact, &consents)
        .await
        .unwrap();
    let need = Need {
        id: uuid(0xd),
        contact_id: contact.id.clone(),
        organization_id: PREFETTURA.into(),
        term: TermCode::known(term).expect("a code of the needs taxonomy"),
        urgency: Urgency::Normal,
        notes: String::new(),
        created_at: when(),
        created_by: me.account_id.clone(),
    };
    assert!(world.store.add_need(&me, &need).await.unwrap());
    (contact.id, need.id)
}

/// Refers a need to the ASL; returns the referral's id.
async fn refer(world: &World, contact_id: &str, need_id: &str) -> String {
    let me = operator(PREFETTURA);
    let referral = Referral {
        id: uuid(0xe),
        contact_id: contact_id.into(),
        need_id: need_id.into(),
        from_organization_id: PREFETTURA.into(),
        from_account_id: me.account_id.clone(),
        service_id: uuid(0x5),
        to_organization_id: ASL.into(),
        state: ReferralState::Sent,
        shared: Vec::new(),
        message: String::new(),
        urgency: Urgency::Normal,
        sent_at: when(),
        due_at: when() + Duration::hours(72),
        updated_at: when(),
        consent_override: None,
    };
    let sent = ReferralEvent {
        referral_id: referral.id.clone(),
        at: when(),
        account_id: me.account_id.clone(),
        side: Side::Sender,
        action: "send".into(),
        code: None,
        note: String::new(),
        from_state: None,
        to_state: ReferralState::Sent,
    };
    world
        .store
        .create_referral(&me, &referral, &SharedPerson::default(), &sent, &[])
        .await
        .unwrap();
    referral.id
}

/// The ASL answers: `steps` of (action, code, to state), `hours` after sending.
async fn answer(
    world: &World,
    referral_id: &str,
    hours: i64,
    steps: &[(&str, Option<&str>, ReferralState)],
) {
    let mut from = ReferralState::Sent;
    for (action, code, to) in steps {
        let event = ReferralEvent {
            referral_id: referral_id.into(),
            at: when() + Duration::hours(hours),
            account_id: operator(ASL).account_id,
            side: Side::Receiver,
            action: (*action).into(),
            code: code.map(str::to_owned),
            note: String::new(),
            from_state: Some(from),
            to_state: *to,
        };
        assert!(
            world
                .store
                .transition_referral(&operator(ASL), &event, &[])
                .await
                .unwrap()
        );
        from = *to;
    }
}

async fn table(world: &World, query: &str) -> Value {
    let (status, _, body) = world
        .get(&format!("/api/observatory/indicators/{query}"), None)
        .await;
    assert_eq!(status, 200, "{query}: {body}");
    serde_json::from_str(&body).unwrap()
}

fn cell(table: &Value, row: &str, column: &str) -> Value {
    let position = |axis: &str, code: &str| {
        table[axis]["categories"]
            .as_array()
            .unwrap()
            .iter()
            .position(|c| c == code)
            .unwrap_or_else(|| panic!("{code} not among the {axis}: {}", table[axis]))
    };
    table["cells"][position("rows", row)][position("columns", column)].clone()
}

/// L'Aquila (066) and Pescara (068), Abruzzo (13): 6 women and 2 men in L'Aquila, 7 women and
/// 9 men in Pescara, and one more woman in L'Aquila who did not agree to statistics.
async fn abruzzo(world: &World) {
    for (sex, comune, n) in [
        (Sex::Female, "066049", 6),
        (Sex::Male, "066049", 2),
        (Sex::Female, "068028", 7),
        (Sex::Male, "068028", 9),
    ] {
        for _ in 0..n {
            person(world, sex, comune, "health.primary_care", true).await;
        }
    }
    person(world, Sex::Female, "066049", "health.primary_care", false).await;
}

async fn small_counts_are_hidden_and_cannot_be_worked_out(world: &World) {
    abruzzo(world).await;
    let t = table(world, "needs?by=province,sex&region=13").await;
    assert_eq!(t["disclosure_threshold"], 5);
    assert_eq!(
        t["total"], 24,
        "the woman without consent to statistics is not counted: {t}"
    );
    assert_eq!(cell(&t, "066", "male"), "<5");
    // Every row and column with a hidden cell has a second one (cells or total), so the
    // totals give nothing away; what is shown is true.
    let rows = t["rows"]["categories"].as_array().unwrap().len();
    let columns = t["columns"]["categories"].as_array().unwrap().len();
    let hidden = |v: &Value| v == "<5";
    for r in 0..rows {
        let mut line: Vec<Value> = (0..columns).map(|c| t["cells"][r][c].clone()).collect();
        line.push(t["row_totals"][r].clone());
        let n = line.iter().filter(|v| hidden(v)).count();
        assert!(n != 1, "row {r} has one hidden value: {t}");
    }
    for c in 0..columns {
        let mut line: Vec<Value> = (0..rows).map(|r| t["cells"][r][c].clone()).collect();
        line.push(t["column_totals"][c].clone());
        let n = line.iter().filter(|v| hidden(v)).count();
        assert!(n != 1, "column {c} has one hidden value: {t}");
    }
    assert_eq!(
        cell(&t, "067", "female"),
        0,
        "Teramo recorded nobody: zero is published"
    );
    for (row, total) in [("066", 8), ("068", 16)] {
        let r = t["rows"]["categories"]
            .as_array()
            .unwrap()
            .iter()
            .position(|c| c == row)
            .unwrap();
        let shown = &t["row_totals"][r];
        assert!(shown == total || hidden(shown), "{row}: {shown}");
    }

    // The same in CSV, hidden cells empty with their status.
    let (status, _, csv) = world
        .get(
            "/api/observatory/indicators/needs?by=province,sex&region=13&format=csv",
            None,
        )
        .await;
    assert_eq!(status, 200);
    // After the byte order mark Excel needs to read UTF-8.
    assert!(
        csv.starts_with("\u{feff}province,sex,value,status\n"),
        "{csv}"
    );
    assert!(csv.contains("066,male,,<5\n"), "{csv}");
    assert!(csv.contains("total,total,24,\n"), "{csv}");
}

#[tokio::test]
async fn small_counts_are_hidden_and_cannot_be_worked_out_in_every_view() {
    small_counts_are_hidden_and_cannot_be_worked_out(&World::new("http://localhost:8080").await)
        .await;
}

async fn a_completed_referral_shows_within_a_second(world: &World) {
    let mut referrals = Vec::new();
    for _ in 0..6 {
        let (contact, need) =
            person(world, Sex::Female, "066049", "health.primary_care", true).await;
        referrals.push(refer(world, &contact, &need).await);
    }
    let t = table(world, "referrals?by=state").await;
    assert_eq!(cell(&t, "sent", "all"), 6);
    assert_eq!(cell(&t, "completed", "all"), 0);
    for (i, id) in referrals.iter().enumerate() {
        answer(
            world,
            id,
            i as i64 + 1,
            &[
                ("accept", None, ReferralState::Accepted),
                ("start", None, ReferralState::InProgress),
                (
                    "complete",
                    Some("service_provided"),
                    ReferralState::Completed,
                ),
            ],
        )
        .await;
    }
    tokio::time::sleep(std::time::Duration::from_millis(600)).await;
    let t = table(world, "referrals?by=state,sex").await;
    assert_eq!(cell(&t, "completed", "female"), 6, "{t}");
    assert_eq!(cell(&t, "sent", "female"), 0);
    let t = table(world, "referrals?by=reason").await;
    assert_eq!(cell(&t, "service_provided", "all"), 6, "{t}");
    // Answered 1 to 6 hours after sending: the median is 3.5 hours.
    let t = table(world, "median_hours_to_first_answer?by=sex").await;
    assert_eq!(cell(&t, "female", "all"), 3.5, "{t}");
}

#[tokio::test]
async fn a_completed_referral_shows_in_the_indicators_within_a_second() {
    a_completed_referral_shows_within_a_second(&World::new("http://localhost:8080").await).await;
}

async fn get_json(app: &axum::Router, query: &str) -> Value {
    use http_body_util::BodyExt;
    use tower::ServiceExt;
    let request = axum::http::Request::get(format!("/api/observatory/indicators/{query}"))
        .body(axum::body::Body::empty())
        .unwrap();
    let response = app.clone().oneshot(request).await.unwrap();
    assert_eq!(response.status(), 200);
    let bytes = response.into_body().collect().await.unwrap().to_bytes();
    serde_json::from_slice(&bytes).unwrap()
}

fn server(world: &World, observatory: Settings) -> axum::Router {
    let clock: Arc<dyn Clock> = world.clock.clone();
    router(AppState::new(
        world.store.clone(),
        clock,
        WebConfig {
            observatory,
            ..WebConfig::default()
        },
    ))
}

#[tokio::test]
async fn two_app_servers_on_one_database_give_the_same_answers() {
    let world = World::new("http://localhost:8080").await;
    let first = server(&world, Settings::default());
    let second = server(&world, Settings::default());
    assert_eq!(get_json(&first, "needs?by=sex").await["total"], 0);
    assert_eq!(get_json(&second, "needs?by=sex").await["total"], 0);
    abruzzo(&world).await;
    tokio::time::sleep(std::time::Duration::from_millis(600)).await;
    let from_first = get_json(&first, "needs?by=province,sex&region=13").await;
    let from_second = get_json(&second, "needs?by=province,sex&region=13").await;
    assert_eq!(from_first["total"], 24);
    assert_eq!(from_first, from_second);
}

#[tokio::test]
async fn the_threshold_is_configurable() {
    let mut world = World::new("http://localhost:8080").await;
    world.app = server(
        &world,
        Settings {
            rule: DisclosureRule::new(3).unwrap(),
            ..Settings::default()
        },
    );
    for (sex, n) in [(Sex::Female, 3), (Sex::Male, 2)] {
        for _ in 0..n {
            person(&world, sex, "066049", "health.primary_care", true).await;
        }
    }
    let t = table(&world, "needs?by=sex&province=066").await;
    assert_eq!(t["disclosure_threshold"], 3);
    assert_eq!(cell(&t, "male", "all"), "<3", "{t}");
    assert_eq!(
        cell(&t, "female", "all"),
        "<3",
        "the complement of the only other count: {t}"
    );
    assert_eq!(t["total"], 5);
    let (status, _, html) = world
        .get("/en/observatory/indicators/needs?by=sex&province=066", None)
        .await;
    assert_eq!(status, 200);
    assert!(html.contains("&lt;3"), "hidden cells read <3: {html}");
    assert!(!html.contains("&lt;5"), "nothing reads <5: {html}");
}

/// Two provinces side by side: one table of both, protected as a whole, and on the page a
/// line for each over the months, with no "total" line or point.
#[tokio::test]
async fn two_territories_are_compared_in_one_table() {
    let world = World::new("http://localhost:8080").await;
    abruzzo(&world).await;
    person(&world, Sex::Female, "067041", "health.primary_care", true).await;
    let t = table(
        &world,
        "needs?by=month,province&province=066&compare=068&from=2026-10&to=2026-11",
    )
    .await;
    assert_eq!(
        t["columns"]["categories"],
        serde_json::json!(["066", "068"])
    );
    assert_eq!(cell(&t, "2026-11", "066"), 8, "{t}");
    assert_eq!(cell(&t, "2026-11", "068"), 16, "{t}");
    assert_eq!(cell(&t, "2026-10", "068"), 0, "{t}");
    assert_eq!(t["total"], 24, "Teramo's need is not counted: {t}");
    let t = table(&world, "needs?by=sex,province&province=066&compare=068").await;
    assert_eq!(cell(&t, "male", "066"), "<5", "{t}");
    assert_eq!(
        cell(&t, "male", "068"),
        "<5",
        "9 is withheld too, or the men's total would give L'Aquila's 2 away: {t}"
    );
    assert_eq!(t["column_totals"], serde_json::json!([8, 16]), "{t}");

    let (status, _, html) = world
        .get(
            "/en/observatory/indicators/needs?province=066&compare=068&from=2026-10&to=2026-11",
            None,
        )
        .await;
    assert_eq!(status, 200, "{html}");
    let svg = &html[html.find("<svg").expect("a chart")..html.find("</svg>").unwrap()];
    assert!(svg.contains("ob-line"), "a time series: {svg}");
    for name in ["L&#39;Aquila", "Pescara"] {
        assert!(svg.contains(name), "a line for {name}: {svg}");
    }
    assert!(!svg.contains(">Total<"), "no total line or point: {svg}");
    assert!(
        html.contains("compare=068"),
        "the permalink keeps the comparison"
    );

    // Regions are compared from the form.
    let (status, _, html) = world
        .get(
            "/en/observatory/indicators/needs?region=13&compare=14",
            None,
        )
        .await;
    assert_eq!(status, 200, "{html}");
    assert!(
        html.contains(r#"<option value="14" selected>"#),
        "the form shows the comparison: {html}"
    );
}

#[tokio::test]
async fn needs_far_from_any_service_of_their_category_are_unmet() {
    let world = World::new("http://localhost:8080").await;
    for comune in ["066049", "007003"] {
        for _ in 0..5 {
            person(&world, Sex::Female, comune, "health.primary_care", true).await;
        }
    }
    let t = table(&world, "unmet_needs?by=region").await;
    assert_eq!(
        cell(&t, "02", "all"),
        5,
        "Aosta has no primary care in the demo network: {t}"
    );
    assert_eq!(cell(&t, "13", "all"), 0, "L'Aquila has: {t}");
    let t = table(&world, "needs?by=region").await;
    assert_eq!(cell(&t, "13", "all"), 5);

    // A primary-care service opens in Aosta, written as the directory's importers and write
    // API write: the observatory's next sync reads that service again (not the whole
    // directory), and Aosta's needs are met.
    let id = |n: u32| format!("0a05a000-0000-4000-8000-{n:012}");
    let rows = vec![
        Record::new("organization", id(1))
            .with("name", "Ambulatorio Aosta")
            .with("description", "Assistenza sanitaria di base"),
        Record::new("service", id(2))
            .with("name", "Medico di base per stranieri")
            .with("status", "active")
            .with("organization_id", id(1)),
        Record::new("location", id(3))
            .with("name", "Sede di Aosta")
            .with("location_type", "physical")
            .with("organization_id", id(1))
            .with("latitude", 45.7370)
            .with("longitude", 7.3201)
            .with("external_identifier", "007003")
            .with("external_identifier_type", "istat"),
        Record::new("service_at_location", id(4))
            .with("service_id", id(2))
            .with("location_id", id(3)),
        Record::new("attribute", id(5))
            .with("link_id", id(2))
            .with("link_entity", "service")
            .with("link_type", "need")
            .with("taxonomy_term_id", term_id("health.primary_care")),
    ];
    validate_and_apply(
        world.store.as_ref(),
        sourced(rows, "aosta"),
        ExistingRows::Refuse,
        Vec::new(),
        Writer::Network,
        "test",
        when(),
    )
    .await
    .unwrap();
    world.state().observatory.sync().await.unwrap();
    let t = table(&world, "unmet_needs?by=region").await;
    assert_eq!(cell(&t, "02", "all"), 0, "Aosta now has primary care: {t}");
}

#[tokio::test]
async fn bad_questions_get_a_clear_answer() {
    let world = World::new("http://localhost:8080").await;
    for (query, status, code) in [
        ("happiness", 404, "not_found"),
        ("needs?by=colour", 400, "invalid_parameter"),
        ("needs?by=comune", 400, "comune_needs_territory"),
        ("needs?by=province,region", 400, "two_territories"),
        ("needs?by=sex,age_band,category", 400, "too_many_breakdowns"),
        ("needs?by=state", 400, "dimension_not_available"),
        ("needs?from=2015-01&to=2026-11", 400, "bad_period"),
        ("needs?province=999", 400, "invalid_parameter"),
        ("needs?format=xml", 400, "invalid_parameter"),
        ("needs?compare=13", 400, "invalid_parameter"),
        (
            "needs?region=13&province=066&compare=14",
            400,
            "invalid_parameter",
        ),
        ("needs?province=066&compare=14", 400, "invalid_parameter"),
    ] {
        let (got, _, body) = world
            .get(&format!("/api/observatory/indicators/{query}"), None)
            .await;
        assert_eq!(got, status, "{query}: {body}");
        assert!(body.contains(code), "{query}: {body}");
    }
    // The pages answer the same questions with the form and what to change, in words.
    let (status, _, html) = world
        .get(
            "/en/observatory/indicators/needs?from=2026-11&to=2025-01",
            None,
        )
        .await;
    assert_eq!(status, 400);
    assert!(html.contains("The period runs backwards"), "{html}");
    assert!(
        html.contains("id=\"ob-form\""),
        "the form to choose again: {html}"
    );
    let (status, _, html) = world
        .get("/it/observatory/indicators/needs?compare=13", None)
        .await;
    assert_eq!(status, 400);
    assert!(html.contains("Una delle scelte"), "{html}");
    let (status, _, body) = world.get("/api/observatory/indicators", None).await;
    assert_eq!(status, 200);
    let list: Value = serde_json::from_str(&body).unwrap();
    let ids: Vec<&str> = list["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["id"].as_str().unwrap())
        .collect();
    for id in [
        "needs",
        "unmet_needs",
        "referrals",
        "median_hours_to_first_answer",
        "declined_no_capacity_or_not_eligible",
        "services_per_10000_foreign_residents",
        "stale_services",
    ] {
        assert!(ids.contains(&id), "{ids:?}");
    }
}

#[tokio::test]
async fn declines_for_capacity_or_eligibility_are_a_share_by_sex() {
    let world = World::new("http://localhost:8080").await;
    for (sex, declined) in [(Sex::Female, 5), (Sex::Female, 0), (Sex::Male, 0)] {
        for i in 0..5 {
            let (contact, need) = person(&world, sex, "066049", "health.primary_care", true).await;
            let id = refer(&world, &contact, &need).await;
            if i < declined {
                answer(
                    &world,
                    &id,
                    2,
                    &[("decline", Some("no_capacity"), ReferralState::Declined)],
                )
                .await;
            }
        }
    }
    let t = table(&world, "declined_no_capacity_or_not_eligible?by=sex").await;
    assert_eq!(cell(&t, "female", "all"), 50.0, "5 of 10: {t}");
    assert_eq!(cell(&t, "male", "all"), 0.0, "{t}");
}

#[tokio::test]
async fn services_per_foreign_residents_use_istat_figures() {
    let world = World::new("http://localhost:8080").await;
    let residents = crocevia_core::statistics::load_embedded()
        .unwrap()
        .into_iter()
        .find(|d| d.info.id == "foreign_residents")
        .unwrap();
    world.store.replace_dataset(&residents).await.unwrap();
    let t = table(
        &world,
        "services_per_10000_foreign_residents?by=province&region=13",
    )
    .await;
    assert_eq!(
        t["disclosure_threshold"],
        Value::Null,
        "services are not people"
    );
    let laquila = cell(&t, "066", "all").as_f64().unwrap();
    assert!(
        laquila > 0.0,
        "the demo network has services in L'Aquila: {t}"
    );
}

#[tokio::test]
async fn the_indicator_pages_show_a_map_a_table_and_exports() {
    let world = World::new("http://localhost:8080").await;
    abruzzo(&world).await;
    let (status, _, home) = world.get("/it/observatory", None).await;
    assert_eq!(status, 200);
    assert!(
        home.contains("/it/observatory/indicators/needs?by=province"),
        "linked from the observatory"
    );
    let (status, _, html) = world
        .get("/it/observatory/indicators/needs?by=province", None)
        .await;
    assert_eq!(status, 200, "{html}");
    assert!(html.contains("<svg"), "a map");
    assert!(
        html.contains("Aquila: 8<"),
        "province names and counts on the map: {html}"
    );
    assert!(html.contains("Bisogni registrati"));
    let (status, _, html) = world
        .get(
            "/it/observatory/indicators/needs?by=province,sex&region=13",
            None,
        )
        .await;
    assert_eq!(status, 200);
    assert!(
        html.contains("&lt;5") || html.contains("<5"),
        "hidden cells shown as <5"
    );
    assert!(html.contains("donne"), "sexes as columns");
    let (status, _, html) = world
        .get("/ar/observatory/indicators/referrals?by=state", None)
        .await;
    assert_eq!(status, 200);
    assert!(html.contains("dir=\"rtl\""));
    assert!(html.contains("الإحالات"));

    let (status, _, body) = world
        .get(
            "/api/observatory/indicators/needs?by=province,sex&region=13&format=jsonstat&lang=en",
            None,
        )
        .await;
    assert_eq!(status, 200);
    let stat: Value = serde_json::from_str(&body).unwrap();
    let problems = crocevia_core::stat_table::json_stat_problems(&stat);
    assert!(problems.is_empty(), "{problems:?}");
    assert_eq!(
        stat["size"],
        serde_json::json!([5, 4]),
        "four provinces and the total × three sexes and the total"
    );
    assert_eq!(
        stat["dimension"]["province"]["category"]["label"]["066"],
        "L'Aquila"
    );
    assert_eq!(
        stat["dimension"]["sex"]["category"]["label"]["female"],
        "women"
    );
}
