//! The labels of the observatory's tables in the reader's language: datasets, dimensions,
//! territories, periods and categories. Messages come from `crocevia-i18n`, names of places
//! from the territories.

use chrono::Datelike;
use crocevia_core::statistics::{
    CITIZENSHIP_AREAS, Citizenship, DatasetInfo, Dimension, Period, PermitType, Sex, Territory,
    TerritoryLevel, area,
};
use crocevia_core::territory::{Territories, countries};
use crocevia_i18n::messages;

/// Labels in one language: messages looked up by literal ids (so the test of the messages
/// sees them) and the names of the territories.
pub struct Tr {
    pub lang: String,
    territories: &'static Territories,
}

impl Tr {
    pub fn new(lang: &str, territories: &'static Territories) -> Self {
        Self {
            lang: lang.to_owned(),
            territories,
        }
    }

    pub fn t(&self, id: &str) -> String {
        messages().get(&self.lang, id, &[])
    }

    /// A message whose id is built at run time, if it exists.
    pub fn optional(&self, id: &str) -> Option<String> {
        (messages().has(&self.lang, id) || messages().has("it", id))
            .then(|| messages().get(&self.lang, id, &[]))
    }

    pub fn territories(&self) -> &'static Territories {
        self.territories
    }
}

/// The dataset's title in `lang` (its `ob-dataset-ID` message; else English).
pub fn dataset_title(info: &DatasetInfo, lang: &str) -> String {
    let id = format!("ob-dataset-{}", info.id);
    if messages().has(lang, &id) {
        messages().get(lang, &id, &[])
    } else if lang == "it" {
        info.title_it.to_owned()
    } else {
        info.title_en.to_owned()
    }
}

pub fn dimension_label(tr: &Tr, dimension: Dimension) -> String {
    match dimension {
        Dimension::Territory => tr.t("ob-dim-territory"),
        Dimension::Period => tr.t("ob-dim-period"),
        Dimension::Sex => tr.t("ob-dim-sex"),
        Dimension::Citizenship => tr.t("ob-dim-citizenship"),
        Dimension::PermitType => tr.t("ob-dim-permit-type"),
        Dimension::Measure => tr.t("ob-dim-measure"),
    }
}

/// The name of a territory in `tr`'s language.
pub fn territory_label(tr: &Tr, territory: &Territory) -> String {
    let t = tr.territories;
    let code = territory.code.as_str();
    let name = match territory.level {
        TerritoryLevel::Italy => Some(tr.t("ob-italy")),
        TerritoryLevel::MacroArea => tr.optional(&format!("ob-macro-area-{code}")),
        TerritoryLevel::Region => t.region(code).map(|r| r.name.clone()),
        TerritoryLevel::Province => t.province(code).map(|p| p.name.clone()),
        TerritoryLevel::HistoricalProvince => area::areas()
            .historical_province_name(code)
            .map(str::to_owned),
        TerritoryLevel::Comune => t.comune(code).map(|c| c.name.clone()),
    };
    name.unwrap_or_else(|| code.to_owned())
}

/// A period as the language writes it: `2023`, `1/1/2023`, `1 Jan 2023`.
pub fn period_label(lang: &str, period: &Period) -> String {
    match period {
        Period::Year(y) => y.to_string(),
        Period::Date(d) if lang == "en" => d.format("%-d %b %Y").to_string(),
        Period::Date(d) => format!("{}/{}/{}", d.day(), d.month(), d.year()),
    }
}

/// The label of a category code along a (non-territory) dimension.
pub fn category_label(tr: &Tr, dimension: Dimension, code: &str) -> String {
    match dimension {
        Dimension::Period => Period::parse(code)
            .map(|p| period_label(&tr.lang, &p))
            .unwrap_or_else(|| code.to_owned()),
        Dimension::Sex => match Sex::parse(code) {
            Some(Sex::Total) => tr.t("ob-sex-total"),
            Some(Sex::Male) => tr.t("ob-sex-male"),
            Some(Sex::Female) => tr.t("ob-sex-female"),
            None => code.to_owned(),
        },
        Dimension::PermitType => match PermitType::parse(code) {
            Some(PermitType::Total) => tr.t("ob-permit-total"),
            Some(PermitType::LongTerm) => tr.t("ob-permit-long-term"),
            Some(PermitType::WithExpiry) => tr.t("ob-permit-with-expiry"),
            None => code.to_owned(),
        },
        Dimension::Citizenship => match Citizenship::parse(code) {
            Some(Citizenship::Total) => tr.t("ob-citizenship-total"),
            Some(Citizenship::Stateless) => tr.t("ob-citizenship-stateless"),
            Some(Citizenship::Country(c)) => countries::country(&c)
                .map(|c| {
                    if tr.lang == "it" {
                        c.name_it.clone()
                    } else {
                        c.name_en.clone()
                    }
                })
                .unwrap_or(c),
            Some(Citizenship::Area(a)) => CITIZENSHIP_AREAS
                .iter()
                .find(|(c, _)| *c == a)
                .map(|(_, label)| (*label).to_owned())
                .unwrap_or(a),
            None => code.to_owned(),
        },
        Dimension::Measure => tr
            .optional(&format!("ob-measure-{code}"))
            .unwrap_or_else(|| code.to_owned()),
        Dimension::Territory => code.to_owned(),
    }
}
