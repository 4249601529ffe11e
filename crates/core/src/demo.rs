//! The demo network: a plausible directory of the services that public offices and NGOs offer
//! migrants in two provinces, the province of L'Aquila (ISTAT 066: the Comune dell'Aquila and
//! eight partner comuni) and Barletta-Andria-Trani (ISTAT 110), so the product can be shown,
//! tried and tested with realistic content.
//!
//! The content is data, `data/demo/network.toml`, embedded in the binary; [`network`] turns it
//! into HSDS rows. It is a pure function of the date: every id is a UUID v5 of a readable key
//! in [`ID_NAMESPACE`] and the dates of last verification (`assured_date`) are fixed offsets
//! from `today`, so two calls with the same date give the same rows, and re-importing the demo
//! replaces rather than duplicates it.
//!
//! # How demo data is marked
//!
//! One marker, everywhere a person reads: the `description` of every organization and service
//! ends with [`DEMO_MARKER`] (" (Dati dimostrativi)"), and every translated description ends
//! with the same words in its language ([`DEMO_MARKERS`]). Names carry no marker, so the
//! demo shows the product as it will look with real data. Besides, everything a reader could
//! try to contact is fictional: e-mail addresses and web sites are on the reserved `.example`
//! top-level domain and phone numbers are `0862 000…` / `0883 000…`; street numbers are
//! invented. [`is_demo`] tells a demo record from a real one.
//!
//! # What it contains
//!
//! Organizations (Prefetture, Questure, ASL, CPIA, Centri per l'impiego, comuni, cooperatives,
//! Caritas, anti-violence centres, legal aid, mediation, anti-trafficking, farm-worker outreach,
//! trade-union desks), their locations (placed near the real comune centre, with the comune's
//! ISTAT code as `external_identifier`, `external_identifier_type` = [`ISTAT_IDENTIFIER_TYPE`])
//! and addresses, and about 190 services, each with opening hours, languages, phone, cost
//! options and 1–3 needs-taxonomy terms (`attribute` rows, `link_type` = `need`). Shelters and
//! anti-trafficking sites have `confidential` locations. About one service in fourteen was
//! last verified more than six months ago, so the directory's stale-entry flags have something
//! to show. Every organization and the most used services are translated into English, French
//! and Arabic (`translation` rows).

use std::collections::{BTreeMap, HashMap};
use std::sync::LazyLock;

use chrono::{Days, NaiveDate};
use serde::Deserialize;
use uuid::Uuid;

use crate::hsds::Record;
use crate::taxonomy;

/// The marker every demo organization's and service's description ends with.
pub const DEMO_MARKER: &str = " (Dati dimostrativi)";

/// The marker in each language of the demo's texts (Italian, then the translations).
pub const DEMO_MARKERS: &[(&str, &str)] = &[
    ("it", DEMO_MARKER),
    ("en", " (Demo data)"),
    ("fr", " (Données de démonstration)"),
    ("ar", " (بيانات تجريبية)"),
];

/// Namespace of every id of the demo: `Uuid::new_v5(&Uuid::NAMESPACE_URL, b"urn:crocevia:demo")`,
/// written out so it can never drift (a new namespace would make a second copy of the demo on
/// re-import instead of replacing it).
pub const ID_NAMESPACE: Uuid = Uuid::from_u128(0xe986_39ea_0fb2_51b5_9c4c_0007_0be8_4a66);

/// `external_identifier_type` of the demo's locations: `external_identifier` is the ISTAT code
/// of the comune the location is in (`"066049"`).
pub const ISTAT_IDENTIFIER_TYPE: &str = "istat";

/// Services whose position in the data file, modulo this, is [`STALE_REMAINDER`] were last
/// verified more than six months before `today`; the others within the last four months.
const STALE_EVERY: usize = 14;
const STALE_REMAINDER: usize = 5;
/// Days before `today` of a fresh service's `assured_date`: 3 + (0..FRESH_SPREAD).
const FRESH_SPREAD: u128 = 110;
/// Days before `today` of a stale service's `assured_date`: 200 + (0..STALE_SPREAD).
const STALE_SPREAD: u128 = 240;

const NETWORK_TOML: &str = include_str!("../../../data/demo/network.toml");

/// The demo network as HSDS rows, with the verification dates counted back from `today`.
///
/// The rows reference the needs taxonomy's terms ([`taxonomy::term_id`]) without including
/// them: load [`taxonomy::to_hsds_records`] first (or in the same batch).
pub fn network(today: NaiveDate) -> Vec<Record> {
    Builder::new(&DATA, today).build()
}

/// One service an operational protocol names for a need, within its territory.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DemoPathway {
    pub protocol: String,
    /// ISTAT code of the region, province or comune where the protocol applies.
    pub territory: String,
    pub need: String,
    pub service_id: String,
}

/// The demo's operational protocols, in each protocol's order.
pub fn pathways() -> Vec<DemoPathway> {
    DATA.protocol
        .iter()
        .flat_map(|p| {
            p.services.iter().map(|key| DemoPathway {
                protocol: p.name.clone(),
                territory: p.territory.clone(),
                need: p.need.clone(),
                service_id: demo_id("service", key),
            })
        })
        .collect()
}

/// The password of every demo account: the demo is for looking around, and its accounts sign
/// in only on a server started in demo mode (see [`is_demo_account`]).
pub const DEMO_PASSWORD: &str = "crocevia-demo";

/// The e-mail domain of the demo accounts: `.invalid` is reserved (RFC 2606), so no notice
/// to them can ever leave the server.
pub const DEMO_EMAIL_DOMAIN: &str = "@demo.crocevia.invalid";

