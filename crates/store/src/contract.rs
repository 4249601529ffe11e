//! The behaviour every backend must have. Each backend's test binary instantiates these with
//! [`store_contract_tests!`](crate::store_contract_tests), giving one named test per check.

#![allow(clippy::unwrap_used)] // a contract check fails by panicking

use chrono::{DateTime, TimeZone, Utc};
use crocevia_core::hsds::Record;
use crocevia_core::hsds::nested::RecordIndex;

use std::sync::OnceLock;

use crocevia_core::statistics::Dataset;
use crocevia_core::territory::{self, Territories};

pub mod desk;
pub mod search_demand;
pub mod survey;

use crate::{
    Account, ApiToken, ChangeSet, ComuneFilter, ListQuery, Near, OidcLink, Operation, Session,
    Store, StoreError, load_nested,
};
pub use desk::*;
pub use search_demand::*;
pub use survey::*;

pub const ORG: &str = "8b0a6f3e-0c59-4a55-9d2d-3f5a1e2b7c01";
pub const OTHER_ORG: &str = "8b0a6f3e-0c59-4a55-9d2d-3f5a1e2b7c02";
pub const SERVICE: &str = "5c7e1d2a-7f3b-4c1e-9a55-0b6d2e4f8a01";
pub const OTHER_SERVICE: &str = "5c7e1d2a-7f3b-4c1e-9a55-0b6d2e4f8a02";
pub const LOCATION: &str = "3f2b9c4d-1a6e-4b7f-8c9d-0e1f2a3b4c01";
pub const FAR_LOCATION: &str = "3f2b9c4d-1a6e-4b7f-8c9d-0e1f2a3b4c02";
pub const SAL: &str = "9a8b7c6d-5e4f-4a3b-2c1d-0e9f8a7b6c01";
pub const FAR_SAL: &str = "9a8b7c6d-5e4f-4a3b-2c1d-0e9f8a7b6c02";
pub const ADDRESS: &str = "7d6c5b4a-3e2f-4d1c-9b8a-7f6e5d4c3b01";
pub const PHONE: &str = "2e3d4c5b-6a7f-4e8d-9c0b-1a2f3e4d5c01";
pub const TAXONOMY: &str = "6f5e4d3c-2b1a-4f9e-8d7c-6b5a4f3e2d01";
pub const TERM: &str = "6f5e4d3c-2b1a-4f9e-8d7c-6b5a4f3e2d02";
pub const ATTRIBUTE: &str = "4a5b6c7d-8e9f-4a0b-1c2d-3e4f5a6b7c01";

pub fn at(day: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 3, day, 9, 0, 0).unwrap()
}

fn changes(upserts: Vec<Record>, day: u32) -> ChangeSet {
    ChangeSet {
        upserts,
        deletes: Vec::new(),
        actor: "contract-test".into(),
        at: at(day),
    }
}

/// A small directory: two organisations, two services, one near L'Aquila and one in Barletta,
/// a taxonomy term tagging the first service.
pub fn sample() -> Vec<Record> {
    vec![
        Record::new("organization", ORG)
            .with("name", "Comune dell'Aquila")
            .with("description", "Sportello immigrazione"),
        Record::new("organization", OTHER_ORG)
            .with("name", "ASL BAT")
            .with("description", "Azienda sanitaria"),
        Record::new("service", SERVICE)
            .with("name", "Sportello orientamento")
            .with(
                "description",
                "Orientamento ai servizi per cittadini stranieri",
            )
            .with("status", "active")
            .with("organization_id", ORG),
        Record::new("service", OTHER_SERVICE)
            .with("name", "Ambulatorio STP")
            .with("description", "Assistenza sanitaria di base")
            .with("status", "active")
            .with("organization_id", OTHER_ORG),
        Record::new("location", LOCATION)
            .with("name", "Palazzo Margherita")
            .with("location_type", "physical")
            .with("organization_id", ORG)
            .with("latitude", 42.3506)
            .with("longitude", 13.3995),
        Record::new("location", FAR_LOCATION)
            .with("name", "Poliambulatorio")
            .with("location_type", "physical")
            .with("organization_id", OTHER_ORG)
            .with("latitude", 41.3196)
            .with("longitude", 16.2838),
        Record::new("address", ADDRESS)
            .with("location_id", LOCATION)
            .with("address_1", "Piazza Palazzo 1")
            .with("city", "L'Aquila")
            .with("state_province", "AQ")
            .with("postal_code", "67100")
            .with("country", "IT")
            .with("address_type", "physical"),
        Record::new("service_at_location", SAL)
            .with("service_id", SERVICE)
            .with("location_id", LOCATION),
        Record::new("service_at_location", FAR_SAL)
            .with("service_id", OTHER_SERVICE)
            .with("location_id", FAR_LOCATION),
        Record::new("phone", PHONE)
            .with("service_id", SERVICE)
            .with("number", "+39 0862 6451")
            // What bulk-copy formats must escape reads back as written.
            .with(
                "description",
                "tab\there, line\nbreak\r\n, back\\slash, \\N, \\., «sì», رقم",
            ),
        Record::new("taxonomy", TAXONOMY)
            .with("name", "Bisogni")
            .with("description", "Needs"),
        Record::new("taxonomy_term", TERM)
            .with("name", "Documenti")
            .with("description", "Permessi")
            .with("taxonomy_id", TAXONOMY),
        Record::new("attribute", ATTRIBUTE)
            .with("link_id", SERVICE)
            .with("link_entity", "service")
            .with("taxonomy_term_id", TERM),
    ]
}

pub async fn seed(store: &dyn Store) {
    store
        .apply(changes(sample(), 1))
        .await
        .expect("seed applies");
}

