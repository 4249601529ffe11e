//! From a need to a referral and back: the services proposed for a need (ranked, with
//! reasons), the referral form (what to share), a referral's page with its timeline and the
//! answers each side may give, the inbox and sent lists, and the coordinators' overdue list.

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use chrono::{Datelike, Duration};
use crocevia_app::desk::{DeskFlowError, ReferralChoices, ReferralDraft};
use crocevia_core::access::Role;
use crocevia_core::desk::audit::Actor;
use crocevia_core::desk::referral::allowed_actions;
use crocevia_core::desk::{
    Contact, DeclineReason, DeskError, Need, Outcome, Purpose, Referral, ReferralAction,
    ReferralState, SharedField, Side, UnresolvedReason, consent_holds,
};
use crocevia_core::hsds::Record;
use crocevia_core::service_doc::service_docs;
use crocevia_search::SearchQuery;
use crocevia_search::matching::{self, Candidate, Person, Reason};
use crocevia_search::query::Near;
use crocevia_store::desk::Direction;
use crocevia_store::load_nested;
use serde::Deserialize;

use super::contacts::{ReferralRow, referral_rows};
use super::{Choice, DeskUser, Labels};
use crate::auth::CurrentUser;
use crate::error::{AppError, ErrorCode};
use crate::kit::{Coordinator, CsrfForm, Denied};
use crate::kit::{Page, render};
use crate::{AppState, search_api, territories};

/// Candidates are searched within this distance of the person's comune.
const PROPOSAL_RADIUS_KM: f64 = 60.0;
/// At most this many proposals are shown.
const PROPOSALS_SHOWN: usize = 15;

/// The contact and one of its needs, if the actor's organisation keeps them.
async fn contact_and_need(
    state: &AppState,
    actor: &Actor,
    contact_id: &str,
    need_id: &str,
) -> Result<Option<(Contact, Need)>, AppError> {
    let Some(contact) = state.store.contact(actor, contact_id).await? else {
        return Ok(None);
    };
    let need = state
        .store
        .needs_of(contact_id)
        .await?
        .into_iter()
        .find(|n| n.id == need_id);
    Ok(need.map(|n| (contact, n)))
}

fn name_of(record: Option<&Record>) -> String {
    record
        .and_then(|r| r.text("name"))
        .unwrap_or_default()
        .to_owned()
}

pub struct ProposalRow {
    pub name: String,
    pub organization: String,
    pub service_url: String,
    pub refer_url: String,
    pub reasons: Vec<String>,
    pub pathway: bool,
    pub own: bool,
}

#[derive(Template)]
#[template(path = "desk_proposals.html")]
struct ProposalsTemplate {
    page: Page,
    csrf: String,
    role: Role,
    contact_url: String,
    reference: String,
    proposals: Vec<ProposalRow>,
}

fn reason_text(page: &Page, labels: &Labels<'_>, reason: &Reason) -> String {
    match reason {
        Reason::Pathway { protocol } => page.ts("dk-reason-pathway", "protocol", protocol),
        Reason::SameCategory => page.t("dk-reason-same-category"),
        Reason::BroaderCategory => page.t("dk-reason-broader-category"),
        Reason::Distance { km } => page.ts("dk-reason-distance", "km", &format!("{km:.1}")),
        Reason::SpeaksLanguage { language } => page.ts(
            "dk-reason-speaks",
            "language",
            &labels.languages(std::slice::from_ref(language)),
        ),
        Reason::NoCommonLanguage => page.t("dk-reason-no-common-language"),
        Reason::Free => page.t("dk-reason-free"),
        Reason::OpenNow => page.t("dk-reason-open-now"),
        Reason::OutsideAgeLimits => page.t("dk-reason-age"),
        Reason::NotRecentlyVerified => page.t("dk-reason-stale"),
    }
}

