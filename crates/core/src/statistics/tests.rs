use std::collections::{BTreeMap, BTreeSet};
use std::sync::OnceLock;

use super::area::{AreaTable, areas};
use super::*;

fn datasets() -> &'static [Dataset] {
    static DATASETS: OnceLock<Vec<Dataset>> = OnceLock::new();
    DATASETS.get_or_init(|| match load_embedded() {
        Ok(d) => d,
        Err(problems) => {
            for p in &problems {
                eprintln!("{p}");
            }
            panic!("{} problems in the shipped statistics", problems.len());
        }
    })
}

fn dataset(id: &str) -> &'static Dataset {
    datasets()
        .iter()
        .find(|d| d.info.id == id)
        .unwrap_or_else(|| panic!("no dataset {id}"))
}

fn sum(d: &Dataset, filter: &ObservationFilter) -> i64 {
    d.select(filter).map(|o| o.value).sum()
}

fn province(code: &str) -> Territory {
    Territory::new(TerritoryLevel::Province, code)
}

#[test]
fn every_shipped_file_parses_with_zero_problems() {
    assert!(AreaTable::parse(super::area::embedded_bytes()).is_ok());
    for (file, bytes) in super::parse::embedded_files() {
        if let Err(problems) = parse_file(file, bytes) {
            panic!(
                "{}: {:#?}",
                file.file_name(),
                problems.iter().map(ToString::to_string).collect::<Vec<_>>()
            );
        }
    }
    let ids: Vec<&str> = datasets().iter().map(|d| d.info.id).collect();
    let all: Vec<&str> = DATASETS.iter().map(|d| d.id).collect();
    assert_eq!(ids, all, "every dataset is loaded, in catalogue order");
    for d in datasets() {
        assert!(!d.observations.is_empty(), "{} is empty", d.info.id);
        for o in &d.observations {
            let has = |dim| d.info.dimensions.contains(&dim);
            assert_eq!(o.sex.is_some(), has(Dimension::Sex), "{}", d.info.id);
            assert_eq!(o.citizenship.is_some(), has(Dimension::Citizenship));
            assert_eq!(o.permit_type.is_some(), has(Dimension::PermitType));
            assert_eq!(o.measure.is_some(), has(Dimension::Measure));
        }
    }
}

#[test]
fn acceptance_foreign_residents_in_l_aquila_on_1_january_2023() {
    let d = dataset("foreign_residents");
    // ITF11 in the source.
    let at = ObservationFilter::default()
        .territory(&province("066"))
        .period(Period::january_first(2023));
    assert_eq!(d.value(&at.clone().sex(Sex::Total)), Some(23_047));
    assert_eq!(d.value(&at.clone().sex(Sex::Male)), Some(11_382));
    assert_eq!(d.value(&at.sex(Sex::Female)), Some(11_665));
}

#[test]
fn acceptance_foreign_residents_in_italy_on_1_january_2023_equal_the_107_provinces() {
    let d = dataset("foreign_residents");
    let when = ObservationFilter::default()
        .period(Period::january_first(2023))
        .sex(Sex::Total);
    let italy = d.value(&when.clone().territory(&Territory::italy()));
    assert_eq!(italy, Some(5_141_341));
    let provinces = when.level(TerritoryLevel::Province);
    assert_eq!(d.select(&provinces).count(), 107);
    assert_eq!(sum(d, &provinces), 5_141_341);
}

#[test]
fn acceptance_non_eu_permit_holders_in_italy_on_1_january_2024() {
    let f = ObservationFilter::default()
        .territory(&Territory::italy())
        .period(Period::january_first(2024))
        .sex(Sex::Total)
        .permit_type(PermitType::Total);
    let by_citizenship = dataset("residence_permits_by_citizenship");
    assert_eq!(
        by_citizenship.value(&f.clone().citizenship(Citizenship::Total)),
        Some(3_607_160)
    );
    let by_province = dataset("residence_permits_by_province");
    assert_eq!(by_province.value(&f), Some(3_607_160));
    let historical = ObservationFilter::default()
        .level(TerritoryLevel::HistoricalProvince)
        .period(Period::january_first(2024))
        .sex(Sex::Total)
        .permit_type(PermitType::Total);
    assert_eq!(by_province.select(&historical).count(), 103);
    assert_eq!(sum(by_province, &historical), 3_607_160);
}

