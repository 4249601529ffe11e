//! Surveys as their users go through them: a coordinator uploads our needs-assessment
//! XLSForm (a real .xlsx), bad forms are refused with every problem by row, a version is
//! deployed and shared; respondents fill it in without JavaScript (each page a POST checked
//! on the server), resume a half-filled form, keep the version they started on; the
//! analysis hides small counts; the exports read back with calamine.

// Tests fail by panicking; some read the wall clock as the server under test does.
#![allow(clippy::unwrap_used, clippy::disallowed_methods)]

use std::io::Cursor;
use std::path::PathBuf;

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use calamine::{Data, Reader, Xlsx};
use crocevia_store::survey::SubmissionStatus;

mod common;
use common::world::*;

fn data_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../data/surveys")
}

fn form_csv() -> String {
    std::fs::read_to_string(data_dir().join("needs-assessment.csv")).unwrap()
}

fn form_xlsx() -> Vec<u8> {
    std::fs::read(data_dir().join("needs-assessment.xlsx")).unwrap()
}

/// Writes an XLSForm in its CSV layout (sheet name in the first column) as an .xlsx.
fn xlsx_from_xlsform_csv(csv_text: &str) -> Vec<u8> {
    let mut workbook = rust_xlsxwriter::Workbook::new();
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(csv_text.as_bytes());
    let mut row = 0u32;
    let mut sheet: Option<usize> = None;
    let mut count = 0usize;
    for record in reader.records() {
        let record = record.unwrap();
        let first = record.get(0).unwrap_or_default();
        if !first.is_empty() {
            let ws = workbook.add_worksheet();
            ws.set_name(first).unwrap();
            sheet = Some(count);
            count += 1;
            row = 0;
        }
        let ws = workbook.worksheet_from_index(sheet.unwrap()).unwrap();
        for (c, value) in record.iter().skip(1).enumerate() {
            if !value.is_empty() {
                ws.write_string(row, c as u16, value).unwrap();
            }
        }
        row += 1;
    }
    workbook.save_to_buffer().unwrap()
}

/// The committed .xlsx is the CSV source written as a spreadsheet: set
/// `CROCEVIA_WRITE_FORMS=1` to write it again after editing the CSV.
#[test]
fn the_committed_form_is_its_csv_source_as_xlsx() {
    let csv_text = form_csv();
    if std::env::var_os("CROCEVIA_WRITE_FORMS").is_some() {
        std::fs::write(
            data_dir().join("needs-assessment.xlsx"),
            xlsx_from_xlsform_csv(&csv_text),
        )
        .unwrap();
    }
    let from_csv = crocevia_xlsform::read_csv(csv_text.as_bytes()).unwrap();
    let from_xlsx = crocevia_xlsform::read_xlsx(&form_xlsx()).unwrap();
    let shape = |f: &crocevia_xlsform::Form| {
        let mut names = Vec::new();
        f.walk(|e| names.push((e.name.clone(), e.type_text.clone(), e.label.clone())));
        (
            names,
            f.languages.clone(),
            f.choices.clone(),
            f.settings.form_id.clone(),
        )
    };
    assert_eq!(shape(&from_csv), shape(&from_xlsx));
    let report = crocevia_xlsform::validate(&from_xlsx);
    assert!(report.is_valid(), "{report}");
    assert_eq!(
        from_xlsx.languages,
        [
            "Italiano (it)",
            "English (en)",
            "Français (fr)",
            "العربية (ar)"
        ]
    );
}

/// A multipart upload of one file with the session's CSRF token.
async fn upload(
    w: &World,
    session: &str,
    uri: &str,
    file_name: &str,
    bytes: &[u8],
) -> (StatusCode, Vec<String>, String) {
    let csrf = w.csrf(session).await;
    let boundary = "----crocevia-test-boundary";
    let mut body = Vec::new();
    body.extend_from_slice(
        format!(
            "--{boundary}\r\nContent-Disposition: form-data; name=\"csrf\"\r\n\r\n{csrf}\r\n\
             --{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{file_name}\"\r\n\
             Content-Type: application/octet-stream\r\n\r\n"
        )
        .as_bytes(),
    );
    body.extend_from_slice(bytes);
    body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    let request = Request::post(uri)
        .header(
            header::CONTENT_TYPE,
            format!("multipart/form-data; boundary={boundary}"),
        )
        .header(header::COOKIE, format!("crocevia_session={session}"))
        .body(Body::from(body))
        .unwrap();
    w.send(request).await
}

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

fn location(headers: &[String]) -> String {
    headers
        .iter()
        .find_map(|h| h.strip_prefix("location: "))
        .unwrap_or_else(|| panic!("a redirect: {headers:?}"))
        .to_owned()
}

fn between<'a>(html: &'a str, start: &str, end: &str) -> &'a str {
    let from = html
        .find(start)
        .unwrap_or_else(|| panic!("{start} in {html}"))
        + start.len();
    &html[from..][..html[from..].find(end).unwrap()]
}

struct Setup {
    w: World,
    session: String,
    survey_url: String,
    /// `/s/{token}` without the language.
    share_path: String,
}

/// A coordinator of the first organisation uploads the needs assessment and deploys it.
async fn deployed_survey() -> Setup {
    let w = World::new("http://crocevia.test").await;
    let org = w
        .records
        .iter()
        .find(|r| r.table == "organization")
        .unwrap()
        .id
        .clone();
    w.account(&org, "coord@example.it", "coordinator").await;
    let session = w.session("coord@example.it").await;
    let (status, headers, body) = upload(
        &w,
        &session,
        "/it/surveys",
        "needs-assessment.xlsx",
        &form_xlsx(),
    )
    .await;
    assert_eq!(status, StatusCode::SEE_OTHER, "{body}");
    let survey_url = location(&headers);
    let (status, _, html) = w.get(&survey_url, Some(&session)).await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("Rilevazione dei bisogni"));
    let version_id = between(&html, "name=\"version\" value=\"", "\"").to_owned();
    let (status, headers, _) = submit(
        &w,
        &session,
        &format!("{survey_url}/deploy"),
        &[("version", &version_id)],
    )
    .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert_eq!(location(&headers), survey_url);
    let (_, _, html) = w.get(&survey_url, Some(&session)).await;
    let link = between(&html, "id=\"share-link\" href=\"", "\"").to_owned();
    let share_path = link
        .strip_prefix("http://crocevia.test/it")
        .unwrap()
        .to_owned();
    Setup {
        w,
        session,
        survey_url,
        share_path,
    }
}

/// A respondent's browser: the resume cookie it was given.
struct Respondent {
    lang: &'static str,
    cookie: Option<String>,
    resume: String,
    page: String,
}

impl Respondent {
    fn new(lang: &'static str) -> Self {
        Respondent {
            lang,
            cookie: None,
            resume: String::new(),
            page: "0".into(),
        }
    }

