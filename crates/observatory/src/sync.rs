//! Keeps the facts in step with the database by following the change log, as the search
//! index does: each app server loads the facts once, then applies what the log says changed
//! (desk writes append `desk_need`, `desk_referral` and `desk_contact` entries in the same
//! transaction), so every server converges on what the database holds.

use std::collections::{BTreeSet, HashMap};
use std::sync::Arc;

use chrono::NaiveDate;
use crocevia_core::disclosure::DisclosureRule;
use crocevia_core::service_doc::service_docs;
use crocevia_core::statistics::{ObservationFilter, Period, Sex as StatSex, TerritoryLevel};
use crocevia_core::territory::{Point, Territories};
use crocevia_store::desk::{CONTACT_FACTS, NEED_FACTS, REFERRAL_FACTS};
use crocevia_store::{SharedRows, Store, StoreError, load_nested_sharing, services_affected_by};
use tokio::sync::{Mutex, RwLock};

use crate::facts::{Codes, Needs, Referrals, ServiceFact, reason_codes, service_facts};
use crate::indicators::{IndicatorTable, Inputs, Query, QueryError, compute};

/// Facts read per page on the first load, and change-log entries per round.
const PAGE: u32 = 5000;
/// Services whose facts are built at once.
const SERVICES_PER_LOAD: usize = 500;
/// Directory changes in one round past which every service's facts are read again.
const WHOLE_DIRECTORY_AFTER: usize = 2000;

#[derive(Debug, thiserror::Error)]
pub enum ObservatoryError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Query(#[from] QueryError),
}

/// Settings of the observatory.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Settings {
    pub rule: DisclosureRule,
    /// A need is unmet when no listed service of its category is this close to the person's
    /// comune.
    pub unmet_distance_km: f64,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            rule: DisclosureRule::DEFAULT,
            unmet_distance_km: 30.0,
        }
    }
}

/// Everything in memory, behind one lock.
pub struct Facts {
    pub codes: Codes,
    pub needs: Needs,
    pub referrals: Referrals,
    pub services: Vec<ServiceFact>,
    /// Foreign residents by province index, latest year shipped.
    pub residents_by_province: Vec<Option<u64>>,
    /// By (comune, term): 0 not yet known, 1 a service within reach, 2 none.
    reach: Vec<u8>,
    reasons: Vec<&'static str>,
    /// Change-log position the facts reflect; `None` before the first load.
    position: Option<i64>,
    /// Every service's facts are to be read (before the first load).
    services_stale: bool,
    /// Services whose facts directory changes may have altered, read again at the next sync.
    changed_services: BTreeSet<String>,
}

/// Service points by term on a grid of cells at least `distance_km` across, so that the points
/// within reach of a place lie in its cell or the eight around it: a national directory is
/// checked cell by cell, not point by point.
struct Grid {
    distance_km: f64,
    /// Cell height and width in degrees.
    cell_lat: f64,
    cell_lon: f64,
    cells: HashMap<(u8, i32, i32), Vec<Point>>,
}

impl Grid {
    fn new(distance_km: f64) -> Self {
        const KM_PER_DEGREE: f64 = 111.32;
        // A degree of longitude shrinks with latitude: cells sized for 60° N are wide enough
        // everywhere south of it (all of Italy).
        let size = distance_km.max(0.1);
        Grid {
            distance_km,
            cell_lat: size / KM_PER_DEGREE,
            cell_lon: size / (KM_PER_DEGREE * 60f64.to_radians().cos()),
            cells: HashMap::new(),
        }
    }

    fn cell(&self, p: &Point) -> (i32, i32) {
        (
            (p.lat / self.cell_lat).floor() as i32,
            (p.lon / self.cell_lon).floor() as i32,
        )
    }

    fn add(&mut self, term: u8, point: Point) {
        let (i, j) = self.cell(&point);
        self.cells.entry((term, i, j)).or_default().push(point);
    }

    fn any_within(&self, term: u8, centre: &Point) -> bool {
        let (i, j) = self.cell(centre);
        (i - 1..=i + 1).any(|i| {
            (j - 1..=j + 1).any(|j| {
                self.cells.get(&(term, i, j)).is_some_and(|points| {
                    points
                        .iter()
                        .any(|p| p.distance_km(centre) <= self.distance_km)
                })
            })
        })
    }
}

