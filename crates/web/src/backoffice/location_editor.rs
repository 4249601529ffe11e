//! Editors keep their organisation's locations: name, address, the comune (typed by name,
//! resolved to its ISTAT code so search and distances use it), coordinates, and whether the
//! address is confidential (shelters: the public sees "address given on contact").

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use crocevia_core::access::Role;
use crocevia_core::hsds::nested::RecordIndex;
use crocevia_core::territory::Comune;
use crocevia_store::load_nested;
use serde_json::{Map, Value, json};

use super::all_rows;
use super::form::{Errors, FieldError};
use super::service_editor::{SavedFlag, TextInput};
use crate::auth::CurrentUser;
use crate::error::AppError;
use crate::kit::Posted;
use crate::kit::{CsrfForm, Denied, Editor};
use crate::kit::{Page, render};
use crate::write_api::save_nested;
use crate::{AppState, territories};

/// The form's fields, in the order shown.
const FIELDS: [&str; 7] = [
    "name",
    "description",
    "address_1",
    "postal_code",
    "comune",
    "latitude",
    "longitude",
];

/// Latitude and longitude, in degrees.
type Coordinates = (f64, f64);

struct LocationInput {
    values: Vec<(&'static str, String)>,
    confidential: bool,
}

impl LocationInput {
    fn get(&self, field: &str) -> &str {
        self.values
            .iter()
            .find(|(f, _)| *f == field)
            .map_or("", |(_, v)| v.as_str())
    }

    fn from_location(location: &Map<String, Value>) -> Self {
        let text = |v: &Map<String, Value>, f: &str| {
            v.get(f).and_then(Value::as_str).unwrap_or("").to_owned()
        };
        let address = location
            .get("addresses")
            .and_then(Value::as_array)
            .and_then(|a| a.first())
            .and_then(Value::as_object)
            .cloned()
            .unwrap_or_default();
        let comune = istat_code(location)
            .and_then(|code| territories().comune(&code))
            .map(comune_label)
            .unwrap_or_else(|| text(&address, "city"));
        let number = |f: &str| match location.get(f) {
            Some(Value::Number(n)) => n.to_string(),
            Some(Value::String(s)) => s.clone(),
            _ => String::new(),
        };
        let values = FIELDS
            .iter()
            .map(|f| {
                let value = match *f {
                    "name" | "description" => text(location, f),
                    "address_1" | "postal_code" => text(&address, f),
                    "comune" => comune.clone(),
                    _ => number(f),
                };
                (*f, value)
            })
            .collect();
        LocationInput {
            values,
            confidential: location.get("confidential") == Some(&Value::Bool(true)),
        }
    }

    fn from_post(posted: &Posted) -> Self {
        LocationInput {
            values: FIELDS.iter().map(|f| (*f, posted.get(f))).collect(),
            confidential: posted.get("confidential") == "1",
        }
    }

    /// The comune and the coordinates, or what to fix.
    fn check(&self, page: &Page) -> Result<(&'static Comune, Option<Coordinates>), Errors> {
        let mut errors = Errors::default();
        if self.get("name").is_empty() {
            errors.add("name", page.t("ed-error-required"));
        }
        let comune = comune_or_error(self.get("comune"), page, &mut errors);
        let postal = self.get("postal_code");
        let valid_postal = postal.len() == 5 && postal.bytes().all(|b| b.is_ascii_digit());
        if !postal.is_empty() && !valid_postal {
            errors.add("postal_code", page.t("ed-error-postal-code"));
        }
        let coordinate = |field: &str, range: std::ops::RangeInclusive<f64>| {
            let text = self.get(field).replace(',', ".");
            if text.is_empty() {
                return Ok(None);
            }
            match text.parse::<f64>() {
                Ok(v) if range.contains(&v) => Ok(Some(v)),
                _ => Err(()),
            }
        };
        let latitude = coordinate("latitude", 35.0..=48.0);
        let longitude = coordinate("longitude", 6.0..=19.0);
        if latitude.is_err() {
            errors.add("latitude", page.t("ed-error-coordinates"));
        }
        if longitude.is_err() {
            errors.add("longitude", page.t("ed-error-coordinates"));
        }
        let point = match (latitude, longitude) {
            (Ok(Some(lat)), Ok(Some(lon))) => Some((lat, lon)),
            (Ok(None), Ok(None)) => None,
            (Ok(_), Ok(_)) => {
                errors.add("longitude", page.t("ed-error-coordinates-both"));
                None
            }
            _ => None,
        };
        match comune {
            Some(c) if errors.is_empty() => Ok((c, point)),
            _ => Err(errors),
        }
    }