    async fn open(&mut self, s: &Setup) -> (StatusCode, String) {
        let uri = format!("/{}{}", self.lang, s.share_path);
        let mut request = Request::get(&uri);
        if let Some(c) = &self.cookie {
            request = request.header(header::COOKIE, c.clone());
        }
        let (status, _, html) = s.w.send(request.body(Body::empty()).unwrap()).await;
        self.remember(&html);
        (status, html)
    }

    fn remember(&mut self, html: &str) {
        if let Some(i) = html.find("name=\"_resume\" value=\"") {
            let rest = &html[i + 22..];
            self.resume = rest[..rest.find('"').unwrap()].to_owned();
        }
        if let Some(i) = html.find("name=\"_page\" value=\"") {
            let rest = &html[i + 20..];
            self.page = rest[..rest.find('"').unwrap()].to_owned();
        }
    }

    async fn post(&mut self, s: &Setup, fields: &[(&str, &str)]) -> (StatusCode, String) {
        self.post_as(s, fields, false).await
    }

    /// Posts as htmx does (`HX-Request: true`) when `hx`.
    async fn post_as(
        &mut self,
        s: &Setup,
        fields: &[(&str, &str)],
        hx: bool,
    ) -> (StatusCode, String) {
        let uri = format!("/{}{}", self.lang, s.share_path);
        let mut all = vec![
            ("_resume", self.resume.as_str()),
            ("_page", self.page.as_str()),
        ];
        all.extend_from_slice(fields);
        let all: Vec<(String, String)> = all
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        let body = all
            .iter()
            .map(|(k, v)| format!("{k}={}", encode(v)))
            .collect::<Vec<_>>()
            .join("&");
        let mut request =
            Request::post(&uri).header(header::CONTENT_TYPE, "application/x-www-form-urlencoded");
        if let Some(c) = &self.cookie {
            request = request.header(header::COOKIE, c.clone());
        }
        if hx {
            request = request.header("HX-Request", "true");
        }
        let (status, headers, html) = s.w.send(request.body(Body::from(body)).unwrap()).await;
        let name = format!("crocevia_survey_{}", s.share_path.trim_start_matches("/s/"));
        if let Some(v) = cookie_value(&headers, &name) {
            self.cookie = Some(format!("{name}={v}"));
        }
        self.remember(&html);
        (status, html)
    }
}

/// The whole questionnaire, valid, with the given sex and age.
async fn fill(s: &Setup, lang: &'static str, sex: &str, age: &str, needs: &[&str]) {
    let mut r = Respondent::new(lang);
    r.open(s).await;
    let (status, html) = r
        .post(s, &[("sex", sex), ("age", age), ("_action", "next")])
        .await;
    assert_eq!(status, StatusCode::OK, "{html}");
    let (status, html) = r
        .post(s, &[("member.0.member_age", "30"), ("_action", "next")])
        .await;
    assert_eq!(status, StatusCode::OK, "{html}");
    let mut fields: Vec<(&str, &str)> = needs.iter().map(|n| ("needs", *n)).collect();
    fields.extend([("has_work", "no"), ("_action", "next")]);
    let (status, html) = r.post(s, &fields).await;
    assert_eq!(status, StatusCode::OK, "{html}");
    assert!(html.contains("respond") || html.contains("Grazie") || html.contains("Thank"));
}

#[tokio::test]
async fn a_bad_form_is_refused_with_every_problem_by_row_and_nothing_is_stored() {
    let s = deployed_survey().await;
    let bad = "\
survey,type,name,label,relevant
,integer,age,Age,
,select_one colours,colour,Colour,${nobody} = 1
,weird,x,X,
choices,list_name,name,label
,sizes,s,Small
";
    let before = s.w.store.surveys_of(&org_of(&s).await).await.unwrap().len();
    let (status, _, html) =
        upload(&s.w, &s.session, "/en/surveys", "bad.csv", bad.as_bytes()).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(html.contains("id=\"problems\""), "{html}");
    let table = between(&html, "<tbody>", "</tbody>");
    // The unknown list and the unknown reference (row 3), the unknown type (row 4).
    assert!(table.contains("<td>3</td>"), "{table}");
    assert!(table.contains("<td>4</td>"), "{table}");
    assert!(table.contains("relevant"), "the column is named: {table}");
    assert!(html.contains("was not saved"));
    let after = s.w.store.surveys_of(&org_of(&s).await).await.unwrap().len();
    assert_eq!(before, after, "nothing stored");
    // A new version with errors is refused the same way.
    let (status, _, html) = upload(
        &s.w,
        &s.session,
        &format!("{}/versions", s.survey_url),
        "bad.csv",
        bad.as_bytes(),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(html.contains("id=\"problems\""));
}

/// Issue 17: a 1.5 KB workbook naming cells at A1 and XFD1048576 made the reader allocate
/// ~550 GB and the server abort. It is refused with the stray cell named, in the page's
/// language, and the server goes on answering; so is a file beyond the upload cap.
#[tokio::test]
async fn a_workbook_spanning_the_whole_sheet_is_refused_and_the_server_answers() {
    let s = deployed_survey().await;
    let mut workbook = rust_xlsxwriter::Workbook::new();
    let sheet = workbook.add_worksheet();
    sheet.set_name("survey").unwrap();
    sheet.write_string(0, 0, "type").unwrap();
    sheet.write_string(1_048_575, 16_383, "x").unwrap();
    let bytes = workbook.save_to_buffer().unwrap();
    assert!(bytes.len() < 10_000, "{}", bytes.len());
    let before = s.w.store.surveys_of(&org_of(&s).await).await.unwrap().len();

    let (status, _, html) = upload(&s.w, &s.session, "/en/surveys", "corner.xlsx", &bytes).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{html}");
    let table = between(&html, "<tbody>", "</tbody>");
    assert!(table.contains("<td>survey</td>"), "{table}");
    assert!(table.contains("<td>1048576</td>"), "{table}");
    assert!(table.contains("<code>XFD</code>"), "{table}");
    assert!(table.contains("too-many-rows"), "{table}");
    assert!(table.contains("split the form"), "{table}");
    // In Italian on the Italian page, for a new version as for a new survey.
    let (status, _, html) = upload(
        &s.w,
        &s.session,
        &format!("{}/versions", s.survey_url),
        "corner.xlsx",
        &bytes,
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{html}");
    assert!(html.contains("dividi il modulo"), "{html}");

    // Beyond the upload cap: refused before the form is read, with the limit named.
    let big = vec![b'x'; crocevia_xlsform::limits::MAX_FILE_BYTES + 128 * 1024];
    let (status, _, html) = upload(&s.w, &s.session, "/en/surveys", "big.xlsx", &big).await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE, "{html}");
    assert!(
        html.contains("file-too-large") && html.contains("16 MiB"),
        "{html}"
    );

    let after = s.w.store.surveys_of(&org_of(&s).await).await.unwrap().len();
    assert_eq!(before, after, "nothing stored");
    let (status, _, body) = s.w.get("/healthz", None).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (status, _, html) = s.w.get(&s.survey_url, Some(&s.session)).await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("Rilevazione dei bisogni"));
}

