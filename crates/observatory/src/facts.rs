//! The facts indicators are computed from, kept in memory as columns of small codes: one
//! entry per need and per referral (coded facts only), and the directory's services.
//!
//! Columns of bytes scan fast (ten million needs are some 130 MB), and a need or a referral
//! that changes is overwritten in place, found by its id.

use std::collections::HashMap;

use chrono::{DateTime, Datelike, NaiveDate, Utc};
use crocevia_core::desk::{AgeBand, ReferralState, Sex};
use crocevia_core::service_doc::ServiceDoc;
use crocevia_core::taxonomy;
use crocevia_core::territory::{Point, Territories, countries};
use crocevia_store::desk::{NeedFact, ReferralFact};

/// A value a fact does not have (no comune, no age): its own category, "not known".
pub const UNKNOWN: u8 = u8::MAX;
const UNKNOWN_WIDE: u16 = u16::MAX;

/// Months since January 2000: `(year - 2000) * 12 + month - 1`.
pub type Month = u16;

pub fn month_of(at: DateTime<Utc>) -> Month {
    month_number(at.year(), at.month())
}

pub fn month_number(year: i32, month: u32) -> Month {
    let months = (year - 2000) * 12 + month as i32 - 1;
    months.clamp(0, i32::from(u16::MAX - 1)) as Month
}

/// `"2025-03"`.
pub fn month_key(month: Month) -> String {
    format!("{}-{:02}", 2000 + i32::from(month / 12), month % 12 + 1)
}

/// Parses `"2025-03"`.
pub fn parse_month(text: &str) -> Option<Month> {
    let (year, month) = text.split_once('-')?;
    let (year, month): (i32, u32) = (year.parse().ok()?, month.parse().ok()?);
    ((2000..=2999).contains(&year) && (1..=12).contains(&month)).then(|| month_number(year, month))
}

/// Codes of everything a fact refers to, fixed for the process (territories, countries,
/// the taxonomy) or growing as facts arrive (organisations).
pub struct Codes {
    pub territories: &'static Territories,
    comune_index: HashMap<&'static str, u16>,
    /// By comune index: its province's and region's indexes.
    province_of_comune: Vec<u8>,
    region_of_comune: Vec<u8>,
    province_index: HashMap<&'static str, u8>,
    pub region_of_province: Vec<u8>,
    region_index: HashMap<&'static str, u8>,
    /// ISTAT geopolitical areas of citizenship, in code order.
    pub areas: Vec<(&'static str, &'static str)>,
    area_of_country: HashMap<&'static str, u8>,
    /// Needs-taxonomy terms: index by code (what the desk records); the top-level category
    /// of each.
    term_index: HashMap<String, u8>,
    pub term_codes: Vec<&'static str>,
    pub top_category_of_term: Vec<u8>,
    pub organisations: Vec<String>,
    organisation_index: HashMap<String, u16>,
}

