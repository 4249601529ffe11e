//! Answering a survey at its share link, `/{lang}/s/{token}`: one page at a time, each a
//! plain POST evaluated on the server (relevance, calculations, constraints, required
//! fields), so it works without JavaScript. Every page is saved as a draft; the resume link
//! (and a cookie) bring a half-filled form back. A submission stays with the version it was
//! started on, even when a newer version is deployed meanwhile.

use super::{form_language, form_of, language_code};
use crate::AppState;
use crate::auth::{CurrentUser, cookie, random_token};
use crate::error::AppError;
use crate::kit::Lang;
use crate::kit::Posted;
use crate::kit::{Page, render};
use askama::Template;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use chrono::{DateTime, FixedOffset};
use crocevia_i18n::Language;
use crocevia_store::survey::{Audience, FormVersion, Submission, SubmissionStatus, Survey};
use crocevia_xlsform::fill::{
    Answers, At, Engine, FieldProblem, ProblemKind, field_name, is_repeat, or_other, other_name,
    parse_repeat_field,
};
use crocevia_xlsform::{Element, ElementKind, Form, QuestionType};
use serde_json::{Map, Value as Json};

/// One choice of a select, as the page shows it.
pub struct ChoiceItem {
    pub value: String,
    pub label: String,
    pub checked: bool,
    pub id: String,
}

/// One thing on a page: a heading, a note, a question, a repeat's frame or button.
pub struct Item {
    /// `heading`, `note`, `input`, `textarea`, `radio`, `checkbox`, `ack`, `repeat-start`,
    /// `repeat-end`, `repeat-add`.
    pub kind: &'static str,
    pub field: String,
    pub id: String,
    pub label: String,
    pub hint: String,
    pub value: String,
    /// For `input`: `text`, `number`, `date`, `time`, `datetime-local`.
    pub input_type: &'static str,
    pub step: String,
    pub min: String,
    pub max: String,
    pub required: bool,
    pub error: String,
    pub choices: Vec<ChoiceItem>,
    /// For `repeat-start`, whether the instance may be removed.
    pub removable: bool,
}

impl Item {
    fn new(kind: &'static str) -> Self {
        Item {
            kind,
            field: String::new(),
            id: String::new(),
            label: String::new(),
            hint: String::new(),
            value: String::new(),
            input_type: "text",
            step: String::new(),
            min: String::new(),
            max: String::new(),
            required: false,
            error: String::new(),
            choices: Vec::new(),
            removable: false,
        }
    }

    /// Whether the item is a question's block (or the place of one not relevant now), which
    /// live re-evaluation may swap alone.
    pub fn is_block(&self) -> bool {
        matches!(
            self.kind,
            "input" | "textarea" | "radio" | "checkbox" | "ack" | "note" | "absent"
        )
    }

    /// What the server decided about the item, but not its value (the browser holds that):
    /// when this changes, live re-evaluation sends the block again.
    pub fn signature(&self) -> String {
        use std::hash::{Hash, Hasher};
        let mut h = std::collections::hash_map::DefaultHasher::new();
        (
            self.kind,
            &self.field,
            &self.label,
            &self.hint,
            self.input_type,
        )
            .hash(&mut h);
        (&self.step, &self.min, &self.max, self.required, &self.error).hash(&mut h);
        for c in &self.choices {
            (&c.value, &c.label).hash(&mut h);
        }
        format!("{:x}", h.finish())
    }

    pub fn described_by(&self) -> String {
        let mut ids = Vec::new();
        if !self.hint.is_empty() {
            ids.push(format!("{}-hint", self.id));
        }
        if !self.error.is_empty() {
            ids.push(format!("{}-error", self.id));
        }
        ids.join(" ")
    }
}

/// A form language the respondent can switch to.
pub struct LanguageOption {
    pub code: String,
    pub name: String,
    pub current: bool,
}

#[derive(Template)]
#[template(path = "survey_respond.html")]
struct RespondTemplate {
    page: Page,
    title: String,
    /// The language of the title when known and not the page's.
    title_lang: String,
    action: String,
    resume: String,
    resume_url: String,
    page_index: usize,
    position: usize,
    pages: usize,
    percent: usize,
    last: bool,
    first: bool,
    items: Vec<Item>,
    errors: Vec<(String, String)>,
    languages: Vec<LanguageOption>,
    /// Rendered for htmx: the region alone, focus moved to it, the live region told.
    fragment: bool,
    /// What the live region says after htmx swapped the region in.
    status: String,
}

