//! Editors keep their organisation's services up to date: what the service is and who it is
//! for, the needs it meets, the languages spoken, weekly opening hours, where it is offered
//! and its translations. The form edits the service as the HSDS API nests it and saves it
//! through the same path as the write API ([`save_nested`]), so validation, the change log
//! and the search index behave the same; rows the form does not show (phones, costs,
//! documents, monthly hours…) are kept as they are.

use std::collections::BTreeSet;

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use chrono::NaiveTime;
use crocevia_core::access::Role;
use crocevia_core::hsds::Record;
use crocevia_core::hsds::nested::RecordIndex;
use crocevia_core::taxonomy;
use crocevia_store::load_nested;
use serde::Deserialize;
use serde_json::{Map, Value, json};

use super::all_rows;
use super::form::Errors;
use crate::AppState;
use crate::auth::CurrentUser;
use crate::error::AppError;
use crate::kit::Posted;
use crate::kit::{CsrfForm, Denied, Editor};
use crate::kit::{Page, render};
use crate::portal::language_name;
use crate::write_api::save_nested;

/// The service's own text fields the form edits, in the order shown.
const TEXT_FIELDS: [&str; 9] = [
    "name",
    "alternate_name",
    "description",
    "eligibility_description",
    "application_process",
    "fees_description",
    "url",
    "email",
    "status",
];

const STATUSES: [&str; 4] = ["active", "temporarily closed", "inactive", "defunct"];

/// Languages offered as checkboxes; any other ISO 639 code goes in a text field.
const COMMON_LANGUAGES: [&str; 20] = [
    "it", "en", "fr", "ar", "es", "uk", "ru", "ro", "sq", "ur", "bn", "pa", "ti", "wo", "zh", "pt",
    "fa", "ps", "so", "am",
];

const DAYS: [&str; 7] = ["MO", "TU", "WE", "TH", "FR", "SA", "SU"];

/// Empty weekly rows offered for new opening hours.
const BLANK_SCHEDULE_ROWS: usize = 2;

/// One weekly opening slot as the form shows it.
#[derive(Debug, Clone, Default)]
struct Slot {
    id: String,
    days: Vec<String>,
    /// `HH:MM`.
    opens: String,
    closes: String,
    description: String,
}

/// The form's content, from the stored service or from a post.
#[derive(Debug, Default)]
struct ServiceInput {
    texts: Vec<(&'static str, String)>,
    needs: BTreeSet<String>,
    spoken: Vec<String>,
    slots: Vec<Slot>,
    /// Language code → (name, description).
    translations: Vec<(String, String, String)>,
    locations: BTreeSet<String>,
    mark_verified: bool,
}

impl ServiceInput {
    fn text(&self, field: &str) -> &str {
        self.texts
            .iter()
            .find(|(f, _)| *f == field)
            .map_or("", |(_, v)| v.as_str())
    }

    fn from_service(service: &Map<String, Value>) -> Self {
        let str_of = |v: &Value, f: &str| v.get(f).and_then(Value::as_str).unwrap_or("").to_owned();
        let list = |key: &str| -> Vec<Value> {
            service
                .get(key)
                .and_then(Value::as_array)
                .cloned()
                .unwrap_or_default()
        };
        let object = Value::Object(service.clone());
        let texts = TEXT_FIELDS
            .iter()
            .map(|f| (*f, str_of(&object, f)))
            .collect();
        let needs = list("attributes")
            .iter()
            .filter(|a| a.get("link_type").and_then(Value::as_str) == Some("need"))
            .filter_map(|a| need_code(&str_of(a, "taxonomy_term_id")))
            .collect();
        let spoken = list("languages")
            .iter()
            .map(|l| str_of(l, "code"))
            .filter(|c| !c.is_empty())
            .collect();
        let slots = list("schedules")
            .iter()
            .filter(|s| is_weekly(s))
            .map(|s| Slot {
                id: str_of(s, "id"),
                days: str_of(s, "byday")
                    .split(',')
                    .map(|d| d.trim().to_owned())
                    .filter(|d| DAYS.contains(&d.as_str()))
                    .collect(),
                opens: hh_mm(&str_of(s, "opens_at")),
                closes: hh_mm(&str_of(s, "closes_at")),
                description: str_of(s, "description"),
            })
            .collect();
        let translations = list("translations")
            .iter()
            .map(|t| {
                (
                    str_of(t, "language"),
                    str_of(t, "name"),
                    str_of(t, "description"),
                )
            })
            .collect();
        let locations = list("service_at_locations")
            .iter()
            .map(|sal| str_of(sal, "location_id"))
            .filter(|l| !l.is_empty())
            .collect();
        ServiceInput {
            texts,
            needs,
            spoken,
            slots,
            translations,
            locations,
            mark_verified: false,
        }
    }