/// Every (period, sex, …) slice: the provinces, the macro-areas and the regions each add up
/// to Italy, and every region to its provinces. Where a region is missing from the source
/// (Trentino-Alto Adige in the resident files, published as its two autonomous provinces),
/// those provinces stand in for it.
fn check_territories_add_up(
    d: &Dataset,
    province_level: TerritoryLevel,
    expected_provinces: usize,
) {
    let table = areas();
    let mut slices: BTreeMap<Observation, BTreeMap<Territory, i64>> = BTreeMap::new();
    for o in &d.observations {
        let mut key = o.clone();
        key.territory = Territory::italy();
        key.value = 0;
        slices
            .entry(key)
            .or_default()
            .insert(o.territory.clone(), o.value);
    }
    let mut checked = 0;
    for (key, cells) in &slices {
        let Some(&italy) = cells.get(&Territory::italy()) else {
            continue;
        };
        let at = |level| cells.iter().filter(move |(t, _)| t.level == level);
        let provinces: i64 = at(province_level).map(|(_, v)| v).sum();
        let full = at(province_level).count() == expected_provinces;
        // Flows omit zero cells; stocks list every province.
        if full || d.info.id == "protection_permits_issued" {
            assert_eq!(provinces, italy, "{}: provinces {key:?}", d.info.id);
        }
        let macro_areas: i64 = at(TerritoryLevel::MacroArea).map(|(_, v)| v).sum();
        if at(TerritoryLevel::MacroArea).count() == 5 {
            assert_eq!(macro_areas, italy, "{}: macro areas {key:?}", d.info.id);
        }
        let mut by_region: BTreeMap<&str, i64> = BTreeMap::new();
        for (t, v) in at(province_level) {
            *by_region
                .entry(table.region_of(t).expect("province in a region"))
                .or_default() += v;
        }
        let mut regions_total = 0;
        for (region, from_provinces) in &by_region {
            match cells.get(&Territory::new(TerritoryLevel::Region, *region)) {
                Some(v) => {
                    if full || d.info.id == "protection_permits_issued" {
                        assert_eq!(v, from_provinces, "{}: region {region} {key:?}", d.info.id);
                    }
                    regions_total += v;
                }
                None => {
                    assert_eq!(
                        *region, "04",
                        "{}: only Trentino-Alto Adige may lack",
                        d.info.id
                    );
                    regions_total += from_provinces;
                }
            }
        }
        if full {
            assert_eq!(regions_total, italy, "{}: regions {key:?}", d.info.id);
        }
        checked += 1;
    }
    assert!(checked > 0);
}

#[test]
fn resident_and_permit_territories_add_up_to_italy() {
    check_territories_add_up(dataset("foreign_residents"), TerritoryLevel::Province, 107);
    check_territories_add_up(
        dataset("foreign_population_balance"),
        TerritoryLevel::Province,
        107,
    );
    check_territories_add_up(
        dataset("foreign_residents_by_area"),
        TerritoryLevel::Province,
        107,
    );
    check_territories_add_up(
        dataset("residence_permits_by_province"),
        TerritoryLevel::HistoricalProvince,
        103,
    );
    check_territories_add_up(
        dataset("protection_permits_issued"),
        TerritoryLevel::HistoricalProvince,
        103,
    );
}

#[test]
fn residents_on_1_january_2019_to_2024_with_men_and_women_adding_up() {
    let d = dataset("foreign_residents");
    let periods: BTreeSet<Period> = d.observations.iter().map(|o| o.period).collect();
    let expected: BTreeSet<Period> = (2019..=2024).map(Period::january_first).collect();
    assert_eq!(periods, expected);
    for p in expected {
        let f = ObservationFilter::default()
            .period(p)
            .level(TerritoryLevel::Province);
        assert_eq!(d.select(&f.clone().sex(Sex::Total)).count(), 107, "{p}");
        for total in d.select(&f.clone().sex(Sex::Total)) {
            let one = |sex| {
                d.value(
                    &ObservationFilter::default()
                        .territory(&total.territory)
                        .period(p)
                        .sex(sex),
                )
            };
            assert_eq!(
                Some(total.value),
                one(Sex::Male).zip(one(Sex::Female)).map(|(m, f)| m + f),
                "{p} {:?}",
                total.territory
            );
        }
    }
    // 1 January 2024 is the balance's 31 December 2023.
    let italy_2024 = ObservationFilter::default()
        .territory(&Territory::italy())
        .period(Period::january_first(2024))
        .sex(Sex::Total);
    let balance = dataset("foreign_population_balance");
    let dec = ObservationFilter::default()
        .territory(&Territory::italy())
        .period(Period::Year(2023))
        .sex(Sex::Total)
        .measure("FDEC_CP");
    assert_eq!(d.value(&italy_2024), balance.value(&dec));
    assert_eq!(d.value(&italy_2024), Some(5_253_658));
}

