//! What the portal's templates show, computed from directory rows: plain values, no markup.

use chrono::{DateTime, NaiveDate, Utc};
use crocevia_core::hsds::Record;
use crocevia_core::hsds::nested::RecordIndex;
use crocevia_core::hsds::record::is_web_address;
use crocevia_core::schedule::{Opening, is_open};
use crocevia_core::taxonomy;
use serde_json::json;

/// Services not verified for longer than this are shown as possibly out of date.
pub const STALE_AFTER_DAYS: i64 = 183;

pub struct NeedCard {
    pub code: String,
    pub name: String,
    pub description: String,
}

/// The top-level need categories, labelled in `lang`.
pub fn top_needs(lang: &str) -> Vec<NeedCard> {
    taxonomy::needs_taxonomy()
        .iter()
        .filter(|t| t.parent.is_none())
        .map(|t| {
            let label = t.label(lang);
            NeedCard {
                code: t.code.clone(),
                name: label.name.clone(),
                description: label.description.clone(),
            }
        })
        .collect()
}

/// A service's name and description in `lang` when translated; `None` when the page must
/// show the Italian text (with a note).
fn translation<'a>(service: &Record, index: &RecordIndex<'a>, lang: &str) -> Option<&'a Record> {
    if lang == crocevia_i18n::DEFAULT_LANGUAGE {
        return None;
    }
    index
        .pointing_at("translation", "link_id", &service.id)
        .into_iter()
        .find(|t| t.text("language") == Some(lang) && t.text("name").is_some())
}

fn text(record: &Record, field: &str) -> String {
    record.text(field).unwrap_or_default().to_owned()
}

pub struct ServiceCard {
    pub id: String,
    pub name: String,
    /// HTML: escaped text with the matched words in `<mark>`.
    pub snippet_html: String,
    pub organization: String,
    pub places: Vec<String>,
    pub free: bool,
    pub translated: bool,
    pub points: Vec<(f64, f64)>,
}

fn locations<'a>(service: &Record, index: &RecordIndex<'a>) -> Vec<&'a Record> {
    index
        .pointing_at("service_at_location", "service_id", &service.id)
        .into_iter()
        .filter_map(|sal| {
            sal.text("location_id")
                .and_then(|id| index.get("location", id))
        })
        .collect()
}

fn point(location: &Record) -> Option<(f64, f64)> {
    Some((
        location.fields.get("latitude")?.as_f64()?,
        location.fields.get("longitude")?.as_f64()?,
    ))
}

fn city(location: &Record, index: &RecordIndex<'_>) -> Option<String> {
    index
        .pointing_at("address", "location_id", &location.id)
        .first()
        .and_then(|a| a.text("city"))
        .map(str::to_owned)
}

fn is_free(service: &Record, index: &RecordIndex<'_>) -> bool {
    let options = index.pointing_at("cost_option", "service_id", &service.id);
    !options.is_empty()
        && options
            .iter()
            .all(|o| o.fields.get("amount").and_then(serde_json::Value::as_f64) == Some(0.0))
}

pub fn service_card(
    service: &Record,
    index: &RecordIndex<'_>,
    lang: &str,
    hit: &crocevia_search::Hit,
) -> ServiceCard {
    let translated = translation(service, index, lang);
    let locs = locations(service, index);
    let mut places: Vec<String> = locs.iter().filter_map(|l| city(l, index)).collect();
    places.sort();
    places.dedup();
    ServiceCard {
        id: service.id.clone(),
        name: hit.name.clone(),
        snippet_html: hit.snippet.clone(),
        organization: service
            .text("organization_id")
            .and_then(|id| index.get("organization", id))
            .map(|o| text(o, "name"))
            .unwrap_or_default(),
        places,
        free: is_free(service, index),
        translated: translated.is_some() || lang == crocevia_i18n::DEFAULT_LANGUAGE,
        points: locs.iter().filter_map(|l| point(l)).collect(),
    }
}

/// Points for the results map, as the `data-points` JSON the map script reads.
pub fn map_points(cards: &[ServiceCard]) -> String {
    let points: Vec<_> = cards
        .iter()
        .flat_map(|c| {
            c.points.iter().map(move |(lat, lon)| {
                json!({"lat": lat, "lon": lon, "label": c.name, "url": format!("services/{}", c.id)})
            })
        })
        .collect();
    serde_json::Value::Array(points).to_string()
}