impl Codes {
    pub fn new(territories: &'static Territories) -> Self {
        let comune_index = territories
            .comuni
            .iter()
            .enumerate()
            .map(|(i, c)| (c.code.as_str(), i as u16))
            .collect();
        let province_index: HashMap<&'static str, u8> = territories
            .provinces
            .iter()
            .enumerate()
            .map(|(i, p)| (p.code.as_str(), i as u8))
            .collect();
        let region_index: HashMap<&'static str, u8> = territories
            .regions
            .iter()
            .enumerate()
            .map(|(i, r)| (r.code.as_str(), i as u8))
            .collect();
        let province_of_comune = territories
            .comuni
            .iter()
            .map(|c| {
                province_index
                    .get(c.province_code.as_str())
                    .copied()
                    .unwrap_or(UNKNOWN)
            })
            .collect();
        let region_of_comune = territories
            .comuni
            .iter()
            .map(|c| {
                region_index
                    .get(c.region_code.as_str())
                    .copied()
                    .unwrap_or(UNKNOWN)
            })
            .collect();
        let region_of_province = territories
            .provinces
            .iter()
            .map(|p| {
                region_index
                    .get(p.region_code.as_str())
                    .copied()
                    .unwrap_or(UNKNOWN)
            })
            .collect();
        let mut areas: Vec<(&'static str, &'static str)> = countries::countries()
            .iter()
            .map(|c| (c.area_code.as_str(), c.area_name_it.as_str()))
            .collect();
        areas.sort();
        areas.dedup_by_key(|(code, _)| *code);
        let area_of_country = countries::countries()
            .iter()
            .map(|c| {
                let area = areas
                    .iter()
                    .position(|(code, _)| *code == c.area_code)
                    .expect("listed") as u8;
                (c.istat_code.as_str(), area)
            })
            .collect();
        let terms = taxonomy::needs_taxonomy();
        let term_codes: Vec<&'static str> = terms.iter().map(|t| t.code.as_str()).collect();
        let top_category_of_term = terms
            .iter()
            .map(|t| {
                let mut term = t;
                while let Some(parent) = term.parent.as_deref().and_then(taxonomy::term) {
                    term = parent;
                }
                term_codes
                    .iter()
                    .position(|c| *c == term.code)
                    .expect("listed") as u8
            })
            .collect();
        Codes {
            territories,
            comune_index,
            province_of_comune,
            region_of_comune,
            province_index,
            region_of_province,
            region_index,
            areas,
            area_of_country,
            term_index: terms
                .iter()
                .enumerate()
                .map(|(i, t)| (t.code.clone(), i as u8))
                .collect(),
            term_codes,
            top_category_of_term,
            organisations: Vec::new(),
            organisation_index: HashMap::new(),
        }
    }

    pub fn comune(&self, code: &str) -> Option<u16> {
        self.comune_index.get(code).copied()
    }

    pub fn province(&self, code: &str) -> Option<u8> {
        self.province_index.get(code).copied()
    }

    pub fn region(&self, code: &str) -> Option<u8> {
        self.region_index.get(code).copied()
    }

    pub fn term_by_code(&self, code: &str) -> Option<u8> {
        self.term_codes
            .iter()
            .position(|c| *c == code)
            .map(|i| i as u8)
    }

    pub fn area(&self, code: &str) -> Option<u8> {
        self.areas
            .iter()
            .position(|(c, _)| *c == code)
            .map(|i| i as u8)
    }

    pub fn organisation(&self, id: &str) -> Option<u16> {
        self.organisation_index.get(id).copied()
    }

    /// The code of an organisation, given one on first sight.
    pub fn intern_organisation(&mut self, id: &str) -> u16 {
        if let Some(&code) = self.organisation_index.get(id) {
            return code;
        }
        let code = self.organisations.len() as u16;
        self.organisations.push(id.to_owned());
        self.organisation_index.insert(id.to_owned(), code);
        code
    }

    pub fn province_of_comune(&self, comune: u16) -> u8 {
        self.province_of_comune
            .get(usize::from(comune))
            .copied()
            .unwrap_or(UNKNOWN)
    }

    pub fn region_of_comune(&self, comune: u16) -> u8 {
        self.region_of_comune
            .get(usize::from(comune))
            .copied()
            .unwrap_or(UNKNOWN)
    }
}

/// Hashes fact ids, which are random UUIDs (or already hashed): one multiplication mixes
/// them enough, where the standard SipHash made up a third of loading ten million facts.
#[derive(Default)]
pub struct IdHasher(u64);

impl std::hash::Hasher for IdHasher {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = (self.0.rotate_left(8) ^ u64::from(b)).wrapping_mul(0x9E37_79B9_7F4A_7C15);
        }
    }

    fn write_u64(&mut self, n: u64) {
        self.0 = (self.0 ^ n).wrapping_mul(0x9E37_79B9_7F4A_7C15);
    }
}

/// A fact's id as two words: a `u128` would be aligned to 16 bytes, making each entry of the
/// id maps 32 bytes where 24 hold it.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct FactId(u64, u64);

impl From<u128> for FactId {
    fn from(n: u128) -> Self {
        FactId((n >> 64) as u64, n as u64)
    }
}

type IdMap = HashMap<FactId, u32, std::hash::BuildHasherDefault<IdHasher>>;

/// Bytes an id map holds: its buckets (one control byte each), with the table's 1/8 slack.
fn id_map_bytes(map: &IdMap) -> usize {
    map.capacity() * 8 / 7 * (std::mem::size_of::<(FactId, u32)>() + 1)
}

