//! Contacts at the desk: the desk's home (find a person again, recent contacts, notices), a
//! new contact, a contact's page (facts, consents, needs, referrals), and the person's rights:
//! export of everything held and erasure.

use std::collections::HashMap;

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use chrono::Datelike;
use crocevia_core::access::Role;
use crocevia_core::desk::contact::reference_code;
use crocevia_core::desk::{
    AgeBand, ConsentRecord, Contact, ContactFacts, Need, PersonalDetails, Purpose, Referral,
    ReferralState, Sex, Urgency, consent_holds,
};
use crocevia_core::taxonomy::TermCode;
use crocevia_core::territory::countries;
use crocevia_store::StoreError;
use crocevia_store::desk::Direction;
use serde::Deserialize;

use super::{Choice, DeskUser, Labels, NeedGroup, need_groups};
use crate::AppState;
use crate::auth::CurrentUser;
use crate::backoffice::form::{Errors, FieldError};
use crate::backoffice::location_editor::{comune_label, comune_or_error};
use crate::error::{AppError, ErrorCode};
use crate::kit::Posted;
use crate::kit::{CsrfForm, Denied};
use crate::kit::{Page, render};

/// Languages offered as checkboxes (the most spoken among the people the network serves);
/// others are typed as codes.
/// Recent referrals looked through to name the notices' services and organisations.
const NOTICE_LOOKUP: u32 = 500;

const SPOKEN: [&str; 20] = [
    "it", "en", "fr", "ar", "es", "uk", "ru", "ro", "sq", "ur", "bn", "pa", "zh", "wo", "ti", "so",
    "fa", "ps", "tr", "pt",
];

/// A contact in a list.
pub struct ContactRow {
    pub url: String,
    pub reference: String,
    /// Empty in lists that show no personal details.
    pub name: String,
    pub summary: String,
    pub last_activity: String,
}

fn contact_row(page: &Page, labels: &Labels<'_>, c: &Contact) -> ContactRow {
    let now_year = c.last_activity_at.year();
    ContactRow {
        url: page.href(&format!("/desk/contacts/{}", c.id)),
        reference: c.reference.clone(),
        name: c.personal.full_name(),
        summary: format!(
            "{}, {}, {}",
            labels.sex(c.facts.sex),
            labels.age_band(c.facts.age_band_in(now_year)),
            labels.country(c.facts.citizenship.as_deref())
        ),
        last_activity: labels.when(c.last_activity_at),
    }
}

pub struct NoticeRow {
    pub text: String,
    pub url: String,
    pub when: String,
    pub unread: bool,
}

#[derive(Template)]
#[template(path = "desk_home.html")]
struct HomeTemplate {
    page: Page,
    csrf: String,
    role: Role,
    query: String,
    searched: bool,
    found: Vec<ContactRow>,
    recent: Vec<ContactRow>,
    notices: Vec<NoticeRow>,
    awaiting: usize,
}

#[derive(Deserialize)]
pub struct HomeQuery {
    #[serde(default)]
    q: String,
}