#[test]
fn residents_by_area_and_by_country_agree_with_the_total() {
    let total_2023 = ObservationFilter::default()
        .territory(&Territory::italy())
        .period(Period::january_first(2023))
        .sex(Sex::Total);
    let residents = dataset("foreign_residents").value(&total_2023).unwrap();
    for id in ["foreign_residents_by_area", "foreign_residents_by_country"] {
        let d = dataset(id);
        for sex in Sex::ALL {
            let f = ObservationFilter {
                sex: Some(sex),
                ..total_2023.clone()
            };
            let world = d.value(&f.clone().citizenship(Citizenship::Total)).unwrap();
            // The partition: areas (not the continents some sources add) or countries, and
            // the stateless.
            let parts: i64 = d
                .select(&f)
                .filter(|o| match &o.citizenship {
                    Some(Citizenship::Country(_) | Citizenship::Stateless) => true,
                    Some(Citizenship::Area(a)) => id == "foreign_residents_by_area" && a != "EUR",
                    _ => false,
                })
                .map(|o| o.value)
                .sum();
            assert_eq!(parts, world, "{id} {sex:?}");
            if sex == Sex::Total {
                assert_eq!(world, residents, "{id}");
            }
        }
    }
    let by_country = dataset("foreign_residents_by_country");
    let countries = by_country
        .select(&total_2023)
        .filter(|o| matches!(o.citizenship, Some(Citizenship::Country(_))))
        .count();
    assert_eq!(countries, 193);
    // Romania, ISTAT 235.
    assert!(
        by_country
            .value(&total_2023.citizenship(Citizenship::Country("235".into())))
            .unwrap()
            > 1_000_000
    );
}

#[test]
fn permits_by_type_and_by_citizenship_agree_with_the_totals() {
    let by_province = dataset("residence_permits_by_province");
    let by_citizenship = dataset("residence_permits_by_citizenship");
    for year in 2015..=2024 {
        for sex in Sex::ALL {
            let italy = ObservationFilter::default()
                .territory(&Territory::italy())
                .period(Period::january_first(year))
                .sex(sex);
            let total = by_province.value(&italy.clone().permit_type(PermitType::Total));
            let long = by_province.value(&italy.clone().permit_type(PermitType::LongTerm));
            let expiry = by_province.value(&italy.clone().permit_type(PermitType::WithExpiry));
            assert_eq!(
                total,
                long.zip(expiry).map(|(a, b)| a + b),
                "{year} {sex:?}"
            );
            for ptype in PermitType::ALL {
                let f = italy.clone().permit_type(ptype);
                let world = by_citizenship.value(&f.clone().citizenship(Citizenship::Total));
                assert_eq!(world, by_province.value(&f), "{year} {sex:?} {ptype:?}");
                let continents: i64 = by_citizenship
                    .select(&f)
                    .filter(|o| match &o.citizenship {
                        Some(Citizenship::Area(a)) => {
                            ["EUR", "AFR", "ASI", "AME", "OCE"].contains(&a.as_str())
                        }
                        Some(Citizenship::Stateless) => true,
                        _ => false,
                    })
                    .map(|o| o.value)
                    .sum();
                assert_eq!(Some(continents), world, "{year} {sex:?} {ptype:?}");
            }
        }
    }
}

#[test]
fn province_codes_are_those_of_the_territory_module() {
    let territories = crate::territory::load_embedded().expect("territories");
    let table = areas();
    let residents = dataset("foreign_residents");
    let codes: BTreeSet<&str> = residents
        .observations
        .iter()
        .filter(|o| o.territory.level == TerritoryLevel::Province)
        .map(|o| o.territory.code.as_str())
        .collect();
    assert_eq!(codes.len(), 107);
    for code in codes {
        let p = territories
            .province(code)
            .unwrap_or_else(|| panic!("province {code}"));
        assert_eq!(
            Some(p.region_code.as_str()),
            table.region_of(&province(code)),
            "{code}"
        );
    }
    for d in datasets() {
        for o in &d.observations {
            if o.territory.level == TerritoryLevel::Region {
                assert!(territories.region(&o.territory.code).is_some(), "{o:?}");
            }
        }
    }
    // Historical provinces: 103, named, Milano with its pre-2009 code.
    let permits = dataset("residence_permits_by_province");
    let historical: BTreeSet<&str> = permits
        .observations
        .iter()
        .filter(|o| o.territory.level == TerritoryLevel::HistoricalProvince)
        .map(|o| o.territory.code.as_str())
        .collect();
    assert_eq!(historical.len(), 103);
    assert!(historical.contains("015") && !historical.contains("215"));
    assert!(
        !historical.contains("108"),
        "no Monza e Brianza before 2009"
    );
    assert_eq!(table.historical_province_name("015"), Some("Milano"));
    for code in &historical {
        assert!(table.historical_province_name(code).is_some(), "{code}");
    }
}