fn query(table: &str) -> ListQuery {
    ListQuery {
        table: table.into(),
        page: 1,
        per_page: 50,
        ..ListQuery::default()
    }
}

async fn ids(store: &dyn Store, q: ListQuery) -> Vec<String> {
    let page = store.list(&q).await.expect("list");
    page.items.into_iter().map(|r| r.id).collect()
}

pub async fn written_rows_read_back_equal(store: &dyn Store) {
    seed(store).await;
    for record in sample() {
        let back = store.get(&record.table, &record.id).await.unwrap();
        assert_eq!(
            back.as_ref(),
            Some(&record),
            "{} {}",
            record.table,
            record.id
        );
    }
    assert_eq!(
        store.get("service", ORG).await.unwrap(),
        None,
        "ids are per table"
    );
    for table in ["organization", "service", "phone"] {
        let mut expected: Vec<String> = sample()
            .into_iter()
            .filter(|r| r.table == table)
            .map(|r| r.id)
            .collect();
        expected.sort();
        assert_eq!(store.ids_of(table).await.unwrap(), expected, "{table}");
    }
    assert!(store.ids_of("no_such_table").await.unwrap().is_empty());
    // Keyset pages, one and two rows at a time, give every row once, in id order.
    for (table, limit) in [("service", 1), ("location", 1), ("service", 2)] {
        let mut paged = Vec::new();
        let mut after = String::new();
        loop {
            let page = store.records_after(table, &after, limit).await.unwrap();
            let Some(last) = page.last() else { break };
            after = last.id.clone();
            paged.extend(page);
        }
        let mut expected: Vec<Record> = sample().into_iter().filter(|r| r.table == table).collect();
        expected.sort_by(|a, b| a.id.cmp(&b.id));
        assert!(expected.len() >= 2, "{table}: the sample has several");
        assert_eq!(paged, expected, "{table} in pages of {limit}");
    }
}

/// A write of thousands of rows takes the backends' bulk path (PostgreSQL's `COPY`): the rows,
/// their references and their change-log entries are all there, text as written.
pub async fn a_bulk_write_reads_back_as_written(store: &dyn Store) {
    seed(store).await;
    let before = store.changes_since(0, 100_000).await.unwrap().len();
    let phones: Vec<Record> = (0..2_500)
        .map(|i| {
            Record::new("phone", format!("7e3d4c5b-6a7f-4e8d-9c0b-{i:012}"))
                .with("service_id", SERVICE)
                .with("number", format!("+39 0862 {i}"))
                .with("description", format!("{i}\ttab\nline\\N\\.\r\n«sì» رقم"))
        })
        .collect();
    let log = store.apply(changes(phones.clone(), 3)).await.unwrap();
    assert_eq!(log.len(), phones.len());
    for phone in [&phones[0], &phones[1_234], &phones[2_499]] {
        assert_eq!(
            store.get("phone", &phone.id).await.unwrap().as_ref(),
            Some(phone)
        );
    }
    let pointing = store
        .pointing_at(&[SERVICE.to_owned()], &[("phone", "service_id")])
        .await
        .unwrap();
    assert_eq!(pointing.len(), phones.len() + 1, "references written too");
    let after = store.changes_since(0, 100_000).await.unwrap();
    assert_eq!(after.len() - before, phones.len());
}

pub async fn every_write_is_in_the_change_log(store: &dyn Store) {
    let before = store.changes_since(0, 1000).await.unwrap().len();
    seed(store).await;
    let mut removal = changes(Vec::new(), 2);
    removal.deletes.push(("phone".into(), PHONE.into()));
    store.apply(removal).await.unwrap();
    let log = store.changes_since(0, 1000).await.unwrap();
    assert_eq!(log.len() - before, sample().len() + 1);
    assert!(log.windows(2).all(|w| w[0].seq < w[1].seq));
    let last = log.last().unwrap();
    assert_eq!((last.table.as_str(), last.id.as_str()), ("phone", PHONE));
    assert_eq!(last.operation, Operation::Delete);
    assert_eq!(last.at, at(2));
    let after_first = store.changes_since(log[before].seq, 1000).await.unwrap();
    assert_eq!(after_first.len(), log.len() - before - 1);
    // Where a rebuilt search index starts following from.
    assert_eq!(store.last_change().await.unwrap(), last.seq);

    // The audit page reads the same log newest first, a page at a time.
    let newest = store.changes_before(None, 2).await.unwrap();
    assert_eq!(newest.len(), 2);
    assert_eq!(newest[0], *last);
    assert_eq!(newest[1], log[log.len() - 2]);
    let older = store
        .changes_before(Some(newest[1].seq), 1000)
        .await
        .unwrap();
    assert_eq!(older.len(), log.len() - 2);
    assert!(older.windows(2).all(|w| w[0].seq > w[1].seq));
}

pub async fn a_dangling_reference_rejects_the_whole_set(store: &dyn Store) {
    let mut rows = sample();
    rows.push(
        Record::new("phone", "2e3d4c5b-6a7f-4e8d-9c0b-1a2f3e4d5c99")
            .with("service_id", "00000000-0000-4000-8000-000000000000")
            .with("number", "1"),
    );
    let err = store.apply(changes(rows, 1)).await.unwrap_err();
    assert!(
        matches!(&err, StoreError::DanglingReference { field, .. } if field == "service_id"),
        "{err:?}"
    );
    assert_eq!(store.get("organization", ORG).await.unwrap(), None);
    assert!(store.changes_since(0, 10).await.unwrap().is_empty());
}

