//! The tantivy index: its schema, opening (and rebuilding when the schema changed), and
//! writing [`ServiceDoc`]s.

use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use serde::{Deserialize, Serialize};
use tantivy::directory::MmapDirectory;
use tantivy::query::FuzzyTermQuery;
use tantivy::schema::{
    BytesOptions, FAST, Field, INDEXED, IndexRecordOption, STORED, STRING, Schema,
    TextFieldIndexing, TextOptions,
};
use tantivy::{Index, IndexReader, IndexWriter, ReloadPolicy, TantivyDocument, Term};

use crocevia_core::schedule;
use crocevia_core::service_doc::ServiceDoc;

use crate::analysis::{self, FOLD, LANGS, lang_group, tokenizer_name};
use crate::facets::FacetTables;
use crate::fields::{EMPTY_SET, Meta, UNIT_SEPARATOR, names};
use crate::{Result, geo};

/// Version of the index layout (fields, analysis, encodings). Bump it whenever any of them
/// changes: an index written with another version is wiped on [`SearchIndex::open`] and
/// reported by [`SearchIndex::needs_rebuild`].
pub const SCHEMA_VERSION: u32 = 2;

/// Tries of [`SearchIndex::merge_segments`] while background merges hold segments.
const MERGE_ATTEMPTS: usize = 20;

/// Every field of the schema.
#[derive(Clone, Copy)]
pub(crate) struct Fields {
    pub id: Field,
    /// Per language group of [`LANGS`]: names and descriptions, stemmed.
    pub name: [Field; 6],
    pub desc: [Field; 6],
    /// Organisation names (every language), folded.
    pub org: Field,
    /// Comune names, folded.
    pub place: Field,
    /// Every text above, every language, folded and unstemmed: the vocabulary of typo
    /// correction and prefixes.
    pub words: Field,
    /// Needs codes with their ancestors. Indexed with frequencies and lengths, so BM25 on it
    /// favours services tagged with few needs (more about each of them) and rarer needs.
    pub category: Field,
    pub comune: Field,
    pub province: Field,
    pub region: Field,
    pub language: Field,
    /// Facet sets, one value per document (see `collect`): the categories, the territories
    /// (codes tagged `r`, `p`, `c`) and the languages of a service, space-separated.
    /// Services share few distinct sets, so counting them is one dictionary ordinal per
    /// document.
    pub category_set: Field,
    pub place_set: Field,
    pub language_set: Field,
    pub free: Field,
    pub accessible: Field,
    pub listed: Field,
    /// Packed per-document facts the collector reads ([`Meta`]): one fast-field lookup instead
    /// of four.
    pub meta: Field,
    /// Packed points ([`geo::pack`]).
    pub point: Field,
    pub cell: Field,
    /// Compact schedules ([`schedule::encode`]).
    pub schedule: Field,
    /// Stored only: `language␟name␟description` per text, for hits and snippets.
    pub texts: Field,
}

fn build_schema() -> (Schema, Fields) {
    let mut b = Schema::builder();
    let text = |tokenizer: &str, option: IndexRecordOption| {
        TextOptions::default().set_indexing_options(
            TextFieldIndexing::default()
                .set_tokenizer(tokenizer)
                .set_index_option(option),
        )
    };
    let id = b.add_text_field("id", STRING | STORED);
    let name = LANGS.map(|lang| {
        b.add_text_field(
            &format!("name_{lang}"),
            text(tokenizer_name(lang), IndexRecordOption::WithFreqs),
        )
    });
    let desc = LANGS.map(|lang| {
        b.add_text_field(
            &format!("desc_{lang}"),
            text(tokenizer_name(lang), IndexRecordOption::WithFreqs),
        )
    });
    let org = b.add_text_field("org", text(FOLD, IndexRecordOption::WithFreqs));
    let place = b.add_text_field("place", text(FOLD, IndexRecordOption::WithFreqs));
    let words = b.add_text_field("words", text(FOLD, IndexRecordOption::WithFreqs));
    let category = b.add_text_field("category", text("raw", IndexRecordOption::WithFreqs));
    let comune = b.add_text_field("comune", STRING);
    let province = b.add_text_field("province", STRING);
    let region = b.add_text_field("region", STRING);
    let language = b.add_text_field("language", STRING);
    let fast_only = || TextOptions::default().set_fast("raw");
    let category_set = b.add_text_field(names::CATEGORY_SET, fast_only());
    let place_set = b.add_text_field(names::PLACE_SET, fast_only());
    let language_set = b.add_text_field(names::LANGUAGE_SET, fast_only());
    let free = b.add_bool_field("free", INDEXED);
    let accessible = b.add_bool_field("accessible", INDEXED);
    let listed = b.add_bool_field("listed", INDEXED);
    let meta = b.add_u64_field(names::META, FAST);
    let point = b.add_u64_field(names::POINT, FAST);
    let cell = b.add_text_field("cell", STRING);
    let schedule = b.add_bytes_field(names::SCHEDULE, BytesOptions::default().set_fast());
    let texts = b.add_text_field("texts", STORED);
    let fields = Fields {
        id,
        name,
        desc,
        org,
        place,
        words,
        category,
        comune,
        province,
        region,
        language,
        category_set,
        place_set,
        language_set,
        free,
        accessible,
        listed,
        meta,
        point,
        cell,
        schedule,
        texts,
    };
    (b.build(), fields)
}