/// `GET /{lang}/desk/contacts/{id}/needs/{need}/proposals`: services for the need, ranked.
pub async fn proposals(
    State(state): State<AppState>,
    Path((_, contact_id, need_id)): Path<(String, String, String)>,
    desk: DeskUser,
) -> Result<Response, AppError> {
    let DeskUser {
        language,
        user,
        actor,
        ..
    } = desk;
    let Some((contact, need)) = contact_and_need(&state, &actor, &contact_id, &need_id).await?
    else {
        return Ok(Denied::NotFound.page(language));
    };
    let base = format!("/desk/contacts/{contact_id}/needs/{need_id}");
    let mut page = Page::new(language, format!("{base}/proposals"));
    let need_label = Labels::new(&page).need(&need.term);
    page.title = page.ts("dk-proposals-title", "need", &need_label);
    let labels = Labels::new(&page);
    let now = state.clock.now();
    let t = territories();

    // The need's category and its broader one, around the person's comune.
    let mut categories = vec![need.term.to_string()];
    if let Some(parent) = need.term.term().and_then(|t| t.parent.clone()) {
        categories.push(parent);
    }
    let near = contact
        .facts
        .comune_code
        .as_deref()
        .and_then(|c| Near::comune(t, c, PROPOSAL_RADIUS_KM));
    let query = SearchQuery {
        language: Some(language.code.to_owned()),
        categories: categories.clone(),
        near,
        limit: 50,
        ..SearchQuery::default()
    };
    let found = search_api::run(&state, &query).await?;
    // A protocol's pathway holds in its territory only.
    let home = contact
        .facts
        .comune_code
        .as_deref()
        .and_then(|c| t.comune(c));
    let mut pathways = state.store.pathways_for(&categories).await?;
    pathways.retain(|p| p.applies_in(home));
    let mut ids: Vec<String> = found.hits.iter().map(|h| h.id.clone()).collect();
    for p in &pathways {
        if !ids.contains(&p.service_id) {
            ids.push(p.service_id.clone());
        }
    }
    let services = state.store.get_many(Some("service"), &ids).await?;
    let rows = load_nested(state.store.as_ref(), services.clone()).await?;
    let docs = service_docs(&rows, t);
    let candidates: Vec<Candidate<'_>> = docs
        .iter()
        .filter(|d| d.is_listed())
        .map(|doc| {
            let record = services.iter().find(|s| s.id == doc.id);
            let number = |field: &str| {
                record
                    .and_then(|r| r.fields.get(field))
                    .and_then(|v| v.as_f64())
            };
            Candidate {
                doc,
                minimum_age: number("minimum_age"),
                maximum_age: number("maximum_age"),
                pathway: pathways
                    .iter()
                    .find(|p| p.service_id == doc.id)
                    .map(|p| p.protocol.clone()),
            }
        })
        .collect();
    let person = Person {
        point: home.and_then(|c| c.centroid),
        languages: contact.facts.languages.clone(),
        age: contact.facts.birth_year.map(|y| now.year() - y),
    };
    let ranked = matching::rank(need.term.as_str(), &person, &candidates, t, now);
    let organizations: Vec<String> = services
        .iter()
        .filter_map(|s| s.text("organization_id").map(str::to_owned))
        .collect();
    let orgs = state
        .store
        .get_many(Some("organization"), &organizations)
        .await?;
    let proposals = ranked
        .iter()
        .take(PROPOSALS_SHOWN)
        .map(|p| {
            let service = services.iter().find(|s| s.id == p.service_id);
            let org_id = service
                .and_then(|s| s.text("organization_id"))
                .unwrap_or_default();
            ProposalRow {
                name: name_of(service),
                organization: name_of(orgs.iter().find(|o| o.id == org_id)),
                service_url: page.href(&format!("/services/{}", p.service_id)),
                refer_url: page.href(&format!("{base}/refer?service={}", p.service_id)),
                reasons: p
                    .reasons
                    .iter()
                    .map(|r| reason_text(&page, &labels, r))
                    .collect(),
                pathway: p
                    .reasons
                    .iter()
                    .any(|r| matches!(r, Reason::Pathway { .. })),
                own: org_id == actor.organization_id,
            }
        })
        .collect();
    Ok(render(&ProposalsTemplate {
        csrf: user.session.csrf_token.clone(),
        role: user.account.role,
        contact_url: page.href(&format!("/desk/contacts/{contact_id}")),
        reference: contact.reference.clone(),
        proposals,
        page,
    }))
}

#[derive(Deserialize)]
pub struct ReferQuery {
    #[serde(default)]
    service: String,
}

#[derive(Template)]
#[template(path = "desk_refer.html")]
struct ReferTemplate {
    page: Page,
    csrf: String,
    role: Role,
    action: String,
    contact_url: String,
    reference: String,
    need: String,
    organization: String,
    due: String,
    referral_consent: bool,
    contact_consent: bool,
    may_override: bool,
    fields: Vec<Choice>,
    message: String,
    override_reason: String,
    error: String,
}