/// The changing part of a respondent's page alone, for htmx.
#[derive(Template)]
#[template(path = "survey_respond_region.html")]
struct RegionTemplate<'a> {
    t: &'a RespondTemplate,
}

impl std::ops::Deref for RegionTemplate<'_> {
    type Target = RespondTemplate;
    fn deref(&self) -> &RespondTemplate {
        self.t
    }
}

/// The answer to a live re-evaluation: the blocks that changed.
#[derive(Template)]
#[template(path = "survey_respond_blocks.html")]
struct BlocksTemplate<'a> {
    page: &'a Page,
    items: Vec<&'a Item>,
    status: String,
}

/// Whether htmx sent the request (it then swaps a fragment of the page).
pub fn is_htmx(headers: &HeaderMap) -> bool {
    headers
        .get("hx-request")
        .is_some_and(|v| v.as_bytes() == b"true")
}

/// A message page's content without the page around it, for htmx to swap into `#main`.
#[derive(Clone)]
struct MessageFragment(String);

#[derive(Template)]
#[template(path = "survey_message_body.html")]
struct MessageBodyTemplate<'a> {
    heading: &'a str,
    message: &'a str,
}

#[derive(Template)]
#[template(path = "survey_message.html")]
struct MessageTemplate {
    page: Page,
    heading: String,
    message: String,
}

fn message_page(
    language: &'static Language,
    status: StatusCode,
    heading: &str,
    message: &str,
) -> Response {
    let mut page = Page::new(language, "/");
    page.title = page.t(heading);
    let heading = page.t(heading);
    let message = page.t(message);
    let fragment = MessageBodyTemplate {
        heading: &heading,
        message: &message,
    }
    .render()
    .unwrap_or_default();
    let mut response = (
        status,
        render(&MessageTemplate {
            page,
            heading,
            message,
        }),
    )
        .into_response();
    response.extensions_mut().insert(MessageFragment(fragment));
    response
}

/// Adapts an answer to a request from htmx: a redirect is followed by the browser
/// (`HX-Redirect`), a whole message page becomes its content swapped into `#main`; fragments
/// go as they are.
fn for_htmx(response: Response) -> Response {
    if response.status().is_redirection() {
        let mut adapted = StatusCode::OK.into_response();
        for (name, value) in response.headers() {
            if name == header::LOCATION {
                adapted.headers_mut().insert("hx-redirect", value.clone());
            } else if name == header::SET_COOKIE {
                adapted.headers_mut().append(name, value.clone());
            }
        }
        return adapted;
    }
    let Some(MessageFragment(fragment)) = response.extensions().get::<MessageFragment>().cloned()
    else {
        return response;
    };
    let mut adapted = (
        response.status(),
        [
            (header::CONTENT_TYPE, "text/html; charset=utf-8"),
            (header::HeaderName::from_static("hx-retarget"), "#main"),
            (
                header::HeaderName::from_static("hx-reswap"),
                "innerHTML show:window:top",
            ),
        ],
        fragment,
    )
        .into_response();
    for value in response.headers().get_all(header::SET_COOKIE) {
        adapted
            .headers_mut()
            .append(header::SET_COOKIE, value.clone());
    }
    adapted
}

fn resume_cookie_name(share_token: &str) -> String {
    format!("crocevia_survey_{share_token}")
}

fn now_of(state: &AppState) -> DateTime<FixedOffset> {
    let now = state.clock.now();
    let local = crocevia_core::schedule::rome_time(now);
    let seconds = (local - now.naive_utc()).num_seconds();
    let offset = FixedOffset::east_opt(i32::try_from(seconds).unwrap_or(0))
        .unwrap_or_else(|| FixedOffset::east_opt(0).expect("zero offset"));
    now.with_timezone(&offset)
}

/// The survey of a share link and who may answer it; `Err` is the page to show instead.
async fn open_survey(
    state: &AppState,
    language: &'static Language,
    token: &str,
    parts_user: Option<&CurrentUser>,
) -> Result<Result<Survey, Response>, AppError> {
    let Some(survey) = state.store.survey_by_token(token).await? else {
        return Ok(Err(message_page(
            language,
            StatusCode::NOT_FOUND,
            "respond-closed-title",
            "respond-not-found",
        )));
    };
    if survey.audience == Audience::Operators && parts_user.is_none() {
        return Ok(Err(
            Redirect::to(&format!("/{}/login", language.code)).into_response()
        ));
    }
    Ok(Ok(survey))
}

