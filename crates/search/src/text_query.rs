//! The text part of a search as one scorer, which reads every word and every category once
//! per document.
//!
//! Written as a tree of tantivy queries, a word was scored up to three times per document
//! (once in the gate "enough words or a category", once for its score, once more for the
//! bonus of matching every word) and each category twice (its constant and its BM25). Those
//! are the searches that match most of the directory ("permesso di soggiorno" names a
//! category of 45,000 services), so the repeats were most of their time. Here the gate, the
//! sum of the word scores, the categories' boosts, the all-words bonus and the boosts for
//! what the text asks services to be (free, speaking a language) come from one pass; the score is the same sum as before.
//!
//! Which documents match: those tagged with a category, and those containing at least
//! `required` of the required words. The next document with enough words is found by seeking
//! (the `required`-th smallest current document of the word lists is the earliest possible
//! one), so a rare word with a common one costs the rare word's postings, as an intersection.

use tantivy::query::{EnableScoring, Explanation, Query, Scorer, TermQuery, Weight};
use tantivy::schema::IndexRecordOption;
use tantivy::{DocId, DocSet, Score, SegmentReader, TERMINATED, TantivyError, Term};

/// A category the text named: services tagged with it match.
#[derive(Clone, Debug)]
pub(crate) struct CategoryClause {
    pub term: Term,
    /// Added when the service is tagged with it.
    pub boost: f32,
    /// Times BM25 on the service's tags (favours services tagged with few, rarer needs).
    pub bm25_weight: f32,
}

/// Words, categories and the boosts of the text, as one query.
#[derive(Debug)]
pub(crate) struct TextQuery {
    /// Each word's query (any field, any form) and whether it is optional.
    pub words: Vec<(Box<dyn Query>, bool)>,
    /// How many of the required words a service needs when no category matches it.
    pub required: usize,
    pub categories: Vec<CategoryClause>,
    /// Added when the service has every word (0: no bonus).
    pub all_words_bonus: f32,
    /// Terms the text asks services to have, and what each adds: `free` when it asks for
    /// free services, a spoken language when it names one.
    pub boosts: Vec<(Term, f32)>,
}

impl Clone for TextQuery {
    fn clone(&self) -> Self {
        TextQuery {
            words: self
                .words
                .iter()
                .map(|(q, optional)| (q.box_clone(), *optional))
                .collect(),
            required: self.required,
            categories: self.categories.clone(),
            all_words_bonus: self.all_words_bonus,
            boosts: self.boosts.clone(),
        }
    }
}

impl Query for TextQuery {
    fn weight(&self, scoring: EnableScoring<'_>) -> tantivy::Result<Box<dyn Weight>> {
        let term_weight =
            |term: &Term, option| TermQuery::new(term.clone(), option).weight(scoring);
        Ok(Box::new(TextWeight {
            words: self
                .words
                .iter()
                .map(|(q, optional)| Ok((q.weight(scoring)?, *optional)))
                .collect::<tantivy::Result<_>>()?,
            required: self.required,
            categories: self
                .categories
                .iter()
                .map(|c| {
                    let weight = term_weight(&c.term, IndexRecordOption::WithFreqs)?;
                    Ok((weight, c.boost, c.bm25_weight))
                })
                .collect::<tantivy::Result<_>>()?,
            all_words_bonus: self.all_words_bonus,
            boosts: self
                .boosts
                .iter()
                .map(|(term, add)| Ok((term_weight(term, IndexRecordOption::Basic)?, *add)))
                .collect::<tantivy::Result<_>>()?,
        }))
    }

    fn query_terms<'a>(&'a self, visitor: &mut dyn FnMut(&'a Term, bool)) {
        for (q, _) in &self.words {
            q.query_terms(visitor);
        }
        for c in &self.categories {
            visitor(&c.term, false);
        }
    }
}

struct TextWeight {
    words: Vec<(Box<dyn Weight>, bool)>,
    required: usize,
    categories: Vec<(Box<dyn Weight>, f32, f32)>,
    all_words_bonus: f32,
    boosts: Vec<(Box<dyn Weight>, f32)>,
}