    fn from_post(posted: &Posted) -> Self {
        let texts = TEXT_FIELDS.iter().map(|f| (*f, posted.get(f))).collect();
        let mut spoken = posted.all("spoken");
        for code in posted.get("spoken_other").split([',', ' ']) {
            let code = code.trim().to_lowercase();
            if !code.is_empty() && !spoken.contains(&code) {
                spoken.push(code);
            }
        }
        let mut slots = Vec::new();
        for i in 0.. {
            let key = |part: &str| format!("slot-{i}-{part}");
            if !posted.has(&key("opens")) {
                break;
            }
            slots.push(Slot {
                id: posted.get(&key("id")),
                days: posted.all(&key("day")),
                opens: posted.get(&key("opens")),
                closes: posted.get(&key("closes")),
                description: posted.get(&key("description")),
            });
        }
        let translations = translation_languages()
            .map(|lang| {
                (
                    lang.to_owned(),
                    posted.get(&format!("tr-{lang}-name")),
                    posted.get(&format!("tr-{lang}-description")),
                )
            })
            .collect();
        ServiceInput {
            texts,
            needs: posted.all("need").into_iter().collect(),
            spoken,
            slots,
            translations,
            locations: posted.all("location").into_iter().collect(),
            mark_verified: posted.get("mark_verified") == "1",
        }
    }

    /// What a person must fix before anything is saved.
    fn check(&self, page: &Page, own_locations: &[Record]) -> Errors {
        let mut errors = Errors::default();
        if self.text("name").is_empty() {
            errors.add("name", page.t("ed-error-required"));
        }
        let email = self.text("email");
        if !email.is_empty() && !looks_like_email(email) {
            errors.add("email", page.t("ed-error-email"));
        }
        let url = self.text("url");
        let web_address = url.starts_with("https://") || url.starts_with("http://");
        if !url.is_empty() && !web_address {
            errors.add("url", page.t("ed-error-url"));
        }
        if !STATUSES.contains(&self.text("status")) {
            errors.add("status", page.t("ed-error-required"));
        }
        for code in &self.spoken {
            let valid =
                (2..=3).contains(&code.len()) && code.bytes().all(|b| b.is_ascii_lowercase());
            if !valid {
                errors.add(
                    "spoken_other",
                    page.ts("ed-error-language-code", "code", code),
                );
            }
        }
        for code in &self.needs {
            if taxonomy::term(code).is_none() {
                errors.add("", page.ts("ed-error-unknown-need", "code", code));
            }
        }
        for location in &self.locations {
            if !own_locations.iter().any(|l| &l.id == location) {
                errors.add("", page.t("ed-error-not-your-location"));
            }
        }
        for (i, slot) in self.slots.iter().enumerate() {
            if slot.is_blank() {
                continue;
            }
            let field = |part: &str| format!("slot-{i}-{part}");
            if slot.days.is_empty() || slot.days.iter().any(|d| !DAYS.contains(&d.as_str())) {
                errors.add(&field("days"), page.t("ed-error-slot-days"));
            }
            let opens = NaiveTime::parse_from_str(&slot.opens, "%H:%M");
            let closes = NaiveTime::parse_from_str(&slot.closes, "%H:%M");
            match (opens, closes) {
                (Ok(o), Ok(c)) if o < c => {}
                (Ok(_), Ok(_)) => errors.add(&field("closes"), page.t("ed-error-slot-order")),
                (o, c) => {
                    if o.is_err() {
                        errors.add(&field("opens"), page.t("ed-error-time"));
                    }
                    if c.is_err() {
                        errors.add(&field("closes"), page.t("ed-error-time"));
                    }
                }
            }
        }
        errors
    }