    /// Writes the form into the nested location, keeping what it does not show.
    fn apply_to(
        &self,
        location: &mut Map<String, Value>,
        comune: &Comune,
        point: Option<Coordinates>,
    ) {
        let id = location
            .get("id")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_owned();
        let set = |map: &mut Map<String, Value>, field: &str, value: &str| {
            if value.is_empty() {
                map.remove(field);
            } else {
                map.insert(field.to_owned(), json!(value));
            }
        };
        set(location, "name", self.get("name"));
        set(location, "description", self.get("description"));
        location.insert("location_type".into(), json!("physical"));
        location.insert("confidential".into(), json!(self.confidential));
        location.insert("external_identifier".into(), json!(comune.code));
        location.insert("external_identifier_type".into(), json!("istat"));
        match point {
            Some((lat, lon)) => {
                location.insert("latitude".into(), json!(lat));
                location.insert("longitude".into(), json!(lon));
            }
            None => {
                location.remove("latitude");
                location.remove("longitude");
            }
        }
        location.remove("organization");
        let mut addresses = match location.remove("addresses") {
            Some(Value::Array(a)) => a,
            _ => Vec::new(),
        };
        if addresses.is_empty() {
            addresses.push(json!({"id": uuid::Uuid::new_v4().to_string(), "location_id": id, "address_type": "physical", "country": "IT"}));
        }
        if let Some(address) = addresses[0].as_object_mut() {
            set(address, "address_1", self.get("address_1"));
            set(address, "postal_code", self.get("postal_code"));
            address.insert("city".into(), json!(comune.name));
            let province = territories()
                .province(&comune.province_code)
                .map_or("", |p| p.abbreviation.as_str());
            set(address, "state_province", province);
            address.entry("country").or_insert(json!("IT"));
            address.entry("address_type").or_insert(json!("physical"));
        }
        location.insert("addresses".into(), Value::Array(addresses));
    }
}

fn istat_code(location: &Map<String, Value>) -> Option<String> {
    let kind = location.get("external_identifier_type")?.as_str()?;
    kind.eq_ignore_ascii_case("istat")
        .then(|| {
            location
                .get("external_identifier")?
                .as_str()
                .map(str::to_owned)
        })
        .flatten()
}

/// `L'Aquila (AQ)`: how Italians tell comuni of the same name apart.
pub(crate) fn comune_label(comune: &Comune) -> String {
    match territories().province(&comune.province_code) {
        Some(p) => format!("{} ({})", comune.name, p.abbreviation),
        None => comune.name.clone(),
    }
}

/// The comune a person typed in the form's `comune` field, or the error saying why not (none
/// by that name, or several: then which ones).
pub(crate) fn comune_or_error(
    typed: &str,
    page: &Page,
    errors: &mut Errors,
) -> Option<&'static Comune> {
    match resolve_comune(typed) {
        Resolved::One(c) => Some(c),
        Resolved::None => {
            errors.add("comune", page.t("ed-error-comune-unknown"));
            None
        }
        Resolved::Several(list) => {
            let names: Vec<String> = list.iter().map(|c| comune_label(c)).collect();
            errors.add(
                "comune",
                page.ts("ed-error-comune-ambiguous", "choices", &names.join(", ")),
            );
            None
        }
    }
}