/// What every commit records in tantivy's commit payload.
#[derive(Serialize, Deserialize)]
struct Payload {
    schema: u32,
    cursor: Option<String>,
}

/// The service search index. Cheap to share (`&self` everywhere; writes are serialised
/// inside): readers see what was committed as soon as [`commit`](Self::commit) returns.
pub struct SearchIndex {
    pub(crate) reader: IndexReader,
    pub(crate) fields: Fields,
    pub(crate) facet_tables: Arc<FacetTables>,
    writer: Mutex<IndexWriter>,
    needs_rebuild: AtomicBool,
    cursor: Mutex<Option<String>>,
}

const WRITER_HEAP_BYTES: usize = 50_000_000;
const WRITER_HEAP_BYTES_IN_MEMORY: usize = 20_000_000;

impl SearchIndex {
    /// Opens the index in `dir`, creating the directory and the index if missing. An index
    /// written by another [`SCHEMA_VERSION`] (or unreadable) is deleted and created anew; so
    /// is one that never completed a commit. Either way [`needs_rebuild`](Self::needs_rebuild)
    /// is then true: load every service and [`upsert`](Self::upsert) it, then commit once.
    pub fn open(dir: &Path) -> Result<SearchIndex> {
        std::fs::create_dir_all(dir)?;
        let (schema, fields) = build_schema();
        let existing = match Index::open_in_dir(dir) {
            Ok(index) => {
                let payload = index
                    .load_metas()
                    .ok()
                    .and_then(|m| m.payload)
                    .and_then(|p| serde_json::from_str::<Payload>(&p).ok());
                match payload {
                    Some(p) if p.schema == SCHEMA_VERSION && index.schema() == schema => {
                        Some((index, p.cursor))
                    }
                    _ => None,
                }
            }
            Err(_) => None,
        };
        let (index, cursor, fresh) = match existing {
            Some((index, cursor)) => (index, cursor, false),
            None => {
                clear_index_files(dir)?;
                let directory = MmapDirectory::open(dir)?;
                (
                    Index::create(directory, schema, Default::default())?,
                    None,
                    true,
                )
            }
        };
        Self::with_index(index, fields, WRITER_HEAP_BYTES, cursor, fresh)
    }

    /// An index in memory, for tests and one-off uses. It starts empty, so
    /// [`needs_rebuild`](Self::needs_rebuild) is true until the first commit.
    pub fn in_memory() -> Result<SearchIndex> {
        let (schema, fields) = build_schema();
        let index = Index::create_in_ram(schema);
        Self::with_index(index, fields, WRITER_HEAP_BYTES_IN_MEMORY, None, true)
    }

    fn with_index(
        index: Index,
        fields: Fields,
        heap: usize,
        cursor: Option<String>,
        fresh: bool,
    ) -> Result<SearchIndex> {
        analysis::register(&index);
        // Typo correction builds Levenshtein automata from builders tantivy makes once per
        // process; the two-edit one takes a while, so make them now rather than in a search.
        for distance in 1..=2 {
            let probe = Term::from_field_text(fields.words, "warmup");
            FuzzyTermQuery::new(probe, distance, true).automaton()?;
        }
        let writer = index.writer_with_num_threads(1, heap)?;
        let reader = index
            .reader_builder()
            .reload_policy(ReloadPolicy::Manual)
            .try_into()?;
        Ok(SearchIndex {
            reader,
            fields,
            facet_tables: Arc::default(),
            writer: Mutex::new(writer),
            needs_rebuild: AtomicBool::new(fresh),
            cursor: Mutex::new(cursor),
        })
    }