/// `GET /{lang}/desk`: find a person again (by reference or name), recent contacts, notices.
pub async fn home(
    State(state): State<AppState>,
    Query(query): Query<HomeQuery>,
    desk: DeskUser,
) -> Result<Response, AppError> {
    let DeskUser {
        language,
        user,
        actor,
        ..
    } = desk;
    let mut page = Page::new(language, "/desk");
    page.title = page.t("dk-home-title");
    let labels = Labels::new(&page);
    let store = state.store.as_ref();
    let q = query.q.trim().to_owned();
    let found = if q.is_empty() {
        Vec::new()
    } else {
        store.find_contacts(&actor, &q, 50).await?
    };
    let found = found
        .iter()
        .map(|c| contact_row(&page, &labels, c))
        .collect();
    let recent = store
        .recent_contacts(&actor, 20)
        .await?
        .iter()
        .map(|c| contact_row(&page, &labels, c))
        .collect();
    let notifications = store.notifications(&actor.organization_id, 10).await?;
    // Each notice names its service and the other organisation (from the lists of referrals,
    // which hold no personal data: no read of a referral is audited for a notice).
    let mut referrals: HashMap<String, Referral> = HashMap::new();
    for direction in [Direction::Sent, Direction::Received] {
        for view in store
            .referrals_of(
                &actor.organization_id,
                direction,
                &ReferralState::ALL,
                NOTICE_LOOKUP,
            )
            .await?
        {
            referrals.insert(view.referral.id.clone(), view.referral);
        }
    }
    let noticed: Vec<&Referral> = notifications
        .iter()
        .filter_map(|n| referrals.get(&n.referral_id))
        .collect();
    let mut named: HashMap<String, (String, String)> = HashMap::new();
    for direction in [Direction::Sent, Direction::Received] {
        let ours: Vec<&Referral> = noticed
            .iter()
            .copied()
            .filter(|r| match direction {
                // Rows name the receiver of what we sent, the sender of what we received.
                Direction::Received => r.from_organization_id == actor.organization_id,
                Direction::Sent => r.to_organization_id == actor.organization_id,
            })
            .collect();
        for (r, row) in ours
            .iter()
            .zip(referral_rows(&state, &page, &ours, direction).await?)
        {
            named.insert(r.id.clone(), (row.organization, row.service));
        }
    }
    let notices = notifications
        .into_iter()
        .map(|n| NoticeRow {
            text: match named.get(&n.referral_id) {
                Some((organization, service)) => page.ta(
                    &format!("dk-notice-{}-named", n.kind),
                    &[("organization", organization), ("service", service)],
                ),
                None => page.t(&format!("dk-notice-{}", n.kind)),
            },
            url: page.href(&format!("/desk/referrals/{}", n.referral_id)),
            when: labels.when(n.created_at),
            unread: n.read_at.is_none(),
        })
        .collect();
    let awaiting = store
        .referrals_of(
            &actor.organization_id,
            Direction::Received,
            &[crocevia_core::desk::ReferralState::Sent],
            500,
        )
        .await?
        .len();
    store
        .mark_notifications_read(&actor.organization_id, state.clock.now())
        .await?;
    Ok(render(&HomeTemplate {
        csrf: user.session.csrf_token.clone(),
        role: user.account.role,
        searched: !q.is_empty(),
        query: q,
        found,
        recent,
        notices,
        awaiting,
        page,
    }))
}

/// What the new-contact form holds, as typed.
#[derive(Default)]
struct ContactInput {
    birth_year: String,
    age_band: String,
    sex: String,
    citizenship: String,
    comune: String,
    languages: Vec<String>,
    other_languages: String,
    consents: Vec<String>,
    given_name: String,
    family_name: String,
    phone: String,
    email: String,
}

impl ContactInput {
    /// The form filled with a contact's record; `contact_consent` stands in for the consent
    /// boxes, which the edit form does not show.
    fn from_contact(c: &Contact, contact_consent: bool) -> Self {
        let (languages, other): (Vec<String>, Vec<String>) = c
            .facts
            .languages
            .iter()
            .cloned()
            .partition(|l| SPOKEN.contains(&l.as_str()));
        ContactInput {
            birth_year: c
                .facts
                .birth_year
                .map(|y| y.to_string())
                .unwrap_or_default(),
            age_band: c
                .facts
                .age_band
                .map(|b| b.as_str().to_owned())
                .unwrap_or_default(),
            sex: c.facts.sex.as_str().to_owned(),
            citizenship: c.facts.citizenship.clone().unwrap_or_default(),
            comune: c
                .facts
                .comune_code
                .as_deref()
                .and_then(|code| crate::territories().comune(code))
                .map(comune_label)
                .unwrap_or_default(),
            languages,
            other_languages: other.join(", "),
            consents: if contact_consent {
                vec!["contact".to_owned()]
            } else {
                Vec::new()
            },
            given_name: c.personal.given_name.clone(),
            family_name: c.personal.family_name.clone(),
            phone: c.personal.phone.clone(),
            email: c.personal.email.clone(),
        }
    }

    fn from_post(posted: &Posted) -> Self {
        ContactInput {
            birth_year: posted.get("birth_year"),
            age_band: posted.get("age_band"),
            sex: posted.get("sex"),
            citizenship: posted.get("citizenship"),
            comune: posted.get("comune"),
            languages: posted.all("languages"),
            other_languages: posted.get("other_languages"),
            consents: posted.all("consent"),
            given_name: posted.get("given_name"),
            family_name: posted.get("family_name"),
            phone: posted.get("phone"),
            email: posted.get("email"),
        }
    }