impl Weight for TextWeight {
    fn scorer(&self, reader: &SegmentReader, boost: Score) -> tantivy::Result<Box<dyn Scorer>> {
        let mut words = Vec::with_capacity(self.words.len());
        let mut required_words = Vec::new();
        for (i, (weight, optional)) in self.words.iter().enumerate() {
            words.push(weight.scorer(reader, boost)?);
            if !optional {
                required_words.push(i);
            }
        }
        let categories = self
            .categories
            .iter()
            .map(|(weight, flat, bm25)| Ok((weight.scorer(reader, 1.0)?, *flat, *bm25)))
            .collect::<tantivy::Result<_>>()?;
        let boosts = self
            .boosts
            .iter()
            .map(|(weight, add)| Ok((weight.scorer(reader, 1.0)?, *add)))
            .collect::<tantivy::Result<_>>()?;
        let mut scorer = TextScorer {
            required: self.required.min(required_words.len()),
            scratch: Vec::with_capacity(required_words.len()),
            required_words,
            words,
            categories,
            all_words_bonus: self.all_words_bonus,
            boosts,
            boost,
            doc: 0,
            score: 0.0,
        };
        scorer.find(0);
        Ok(Box::new(scorer))
    }

    fn explain(&self, reader: &SegmentReader, doc: DocId) -> tantivy::Result<Explanation> {
        let mut scorer = self.scorer(reader, 1.0)?;
        if scorer.doc() > doc || scorer.seek(doc) != doc {
            return Err(TantivyError::InvalidArgument(format!(
                "document {doc} does not match the text"
            )));
        }
        Ok(Explanation::new(
            "words, categories and boosts",
            scorer.score(),
        ))
    }
}

struct TextScorer {
    words: Vec<Box<dyn Scorer>>,
    /// Positions in `words` of the required ones.
    required_words: Vec<usize>,
    required: usize,
    /// Scorer, constant boost, weight of BM25.
    categories: Vec<(Box<dyn Scorer>, f32, f32)>,
    all_words_bonus: f32,
    boosts: Vec<(Box<dyn Scorer>, f32)>,
    boost: Score,
    doc: DocId,
    score: Score,
    scratch: Vec<DocId>,
}

/// Moves `docset` to its first document at or after `target` (never backwards).
fn at_least(docset: &mut dyn Scorer, target: DocId) -> DocId {
    let doc = docset.doc();
    if doc < target {
        docset.seek(target)
    } else {
        doc
    }
}

impl TextScorer {
    /// Moves to the first match at or after `target` and scores it.
    fn find(&mut self, target: DocId) -> DocId {
        let mut next = TERMINATED;
        for (scorer, _, _) in &mut self.categories {
            next = next.min(at_least(scorer.as_mut(), target));
        }
        if self.required > 0 {
            next = next.min(self.next_with_words(target, next));
        }
        self.doc = next;
        if next != TERMINATED {
            self.score = self.score_at(next);
        }
        next
    }

    /// The first document at or after `target` with enough required words, or a document
    /// at or after `bound` when there is none before it (required words are never moved past
    /// `bound`, so they can still be scored there).
    fn next_with_words(&mut self, mut target: DocId, bound: DocId) -> DocId {
        let m = self.required;
        loop {
            self.scratch.clear();
            for &i in &self.required_words {
                self.scratch.push(at_least(self.words[i].as_mut(), target));
            }
            self.scratch.sort_unstable();
            let candidate = self.scratch[m - 1];
            // Fewer than `m` lists are before `candidate`: nothing earlier can match.
            if candidate >= bound || self.scratch[0] == candidate {
                return candidate;
            }
            target = candidate;
        }
    }

    /// The score of `doc`, which matches.
    fn score_at(&mut self, doc: DocId) -> Score {
        let mut score = 0.0;
        let mut every_word = true;
        for word in &mut self.words {
            if at_least(word.as_mut(), doc) == doc {
                score += word.score();
            } else {
                every_word = false;
            }
        }
        if every_word && self.words.len() >= 2 {
            score += self.all_words_bonus * self.boost;
        }
        for (scorer, flat, bm25) in &mut self.categories {
            if scorer.doc() == doc {
                score += (*flat + *bm25 * scorer.score()) * self.boost;
            }
        }
        for (scorer, add) in &mut self.boosts {
            if at_least(scorer.as_mut(), doc) == doc {
                score += *add * self.boost;
            }
        }
        score
    }
}

impl DocSet for TextScorer {
    fn advance(&mut self) -> DocId {
        if self.doc == TERMINATED {
            return TERMINATED;
        }
        self.find(self.doc + 1)
    }

    fn seek(&mut self, target: DocId) -> DocId {
        if target <= self.doc {
            return self.doc;
        }
        self.find(target)
    }

    fn doc(&self) -> DocId {
        self.doc
    }