async fn deployed(state: &AppState, survey: &Survey) -> Result<Option<FormVersion>, AppError> {
    Ok(state
        .store
        .versions(&survey.id)
        .await?
        .into_iter()
        .find(|v| v.deployed))
}

/// The draft in progress for this browser, if any (found by cookie or posted token).
async fn draft(state: &AppState, resume: Option<&str>) -> Result<Option<Submission>, AppError> {
    let Some(resume) = resume.filter(|r| !r.is_empty()) else {
        return Ok(None);
    };
    Ok(state
        .store
        .submission_by_resume_token(resume)
        .await?
        .filter(|s| s.status == SubmissionStatus::Draft))
}

async fn optional_user(state: &AppState, headers: &HeaderMap) -> Option<CurrentUser> {
    let mut request = axum::http::Request::builder().uri("/it/").body(()).ok()?;
    *request.headers_mut() = headers.clone();
    let (mut parts, ()) = request.into_parts();
    use axum::extract::FromRequestParts;
    CurrentUser::from_request_parts(&mut parts, state)
        .await
        .ok()
}

/// `GET /{lang}/s/{token}`: the page the respondent is on (the first for a new one).
pub async fn show(
    State(state): State<AppState>,
    Lang(language): Lang,
    Path((_, token)): Path<(String, String)>,
    headers: HeaderMap,
) -> Result<Response, AppError> {
    let user = optional_user(&state, &headers).await;
    let survey = match open_survey(&state, language, &token, user.as_ref()).await? {
        Ok(s) => s,
        Err(page) => return Ok(page),
    };
    let existing = draft(&state, cookie(&headers, &resume_cookie_name(&token))).await?;
    let (version, submission) = match existing {
        Some(s) => match state.store.version(&s.version_id).await? {
            Some(v) if v.survey_id == survey.id => (v, Some(s)),
            _ => return Ok(closed(language)),
        },
        None => match deployed(&state, &survey).await? {
            Some(v) => (v, None),
            None => return Ok(closed(language)),
        },
    };
    let form = form_of(&state, &version).await?;
    let engine = Engine::new(&form);
    let now = now_of(&state);
    let form_lang = form_language(
        &form,
        language.code,
        submission.as_ref().map(|s| s.language.as_str()),
    );
    let mut answers = submission
        .as_ref()
        .and_then(|s| s.answers.as_object().cloned())
        .unwrap_or_default();
    engine.update(&mut answers, &form_lang, now);
    let relevant = engine.relevant_pages(&answers, &form_lang, now);
    let page_index = submission
        .as_ref()
        .map(|s| s.page as usize)
        .filter(|p| relevant.contains(p))
        .or_else(|| relevant.first().copied())
        .unwrap_or(0);
    let inputs = PageInputs {
        language,
        token: &token,
        form: &form,
        engine: &engine,
        answers: &answers,
        form_lang: &form_lang,
        now,
        resume: submission
            .as_ref()
            .map(|s| s.resume_token.as_str())
            .unwrap_or_default(),
        title: &version.title,
    };
    Ok(page_response(
        &inputs,
        page_index,
        &[],
        StatusCode::OK,
        false,
    ))
}

fn closed(language: &'static Language) -> Response {
    message_page(
        language,
        StatusCode::NOT_FOUND,
        "respond-closed-title",
        "respond-closed",
    )
}

/// `GET /{lang}/s/{token}/resume/{resume}`: remembers the draft and shows it.
pub async fn resume(
    Lang(language): Lang,
    Path((_, token, resume)): Path<(String, String, String)>,
) -> Result<Response, AppError> {
    let mut response = Redirect::to(&format!("/{}/s/{token}", language.code)).into_response();
    set_resume_cookie(&mut response, &token, &resume);
    Ok(response)
}

fn set_resume_cookie(response: &mut Response, token: &str, resume: &str) {
    let value = format!(
        "{}={resume}; Path=/; Max-Age=2592000; HttpOnly; SameSite=Lax",
        resume_cookie_name(token)
    );
    if let Ok(v) = value.parse() {
        response.headers_mut().append(header::SET_COOKIE, v);
    }
}

fn clear_resume_cookie(response: &mut Response, token: &str) {
    let value = format!(
        "{}=; Path=/; Max-Age=0; HttpOnly; SameSite=Lax",
        resume_cookie_name(token)
    );
    if let Ok(v) = value.parse() {
        response.headers_mut().append(header::SET_COOKIE, v);
    }
}