pub struct DayHours {
    /// `mo` … `su`, for the `day-*` messages.
    pub day: String,
    pub hours: String,
}

pub struct LocationView {
    pub name: String,
    pub address: Vec<String>,
    pub confidential: bool,
    pub transportation: String,
    pub point: Option<(f64, f64)>,
}

pub struct ServiceView {
    pub id: String,
    pub name: String,
    pub description: String,
    pub translated: bool,
    pub organization: String,
    pub needs: Vec<String>,
    pub eligibility: String,
    pub application_process: String,
    pub fees: String,
    pub free: bool,
    pub documents: Vec<String>,
    pub hours: Vec<DayHours>,
    pub hours_notes: Vec<String>,
    pub languages: Vec<String>,
    pub locations: Vec<LocationView>,
    pub phones: Vec<String>,
    pub email: String,
    pub url: String,
    pub assured_date: String,
    pub stale: bool,
    pub temporarily_closed: bool,
    /// Open at this moment (Europe/Rome, holidays included); `None` without opening hours.
    pub open_now: Option<bool>,
}

const DAYS: [(&str, &str); 7] = [
    ("MO", "mo"),
    ("TU", "tu"),
    ("WE", "we"),
    ("TH", "th"),
    ("FR", "fr"),
    ("SA", "sa"),
    ("SU", "su"),
];

fn hours(schedules: &[&Record]) -> (Vec<DayHours>, Vec<String>) {
    let mut by_day: Vec<Vec<String>> = vec![Vec::new(); 7];
    let mut notes = Vec::new();
    for s in schedules {
        let (Some(opens), Some(closes)) = (s.text("opens_at"), s.text("closes_at")) else {
            if let Some(d) = s.text("description") {
                notes.push(d.to_owned());
            }
            continue;
        };
        let interval = format!(
            "{}–{}",
            &opens[..opens.len().min(5)],
            &closes[..closes.len().min(5)]
        );
        let weekly = s.text("freq").is_none_or(|f| f == "WEEKLY");
        if !weekly {
            if let Some(d) = s.text("description") {
                notes.push(d.to_owned());
            }
            continue;
        }
        for day in s.text("byday").unwrap_or_default().split(',') {
            if let Some(i) = DAYS.iter().position(|(code, _)| *code == day.trim()) {
                by_day[i].push(interval.clone());
            }
        }
    }
    let days = DAYS
        .iter()
        .zip(by_day)
        .filter(|(_, intervals)| !intervals.is_empty())
        .map(|((_, key), mut intervals)| {
            intervals.sort();
            intervals.dedup();
            DayHours {
                day: (*key).to_owned(),
                hours: intervals.join(", "),
            }
        })
        .collect();
    (days, notes)
}

/// Endonyms of the languages services most often declare, so every visitor can read them.
pub fn language_name(code: &str) -> String {
    let name = match code {
        "it" => "Italiano",
        "en" => "English",
        "fr" => "Français",
        "ar" => "العربية",
        "es" => "Español",
        "uk" => "Українська",
        "ru" => "Русский",
        "ro" => "Română",
        "sq" => "Shqip",
        "ur" => "اردو",
        "bn" => "বাংলা",
        "pa" => "ਪੰਜਾਬੀ",
        "ti" => "ትግርኛ",
        "wo" => "Wolof",
        "zh" => "中文",
        "pt" => "Português",
        "de" => "Deutsch",
        "fa" => "فارسی",
        "ps" => "پښتو",
        "so" => "Soomaali",
        "am" => "አማርኛ",
        "ha" => "Hausa",
        "tr" => "Türkçe",
        "bg" => "Български",
        "hi" => "हिन्दी",
        "tl" => "Tagalog",
        "ig" => "Igbo",
        "yo" => "Yorùbá",
        "ku" => "Kurdî",
        other => other,
    };
    name.to_owned()
}