    fn size_hint(&self) -> u32 {
        let words = self
            .required_words
            .iter()
            .map(|&i| self.words[i].size_hint())
            .max()
            .unwrap_or(0);
        self.categories
            .iter()
            .map(|(s, _, _)| s.size_hint())
            .fold(words, u32::saturating_add)
    }
}

impl Scorer for TextScorer {
    fn score(&mut self) -> Score {
        self.score
    }
}

#[cfg(test)]
mod tests {
    use tantivy::collector::DocSetCollector;
    use tantivy::query::{BooleanQuery, BoostQuery, ConstScoreQuery, Occur};
    use tantivy::schema::{STRING, Schema, TEXT};
    use tantivy::{Index, IndexWriter, doc};

    use super::*;

    fn term_query(term: Term) -> Box<dyn Query> {
        Box::new(TermQuery::new(term, IndexRecordOption::WithFreqs))
    }

    /// The one-pass query finds and scores exactly what the equivalent tree of tantivy
    /// queries does: enough words or a category, the word scores, the category's boost and
    /// BM25, the all-words bonus.
    #[test]
    fn one_pass_matches_and_scores_like_the_query_tree() {
        let mut schema = Schema::builder();
        let body = schema.add_text_field("body", TEXT);
        let tag = schema.add_text_field("tag", STRING);
        let index = Index::create_in_ram(schema.build());
        let mut writer: IndexWriter = index.writer(15_000_000).unwrap();
        let words = ["casa", "lavoro", "scuola", "medico", "corso"];
        for i in 0..600u32 {
            // Each document holds a deterministic subset of the words; a few are tagged.
            let text: Vec<&str> = words
                .iter()
                .enumerate()
                .filter(|(w, _)| (i * 7 + (*w as u32) * 13).is_multiple_of(*w as u32 + 2))
                .map(|(_, word)| *word)
                .collect();
            let mut d = doc!(body => text.join(" "));
            if i.is_multiple_of(11) {
                d.add_text(tag, "health");
            }
            writer.add_document(d).unwrap();
        }
        writer.commit().unwrap();
        let searcher = index.reader().unwrap().searcher();
        let word = |w: &str| term_query(Term::from_field_text(body, w));
        let category = Term::from_field_text(tag, "health");

        for (required, with_category) in [(2, true), (2, false), (3, false), (1, true)] {
            let chosen = ["casa", "lavoro", "scuola"];
            let one_pass = TextQuery {
                words: chosen.iter().map(|w| (word(w), false)).collect(),
                required,
                categories: if with_category {
                    vec![CategoryClause {
                        term: category.clone(),
                        boost: 6.0,
                        bm25_weight: 1.8,
                    }]
                } else {
                    Vec::new()
                },
                all_words_bonus: 4.0,
                boosts: Vec::new(),
            };
            let enough = BooleanQuery::with_minimum_required_clauses(
                chosen.iter().map(|w| (Occur::Should, word(w))).collect(),
                required,
            );
            let mut gate: Vec<(Occur, Box<dyn Query>)> = vec![(
                Occur::Should,
                Box::new(ConstScoreQuery::new(Box::new(enough), 0.0)),
            )];
            if with_category {
                gate.push((
                    Occur::Should,
                    Box::new(ConstScoreQuery::new(term_query(category.clone()), 6.0)),
                ));
                gate.push((
                    Occur::Should,
                    Box::new(BoostQuery::new(term_query(category.clone()), 1.8)),
                ));
            }
            let mut tree: Vec<(Occur, Box<dyn Query>)> =
                vec![(Occur::Must, Box::new(BooleanQuery::new(gate)))];
            tree.extend(chosen.iter().map(|w| (Occur::Should, word(w))));
            let all = BooleanQuery::intersection(chosen.iter().map(|w| word(w)).collect());
            tree.push((
                Occur::Should,
                Box::new(ConstScoreQuery::new(Box::new(all), 4.0)),
            ));
            let tree = BooleanQuery::new(tree);

            let found = searcher.search(&one_pass, &DocSetCollector).unwrap();
            let expected = searcher.search(&tree, &DocSetCollector).unwrap();
            assert!(!found.is_empty(), "required {required}");
            assert_eq!(
                found, expected,
                "required {required}, category {with_category}"
            );
            for address in found {
                let a = one_pass.explain(&searcher, address).unwrap().value();
                let b = tree.explain(&searcher, address).unwrap().value();
                assert!((a - b).abs() < 1e-4, "{address:?}: {a} against {b}");
            }
        }
    }
}