/// A fact's id as a number: ids are UUIDs; anything else is hashed into the same space.
fn key(id: &str) -> FactId {
    FactId::from(key_number(id))
}

fn key_number(id: &str) -> u128 {
    uuid::Uuid::parse_str(id).map_or_else(
        |_| {
            use std::hash::{Hash, Hasher};
            let mut high = std::collections::hash_map::DefaultHasher::new();
            (0u8, id).hash(&mut high);
            let mut low = std::collections::hash_map::DefaultHasher::new();
            (1u8, id).hash(&mut low);
            (u128::from(high.finish()) << 64) | u128::from(low.finish())
        },
        |u| u.as_u128(),
    )
}

pub fn sex_code(sex: Sex) -> u8 {
    Sex::ALL.iter().position(|s| *s == sex).expect("listed") as u8
}

pub fn age_code(band: AgeBand) -> u8 {
    AgeBand::ALL
        .iter()
        .position(|b| *b == band)
        .expect("listed") as u8
}

pub fn state_code(state: ReferralState) -> u8 {
    ReferralState::ALL
        .iter()
        .position(|s| *s == state)
        .expect("listed") as u8
}

/// The coded reasons and outcomes referrals end with, in one list.
pub fn reason_codes() -> Vec<&'static str> {
    use crocevia_core::desk::referral::{DeclineReason, Outcome, UnresolvedReason};
    let mut codes: Vec<&'static str> = DeclineReason::ALL.iter().map(|r| r.as_str()).collect();
    for code in UnresolvedReason::ALL
        .iter()
        .map(|r| r.as_str())
        .chain(Outcome::ALL.iter().map(|o| o.as_str()))
    {
        if !codes.contains(&code) {
            codes.push(code);
        }
    }
    codes
}

/// Needs, one entry per need, as columns.
#[derive(Default)]
pub struct Needs {
    rows: IdMap,
    pub month: Vec<Month>,
    pub comune: Vec<u16>,
    pub province: Vec<u8>,
    pub region: Vec<u8>,
    pub sex: Vec<u8>,
    pub age: Vec<u8>,
    pub area: Vec<u8>,
    pub term: Vec<u8>,
    pub category: Vec<u8>,
    pub organisation: Vec<u16>,
    /// The person agreed to statistics: only these are counted.
    pub counted: Vec<bool>,
    /// Per block of [`BLOCK`] rows, the earliest and latest month in it (widened, never
    /// narrowed, when a row is overwritten): scans skip blocks outside a query's period.
    pub block_months: Vec<(Month, Month)>,
    /// Per block, the regions its rows are in, one bit each (bit 31: not known).
    pub block_regions: Vec<u32>,
}

/// The bit of a region in [`Needs::block_regions`].
pub fn region_bit(region: u8) -> u32 {
    1 << u32::from(region).min(31)
}

/// Rows per block of [`Needs::block_months`].
pub const BLOCK: usize = 4_096;

impl Needs {
    pub fn len(&self) -> usize {
        self.month.len()
    }

    pub fn is_empty(&self) -> bool {
        self.month.is_empty()
    }

    pub fn row(&self, id: &str) -> Option<u32> {
        self.rows.get(&key(id)).copied()
    }

    /// Adds a need or overwrites it; needs of unknown taxonomy terms are skipped.
    pub fn upsert(&mut self, codes: &mut Codes, fact: &NeedFact) {
        let Some(&term) = codes.term_index.get(fact.term.as_str()) else {
            tracing::warn!(need = %fact.id, term = %fact.term, "need of a term the taxonomy does not list: not counted");
            return;
        };
        let comune = fact
            .comune_code
            .as_deref()
            .and_then(|c| codes.comune(c))
            .unwrap_or(UNKNOWN_WIDE);
        let year = fact.recorded_at.year();
        let age = fact
            .birth_year
            .map(|b| AgeBand::of_birth_year(b, year))
            .or(fact.age_band)
            .map_or(UNKNOWN, age_code);
        let area = fact
            .citizenship
            .as_deref()
            .and_then(|c| codes.area_of_country.get(c).copied())
            .unwrap_or(UNKNOWN);
        let values = NeedRow {
            month: month_of(fact.recorded_at),
            comune,
            province: codes.province_of_comune(comune),
            region: codes.region_of_comune(comune),
            sex: sex_code(fact.sex),
            age,
            area,
            term,
            category: codes.top_category_of_term[usize::from(term)],
            organisation: codes.intern_organisation(&fact.organization_id),
            counted: fact.counted,
        };
        self.put(key(&fact.id), values);
    }