pub fn service_view(
    service: &Record,
    index: &RecordIndex<'_>,
    lang: &str,
    now: DateTime<Utc>,
) -> ServiceView {
    let translated = translation(service, index, lang);
    let source = translated.unwrap_or(service);
    let schedules: Vec<&Record> = index
        .pointing_at("schedule", "service_id", &service.id)
        .into_iter()
        .chain(
            index
                .pointing_at("service_at_location", "service_id", &service.id)
                .into_iter()
                .flat_map(|sal| index.pointing_at("schedule", "service_at_location_id", &sal.id)),
        )
        .collect();
    let (hours, hours_notes) = hours(&schedules);
    let rules: Vec<Opening> = schedules
        .iter()
        .filter_map(|s| Opening::from_record(s))
        .collect();
    let open_now = (!rules.is_empty()).then(|| is_open(&rules, now));
    let needs = index
        .pointing_at("attribute", "link_id", &service.id)
        .into_iter()
        .filter_map(|a| a.text("taxonomy_term_id"))
        .filter_map(|id| taxonomy::needs_taxonomy().iter().find(|t| t.id() == id))
        .map(|t| t.label(lang).name.clone())
        .collect();
    let mut languages: Vec<String> = index
        .pointing_at("language", "service_id", &service.id)
        .iter()
        .filter_map(|l| l.text("code"))
        .map(language_name)
        .collect();
    languages.sort();
    languages.dedup();
    let locations = locations(service, index)
        .into_iter()
        .map(|l| {
            let address = index
                .pointing_at("address", "location_id", &l.id)
                .first()
                .map(|a| {
                    [
                        text(a, "address_1"),
                        format!(
                            "{} {} ({})",
                            text(a, "postal_code"),
                            text(a, "city"),
                            text(a, "state_province")
                        ),
                    ]
                    .into_iter()
                    .filter(|line| !line.trim().is_empty())
                    .collect()
                })
                .unwrap_or_default();
            LocationView {
                name: text(l, "name"),
                address,
                confidential: crocevia_core::hsds::views::is_confidential(l),
                transportation: text(l, "transportation"),
                point: point(l),
            }
        })
        .collect();
    let assured = service
        .text("assured_date")
        .and_then(|d| NaiveDate::parse_from_str(d, "%Y-%m-%d").ok());
    ServiceView {
        id: service.id.clone(),
        name: text(source, "name"),
        description: text(source, "description"),
        translated: translated.is_some() || lang == crocevia_i18n::DEFAULT_LANGUAGE,
        organization: service
            .text("organization_id")
            .and_then(|id| index.get("organization", id))
            .map(|o| text(o, "name"))
            .unwrap_or_default(),
        needs,
        eligibility: text(service, "eligibility_description"),
        application_process: text(service, "application_process"),
        fees: text(service, "fees_description"),
        free: is_free(service, index),
        documents: index
            .pointing_at("required_document", "service_id", &service.id)
            .iter()
            .filter_map(|d| d.text("document").map(str::to_owned))
            .collect(),
        hours,
        hours_notes,
        languages,
        locations,
        phones: index
            .pointing_at("phone", "service_id", &service.id)
            .iter()
            .filter_map(|p| p.text("number").map(str::to_owned))
            .collect(),
        email: text(service, "email"),
        url: service
            .text("url")
            .filter(|u| is_web_address(u))
            .unwrap_or_default()
            .to_owned(),
        assured_date: assured
            .map(|d| d.format("%d/%m/%Y").to_string())
            .unwrap_or_default(),
        stale: assured.is_none_or(|d| (now.date_naive() - d).num_days() > STALE_AFTER_DAYS),
        temporarily_closed: service.text("status") == Some("temporarily closed"),
        open_now,
    }
}

pub fn locations_map_points(view: &ServiceView) -> String {
    let points: Vec<_> = view
        .locations
        .iter()
        .filter_map(|l| {
            l.point
                .map(|(lat, lon)| json!({"lat": lat, "lon": lon, "label": l.name}))
        })
        .collect();
    serde_json::Value::Array(points).to_string()
}

/// Percent-encodes a query-string value.
pub fn url_encode(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for b in value.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                out.push(b as char)
            }
            b' ' => out.push('+'),
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn weekly_schedules_group_by_day() {
        let a = Record::new("schedule", "a")
            .with("byday", "MO,WE")
            .with("opens_at", "09:00:00")
            .with("closes_at", "12:00:00");
        let b = Record::new("schedule", "b")
            .with("byday", "MO")
            .with("opens_at", "15:00:00")
            .with("closes_at", "17:30:00");
        let (days, notes) = hours(&[&a, &b]);
        assert!(notes.is_empty());
        assert_eq!(days[0].day, "mo");
        assert_eq!(days[0].hours, "09:00–12:00, 15:00–17:30");
        assert_eq!(days[1].day, "we");
    }

    #[test]
    fn query_values_are_encoded() {
        assert_eq!(url_encode("medico di base&x=1"), "medico+di+base%26x%3D1");
    }
}