pub async fn a_referenced_row_cannot_be_deleted_alone(store: &dyn Store) {
    seed(store).await;
    let mut removal = changes(Vec::new(), 2);
    removal
        .deletes
        .push(("organization".into(), OTHER_ORG.into()));
    let err = store.apply(removal).await.unwrap_err();
    assert_eq!(err.code(), "still_referenced");
    assert!(
        store
            .get("organization", OTHER_ORG)
            .await
            .unwrap()
            .is_some()
    );

    let mut cascade = changes(Vec::new(), 2);
    for (table, id) in [
        ("service_at_location", FAR_SAL),
        ("location", FAR_LOCATION),
        ("service", OTHER_SERVICE),
        ("organization", OTHER_ORG),
    ] {
        cascade.deletes.push((table.into(), id.into()));
    }
    store.apply(cascade).await.unwrap();
    assert!(
        store
            .get("organization", OTHER_ORG)
            .await
            .unwrap()
            .is_none()
    );
}

pub async fn listing_pages_and_counts(store: &dyn Store) {
    seed(store).await;
    let mut q = query("service");
    q.per_page = 1;
    let first = store.list(&q).await.unwrap();
    assert_eq!(first.total_items, 2);
    assert_eq!(first.items.len(), 1);
    q.page = 2;
    let second = store.list(&q).await.unwrap();
    assert_eq!(second.items.len(), 1);
    assert_ne!(first.items[0].id, second.items[0].id);
    q.page = 3;
    assert!(store.list(&q).await.unwrap().items.is_empty());
}

/// Deep pages start from remembered ids rather than walking every row before them; they
/// must hold exactly the rows an offset would, and follow writes at once.
pub async fn deep_pages_hold_the_rows_at_their_place(store: &dyn Store) {
    seed(store).await;
    let phone = |i: usize| {
        Record::new("phone", format!("7e3d4c5b-6a7f-4e8d-9c0b-{i:012}"))
            .with("service_id", SERVICE)
            .with("number", format!("+39 0862 {i}"))
    };
    store
        .apply(changes((0..2_500).map(phone).collect(), 3))
        .await
        .unwrap();
    let all = store.ids_of("phone").await.unwrap();
    assert_eq!(all.len(), 2_501);
    let mut q = query("phone");
    q.per_page = 7;
    let page_of = |all: &[String], page: usize| -> Vec<String> {
        all.iter().skip((page - 1) * 7).take(7).cloned().collect()
    };
    // Pages before, across and after the places remembered (every 1,000th row), and the last:
    // first by offset while the anchors are read in the background, then from them.
    for round in 0..2 {
        for page in [1, 142, 143, 144, 286, 287, 300, 358, 359] {
            q.page = page as u32;
            let listed = store.list(&q).await.unwrap();
            assert_eq!(listed.total_items, 2_501);
            let ids: Vec<String> = listed.items.iter().map(|r| r.id.clone()).collect();
            assert_eq!(ids, page_of(&all, page), "page {page}, round {round}");
        }
        tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    }
    // A row sorting first moves every row one place on; a deep page shows it at once.
    store
        .apply(changes(
            vec![
                Record::new("phone", "0000aaaa-6a7f-4e8d-9c0b-000000000000")
                    .with("service_id", SERVICE)
                    .with("number", "+39 0862 0"),
            ],
            4,
        ))
        .await
        .unwrap();
    let all = store.ids_of("phone").await.unwrap();
    q.page = 300;
    let listed = store.list(&q).await.unwrap();
    assert_eq!(listed.total_items, 2_502);
    let ids: Vec<String> = listed.items.iter().map(|r| r.id.clone()).collect();
    assert_eq!(ids, page_of(&all, 300));
}

pub async fn filters_combine_with_and(store: &dyn Store) {
    seed(store).await;
    let mut q = query("service");
    q.search = Some("ORIENTAMENTO servizi".into());
    assert_eq!(ids(store, q.clone()).await, vec![SERVICE]);
    q.organization_id = Some(OTHER_ORG.into());
    assert!(ids(store, q).await.is_empty());

    let mut q = query("service");
    q.taxonomy_term_id = Some(TERM.into());
    assert_eq!(ids(store, q).await, vec![SERVICE]);
    let mut q = query("service");
    q.taxonomy_id = Some(TAXONOMY.into());
    assert_eq!(ids(store, q).await, vec![SERVICE]);
    let mut q = query("taxonomy_term");
    q.taxonomy_id = Some(TAXONOMY.into());
    assert_eq!(ids(store, q).await, vec![TERM]);

    let mut q = query("service_at_location");
    q.organization_id = Some(OTHER_ORG.into());
    assert_eq!(ids(store, q).await, vec![FAR_SAL]);
    let mut q = query("service_at_location");
    q.postcode = Some("67100".into());
    assert_eq!(ids(store, q).await, vec![SAL]);

    let mut q = query("service");
    q.search = Some("100%_".into());
    assert!(ids(store, q).await.is_empty(), "LIKE wildcards are literal");
}

pub async fn modified_after_follows_writes(store: &dyn Store) {
    seed(store).await;
    let mut touched = sample()
        .into_iter()
        .find(|r| r.id == OTHER_SERVICE)
        .unwrap();
    touched.set("description", "Nuovo orario");
    store.apply(changes(vec![touched], 5)).await.unwrap();
    let mut q = query("service");
    q.modified_after = Some(at(3));
    assert_eq!(ids(store, q).await, vec![OTHER_SERVICE]);
    let stamps = store
        .modified_at("service", &[SERVICE.into(), OTHER_SERVICE.into()])
        .await
        .unwrap();
    assert!(stamps.contains(&(OTHER_SERVICE.to_owned(), at(5))));
    assert!(stamps.contains(&(SERVICE.to_owned(), at(1))));
}