    /// Whether the index was just created (missing, from another schema version, or never
    /// committed) and must be filled from the directory before it is followed incrementally.
    /// It turns false at the next commit.
    pub fn needs_rebuild(&self) -> bool {
        self.needs_rebuild.load(Ordering::Acquire)
    }

    /// The change-log position recorded by the last [`commit_at`](Self::commit_at), if any.
    pub fn cursor(&self) -> Option<String> {
        self.lock_cursor().clone()
    }

    /// Adds or replaces services (by id). Visible after the next commit.
    pub fn upsert(&self, docs: &[ServiceDoc]) -> Result<()> {
        let writer = self.lock_writer();
        let mut schedule = Vec::new();
        for doc in docs {
            writer.delete_term(Term::from_field_text(self.fields.id, &doc.id));
            writer.add_document(self.to_document(doc, &mut schedule))?;
        }
        Ok(())
    }

    /// Removes services by id. Visible after the next commit.
    pub fn delete<S: AsRef<str>>(&self, ids: &[S]) -> Result<()> {
        let writer = self.lock_writer();
        for id in ids {
            writer.delete_term(Term::from_field_text(self.fields.id, id.as_ref()));
        }
        Ok(())
    }

    /// Commits pending changes, keeping the recorded change-log position. Searches started
    /// after it returns see them.
    pub fn commit(&self) -> Result<()> {
        let cursor = self.cursor();
        self.commit_with(cursor)
    }

    /// Commits pending changes and records `cursor` (the change-log position they bring the
    /// index to) atomically with them, so a follower restarts where the index really is.
    pub fn commit_at(&self, cursor: &str) -> Result<()> {
        self.commit_with(Some(cursor.to_owned()))
    }

    fn commit_with(&self, cursor: Option<String>) -> Result<()> {
        let mut writer = self.lock_writer();
        let payload = serde_json::to_string(&Payload {
            schema: SCHEMA_VERSION,
            cursor: cursor.clone(),
        })?;
        let mut prepared = writer.prepare_commit()?;
        prepared.set_payload(&payload);
        prepared.commit()?;
        self.reload()?;
        *self.lock_cursor() = cursor;
        self.needs_rebuild.store(false, Ordering::Release);
        Ok(())
    }

    /// Merges every segment into one and waits for it; searches then see the merged index.
    /// Worth it after a full rebuild: a search pays some costs once per segment (the
    /// per-segment scorers, the vocabulary scans for prefixes and typos, the facet tables),
    /// and a rebuild leaves several. Background merges tantivy started may still hold some
    /// of the segments; the merge that ends second is then refused, and this tries again.
    pub fn merge_segments(&self) -> Result<()> {
        for attempt in 0..MERGE_ATTEMPTS {
            let ids = self.reader.searcher().index().searchable_segment_ids()?;
            if ids.len() <= 1 {
                break;
            }
            let result = self.lock_writer().merge(&ids).wait();
            match result {
                Ok(_) => break,
                Err(e) if attempt + 1 == MERGE_ATTEMPTS => return Err(e.into()),
                Err(e) => {
                    tracing::debug!(error = %e, "segment merge refused; retrying");
                    std::thread::sleep(std::time::Duration::from_millis(200));
                }
            }
        }
        self.reload()?;
        Ok(())
    }

    /// Makes searches read what was committed or merged, and drops the facet tables of the
    /// segments that are gone.
    fn reload(&self) -> Result<()> {
        self.reader.reload()?;
        let live: Vec<_> = self
            .reader
            .searcher()
            .segment_readers()
            .iter()
            .map(|r| r.segment_id())
            .collect();
        self.facet_tables.keep_only(&live);
        Ok(())
    }

    /// Number of segments searches currently read.
    pub fn segment_count(&self) -> usize {
        self.reader.searcher().segment_readers().len()
    }