    /// The contact's facts and details, or what to fix.
    fn check(&self, page: &Page, year: i32) -> Result<(ContactFacts, PersonalDetails), Errors> {
        let mut errors = Errors::default();
        let birth_year = if self.birth_year.is_empty() {
            None
        } else {
            match self.birth_year.parse::<i32>() {
                Ok(y) if (year - 120..=year).contains(&y) => Some(y),
                _ => {
                    errors.add("birth_year", page.t("dk-error-birth-year"));
                    None
                }
            }
        };
        let age_band = AgeBand::parse(&self.age_band);
        let Some(sex) = Sex::parse(&self.sex) else {
            errors.add("sex", page.t("dk-error-sex"));
            return Err(errors);
        };
        let citizenship = (!self.citizenship.is_empty()).then(|| self.citizenship.clone());
        if citizenship
            .as_deref()
            .is_some_and(|c| countries::country(c).is_none())
        {
            errors.add("citizenship", page.t("dk-error-citizenship"));
        }
        let comune_code = if self.comune.is_empty() {
            None
        } else {
            comune_or_error(&self.comune, page, &mut errors).map(|c| c.code.clone())
        };
        let mut languages: Vec<String> = self
            .languages
            .iter()
            .filter(|l| SPOKEN.contains(&l.as_str()))
            .cloned()
            .collect();
        for code in self
            .other_languages
            .split([',', ' ', ';'])
            .map(|c| c.trim().to_lowercase())
            .filter(|c| !c.is_empty())
        {
            if (2..=3).contains(&code.len()) && code.bytes().all(|b| b.is_ascii_lowercase()) {
                if !languages.contains(&code) {
                    languages.push(code);
                }
            } else {
                errors.add(
                    "other_languages",
                    page.ts("dk-error-language", "code", &code),
                );
            }
        }
        let personal = PersonalDetails {
            given_name: self.given_name.clone(),
            family_name: self.family_name.clone(),
            phone: self.phone.clone(),
            email: self.email.clone(),
        };
        if !personal.is_empty() && !self.consents.iter().any(|c| c == "contact") {
            errors.add("given_name", page.t("dk-error-personal-needs-consent"));
        }
        if !personal.email.is_empty() && !personal.email.contains('@') {
            errors.add("email", page.t("dk-error-email"));
        }
        if !errors.is_empty() {
            return Err(errors);
        }
        Ok((
            ContactFacts {
                birth_year,
                age_band: if birth_year.is_some() { None } else { age_band },
                sex,
                citizenship,
                comune_code,
                languages,
            },
            personal,
        ))
    }
}

/// Whether the contact form records a new person or corrects one.
enum FormKind {
    New,
    Edit {
        contact_id: String,
        reference: String,
    },
}