    /// Writes the form into the nested service, keeping ids and every field it does not show.
    fn apply_to(&self, service: &mut Map<String, Value>, today: &str) {
        let id = service
            .get("id")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_owned();
        for (field, value) in &self.texts {
            if value.is_empty() {
                service.remove(*field);
            } else {
                service.insert((*field).to_owned(), json!(value));
            }
        }
        if self.mark_verified {
            service.insert("assured_date".into(), json!(today));
        }
        // Parents are not the service's to rewrite.
        service.remove("organization");
        service.remove("program");

        let take = |service: &mut Map<String, Value>, key: &str| -> Vec<Value> {
            match service.remove(key) {
                Some(Value::Array(items)) => items,
                _ => Vec::new(),
            }
        };
        let str_of = |v: &Value, f: &str| v.get(f).and_then(Value::as_str).unwrap_or("").to_owned();

        let (mut needs, mut attributes): (Vec<Value>, Vec<Value>) = take(service, "attributes")
            .into_iter()
            .partition(|a| a.get("link_type").and_then(Value::as_str) == Some("need"));
        needs.retain(|a| {
            need_code(&str_of(a, "taxonomy_term_id")).is_some_and(|c| self.needs.contains(&c))
        });
        for code in &self.needs {
            let term_id = taxonomy::term_id(code);
            if !needs
                .iter()
                .any(|a| str_of(a, "taxonomy_term_id") == term_id)
            {
                needs.push(json!({
                    "id": new_id(),
                    "link_id": id,
                    "link_entity": "service",
                    "link_type": "need",
                    "taxonomy_term_id": term_id,
                }));
            }
        }
        attributes.extend(needs);
        service.insert("attributes".into(), Value::Array(attributes));

        let old_languages = take(service, "languages");
        let languages: Vec<Value> = self
            .spoken
            .iter()
            .map(|code| {
                old_languages
                    .iter()
                    .find(|l| str_of(l, "code") == *code)
                    .cloned()
                    .unwrap_or_else(|| {
                        json!({"id": new_id(), "service_id": id, "code": code, "name": language_name(code)})
                    })
            })
            .collect();
        service.insert("languages".into(), Value::Array(languages));

        let (old_weekly, mut schedules): (Vec<Value>, Vec<Value>) =
            take(service, "schedules").into_iter().partition(is_weekly);
        for slot in self.slots.iter().filter(|s| !s.is_blank()) {
            let mut row = old_weekly
                .iter()
                .find(|s| !slot.id.is_empty() && str_of(s, "id") == slot.id)
                .cloned()
                .unwrap_or_else(|| json!({"id": new_id(), "service_id": id}));
            row["freq"] = json!("WEEKLY");
            row["byday"] = json!(slot.days.join(","));
            row["opens_at"] = json!(format!("{}:00", slot.opens));
            row["closes_at"] = json!(format!("{}:00", slot.closes));
            match slot.description.as_str() {
                "" => {
                    if let Some(o) = row.as_object_mut() {
                        o.remove("description");
                    }
                }
                d => row["description"] = json!(d),
            }
            schedules.push(row);
        }
        service.insert("schedules".into(), Value::Array(schedules));

        let old_translations = take(service, "translations");
        let translations: Vec<Value> = self
            .translations
            .iter()
            .filter(|(_, name, description)| !name.is_empty() || !description.is_empty())
            .map(|(lang, name, description)| {
                let mut row = old_translations
                    .iter()
                    .find(|t| str_of(t, "language") == *lang)
                    .cloned()
                    .unwrap_or_else(|| {
                        json!({"id": new_id(), "link_id": id, "link_entity": "service", "language": lang})
                    });
                row["name"] = json!(name);
                row["description"] = json!(description);
                row
            })
            // Languages the form does not offer stay as they were.
            .chain(
                old_translations
                    .iter()
                    .filter(|t| !translation_languages().any(|l| l == str_of(t, "language")))
                    .cloned(),
            )
            .collect();
        service.insert("translations".into(), Value::Array(translations));

        let old_sals = take(service, "service_at_locations");
        let sals: Vec<Value> = self
            .locations
            .iter()
            .map(|location| {
                let mut sal = old_sals
                    .iter()
                    .find(|s| str_of(s, "location_id") == *location)
                    .cloned()
                    .unwrap_or_else(
                        || json!({"id": new_id(), "service_id": id, "location_id": location}),
                    );
                if let Some(o) = sal.as_object_mut() {
                    o.remove("location");
                }
                sal
            })
            .collect();
        service.insert("service_at_locations".into(), Value::Array(sals));
    }
}

impl Slot {
    fn is_blank(&self) -> bool {
        self.days.is_empty()
            && self.opens.is_empty()
            && self.closes.is_empty()
            && self.description.is_empty()
    }
}

fn is_weekly(schedule: &Value) -> bool {
    let freq = schedule.get("freq").and_then(Value::as_str).unwrap_or("");
    freq.eq_ignore_ascii_case("weekly")
        && schedule.get("byday").and_then(Value::as_str).is_some()
        && schedule.get("opens_at").and_then(Value::as_str).is_some()
}

/// `09:00:00` or `09:00` as `09:00`.
fn hh_mm(time: &str) -> String {
    time.get(..5).unwrap_or(time).to_owned()
}

fn need_code(term_id: &str) -> Option<String> {
    taxonomy::needs_taxonomy()
        .iter()
        .find(|t| t.id() == term_id)
        .map(|t| t.code.clone())
}

fn new_id() -> String {
    uuid::Uuid::new_v4().to_string()
}

fn looks_like_email(email: &str) -> bool {
    match email.split_once('@') {
        Some((user, domain)) => {
            !user.is_empty()
                && domain.contains('.')
                && !domain.starts_with('.')
                && !email.contains(' ')
        }
        None => false,
    }
}

/// The languages translations are edited in: every interface language but Italian, the
/// directory's base language.
fn translation_languages() -> impl Iterator<Item = &'static str> {
    crocevia_i18n::LANGUAGES
        .iter()
        .map(|l| l.code)
        .filter(|c| *c != taxonomy::BASE_LANGUAGE)
}