/// What the operator shares unless they choose otherwise: coded facts and the need's notes.
const DEFAULT_SHARED: [SharedField; 5] = [
    SharedField::AgeBand,
    SharedField::Sex,
    SharedField::Languages,
    SharedField::Comune,
    SharedField::NeedNotes,
];

/// The referral form, filled with `choices`, with `error` above it when not empty.
fn refer_page(
    state: &AppState,
    user: &CurrentUser,
    mut page: Page,
    ctx: &ReferralDraft,
    choices: &ReferralChoices,
    error: String,
    status: StatusCode,
) -> Response {
    page.title = page.ts("dk-refer-title", "service", &name_of(Some(&ctx.service)));
    let labels = Labels::new(&page);
    let consents = &ctx.consents;
    let contact_consent = consent_holds(consents, Purpose::Contact);
    let fields = SharedField::ALL
        .iter()
        .filter(|f| contact_consent || !f.is_personal())
        .map(|f| Choice {
            value: f.as_str().into(),
            label: labels.shared_field(*f),
            selected: choices.shared.contains(f),
        })
        .collect();
    let due = state.desk().due_now(&ctx.need);
    let template = ReferTemplate {
        csrf: user.session.csrf_token.clone(),
        role: user.account.role,
        action: page.href(&format!(
            "/desk/contacts/{}/needs/{}/refer?service={}",
            ctx.contact.id, ctx.need.id, ctx.service.id
        )),
        contact_url: page.href(&format!("/desk/contacts/{}", ctx.contact.id)),
        reference: ctx.contact.reference.clone(),
        need: labels.need(&ctx.need.term),
        organization: name_of(Some(&ctx.organization)),
        due: labels.when(due),
        referral_consent: consent_holds(consents, Purpose::Referral),
        contact_consent,
        may_override: user.account.role.may_override_consent(),
        fields,
        message: choices.message.clone(),
        override_reason: choices.override_reason.clone(),
        error,
        page,
    };
    (status, render(&template)).into_response()
}

/// The referral's path: `/desk/contacts/{contact}/needs/{need}/refer?service={service}`.
fn refer_path(contact_id: &str, need_id: &str, service_id: &str) -> String {
    format!("/desk/contacts/{contact_id}/needs/{need_id}/refer?service={service_id}")
}

/// `GET /{lang}/desk/contacts/{id}/needs/{need}/refer?service=…`: what to share, a message.
pub async fn refer_form(
    State(state): State<AppState>,
    Path((_, contact_id, need_id)): Path<(String, String, String)>,
    Query(query): Query<ReferQuery>,
    desk: DeskUser,
) -> Result<Response, AppError> {
    let DeskUser {
        language,
        user,
        actor,
        ..
    } = desk;
    let found = state
        .desk()
        .prepare_referral(&actor, &contact_id, &need_id, &query.service)
        .await;
    let draft = match draft_or_page(found, language)? {
        Ok(draft) => draft,
        Err(page) => return Ok(page),
    };
    let page = Page::new(language, refer_path(&contact_id, &need_id, &query.service));
    let choices = ReferralChoices {
        shared: DEFAULT_SHARED.to_vec(),
        ..ReferralChoices::default()
    };
    Ok(refer_page(
        &state,
        &user,
        page,
        &draft,
        &choices,
        String::new(),
        StatusCode::OK,
    ))
}

/// `POST /{lang}/desk/contacts/{id}/needs/{need}/refer?service=…`: sends the referral.
pub async fn refer(
    State(state): State<AppState>,
    Path((_, contact_id, need_id)): Path<(String, String, String)>,
    Query(query): Query<ReferQuery>,
    desk: DeskUser,
    CsrfForm(posted): CsrfForm,
) -> Result<Response, AppError> {
    let DeskUser {
        language,
        user,
        actor,
        ..
    } = desk;
    let found = state
        .desk()
        .prepare_referral(&actor, &contact_id, &need_id, &query.service)
        .await;
    let draft = match draft_or_page(found, language)? {
        Ok(draft) => draft,
        Err(page) => return Ok(page),
    };
    let page = Page::new(language, refer_path(&contact_id, &need_id, &query.service));
    let choices = ReferralChoices {
        shared: posted
            .all("shared")
            .iter()
            .filter_map(|f| SharedField::parse(f))
            .collect(),
        message: posted.get("message"),
        override_reason: if user.account.role.may_override_consent() {
            posted.get("override_reason")
        } else {
            String::new()
        },
    };
    let role = user.account.role;
    let error = match state
        .desk()
        .send_referral(&actor, role, &draft, choices.clone())
        .await
    {
        Ok(referral) => {
            let sent = page.href(&format!("/desk/referrals/{}", referral.id));
            return Ok(Redirect::to(&sent).into_response());
        }
        Err(DeskFlowError::OwnOrganization) => page.t("dk-error-own-organization"),
        Err(DeskFlowError::Refused(DeskError::NoReferralConsent)) => {
            page.t("dk-error-no-referral-consent")
        }
        Err(DeskFlowError::Refused(_)) => page.t("dk-error-personal-needs-consent"),
        Err(e) => return Err(flow_error(e)),
    };
    Ok(refer_page(
        &state,
        &user,
        page,
        &draft,
        &choices,
        error,
        StatusCode::UNPROCESSABLE_ENTITY,
    ))
}