/// `POST /{lang}/s/{token}`: takes the page's answers and moves on (`_action` = `next`,
/// `back`, `add:REPEAT`, `remove:REPEAT:INDEX`, `lang:CODE`).
///
/// From htmx (`HX-Request: true`) the answer is the page's changing region alone, and
/// `_action` = `refresh` re-evaluates the page as answered so far without saving or moving
/// on, answering with only the questions whose state changed.
pub async fn submit(
    State(state): State<AppState>,
    Lang(language): Lang,
    Path((_, token)): Path<(String, String)>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, AppError> {
    let hx = is_htmx(&headers);
    let response = submit_page(&state, language, &token, &headers, &body, hx).await?;
    Ok(if hx { for_htmx(response) } else { response })
}

async fn submit_page(
    state: &AppState,
    language: &'static Language,
    token: &str,
    headers: &HeaderMap,
    body: &[u8],
    hx: bool,
) -> Result<Response, AppError> {
    let user = optional_user(state, headers).await;
    let survey = match open_survey(state, language, token, user.as_ref()).await? {
        Ok(s) => s,
        Err(page) => return Ok(page),
    };
    let posted = Posted::parse(body);
    let resume_token = posted.get("_resume");
    let existing = draft(state, Some(resume_token.as_str())).await?;
    let version = match &existing {
        Some(s) => match state.store.version(&s.version_id).await? {
            Some(v) if v.survey_id == survey.id => v,
            _ => return Ok(closed(language)),
        },
        None => match deployed(state, &survey).await? {
            Some(v) => v,
            None => return Ok(closed(language)),
        },
    };
    let form = form_of(state, &version).await?;
    let engine = Engine::new(&form);
    let now = now_of(state);
    let at = state.clock.now();
    let form_lang = form_language(
        &form,
        language.code,
        existing.as_ref().map(|s| s.language.as_str()),
    );
    let mut submission = existing.unwrap_or_else(|| Submission {
        id: uuid::Uuid::new_v4().to_string(),
        version_id: version.id.clone(),
        resume_token: random_token(),
        language: form_lang.clone(),
        status: SubmissionStatus::Draft,
        answers: Json::Object(Map::new()),
        page: 0,
        started_at: at,
        updated_at: at,
        completed_at: None,
    });
    let mut answers = submission.answers.as_object().cloned().unwrap_or_default();
    engine.update(&mut answers, &form_lang, now);
    let page_index: usize = posted
        .get("_page")
        .parse()
        .unwrap_or(0)
        .min(engine.pages().len().saturating_sub(1));
    take_page(&engine, page_index, &posted, &mut answers);
    let action = posted.get("_action");
    let action = if action.is_empty() {
        "next".to_owned()
    } else {
        action
    };
    if action == "refresh" {
        engine.update(&mut answers, &form_lang, now);
        let inputs = PageInputs {
            language,
            token,
            form: &form,
            engine: &engine,
            answers: &answers,
            form_lang: &form_lang,
            now,
            resume: &submission.resume_token,
            title: &version.title,
        };
        return Ok(refresh(&inputs, page_index, &posted, hx));
    }
    if let Some(field) = action.strip_prefix("add:")
        && let Some((path, repeat)) = parse_repeat_field(field)
    {
        engine.add_instance(&mut answers, At { path: &path }, repeat);
    } else if let Some(rest) = action.strip_prefix("remove:")
        && let Some((field, index)) = rest.rsplit_once(':')
        && let Some((path, repeat)) = parse_repeat_field(field)
    {
        let index = index.parse().unwrap_or(usize::MAX);
        engine.remove_instance(&mut answers, At { path: &path }, repeat, index);
    }
    engine.update(&mut answers, &form_lang, now);
    engine.clear_irrelevant(&mut answers, &form_lang, now);
    let relevant = engine.relevant_pages(&answers, &form_lang, now);
    submission.language = form_lang.clone();
    submission.updated_at = at;
    let mut next_page = page_index;
    let mut problems = Vec::new();
    let mut complete = false;
    if action == "next" {
        problems = engine.check_page(page_index, &answers, &form_lang, now);
        if problems.is_empty() {
            match relevant.iter().find(|&&p| p > page_index) {
                Some(&p) => next_page = p,
                None => complete = true,
            }
        }
    } else if action == "back"
        && let Some(&p) = relevant.iter().rev().find(|&&p| p < page_index)
    {
        next_page = p;
    }
    if complete {
        set_metadata(&form, &mut answers, now);
        submission.status = SubmissionStatus::Complete;
        submission.completed_at = Some(at);
    }
    submission.page = u32::try_from(next_page).unwrap_or(0);
    submission.answers = Json::Object(answers.clone());
    state.store.save_submission(&submission).await?;
    if complete {
        let mut response = message_page(
            language,
            StatusCode::OK,
            "respond-thanks-title",
            "respond-thanks",
        );
        clear_resume_cookie(&mut response, token);
        return Ok(response);
    }
    if let Some(code) = action.strip_prefix("lang:") {
        let target = crocevia_i18n::language(code).unwrap_or(language);
        let mut response = Redirect::to(&format!("/{}/s/{token}", target.code)).into_response();
        set_resume_cookie(&mut response, token, &submission.resume_token);
        return Ok(response);
    }
    let status = if problems.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    let inputs = PageInputs {
        language,
        token,
        form: &form,
        engine: &engine,
        answers: &answers,
        form_lang: &form_lang,
        now,
        resume: &submission.resume_token,
        title: &version.title,
    };
    let mut response = page_response(&inputs, next_page, &problems, status, hx);
    set_resume_cookie(&mut response, token, &submission.resume_token);
    Ok(response)
}

/// `end` and the like, set when the form is sent.
fn set_metadata(form: &Form, answers: &mut Answers, now: DateTime<FixedOffset>) {
    form.walk(|el| {
        if let Some(QuestionType::Metadata(kind)) = el.question_type()
            && kind == "end"
        {
            answers.insert(
                el.name.clone(),
                Json::String(now.format("%Y-%m-%dT%H:%M:%S%.3f%:z").to_string()),
            );
        }
    });
}

/// Copies the posted values of the page's questions into the answers (a question without a
/// posted value is empty: an unticked box, a question that was not shown).
fn take_page(engine: &Engine<'_>, page: usize, posted: &Posted, answers: &mut Answers) {
    fn take(engine: &Engine<'_>, el: &Element, at: At<'_>, posted: &Posted, answers: &mut Answers) {
        match &el.kind {
            ElementKind::Group(_) if is_repeat(el) => {
                let n = engine.instances(answers, at, &el.name);
                for i in 0..n {
                    let path = at.inner(&el.name, i);
                    for c in &el.children {
                        take(engine, c, At { path: &path }, posted, answers);
                    }
                }
            }
            ElementKind::Group(_) => {
                for c in &el.children {
                    take(engine, c, at, posted, answers);
                }
            }
            ElementKind::Question(t) => {
                if !t.is_input()
                    || el.calculation.is_some()
                    || matches!(t, QuestionType::Note | QuestionType::Media(_))
                {
                    return;
                }
                let field = field_name(at, &el.name);
                let value = match t {
                    QuestionType::SelectMultiple { .. } => posted.all(&field).join(" "),
                    _ => posted.get(&field).trim().to_owned(),
                };
                engine.set(answers, at, &el.name, value);
                if or_other(el) {
                    let other = other_name(&el.name);
                    let value = posted.get(&field_name(at, &other)).trim().to_owned();
                    engine.set(answers, at, &other, value);
                }
            }
        }
    }
    for el in engine.pages().get(page).into_iter().flatten() {
        take(engine, el, At::TOP, posted, answers);
    }
}

/// What every rendering of a respondent's page reads.
#[derive(Clone, Copy)]
struct PageInputs<'a> {
    language: &'static Language,
    token: &'a str,
    form: &'a Form,
    engine: &'a Engine<'a>,
    answers: &'a Answers,
    form_lang: &'a str,
    now: DateTime<FixedOffset>,
    /// The respondent's resume token.
    resume: &'a str,
    /// The version's title as stored (the file's name for an untitled form).
    title: &'a str,
}