// --- the page ---------------------------------------------------------------------------------

pub struct TextInput {
    pub name: &'static str,
    pub label: String,
    pub hint: String,
    pub value: String,
    pub error: String,
    /// `text`, `email`, `url` or `textarea`.
    pub kind: &'static str,
    pub required: bool,
}

pub struct Choice {
    pub value: String,
    pub label: String,
    pub checked: bool,
}

pub struct ChoiceGroup {
    pub label: String,
    pub choices: Vec<Choice>,
}

pub struct SlotRow {
    pub index: usize,
    /// `index + 1`, as people count.
    pub number: u64,
    pub id: String,
    pub days: Vec<Choice>,
    pub opens: String,
    pub closes: String,
    pub description: String,
    pub days_error: String,
    pub opens_error: String,
    pub closes_error: String,
}

pub struct TranslationRow {
    pub lang: &'static str,
    pub language_name: String,
    pub dir: &'static str,
    pub name: String,
    pub description: String,
}

#[derive(Template)]
#[template(path = "backoffice_service_edit.html")]
struct EditTemplate {
    page: Page,
    csrf: String,
    role: Role,
    heading: String,
    action: String,
    public_url: String,
    saved: bool,
    errors: Vec<super::form::FieldError>,
    texts: Vec<TextInput>,
    statuses: Vec<Choice>,
    need_groups: Vec<ChoiceGroup>,
    spoken: Vec<Choice>,
    spoken_other: String,
    spoken_error: String,
    slots: Vec<SlotRow>,
    /// Opening hours the form cannot edit (monthly…), kept as they are.
    other_hours: Vec<String>,
    translations: Vec<TranslationRow>,
    locations: Vec<Choice>,
}