#[derive(Template)]
#[template(path = "desk_contact_new.html")]
struct NewTemplate {
    page: Page,
    csrf: String,
    role: Role,
    action: String,
    cancel: String,
    /// Consents are recorded with a new person; later on the contact's page.
    editing: bool,
    errors: Vec<FieldError>,
    input: ContactInput,
    error_of: Vec<(&'static str, String)>,
    sexes: Vec<Choice>,
    age_bands: Vec<Choice>,
    countries: Vec<Choice>,
    languages: Vec<Choice>,
    purposes: Vec<Choice>,
}

impl NewTemplate {
    fn error(&self, field: &str) -> String {
        self.error_of
            .iter()
            .find(|(f, _)| *f == field)
            .map(|(_, m)| m.clone())
            .unwrap_or_default()
    }
}

fn new_page(
    user: &CurrentUser,
    mut page: Page,
    kind: FormKind,
    input: ContactInput,
    errors: Errors,
    status: StatusCode,
) -> Response {
    let (action, cancel, editing) = match &kind {
        FormKind::New => {
            page.title = page.t("dk-new-title");
            (page.href("/desk/contacts/new"), page.href("/desk"), false)
        }
        FormKind::Edit {
            contact_id,
            reference,
        } => {
            page.title = page.ts("dk-edit-title", "reference", reference);
            let url = page.href(&format!("/desk/contacts/{contact_id}"));
            (format!("{url}/edit"), url, true)
        }
    };
    let labels = Labels::new(&page);
    let sexes = Sex::ALL
        .iter()
        .map(|s| Choice {
            value: s.as_str().into(),
            label: labels.sex(*s),
            selected: input.sex == s.as_str(),
        })
        .collect();
    let age_bands = AgeBand::ALL
        .iter()
        .map(|b| Choice {
            value: b.as_str().into(),
            label: b.as_str().into(),
            selected: input.age_band == b.as_str(),
        })
        .collect();
    let mut country_choices: Vec<Choice> = countries::countries()
        .iter()
        .filter(|c| c.istat_code != "100")
        .map(|c| Choice {
            value: c.istat_code.clone(),
            label: labels.country(Some(&c.istat_code)),
            selected: input.citizenship == c.istat_code,
        })
        .collect();
    country_choices.sort_by(|a, b| a.label.cmp(&b.label));
    let languages = SPOKEN
        .iter()
        .map(|code| Choice {
            value: (*code).into(),
            label: crate::portal::language_name(code),
            selected: input.languages.iter().any(|l| l == code),
        })
        .collect();
    let purposes = Purpose::ALL
        .iter()
        .map(|p| Choice {
            value: p.as_str().into(),
            label: labels.purpose(*p),
            selected: input.consents.iter().any(|c| c == p.as_str()),
        })
        .collect();
    let error_of = [
        "birth_year",
        "sex",
        "citizenship",
        "comune",
        "other_languages",
        "given_name",
        "email",
    ]
    .into_iter()
    .map(|f| (f, errors.of(f)))
    .collect();
    let template = NewTemplate {
        csrf: user.session.csrf_token.clone(),
        role: user.account.role,
        action,
        cancel,
        editing,
        errors: errors.0,
        input,
        error_of,
        sexes,
        age_bands,
        countries: country_choices,
        languages,
        purposes,
        page,
    };
    (status, render(&template)).into_response()
}

/// `GET /{lang}/desk/contacts/new`.
pub async fn new_form(desk: DeskUser) -> Result<Response, AppError> {
    let DeskUser { language, user, .. } = desk;
    let page = Page::new(language, "/desk/contacts/new");
    Ok(new_page(
        &user,
        page,
        FormKind::New,
        ContactInput::default(),
        Errors::default(),
        StatusCode::OK,
    ))
}

/// `POST /{lang}/desk/contacts/new`: the contact with its consents, then its page.
pub async fn create(
    State(state): State<AppState>,
    desk: DeskUser,
    CsrfForm(posted): CsrfForm,
) -> Result<Response, AppError> {
    let DeskUser {
        language,
        user,
        actor,
        ..
    } = desk;
    let page = Page::new(language, "/desk/contacts/new");
    let now = state.clock.now();
    let input = ContactInput::from_post(&posted);
    let (facts, personal) = match input.check(&page, now.year()) {
        Ok(checked) => checked,
        Err(errors) => {
            return Ok(new_page(
                &user,
                page,
                FormKind::New,
                input,
                errors,
                StatusCode::UNPROCESSABLE_ENTITY,
            ));
        }
    };
    let consents: Vec<ConsentRecord> = Purpose::ALL
        .iter()
        .map(|p| ConsentRecord {
            purpose: *p,
            given: input.consents.iter().any(|c| c == p.as_str()),
            at: now,
            recorded_by: actor.account_id.clone(),
        })
        .collect();
    // A reference could collide with another contact's: draw again.
    for _ in 0..5 {
        let contact = Contact {
            id: uuid::Uuid::new_v4().to_string(),
            organization_id: actor.organization_id.clone(),
            reference: reference_code(rand::random()),
            facts: facts.clone(),
            personal: personal.clone(),
            created_at: now,
            created_by: actor.account_id.clone(),
            last_activity_at: now,
            erased_at: None,
        };
        match state
            .store
            .create_contact(&actor, &contact, &consents)
            .await
        {
            Ok(()) => {
                return Ok(
                    Redirect::to(&page.href(&format!("/desk/contacts/{}", contact.id)))
                        .into_response(),
                );
            }
            Err(StoreError::AlreadyExists(_)) => continue,
            Err(e) => return Err(e.into()),
        }
    }
    Err(AppError::new(
        StatusCode::INTERNAL_SERVER_ERROR,
        ErrorCode::Internal,
        "could not draw a free contact reference",
    ))
}

pub struct ConsentRow {
    pub purpose: String,
    pub label: String,
    pub holds: bool,
    /// The latest record's date and who recorded it, or empty.
    pub recorded: String,
}

pub struct ReferralRow {
    pub url: String,
    pub service: String,
    pub organization: String,
    pub state: String,
    pub state_code: &'static str,
    pub sent: String,
    pub due: String,
}

pub struct NeedRow {
    pub label: String,
    pub urgency: String,
    pub urgent: bool,
    pub notes: String,
    pub created: String,
    pub proposals_url: String,
    pub referrals: Vec<ReferralRow>,
}

#[derive(Template)]
#[template(path = "desk_contact.html")]
struct ContactTemplate {
    page: Page,
    csrf: String,
    role: Role,
    name: String,
    phone: String,
    email: String,
    erased: bool,
    facts: Vec<(String, String)>,
    consents: Vec<ConsentRow>,
    needs: Vec<NeedRow>,
    need_groups: Vec<NeedGroup>,
    base: String,
    message: String,
}

/// Referrals' rows in a list, with the names of their services and of the organisation on
/// the `counterpart` side, read in two queries whatever the number of rows.
pub async fn referral_rows(
    state: &AppState,
    page: &Page,
    referrals: &[&Referral],
    counterpart: Direction,
) -> Result<Vec<ReferralRow>, AppError> {
    let labels = Labels::new(page);
    let organization_of = |r: &Referral| match counterpart {
        Direction::Received => r.to_organization_id.clone(),
        Direction::Sent => r.from_organization_id.clone(),
    };
    let names = |table: &'static str, ids: Vec<String>| async move {
        let records = state.store.get_many(Some(table), &ids).await?;
        Ok::<HashMap<String, String>, AppError>(
            records
                .into_iter()
                .filter_map(|rec| Some((rec.id.clone(), rec.text("name")?.to_owned())))
                .collect(),
        )
    };
    let services = names(
        "service",
        referrals.iter().map(|r| r.service_id.clone()).collect(),
    )
    .await?;
    let organizations = names(
        "organization",
        referrals.iter().map(|r| organization_of(r)).collect(),
    )
    .await?;
    let name_or_id =
        |names: &HashMap<String, String>, id: String| names.get(&id).cloned().unwrap_or(id);
    Ok(referrals
        .iter()
        .map(|r| ReferralRow {
            url: page.href(&format!("/desk/referrals/{}", r.id)),
            service: name_or_id(&services, r.service_id.clone()),
            organization: name_or_id(&organizations, organization_of(r)),
            state: labels.state(r.state),
            state_code: r.state.as_str(),
            sent: labels.when(r.sent_at),
            due: labels.when(r.due_at),
        })
        .collect())
}

