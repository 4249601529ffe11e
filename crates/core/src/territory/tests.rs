//! Tests on the real embedded data and on small fixtures.

use std::sync::OnceLock;
use std::time::Instant;

use super::*;

/// Loaded once: parsing 6 MB of boundaries is the slow part of these tests.
fn italy() -> &'static Territories {
    static ITALY: OnceLock<Territories> = OnceLock::new();
    ITALY.get_or_init(|| load_embedded().expect("embedded territory data loads"))
}

fn point(lat: f64, lon: f64) -> Point {
    Point { lat, lon }
}

fn codes(comuni: &[&Comune]) -> Vec<String> {
    comuni.iter().map(|c| c.code.clone()).collect()
}

#[test]
fn haversine_distances() {
    let rome = point(41.9028, 12.4964);
    let milan = point(45.4642, 9.1900);
    assert_eq!(rome.distance_km(&rome), 0.0);
    // One degree of a great circle is R·π/180.
    let degree = point(42.0, 13.0).distance_km(&point(43.0, 13.0));
    assert!((degree - 111.1951).abs() < 1e-3, "{degree}");
    let d = rome.distance_km(&milan);
    assert!((d - 477.0).abs() < 2.0, "{d}");
    assert_eq!(d, milan.distance_km(&rome));
}

#[test]
fn totals_match_the_2023_list() {
    let italy = italy();
    assert_eq!(italy.comuni.len(), 7901);
    assert_eq!(italy.regions.len(), 20);
    // 107 "unità territoriali sovracomunali" in the list: 14 città metropolitane, 6 liberi
    // consorzi, 2 autonomous provinces, 4 FVG units and 81 provinces.
    assert_eq!(italy.provinces.len(), 107);
    let in_list: HashSet<&str> = italy
        .comuni
        .iter()
        .map(|c| c.province_code.as_str())
        .collect();
    assert_eq!(in_list.len(), italy.provinces.len());
    let count = |kind: &str| italy.provinces.iter().filter(|p| p.kind == kind).count();
    assert_eq!(count("Citta metropolitana"), 14);
    assert_eq!(count("Libero consorzio di comuni"), 6);
    assert_eq!(count("Provincia autonoma"), 2);
    assert_eq!(count("Unità non amministrativa"), 4);
    assert_eq!(count("Provincia"), 81);
    // BAT has three capoluoghi, every other province one.
    assert_eq!(
        italy
            .comuni
            .iter()
            .filter(|c| c.is_provincial_capital)
            .count(),
        109
    );
}

#[test]
fn every_reference_resolves_and_vectors_are_sorted() {
    let italy = italy();
    assert!(italy.comuni.is_sorted_by(|a, b| a.code < b.code));
    assert!(italy.provinces.is_sorted_by(|a, b| a.code < b.code));
    assert!(italy.regions.is_sorted_by(|a, b| a.code < b.code));
    for comune in &italy.comuni {
        let province = italy.province(&comune.province_code).unwrap();
        assert_eq!(province.region_code, comune.region_code, "{}", comune.code);
        assert!(comune.code.starts_with(&province.historical_code));
        assert_eq!(italy.comune(&comune.code), Some(comune));
    }
    for province in &italy.provinces {
        assert!(italy.region(&province.region_code).is_some());
        let seat = province.prefecture.seat_comune_code.as_deref();
        let seat = italy
            .comune(seat.expect("every prefecture has a seat"))
            .unwrap();
        assert_eq!(seat.province_code, province.prefecture.province_code);
        assert!(seat.is_provincial_capital, "{}", seat.name);
    }
    assert_eq!(italy.comune("999999"), None);
    assert_eq!(italy.province("001"), None, "Torino's current code is 201");
}