    pub fn put(&mut self, id: impl Into<FactId>, v: NeedRow) {
        let id = id.into();
        let row = self.rows.get(&id).map_or(self.month.len(), |&r| r as usize);
        let block = row / BLOCK;
        if block == self.block_months.len() {
            self.block_months.push((v.month, v.month));
            self.block_regions.push(0);
        }
        self.block_regions[block] |= region_bit(v.region);
        let (low, high) = &mut self.block_months[block];
        *low = (*low).min(v.month);
        *high = (*high).max(v.month);
        match self.rows.get(&id) {
            Some(&row) => {
                let r = row as usize;
                self.month[r] = v.month;
                self.comune[r] = v.comune;
                self.province[r] = v.province;
                self.region[r] = v.region;
                self.sex[r] = v.sex;
                self.age[r] = v.age;
                self.area[r] = v.area;
                self.term[r] = v.term;
                self.category[r] = v.category;
                self.organisation[r] = v.organisation;
                self.counted[r] = v.counted;
            }
            None => {
                self.rows.insert(id, self.month.len() as u32);
                self.month.push(v.month);
                self.comune.push(v.comune);
                self.province.push(v.province);
                self.region.push(v.region);
                self.sex.push(v.sex);
                self.age.push(v.age);
                self.area.push(v.area);
                self.term.push(v.term);
                self.category.push(v.category);
                self.organisation.push(v.organisation);
                self.counted.push(v.counted);
            }
        }
    }

    /// Reorders the rows by month, then region (a first load reads them in id order), so
    /// that each block covers few months and regions and filters on them skip most blocks.
    /// Row numbers change: call it before referrals point at needs.
    pub fn sort_by_month(&mut self) {
        let mut order: Vec<u32> = (0..self.len() as u32).collect();
        order.sort_by_key(|&r| (self.month[r as usize], self.region[r as usize]));
        fn permute<T: Copy>(column: &mut Vec<T>, order: &[u32]) {
            *column = order.iter().map(|&r| column[r as usize]).collect();
        }
        permute(&mut self.month, &order);
        permute(&mut self.comune, &order);
        permute(&mut self.province, &order);
        permute(&mut self.region, &order);
        permute(&mut self.sex, &order);
        permute(&mut self.age, &order);
        permute(&mut self.area, &order);
        permute(&mut self.term, &order);
        permute(&mut self.category, &order);
        permute(&mut self.organisation, &order);
        permute(&mut self.counted, &order);
        let mut new_position = vec![0u32; order.len()];
        for (position, &old) in order.iter().enumerate() {
            new_position[old as usize] = position as u32;
        }
        for row in self.rows.values_mut() {
            *row = new_position[*row as usize];
        }
        // The blocks' summaries describe the rows they now hold, not the ones they held.
        self.block_months = self
            .month
            .chunks(BLOCK)
            .map(|c| {
                (
                    c.iter().copied().min().unwrap_or(0),
                    c.iter().copied().max().unwrap_or(0),
                )
            })
            .collect();
        self.block_regions = self
            .region
            .chunks(BLOCK)
            .map(|c| c.iter().fold(0, |bits, &r| bits | region_bit(r)))
            .collect();
    }

    /// Bytes held, for the benchmark's report.
    pub fn memory_bytes(&self) -> usize {
        self.len() * (2 + 2 + 1 + 1 + 1 + 1 + 1 + 1 + 1 + 2 + 1) + id_map_bytes(&self.rows)
    }
}

/// One need's codes.
#[derive(Debug, Clone, Copy)]
pub struct NeedRow {
    pub month: Month,
    pub comune: u16,
    pub province: u8,
    pub region: u8,
    pub sex: u8,
    pub age: u8,
    pub area: u8,
    pub term: u8,
    pub category: u8,
    pub organisation: u16,
    pub counted: bool,
}

/// No first answer yet.
pub const NO_ANSWER: u32 = u32::MAX;