async fn org_of(s: &Setup) -> String {
    let (_, _, html) = s.w.get("/it/surveys", Some(&s.session)).await;
    assert!(html.contains("Rilevazione dei bisogni"));
    s.w.records
        .iter()
        .find(|r| r.table == "organization")
        .unwrap()
        .id
        .clone()
}

#[tokio::test]
async fn only_coordinators_and_admins_manage_surveys() {
    let s = deployed_survey().await;
    let org = org_of(&s).await;
    s.w.account(&org, "op@example.it", "operator").await;
    let op = s.w.session("op@example.it").await;
    let (status, _, _) = s.w.get("/it/surveys", Some(&op)).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, _, _) = s.w.get(&s.survey_url, Some(&op)).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    // Another organisation's coordinator does not find it.
    let other =
        s.w.records
            .iter()
            .filter(|r| r.table == "organization")
            .nth(1)
            .unwrap()
            .id
            .clone();
    s.w.account(&other, "other@example.it", "coordinator").await;
    let other = s.w.session("other@example.it").await;
    let (status, _, _) = s.w.get(&s.survey_url, Some(&other)).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _, _) =
        s.w.get(
            &format!("{}/versions/1/analysis", s.survey_url),
            Some(&other),
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn a_respondent_fills_it_in_without_javascript() {
    let s = deployed_survey().await;
    let mut r = Respondent::new("it");
    let (status, html) = r.open(&s).await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("Pagina 1 / 3"), "{html}");
    assert!(html.contains("Chi risponde") && html.contains("Donna"));
    // Required and constraint, with the form's own message.
    let (status, html) = r.post(&s, &[("age", "12"), ("_action", "next")]).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        html.contains("Questa risposta è obbligatoria."),
        "sex is required"
    );
    assert!(
        html.contains("L&#39;età deve essere tra 16 e 100 anni"),
        "{html}"
    );
    assert!(html.contains("value=\"12\""), "answers are kept");
    let (status, html) = r
        .post(&s, &[("sex", "female"), ("age", "34"), ("_action", "next")])
        .await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("Pagina 2 / 3"), "{html}");
    // The repeat: add a second person; the school question is relevant for a child.
    let (_, html) = r
        .post(
            &s,
            &[("member.0.member_age", "9"), ("_action", "add:member")],
        )
        .await;
    assert!(html.contains("member.1.member_age"), "{html}");
    assert!(
        html.contains("member.0.member_school"),
        "relevant for a 9-year-old"
    );
    let (status, html) = r
        .post(
            &s,
            &[
                ("member.0.member_age", "9"),
                ("member.1.member_age", "40"),
                ("_action", "next"),
            ],
        )
        .await;
    assert_eq!(
        status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "school is required"
    );
    assert!(!html.contains("member.1.member_school"), "not for an adult");
    let (_, html) = r
        .post(
            &s,
            &[
                ("member.0.member_age", "9"),
                ("member.0.member_school", "yes"),
                ("member.1.member_age", "40"),
                ("_action", "add:member"),
            ],
        )
        .await;
    assert!(html.contains("Persona che vive con te 3"));
    let (_, html) = r
        .post(
            &s,
            &[
                ("member.0.member_age", "9"),
                ("member.0.member_school", "yes"),
                ("member.1.member_age", "40"),
                ("_action", "remove:member:2"),
            ],
        )
        .await;
    assert!(!html.contains("Persona che vive con te 3"));
    let (status, html) = r
        .post(
            &s,
            &[
                ("member.0.member_age", "9"),
                ("member.0.member_school", "yes"),
                ("member.1.member_age", "40"),
                ("_action", "next"),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{html}");
    assert!(html.contains("Pagina 3 / 3"));
    // or_other needs its text; hours are relevant only with work.
    let (status, html) = r
        .post(
            &s,
            &[
                ("needs", "housing"),
                ("needs", "other"),
                ("has_work", "yes"),
                ("_action", "next"),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(html.contains("id=\"q-needs_other\""));
    assert!(html.contains("id=\"q-hours\""), "{html}");
    let (status, html) = r
        .post(
            &s,
            &[
                ("needs", "housing"),
                ("needs", "other"),
                ("needs_other", "Bicicletta"),
                ("has_work", "no"),
                ("hours", "20"),
                ("_action", "next"),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{html}");
    assert!(html.contains("Le tue risposte sono state inviate."));
    let version = s.w.store.versions(&survey_id(&s)).await.unwrap().remove(0);
    let done =
        s.w.store
            .submissions(&version.id, SubmissionStatus::Complete, None, 10)
            .await
            .unwrap();
    assert_eq!(done.len(), 1);
    let a = &done[0].answers;
    assert_eq!(a["sex"], "female");
    assert_eq!(a["needs"], "housing other");
    assert_eq!(a["needs_other"], "Bicicletta");
    assert_eq!(a["children"], "1", "the calculation ran");
    assert!(a.get("hours").is_none(), "not relevant without work");
    assert_eq!(a["member"].as_array().unwrap().len(), 2);
    assert!(a["member"][1].get("member_school").is_none());
    assert_eq!(done[0].language, "Italiano (it)");
}

fn survey_id(s: &Setup) -> String {
    s.survey_url.rsplit('/').next().unwrap().to_owned()
}

#[tokio::test]
async fn arabic_is_right_to_left_and_a_draft_resumes_in_another_language() {
    let s = deployed_survey().await;
    let mut r = Respondent::new("ar");
    let (status, html) = r.open(&s).await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("dir=\"rtl\""));
    assert!(
        html.contains("<h1 lang=\"it\">Rilevazione dei bisogni</h1>"),
        "the untranslated title is marked Italian"
    );
    assert!(html.contains("الجنس") && html.contains("امرأة"), "{html}");
    let (_, html) = r
        .post(&s, &[("sex", "male"), ("age", "25"), ("_action", "next")])
        .await;
    assert!(html.contains("الصفحة 2 / 3"), "{html}");
    let link = between(&html, "id=\"resume\">", "</p>");
    let resume_url = between(link, "href=\"", "\"").to_owned();
    // Another browser opens the resume link: the draft continues where it was.
    let (status, headers, _) = s.w.get(&resume_url, None).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let name = format!("crocevia_survey_{}", s.share_path.trim_start_matches("/s/"));
    let value = cookie_value(&headers, &name).unwrap();
    let mut other = Respondent::new("fr");
    other.cookie = Some(format!("{name}={value}"));
    let (_, html) = other.open(&s).await;
    assert!(html.contains("Page 2 / 3"), "{html}");
    assert!(
        html.contains("Personne vivant avec vous"),
        "French labels: {html}"
    );
    // The language switch keeps the answers.
    let (status, _) = other
        .post(&s, &[("member.0.member_age", "44"), ("_action", "lang:it")])
        .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let mut italian = Respondent::new("it");
    italian.cookie = other.cookie.clone();
    let (_, html) = italian.open(&s).await;
    assert!(
        html.contains("Età della persona") && html.contains("value=\"44\""),
        "{html}"
    );
}

#[tokio::test]
async fn a_new_version_leaves_earlier_answers_and_drafts_on_theirs() {
    let s = deployed_survey().await;
    fill(&s, "it", "female", "30", &["work"]).await;
    // A draft on version 1.
    let mut r = Respondent::new("it");
    r.open(&s).await;
    r.post(&s, &[("sex", "male"), ("age", "50"), ("_action", "next")])
        .await;
    // Version 2 renames `has_work` to `employed` and drops `comment`.
    let v2 = form_csv()
        .replace(",has_work,", ",employed,")
        .replace("${has_work}", "${employed}")
        .replace(",2026120401,", ",2026120402,")
        .lines()
        .filter(|l| !l.contains(",comment,"))
        .collect::<Vec<_>>()
        .join("\n");
    let (status, _, html) = upload(
        &s.w,
        &s.session,
        &format!("{}/versions", s.survey_url),
        "needs-v2.csv",
        v2.as_bytes(),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{html}");
    assert!(html.contains("Versione 2 salvata"));
    let v2_id = between(&html, "name=\"version\" value=\"", "\"").to_owned();
    submit(
        &s.w,
        &s.session,
        &format!("{}/deploy", s.survey_url),
        &[("version", &v2_id)],
    )
    .await;
    // The draft continues on version 1 (it still asks has_work).
    r.post(&s, &[("member.0.member_age", "50"), ("_action", "next")])
        .await;
    let (_, html) = r.open(&s).await;
    assert!(html.contains("name=\"has_work\""), "{html}");
    // A new respondent gets version 2.
    let mut n = Respondent::new("it");
    n.open(&s).await;
    n.post(&s, &[("sex", "male"), ("age", "50"), ("_action", "next")])
        .await;
    let (_, html) = n
        .post(&s, &[("member.0.member_age", "50"), ("_action", "next")])
        .await;
    assert!(html.contains("name=\"employed\""), "{html}");
    // Version 1's export still has its own columns.
    let (status, _, csv_text) =
        s.w.get(
            &format!("{}/versions/1/export.csv", s.survey_url),
            Some(&s.session),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let header = csv_text.lines().next().unwrap();
    assert!(
        header.contains("has_work") && header.contains("comment"),
        "{header}"
    );
    let (_, _, html) = s.w.get(&s.survey_url, Some(&s.session)).await;
    assert!(html.contains("needs-v2.csv") && html.contains("needs-assessment.xlsx"));
}

#[tokio::test]
async fn the_analysis_hides_small_counts_and_splits_by_sex() {
    let s = deployed_survey().await;
    for _ in 0..6 {
        fill(&s, "it", "female", "30", &["housing", "work"]).await;
    }
    for _ in 0..2 {
        fill(&s, "en", "male", "40", &["housing"]).await;
    }
    let url = format!("{}/versions/1/analysis", s.survey_url);
    let (status, _, html) = s.w.get(&url, Some(&s.session)).await;
    assert_eq!(status, StatusCode::OK, "{html}");
    assert!(html.contains("Questionari completati: 8"), "{html}");
    let sex = between(&html, "id=\"q-sex\"", "</section>");
    // Two men are fewer than five; with the total published, the women's 6 would give the
    // men's count away, so it is hidden too.
    assert_eq!(sex.matches("<td>&#60;5</td>").count(), 2, "{sex}");
    assert!(!sex.contains("<td>2") && !sex.contains("<td>6"), "{sex}");
    assert!(sex.contains("<td>8</td>"), "the total is published: {sex}");
    let age = between(&html, "id=\"q-age\"", "</section>");
    assert!(
        age.contains(
            "<th scope=\"row\">Tutti</th><td>8</td><td>32.5</td><td>30</td><td>30</td><td>40</td>"
        ),
        "{age}"
    );
    // Split by sex: a column per sex; the men's numbers are not shown.
    let (_, _, html) = s.w.get(&format!("{url}?by=sex"), Some(&s.session)).await;
    let needs = between(&html, "id=\"q-needs\"", "</section>");
    assert!(needs.contains("<th scope=\"col\">Donna</th>"), "{needs}");
    assert!(needs.contains("&#60;5"), "{needs}");
    assert!(!needs.contains("<td>2"), "{needs}");
    let age = between(&html, "id=\"q-age\"", "</section>");
    assert!(
        age.contains("<th scope=\"row\">Donna</th><td>6</td><td>30</td>"),
        "{age}"
    );
    assert!(
        age.contains("<th scope=\"row\">Uomo</th><td>&#60;5</td>"),
        "{age}"
    );
}

/// The analysis follows the observatory's configured threshold, not the default one.
#[tokio::test]
async fn the_analysis_follows_the_configured_threshold() {
    let mut s = deployed_survey().await;
    let clock: std::sync::Arc<dyn crocevia_core::clock::Clock> = s.w.clock.clone();
    s.w.app = crocevia_web::router(crocevia_web::AppState::new(
        s.w.store.clone(),
        clock,
        crocevia_web::WebConfig {
            public_url: "http://crocevia.test".into(),
            observatory: crocevia_observatory::Settings {
                rule: crocevia_core::disclosure::DisclosureRule::new(3).unwrap(),
                ..Default::default()
            },
            ..Default::default()
        },
    ));
    for (sex, n) in [("female", 4), ("male", 2)] {
        for _ in 0..n {
            fill(&s, "it", sex, "30", &["housing"]).await;
        }
    }
    let url = format!("{}/versions/1/analysis", s.survey_url);
    let (status, _, html) = s.w.get(&url, Some(&s.session)).await;
    assert_eq!(status, StatusCode::OK, "{html}");
    let sex = between(&html, "id=\"q-sex\"", "</section>");
    assert_eq!(sex.matches("<td>&#60;3</td>").count(), 2, "{sex}");
    assert!(!sex.contains("&#60;5"), "{sex}");
    assert!(sex.contains("<td>6</td>"), "the total is published: {sex}");
}

#[tokio::test]
async fn exports_read_back_with_labels_split_choices_and_repeat_sheets() {
    let s = deployed_survey().await;
    for _ in 0..3 {
        fill(&s, "it", "female", "30", &["housing", "work"]).await;
    }
    let base = format!("{}/versions/1", s.survey_url);
    let (status, headers, csv_text) =
        s.w.get(
            &format!("{base}/export.csv?multiple=split"),
            Some(&s.session),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert!(headers.is_empty() || !headers.iter().any(|h| h.starts_with("location")));
    let mut reader = csv::Reader::from_reader(csv_text.as_bytes());
    let head: Vec<String> = reader
        .headers()
        .unwrap()
        .iter()
        .map(str::to_owned)
        .collect();
    assert!(
        head.contains(&"needs/housing".to_owned()) && head.contains(&"needs/health".to_owned())
    );
    let rows: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
    assert_eq!(rows.len(), 3);
    let col = |name: &str| head.iter().position(|h| h == name).unwrap();
    assert_eq!(&rows[0][col("needs/housing")], "1");
    assert_eq!(&rows[0][col("needs/health")], "0");
    assert_eq!(&rows[0][col("sex")], "female");
    // XLSX with Arabic labels: the main sheet and the repeat's sheet, linked by row.
    let request = Request::get(format!("{base}/export.xlsx?labels=ar"))
        .header(header::COOKIE, format!("crocevia_session={}", s.session))
        .body(Body::empty())
        .unwrap();
    let response = tower::ServiceExt::oneshot(s.w.app.clone(), request)
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let bytes = http_body_util::BodyExt::collect(response.into_body())
        .await
        .unwrap()
        .to_bytes();
    let mut book: Xlsx<_> = Xlsx::new(Cursor::new(bytes.to_vec())).unwrap();
    assert_eq!(book.sheet_names(), ["needs_assessment", "member"]);
    let main = book.worksheet_range("needs_assessment").unwrap();
    let header_row: Vec<String> = main
        .rows()
        .next()
        .unwrap()
        .iter()
        .map(|c| c.to_string())
        .collect();
    assert!(header_row.contains(&"الجنس".to_owned()), "{header_row:?}");
    let sex_col = header_row.iter().position(|h| h == "الجنس").unwrap();
    assert_eq!(
        main.rows().nth(1).unwrap()[sex_col],
        Data::String("امرأة".into())
    );
    let needs_col = header_row
        .iter()
        .position(|h| h == "ما الذي تحتاجه أكثر؟")
        .unwrap();
    assert_eq!(
        main.rows().nth(1).unwrap()[needs_col],
        Data::String("السكن; العمل".into())
    );
    assert_eq!(main.rows().count(), 4);
    let member = book.worksheet_range("member").unwrap();
    let rows: Vec<_> = member.rows().collect();
    assert_eq!(rows[0][0], Data::String("_index".into()));
    assert_eq!(rows.len(), 4, "one person per submission");
    assert_eq!(rows[1][0], Data::Float(2.0), "row 2 of the main sheet");
    assert_eq!(rows[1][3], Data::Float(30.0));
}

/// One respondent's whole questionnaire, with `comment` as the free-text answer.
async fn fill_with_comment(s: &Setup, comment: &str) {
    let mut r = Respondent::new("it");
    r.open(s).await;
    r.post(s, &[("sex", "male"), ("age", "40"), ("_action", "next")])
        .await;
    r.post(s, &[("member.0.member_age", "30"), ("_action", "next")])
        .await;
    let (status, html) = r
        .post(
            s,
            &[
                ("needs", "health"),
                ("has_work", "no"),
                ("comment", comment),
                ("_action", "next"),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{html}");
}

/// Issue 17: an anonymous respondent's `=HYPERLINK(…)` was exported as is, and a
/// spreadsheet opening the CSV made it a live link. The CSV prefixes it with `'`; a
/// negative number stays a number; the XLSX has it as a string cell, not a formula.
#[tokio::test]
async fn exports_never_hand_a_spreadsheet_a_formula() {
    let s = deployed_survey().await;
    let attack = "=HYPERLINK(\"http://evil\",\"x\")";
    fill_with_comment(&s, attack).await;
    fill_with_comment(&s, "-3.5").await;
    fill_with_comment(&s, "@SUM(A1)").await;
    let base = format!("{}/versions/1", s.survey_url);
    let (status, _, csv_text) =
        s.w.get(&format!("{base}/export.csv"), Some(&s.session))
            .await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        csv_text.starts_with('\u{feff}'),
        "Excel reads Arabic answers right only after a byte order mark"
    );
    let mut reader = csv::Reader::from_reader(csv_text.as_bytes());
    let head = reader.headers().unwrap().clone();
    let comment = head.iter().position(|h| h == "comment").unwrap();
    let age = head.iter().position(|h| h == "age").unwrap();
    let rows: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
    let mut comments: Vec<&str> = rows.iter().map(|r| &r[comment]).collect();
    comments.sort();
    let quoted = format!("'{attack}");
    assert_eq!(
        comments,
        [quoted.as_str(), "'@SUM(A1)", "-3.5"],
        "{csv_text}"
    );
    assert!(rows.iter().all(|r| &r[age] == "40"));

    let request = Request::get(format!("{base}/export.xlsx"))
        .header(header::COOKIE, format!("crocevia_session={}", s.session))
        .body(Body::empty())
        .unwrap();
    let response = tower::ServiceExt::oneshot(s.w.app.clone(), request)
        .await
        .unwrap();
    let bytes = http_body_util::BodyExt::collect(response.into_body())
        .await
        .unwrap()
        .to_bytes();
    let mut book: Xlsx<_> = Xlsx::new(Cursor::new(bytes.to_vec())).unwrap();
    let main = book.worksheet_range("needs_assessment").unwrap();
    let header_row: Vec<String> = main
        .rows()
        .next()
        .unwrap()
        .iter()
        .map(|c| c.to_string())
        .collect();
    let comment = header_row.iter().position(|h| h == "comment").unwrap();
    assert!(
        main.rows()
            .any(|r| r[comment] == Data::String(attack.into())),
        "the answer as a string cell"
    );
    let formulas = book.worksheet_formula("needs_assessment").unwrap();
    assert!(
        formulas.used_cells().all(|(_, _, f)| f.is_empty()),
        "no formula cells: {formulas:?}"
    );
}

/// The real 548-question needs assessment (REACH MSNA 2024, in tests/conformance) uploads,
/// deploys and renders its first page.
#[tokio::test]
async fn the_real_needs_assessment_uploads_and_renders() {
    let s = deployed_survey().await;
    let real = std::fs::read(
        PathBuf::from(env!("CARGO_MANIFEST_DIR"))
            .join("../../tests/conformance/xlsform/real/REACH_2024_MSNA-kobo-tool_draft_v11.xlsx"),
    )
    .unwrap();
    let (status, headers, html) = upload(&s.w, &s.session, "/en/surveys", "msna.xlsx", &real).await;
    assert_eq!(status, StatusCode::SEE_OTHER, "{html}");
    let url = location(&headers);
    let (_, _, html) = s.w.get(&url, Some(&s.session)).await;
    let version_id = between(&html, "name=\"version\" value=\"", "\"").to_owned();
    submit(
        &s.w,
        &s.session,
        &format!("{url}/deploy"),
        &[("version", &version_id)],
    )
    .await;
    let (_, _, html) = s.w.get(&url, Some(&s.session)).await;
    let link = between(&html, "id=\"share-link\" href=\"", "\"").to_owned();
    let path = link.strip_prefix("http://crocevia.test").unwrap();
    let started = std::time::Instant::now();
    let (status, _, html) = s.w.get(path, None).await;
    eprintln!("first page of the real form: {:?}", started.elapsed());
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("Page 1 /"), "{html}");
    assert!(html.contains("<input") || html.contains("type=\"radio\""));
    // Its languages are named without codes (`label::english`, `label::french`): a French
    // visitor gets the French labels, and a switch to English.
    let french = path.replacen("/en/", "/fr/", 1);
    let (status, _, html) = s.w.get(&french, None).await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        html.contains(r#"lang="fr" aria-current="true">french</strong>"#),
        "{html}"
    );
    assert!(html.contains(r#"value="lang:en""#), "{html}");
}

#[tokio::test]
async fn a_survey_for_operators_asks_to_sign_in_and_a_closed_one_says_so() {
    let s = deployed_survey().await;
    let (status, headers, _) = submit(
        &s.w,
        &s.session,
        &format!("{}/audience", s.survey_url),
        &[("audience", "operators")],
    )
    .await;
    assert_eq!(status, StatusCode::SEE_OTHER, "{headers:?}");
    let uri = format!("/it{}", s.share_path);
    let (status, headers, _) = s.w.get(&uri, None).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert_eq!(location(&headers), "/it/login");
    let (status, _, html) = s.w.get(&uri, Some(&s.session)).await;
    assert_eq!(status, StatusCode::OK, "a signed-in account answers");
    assert!(html.contains("Pagina 1 / 3"));
    // Closing the version: the link says the questionnaire is closed.
    submit(
        &s.w,
        &s.session,
        &format!("{}/deploy", s.survey_url),
        &[("version", "")],
    )
    .await;
    let (status, _, html) = s.w.get(&uri, Some(&s.session)).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert!(html.contains("Questo questionario è chiuso."));
    let (status, _, html) = s.w.get("/fr/s/no-such-token", None).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert!(
        html.contains("Il n&#39;y a aucun questionnaire") || html.contains("aucun questionnaire"),
        "{html}"
    );
}

/// The `_sig` values of a page's question blocks, as the browser posts them back.
fn signatures(html: &str) -> Vec<String> {
    html.split("name=\"_sig\" value=\"")
        .skip(1)
        .map(|rest| rest[..rest.find('"').unwrap()].to_owned())
        .collect()
}

#[tokio::test]
async fn htmx_gets_the_region_alone_and_live_checks_send_only_what_changed() {
    let s = deployed_survey().await;
    // Without htmx, a whole page; with it, the region and the live region's words.
    let mut plain = Respondent::new("it");
    plain.open(&s).await;
    let (status, html) = plain
        .post(&s, &[("sex", "male"), ("age", "40"), ("_action", "next")])
        .await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("<html") && html.contains("Pagina 2 / 3"));
    let mut r = Respondent::new("it");
    r.open(&s).await;
    let (status, html) = r
        .post_as(
            &s,
            &[("sex", "female"), ("age", "12"), ("_action", "next")],
            true,
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(!html.contains("<html") && !html.contains("<head"), "{html}");
    assert!(html.trim_start().starts_with("<div id=\"survey-region\">"));
    assert!(html.contains("L&#39;età deve essere tra 16 e 100 anni"));
    assert!(html.contains("Una risposta da controllare"), "{html}");
    let (status, html) = r
        .post_as(
            &s,
            &[("sex", "female"), ("age", "34"), ("_action", "next")],
            true,
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert!(!html.contains("<html"));
    let status_region = between(&html, "id=\"survey-status\"", "</div>");
    assert!(status_region.contains("hx-swap-oob") && status_region.contains("Pagina 2 / 3"));
    assert!(html.contains("name=\"member.0.member_age\""));
    assert!(
        !html.contains("name=\"member.0.member_school\""),
        "not yet relevant"
    );
    // Live: a child's age makes the school question appear; nothing else is sent again.
    let shown = signatures(&html);
    assert!(
        shown
            .iter()
            .any(|s| s.starts_with("q-member-0-member_school:")),
        "its place is kept"
    );
    let mut fields: Vec<(&str, &str)> = shown.iter().map(|v| ("_sig", v.as_str())).collect();
    fields.extend([("member.0.member_age", "9"), ("_action", "refresh")]);
    let (status, html) = r.post_as(&s, &fields, true).await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        !html.contains("<html") && !html.contains("survey-region"),
        "{html}"
    );
    assert!(
        html.contains(
            "<div id=\"b-q-member-0-member_school\" class=\"survey-block\" hx-swap-oob=\"true\">"
        ),
        "{html}"
    );
    assert!(html.contains("name=\"member.0.member_school\""));
    assert!(
        !html.contains("b-q-member-0-member_age"),
        "unchanged, so not sent: {html}"
    );
    // A constraint is checked as soon as the answer changes.
    let mut fields: Vec<(&str, &str)> = shown.iter().map(|v| ("_sig", v.as_str())).collect();
    fields.extend([("member.0.member_age", "150"), ("_action", "refresh")]);
    let (_, html) = r.post_as(&s, &fields, true).await;
    assert!(
        html.contains("b-q-member-0-member_age") && html.contains("Un&#39;età tra 0 e 110"),
        "{html}"
    );
    // Nothing was saved and the page did not move on.
    let (status, html) = r.open(&s).await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("Pagina 2 / 3"));
    assert!(
        html.contains("name=\"member.0.member_age\" value=\"\""),
        "{html}"
    );
    // The last page sent from htmx: the thanks go into the page's main content.
    let (status, _) = r
        .post_as(
            &s,
            &[("member.0.member_age", "30"), ("_action", "next")],
            true,
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let (status, html) = r
        .post_as(
            &s,
            &[
                ("needs", "housing"),
                ("has_work", "no"),
                ("_action", "next"),
            ],
            true,
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        !html.contains("<html") && html.contains("Le tue risposte sono state inviate."),
        "{html}"
    );
}

#[tokio::test]
async fn analysts_read_the_survey_list_with_analyses_but_no_answers() {
    let s = deployed_survey().await;
    let org = org_of(&s).await;
    s.w.account(&org, "analyst@example.it", "analyst").await;
    let analyst = s.w.session("analyst@example.it").await;
    let (status, _, html) = s.w.get("/it/surveys", Some(&analyst)).await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("Rilevazione dei bisogni"));
    let base = format!("{}/versions/1", s.survey_url);
    assert!(
        html.contains(&format!("href=\"{base}/analysis\"")),
        "analysis in {html}"
    );
    // Answers row by row stay with those who run the survey: rows can single people out.
    for export in ["export.xlsx", "export.csv"] {
        assert!(
            !html.contains(&format!("{base}/{export}")),
            "{export} in {html}"
        );
        let (status, _, _) = s.w.get(&format!("{base}/{export}"), Some(&analyst)).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{export}");
    }
    assert!(!html.contains("multipart/form-data"), "no upload form");
    assert!(
        !html.contains(&format!("href=\"{}\"", s.survey_url)),
        "no link to managing it"
    );
    assert!(!html.contains("/deploy"));
    let nav = between(&html, "<nav class=\"d-flex", "</nav>");
    assert!(
        nav.contains("href=\"/it/surveys\""),
        "the back office links the list: {nav}"
    );
    let (status, _, _) = s.w.get(&format!("{base}/analysis"), Some(&analyst)).await;
    assert_eq!(status, StatusCode::OK);
    let (status, _, _) = s.w.get(&s.survey_url, Some(&analyst)).await;
    assert_eq!(
        status,
        StatusCode::FORBIDDEN,
        "managing stays with coordinators"
    );
    // The coordinator keeps the upload form; an operator has neither list nor link.
    let (_, _, html) = s.w.get("/it/surveys", Some(&s.session)).await;
    assert!(html.contains("multipart/form-data"));
    s.w.account(&org, "op@example.it", "operator").await;
    let op = s.w.session("op@example.it").await;
    let (status, _, _) = s.w.get("/it/surveys", Some(&op)).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (_, _, desk) = s.w.get("/it/backoffice", Some(&op)).await;
    assert!(!desk.contains("href=\"/it/surveys\""));
    // Without a session, the login page.
    let (status, headers, _) = s.w.get("/it/surveys", None).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert!(
        headers.contains(&"location: /it/login".to_owned()),
        "{headers:?}"
    );
}

/// A repeat inside a repeat (households, their children; tests/fixtures/households.csv):
/// added and removed at each level, references resolved in the child's own household,
/// stored nested, analysed, and exported with one sheet per repeat linked by parent row.
#[tokio::test]
async fn nested_repeats_are_answered_stored_and_exported_sheet_by_sheet() {
    let s = deployed_survey().await;
    let form = std::fs::read(
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/households.csv"),
    )
    .unwrap();
    let (status, headers, body) =
        upload(&s.w, &s.session, "/it/surveys", "households.csv", &form).await;
    assert_eq!(status, StatusCode::SEE_OTHER, "{body}");
    let survey_url = location(&headers);
    let (_, _, html) = s.w.get(&survey_url, Some(&s.session)).await;
    let version_id = between(&html, "name=\"version\" value=\"", "\"").to_owned();
    submit(
        &s.w,
        &s.session,
        &format!("{survey_url}/deploy"),
        &[("version", &version_id)],
    )
    .await;
    let (_, _, html) = s.w.get(&survey_url, Some(&s.session)).await;
    let link = between(&html, "id=\"share-link\" href=\"", "\"").to_owned();
    let households = Setup {
        w: s.w,
        session: s.session,
        survey_url,
        share_path: link
            .strip_prefix("http://crocevia.test/it")
            .unwrap()
            .to_owned(),
    };
    let s = households;
    let mut r = Respondent::new("en");
    let (status, html) = r.open(&s).await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("name=\"household.0.child.0.cage\""), "{html}");
    assert!(html.contains("value=\"add:household.0.child\""));
    let (_, html) = r
        .post(
            &s,
            &[
                ("household.0.hname", "Rossi"),
                ("household.0.child.0.cage", "4"),
                ("_action", "add:household.0.child"),
            ],
        )
        .await;
    assert!(html.contains("name=\"household.0.child.1.cage\""));
    assert!(
        html.contains("Age of a child of Rossi"),
        "the household's own name"
    );
    assert!(
        !html.contains("name=\"household.0.child.0.school\""),
        "four is too young"
    );
    let (_, html) = r
        .post(
            &s,
            &[
                ("household.0.hname", "Rossi"),
                ("household.0.child.0.cage", "4"),
                ("household.0.child.1.cage", "9"),
                ("_action", "add:household"),
            ],
        )
        .await;
    assert!(html.contains("name=\"household.1.child.0.cage\""), "{html}");
    assert!(
        html.contains("name=\"household.0.child.1.school\""),
        "relevant at nine"
    );
    let mut answers = vec![
        ("household.0.hname", "Rossi"),
        ("household.0.child.0.cage", "4"),
        ("household.0.child.1.cage", "9"),
        ("household.0.child.1.school", "yes"),
        ("household.1.hname", "Bianchi"),
        ("household.1.child.0.cage", "12"),
    ];
    // A third child added and removed again, inside the first household only.
    let mut with = answers.clone();
    with.push(("_action", "add:household.0.child"));
    let (_, html) = r.post(&s, &with).await;
    assert!(html.contains("name=\"household.0.child.2.cage\""));
    assert!(html.contains("Age of a child of Bianchi"));
    let mut with = answers.clone();
    with.push(("_action", "remove:household.0.child:2"));
    let (_, html) = r.post(&s, &with).await;
    assert!(!html.contains("household.0.child.2.cage"));
    assert!(
        html.contains("name=\"household.1.child.0.cage\" value=\"12\""),
        "{html}"
    );
    // The second household's child is twelve: school is required there.
    let mut with = answers.clone();
    with.push(("_action", "next"));
    let (status, html) = r.post(&s, &with).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        html.contains("id=\"q-household-1-child-0-school-error\""),
        "{html}"
    );
    answers.extend([("household.1.child.0.school", "no"), ("_action", "next")]);
    let (status, html) = r.post(&s, &answers).await;
    assert_eq!(status, StatusCode::OK, "{html}");
    assert!(html.contains("Thank"), "{html}");
    let id = s.survey_url.rsplit('/').next().unwrap();
    let version = s.w.store.versions(id).await.unwrap().remove(0);
    let done =
        s.w.store
            .submissions(&version.id, SubmissionStatus::Complete, None, 10)
            .await
            .unwrap();
    let a = &done[0].answers;
    assert_eq!(a["household"][0]["child"][1]["cage"], "9");
    assert_eq!(
        a["household"][0]["children"], "2",
        "count() in its own household"
    );
    assert_eq!(a["household"][1]["children"], "1");
    assert!(a["household"][0]["child"][0].get("school").is_none());
    // The analysis counts every child of every household.
    let base = format!("{}/versions/1", s.survey_url);
    let (status, _, html) = s.w.get(&format!("{base}/analysis"), Some(&s.session)).await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("Goes to school?"));
    // XLSX: the households, then the children linked to their household's row.
    let request = Request::get(format!("{base}/export.xlsx"))
        .header(header::COOKIE, format!("crocevia_session={}", s.session))
        .body(Body::empty())
        .unwrap();
    let response = tower::ServiceExt::oneshot(s.w.app.clone(), request)
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let bytes = http_body_util::BodyExt::collect(response.into_body())
        .await
        .unwrap()
        .to_bytes();
    let mut book: Xlsx<_> = Xlsx::new(Cursor::new(bytes.to_vec())).unwrap();
    assert_eq!(book.sheet_names(), ["households", "household", "child"]);
    let household = book.worksheet_range("household").unwrap();
    let rows: Vec<_> = household.rows().collect();
    assert_eq!(rows.len(), 3);
    assert_eq!(rows[1][3], Data::String("Rossi".into()));
    assert_eq!(rows[2][3], Data::String("Bianchi".into()));
    let child = book.worksheet_range("child").unwrap();
    let rows: Vec<_> = child.rows().collect();
    let head: Vec<String> = rows[0].iter().map(|c| c.to_string()).collect();
    assert_eq!(
        head,
        [
            "_index",
            "_submission",
            "_instance",
            "_parent_index",
            "cage",
            "school"
        ]
    );
    assert_eq!(rows.len(), 4, "three children");
    let parents: Vec<&Data> = rows[1..].iter().map(|r| &r[3]).collect();
    assert_eq!(
        parents,
        [&Data::Float(2.0), &Data::Float(2.0), &Data::Float(3.0)],
        "rows of their households"
    );
    let instances: Vec<&Data> = rows[1..].iter().map(|r| &r[2]).collect();
    assert_eq!(
        instances,
        [&Data::Float(1.0), &Data::Float(2.0), &Data::Float(1.0)]
    );
    assert_eq!(rows[3][4], Data::Float(12.0));
    assert_eq!(
        rows[1][0],
        Data::Float(2.0),
        "the submission's row on the main sheet"
    );
    // The CSV is the main sheet: one row per submission; each repeat has a CSV of its own,
    // linked from the survey's page, with the same rows as its XLSX sheet.
    let (status, _, csv_text) =
        s.w.get(&format!("{base}/export.csv"), Some(&s.session))
            .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(csv_text.lines().count(), 2);
    let (_, _, page) = s.w.get(&s.survey_url, Some(&s.session)).await;
    for repeat in ["household", "child"] {
        assert!(
            page.contains(&format!("export.csv?repeat={repeat}")),
            "{page}"
        );
    }
    let (status, _, csv_text) =
        s.w.get(&format!("{base}/export.csv?repeat=child"), Some(&s.session))
            .await;
    assert_eq!(status, StatusCode::OK);
    let mut reader = csv::Reader::from_reader(csv_text.as_bytes());
    assert_eq!(
        reader.headers().unwrap().iter().collect::<Vec<_>>(),
        head.iter().map(String::as_str).collect::<Vec<_>>()
    );
    let children: Vec<Vec<String>> = reader
        .records()
        .map(|r| r.unwrap().iter().map(str::to_owned).collect())
        .collect();
    assert_eq!(children.len(), 3, "three children: {csv_text}");
    assert_eq!(
        children.iter().map(|c| c[3].as_str()).collect::<Vec<_>>(),
        ["2", "2", "3"],
        "rows of their households"
    );
    assert_eq!(children[2][4], "12");
    let (status, _, _) =
        s.w.get(
            &format!("{base}/export.csv?repeat=nothing"),
            Some(&s.session),
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

/// Exporting a survey's answers and opening its analysis each leave an entry in the audit
/// trail: who, which survey, which version and format.
#[tokio::test]
async fn survey_exports_and_analyses_are_audited() {
    use crocevia_core::desk::audit::AuditAction;

    let s = deployed_survey().await;
    fill(&s, "it", "female", "30", &["housing"]).await;
    let survey_id = s.survey_url.rsplit('/').next().unwrap().to_owned();
    let coordinator =
        s.w.store
            .account_by_email("coord@example.it")
            .await
            .unwrap()
            .unwrap()
            .id;
    let before = s.w.store.audit_head().await.unwrap().map_or(0, |h| h.0);
    let base = format!("{}/versions/1", s.survey_url);
    for page in ["export.csv", "analysis"] {
        let (status, _, body) = s.w.get(&format!("{base}/{page}"), Some(&s.session)).await;
        assert_eq!(status, StatusCode::OK, "{body}");
    }
    let seen: Vec<(AuditAction, String, String, String, String)> =
        s.w.store
            .audit_entries(before, 100)
            .await
            .unwrap()
            .into_iter()
            .map(|e| {
                (
                    e.event.action,
                    e.event.actor.account_id,
                    e.event.subject_kind,
                    e.event.subject_id,
                    e.event.detail,
                )
            })
            .collect();
    assert_eq!(
        seen,
        vec![
            (
                AuditAction::Export,
                coordinator.clone(),
                "survey".to_owned(),
                survey_id.clone(),
                "version 1 csv".to_owned()
            ),
            (
                AuditAction::Analyse,
                coordinator,
                "survey".to_owned(),
                survey_id,
                "version 1".to_owned()
            ),
        ]
    );
}

#[tokio::test]
async fn an_untitled_form_is_named_after_its_file_everywhere() {
    let s = deployed_survey().await;
    // One question, no settings sheet: no title.
    let form = xlsx_from_xlsform_csv("survey,type,name,label\n,text,comment,Commento\n");
    let (status, headers, body) = upload(
        &s.w,
        &s.session,
        "/it/surveys",
        "sportello-feedback.xlsx",
        &form,
    )
    .await;
    assert_eq!(status, StatusCode::SEE_OTHER, "{body}");
    let survey_url = location(&headers);
    let (_, _, html) = s.w.get(&survey_url, Some(&s.session)).await;
    assert!(html.contains("<h1>sportello-feedback</h1>"), "{html}");
    let version_id = between(&html, "name=\"version\" value=\"", "\"").to_owned();
    submit(
        &s.w,
        &s.session,
        &format!("{survey_url}/deploy"),
        &[("version", &version_id)],
    )
    .await;
    let (_, _, html) = s.w.get(&survey_url, Some(&s.session)).await;
    let link = between(&html, "id=\"share-link\" href=\"", "\"").to_owned();
    let (status, _, page) =
        s.w.get(link.strip_prefix("http://crocevia.test").unwrap(), None)
            .await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains("<title>sportello-feedback ·"), "{page}");
    assert!(page.contains(">sportello-feedback</h1>"), "{page}");
}