pub async fn proximity_filters_by_radius_nearest_first(store: &dyn Store) {
    seed(store).await;
    let mut q = query("service_at_location");
    // Pizzoli, about 12 km from L'Aquila and 300 km from Andria.
    q.near = Some(Near {
        lat: 42.4365,
        lon: 13.3036,
        radius_km: 25.0,
    });
    assert_eq!(ids(store, q.clone()).await, vec![SAL]);
    q.near = Some(Near {
        lat: 42.4365,
        lon: 13.3036,
        radius_km: 400.0,
    });
    assert_eq!(ids(store, q.clone()).await, vec![SAL, FAR_SAL]);
    q.near = Some(Near {
        lat: 41.2270,
        lon: 16.2950,
        radius_km: 400.0,
    });
    assert_eq!(ids(store, q).await, vec![FAR_SAL, SAL]);
}

/// A store that remembers which ids it was asked what points at, to count a loader's work.
struct AskedFor<'a> {
    store: &'a dyn Store,
    asked: std::sync::Mutex<Vec<String>>,
}

#[async_trait::async_trait]
impl crate::DirectoryRead for AskedFor<'_> {
    async fn existing(
        &self,
        ids: &[String],
    ) -> crate::Result<crocevia_core::hsds::validate::Existing> {
        self.store.existing(ids).await
    }
    async fn get(&self, table: &str, id: &str) -> crate::Result<Option<Record>> {
        self.store.get(table, id).await
    }
    async fn get_many(&self, table: Option<&str>, ids: &[String]) -> crate::Result<Vec<Record>> {
        self.store.get_many(table, ids).await
    }
    async fn pointing_at(
        &self,
        ids: &[String],
        via: &[(&str, &str)],
    ) -> crate::Result<Vec<Record>> {
        self.asked.lock().unwrap().extend(ids.iter().cloned());
        self.store.pointing_at(ids, via).await
    }
    async fn list(&self, query: &ListQuery) -> crate::Result<crate::Page<Record>> {
        self.store.list(query).await
    }
    async fn table_counts(&self) -> crate::Result<Vec<(String, i64)>> {
        self.store.table_counts().await
    }
    async fn all_records(&self) -> crate::Result<Vec<Record>> {
        self.store.all_records().await
    }
    async fn ids_of(&self, table: &str) -> crate::Result<Vec<String>> {
        self.store.ids_of(table).await
    }
    async fn records_after(
        &self,
        table: &str,
        after: &str,
        limit: u32,
    ) -> crate::Result<Vec<Record>> {
        self.store.records_after(table, after, limit).await
    }
    async fn modified_at(
        &self,
        table: &str,
        ids: &[String],
    ) -> crate::Result<Vec<(String, DateTime<Utc>)>> {
        self.store.modified_at(table, ids).await
    }
}

/// The search index is rebuilt a batch of services at a time. Rows the batches share (an
/// organisation, its location, a taxonomy term) must have their own nested rows looked for
/// once, not once per batch: a term is pointed at by thousands of attributes, and going past
/// them again in every batch made a rebuild grow faster than the directory.
pub async fn batches_look_for_shared_rows_once(store: &dyn Store) {
    seed(store).await;
    let services: Vec<Record> = (1..=4)
        .map(|n| {
            Record::new("service", format!("5c7e1d2a-7f3b-4c1e-9a55-0b6d2e4f8b0{n}"))
                .with("name", format!("Sportello {n}"))
                .with("status", "active")
                .with("organization_id", ORG)
        })
        .collect();
    store.apply(changes(services.clone(), 2)).await.unwrap();
    let counting = AskedFor {
        store,
        asked: Default::default(),
    };
    let mut shared = crate::SharedRows::default();
    for service in &services {
        let alone = load_nested(store, vec![service.clone()]).await.unwrap();
        let sharing = crate::load_nested_sharing(&counting, vec![service.clone()], &mut shared)
            .await
            .unwrap();
        let key = |rows: &[Record]| {
            let mut ids: Vec<(String, String)> = rows
                .iter()
                .map(|r| (r.table.clone(), r.id.clone()))
                .collect();
            ids.sort();
            ids
        };
        assert_eq!(key(&sharing), key(&alone), "the same rows as loading alone");
        assert!(
            sharing
                .iter()
                .any(|r| r.table == "location" && r.id == LOCATION)
        );
    }
    let asked = counting.asked.into_inner().unwrap();
    let times = |id: &str| asked.iter().filter(|a| *a == id).count();
    assert_eq!(times(ORG), 1, "the organisation's rows are looked for once");
    assert_eq!(times(LOCATION), 1, "its location's too");
    assert_eq!(times(&services[3].id), 1);
}

pub async fn nested_objects_load_in_full(store: &dyn Store) {
    seed(store).await;
    let service = store.get("service", SERVICE).await.unwrap().unwrap();
    let rows = load_nested(store, vec![service.clone()]).await.unwrap();
    let index = RecordIndex::new(&rows);
    let full = serde_json::Value::Object(index.assemble(&service));
    assert_eq!(full["organization"]["name"], "Comune dell'Aquila");
    assert_eq!(full["phones"][0]["number"], "+39 0862 6451");
    assert_eq!(
        full["service_at_locations"][0]["location"]["addresses"][0]["postal_code"],
        "67100"
    );
    assert_eq!(full["attributes"][0]["taxonomy_term"]["name"], "Documenti");
    assert_eq!(
        full["attributes"][0]["taxonomy_term"]["taxonomy_detail"]["name"],
        "Bisogni"
    );
    assert!(
        !rows.iter().any(|r| r.id == OTHER_SERVICE),
        "a sibling service of the organisation is not nested"
    );
}

pub async fn existing_reports_tables_of_known_ids(store: &dyn Store) {
    seed(store).await;
    let found = store
        .existing(&[ORG.into(), "00000000-0000-4000-8000-000000000000".into()])
        .await
        .unwrap();
    assert_eq!(found.len(), 1);
    assert_eq!(found[ORG], vec!["organization".to_owned()]);
}