#[derive(Deserialize, Default)]
pub struct ContactQuery {
    /// A notice to show once (`consent`, `need`, `erased`).
    #[serde(default)]
    done: String,
}

/// `GET /{lang}/desk/contacts/{id}`.
pub async fn show(
    State(state): State<AppState>,
    Path((_, id)): Path<(String, String)>,
    Query(query): Query<ContactQuery>,
    desk: DeskUser,
) -> Result<Response, AppError> {
    let DeskUser {
        language,
        user,
        actor,
        ..
    } = desk;
    let Some(contact) = state.store.contact(&actor, &id).await? else {
        return Ok(Denied::NotFound.page(language));
    };
    let base = format!("/desk/contacts/{id}");
    let mut page = Page::new(language, base.clone());
    page.title = page.ts("dk-contact-title", "reference", &contact.reference);
    let labels = Labels::new(&page);
    let now = state.clock.now();
    let facts = vec![
        (page.t("dk-sex"), labels.sex(contact.facts.sex)),
        (
            page.t("dk-age-band"),
            labels.age_band(contact.age_band_now(now)),
        ),
        (
            page.t("dk-birth-year"),
            contact
                .facts
                .birth_year
                .map_or_else(|| page.t("dk-unknown"), |y| y.to_string()),
        ),
        (
            page.t("dk-citizenship"),
            labels.country(contact.facts.citizenship.as_deref()),
        ),
        (
            page.t("dk-comune"),
            labels.comune(contact.facts.comune_code.as_deref()),
        ),
        (
            page.t("dk-languages"),
            labels.languages(&contact.facts.languages),
        ),
    ];
    let records = state.store.consents(&id).await?;
    let consents = Purpose::ALL
        .iter()
        .map(|p| {
            let latest = records
                .iter()
                .filter(|r| r.purpose == *p)
                .max_by_key(|r| r.at);
            ConsentRow {
                purpose: p.as_str().into(),
                label: labels.purpose(*p),
                holds: consent_holds(&records, *p),
                recorded: latest.map(|r| labels.when(r.at)).unwrap_or_default(),
            }
        })
        .collect();
    let referrals = state.store.referrals_of_contact(&id).await?;
    let mut needs = Vec::new();
    for need in state.store.needs_of(&id).await? {
        let of_need: Vec<&Referral> = referrals
            .iter()
            .map(|v| &v.referral)
            .filter(|r| r.need_id == need.id)
            .collect();
        let rows = referral_rows(&state, &page, &of_need, Direction::Received).await?;
        needs.push(NeedRow {
            label: labels.need(&need.term),
            urgency: labels.urgency(need.urgency),
            urgent: need.urgency == Urgency::Urgent,
            notes: need.notes.clone(),
            created: labels.when(need.created_at),
            proposals_url: page.href(&format!("{base}/needs/{}/proposals", need.id)),
            referrals: rows,
        });
    }
    let message = match query.done.as_str() {
        "consent" => page.t("dk-done-consent"),
        "need" => page.t("dk-done-need"),
        "erased" => page.t("dk-done-erased"),
        "updated" => page.t("dk-done-updated"),
        _ => String::new(),
    };
    Ok(render(&ContactTemplate {
        csrf: user.session.csrf_token.clone(),
        role: user.account.role,
        name: contact.personal.full_name(),
        phone: contact.personal.phone.clone(),
        email: contact.personal.email.clone(),
        erased: contact.erased_at.is_some(),
        facts,
        consents,
        needs,
        need_groups: need_groups(&page, ""),
        base: page.href(&base),
        message,
        page,
    }))
}