/// The draft, or the "not found" page when the actor's organisation has no such contact,
/// need or service.
fn draft_or_page(
    found: Result<ReferralDraft, DeskFlowError>,
    language: &'static crocevia_i18n::Language,
) -> Result<Result<ReferralDraft, Response>, AppError> {
    match found {
        Ok(draft) => Ok(Ok(draft)),
        Err(DeskFlowError::NotFound) => Ok(Err(Denied::NotFound.page(language))),
        Err(e) => Err(flow_error(e)),
    }
}

/// A desk workflow's failure that no page explains: the store's (or a bug's) error.
fn flow_error(error: DeskFlowError) -> AppError {
    match error {
        DeskFlowError::Store(e) => e.into(),
        other => AppError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            ErrorCode::Domain(other.code()),
            other.to_string(),
        ),
    }
}

pub struct EventRow {
    pub when: String,
    pub what: String,
    pub code: String,
    pub note: String,
    pub by: String,
}

pub struct ActionForm {
    pub name: &'static str,
    pub label: String,
    /// The coded reasons or outcomes to choose from (empty: none needed).
    pub codes: Vec<Choice>,
}

#[derive(Template)]
#[template(path = "desk_referral.html")]
struct ReferralTemplate {
    page: Page,
    csrf: String,
    role: Role,
    action_url: String,
    sender: bool,
    service: String,
    service_url: String,
    from: String,
    to: String,
    state: String,
    state_code: &'static str,
    sent: String,
    due: String,
    late: bool,
    need: String,
    shared: Vec<(String, String)>,
    message: String,
    override_reason: String,
    contact_url: String,
    events: Vec<EventRow>,
    actions: Vec<ActionForm>,
    error: String,
}