struct Context<'a> {
    page: Page,
    user: &'a CurrentUser,
    action: String,
    public_url: String,
    saved: bool,
    own_locations: &'a [Record],
    other_hours: Vec<String>,
}

fn edit_page(
    ctx: Context<'_>,
    input: &ServiceInput,
    errors: &Errors,
    status: StatusCode,
) -> Response {
    let page = ctx.page;
    let label = |field: &str| match field {
        "name" => page.t("ed-service-name"),
        "alternate_name" => page.t("ed-service-alternate-name"),
        "description" => page.t("ed-service-description"),
        "eligibility_description" => page.t("ed-service-eligibility"),
        "application_process" => page.t("ed-service-application"),
        "fees_description" => page.t("ed-service-fees"),
        "url" => page.t("ed-service-url"),
        "email" => page.t("ed-service-email"),
        _ => String::new(),
    };
    let hint = |field: &str| match field {
        "description" => page.t("ed-service-description-hint"),
        "fees_description" => page.t("ed-service-fees-hint"),
        "url" => page.t("ed-service-url-hint"),
        _ => String::new(),
    };
    let texts = TEXT_FIELDS
        .iter()
        .filter(|f| **f != "status")
        .map(|f| TextInput {
            name: f,
            label: label(f),
            hint: hint(f),
            value: input.text(f).to_owned(),
            error: errors.of(f),
            kind: match *f {
                "url" => "url",
                "email" => "email",
                "description"
                | "eligibility_description"
                | "application_process"
                | "fees_description" => "textarea",
                _ => "text",
            },
            required: *f == "name",
        })
        .collect();
    let statuses = STATUSES
        .iter()
        .map(|s| Choice {
            value: (*s).to_owned(),
            label: match *s {
                "active" => page.t("bo-status-active"),
                "inactive" => page.t("bo-status-inactive"),
                "defunct" => page.t("bo-status-defunct"),
                _ => page.t("bo-status-temporarily-closed"),
            },
            checked: input.text("status") == *s,
        })
        .collect();
    let terms = taxonomy::needs_taxonomy();
    let need_groups = terms
        .iter()
        .filter(|t| t.parent.is_none())
        .map(|top| ChoiceGroup {
            label: top.label(page.lang).name.clone(),
            choices: std::iter::once(top)
                .chain(
                    terms
                        .iter()
                        .filter(|t| t.parent.as_deref() == Some(&top.code)),
                )
                .map(|t| Choice {
                    value: t.code.clone(),
                    label: if t.code == top.code {
                        page.t("ed-need-general")
                    } else {
                        t.label(page.lang).name.clone()
                    },
                    checked: input.needs.contains(&t.code),
                })
                .collect(),
        })
        .collect();
    let spoken = COMMON_LANGUAGES
        .iter()
        .map(|code| Choice {
            value: (*code).to_owned(),
            label: language_name(code),
            checked: input.spoken.iter().any(|s| s == code),
        })
        .collect();
    let spoken_other = input
        .spoken
        .iter()
        .filter(|c| !COMMON_LANGUAGES.contains(&c.as_str()))
        .cloned()
        .collect::<Vec<_>>()
        .join(", ");
    let day_label = |d: &str| match d {
        "MO" => page.t("day-mo"),
        "TU" => page.t("day-tu"),
        "WE" => page.t("day-we"),
        "TH" => page.t("day-th"),
        "FR" => page.t("day-fr"),
        "SA" => page.t("day-sa"),
        _ => page.t("day-su"),
    };
    let blank = Slot::default();
    let slots = input
        .slots
        .iter()
        .filter(|s| !s.is_blank())
        .chain(std::iter::repeat_n(&blank, BLANK_SCHEDULE_ROWS))
        .enumerate()
        .map(|(index, slot)| SlotRow {
            index,
            number: index as u64 + 1,
            id: slot.id.clone(),
            days: DAYS
                .iter()
                .map(|d| Choice {
                    value: (*d).to_owned(),
                    label: day_label(d),
                    checked: slot.days.iter().any(|s| s == d),
                })
                .collect(),
            opens: slot.opens.clone(),
            closes: slot.closes.clone(),
            description: slot.description.clone(),
            days_error: errors.of(&format!("slot-{index}-days")),
            opens_error: errors.of(&format!("slot-{index}-opens")),
            closes_error: errors.of(&format!("slot-{index}-closes")),
        })
        .collect();
    let translations = translation_languages()
        .map(|lang| {
            let (name, description) = input
                .translations
                .iter()
                .find(|(l, _, _)| l == lang)
                .map(|(_, n, d)| (n.clone(), d.clone()))
                .unwrap_or_default();
            TranslationRow {
                lang,
                language_name: language_name(lang),
                dir: crocevia_i18n::direction(lang),
                name,
                description,
            }
        })
        .collect();
    let locations = ctx
        .own_locations
        .iter()
        .map(|l| Choice {
            value: l.id.clone(),
            label: l.text("name").unwrap_or(&l.id).to_owned(),
            checked: input.locations.contains(&l.id),
        })
        .collect();
    let heading = if input.text("name").is_empty() {
        page.t("ed-service-new-title")
    } else {
        page.ts("ed-service-edit-title", "name", input.text("name"))
    };
    let mut page = page;
    page.title = heading.clone();
    // Errors of the slot rows are numbered as shown; the summary links to them.
    let template = EditTemplate {
        csrf: ctx.user.session.csrf_token.clone(),
        role: ctx.user.account.role,
        heading,
        action: ctx.action,
        public_url: ctx.public_url,
        saved: ctx.saved,
        errors: errors.0.clone(),
        texts,
        statuses,
        need_groups,
        spoken,
        spoken_other,
        spoken_error: errors.of("spoken_other"),
        slots,
        other_hours: ctx.other_hours,
        translations,
        locations,
        page,
    };
    (status, render(&template)).into_response()
}