/// Writers running at once (several app servers) never make a change-log entry appear below
/// one a follower has already read: followers read "everything after N" and would miss it.
pub async fn concurrent_writes_commit_in_sequence_order(store: &dyn Store) {
    const WRITERS: usize = 4;
    const WRITES: usize = 10;
    let writer = |w: usize| async move {
        for i in 0..WRITES {
            let id = format!("8b0a6f3e-0c59-4a55-9d2d-{:06}{:06}", w, i);
            let org = Record::new("organization", id)
                .with("name", format!("Org {w}-{i}"))
                .with("description", "concurrent");
            store.apply(changes(vec![org], 1)).await.expect("write");
        }
    };
    let follower = async {
        let mut seen: std::collections::BTreeSet<i64> = Default::default();
        while seen.len() < WRITERS * WRITES {
            let all: Vec<i64> = store
                .changes_since(0, 10_000)
                .await
                .unwrap()
                .iter()
                .map(|c| c.seq)
                .collect();
            let high_water = seen.last().copied().unwrap_or(0);
            for seq in &all {
                assert!(
                    *seq > high_water || seen.contains(seq),
                    "entry {seq} appeared after {high_water} had been read"
                );
            }
            seen.extend(all);
            yield_now().await;
        }
    };
    let writers = futures::future::join_all((0..WRITERS).map(writer));
    futures::join!(writers, follower);
}

/// Lets other futures of the same task run (no runtime dependency here).
async fn yield_now() {
    let mut yielded = false;
    std::future::poll_fn(|cx| {
        if yielded {
            std::task::Poll::Ready(())
        } else {
            yielded = true;
            cx.waker().wake_by_ref();
            std::task::Poll::Pending
        }
    })
    .await;
}

fn account(id: &str, email: &str) -> Account {
    Account {
        id: id.into(),
        organization_id: ORG.into(),
        email: email.into(),
        display_name: "Ada Rossi".into(),
        role: crocevia_core::access::Role::Editor,
        password_hash: "$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$aGFzaA".into(),
        failed_logins: 0,
        locked_until: None,
        created_at: at(1),
        language: "it".into(),
    }
}

pub async fn accounts_read_back_and_emails_are_unique(store: &dyn Store) {
    let ada = account("acc-1", "ada@example.it");
    store.insert_account(&ada).await.unwrap();
    assert_eq!(store.account("acc-1").await.unwrap(), Some(ada.clone()));
    assert_eq!(
        store.account_by_email("ada@example.it").await.unwrap(),
        Some(ada.clone())
    );
    assert_eq!(
        store.account_by_email("bea@example.it").await.unwrap(),
        None
    );
    assert_eq!(store.account("acc-2").await.unwrap(), None);
    let err = store
        .insert_account(&account("acc-2", "ada@example.it"))
        .await
        .unwrap_err();
    assert_eq!(err.code(), "already_exists", "{err}");
    let mut bea = account("acc-2", "bea@example.it");
    bea.role = crocevia_core::access::Role::Coordinator;
    bea.organization_id = OTHER_ORG.into();
    bea.locked_until = Some(at(2));
    store.insert_account(&bea).await.unwrap();
    assert_eq!(store.account("acc-2").await.unwrap(), Some(bea.clone()));
    assert_eq!(store.accounts_of(ORG).await.unwrap(), vec![ada.clone()]);
    assert_eq!(store.accounts_of(OTHER_ORG).await.unwrap(), vec![bea]);
    store.set_account_language("acc-1", "ar").await.unwrap();
    assert_eq!(
        store.account("acc-1").await.unwrap().unwrap().language,
        "ar"
    );
    assert_eq!(store.accounts_of("no-such-org").await.unwrap(), vec![]);
}

pub async fn failed_logins_lock_then_success_clears(store: &dyn Store) {
    store
        .insert_account(&account("acc-1", "ada@example.it"))
        .await
        .unwrap();
    let read = || async { store.account("acc-1").await.unwrap().unwrap() };
    for n in 1..=4 {
        store.record_failed_login("acc-1", 5, at(3)).await.unwrap();
        let a = read().await;
        assert_eq!((a.failed_logins, a.locked_until), (n, None));
    }
    store.record_failed_login("acc-1", 5, at(3)).await.unwrap();
    let a = read().await;
    assert_eq!((a.failed_logins, a.locked_until), (0, Some(at(3))));
    store.record_failed_login("acc-1", 5, at(4)).await.unwrap();
    assert_eq!(read().await.failed_logins, 1);
    store.record_successful_login("acc-1").await.unwrap();
    let a = read().await;
    assert_eq!((a.failed_logins, a.locked_until), (0, None));
    // An unknown account is not an error: nothing to count.
    store.record_failed_login("nobody", 5, at(3)).await.unwrap();
}

pub async fn sessions_are_found_by_hash_and_end_with_a_new_password(store: &dyn Store) {
    store
        .insert_account(&account("acc-1", "ada@example.it"))
        .await
        .unwrap();
    let session = |hash: &str| Session {
        token_hash: hash.repeat(32),
        account_id: "acc-1".into(),
        csrf_token: "csrf-1".into(),
        created_at: at(1),
        expires_at: at(2),
    };
    store.insert_session(&session("ab")).await.unwrap();
    store.insert_session(&session("cd")).await.unwrap();
    assert_eq!(
        store.session(&"ab".repeat(32)).await.unwrap(),
        Some(session("ab"))
    );
    assert_eq!(store.session(&"ef".repeat(32)).await.unwrap(), None);
    store.delete_session(&"ab".repeat(32)).await.unwrap();
    assert_eq!(store.session(&"ab".repeat(32)).await.unwrap(), None);
    assert!(store.session(&"cd".repeat(32)).await.unwrap().is_some());

    store.record_failed_login("acc-1", 1, at(9)).await.unwrap();
    assert!(
        store
            .set_password_hash("acc-1", "$argon2id$new")
            .await
            .unwrap()
    );
    let a = store.account("acc-1").await.unwrap().unwrap();
    assert_eq!(
        (a.password_hash.as_str(), a.locked_until),
        ("$argon2id$new", None)
    );
    assert_eq!(store.session(&"cd".repeat(32)).await.unwrap(), None);
    assert!(!store.set_password_hash("nobody", "x").await.unwrap());
}