impl Facts {
    pub fn new(territories: &'static Territories) -> Self {
        Facts {
            codes: Codes::new(territories),
            needs: Needs::default(),
            referrals: Referrals::default(),
            services: Vec::new(),
            residents_by_province: vec![None; territories.provinces.len()],
            reach: Vec::new(),
            reasons: reason_codes(),
            position: None,
            services_stale: true,
            changed_services: BTreeSet::new(),
        }
    }

    pub fn upsert_need(&mut self, fact: &crocevia_store::desk::NeedFact) {
        self.needs.upsert(&mut self.codes, fact);
    }

    pub fn upsert_referral(&mut self, fact: &crocevia_store::desk::ReferralFact) {
        self.referrals
            .upsert(&mut self.codes, &self.needs, &self.reasons, fact);
    }

    pub fn set_services(&mut self, services: Vec<ServiceFact>) {
        self.services = services;
        self.reach.clear();
    }

    /// Replaces the facts of services `ids` with `fresh` (those still there and listed).
    fn replace_services(&mut self, ids: &BTreeSet<String>, fresh: Vec<ServiceFact>) {
        self.services.retain(|s| !ids.contains(&s.id));
        self.services.extend(fresh);
        self.reach.clear();
    }

    /// Works out, for every (comune, term) the needs hold, whether a service of that term is
    /// within reach: done once per services version, then a table lookup per need.
    fn prepare_reach(&mut self, distance_km: f64) {
        let terms = self.codes.term_codes.len();
        let comuni = self.codes.territories.comuni.len();
        if self.reach.len() != comuni * terms {
            self.reach = vec![0; comuni * terms];
        }
        let mut grid = Grid::new(distance_km);
        for service in &self.services {
            for &term in &service.terms {
                for point in &service.points {
                    grid.add(term, *point);
                }
            }
        }
        for row in 0..self.needs.len() {
            let comune = usize::from(self.needs.comune[row]);
            let Some(centre) = self
                .codes
                .territories
                .comuni
                .get(comune)
                .and_then(|c| c.centroid)
            else {
                continue;
            };
            let term = self.needs.term[row];
            let slot = comune * terms + usize::from(term);
            if self.reach[slot] == 0 {
                let within = grid.any_within(term, &centre);
                self.reach[slot] = if within { 1 } else { 2 };
            }
        }
    }

    fn is_unmet(&self, row: usize) -> bool {
        let terms = self.codes.term_codes.len();
        let slot = usize::from(self.needs.comune[row]) * terms + usize::from(self.needs.term[row]);
        self.reach.get(slot) == Some(&2)
    }

    /// Fills what a query needs beyond the facts (the reach of services, for unmet needs).
    pub fn prepare(&mut self, query: &Query, settings: &Settings) {
        if query.indicator.measure == crate::indicators::Measure::UnmetNeeds {
            self.prepare_reach(settings.unmet_distance_km);
        }
    }

    /// Answers a query from the facts as they are ([`prepare`](Self::prepare) first).
    pub fn answer(
        &self,
        query: &Query,
        settings: &Settings,
        today: NaiveDate,
    ) -> Result<IndicatorTable, QueryError> {
        let unmet = |row: usize| self.is_unmet(row);
        compute(
            query,
            &Inputs {
                codes: &self.codes,
                needs: &self.needs,
                referrals: &self.referrals,
                services: &self.services,
                residents_by_province: &self.residents_by_province,
                unmet: &unmet,
                rule: settings.rule,
                today,
            },
        )
    }

    /// [`prepare`](Self::prepare), then [`answer`](Self::answer).
    pub fn compute(
        &mut self,
        query: &Query,
        settings: &Settings,
        today: NaiveDate,
    ) -> Result<IndicatorTable, QueryError> {
        self.prepare(query, settings);
        self.answer(query, settings, today)
    }
}

/// The observatory of one app server.
pub struct ObservatoryService {
    store: Arc<dyn Store>,
    territories: &'static Territories,
    settings: Settings,
    facts: RwLock<Facts>,
    running: Mutex<()>,
    last_sync: std::sync::Mutex<Option<std::time::Instant>>,
}

impl ObservatoryService {
    pub fn new(
        store: Arc<dyn Store>,
        territories: &'static Territories,
        settings: Settings,
    ) -> Self {
        ObservatoryService {
            store,
            territories,
            settings,
            facts: RwLock::new(Facts::new(territories)),
            running: Mutex::new(()),
            last_sync: std::sync::Mutex::new(None),
        }
    }

    pub fn settings(&self) -> &Settings {
        &self.settings
    }