fn page_template(
    inputs: &PageInputs<'_>,
    page_index: usize,
    problems: &[FieldProblem],
) -> RespondTemplate {
    let PageInputs {
        language,
        token,
        form,
        engine,
        answers,
        form_lang,
        now,
        resume,
        title: stored_title,
    } = *inputs;
    let mut page = Page::new(language, format!("/s/{token}"));
    // The title in the form language when the settings give one (`form_title::Language (xx)`),
    // else the form's title, marked with the form's default language.
    let translated = form
        .settings
        .all
        .get(&format!("form_title::{form_lang}"))
        .cloned()
        .filter(|t| !t.is_empty());
    let title_lang = match translated {
        Some(_) => language_code(form_lang),
        None => form
            .settings
            .default_language
            .as_deref()
            .and_then(language_code),
    }
    .unwrap_or_default()
    .to_owned();
    let title = translated.unwrap_or_else(|| stored_title.to_owned());
    page.title = title.clone();
    let relevant = engine.relevant_pages(answers, form_lang, now);
    let position = relevant
        .iter()
        .position(|&p| p == page_index)
        .map_or(1, |p| p + 1);
    let pages = relevant.len().max(1);
    let mut items = Vec::new();
    let render = Render {
        engine,
        answers,
        lang: form_lang,
        now,
        problems,
        page: &page,
    };
    for el in engine.pages().get(page_index).into_iter().flatten() {
        render.element(el, At::TOP, 2, &mut items);
    }
    let errors = items
        .iter()
        .filter(|i| !i.error.is_empty())
        .map(|i| (i.id.clone(), format!("{}: {}", i.label, i.error)))
        .collect();
    let languages = form
        .languages
        .iter()
        .filter_map(|l| {
            let code = language_code(l)?;
            crocevia_i18n::language(code)?;
            Some(LanguageOption {
                code: code.to_owned(),
                name: l
                    .rsplit_once('(')
                    .map_or(l.as_str(), |(n, _)| n)
                    .trim()
                    .to_owned(),
                current: l == form_lang,
            })
        })
        .collect();
    let resume_url = if resume.is_empty() {
        String::new()
    } else {
        format!("/{}/s/{token}/resume/{resume}", language.code)
    };
    RespondTemplate {
        title_lang,
        action: format!("/{}/s/{token}", language.code),
        resume: resume.to_owned(),
        resume_url,
        page_index,
        position,
        pages,
        percent: position * 100 / pages,
        last: relevant.last().is_none_or(|&p| p <= page_index),
        first: relevant.first().is_none_or(|&p| p >= page_index),
        items,
        errors,
        languages,
        title,
        page,
        fragment: false,
        status: String::new(),
    }
}