/// `POST /{lang}/desk/contacts/{id}/consents`: give or withdraw one purpose.
pub async fn record_consent(
    State(state): State<AppState>,
    Path((_, id)): Path<(String, String)>,
    desk: DeskUser,
    CsrfForm(posted): CsrfForm,
) -> Result<Response, AppError> {
    let DeskUser {
        language, actor, ..
    } = desk;
    let Some(purpose) = Purpose::parse(&posted.get("purpose")) else {
        return Err(AppError::bad_parameter(
            "purpose",
            "must be referral, contact or statistics",
        ));
    };
    let record = ConsentRecord {
        purpose,
        given: posted.get("given") == "1",
        at: state.clock.now(),
        recorded_by: actor.account_id.clone(),
    };
    if !state.store.record_consent(&actor, &id, &record).await? {
        return Ok(Denied::NotFound.page(language));
    }
    Ok(Redirect::to(&format!(
        "/{}/desk/contacts/{id}?done=consent#consents",
        language.code
    ))
    .into_response())
}

/// `POST /{lang}/desk/contacts/{id}/needs`: a need coded with the taxonomy.
pub async fn add_need(
    State(state): State<AppState>,
    Path((_, id)): Path<(String, String)>,
    desk: DeskUser,
    CsrfForm(posted): CsrfForm,
) -> Result<Response, AppError> {
    let DeskUser {
        language, actor, ..
    } = desk;
    let Some(term) = TermCode::known(&posted.get("term")) else {
        return Err(AppError::bad_parameter(
            "term",
            "must be a code of the needs taxonomy",
        ));
    };
    let need = Need {
        id: uuid::Uuid::new_v4().to_string(),
        contact_id: id.clone(),
        organization_id: actor.organization_id.clone(),
        term,
        urgency: Urgency::parse(&posted.get("urgency")).unwrap_or(Urgency::Normal),
        notes: posted.get("notes"),
        created_at: state.clock.now(),
        created_by: actor.account_id.clone(),
    };
    if !state.store.add_need(&actor, &need).await? {
        return Ok(Denied::NotFound.page(language));
    }
    Ok(Redirect::to(&format!(
        "/{}/desk/contacts/{id}?done=need#needs",
        language.code
    ))
    .into_response())
}

