//! The observatory's query parameters, as the web layer reads them: the first byte picks a
//! dataset (table views and `/api/observatory/datasets/{id}/table`) or an indicator
//! (`/api/observatory/indicators/{id}` and its pages), the rest is the query string.
//!
//! Datasets: the parameters are resolved against the dataset's catalogue; a choice that
//! resolves writes a canonical query string that resolves to the same choice.
//! Indicators: the parameters become a query, computed over empty facts.
#![no_main]

use std::sync::LazyLock;

use chrono::NaiveDate;
use crocevia_core::disclosure::DisclosureRule;
use crocevia_core::statistics::{self, DATASETS};
use crocevia_observatory::facts::{Codes, Needs, Referrals};
use crocevia_observatory::indicators::{INDICATORS, Inputs, compute};
use crocevia_app::statistics::indicators::IndicatorParams;
use crocevia_app::statistics::official::{Catalog, Choice, TableParams};
use libfuzzer_sys::fuzz_target;

static CATALOGS: LazyLock<Vec<Catalog>> = LazyLock::new(|| {
    let datasets = statistics::load_embedded().expect("embedded statistics");
    DATASETS
        .iter()
        .map(|info| {
            datasets
                .iter()
                .find(|d| d.info.id == info.id)
                .map(|d| Catalog::of(&d.observations))
                .unwrap_or_default()
        })
        .collect()
});

static CODES: LazyLock<Codes> = LazyLock::new(|| Codes::new(crocevia_web::territories()));

fuzz_target!(
    // The catalogues and codes load once, before the first run (not inside its timeout).
    init: {
        LazyLock::force(&CATALOGS);
        LazyLock::force(&CODES);
    },
    |data: &[u8]| {
    let Some((&pick, rest)) = data.split_first() else {
        return;
    };
    let query = String::from_utf8_lossy(rest);
    let pick = usize::from(pick);
    if pick < 128 {
        let i = pick % DATASETS.len();
        let Ok(params) = serde_urlencoded::from_str::<TableParams>(&query) else {
            return;
        };
        let territories = crocevia_web::territories();
        let Ok(choice) = Choice::resolve(&DATASETS[i], &CATALOGS[i], territories, &params) else {
            return;
        };
        let canonical = choice.query();
        let params: TableParams =
            serde_urlencoded::from_str(&canonical).expect("the canonical query reads");
        let again = Choice::resolve(&DATASETS[i], &CATALOGS[i], territories, &params)
            .unwrap_or_else(|e| panic!("{canonical} does not resolve: {e:?}"));
        assert_eq!(again.query(), canonical);
    } else {
        let indicator = &INDICATORS[pick % INDICATORS.len()];
        let Ok(params) = serde_urlencoded::from_str::<IndicatorParams>(&query) else {
            return;
        };
        let Ok(query) = params.query(indicator.id, &CODES) else {
            return;
        };
        let (needs, referrals) = (Needs::default(), Referrals::default());
        let inputs = Inputs {
            codes: &CODES,
            needs: &needs,
            referrals: &referrals,
            services: &[],
            residents_by_province: &[],
            unmet: &|_| false,
            rule: DisclosureRule::DEFAULT,
            today: NaiveDate::from_ymd_opt(2026, 11, 16).expect("a date"),
        };
        let _ = compute(&query, &inputs);
    }
}
);