#[test]
fn l_aquila() {
    let italy = italy();
    let comune = italy.comune("066049").unwrap();
    assert_eq!(comune.name, "L'Aquila");
    assert_eq!(comune.cadastral_code, "A345");
    assert!(comune.is_provincial_capital);
    let province = italy.province(&comune.province_code).unwrap();
    assert_eq!(
        (province.code.as_str(), province.abbreviation.as_str()),
        ("066", "AQ")
    );
    assert_eq!(province.prefecture.name, "Prefettura di L'Aquila");
    assert_eq!(
        province.prefecture.seat_comune_code.as_deref(),
        Some("066049")
    );
    let region = italy.region(&comune.region_code).unwrap();
    assert_eq!(
        (region.code.as_str(), region.name.as_str()),
        ("13", "Abruzzo")
    );

    // The comune reaches north towards the Gran Sasso, so its centroid lies about 5 km NNE of
    // the historic centre (42.35 N, 13.40 E). An independent Python computation on the same
    // file gives 42.39337 N, 13.42503 E.
    let centroid = comune.centroid.unwrap();
    let d = centroid.distance_km(&point(42.35, 13.40));
    assert!(
        d < 10.0,
        "L'Aquila's centroid {centroid:?} is {d:.1} km off"
    );
    assert!(
        centroid.distance_km(&point(42.39337, 13.42503)) < 0.01,
        "{centroid:?}"
    );
    let pizzoli = italy.comuni_by_name("Pizzoli");
    assert_eq!(codes(&pizzoli), ["066072"]);
    // Centroid to centroid; the two town centres are about 12 km apart.
    let d = centroid.distance_km(&pizzoli[0].centroid.unwrap());
    assert!((9.0..=15.0).contains(&d), "L'Aquila–Pizzoli {d:.1} km");
}

#[test]
fn barletta_andria_trani_prefecture_is_in_barletta() {
    let italy = italy();
    let bat = italy.province_by_abbreviation("bt").unwrap();
    assert_eq!(bat.code, "110");
    assert_eq!(bat.name, "Barletta-Andria-Trani");
    assert_eq!(bat.prefecture.name, "Prefettura di Barletta-Andria-Trani");
    assert_eq!(bat.prefecture.seat_comune_code.as_deref(), Some("110002"));
    assert_eq!(italy.comune("110002").unwrap().name, "Barletta");
    let capitals: Vec<&str> = italy
        .comuni
        .iter()
        .filter(|c| c.province_code == "110" && c.is_provincial_capital)
        .map(|c| c.name.as_str())
        .collect();
    assert_eq!(capitals, ["Andria", "Barletta", "Trani"]);
}

#[test]
fn prefectures_follow_the_documented_rules() {
    let italy = italy();
    let prefecture = |code: &str| &italy.province(code).unwrap().prefecture;
    // Torino: current code 201, Prefettura in the city.
    assert_eq!(prefecture("201").name, "Prefettura di Torino");
    assert_eq!(
        prefecture("201").seat_comune_code.as_deref(),
        Some("001272")
    );
    // Sud Sardegna is served by Cagliari's Prefettura.
    let su = prefecture("111");
    assert_eq!(
        (su.name.as_str(), su.province_code.as_str()),
        ("Prefettura di Cagliari", "292")
    );
    assert_eq!(su.seat_comune_code.as_deref(), Some("092009"));
    // The special statutes, as the file's notes say.
    for code in ["021", "022"] {
        let p = prefecture(code);
        assert_eq!(Some(&p.name), p.note.as_ref(), "{code}");
    }
    let aosta = prefecture("007");
    assert_eq!(aosta.name, "Presidenza della Regione Valle d'Aosta");
    assert!(
        aosta
            .note
            .as_deref()
            .unwrap()
            .contains("Presidente della Regione")
    );
    assert_eq!(aosta.seat_comune_code.as_deref(), Some("007003"));
    // Every other office is a Prefettura of its own province.
    let ordinary = italy
        .provinces
        .iter()
        .filter(|p| !["007", "021", "022", "111"].contains(&p.code.as_str()));
    for p in ordinary {
        assert_eq!(p.prefecture.province_code, p.code);
        assert_eq!(p.prefecture.name, format!("Prefettura di {}", p.name));
    }
}

#[test]
fn names_match_ignoring_case_and_accents() {
    let italy = italy();
    assert_eq!(codes(&italy.comuni_by_name("l'aquila")), ["066049"]);
    assert_eq!(codes(&italy.comuni_by_name("  L’AQUILA ")), ["066049"]);
    assert_eq!(codes(&italy.comuni_by_name("forli")), ["040012"]);
    assert_eq!(codes(&italy.comuni_by_name("Forlì")), ["040012"]);
    assert_eq!(codes(&italy.comuni_by_name("Forli\u{300}")), ["040012"]);
    assert_eq!(codes(&italy.comuni_by_name("Bozen")), ["021008"]);
    assert_eq!(codes(&italy.comuni_by_name("bolzano")), ["021008"]);
    assert_eq!(codes(&italy.comuni_by_name("steverjan")), ["031019"]);
    // Homonyms come back together.
    assert_eq!(codes(&italy.comuni_by_name("Castro")), ["016065", "075096"]);
    assert_eq!(
        codes(&italy.comuni_by_name("paterno")),
        ["076100", "087033"]
    );
    assert!(
        italy.comuni_by_name("Aquila").is_empty(),
        "exact match, not substring"
    );
    assert!(italy.comuni_by_name("").is_empty());
}