/// `GET /{lang}/desk/contacts/{id}/export`: everything held about the person, as JSON
/// (GDPR art. 15), including who read the record.
pub async fn export(
    State(state): State<AppState>,
    Path((_, id)): Path<(String, String)>,
    desk: DeskUser,
) -> Result<Response, AppError> {
    let DeskUser {
        language, actor, ..
    } = desk;
    let Some(export) = state.store.export_person(&actor, &id).await? else {
        return Ok(Denied::NotFound.page(language));
    };
    let body = serde_json::to_vec_pretty(&export).map_err(|e| {
        AppError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            ErrorCode::Internal,
            e.to_string(),
        )
    })?;
    Ok((
        [
            (header::CONTENT_TYPE, "application/json".to_owned()),
            (
                header::CONTENT_DISPOSITION,
                format!(
                    "attachment; filename=\"contact-{}.json\"",
                    export.contact.reference
                ),
            ),
        ],
        body,
    )
        .into_response())
}

/// `POST /{lang}/desk/contacts/{id}/erase`: personal details removed everywhere, coded facts
/// kept anonymously (GDPR art. 17). Needs the confirmation box.
pub async fn erase(
    State(state): State<AppState>,
    Path((_, id)): Path<(String, String)>,
    desk: DeskUser,
    CsrfForm(posted): CsrfForm,
) -> Result<Response, AppError> {
    let DeskUser {
        language, actor, ..
    } = desk;
    if posted.get("confirm") != "1" {
        return Ok(
            Redirect::to(&format!("/{}/desk/contacts/{id}#erase", language.code)).into_response(),
        );
    }
    if !state
        .store
        .erase_contact(&actor, &id, state.clock.now())
        .await?
    {
        return Ok(Denied::NotFound.page(language));
    }
    Ok(Redirect::to(&format!(
        "/{}/desk/contacts/{id}?done=erased",
        language.code
    ))
    .into_response())
}

/// `GET /{lang}/desk/contacts/{id}/edit`: correct a person's facts and details.
pub async fn edit_form(
    State(state): State<AppState>,
    Path((_, id)): Path<(String, String)>,
    desk: DeskUser,
) -> Result<Response, AppError> {
    let DeskUser {
        language,
        user,
        actor,
        ..
    } = desk;
    let Some(contact) = state.store.contact(&actor, &id).await? else {
        return Ok(Denied::NotFound.page(language));
    };
    let contact_consent = consent_holds(&state.store.consents(&id).await?, Purpose::Contact);
    let page = Page::new(language, format!("/desk/contacts/{id}/edit"));
    let kind = FormKind::Edit {
        contact_id: id,
        reference: contact.reference.clone(),
    };
    let input = ContactInput::from_contact(&contact, contact_consent);
    Ok(new_page(
        &user,
        page,
        kind,
        input,
        Errors::default(),
        StatusCode::OK,
    ))
}

/// `POST /{lang}/desk/contacts/{id}/edit`.
pub async fn update(
    State(state): State<AppState>,
    Path((_, id)): Path<(String, String)>,
    desk: DeskUser,
    CsrfForm(posted): CsrfForm,
) -> Result<Response, AppError> {
    let DeskUser {
        language,
        user,
        actor,
        ..
    } = desk;
    let Some(mut contact) = state.store.contact(&actor, &id).await? else {
        return Ok(Denied::NotFound.page(language));
    };
    let contact_consent = consent_holds(&state.store.consents(&id).await?, Purpose::Contact);
    let mut input = ContactInput::from_post(&posted);
    input.consents = if contact_consent {
        vec!["contact".to_owned()]
    } else {
        Vec::new()
    };
    let page = Page::new(language, format!("/desk/contacts/{id}/edit"));
    let now = state.clock.now();
    match input.check(&page, now.year()) {
        Ok((facts, personal)) => {
            contact.facts = facts;
            contact.personal = personal;
            state.store.update_contact(&actor, &contact, now).await?;
            Ok(Redirect::to(&format!(
                "/{}/desk/contacts/{id}?done=updated",
                language.code
            ))
            .into_response())
        }
        Err(errors) => {
            let kind = FormKind::Edit {
                contact_id: id,
                reference: contact.reference.clone(),
            };
            Ok(new_page(
                &user,
                page,
                kind,
                input,
                errors,
                StatusCode::UNPROCESSABLE_ENTITY,
            ))
        }
    }
}