    pub fn territories(&self) -> &'static Territories {
        self.territories
    }

    /// Loads everything on the first call, then applies the change log since.
    pub async fn sync(&self) -> Result<usize, ObservatoryError> {
        let _one_at_a_time = self.running.lock().await;
        let position = self.facts.read().await.position;
        let applied = match position {
            None => self.load().await?,
            Some(from) => self.catch_up(from).await?,
        };
        if self.facts.read().await.services_stale {
            let ids = self.store.ids_of("service").await?;
            let services = self.load_services(&ids).await?;
            let residents = self.load_residents().await?;
            let mut facts = self.facts.write().await;
            facts.set_services(services);
            facts.residents_by_province = residents;
            facts.services_stale = false;
            facts.changed_services.clear();
        } else {
            let changed = std::mem::take(&mut self.facts.write().await.changed_services);
            if !changed.is_empty() {
                let ids: Vec<String> = changed.iter().cloned().collect();
                match self.load_services(&ids).await {
                    Ok(fresh) => self.facts.write().await.replace_services(&changed, fresh),
                    Err(e) => {
                        // Read them all at the next sync rather than lose these.
                        self.facts.write().await.services_stale = true;
                        return Err(e);
                    }
                }
            }
        }
        *self.last_sync.lock().expect("sync clock") = Some(std::time::Instant::now());
        Ok(applied)
    }

    /// [`sync`](Self::sync) unless one finished less than `max_age` ago.
    pub async fn sync_if_older(
        &self,
        max_age: std::time::Duration,
    ) -> Result<(), ObservatoryError> {
        let fresh = self
            .last_sync
            .lock()
            .expect("sync clock")
            .is_some_and(|at| at.elapsed() < max_age);
        if !fresh {
            self.sync().await?;
        }
        Ok(())
    }

    async fn load(&self) -> Result<usize, ObservatoryError> {
        // The position first: what is written while we read is replayed, never missed.
        let position = self.store.last_change().await?;
        let started = std::time::Instant::now();
        let mut facts = Facts::new(self.territories);
        let mut after = String::new();
        loop {
            let page = self.store.need_facts_after(&after, PAGE).await?;
            let Some(last) = page.last() else { break };
            after = last.id.clone();
            page.iter().for_each(|n| facts.upsert_need(n));
        }
        facts.needs.sort_by_month();
        after.clear();
        loop {
            let page = self.store.referral_facts_after(&after, PAGE).await?;
            let Some(last) = page.last() else { break };
            after = last.id.clone();
            page.iter().for_each(|r| facts.upsert_referral(r));
        }
        facts.position = Some(position);
        let loaded = facts.needs.len() + facts.referrals.len();
        tracing::info!(
            needs = facts.needs.len(),
            referrals = facts.referrals.len(),
            ms = started.elapsed().as_millis() as u64,
            "observatory facts loaded"
        );
        *self.facts.write().await = facts;
        // Changes made while loading.
        Ok(loaded + self.catch_up(position).await?)
    }

    async fn catch_up(&self, mut from: i64) -> Result<usize, ObservatoryError> {
        let mut applied = 0;
        loop {
            let changes = self.store.changes_since(from, PAGE).await?;
            let Some(last) = changes.last() else {
                return Ok(applied);
            };
            let mut needs = BTreeSet::new();
            let mut referrals = BTreeSet::new();
            let mut contacts = BTreeSet::new();
            let mut directory = Vec::new();
            for change in &changes {
                match change.table.as_str() {
                    NEED_FACTS => needs.insert(change.id.clone()),
                    REFERRAL_FACTS => referrals.insert(change.id.clone()),
                    CONTACT_FACTS => contacts.insert(change.id.clone()),
                    _ => {
                        directory.push(change.clone());
                        false
                    }
                };
            }
            // Past this many directory changes (an import) every service is read again, which
            // costs less than finding which ones they touch.
            let all_services =
                directory.len() > WHOLE_DIRECTORY_AFTER || self.facts.read().await.services_stale;
            let touched = if all_services || directory.is_empty() {
                Vec::new()
            } else {
                services_affected_by(self.store.as_ref(), &directory).await?
            };
            let ids = |set: BTreeSet<String>| set.into_iter().collect::<Vec<_>>();
            let mut need_facts = self.store.need_facts(&ids(needs), false).await?;
            need_facts.extend(self.store.need_facts(&ids(contacts), true).await?);
            let referral_facts = self.store.referral_facts(&ids(referrals)).await?;
            let mut facts = self.facts.write().await;
            need_facts.iter().for_each(|n| facts.upsert_need(n));
            referral_facts.iter().for_each(|r| facts.upsert_referral(r));
            facts.services_stale |= all_services;
            facts.changed_services.extend(touched);
            facts.position = Some(last.seq);
            applied += changes.len();
            from = last.seq;
        }
    }

    /// The facts of those of services `ids` still there and listed, read 500 services at a
    /// time (with what they share read once, as the search index's rebuild does): memory holds
    /// the facts, not the directory.
    async fn load_services(&self, ids: &[String]) -> Result<Vec<ServiceFact>, ObservatoryError> {
        let mut shared = SharedRows::default();
        let mut services = Vec::with_capacity(ids.len());
        for chunk in ids.chunks(SERVICES_PER_LOAD) {
            let found = self.store.get_many(Some("service"), chunk).await?;
            let mut rows = load_nested_sharing(self.store.as_ref(), found, &mut shared).await?;
            rows.sort_by(|a, b| (&a.table, &a.id).cmp(&(&b.table, &b.id)));
            let docs = service_docs(&rows, self.territories);
            services.extend(service_facts(&self.facts.read().await.codes, &docs));
        }
        Ok(services)
    }

    /// Foreign residents (ISTAT) by province on the latest 1 January shipped, both sexes.
    async fn load_residents(&self) -> Result<Vec<Option<u64>>, ObservatoryError> {
        let mut residents = vec![None; self.territories.provinces.len()];
        let filter = ObservationFilter::default().level(TerritoryLevel::Province);
        let observations = self
            .store
            .observations("foreign_residents", &filter)
            .await?;
        let latest: Option<Period> = observations.iter().map(|o| o.period).max();
        let facts = self.facts.read().await;
        for o in observations
            .iter()
            .filter(|o| Some(&o.period) == latest.as_ref())
        {
            if o.sex.is_some_and(|s| s != StatSex::Total) {
                continue;
            }
            if let Some(p) = facts.codes.province(&o.territory.code) {
                residents[usize::from(p)] = Some(o.value.max(0) as u64);
            }
        }
        Ok(residents)
    }

    /// Answers a query from the facts as they are now (call a sync first for freshness).
    /// Queries run side by side under the read lock; only filling the reach of services for
    /// unmet needs takes the write lock.
    pub async fn compute(
        &self,
        query: &Query,
        today: NaiveDate,
    ) -> Result<IndicatorTable, ObservatoryError> {
        if query.indicator.measure == crate::indicators::Measure::UnmetNeeds {
            self.facts.write().await.prepare(query, &self.settings);
        }
        let facts = self.facts.read().await;
        Ok(facts.answer(query, &self.settings, today)?)
    }

    /// Runs `read` over the facts (names of organisations, sizes).
    pub async fn with_facts<T>(&self, read: impl FnOnce(&Facts) -> T) -> T {
        read(&*self.facts.read().await)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The grid finds a service within reach exactly when checking every point does, for
    /// points all over Italy and several distances.
    #[test]
    fn the_grid_agrees_with_checking_every_point() {
        let mut state = 0x2545_f491_4f6c_dd1d_u64;
        let mut next = move || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            (state % 1_000_000) as f64 / 1_000_000.0
        };
        let mut random_point = || Point {
            lat: 36.5 + 10.6 * next(),
            lon: 6.6 + 12.0 * next(),
        };
        let services: Vec<(u8, Point)> =
            (0..400).map(|i| ((i % 3) as u8, random_point())).collect();
        let places: Vec<Point> = (0..400).map(|_| random_point()).collect();
        let mut found_by_distance = Vec::new();
        for distance in [5.0, 30.0, 100.0] {
            let mut grid = Grid::new(distance);
            for (term, p) in &services {
                grid.add(*term, *p);
            }
            let mut found = 0;
            for place in &places {
                for term in 0..3 {
                    let brute = services
                        .iter()
                        .any(|(t, p)| *t == term && p.distance_km(place) <= distance);
                    assert_eq!(grid.any_within(term, place), brute, "{place:?} {distance}");
                    found += usize::from(brute);
                }
            }
            found_by_distance.push(found);
        }
        assert!(
            found_by_distance[0] < found_by_distance[2] && found_by_distance[2] > 0,
            "both answers occur: {found_by_distance:?}"
        );
    }
}