    /// The generation of what searches read: it changes with every commit and merge, so it
    /// tells whether an answer computed earlier still holds.
    pub fn generation(&self) -> u64 {
        self.reader.searcher().generation().generation_id()
    }

    /// Number of services in the committed index.
    pub fn len(&self) -> usize {
        usize::try_from(self.reader.searcher().num_docs()).unwrap_or(usize::MAX)
    }

    /// Whether the committed index holds no service.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn lock_writer(&self) -> std::sync::MutexGuard<'_, IndexWriter> {
        // A panic while holding the lock leaves nothing half-done that the writer cannot
        // roll back at the next commit, so a poisoned lock is still usable.
        self.writer.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn lock_cursor(&self) -> std::sync::MutexGuard<'_, Option<String>> {
        self.cursor.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn to_document(&self, doc: &ServiceDoc, schedule: &mut Vec<u8>) -> TantivyDocument {
        let f = &self.fields;
        let mut d = TantivyDocument::default();
        d.add_text(f.id, &doc.id);
        for text in &doc.texts {
            let group = LANGS
                .iter()
                .position(|l| *l == lang_group(&text.language))
                .unwrap_or(LANGS.len() - 1);
            if !text.name.is_empty() {
                d.add_text(f.name[group], &text.name);
                d.add_text(f.words, &text.name);
            }
            if !text.description.is_empty() {
                d.add_text(f.desc[group], &text.description);
                d.add_text(f.words, &text.description);
            }
            if let Some(org) = &text.organization {
                d.add_text(f.org, org);
                d.add_text(f.words, org);
            }
            d.add_text(
                f.texts,
                format!(
                    "{}{UNIT_SEPARATOR}{}{UNIT_SEPARATOR}{}",
                    text.language, text.name, text.description
                ),
            );
        }
        for place in &doc.places {
            d.add_text(f.place, place);
            d.add_text(f.words, place);
        }
        for (field, values) in [
            (f.category, &doc.categories),
            (f.comune, &doc.comuni),
            (f.province, &doc.provinces),
            (f.region, &doc.regions),
            (f.language, &doc.languages),
        ] {
            for v in values {
                d.add_text(field, v);
            }
        }
        let set = |values: Vec<String>| {
            if values.is_empty() {
                EMPTY_SET.to_owned()
            } else {
                values.join(" ")
            }
        };
        d.add_text(f.category_set, set(doc.categories.clone()));
        d.add_text(f.language_set, set(doc.languages.clone()));
        d.add_text(f.place_set, set(place_set(doc)));
        d.add_bool(f.free, doc.free);
        d.add_bool(f.accessible, doc.accessible);
        d.add_bool(f.listed, doc.is_listed());
        d.add_u64(f.meta, Meta::of(doc).0);
        for p in &doc.points {
            d.add_u64(f.point, geo::pack(*p));
            for cell in geo::cells_of(*p) {
                d.add_text(f.cell, cell);
            }
        }
        if !doc.schedules.is_empty() {
            schedule.clear();
            schedule::encode(&doc.schedules, schedule);
            d.add_bytes(f.schedule, schedule);
        }
        d
    }
}

/// The territory facet set of a document: its regions, provinces and comuni, each code
/// prefixed with `r`, `p` or `c`.
fn place_set(doc: &ServiceDoc) -> Vec<String> {
    let tagged = |tag: char, codes: &[String]| {
        codes
            .iter()
            .map(move |c| format!("{tag}{c}"))
            .collect::<Vec<_>>()
    };
    let mut out = tagged('r', &doc.regions);
    out.extend(tagged('p', &doc.provinces));
    out.extend(tagged('c', &doc.comuni));
    out
}

/// Removes tantivy's files from `dir` (and nothing else a person may have put there).
fn clear_index_files(dir: &Path) -> Result<()> {
    for entry in std::fs::read_dir(dir)? {
        let entry = entry?;
        let name = entry.file_name();
        let name = name.to_string_lossy();
        let stem = name.split('.').next().unwrap_or_default();
        let tantivy_file = name == "meta.json"
            || name == ".managed.json"
            || name.starts_with(".tantivy-")
            || (stem.len() == 32 && stem.bytes().all(|b| b.is_ascii_hexdigit()));
        if tantivy_file && entry.file_type()?.is_file() {
            std::fs::remove_file(entry.path())?;
        }
    }
    Ok(())
}