pub async fn oidc_links_find_their_account(store: &dyn Store) {
    store
        .insert_account(&account("acc-1", "ada@example.it"))
        .await
        .unwrap();
    store
        .insert_account(&account("acc-2", "bea@example.it"))
        .await
        .unwrap();
    let link = |issuer: &str, subject: &str, account_id: &str, t: u32| OidcLink {
        issuer: issuer.into(),
        subject: subject.into(),
        account_id: account_id.into(),
        created_at: at(t),
    };
    let idp = "https://idp.example.it";
    assert_eq!(store.oidc_link(idp, "sub-1").await.unwrap(), None);
    store
        .insert_oidc_link(&link(idp, "sub-1", "acc-1", 1))
        .await
        .unwrap();
    // The same subject at another provider is another identity.
    store
        .insert_oidc_link(&link("http://127.0.0.1:9", "sub-1", "acc-2", 2))
        .await
        .unwrap();
    store
        .insert_oidc_link(&link(idp, "sub-9", "acc-1", 3))
        .await
        .unwrap();
    assert_eq!(
        store.oidc_link(idp, "sub-1").await.unwrap(),
        Some(link(idp, "sub-1", "acc-1", 1))
    );
    assert_eq!(
        store
            .oidc_link("http://127.0.0.1:9", "sub-1")
            .await
            .unwrap()
            .map(|l| l.account_id),
        Some("acc-2".into())
    );
    let err = store
        .insert_oidc_link(&link(idp, "sub-1", "acc-2", 4))
        .await
        .unwrap_err();
    assert_eq!(err.code(), "already_exists", "{err}");
    assert_eq!(
        store.oidc_links_of("acc-1").await.unwrap(),
        vec![
            link(idp, "sub-1", "acc-1", 1),
            link(idp, "sub-9", "acc-1", 3)
        ]
    );
    assert_eq!(store.oidc_links_of("nobody").await.unwrap(), vec![]);
    // A link to no account is refused.
    assert!(
        store
            .insert_oidc_link(&link(idp, "sub-2", "nobody", 5))
            .await
            .is_err()
    );
}

pub async fn tokens_are_found_by_hash(store: &dyn Store) {
    let token = ApiToken {
        token_hash: "ab".repeat(32),
        organization_id: ORG.into(),
        label: "sync".into(),
        created_at: at(1),
    };
    store.insert_token(&token).await.unwrap();
    assert_eq!(store.token(&token.token_hash).await.unwrap(), Some(token));
    assert_eq!(store.token(&"cd".repeat(32)).await.unwrap(), None);
}

/// The shipped territories, parsed once per test binary.
pub fn territories() -> &'static Territories {
    static TERRITORIES: OnceLock<Territories> = OnceLock::new();
    TERRITORIES.get_or_init(|| territory::load_embedded().expect("the shipped territories load"))
}

/// Stores the shipped territories.
pub async fn load_territories(store: &dyn Store) {
    store
        .replace_territories(territories())
        .await
        .expect("territories load");
}

pub async fn territories_read_back_equal(store: &dyn Store) {
    assert_eq!(store.territory_counts().await.unwrap(), (0, 0, 0));
    load_territories(store).await;
    assert_eq!(store.territory_counts().await.unwrap(), (20, 107, 7901));

    let shipped = territories();
    let aquila = store.comune("066049").await.unwrap().expect("L'Aquila");
    assert_eq!(aquila.name, "L'Aquila");
    assert_eq!(aquila.province_code, "066");
    assert!(aquila.is_provincial_capital);
    assert!(aquila.centroid.is_some());
    assert_eq!(Some(&aquila), shipped.comune("066049"), "centroid and all");
    assert_eq!(store.comune("999999").await.unwrap(), None);

    let provinces = store.provinces().await.unwrap();
    assert_eq!(
        provinces, shipped.provinces,
        "prefectures and centroids included"
    );
    let aq = provinces.iter().find(|p| p.code == "066").unwrap();
    assert_eq!(aq.abbreviation, "AQ");
    assert_eq!(aq.prefecture.seat_comune_code.as_deref(), Some("066049"));
    assert_eq!(store.regions().await.unwrap(), shipped.regions);

    let everything = ComuneFilter {
        limit: 10_000,
        ..ComuneFilter::default()
    };
    let mut comuni = store.comuni(&everything).await.unwrap();
    comuni.sort_by(|a, b| a.code.cmp(&b.code));
    assert!(comuni == shipped.comuni, "every comune reads back equal");
}

pub async fn replacing_territories_is_idempotent(store: &dyn Store) {
    load_territories(store).await;
    load_territories(store).await;
    assert_eq!(store.territory_counts().await.unwrap(), (20, 107, 7901));
    assert!(store.comune("066049").await.unwrap().is_some());
}

/// The shipped official statistics, parsed once per test binary.
pub fn statistics() -> &'static [Dataset] {
    static DATASETS: OnceLock<Vec<Dataset>> = OnceLock::new();
    DATASETS.get_or_init(|| {
        crocevia_core::statistics::load_embedded().expect("the shipped statistics parse")
    })
}

fn shipped_dataset(id: &str) -> &'static Dataset {
    statistics()
        .iter()
        .find(|d| d.info.id == id)
        .expect("shipped dataset")
}