#[test]
fn reception_covers_twenty_regions_twice_a_month() {
    let d = dataset("reception");
    let regions: BTreeSet<&str> = d
        .observations
        .iter()
        .map(|o| o.territory.code.as_str())
        .collect();
    assert_eq!(regions.len(), 20);
    let dates: BTreeSet<Period> = d.observations.iter().map(|o| o.period).collect();
    assert_eq!(dates.len(), 140);
    let measures: BTreeSet<&str> = d
        .observations
        .iter()
        .filter_map(|o| o.measure.as_deref())
        .collect();
    assert_eq!(measures.len(), 4);
}

#[test]
fn problems_name_file_row_column_and_a_stable_code() {
    let csv = "DATAFLOW,FREQ,REF_AREA,DATA_TYPE,SEX,TIME_PERIOD,OBS_VALUE\n\
               x,A,ITF11,FJAN,9,2023,23047\n\
               x,A,ITZ99,FJAN,9,2023,1\n\
               x,A,ITF12,FJAN,3,2023,many\n\
               x,A,ITF11,FJAN,9,2023,23048\n";
    let problems = parse_file(SourceFile::ForeignBalance, csv.as_bytes()).unwrap_err();
    let got: Vec<(Option<u64>, Option<&str>, &str)> = problems
        .iter()
        .map(|p| (p.row, p.column.as_deref(), p.kind.code()))
        .collect();
    assert_eq!(
        got,
        [
            (Some(2), Some("REF_AREA"), "unknown_area"),
            (Some(3), Some("SEX"), "unknown_code"),
            (Some(3), Some("OBS_VALUE"), "not_an_integer"),
            (Some(4), Some("OBS_VALUE"), "conflicting_duplicate"),
            (Some(4), Some("OBS_VALUE"), "conflicting_duplicate"),
        ]
    );
    assert_eq!(
        problems[0].to_string(),
        format!(
            "{}, row 2, column REF_AREA: unknown ITTER107 area code \"ITZ99\" [unknown_area]",
            super::parse::BALANCE_FILE
        )
    );
    // A permit file naming a post-2009 province.
    let csv = "REF_AREA,DATA_TYPE,SEX,MOSTREL_CCITENSHIP,TYPE_RES_PERMIT_REASON,TYPE_RES_PERMIT,AGE,MARITAL_STATUS,TIME_PERIOD,OBS_VALUE\n\
               IT108,RESPER,9,WORLD,ALL,TOTAL,TOTAL,99,2024,5\n";
    let problems = parse_file(SourceFile::PermitsByProvince, csv.as_bytes()).unwrap_err();
    assert_eq!(problems[0].kind.code(), "area_not_in_source");
    // A missing column.
    let problems = parse_file(SourceFile::Reception, b"Regione\nAbruzzo\n").unwrap_err();
    assert!(
        problems
            .iter()
            .all(|p| p.kind == ProblemKind::MissingColumn && p.row.is_none())
    );
}

#[test]
fn keys_read_back() {
    for p in [Period::january_first(2024), Period::Year(2019)] {
        assert_eq!(Period::parse(&p.key()), Some(p));
    }
    for c in [
        Citizenship::Total,
        Citizenship::Stateless,
        Citizenship::Country("201".into()),
        Citizenship::Area("AFR_N".into()),
    ] {
        assert_eq!(Citizenship::parse(&c.key()), Some(c));
    }
    for l in TerritoryLevel::ALL {
        assert_eq!(TerritoryLevel::parse(l.as_str()), Some(l));
    }
}

#[test]
fn december_figures_keep_their_own_year_s_boundaries() {
    // Montecopiolo and Sassofeltrio moved from Pesaro e Urbino (041) to Rimini (099): the
    // balance's 31 December 2020 and 1 January 2021 differ for those provinces, not for Italy.
    let balance = dataset("foreign_population_balance");
    let residents = dataset("foreign_residents");
    let at = |code: &str| {
        let t = if code == "IT" {
            Territory::italy()
        } else {
            province(code)
        };
        let dec = balance.value(
            &ObservationFilter::default()
                .territory(&t)
                .period(Period::Year(2020))
                .sex(Sex::Total)
                .measure("FDEC_CP"),
        );
        let jan = residents.value(
            &ObservationFilter::default()
                .territory(&t)
                .period(Period::january_first(2021))
                .sex(Sex::Total),
        );
        (dec.unwrap(), jan.unwrap())
    };
    let (dec, jan) = at("099");
    assert_eq!(jan - dec, 222);
    let (dec, jan) = at("041");
    assert_eq!(dec - jan, 222);
    let (dec, jan) = at("IT");
    assert_eq!(dec, jan);
}