/// Referrals, one entry per referral, as columns; the person's facts are its need's.
#[derive(Default)]
pub struct Referrals {
    rows: IdMap,
    /// Row of its need in [`Needs`]; `u32::MAX` while the need is not known.
    pub need: Vec<u32>,
    pub month: Vec<Month>,
    pub state: Vec<u8>,
    /// Index in [`reason_codes`], or [`UNKNOWN`].
    pub reason: Vec<u8>,
    /// Minutes from sending to the receiver's first answer, or [`NO_ANSWER`].
    pub answer_minutes: Vec<u32>,
    pub from: Vec<u16>,
    pub to: Vec<u16>,
}

impl Referrals {
    pub fn len(&self) -> usize {
        self.need.len()
    }

    pub fn is_empty(&self) -> bool {
        self.need.is_empty()
    }

    pub fn upsert(
        &mut self,
        codes: &mut Codes,
        needs: &Needs,
        reasons: &[&str],
        fact: &ReferralFact,
    ) {
        let row = ReferralRow {
            need: needs.row(&fact.need_id).unwrap_or(u32::MAX),
            month: month_of(fact.sent_at),
            state: state_code(fact.state),
            reason: fact
                .code
                .as_deref()
                .and_then(|c| reasons.iter().position(|r| *r == c))
                .map_or(UNKNOWN, |i| i as u8),
            answer_minutes: fact.first_answer_at.map_or(NO_ANSWER, |at| {
                (at - fact.sent_at)
                    .num_minutes()
                    .clamp(0, i64::from(u32::MAX - 1)) as u32
            }),
            from: codes.intern_organisation(&fact.from_organization_id),
            to: codes.intern_organisation(&fact.to_organization_id),
        };
        self.put(key(&fact.id), row);
    }

    pub fn put(&mut self, id: impl Into<FactId>, v: ReferralRow) {
        let id = id.into();
        match self.rows.get(&id) {
            Some(&row) => {
                let r = row as usize;
                self.need[r] = v.need;
                self.month[r] = v.month;
                self.state[r] = v.state;
                self.reason[r] = v.reason;
                self.answer_minutes[r] = v.answer_minutes;
                self.from[r] = v.from;
                self.to[r] = v.to;
            }
            None => {
                self.rows.insert(id, self.need.len() as u32);
                self.need.push(v.need);
                self.month.push(v.month);
                self.state.push(v.state);
                self.reason.push(v.reason);
                self.answer_minutes.push(v.answer_minutes);
                self.from.push(v.from);
                self.to.push(v.to);
            }
        }
    }

    pub fn memory_bytes(&self) -> usize {
        self.len() * (4 + 2 + 1 + 1 + 4 + 2 + 2) + id_map_bytes(&self.rows)
    }
}

/// One referral's codes.
#[derive(Debug, Clone, Copy)]
pub struct ReferralRow {
    pub need: u32,
    pub month: Month,
    pub state: u8,
    pub reason: u8,
    pub answer_minutes: u32,
    pub from: u16,
    pub to: u16,
}

/// A listed service as the observatory counts it.
#[derive(Debug, Clone)]
pub struct ServiceFact {
    /// The service's id, to replace its facts when it changes.
    pub id: String,
    /// Term indexes of its categories (its tags and their ancestors).
    pub terms: Vec<u8>,
    pub provinces: Vec<u8>,
    /// Where it can be reached from, for "unmet needs".
    pub points: Vec<Point>,
    pub assured_date: Option<NaiveDate>,
}

pub fn service_facts(codes: &Codes, docs: &[ServiceDoc]) -> Vec<ServiceFact> {
    docs.iter()
        .filter(|d| d.is_listed())
        .map(|d| ServiceFact {
            id: d.id.clone(),
            terms: d
                .categories
                .iter()
                .filter_map(|c| codes.term_by_code(c))
                .collect(),
            provinces: d
                .provinces
                .iter()
                .filter_map(|p| codes.province(p))
                .collect(),
            points: d
                .points
                .iter()
                .copied()
                .chain(
                    d.comuni
                        .iter()
                        .filter_map(|c| codes.territories.comune(c))
                        .filter_map(|c| c.centroid),
                )
                .collect(),
            assured_date: d.assured_date,
        })
        .collect()
}
