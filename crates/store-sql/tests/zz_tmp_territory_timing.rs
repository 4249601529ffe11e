// TEMPORARY: timing harness, deleted after measuring.
use std::time::Instant;

#[tokio::test(flavor = "multi_thread")]
async fn timing() {
    let t0 = Instant::now();
    let t = crocevia_core::territory::load_embedded().unwrap();
    eprintln!("parse: {:?}", t0.elapsed());
    let dir = tempfile::tempdir().unwrap();
    let mut urls = vec![(
        "sqlite",
        format!("sqlite://{}", dir.path().join("t.db").display()),
    )];
    if let Ok(base) = std::env::var("CROCEVIA_TEST_PG") {
        urls.push((
            "postgres",
            crocevia_store_sql::test_support::fresh_postgres_schema(&base)
                .await
                .unwrap(),
        ));
    }
    for (name, url) in urls {
        let store = crocevia_store_sql::open(&url).await.unwrap();
        for i in 0..4 {
            let t0 = Instant::now();
            store.replace_territories(&t).await.unwrap();
            eprintln!("{name} replace #{i}: {:?}", t0.elapsed());
        }
        let t0 = Instant::now();
        let c = store.territory_counts().await.unwrap();
        eprintln!("{name} counts {c:?}: {:?}", t0.elapsed());
        let p = t.comune("066049").unwrap().centroid.unwrap();
        for _ in 0..2 {
            let t0 = Instant::now();
            let n = store.comuni_near(p, 20.0, 100).await.unwrap();
            eprintln!("{name} near 20km -> {}: {:?}", n.len(), t0.elapsed());
            let t0 = Instant::now();
            let f = crocevia_store::ComuneFilter {
                province_code: None,
                name_prefix: Some("pizz".into()),
                limit: 20,
            };
            let n = store.comuni(&f).await.unwrap();
            eprintln!("{name} prefix pizz -> {}: {:?}", n.len(), t0.elapsed());
            let t0 = Instant::now();
            let f = crocevia_store::ComuneFilter {
                province_code: Some("066".into()),
                name_prefix: None,
                limit: 1000,
            };
            let n = store.comuni(&f).await.unwrap();
            eprintln!("{name} province 066 -> {}: {:?}", n.len(), t0.elapsed());
            let t0 = Instant::now();
            let n = store.provinces().await.unwrap();
            eprintln!("{name} provinces -> {}: {:?}", n.len(), t0.elapsed());
        }
    }
}