/// One account `serve --demo` creates.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DemoAccount {
    pub email: String,
    pub display_name: &'static str,
    /// The role's code ([`crate::access::Role::parse`]).
    pub role: &'static str,
    pub organization_id: String,
}

/// One account per role at the Comune dell'Aquila (whose desk refers people) and the ASL
/// dell'Aquila (which receives them), so every page can be walked from both sides of a
/// referral, and an operator at each other organisation the demo's desk history refers to
/// (they answer its referrals).
pub fn accounts() -> Vec<DemoAccount> {
    let at = |org: &str, local: &str, display_name: &'static str, role: &'static str| DemoAccount {
        email: format!("{local}{DEMO_EMAIL_DOMAIN}"),
        display_name,
        role,
        organization_id: demo_id("organization", org),
    };
    vec![
        at(
            "comune-laquila",
            "coordinatore",
            "Giulia Coordinatrice",
            "coordinator",
        ),
        at(
            "comune-laquila",
            "amministratore",
            "Marco Amministratore",
            "admin",
        ),
        at("comune-laquila", "operatore", "Sara Operatrice", "operator"),
        at("comune-laquila", "redattore", "Luca Redattore", "editor"),
        at("comune-laquila", "analista", "Elena Analista", "analyst"),
        at("asl-aq", "operatore.asl", "Paolo Operatore ASL", "operator"),
        at("asl-aq", "redattore.asl", "Anna Redattrice ASL", "editor"),
        at(
            "asl-aq",
            "amministratore.asl",
            "Davide Amministratore ASL",
            "admin",
        ),
        at(
            "cpia-aq",
            "operatore.cpia",
            "Irene Operatrice CPIA",
            "operator",
        ),
        at("cpi-aq", "operatore.cpi", "Karim Operatore CPI", "operator"),
        at(
            "caritas-aq",
            "operatore.caritas",
            "Teresa Operatrice Caritas",
            "operator",
        ),
        at(
            "legal-aq",
            "operatore.legale",
            "Omar Operatore legale",
            "operator",
        ),
    ]
}

/// Whether an e-mail is a demo account's (they sign in only in demo mode).
pub fn is_demo_account(email: &str) -> bool {
    email.to_lowercase().ends_with(DEMO_EMAIL_DOMAIN)
}

/// Whether a record is demo data: its description ends with one of the [`DEMO_MARKERS`].
pub fn is_demo(record: &Record) -> bool {
    record
        .text("description")
        .is_some_and(|d| DEMO_MARKERS.iter().any(|(_, marker)| d.ends_with(marker)))
}

/// Id of a demo row: UUID v5 of `{table}:{key}` in [`ID_NAMESPACE`].
fn demo_id(table: &str, key: &str) -> String {
    Uuid::new_v5(&ID_NAMESPACE, format!("{table}:{key}").as_bytes())
        .hyphenated()
        .to_string()
}

// ---------------------------------------------------------------------------------------------
// The data file
// ---------------------------------------------------------------------------------------------