#[test]
fn boundaries_cover_almost_every_comune() {
    let italy = italy();
    let without: Vec<&str> = italy
        .comuni
        .iter()
        .filter(|c| c.centroid.is_none())
        .map(|c| c.code.as_str())
        .collect();
    eprintln!("comuni without a boundary: {} {without:?}", without.len());
    // The openpolis comuni files (June 2023) lack the two comuni born on 2023-01-01 from
    // mergers, Moransengo-Tonengo (005122) and Bardello con Malgesso e Bregano (012144), and
    // their predecessors too; Miagliano (096034, 0.7 km²) is there with a null geometry,
    // presumably simplified away.
    assert_eq!(without, ["005122", "012144", "096034"]);

    // And no boundary is left over: every feature matches a comune of the list.
    let mut features = 0;
    for bytes in embedded_sources().comune_boundaries {
        for feature in topojson::decode(bytes).unwrap() {
            let code = feature.properties["com_istat_code"].as_str().unwrap();
            assert!(
                italy.comune(code).is_some(),
                "boundary of unknown comune {code}"
            );
            features += 1;
        }
    }
    assert_eq!(features, 7899);

    assert!(italy.regions.iter().all(|r| r.centroid.is_some()));
    assert!(italy.provinces.iter().all(|p| p.centroid.is_some()));
    // Centroids are where their province is (lat/lon swaps or a wrong transform would put
    // them hundreds of km away; Lampedusa, 200 km from Agrigento's centroid, is the farthest).
    for comune in &italy.comuni {
        let (Some(c), Some(p)) = (
            comune.centroid,
            italy.province(&comune.province_code).unwrap().centroid,
        ) else {
            continue;
        };
        assert!(
            (35.4..47.1).contains(&c.lat) && (6.6..18.6).contains(&c.lon),
            "{}",
            comune.code
        );
        let d = c.distance_km(&p);
        assert!(
            d < 250.0,
            "{} {} is {d:.0} km from its province",
            comune.code,
            comune.name
        );
    }
    let abruzzo = italy.region("13").unwrap().centroid.unwrap();
    let aq = italy.province("066").unwrap().centroid.unwrap();
    assert!(
        abruzzo.distance_km(&point(42.23, 13.85)) < 25.0,
        "{abruzzo:?}"
    );
    assert!(aq.distance_km(&point(42.1, 13.6)) < 30.0, "{aq:?}");
}

#[test]
fn load_time() {
    let start = Instant::now();
    let italy = load_embedded().unwrap();
    eprintln!(
        "load_embedded: {} comuni in {:?}",
        italy.comuni.len(),
        start.elapsed()
    );
}

/// The real comuni list with `from` replaced by `to` once.
fn corrupted_list(from: &str, to: &str) -> (Vec<u8>, u64) {
    let bytes = embedded_sources().comuni_csv;
    let at = bytes
        .windows(from.len())
        .position(|w| w == from.as_bytes())
        .unwrap();
    let line = 1 + bytes[..at].iter().filter(|&&b| b == b'\n').count() as u64;
    let mut out = bytes[..at].to_vec();
    out.extend_from_slice(to.as_bytes());
    out.extend_from_slice(&bytes[at + from.len()..]);
    (out, line)
}

fn load_with_list(list: &[u8]) -> Result<Territories, TerritoryError> {
    Territories::load(&TerritorySources {
        comuni_csv: list,
        ..embedded_sources()
    })
}

#[test]
fn a_malformed_row_is_named() {
    // The header spans three lines, so data row n is on line n + 3.
    let (list, line) = corrupted_list(";066049;", ";06604Z;");
    let err = load_with_list(&list).unwrap_err();
    assert_eq!(
        err.to_string(),
        format!(
            "elenco_comuni_italiani_2023.csv, row {} (line {line}): comune code \"06604Z\" is not \
             6 digits",
            line - 3
        )
    );

    let (list, line) = corrupted_list(";066049;L'Aquila;", ";066049L'Aquila;");
    let err = load_with_list(&list).unwrap_err();
    assert_eq!(
        err.to_string(),
        format!(
            "elenco_comuni_italiani_2023.csv, row {} (line {line}): 25 fields where the header \
             has 26",
            line - 3
        )
    );

    let (list, _) = corrupted_list(";066049;L'Aquila;", ";067049;L'Aquila;");
    let err = load_with_list(&list).unwrap_err().to_string();
    assert!(
        err.ends_with("comune code 067049 does not start with its historical province code 066"),
        "{err}"
    );
}