pub async fn statistics_read_back_equal_and_answer_the_acceptance_figures(store: &dyn Store) {
    use crocevia_core::statistics::{
        Citizenship, ObservationFilter, Period, PermitType, Sex, Territory, TerritoryLevel,
    };
    assert!(store.statistics_datasets().await.unwrap().is_empty());
    let ids = [
        "foreign_residents",
        "residence_permits_by_province",
        "residence_permits_by_citizenship",
        "reception",
    ];
    for id in ids {
        store.replace_dataset(shipped_dataset(id)).await.unwrap();
    }
    // Replacing is idempotent.
    store
        .replace_dataset(shipped_dataset("foreign_residents"))
        .await
        .unwrap();
    let mut expected: Vec<(String, i64)> = ids
        .iter()
        .map(|id| {
            (
                id.to_string(),
                shipped_dataset(id).observations.len() as i64,
            )
        })
        .collect();
    expected.sort();
    assert_eq!(store.statistics_datasets().await.unwrap(), expected);

    for id in ids {
        let mut all = store
            .observations(id, &ObservationFilter::default())
            .await
            .unwrap();
        all.sort();
        let shipped = &shipped_dataset(id).observations;
        assert_eq!(all.len(), shipped.len(), "{id}");
        if let Some((a, b)) = all.iter().zip(shipped).find(|(a, b)| a != b) {
            panic!("{id} reads back {a:?} for {b:?}");
        }
    }
    assert!(
        store
            .observations("no_such_dataset", &ObservationFilter::default())
            .await
            .unwrap()
            .is_empty()
    );

    // L'Aquila on 1 January 2023: 23,047 = 11,382 men + 11,665 women.
    let aquila = ObservationFilter::default()
        .territory(&Territory::new(TerritoryLevel::Province, "066"))
        .period(Period::january_first(2023));
    let rows = store
        .observations("foreign_residents", &aquila)
        .await
        .unwrap();
    let mut by_sex: Vec<(Option<Sex>, i64)> = rows.iter().map(|o| (o.sex, o.value)).collect();
    by_sex.sort();
    assert_eq!(
        by_sex,
        [
            (Some(Sex::Total), 23_047),
            (Some(Sex::Male), 11_382),
            (Some(Sex::Female), 11_665)
        ]
    );

    // Italy on 1 January 2023 = the sum of the 107 provinces.
    let provinces = ObservationFilter::default()
        .level(TerritoryLevel::Province)
        .period(Period::january_first(2023))
        .sex(Sex::Total);
    let rows = store
        .observations("foreign_residents", &provinces)
        .await
        .unwrap();
    assert_eq!(rows.len(), 107);
    assert_eq!(rows.iter().map(|o| o.value).sum::<i64>(), 5_141_341);

    // Non-EU permit holders on 1 January 2024.
    let italy_2024 = ObservationFilter::default()
        .territory(&Territory::italy())
        .period(Period::january_first(2024))
        .sex(Sex::Total)
        .permit_type(PermitType::Total)
        .citizenship(Citizenship::Total);
    let rows = store
        .observations("residence_permits_by_citizenship", &italy_2024)
        .await
        .unwrap();
    assert_eq!(
        rows.iter().map(|o| o.value).collect::<Vec<_>>(),
        [3_607_160]
    );

    // Lists of codes and periods; a dimension the dataset lacks matches nothing.
    let two = ObservationFilter {
        territory_codes: vec!["066".into(), "067".into()],
        periods: vec![Period::january_first(2019), Period::january_first(2024)],
        ..ObservationFilter::default()
    }
    .level(TerritoryLevel::Province);
    assert_eq!(
        store
            .observations("foreign_residents", &two)
            .await
            .unwrap()
            .len(),
        2 * 2 * 3
    );
    let historical = ObservationFilter::default()
        .level(TerritoryLevel::HistoricalProvince)
        .period(Period::january_first(2024))
        .sex(Sex::Female)
        .permit_type(PermitType::LongTerm);
    assert_eq!(
        store
            .observations("residence_permits_by_province", &historical)
            .await
            .unwrap()
            .len(),
        103
    );
    let sai = ObservationFilter::default().measure("sai");
    let rows = store.observations("reception", &sai).await.unwrap();
    assert!(!rows.is_empty() && rows.iter().all(|o| o.measure.as_deref() == Some("sai")));
    assert!(
        store
            .observations("reception", &ObservationFilter::default().sex(Sex::Total))
            .await
            .unwrap()
            .is_empty()
    );
}

async fn comune_codes(
    store: &dyn Store,
    province: Option<&str>,
    prefix: &str,
    limit: u32,
) -> Vec<String> {
    let filter = ComuneFilter {
        province_code: province.map(Into::into),
        name_prefix: Some(prefix.into()),
        limit,
    };
    let comuni = store.comuni(&filter).await.expect("comuni");
    comuni.into_iter().map(|c| c.code).collect()
}