fn page_response(
    inputs: &PageInputs<'_>,
    page_index: usize,
    problems: &[FieldProblem],
    status: StatusCode,
    hx: bool,
) -> Response {
    let mut template = page_template(inputs, page_index, problems);
    if !hx {
        return (status, render(&template)).into_response();
    }
    template.fragment = true;
    template.status = format!(
        "{} {} / {}",
        template.page.t("respond-page"),
        template.position,
        template.pages
    );
    if !template.errors.is_empty() {
        let count = template.errors.len() as u64;
        template.status = format!(
            "{} {}",
            template.status,
            template.page.tn("respond-status-errors", "count", &count)
        );
    }
    (status, render(&RegionTemplate { t: &template })).into_response()
}

/// The id of a question's item from its form field.
fn item_id(field: &str) -> String {
    format!("q-{}", field.replace('.', "-"))
}

/// Live re-evaluation of the page being answered: relevance, calculations, choice filters
/// and the checks of what was answered (a required answer is asked for only where the page
/// already said so). From htmx, only the blocks whose signature differs from the posted
/// `_sig` values go back; when the page's shape changed (a group appeared), the whole region.
fn refresh(inputs: &PageInputs<'_>, page_index: usize, posted: &Posted, hx: bool) -> Response {
    let PageInputs {
        engine,
        answers,
        form_lang,
        now,
        ..
    } = *inputs;
    let shown: Vec<(String, String, bool)> = posted
        .all("_sig")
        .iter()
        .filter_map(|s| {
            let mut parts = s.splitn(3, ':');
            let id = parts.next()?.to_owned();
            let sig = parts.next()?.to_owned();
            Some((id, sig, parts.next() == Some("e")))
        })
        .collect();
    let problems: Vec<FieldProblem> = engine
        .check_page(page_index, answers, form_lang, now)
        .into_iter()
        .filter(|p| {
            p.kind != ProblemKind::Required
                || shown
                    .iter()
                    .any(|(id, _, error)| *error && *id == item_id(&p.field))
        })
        .collect();
    let template = page_template(inputs, page_index, &problems);
    let blocks: Vec<&Item> = template.items.iter().filter(|i| i.is_block()).collect();
    let same_shape =
        blocks.len() == shown.len() && blocks.iter().zip(&shown).all(|(b, (id, _, _))| b.id == *id);
    if !hx || !same_shape {
        let mut response = page_response(inputs, page_index, &problems, StatusCode::OK, hx);
        if hx {
            let headers = response.headers_mut();
            headers.insert(
                "hx-retarget",
                header::HeaderValue::from_static("#survey-region"),
            );
            headers.insert("hx-reswap", header::HeaderValue::from_static("outerHTML"));
        }
        return response;
    }
    let changed: Vec<&Item> = blocks
        .into_iter()
        .zip(&shown)
        .filter(|(b, (_, sig, _))| b.signature() != *sig)
        .map(|(b, _)| b)
        .collect();
    let status = if !problems.is_empty() {
        template
            .page
            .tn("respond-status-errors", "count", &(problems.len() as u64))
    } else if !changed.is_empty() {
        template.page.t("respond-status-updated")
    } else {
        String::new()
    };
    render(&BlocksTemplate {
        page: &template.page,
        items: changed,
        status,
    })
    .into_response()
}