/// The organisation's locations, by name.
async fn own_locations(state: &AppState, org: &str) -> Result<Vec<Record>, AppError> {
    let mut locations: Vec<Record> = all_rows(state.store.as_ref(), "location", Some(org))
        .await?
        .into_iter()
        .filter(|l| l.text("organization_id") == Some(org))
        .collect();
    locations.sort_by(|a, b| a.text("name").cmp(&b.text("name")));
    Ok(locations)
}

/// The service nested, if it exists and belongs to the user's organisation.
async fn own_service(
    state: &AppState,
    user: &CurrentUser,
    id: &str,
) -> Result<Option<Map<String, Value>>, AppError> {
    let Some(service) = state
        .store
        .get("service", id)
        .await?
        .filter(|s| s.text("organization_id") == Some(user.account.organization_id.as_str()))
    else {
        return Ok(None);
    };
    let rows = load_nested(state.store.as_ref(), vec![service.clone()]).await?;
    Ok(Some(RecordIndex::new(&rows).assemble(&service)))
}

fn other_hours(service: &Map<String, Value>) -> Vec<String> {
    service
        .get("schedules")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter(|s| !is_weekly(s))
        .map(|s| {
            s.get("description")
                .and_then(Value::as_str)
                .map(str::to_owned)
                .unwrap_or_else(|| {
                    let f = |k: &str| s.get(k).and_then(Value::as_str).unwrap_or("");
                    format!(
                        "{} {} {}–{}",
                        f("freq"),
                        f("byday"),
                        hh_mm(f("opens_at")),
                        hh_mm(f("closes_at"))
                    )
                })
        })
        .collect()
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct SavedFlag {
    saved: Option<String>,
}

impl SavedFlag {
    /// Whether the page follows a successful save (`?saved=1`).
    pub fn is_saved(&self) -> bool {
        self.saved.is_some()
    }
}

/// `GET /{lang}/backoffice/services/{id}/edit`.
pub async fn edit_form(
    State(state): State<AppState>,
    Path((_, id)): Path<(String, String)>,
    Query(flag): Query<SavedFlag>,
    Editor { language, user, .. }: Editor,
) -> Result<Response, AppError> {
    let Some(service) = own_service(&state, &user, &id).await? else {
        return Ok(Denied::NotFound.page(language));
    };
    let locations = own_locations(&state, &user.account.organization_id).await?;
    let ctx = Context {
        page: Page::new(language, format!("/backoffice/services/{id}/edit")),
        user: &user,
        action: format!("/{}/backoffice/services/{id}/edit", language.code),
        public_url: format!("/{}/services/{id}", language.code),
        saved: flag.is_saved(),
        own_locations: &locations,
        other_hours: other_hours(&service),
    };
    Ok(edit_page(
        ctx,
        &ServiceInput::from_service(&service),
        &Errors::default(),
        StatusCode::OK,
    ))
}

/// `GET /{lang}/backoffice/services/new`.
pub async fn new_form(
    State(state): State<AppState>,
    Editor { language, user, .. }: Editor,
) -> Result<Response, AppError> {
    let locations = own_locations(&state, &user.account.organization_id).await?;
    let input = ServiceInput {
        texts: TEXT_FIELDS
            .iter()
            .map(|f| (*f, if *f == "status" { "active" } else { "" }.to_owned()))
            .collect(),
        spoken: vec!["it".to_owned()],
        ..ServiceInput::default()
    };
    let ctx = Context {
        page: Page::new(language, "/backoffice/services/new"),
        user: &user,
        action: format!("/{}/backoffice/services/new", language.code),
        public_url: String::new(),
        saved: false,
        own_locations: &locations,
        other_hours: Vec::new(),
    };
    Ok(edit_page(ctx, &input, &Errors::default(), StatusCode::OK))
}

/// `POST /{lang}/backoffice/services/{id}/edit`.
pub async fn save(
    State(state): State<AppState>,
    Path((_, id)): Path<(String, String)>,
    Editor { language, user, .. }: Editor,
    CsrfForm(posted): CsrfForm,
) -> Result<Response, AppError> {
    let Some(service) = own_service(&state, &user, &id).await? else {
        return Ok(Denied::NotFound.page(language));
    };
    store_service(&state, language, &user, Some(service), &posted).await
}

/// `POST /{lang}/backoffice/services/new`.
pub async fn create(
    State(state): State<AppState>,
    Editor { language, user, .. }: Editor,
    CsrfForm(posted): CsrfForm,
) -> Result<Response, AppError> {
    store_service(&state, language, &user, None, &posted).await
}

async fn store_service(
    state: &AppState,
    language: &'static crocevia_i18n::Language,
    user: &CurrentUser,
    existing: Option<Map<String, Value>>,
    posted: &Posted,
) -> Result<Response, AppError> {
    let org = user.account.organization_id.as_str();
    let locations = own_locations(state, org).await?;
    let input = ServiceInput::from_post(posted);
    let is_new = existing.is_none();
    let mut service = existing.unwrap_or_else(|| {
        let mut new = Map::new();
        new.insert("id".into(), json!(new_id()));
        new.insert("organization_id".into(), json!(org));
        new
    });
    let id = service
        .get("id")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_owned();
    let page = Page::new(
        language,
        if is_new {
            "/backoffice/services/new".to_owned()
        } else {
            format!("/backoffice/services/{id}/edit")
        },
    );
    let other = other_hours(&service);
    let ctx = |page: Page| Context {
        page,
        user,
        action: if is_new {
            format!("/{}/backoffice/services/new", language.code)
        } else {
            format!("/{}/backoffice/services/{id}/edit", language.code)
        },
        public_url: if is_new {
            String::new()
        } else {
            format!("/{}/services/{id}", language.code)
        },
        saved: false,
        own_locations: &locations,
        other_hours: other.clone(),
    };
    let errors = input.check(&page, &locations);
    if !errors.is_empty() {
        return Ok(edit_page(
            ctx(page),
            &input,
            &errors,
            StatusCode::UNPROCESSABLE_ENTITY,
        ));
    }
    let today = state
        .clock
        .now()
        .date_naive()
        .format("%Y-%m-%d")
        .to_string();
    input.apply_to(&mut service, &today);
    let actor = format!("account:{}", user.account.id);
    let replace = (!is_new).then_some(id.as_str());
    match save_nested(
        state,
        "service",
        Value::Object(service),
        org,
        &actor,
        replace,
    )
    .await
    {
        Ok(_) => {
            tracing::info!(account = %user.account.id, service = %id, created = is_new, "service saved in the back office");
            Ok(Redirect::to(&format!(
                "/{}/backoffice/services/{id}/edit?saved=1",
                language.code
            ))
            .into_response())
        }
        Err(e) if !e.problems.is_empty() => {
            let errors = Errors::from_problems(&e.problems, |path, field| {
                (path.is_empty() && TEXT_FIELDS.contains(&field)).then(|| field.to_owned())
            });
            Ok(edit_page(
                ctx(page),
                &input,
                &errors,
                StatusCode::UNPROCESSABLE_ENTITY,
            ))
        }
        Err(e) => Err(e),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_form_keeps_what_it_does_not_show_and_ids_it_does() {
        let mut service = json!({
            "id": "s1", "organization_id": "o1", "name": "Sportello",
            "organization": {"id": "o1", "name": "Comune"},
            "phones": [{"id": "p1", "service_id": "s1", "number": "06 1234"}],
            "languages": [{"id": "l1", "service_id": "s1", "code": "it", "name": "Italiano"}],
            "schedules": [
                {"id": "h1", "service_id": "s1", "freq": "WEEKLY", "byday": "MO,TU", "opens_at": "09:00:00", "closes_at": "12:00:00"},
                {"id": "h2", "service_id": "s1", "freq": "MONTHLY", "byday": "2TH", "opens_at": "10:00:00", "closes_at": "13:00:00"}
            ],
            "attributes": [{"id": "a1", "link_id": "s1", "link_entity": "service", "link_type": "other", "value": "x"}],
            "translations": [{"id": "t1", "link_id": "s1", "link_entity": "service", "language": "en", "name": "Desk", "description": ""}]
        }).as_object().cloned().unwrap();
        let mut input = ServiceInput::from_service(&service);
        assert_eq!(input.slots.len(), 1, "only weekly hours are editable");
        assert_eq!(input.slots[0].opens, "09:00");
        input.spoken.push("ar".into());
        input.slots[0].closes = "13:00".into();
        input.needs.insert("health".into());
        input.translations[0].2 = "A desk".into();
        input.apply_to(&mut service, "2026-12-04");
        let v = Value::Object(service);
        assert!(v.get("organization").is_none());
        assert_eq!(v["phones"][0]["id"], "p1");
        assert_eq!(v["languages"][0]["id"], "l1");
        assert_eq!(v["languages"][1]["code"], "ar");
        let schedules = v["schedules"].as_array().unwrap();
        assert_eq!(schedules.len(), 2, "the monthly slot is kept");
        let weekly = schedules.iter().find(|s| s["id"] == "h1").unwrap();
        assert_eq!(weekly["closes_at"], "13:00:00");
        let attributes = v["attributes"].as_array().unwrap();
        assert!(attributes.iter().any(|a| a["id"] == "a1"));
        assert!(
            attributes
                .iter()
                .any(|a| a["taxonomy_term_id"] == taxonomy::term_id("health"))
        );
        assert_eq!(v["translations"][0]["id"], "t1");
        assert_eq!(v["translations"][0]["description"], "A desk");
    }
}