#[test]
fn sources_that_disagree_are_rejected() {
    // The comuni list says AQ, the provinces file is edited to say AA.
    let provinces = String::from_utf8(embedded_sources().provinces_csv.to_vec()).unwrap();
    let provinces = provinces.replace("L'Aquila,Provincia,AQ,066", "L'Aquila,Provincia,AA,066");
    let err = Territories::load(&TerritorySources {
        provinces_csv: provinces.as_bytes(),
        ..embedded_sources()
    })
    .unwrap_err()
    .to_string();
    assert!(
        err.starts_with("province_ripartizioni.csv, row 70 (line 71): province 066 is"),
        "{err}"
    );

    // A province without a prefecture row.
    let prefectures = String::from_utf8(embedded_sources().prefectures_csv.to_vec()).unwrap();
    let prefectures = prefectures.replace("AQ,L'Aquila,066,AQ,108,\n", "");
    let err = Territories::load(&TerritorySources {
        prefectures_csv: prefectures.as_bytes(),
        ..embedded_sources()
    })
    .unwrap_err()
    .to_string();
    assert_eq!(
        err,
        "prefetture_per_provincia.csv: province 066 (L'Aquila) of elenco_comuni_italiani_2023.csv \
         is missing"
    );
}

/// A whole territory from hand-written files: one region, one province, two comuni, and a
/// boundary for one of them (a 1°×1° square), so the joins are checked end to end.
#[test]
fn loads_hand_written_sources() {
    let comuni = "Codice Regione;\"Codice dell'Unità territoriale sovracomunale \n(valida a fini statistici)\";Codice Provincia (Storico)(1);Codice Comune formato alfanumerico;Denominazione in italiano;Denominazione altra lingua;\"Denominazione dell'Unità territoriale sovracomunale \n(valida a fini statistici)\";Flag Comune capoluogo di provincia;Sigla automobilistica;Codice Catastale del comune\r\n\
        13;066;066; 066049 ;L'Aquila;;L'Aquila;1;AQ;A345\r\n\
        13;066;066;066072;Pizzoli;;L'Aquila;0;AQ;G726\r\n";
    let provinces = "istat_code_regione,istat_code_provincia_statistico,istat_nome,istat_tipo,motorizzazione_sigla_automobilistica,istat_code_provincia_storico\n\
        13,066,L'Aquila,Provincia,AQ,066\n\
        20,-,Ogliastra,Provincia soppressa,OG,105\n";
    let regions = "istat_code_reg,istat_denominazione_regione_camel\n13,Abruzzo\n13,Abruzzo\n";
    let prefectures = "sigla_provincia,nome_provincia,cod_provincia_istat,sigla_prefettura,n_comuni,nota\nAQ,L'Aquila,066,AQ,2,\n";
    let square = r#"{"type":"Topology","transform":{"scale":[0.5,0.5],"translate":[13,42]},
        "arcs":[[[0,0],[2,0],[0,2],[-2,0],[0,-2]]],
        "objects":{"x":{"type":"GeometryCollection","geometries":[
            {"type":"Polygon","arcs":[[0]],"properties":{"com_istat_code":"066049","reg_istat_code":"13","prov_istat_code":"066"}}]}}}"#;
    let italy = Territories::load(&TerritorySources {
        comuni_csv: comuni.as_bytes(),
        provinces_csv: provinces.as_bytes(),
        regions_csv: regions.as_bytes(),
        prefectures_csv: prefectures.as_bytes(),
        region_boundaries: square.as_bytes(),
        province_boundaries: square.as_bytes(),
        comune_boundaries: vec![square.as_bytes()],
    })
    .unwrap();
    assert_eq!(italy.regions.len(), 1);
    assert_eq!(italy.regions[0].centroid, Some(point(42.5, 13.5)));
    let aq = italy.province("066").unwrap();
    assert_eq!(aq.kind, "Provincia");
    assert_eq!(aq.centroid, Some(point(42.5, 13.5)));
    assert_eq!(aq.prefecture.seat_comune_code.as_deref(), Some("066049"));
    assert_eq!(
        italy.comune("066049").unwrap().centroid,
        Some(point(42.5, 13.5))
    );
    assert_eq!(italy.comune("066072").unwrap().centroid, None);
    assert_eq!(codes(&italy.comuni_by_name("PIZZOLI")), ["066072"]);
}