/// The first page of a form as a new respondent sees it, as HTML (for `crocevia bench`).
pub fn first_page_html(
    form: &Form,
    language: &'static Language,
    now: DateTime<FixedOffset>,
) -> String {
    let engine = Engine::new(form);
    let form_lang = form_language(form, language.code, None);
    let mut answers = Answers::new();
    engine.update(&mut answers, &form_lang, now);
    let first = engine
        .relevant_pages(&answers, &form_lang, now)
        .first()
        .copied()
        .unwrap_or(0);
    page_template(
        &PageInputs {
            language,
            token: "bench",
            form,
            engine: &engine,
            answers: &answers,
            form_lang: &form_lang,
            now,
            resume: "",
            title: &super::form_title(form, "form"),
        },
        first,
        &[],
    )
    .render()
    .unwrap_or_default()
}

/// Whether a question shows on the page (calculations and media do not).
fn shows(el: &Element, t: &QuestionType) -> bool {
    t.is_input() && el.calculation.is_none() && !matches!(t, QuestionType::Media(_))
}

struct Render<'r, 'f> {
    engine: &'r Engine<'f>,
    answers: &'r Answers,
    lang: &'r str,
    now: DateTime<FixedOffset>,
    problems: &'r [FieldProblem],
    page: &'r Page,
}

/// The message shown for a refused answer when the form gives none of its own.
fn problem_message_id(kind: ProblemKind) -> &'static str {
    match kind {
        ProblemKind::Required => "respond-error-required",
        ProblemKind::Constraint => "respond-error-constraint",
        ProblemKind::NotInteger => "respond-error-integer",
        ProblemKind::NotDecimal => "respond-error-decimal",
        ProblemKind::NotDate => "respond-error-date",
        ProblemKind::NotTime => "respond-error-time",
        ProblemKind::NotChoice => "respond-error-choice",
    }
}

impl Render<'_, '_> {
    fn text(&self, t: &crocevia_xlsform::Text, at: At<'_>) -> String {
        let raw = t.get(self.lang).unwrap_or_default();
        self.engine
            .interpolate(raw, self.answers, at, self.lang, self.now)
    }

    fn error(&self, field: &str) -> String {
        self.problems
            .iter()
            .find(|p| p.field == field)
            .map(|p| {
                p.message
                    .clone()
                    .unwrap_or_else(|| self.page.t(problem_message_id(p.kind)))
            })
            .unwrap_or_default()
    }

    fn element(&self, el: &Element, at: At<'_>, level: u8, out: &mut Vec<Item>) {
        if !self
            .engine
            .relevant(el, self.answers, at, self.lang, self.now)
        {
            // A question keeps its place, so it can appear without the page changing shape.
            if let ElementKind::Question(t) = &el.kind
                && shows(el, t)
            {
                let mut absent = Item::new("absent");
                absent.id = item_id(&field_name(at, &el.name));
                out.push(absent);
                if or_other(el) {
                    let mut absent = Item::new("absent");
                    absent.id = item_id(&field_name(at, &other_name(&el.name)));
                    out.push(absent);
                }
            }
            return;
        }
        match &el.kind {
            ElementKind::Group(_) if is_repeat(el) => {
                let label = self.text(&el.label, at);
                let n = self.engine.instances(self.answers, at, &el.name);
                // `member`, `member.0.child`: the repeat's place, in its buttons and ids.
                let place = field_name(at, &el.name);
                for i in 0..n {
                    let path = at.inner(&el.name, i);
                    let inner = At { path: &path };
                    let mut start = Item::new("repeat-start");
                    start.label = format!("{label} {}", i + 1);
                    start.field = format!("remove:{place}:{i}");
                    start.id = format!("r-{}-{i}", place.replace('.', "-"));
                    start.removable = el.repeat_count.is_none() && n > 1;
                    out.push(start);
                    for c in &el.children {
                        self.element(c, inner, level + 1, out);
                    }
                    out.push(Item::new("repeat-end"));
                }
                if el.repeat_count.is_none() {
                    let mut add = Item::new("repeat-add");
                    add.field = format!("add:{place}");
                    add.label = label;
                    out.push(add);
                }
            }
            ElementKind::Group(_) => {
                let label = self.text(&el.label, at);
                if !label.is_empty() {
                    let mut heading = Item::new("heading");
                    heading.label = label;
                    heading.step = level.min(4).to_string();
                    out.push(heading);
                }
                for c in &el.children {
                    self.element(c, at, level + 1, out);
                }
            }
            ElementKind::Question(t) => self.question(el, t, at, out),
        }
    }