pub async fn comuni_are_found_by_name_prefix(store: &dyn Store) {
    load_territories(store).await;
    // Pizzoli (AQ); Pizzone (IS) and Pizzo (VV) are elsewhere.
    assert_eq!(
        comune_codes(store, Some("066"), "pizz", 20).await,
        vec!["066072"]
    );
    assert_eq!(
        comune_codes(store, Some("066"), "PIZZ", 20).await,
        vec!["066072"]
    );
    let everywhere = comune_codes(store, None, "Pizz", 20).await;
    assert!(everywhere.len() > 1 && everywhere.contains(&"066072".to_owned()));
    assert_eq!(comune_codes(store, None, "Pizz", 1).await.len(), 1, "limit");
    // Accents, apostrophe style and the other official language do not matter.
    assert!(
        comune_codes(store, None, "l’aquila", 20)
            .await
            .contains(&"066049".to_owned())
    );
    assert!(
        comune_codes(store, None, "FORLI", 20)
            .await
            .contains(&"040012".to_owned())
    );
    assert!(
        comune_codes(store, None, "bozen", 20)
            .await
            .contains(&"021008".to_owned())
    );
    assert!(
        comune_codes(store, None, "%", 20).await.is_empty(),
        "LIKE wildcards are literal"
    );

    // Ordered by name, the same way on every backend: "L'Aquila" before "La Loggia" and
    // "Lacedonia" (byte order of the folded names, whatever the server's locale).
    let filter = ComuneFilter {
        name_prefix: Some("la".into()),
        limit: 10_000,
        ..ComuneFilter::default()
    };
    let names: Vec<String> = store
        .comuni(&filter)
        .await
        .unwrap()
        .into_iter()
        .map(|c| c.name)
        .collect();
    let position = |name: &str| names.iter().position(|n| n == name).expect(name);
    assert!(position("La Loggia") < position("Lacedonia"));
    let filter = ComuneFilter {
        name_prefix: Some("l".into()),
        limit: 10_000,
        ..ComuneFilter::default()
    };
    let names: Vec<String> = store
        .comuni(&filter)
        .await
        .unwrap()
        .into_iter()
        .map(|c| c.name)
        .collect();
    let position = |name: &str| names.iter().position(|n| n == name).expect(name);
    assert!(position("L'Aquila") < position("La Loggia"));
    let filter = ComuneFilter {
        province_code: Some("066".into()),
        limit: 1000,
        ..ComuneFilter::default()
    };
    assert_eq!(
        store.comuni(&filter).await.unwrap().len(),
        108,
        "every comune of AQ"
    );
}

pub async fn comuni_near_a_point_nearest_first(store: &dyn Store) {
    load_territories(store).await;
    let aquila = territories().comune("066049").unwrap().centroid.unwrap();
    let near = store.comuni_near(aquila, 15.0, 1000).await.unwrap();
    let codes: Vec<&str> = near.iter().map(|(c, _)| c.code.as_str()).collect();
    assert_eq!(codes.first(), Some(&"066049"), "the comune itself, at 0 km");
    assert!(codes.contains(&"066072"), "Pizzoli: {codes:?}");
    assert!(!codes.contains(&"110002"), "not Barletta");
    assert!(near.windows(2).all(|w| w[0].1 <= w[1].1), "nearest first");
    for (comune, distance) in &near {
        assert!(*distance <= 15.0);
        assert_eq!(*distance, aquila.distance_km(&comune.centroid.unwrap()));
    }
    // Exactly the comuni within the radius: none is missed by the bounding box.
    let expected = territories()
        .comuni
        .iter()
        .filter(|c| c.centroid.is_some_and(|p| aquila.distance_km(&p) <= 15.0))
        .count();
    assert_eq!(near.len(), expected);
    assert_eq!(
        store.comuni_near(aquila, 15.0, 3).await.unwrap().len(),
        3,
        "limit"
    );
    assert!(
        store
            .comuni_near(aquila, -1.0, 10)
            .await
            .unwrap()
            .is_empty()
    );
}

/// Declares one `#[tokio::test]` per contract check, each on a fresh store from `$make`
/// (an async expression giving something that derefs to `dyn Store`).
#[macro_export]
macro_rules! store_contract_tests {
    ($make:expr) => {
        $crate::store_contract_tests!(@each $make;
            written_rows_read_back_equal,
            a_bulk_write_reads_back_as_written,
            every_write_is_in_the_change_log,
            a_dangling_reference_rejects_the_whole_set,
            a_referenced_row_cannot_be_deleted_alone,
            listing_pages_and_counts,
            deep_pages_hold_the_rows_at_their_place,
            filters_combine_with_and,
            modified_after_follows_writes,
            proximity_filters_by_radius_nearest_first,
            nested_objects_load_in_full,
            batches_look_for_shared_rows_once,
            existing_reports_tables_of_known_ids,
            tokens_are_found_by_hash,
            accounts_read_back_and_emails_are_unique,
            failed_logins_lock_then_success_clears,
            sessions_are_found_by_hash_and_end_with_a_new_password,
            oidc_links_find_their_account,
            territories_read_back_equal,
            replacing_territories_is_idempotent,
            statistics_read_back_equal_and_answer_the_acceptance_figures,
            comuni_are_found_by_name_prefix,
            comuni_near_a_point_nearest_first,
            concurrent_writes_commit_in_sequence_order,
            contacts_are_found_only_by_their_organisation,
            others_cannot_write_to_a_contact,
            referrals_are_seen_by_both_sides_only,
            a_referral_and_its_notices_are_written_together,
            a_transition_applies_once_and_joins_the_timeline,
            overdue_referrals_are_those_still_sent_past_their_deadline,
            erasure_removes_personal_details_and_keeps_coded_facts,
            inactive_contacts_are_listed_for_retention,
            every_access_is_audited_and_the_chain_verifies,
            concurrent_audit_appends_keep_one_chain,
            pathways_are_found_by_need_in_order,
            desk_facts_are_logged_and_read_without_personal_data,
            surveys_are_found_by_their_organisation_or_their_link,
            versions_are_numbered_and_one_is_deployed,
            submissions_stay_with_their_version_and_complete_ones_are_final,
            search_demand_counts_visitors_once_and_names_only_common_queries,
            closing_a_week_forgets_visitors_and_rare_queries_but_keeps_counts,
        );
    };
    (@each $make:expr; $($name:ident),* $(,)?) => {
        $(
            #[tokio::test]
            async fn $name() {
                let Some(store) = $make.await else { return };
                $crate::contract::$name(&*store).await;
            }
        )*
    };
}