enum Resolved {
    One(&'static Comune),
    None,
    Several(Vec<&'static Comune>),
}

/// A comune from what a person typed: an ISTAT code, a name, or a name with the province's
/// abbreviation in brackets.
fn resolve_comune(typed: &str) -> Resolved {
    let typed = typed.trim();
    let t = territories();
    if typed.len() == 6 && typed.bytes().all(|b| b.is_ascii_digit()) {
        return t.comune(typed).map_or(Resolved::None, Resolved::One);
    }
    let (name, province) = match typed.rsplit_once('(') {
        Some((name, rest)) => (name.trim(), rest.trim_end_matches(')').trim()),
        None => (typed, ""),
    };
    let mut found = t.comuni_by_name(name);
    if !province.is_empty() {
        found.retain(|c| {
            t.province(&c.province_code)
                .is_some_and(|p| p.abbreviation.eq_ignore_ascii_case(province))
        });
    }
    match found.len() {
        0 => Resolved::None,
        1 => Resolved::One(found[0]),
        _ => Resolved::Several(found),
    }
}

#[derive(Template)]
#[template(path = "backoffice_location_edit.html")]
struct EditTemplate {
    page: Page,
    csrf: String,
    role: Role,
    heading: String,
    action: String,
    saved: bool,
    errors: Vec<FieldError>,
    texts: Vec<TextInput>,
    confidential: bool,
}

fn edit_page(
    mut page: Page,
    user: &CurrentUser,
    action: String,
    saved: bool,
    input: &LocationInput,
    errors: &Errors,
    status: StatusCode,
) -> Response {
    let texts = FIELDS
        .iter()
        .map(|f| TextInput {
            name: f,
            label: match *f {
                "name" => page.t("ed-location-name"),
                "description" => page.t("ed-location-description"),
                "address_1" => page.t("ed-location-address"),
                "postal_code" => page.t("ed-location-postal-code"),
                "comune" => page.t("ed-location-comune"),
                "latitude" => page.t("ed-location-latitude"),
                _ => page.t("ed-location-longitude"),
            },
            hint: match *f {
                "comune" => page.t("ed-location-comune-hint"),
                "latitude" => page.t("ed-location-coordinates-hint"),
                _ => String::new(),
            },
            value: input.get(f).to_owned(),
            error: errors.of(f),
            kind: if *f == "description" {
                "textarea"
            } else {
                "text"
            },
            required: matches!(*f, "name" | "comune"),
        })
        .collect();
    let heading = if input.get("name").is_empty() {
        page.t("ed-location-new")
    } else {
        page.ts("ed-location-edit-title", "name", input.get("name"))
    };
    page.title = heading.clone();
    let template = EditTemplate {
        page,
        csrf: user.session.csrf_token.clone(),
        role: user.account.role,
        heading,
        action,
        saved,
        errors: errors.0.clone(),
        texts,
        confidential: input.confidential,
    };
    (status, render(&template)).into_response()
}

async fn own_location(
    state: &AppState,
    user: &CurrentUser,
    id: &str,
) -> Result<Option<Map<String, Value>>, AppError> {
    let Some(location) = state
        .store
        .get("location", id)
        .await?
        .filter(|l| l.text("organization_id") == Some(user.account.organization_id.as_str()))
    else {
        return Ok(None);
    };
    let rows = load_nested(state.store.as_ref(), vec![location.clone()]).await?;
    Ok(Some(RecordIndex::new(&rows).assemble(&location)))
}

pub struct LocationRow {
    pub name: String,
    pub place: String,
    pub confidential: bool,
    pub edit_url: String,
}

#[derive(Template)]
#[template(path = "backoffice_locations.html")]
struct ListTemplate {
    page: Page,
    csrf: String,
    role: Role,
    locations: Vec<LocationRow>,
}

/// `GET /{lang}/backoffice/locations`.
pub async fn list(
    State(state): State<AppState>,
    Editor { language, user, .. }: Editor,
) -> Result<Response, AppError> {
    let org = user.account.organization_id.as_str();
    let mut page = Page::new(language, "/backoffice/locations");
    page.title = page.t("ed-locations-title");
    let mut locations: Vec<LocationRow> = all_rows(state.store.as_ref(), "location", Some(org))
        .await?
        .into_iter()
        .filter(|l| l.text("organization_id") == Some(org))
        .map(|l| {
            let object = l.to_json_object();
            LocationRow {
                name: l.text("name").unwrap_or(&l.id).to_owned(),
                place: istat_code(&object)
                    .and_then(|c| territories().comune(&c))
                    .map(comune_label)
                    .unwrap_or_default(),
                confidential: object.get("confidential") == Some(&Value::Bool(true)),
                edit_url: format!("/{}/backoffice/locations/{}/edit", language.code, l.id),
            }
        })
        .collect();
    locations.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(render(&ListTemplate {
        page,
        csrf: user.session.csrf_token.clone(),
        role: user.account.role,
        locations,
    }))
}

/// `GET /{lang}/backoffice/locations/{id}/edit`.
pub async fn edit_form(
    State(state): State<AppState>,
    Path((_, id)): Path<(String, String)>,
    Query(flag): Query<SavedFlag>,
    Editor { language, user, .. }: Editor,
) -> Result<Response, AppError> {
    let Some(location) = own_location(&state, &user, &id).await? else {
        return Ok(Denied::NotFound.page(language));
    };
    Ok(edit_page(
        Page::new(language, format!("/backoffice/locations/{id}/edit")),
        &user,
        format!("/{}/backoffice/locations/{id}/edit", language.code),
        flag.is_saved(),
        &LocationInput::from_location(&location),
        &Errors::default(),
        StatusCode::OK,
    ))
}

/// `GET /{lang}/backoffice/locations/new`.
pub async fn new_form(Editor { language, user, .. }: Editor) -> Result<Response, AppError> {
    Ok(edit_page(
        Page::new(language, "/backoffice/locations/new"),
        &user,
        format!("/{}/backoffice/locations/new", language.code),
        false,
        &LocationInput::from_location(&Map::new()),
        &Errors::default(),
        StatusCode::OK,
    ))
}

/// `POST /{lang}/backoffice/locations/{id}/edit`.
pub async fn save(
    State(state): State<AppState>,
    Path((_, id)): Path<(String, String)>,
    Editor { language, user, .. }: Editor,
    CsrfForm(posted): CsrfForm,
) -> Result<Response, AppError> {
    let Some(location) = own_location(&state, &user, &id).await? else {
        return Ok(Denied::NotFound.page(language));
    };
    store_location(&state, language, &user, Some(location), &posted).await
}

/// `POST /{lang}/backoffice/locations/new`.
pub async fn create(
    State(state): State<AppState>,
    Editor { language, user, .. }: Editor,
    CsrfForm(posted): CsrfForm,
) -> Result<Response, AppError> {
    store_location(&state, language, &user, None, &posted).await
}

async fn store_location(
    state: &AppState,
    language: &'static crocevia_i18n::Language,
    user: &CurrentUser,
    existing: Option<Map<String, Value>>,
    posted: &Posted,
) -> Result<Response, AppError> {
    let org = user.account.organization_id.as_str();
    let is_new = existing.is_none();
    let mut location = existing.unwrap_or_else(|| {
        let mut new = Map::new();
        new.insert("id".into(), json!(uuid::Uuid::new_v4().to_string()));
        new.insert("organization_id".into(), json!(org));
        new
    });
    let id = location
        .get("id")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_owned();
    let (path, action) = if is_new {
        (
            "/backoffice/locations/new".to_owned(),
            format!("/{}/backoffice/locations/new", language.code),
        )
    } else {
        (
            format!("/backoffice/locations/{id}/edit"),
            format!("/{}/backoffice/locations/{id}/edit", language.code),
        )
    };
    let page = Page::new(language, path.clone());
    let input = LocationInput::from_post(posted);
    let (comune, point) = match input.check(&page) {
        Ok(found) => found,
        Err(errors) => {
            return Ok(edit_page(
                page,
                user,
                action,
                false,
                &input,
                &errors,
                StatusCode::UNPROCESSABLE_ENTITY,
            ));
        }
    };
    input.apply_to(&mut location, comune, point);
    let actor = format!("account:{}", user.account.id);
    let replace = (!is_new).then_some(id.as_str());
    match save_nested(
        state,
        "location",
        Value::Object(location),
        org,
        &actor,
        replace,
    )
    .await
    {
        Ok(_) => {
            tracing::info!(account = %user.account.id, location = %id, created = is_new, "location saved in the back office");
            Ok(Redirect::to(&format!(
                "/{}/backoffice/locations/{id}/edit?saved=1",
                language.code
            ))
            .into_response())
        }
        Err(e) if !e.problems.is_empty() => {
            let errors = Errors::from_problems(&e.problems, |path, field| {
                (path.is_empty() && FIELDS.contains(&field)).then(|| field.to_owned())
            });
            Ok(edit_page(
                page,
                user,
                action,
                false,
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
    fn a_comune_is_found_by_code_name_or_name_and_province() {
        assert!(matches!(resolve_comune("066049"), Resolved::One(c) if c.name == "L'Aquila"));
        assert!(matches!(resolve_comune("l'aquila"), Resolved::One(c) if c.code == "066049"));
        // Two comuni are called Samone (TO and TN).
        assert!(matches!(resolve_comune("Samone"), Resolved::Several(list) if list.len() == 2));
        assert!(
            matches!(resolve_comune("Samone (TN)"), Resolved::One(c) if c.province_code == "022")
        );
        assert!(matches!(resolve_comune("Atlantide"), Resolved::None));
    }
}