    fn question(&self, el: &Element, t: &QuestionType, at: At<'_>, out: &mut Vec<Item>) {
        if !shows(el, t) {
            return;
        }
        let field = field_name(at, &el.name);
        let mut item = Item::new("input");
        item.id = item_id(&field);
        item.label = self.text(&el.label, at);
        if item.label.is_empty() {
            item.label = el.name.clone();
        }
        item.hint = self.text(&el.hint, at);
        item.value = self.engine.answer(self.answers, at, &el.name);
        item.required = self
            .engine
            .required(el, self.answers, at, self.lang, self.now);
        item.error = self.error(&field);
        item.field = field;
        match t {
            QuestionType::Note => {
                item.kind = "note";
            }
            QuestionType::Integer => {
                item.input_type = "number";
                item.step = "1".into();
            }
            QuestionType::Decimal => {
                item.input_type = "number";
                item.step = "any".into();
            }
            QuestionType::Range => {
                item.input_type = "number";
                let params = el.parameters.as_deref().unwrap_or_default();
                for p in params.split_whitespace() {
                    match p.split_once('=') {
                        Some(("start", v)) => item.min = v.to_owned(),
                        Some(("end", v)) => item.max = v.to_owned(),
                        Some(("step", v)) => item.step = v.to_owned(),
                        _ => {}
                    }
                }
                if item.step.is_empty() {
                    item.step = "1".into();
                }
            }
            QuestionType::Date => item.input_type = "date",
            QuestionType::Time => item.input_type = "time",
            QuestionType::DateTime => item.input_type = "datetime-local",
            QuestionType::Text
                if el
                    .appearance
                    .as_deref()
                    .is_some_and(|a| a.contains("multiline")) =>
            {
                item.kind = "textarea";
            }
            QuestionType::Acknowledge => {
                item.kind = "ack";
            }
            QuestionType::SelectOne { .. } | QuestionType::SelectMultiple { .. } => {
                let multiple = matches!(t, QuestionType::SelectMultiple { .. });
                item.kind = if multiple { "checkbox" } else { "radio" };
                let selected: Vec<&str> = item.value.split_whitespace().collect();
                let mut choices: Vec<ChoiceItem> = self
                    .engine
                    .choices(el, self.answers, at, self.lang, self.now)
                    .into_iter()
                    .map(|c| ChoiceItem {
                        value: c.name.clone(),
                        label: c.label.get(self.lang).unwrap_or(&c.name).to_owned(),
                        checked: selected.contains(&c.name.as_str()),
                        id: format!("{}-{}", item.id, c.name),
                    })
                    .collect();
                if or_other(el) {
                    choices.push(ChoiceItem {
                        value: "other".into(),
                        label: self.page.t("respond-other"),
                        checked: selected.contains(&"other"),
                        id: format!("{}-other", item.id),
                    });
                }
                item.choices = choices;
            }
            _ => {}
        }
        let other_selected = item.value.split_whitespace().any(|v| v == "other");
        out.push(item);
        if or_other(el) {
            let other = other_name(&el.name);
            let field = field_name(at, &other);
            let mut o = Item::new("input");
            o.id = item_id(&field);
            o.label = self.page.t("respond-other-specify");
            o.value = self.engine.answer(self.answers, at, &other);
            o.required = other_selected;
            o.error = self.error(&field);
            o.field = field;
            out.push(o);
        }
    }
}