fn codes(page: &Page, list: &[&'static str]) -> Vec<Choice> {
    let labels = Labels::new(page);
    list.iter()
        .map(|c| Choice {
            value: (*c).to_owned(),
            label: labels.code(c),
            selected: false,
        })
        .collect()
}

fn action_forms(page: &Page, state: ReferralState, side: Side) -> Vec<ActionForm> {
    let labels = Labels::new(page);
    allowed_actions(state, side)
        .into_iter()
        .map(|name| ActionForm {
            name,
            label: labels.action(name),
            codes: match name {
                "decline" => codes(
                    page,
                    &DeclineReason::ALL
                        .iter()
                        .map(|r| r.as_str())
                        .collect::<Vec<_>>(),
                ),
                "complete" => codes(
                    page,
                    &Outcome::ALL.iter().map(|r| r.as_str()).collect::<Vec<_>>(),
                ),
                "close_unresolved" => codes(
                    page,
                    &UnresolvedReason::ALL
                        .iter()
                        .map(|r| r.as_str())
                        .collect::<Vec<_>>(),
                ),
                _ => Vec::new(),
            },
        })
        .collect()
}

fn side_of(actor: &Actor, referral: &Referral) -> Side {
    if referral.from_organization_id == actor.organization_id {
        Side::Sender
    } else {
        Side::Receiver
    }
}

async fn referral_page(
    state: &AppState,
    user: &CurrentUser,
    actor: &Actor,
    language: &'static crocevia_i18n::Language,
    id: &str,
    error: String,
    status: StatusCode,
) -> Result<Response, AppError> {
    let Some(view) = state.store.referral(actor, id).await? else {
        return Ok(Denied::NotFound.page(language));
    };
    let r = &view.referral;
    let mut page = Page::new(language, format!("/desk/referrals/{id}"));
    let service = state.store.get("service", &r.service_id).await?;
    let ids = [r.from_organization_id.clone(), r.to_organization_id.clone()];
    let orgs = state.store.get_many(Some("organization"), &ids).await?;
    let org_name = |id: &str| name_of(orgs.iter().find(|o| o.id == id));
    page.title = page.ts("dk-referral-title", "service", &name_of(service.as_ref()));
    let labels = Labels::new(&page);
    let p = &view.shared_person;
    let mut shared = Vec::new();
    let mut add = |label: &str, value: Option<String>| {
        if let Some(v) = value {
            shared.push((page.t(label), v));
        }
    };
    add("dk-field-name", p.name.clone());
    add("dk-field-phone", p.phone.clone());
    add("dk-field-email", p.email.clone());
    add(
        "dk-field-age_band",
        p.age_band.map(|b| labels.age_band(Some(b))),
    );
    add("dk-field-sex", p.sex.map(|s| labels.sex(s)));
    add(
        "dk-field-citizenship",
        p.citizenship.as_deref().map(|c| labels.country(Some(c))),
    );
    add(
        "dk-field-comune",
        p.comune_code.as_deref().map(|c| labels.comune(Some(c))),
    );
    add(
        "dk-field-languages",
        p.languages.as_deref().map(|l| labels.languages(l)),
    );
    add("dk-field-need_notes", p.need_notes.clone());
    let side = side_of(actor, r);
    let events = state
        .store
        .referral_events(id)
        .await?
        .into_iter()
        .map(|e| EventRow {
            when: labels.when(e.at),
            what: labels.event(&e.action),
            code: e
                .code
                .as_deref()
                .map(|c| labels.code(c))
                .unwrap_or_default(),
            note: e.note,
            by: match e.side {
                Side::System => page.t("dk-by-system"),
                Side::Sender => org_name(&r.from_organization_id),
                Side::Receiver => org_name(&r.to_organization_id),
            },
        })
        .collect();
    let now = state.clock.now();
    let template = ReferralTemplate {
        csrf: user.session.csrf_token.clone(),
        role: user.account.role,
        action_url: page.href(&format!("/desk/referrals/{id}/act")),
        sender: side == Side::Sender,
        service: name_of(service.as_ref()),
        service_url: page.href(&format!("/services/{}", r.service_id)),
        from: org_name(&r.from_organization_id),
        to: org_name(&r.to_organization_id),
        state: labels.state(r.state),
        state_code: r.state.as_str(),
        sent: labels.when(r.sent_at),
        due: labels.when(r.due_at),
        late: r.state.awaits_answer() && r.due_at < now,
        need: labels.need(&view.term),
        shared,
        message: r.message.clone(),
        override_reason: r.consent_override.clone().unwrap_or_default(),
        contact_url: if side == Side::Sender {
            page.href(&format!("/desk/contacts/{}", r.contact_id))
        } else {
            String::new()
        },
        events,
        actions: action_forms(&page, r.state, side),
        error,
        page,
    };
    Ok((status, render(&template)).into_response())
}

/// `GET /{lang}/desk/referrals/{id}`: the referral as this side sees it, with its timeline.
pub async fn show(
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
    referral_page(
        &state,
        &user,
        &actor,
        language,
        &id,
        String::new(),
        StatusCode::OK,
    )
    .await
}

/// `POST /{lang}/desk/referrals/{id}/act`: accept, decline, start, complete, close or cancel.
pub async fn act(
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
    let page = Page::new(language, format!("/desk/referrals/{id}"));
    let code = posted.get("code");
    let action = ReferralAction::parse(
        &posted.get("action"),
        (!code.is_empty()).then_some(code.as_str()),
    );
    let (error, status) = match action {
        None => (
            page.t("dk-error-choose-reason"),
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
        Some(action) => match state
            .desk()
            .act(&actor, &id, action, posted.get("note"))
            .await
        {
            Ok(_) => {
                let shown = page.href(&format!("/desk/referrals/{id}"));
                return Ok(Redirect::to(&shown).into_response());
            }
            Err(DeskFlowError::NotFound) => return Ok(Denied::NotFound.page(language)),
            Err(DeskFlowError::Refused(e)) => {
                tracing::info!(referral = %id, error = %e, "referral transition refused");
                (page.t("dk-error-transition"), StatusCode::CONFLICT)
            }
            Err(DeskFlowError::ChangedMeanwhile) => {
                (page.t("dk-error-changed-meanwhile"), StatusCode::CONFLICT)
            }
            Err(e) => return Err(flow_error(e)),
        },
    };
    referral_page(&state, &user, &actor, language, &id, error, status).await
}

#[derive(Template)]
#[template(path = "desk_referrals.html")]
struct ListTemplate {
    page: Page,
    csrf: String,
    role: Role,
    heading: String,
    intro: String,
    organization_heading: String,
    filters: Vec<(String, String, bool)>,
    rows: Vec<ReferralRow>,
}

#[derive(Deserialize, Default)]
pub struct ListQuery {
    #[serde(default)]
    state: String,
}

async fn list(
    state: AppState,
    desk: DeskUser,
    direction: Direction,
    filter: ListQuery,
) -> Result<Response, AppError> {
    let DeskUser {
        language,
        user,
        actor,
        ..
    } = desk;
    let (path, heading, counterpart) = match direction {
        Direction::Received => ("/desk/inbox", "dk-inbox-title", Direction::Sent),
        Direction::Sent => ("/desk/sent", "dk-sent-title", Direction::Received),
    };
    let mut page = Page::new(language, path);
    page.title = page.t(heading);
    let labels = Labels::new(&page);
    let chosen = ReferralState::parse(&filter.state);
    let states: Vec<ReferralState> = chosen.into_iter().collect();
    let views = state
        .store
        .referrals_of(&actor.organization_id, direction, &states, 200)
        .await?;
    let referrals: Vec<&Referral> = views.iter().map(|v| &v.referral).collect();
    let rows = referral_rows(&state, &page, &referrals, counterpart).await?;
    let filters = std::iter::once((page.href(path), page.t("dk-all-states"), chosen.is_none()))
        .chain(ReferralState::ALL.iter().map(|s| {
            (
                page.href(&format!("{path}?state={}", s.as_str())),
                labels.state(*s),
                chosen == Some(*s),
            )
        }))
        .collect();
    Ok(render(&ListTemplate {
        csrf: user.session.csrf_token.clone(),
        role: user.account.role,
        heading: page.t(heading),
        intro: String::new(),
        organization_heading: page.t(match direction {
            Direction::Received => "dk-col-from",
            Direction::Sent => "dk-col-to",
        }),
        filters,
        rows,
        page,
    }))
}

/// `GET /{lang}/desk/inbox`: referrals addressed to the organisation.
pub async fn inbox(
    State(state): State<AppState>,
    Query(filter): Query<ListQuery>,
    desk: DeskUser,
) -> Result<Response, AppError> {
    list(state, desk, Direction::Received, filter).await
}

/// `GET /{lang}/desk/sent`: referrals the organisation sent.
pub async fn sent(
    State(state): State<AppState>,
    Query(filter): Query<ListQuery>,
    desk: DeskUser,
) -> Result<Response, AppError> {
    list(state, desk, Direction::Sent, filter).await
}

/// How far ahead the overdue list looks for referrals about to run late.
const DUE_SOON: Duration = Duration::hours(12);

/// `GET /{lang}/desk/overdue`: for coordinators, referrals of the whole network awaiting an
/// answer past or near their deadline (no personal data: services, organisations, dates).
pub async fn overdue(
    State(state): State<AppState>,
    Coordinator { language, user, .. }: Coordinator,
) -> Result<Response, AppError> {
    let mut page = Page::new(language, "/desk/overdue");
    page.title = page.t("dk-overdue-title");
    let now = state.clock.now();
    let overdue = state.store.overdue_referrals(now + DUE_SOON, 500).await?;
    let referrals: Vec<&Referral> = overdue.iter().collect();
    let mut rows = referral_rows(&state, &page, &referrals, Direction::Received).await?;
    for (row, referral) in rows.iter_mut().zip(&overdue) {
        // Coordinators only see the list; the referral itself stays with its two sides.
        row.url = String::new();
        if referral.due_at < now {
            row.state = page.t("dk-late");
            row.state_code = "late";
        }
    }
    Ok(render(&ListTemplate {
        csrf: user.session.csrf_token.clone(),
        role: user.account.role,
        heading: page.t("dk-overdue-title"),
        intro: page.t("dk-overdue-intro"),
        organization_heading: page.t("dk-col-to"),
        filters: Vec::new(),
        rows,
        page,
    }))
}
