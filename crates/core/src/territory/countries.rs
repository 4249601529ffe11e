//! Foreign states as ISTAT codes them: the citizenship of a person at the desk and the
//! breakdown of the official statistics use the same three-digit code and its area
//! ("Africa settentrionale", "Asia centro meridionale", …).

use std::sync::OnceLock;

use serde::Deserialize;

/// One state of ISTAT's list of foreign territorial units (release 2024-03).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Country {
    /// ISTAT's three-digit code (`"201"` Albania); Italy is `"100"`.
    pub istat_code: String,
    /// ISO 3166-1 alpha-2, where ISTAT gives one (Kosovo has `XK`).
    pub iso2: Option<String>,
    pub name_it: String,
    pub name_en: String,
    /// ISTAT's geopolitical area (`"12"`) and its Italian name.
    pub area_code: String,
    pub area_name_it: String,
    pub continent_name_it: String,
}

#[derive(Deserialize)]
struct Row {
    region_type: String,
    continent_name_it: String,
    istat_area_code: String,
    area_name_it: String,
    istat_id: String,
    name_it: String,
    name_en: String,
    #[serde(rename = "iso-3166-1-alpha-2")]
    iso2: String,
}

const STATES_CSV: &str = include_str!("../../../../data/territory/stati_esteri_istat.csv");

/// Every state of the list (dependent territories left out), in ISTAT code order.
pub fn countries() -> &'static [Country] {
    static COUNTRIES: OnceLock<Vec<Country>> = OnceLock::new();
    COUNTRIES.get_or_init(|| {
        let mut rows: Vec<Country> = csv::Reader::from_reader(STATES_CSV.as_bytes())
            .deserialize::<Row>()
            .map(|row| row.expect("the embedded list of states is valid CSV"))
            .filter(|row| row.region_type == "state")
            .map(|row| Country {
                iso2: match row.iso2.as_str() {
                    "n.d." | "" if row.istat_id == "272" => Some("XK".to_owned()),
                    "n.d." | "" => None,
                    code => Some(code.to_owned()),
                },
                istat_code: row.istat_id,
                name_it: row.name_it,
                name_en: row.name_en,
                area_code: row.istat_area_code,
                area_name_it: row.area_name_it,
                continent_name_it: row.continent_name_it,
            })
            .collect();
        rows.sort_by(|a, b| a.istat_code.cmp(&b.istat_code));
        rows
    })
}

/// The state with this ISTAT code.
pub fn country(istat_code: &str) -> Option<&'static Country> {
    let all = countries();
    all.binary_search_by(|c| c.istat_code.as_str().cmp(istat_code))
        .ok()
        .map(|i| &all[i])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_list_holds_every_state_with_its_area() {
        assert_eq!(countries().len(), 197);
        let albania = country("201").unwrap();
        assert_eq!(
            (albania.name_en.as_str(), albania.iso2.as_deref()),
            ("Albania", Some("AL"))
        );
        assert_eq!(albania.area_name_it, "Europa centro orientale");
        assert_eq!(country("272").unwrap().iso2.as_deref(), Some("XK"));
        assert_eq!(country("100").unwrap().name_it, "Italia");
        assert!(country("999").is_none());
    }
}