static DATA: LazyLock<DemoFile> = LazyLock::new(|| {
    toml::from_str(NETWORK_TOML).expect("the embedded data/demo/network.toml is valid (see tests)")
});

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct DemoFile {
    province: Vec<Province>,
    place: Vec<Place>,
    hours: BTreeMap<String, Vec<Slot>>,
    organization: Vec<OrganizationSpec>,
    location: Vec<LocationSpec>,
    service: Vec<ServiceSpec>,
    protocol: Vec<ProtocolSpec>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ProtocolSpec {
    name: String,
    territory: String,
    need: String,
    services: Vec<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Province {
    key: String,
    abbreviation: String,
    istat: String,
    region: String,
    name: String,
    di: String,
    ar: String,
    phone_prefix: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Place {
    key: String,
    istat: String,
    province: String,
    name: String,
    di: String,
    a: String,
    ar: String,
    postal_code: String,
    lat: f64,
    lon: f64,
    hall: String,
    streets: Vec<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Slot {
    days: String,
    opens: String,
    closes: String,
    note: Option<String>,
}

/// A name and description in one language.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Text {
    name: String,
    description: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct OrganizationSpec {
    key: String,
    #[serde(default)]
    places: Vec<String>,
    name: String,
    description: String,
    domain: String,
    legal_status: Option<String>,
    en: Option<Text>,
    fr: Option<Text>,
    ar: Option<Text>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct LocationSpec {
    key: String,
    organization: String,
    places: Vec<String>,
    name: String,
    description: Option<String>,
    address: String,
    #[serde(default)]
    offset: [f64; 2],
    #[serde(default)]
    confidential: bool,
    accessibility: Option<String>,
    transportation: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ServiceSpec {
    key: String,
    organization: String,
    location: String,
    places: Vec<String>,
    name: String,
    description: String,
    needs: Vec<String>,
    #[serde(default)]
    languages: Vec<String>,
    hours: String,
    mailbox: Option<String>,
    eligibility: String,
    application: String,
    fees: Option<String>,
    interpretation: Option<String>,
    status: Option<String>,
    alert: Option<String>,
    min_age: Option<u32>,
    max_age: Option<u32>,
    #[serde(default)]
    documents: Vec<String>,
    #[serde(default)]
    cost: Vec<Cost>,
    en: Option<Text>,
    fr: Option<Text>,
    ar: Option<Text>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Cost {
    option: String,
    amount: f64,
}

const FREE: &str = "Gratuito";

/// ISO 639-1 codes the demo uses, with their Italian names.
const LANGUAGE_NAMES: &[(&str, &str)] = &[
    ("it", "Italiano"),
    ("en", "Inglese"),
    ("fr", "Francese"),
    ("ar", "Arabo"),
    ("es", "Spagnolo"),
    ("uk", "Ucraino"),
    ("ru", "Russo"),
    ("ro", "Romeno"),
    ("bg", "Bulgaro"),
    ("sq", "Albanese"),
    ("ur", "Urdu"),
    ("bn", "Bengalese"),
    ("pa", "Punjabi"),
    ("ti", "Tigrino"),
    ("wo", "Wolof"),
    ("zh", "Cinese"),
];

fn language_name(code: &str) -> &'static str {
    LANGUAGE_NAMES
        .iter()
        .find(|(c, _)| *c == code)
        .map(|(_, name)| *name)
        .unwrap_or_else(|| panic!("demo data: unknown language code {code}"))
}

// ---------------------------------------------------------------------------------------------
// Templates
// ---------------------------------------------------------------------------------------------

/// What an entry's placeholders are filled with: one place of its `places` (none for an
/// organization without places) and its position in that list.
#[derive(Clone, Copy)]
struct Ctx<'a> {
    place: Option<(&'a Place, &'a Province)>,
    index: usize,
}

impl<'a> Ctx<'a> {
    fn place(&self) -> (&'a Place, &'a Province) {
        self.place
            .expect("demo data: a placeholder or location needs `places`")
    }

    /// `text` with every `{placeholder}` replaced (see the data file's header); `lang` picks
    /// the Arabic names in Arabic texts.
    fn fill(&self, text: &str, lang: &str) -> String {
        let mut out = String::with_capacity(text.len() + 16);
        let mut rest = text;
        while let Some(start) = rest.find('{') {
            out.push_str(&rest[..start]);
            let end = rest[start..]
                .find('}')
                .map(|e| start + e)
                .unwrap_or_else(|| panic!("demo data: unclosed placeholder in {text:?}"));
            out.push_str(&self.value(&rest[start + 1..end], lang, text));
            rest = &rest[end + 1..];
        }
        out.push_str(rest);
        out
    }

    fn value(&self, name: &str, lang: &str, text: &str) -> String {
        const WEEKDAYS: [&str; 5] = ["MO", "TU", "WE", "TH", "FR"];
        let arabic = lang == "ar";
        let (place, province) = self.place();
        let street = |i: usize| {
            place
                .streets
                .get(i)
                .cloned()
                .unwrap_or_else(|| panic!("demo data: {} has no street {}", place.key, i + 1))
        };
        match name {
            "place" => place.key.clone(),
            "prov" => province.key.clone(),
            "p" if arabic => place.ar.clone(),
            "p" => place.name.clone(),
            "di" => place.di.clone(),
            "a" => place.a.clone(),
            "prov_name" if arabic => province.ar.clone(),
            "prov_name" => province.name.clone(),
            "prov_di" => province.di.clone(),
            "hall" => place.hall.clone(),
            "s1" => street(0),
            "s2" => street(1),
            "s3" => street(2),
            "n" => (self.index % 4 + 1).to_string(),
            "day" => WEEKDAYS[self.index % WEEKDAYS.len()].to_owned(),
            _ => panic!("demo data: unknown placeholder {{{name}}} in {text:?}"),
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Building the rows
// ---------------------------------------------------------------------------------------------

struct Builder<'a> {
    data: &'a DemoFile,
    today: NaiveDate,
    records: Vec<Record>,
    /// Organization key to (id, web domain).
    organizations: HashMap<String, (String, String)>,
    /// Location key to id.
    locations: HashMap<String, String>,
}

impl<'a> Builder<'a> {
    fn new(data: &'a DemoFile, today: NaiveDate) -> Self {
        Builder {
            data,
            today,
            records: Vec::new(),
            organizations: HashMap::new(),
            locations: HashMap::new(),
        }
    }

    fn build(mut self) -> Vec<Record> {
        let data = self.data;
        for spec in &data.organization {
            for ctx in self.contexts(&spec.places, true) {
                self.organization(spec, ctx);
            }
        }
        for spec in &data.location {
            for ctx in self.contexts(&spec.places, false) {
                self.location(spec, ctx);
            }
        }
        let mut position = 0;
        for spec in &data.service {
            for ctx in self.contexts(&spec.places, false) {
                self.service(spec, ctx, position);
                position += 1;
            }
        }
        self.records
    }

    /// One context per place (one without a place when `places` is empty and that is allowed).
    fn contexts(&self, places: &[String], may_be_placeless: bool) -> Vec<Ctx<'a>> {
        let data = self.data;
        if places.is_empty() {
            assert!(may_be_placeless, "demo data: an entry without `places`");
            return vec![Ctx {
                place: None,
                index: 0,
            }];
        }
        places
            .iter()
            .enumerate()
            .map(|(index, key)| {
                let place = data
                    .place
                    .iter()
                    .find(|p| p.key == *key)
                    .unwrap_or_else(|| panic!("demo data: unknown place {key}"));
                let province = data
                    .province
                    .iter()
                    .find(|p| p.key == place.province)
                    .unwrap_or_else(|| panic!("demo data: unknown province {}", place.province));
                assert!(
                    place.istat.starts_with(&province.istat),
                    "demo data: {} is not in province {}",
                    place.key,
                    province.istat
                );
                Ctx {
                    place: Some((place, province)),
                    index,
                }
            })
            .collect()
    }

    fn organization(&mut self, spec: &OrganizationSpec, ctx: Ctx) {
        let key = ctx.fill(&spec.key, "it");
        let id = demo_id("organization", &key);
        let domain = ctx.fill(&spec.domain, "it");
        let mut record = Record::new("organization", id.clone())
            .with("name", ctx.fill(&spec.name, "it"))
            .with(
                "description",
                marked(ctx.fill(&spec.description, "it"), "it"),
            )
            .with("email", format!("info@{domain}"))
            .with("website", format!("https://{domain}/"));
        if let Some(status) = &spec.legal_status {
            record.set("legal_status", status.as_str());
        }
        self.records.push(record);
        self.translations(
            "organization",
            &key,
            &id,
            [&spec.en, &spec.fr, &spec.ar],
            ctx,
        );
        let previous = self.organizations.insert(key.clone(), (id, domain));
        assert!(previous.is_none(), "demo data: organization {key} twice");
    }

    fn location(&mut self, spec: &LocationSpec, ctx: Ctx) {
        let key = ctx.fill(&spec.key, "it");
        let id = demo_id("location", &key);
        let (place, province) = ctx.place();
        let organization = self.organization_ref(&ctx.fill(&spec.organization, "it")).0;
        // A confidential location stays at the comune's centre: its own point is not published.
        let [dlat, dlon] = if spec.confidential {
            [0.0, 0.0]
        } else {
            spec.offset
        };
        let mut record = Record::new("location", id.clone())
            .with("location_type", "physical")
            .with("organization_id", organization)
            .with("name", ctx.fill(&spec.name, "it"))
            .with("latitude", round_degrees(place.lat + dlat))
            .with("longitude", round_degrees(place.lon + dlon))
            .with("external_identifier", place.istat.as_str())
            .with("external_identifier_type", ISTAT_IDENTIFIER_TYPE)
            .with("confidential", spec.confidential);
        if let Some(description) = &spec.description {
            record.set("description", ctx.fill(description, "it"));
        }
        if let Some(transportation) = &spec.transportation {
            record.set("transportation", ctx.fill(transportation, "it"));
        }
        self.records.push(record);
        self.records.push(
            Record::new("address", demo_id("address", &key))
                .with("location_id", id.as_str())
                .with("address_1", ctx.fill(&spec.address, "it"))
                .with("city", place.name.as_str())
                .with("region", province.region.as_str())
                .with("state_province", province.abbreviation.as_str())
                .with("postal_code", place.postal_code.as_str())
                .with("country", "IT")
                .with("address_type", "physical"),
        );
        if let Some(accessibility) = &spec.accessibility {
            self.records.push(
                Record::new("accessibility", demo_id("accessibility", &key))
                    .with("location_id", id.as_str())
                    .with("description", ctx.fill(accessibility, "it")),
            );
        }
        let previous = self.locations.insert(key.clone(), id);
        assert!(previous.is_none(), "demo data: location {key} twice");
    }

    fn service(&mut self, spec: &ServiceSpec, ctx: Ctx, position: usize) {
        let key = ctx.fill(&spec.key, "it");
        let id = demo_id("service", &key);
        let (_, province) = ctx.place();
        let (organization, domain) = self.organization_ref(&ctx.fill(&spec.organization, "it"));
        let location_key = ctx.fill(&spec.location, "it");
        let location = self
            .locations
            .get(&location_key)
            .unwrap_or_else(|| {
                panic!("demo data: service {key} at unknown location {location_key}")
            })
            .clone();
        let mailbox = spec
            .mailbox
            .as_deref()
            .map_or_else(|| "info".to_owned(), |m| ctx.fill(m, "it"));
        let fees = spec.fees.as_deref().unwrap_or(FREE);

        let mut record = Record::new("service", id.clone())
            .with("organization_id", organization)
            .with("name", ctx.fill(&spec.name, "it"))
            .with(
                "description",
                marked(ctx.fill(&spec.description, "it"), "it"),
            )
            .with("url", format!("https://{domain}/servizi/{key}"))
            .with("email", format!("{mailbox}@{domain}"))
            .with("status", spec.status.as_deref().unwrap_or("active"))
            .with("application_process", ctx.fill(&spec.application, "it"))
            .with("fees_description", fees)
            .with("eligibility_description", ctx.fill(&spec.eligibility, "it"))
            .with(
                "assured_date",
                self.assured_date(&key, position).to_string(),
            );
        let optional = [
            ("alert", &spec.alert),
            ("interpretation_services", &spec.interpretation),
        ];
        for (field, value) in optional {
            if let Some(value) = value {
                record.set(field, ctx.fill(value, "it"));
            }
        }
        if let Some(age) = spec.min_age {
            record.set("minimum_age", age);
        }
        if let Some(age) = spec.max_age {
            record.set("maximum_age", age);
        }
        self.records.push(record);

        self.records.push(
            Record::new("service_at_location", demo_id("service_at_location", &key))
                .with("service_id", id.as_str())
                .with("location_id", location),
        );
        self.records.push(
            Record::new("phone", demo_id("phone", &key))
                .with("service_id", id.as_str())
                .with(
                    "number",
                    format!("{} 000{:03}", province.phone_prefix, position + 1),
                )
                .with("type", "voice"),
        );
        let slots =
            self.data.hours.get(&spec.hours).unwrap_or_else(|| {
                panic!("demo data: service {key} has unknown hours {}", spec.hours)
            });
        for (i, slot) in slots.iter().enumerate() {
            self.records
                .push(schedule(&format!("{key}:{i}"), &id, slot, ctx));
        }
        let mut languages = vec!["it"];
        for code in &spec.languages {
            if !languages.contains(&code.as_str()) {
                languages.push(code);
            }
        }
        for code in languages {
            self.records.push(
                Record::new("language", demo_id("language", &format!("{key}:{code}")))
                    .with("service_id", id.as_str())
                    .with("code", code)
                    .with("name", language_name(code)),
            );
        }
        let costs: Vec<(&str, f64)> = if !spec.cost.is_empty() {
            spec.cost
                .iter()
                .map(|c| (c.option.as_str(), c.amount))
                .collect()
        } else if fees.starts_with(FREE) {
            vec![(FREE, 0.0)]
        } else {
            Vec::new()
        };
        for (i, (option, amount)) in costs.into_iter().enumerate() {
            let mut cost =
                Record::new("cost_option", demo_id("cost_option", &format!("{key}:{i}")))
                    .with("service_id", id.as_str())
                    .with("option", option)
                    .with("currency", "EUR")
                    .with("amount", amount);
            if amount == 0.0 {
                cost.set("amount_description", "Servizio gratuito");
            }
            self.records.push(cost);
        }
        for (i, document) in spec.documents.iter().enumerate() {
            self.records.push(
                Record::new(
                    "required_document",
                    demo_id("required_document", &format!("{key}:{i}")),
                )
                .with("service_id", id.as_str())
                .with("document", ctx.fill(document, "it")),
            );
        }
        for code in &spec.needs {
            self.records.push(
                Record::new("attribute", demo_id("attribute", &format!("{key}:{code}")))
                    .with("link_id", id.as_str())
                    .with("link_entity", "service")
                    .with("link_type", "need")
                    .with("taxonomy_term_id", taxonomy::term_id(code)),
            );
        }
        self.translations("service", &key, &id, [&spec.en, &spec.fr, &spec.ar], ctx);
    }

    fn organization_ref(&self, key: &str) -> (String, String) {
        self.organizations
            .get(key)
            .unwrap_or_else(|| panic!("demo data: unknown organization {key}"))
            .clone()
    }

    /// Fresh services were verified 3 to 112 days ago; one in [`STALE_EVERY`], 200 to 439 days
    /// ago. The spread comes from the key, so it is the same on every run.
    fn assured_date(&self, key: &str, position: usize) -> NaiveDate {
        let spread = Uuid::new_v5(&ID_NAMESPACE, format!("assured:{key}").as_bytes()).as_u128();
        let days = if position % STALE_EVERY == STALE_REMAINDER {
            200 + spread % STALE_SPREAD
        } else {
            3 + spread % FRESH_SPREAD
        };
        let days = u64::try_from(days).expect("a few hundred days");
        self.today - Days::new(days)
    }

    fn translations(
        &mut self,
        entity: &str,
        key: &str,
        id: &str,
        texts: [&Option<Text>; 3],
        ctx: Ctx,
    ) {
        for (lang, text) in ["en", "fr", "ar"].into_iter().zip(texts) {
            let Some(text) = text else { continue };
            self.records.push(
                Record::new(
                    "translation",
                    demo_id("translation", &format!("{entity}:{key}:{lang}")),
                )
                .with("link_id", id)
                .with("link_entity", entity)
                .with("language", lang)
                .with("name", ctx.fill(&text.name, lang))
                .with(
                    "description",
                    marked(ctx.fill(&text.description, lang), lang),
                ),
            );
        }
    }
}

/// `text` followed by the demo marker of `lang`.
fn marked(mut text: String, lang: &str) -> String {
    let marker = DEMO_MARKERS
        .iter()
        .find(|(l, _)| *l == lang)
        .map(|(_, m)| *m)
        .expect("a marker for every language of the demo");
    text.push_str(marker);
    text
}

/// Degrees to 5 decimals (about a metre), so sums of offsets print cleanly.
fn round_degrees(value: f64) -> f64 {
    (value * 100_000.0).round() / 100_000.0
}

fn schedule(key: &str, service_id: &str, slot: &Slot, ctx: Ctx) -> Record {
    let days = ctx.fill(&slot.days, "it");
    let monthly = days.starts_with(|c: char| c.is_ascii_digit() || c == '-');
    let note = slot.note.as_deref().map(|n| ctx.fill(n, "it"));
    let description = describe_slot(&days, &slot.opens, &slot.closes, note.as_deref());
    Record::new("schedule", demo_id("schedule", key))
        .with("service_id", service_id)
        .with("freq", if monthly { "MONTHLY" } else { "WEEKLY" })
        .with("byday", days)
        .with("opens_at", time_of_day(&slot.opens))
        .with("closes_at", time_of_day(&slot.closes))
        .with("description", description)
}

/// `"09:00"` as the `HH:MM:SS` of the HSDS tabular format.
fn time_of_day(hhmm: &str) -> String {
    let valid = hhmm.len() == 5 && chrono::NaiveTime::parse_from_str(hhmm, "%H:%M").is_ok();
    assert!(valid, "demo data: {hhmm:?} is not HH:MM");
    format!("{hhmm}:00")
}

const DAY_NAMES: [(&str, &str); 7] = [
    ("MO", "lunedì"),
    ("TU", "martedì"),
    ("WE", "mercoledì"),
    ("TH", "giovedì"),
    ("FR", "venerdì"),
    ("SA", "sabato"),
    ("SU", "domenica"),
];

fn day_index(code: &str) -> usize {
    DAY_NAMES
        .iter()
        .position(|(c, _)| *c == code)
        .unwrap_or_else(|| panic!("demo data: {code:?} is not a BYDAY day"))
}

/// The Italian sentence for an opening slot: "Dal lunedì al venerdì dalle 9:00 alle 12:30, su
/// appuntamento", "Il secondo giovedì del mese dalle 10:00 alle 13:00".
fn describe_slot(days: &str, opens: &str, closes: &str, note: Option<&str>) -> String {
    let when = describe_days(days);
    let mut sentence = if opens == "00:00" && closes == "23:59" {
        format!("{when}, 24 ore su 24")
    } else {
        format!("{when} dalle {} alle {}", clock(opens), clock(closes))
    };
    if let Some(note) = note {
        sentence.push_str(", ");
        sentence.push_str(note);
    }
    let mut chars = sentence.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => sentence,
    }
}

fn describe_days(days: &str) -> String {
    const ORDINALS: [&str; 4] = ["primo", "secondo", "terzo", "quarto"];
    if let Some(split) = days.find(|c: char| c.is_ascii_alphabetic())
        && split > 0
    {
        let (ordinal, day) = days.split_at(split);
        let name = DAY_NAMES[day_index(day)].1;
        let ordinal = match ordinal {
            "-1" => "ultimo",
            n => n
                .parse::<usize>()
                .ok()
                .and_then(|n| ORDINALS.get(n.wrapping_sub(1)))
                .unwrap_or_else(|| panic!("demo data: bad monthly day {days:?}")),
        };
        return format!("il {ordinal} {name} del mese");
    }
    let mut indices: Vec<usize> = days.split(',').map(day_index).collect();
    indices.sort_unstable();
    indices.dedup();
    let names: Vec<&str> = indices.iter().map(|&i| DAY_NAMES[i].1).collect();
    let contiguous = indices.windows(2).all(|w| w[1] == w[0] + 1);
    match names.as_slice() {
        [] => unreachable!("split always yields a day"),
        [one] if *one == "domenica" => "la domenica".to_owned(),
        [one] => format!("il {one}"),
        all if all.len() == 7 => "tutti i giorni".to_owned(),
        many if contiguous && many.len() >= 3 => {
            let last = many[many.len() - 1];
            let article = if last == "domenica" { "alla" } else { "al" };
            format!("dal {} {article} {last}", many[0])
        }
        [init @ .., last] => format!("{} e {last}", init.join(", ")),
    }
}

/// `"09:00"` as people write it: `"9:00"`.
fn clock(hhmm: &str) -> &str {
    hhmm.strip_prefix('0').unwrap_or(hhmm)
}

#[cfg(test)]
mod accounts_tests {
    use super::*;

    #[test]
    fn every_role_has_a_demo_account_at_an_organisation_of_the_demo() {
        let accounts = accounts();
        let ids: Vec<String> = network(NaiveDate::from_ymd_opt(2026, 12, 7).unwrap())
            .into_iter()
            .filter(|r| r.table == "organization")
            .map(|r| r.id)
            .collect();
        for role in crate::access::Role::ALL {
            assert!(accounts.iter().any(|a| a.role == role.as_str()), "{role:?}");
        }
        for a in &accounts {
            assert!(ids.contains(&a.organization_id), "{}", a.email);
            assert!(is_demo_account(&a.email));
            assert!(crate::access::Role::parse(a.role).is_some());
        }
        assert!(!is_demo_account("operatore@comune.laquila.it"));
    }
}

#[cfg(test)]
mod tests {
    use std::collections::{BTreeSet, HashSet};

    use super::*;
    use crate::hsds::validate::{Existing, Origin, SourcedRecord, validate};

    fn today() -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 11, 20).unwrap()
    }

    fn of<'r>(records: &'r [Record], table: &str) -> Vec<&'r Record> {
        records.iter().filter(|r| r.table == table).collect()
    }

    fn sourced(records: Vec<Record>) -> Vec<SourcedRecord> {
        records
            .into_iter()
            .enumerate()
            .map(|(i, record)| SourcedRecord {
                origin: Origin {
                    file: record.spec().file.clone(),
                    row: i + 1,
                    path: String::new(),
                },
                record,
            })
            .collect()
    }

    #[test]
    fn every_protocol_names_services_of_the_network_tagged_with_its_need() {
        let records = network(today());
        let pathways = pathways();
        assert!(pathways.len() >= 4);
        for DemoPathway {
            protocol,
            territory,
            need,
            service_id: id,
        } in pathways
        {
            assert!(
                [2, 3, 6].contains(&territory.len())
                    && territory.bytes().all(|b| b.is_ascii_digit()),
                "{protocol}: territory {territory} is not an ISTAT code"
            );
            let service = of(&records, "service")
                .into_iter()
                .find(|s| s.id == id)
                .unwrap_or_else(|| panic!("{protocol}: no service {id}"));
            let tagged = records.iter().any(|r| {
                r.table == "attribute"
                    && r.text("link_id") == Some(service.id.as_str())
                    && r.text("taxonomy_term_id") == Some(taxonomy::term_id(&need).as_str())
            });
            assert!(tagged, "{protocol}: {} is not tagged {need}", service.id);
        }
    }

    #[test]
    fn the_demo_is_a_network_of_at_least_150_services() {
        let records = network(today());
        let services = of(&records, "service");
        assert!(services.len() >= 150, "{} services", services.len());
        assert!(of(&records, "organization").len() >= 40);
        let closed = services
            .iter()
            .filter(|s| s.text("status") == Some("temporarily closed"))
            .count();
        assert!((1..=4).contains(&closed), "{closed} temporarily closed");
        assert!(of(&records, "required_document").len() >= 10);
    }

    #[test]
    fn with_the_taxonomy_it_validates_without_a_single_problem() {
        let mut batch = sourced(
            taxonomy::to_hsds_records()
                .into_iter()
                .chain(network(today()))
                .collect(),
        );
        let problems = validate(&mut batch, &Existing::new());
        assert!(problems.is_empty(), "{problems:#?}");
    }

    #[test]
    fn it_validates_against_a_directory_that_already_has_the_taxonomy() {
        let existing: Existing = taxonomy::to_hsds_records()
            .into_iter()
            .map(|r| (r.id, vec![r.table]))
            .collect();
        let mut batch = sourced(network(today()));
        let problems = validate(&mut batch, &existing);
        assert!(problems.is_empty(), "{problems:#?}");
    }

    #[test]
    fn ids_are_unique_so_validation_merges_nothing() {
        let records = network(today());
        let mut seen = HashSet::new();
        for r in &records {
            assert!(seen.insert((&r.table, &r.id)), "{} {} twice", r.table, r.id);
        }
        let names: Vec<_> = of(&records, "service")
            .iter()
            .map(|s| s.text("name").unwrap())
            .collect();
        let distinct: HashSet<_> = names.iter().collect();
        assert_eq!(distinct.len(), names.len(), "service names repeat");
    }

    #[test]
    fn it_is_the_same_on_every_call() {
        assert_eq!(network(today()), network(today()));
        let later = network(today() + Days::new(30));
        let ids = |rs: &[Record]| rs.iter().map(|r| r.id.clone()).collect::<Vec<_>>();
        assert_eq!(ids(&later), ids(&network(today())));
    }

    #[test]
    fn some_services_are_stale_and_most_were_verified_recently() {
        let records = network(today());
        let ages: Vec<i64> = of(&records, "service")
            .iter()
            .map(|s| {
                let date = s.text("assured_date").unwrap();
                let date = NaiveDate::parse_from_str(date, "%Y-%m-%d").unwrap();
                (today() - date).num_days()
            })
            .collect();
        let stale = ages.iter().filter(|&&d| d > 183).count();
        let recent = ages.iter().filter(|&&d| d <= 122).count();
        assert!(stale >= 12, "{stale} stale");
        assert_eq!(stale + recent, ages.len(), "ages: {ages:?}");
        assert!(ages.iter().all(|&d| d > 0));
    }

    #[test]
    fn shelters_and_anti_trafficking_sites_are_confidential() {
        let records = network(today());
        let confidential: HashSet<&str> = of(&records, "location")
            .iter()
            .filter(|l| l.fields.get("confidential") == Some(&true.into()))
            .map(|l| l.id.as_str())
            .collect();
        assert!(
            (3..=5).contains(&confidential.len()),
            "{}",
            confidential.len()
        );
        let services = of(&records, "service_at_location")
            .iter()
            .filter(|sal| confidential.contains(sal.text("location_id").unwrap()))
            .count();
        assert!(
            (3..=5).contains(&services),
            "{services} confidential services"
        );
    }

    #[test]
    fn every_service_has_needs_a_location_in_the_two_provinces_and_hours() {
        let records = network(today());
        let locations: HashMap<&str, &Record> = of(&records, "location")
            .into_iter()
            .map(|l| (l.id.as_str(), l))
            .collect();
        let addresses: HashMap<&str, &Record> = of(&records, "address")
            .into_iter()
            .map(|a| (a.text("location_id").unwrap(), a))
            .collect();
        let term_ids: HashSet<String> = taxonomy::needs_taxonomy().iter().map(|t| t.id()).collect();
        for service in of(&records, "service") {
            let needs: Vec<_> = of(&records, "attribute")
                .into_iter()
                .filter(|a| a.text("link_id") == Some(&service.id))
                .collect();
            assert!((1..=3).contains(&needs.len()), "{:?}", service.text("name"));
            for need in needs {
                assert_eq!(need.text("link_type"), Some("need"));
                assert!(term_ids.contains(need.text("taxonomy_term_id").unwrap()));
            }
            let places: Vec<_> = of(&records, "service_at_location")
                .into_iter()
                .filter(|sal| sal.text("service_id") == Some(&service.id))
                .map(|sal| locations[sal.text("location_id").unwrap()])
                .collect();
            assert_eq!(places.len(), 1, "{:?}", service.text("name"));
            for location in places {
                assert_eq!(
                    location.text("external_identifier_type"),
                    Some(ISTAT_IDENTIFIER_TYPE)
                );
                let istat = location.text("external_identifier").unwrap();
                assert!(
                    istat.starts_with("066") || istat.starts_with("110"),
                    "{istat}"
                );
                let postal_code = addresses[location.id.as_str()].text("postal_code").unwrap();
                assert!(postal_code.starts_with("67") || postal_code.starts_with("76"));
            }
            let has = |table: &str| {
                records
                    .iter()
                    .any(|r| r.table == table && r.text("service_id") == Some(&service.id))
            };
            for table in ["schedule", "language", "phone"] {
                assert!(has(table), "{:?} has no {table}", service.text("name"));
            }
        }
    }

    #[test]
    fn the_needs_cover_every_top_level_category() {
        let records = network(today());
        let used: HashSet<&str> = of(&records, "attribute")
            .iter()
            .map(|a| a.text("taxonomy_term_id").unwrap())
            .collect();
        for term in taxonomy::needs_taxonomy() {
            if term.parent.is_none() {
                let covered = used.contains(term.id().as_str())
                    || taxonomy::needs_taxonomy().iter().any(|child| {
                        child.parent.as_deref() == Some(term.code.as_str())
                            && used.contains(child.id().as_str())
                    });
                assert!(covered, "no demo service for {}", term.code);
            }
        }
    }

    #[test]
    fn every_text_a_person_reads_is_marked_and_every_contact_is_fictional() {
        let records = network(today());
        for r in records
            .iter()
            .filter(|r| r.table == "organization" || r.table == "service")
        {
            assert!(is_demo(r), "{r:?}");
            assert!(r.text("description").unwrap().ends_with(DEMO_MARKER));
            for field in ["email", "website", "url"] {
                if let Some(value) = r.text(field) {
                    let host = match value.split_once('@') {
                        Some((_, host)) => host,
                        None => value
                            .strip_prefix("https://")
                            .and_then(|rest| rest.split('/').next())
                            .unwrap(),
                    };
                    assert!(host.ends_with(".example"), "{value}");
                }
            }
        }
        for t in of(&records, "translation") {
            let lang = t.text("language").unwrap();
            let marker = DEMO_MARKERS.iter().find(|(l, _)| *l == lang).unwrap().1;
            assert!(t.text("description").unwrap().ends_with(marker), "{t:?}");
        }
        for phone in of(&records, "phone") {
            let number = phone.text("number").unwrap();
            assert!(number.starts_with("0862 000") || number.starts_with("0883 000"));
        }
        assert!(!is_demo(
            &Record::new("service", "x").with("description", "Sportello")
        ));
    }

    #[test]
    fn organizations_and_the_most_used_services_are_translated() {
        let records = network(today());
        let translations = of(&records, "translation");
        let languages_of = |id: &str| -> BTreeSet<&str> {
            translations
                .iter()
                .filter(|t| t.text("link_id") == Some(id))
                .map(|t| t.text("language").unwrap())
                .collect()
        };
        let all: BTreeSet<&str> = ["ar", "en", "fr"].into();
        for org in of(&records, "organization") {
            assert_eq!(languages_of(&org.id), all, "{:?}", org.text("name"));
        }
        let translated = of(&records, "service")
            .iter()
            .filter(|s| languages_of(&s.id) == all)
            .count();
        assert!(translated >= 40, "{translated} translated services");
        for t in translations
            .iter()
            .filter(|t| t.text("language") == Some("ar"))
        {
            let name = t.text("name").unwrap();
            assert!(
                name.chars().any(|c| ('\u{0600}'..='\u{06FF}').contains(&c)),
                "{name}"
            );
        }
        for t in &translations {
            let text = format!(
                "{} {}",
                t.text("name").unwrap(),
                t.text("description").unwrap()
            );
            assert!(!text.contains('{') && !text.contains('}'), "{text}");
        }
    }

    #[test]
    fn places_are_the_real_comuni_and_locations_are_near_them() {
        let territories = crate::territory::load_embedded().unwrap();
        for place in &DATA.place {
            let comune = territories
                .comune(&place.istat)
                .unwrap_or_else(|| panic!("no comune {}", place.istat));
            assert_eq!(comune.name, place.name, "{}", place.istat);
            let province = DATA
                .province
                .iter()
                .find(|p| p.key == place.province)
                .unwrap();
            assert_eq!(comune.province_code, province.istat);
            let official = territories.province(&province.istat).unwrap();
            assert_eq!(official.abbreviation, province.abbreviation);
            // Town centres, not territory centroids: a large comune's centroid (Andria's) lies
            // several kilometres out in the countryside.
            if let Some(centroid) = comune.centroid {
                let here = crate::territory::Point {
                    lat: place.lat,
                    lon: place.lon,
                };
                let km = here.distance_km(&centroid);
                assert!(km < 15.0, "{} is {km:.1} km from the centroid", place.name);
            }
        }
        let records = network(today());
        for location in of(&records, "location") {
            let comune = territories
                .comune(location.text("external_identifier").unwrap())
                .unwrap();
            let point = crate::territory::Point {
                lat: location.fields["latitude"].as_f64().unwrap(),
                lon: location.fields["longitude"].as_f64().unwrap(),
            };
            let place = DATA.place.iter().find(|p| p.istat == comune.code).unwrap();
            let centre = crate::territory::Point {
                lat: place.lat,
                lon: place.lon,
            };
            assert!(point.distance_km(&centre) < 6.0, "{location:?}");
        }
    }

    #[test]
    fn opening_hours_read_as_italian_sentences() {
        assert_eq!(
            describe_slot("MO,TU,WE,TH,FR", "09:00", "12:30", Some("su appuntamento")),
            "Dal lunedì al venerdì dalle 9:00 alle 12:30, su appuntamento"
        );
        assert_eq!(
            describe_slot("MO,WE,FR", "15:00", "17:00", None),
            "Lunedì, mercoledì e venerdì dalle 15:00 alle 17:00"
        );
        assert_eq!(
            describe_slot("TH", "17:00", "19:00", None),
            "Il giovedì dalle 17:00 alle 19:00"
        );
        assert_eq!(
            describe_slot("2TU", "10:00", "13:00", None),
            "Il secondo martedì del mese dalle 10:00 alle 13:00"
        );
        assert_eq!(
            describe_slot("MO,TU,WE,TH,FR,SA,SU", "00:00", "23:59", None),
            "Tutti i giorni, 24 ore su 24"
        );
        let records = network(today());
        let monthly = of(&records, "schedule")
            .into_iter()
            .filter(|s| s.text("freq") == Some("MONTHLY"))
            .count();
        assert!(monthly >= 8);
    }
}
