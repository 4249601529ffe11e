use super::*;
use proptest::prelude::*;

fn table(cells: &[&[u64]]) -> CountTable {
    CountTable {
        cells: cells.iter().map(|row| row.to_vec()).collect(),
    }
}

#[test]
fn the_threshold_is_at_least_three() {
    assert_eq!(DisclosureRule::default().threshold(), 5);
    assert_eq!(DisclosureRule::new(3).unwrap().threshold(), 3);
    let error = DisclosureRule::new(2).unwrap_err();
    assert_eq!(error.code(), "disclosure_threshold_too_low");
    assert!(error.to_string().contains("at least 3"), "{error}");
    assert_eq!(DisclosureRule::new(10).unwrap().hidden_label(), "<10");
}

#[test]
fn zero_and_counts_from_the_threshold_up_are_published() {
    let rule = DisclosureRule::default();
    assert!(!rule.is_small(0));
    assert!((1..5).all(|n| rule.is_small(n)));
    assert!(!rule.is_small(5));
    let protected = protect_table(&table(&[&[0, 5, 12], &[7, 0, 30]]), &rule);
    assert_eq!(
        protected.cells,
        vec![
            vec![Shown::Count(0), Shown::Count(5), Shown::Count(12)],
            vec![Shown::Count(7), Shown::Count(0), Shown::Count(30)],
        ]
    );
    assert_eq!(
        protected.row_totals,
        vec![Shown::Count(17), Shown::Count(37)]
    );
    assert_eq!(
        protected.column_totals,
        vec![Shown::Count(7), Shown::Count(5), Shown::Count(42)]
    );
    assert_eq!(protected.total, Shown::Count(54));
}

#[test]
fn a_lone_small_cell_takes_the_smallest_neighbours_with_it() {
    // Men/women by two provinces: 3 women in the first would be 40 - 37 from the row total.
    let protected = protect_table(&table(&[&[37, 3], &[52, 48]]), &DisclosureRule::default());
    assert_eq!(protected.cells[0][1], Shown::Hidden);
    // Its row, its column and a fourth cell close the cycle; nothing else is lost.
    assert_eq!(protected.cells[0][0], Shown::Hidden);
    assert_eq!(protected.cells[1][1], Shown::Hidden);
    assert_eq!(protected.cells[1][0], Shown::Hidden);
    assert_eq!(
        protected.row_totals,
        vec![Shown::Count(40), Shown::Count(100)]
    );
    assert_eq!(
        protected.column_totals,
        vec![Shown::Count(89), Shown::Count(51)]
    );
    assert_eq!(protected.total, Shown::Count(140));
}

#[test]
fn a_list_with_one_small_count_hides_a_second_one() {
    let (cells, total) = protect_list(&[120, 2, 40, 9], &DisclosureRule::default());
    assert_eq!(
        cells,
        vec![
            Shown::Count(120),
            Shown::Hidden,
            Shown::Count(40),
            Shown::Hidden
        ]
    );
    assert_eq!(total, Shown::Count(171));
}

#[test]
fn a_small_total_is_hidden_too() {
    let (cells, total) = protect_list(&[2, 1, 0], &DisclosureRule::default());
    assert_eq!(cells, vec![Shown::Hidden, Shown::Hidden, Shown::Count(0)]);
    assert_eq!(total, Shown::Hidden);
}

/// What an attacker sees: the extended table (totals as the last row and column) with `None`
/// where a count is hidden.
fn published(protected: &ProtectedTable) -> Vec<Vec<Option<u64>>> {
    let mut rows: Vec<Vec<Option<u64>>> = protected
        .cells
        .iter()
        .zip(&protected.row_totals)
        .map(|(row, total)| {
            row.iter()
                .chain(std::iter::once(total))
                .map(|s| s.count())
                .collect()
        })
        .collect();
    rows.push(
        protected
            .column_totals
            .iter()
            .chain(std::iter::once(&protected.total))
            .map(|s| s.count())
            .collect(),
    );
    rows
}

/// An attacker who knows the published table, that counts are whole and never negative, and
/// (more than a real one) an upper bound for every hidden count. It looks for a table that
/// agrees with everything published but differs in `target`: if none exists, the hidden value
/// is recovered. Written as a plain search with forcing, independent of the graph reasoning of
/// the protection itself.
struct Attacker {
    /// Each equation: (the total's position, its parts' positions) in the extended table.
    equations: Vec<(usize, Vec<usize>)>,
    bound: u64,
    budget: u64,
}

impl Attacker {
    fn new(rows: usize, columns: usize, bound: u64) -> Self {
        let at = |r: usize, c: usize| r * columns + c;
        let mut equations = Vec::new();
        for r in 0..rows {
            equations.push((
                at(r, columns - 1),
                (0..columns - 1).map(|c| at(r, c)).collect(),
            ));
        }
        for c in 0..columns {
            equations.push((at(rows - 1, c), (0..rows - 1).map(|r| at(r, c)).collect()));
        }
        Self {
            equations,
            bound,
            budget: 2_000_000,
        }
    }

    /// A value for `target` other than `truth`, if some table fits everything published.
    fn alternative(&mut self, known: &[Option<u64>], target: usize, truth: &[u64]) -> Option<u64> {
        let hidden: Vec<usize> = (0..known.len()).filter(|&i| known[i].is_none()).collect();
        // Try values near the truth first: an alternative is usually one step away.
        let mut order: Vec<u64> = (0..=self.bound).filter(|&v| v != truth[target]).collect();
        order.sort_by_key(|&v| v.abs_diff(truth[target]));
        for value in order {
            let mut assignment = known.to_vec();
            assignment[target] = Some(value);
            if self.complete(&mut assignment, &hidden, truth) {
                return Some(value);
            }
        }
        None
    }

    fn complete(
        &mut self,
        assignment: &mut [Option<u64>],
        hidden: &[usize],
        truth: &[u64],
    ) -> bool {
        self.budget = self
            .budget
            .checked_sub(1)
            .expect("the attacker's search ran out of budget: make the tables smaller");
        if self.propagate(assignment).is_none() {
            return false;
        }
        let Some(&next) = hidden.iter().find(|&&i| assignment[i].is_none()) else {
            return true;
        };
        let mut values: Vec<u64> = (0..=self.bound).collect();
        values.sort_by_key(|&v| v.abs_diff(truth[next]));
        for value in values {
            let mut attempt = assignment.to_vec();
            attempt[next] = Some(value);
            if self.complete(&mut attempt, hidden, truth) {
                assignment.copy_from_slice(&attempt);
                return true;
            }
        }
        false
    }

    /// Fills every unknown an equation forces; `None` when an equation cannot hold.
    fn propagate(&self, assignment: &mut [Option<u64>]) -> Option<()> {
        loop {
            let mut progress = false;
            for (total, parts) in &self.equations {
                let unknown: Vec<usize> = std::iter::once(total)
                    .chain(parts)
                    .copied()
                    .filter(|&i| assignment[i].is_none())
                    .collect();
                let parts_sum: u64 = parts.iter().filter_map(|&i| assignment[i]).sum();
                match unknown.as_slice() {
                    [] => {
                        if assignment[*total] != Some(parts_sum) {
                            return None;
                        }
                    }
                    [only] if only == total => {
                        if parts_sum > self.bound {
                            return None;
                        }
                        assignment[*total] = Some(parts_sum);
                        progress = true;
                    }
                    [only] => {
                        let rest = assignment[*total]?.checked_sub(parts_sum)?;
                        assignment[*only] = Some(rest);
                        progress = true;
                    }
                    _ => {
                        if let Some(total) = assignment[*total]
                            && parts_sum > total
                        {
                            return None;
                        }
                    }
                }
            }
            if !progress {
                return Some(());
            }
        }
    }
}

fn small_table() -> impl Strategy<Value = CountTable> {
    (1usize..=3, 1usize..=3).prop_flat_map(|(rows, columns)| {
        let count = prop_oneof![3 => 0u64..=6, 1 => 0u64..=14];
        proptest::collection::vec(proptest::collection::vec(count, columns), rows)
            .prop_map(|cells| CountTable { cells })
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 300, ..ProptestConfig::default() })]

    /// Every published count is true, every small count is hidden, and no hidden count can be
    /// worked out from the rest.
    #[test]
    fn no_hidden_count_can_be_recovered(table in small_table(), threshold in 3u32..=6) {
        let rule = DisclosureRule::new(threshold).unwrap();
        let protected = protect_table(&table, &rule);
        let shown = published(&protected);
        let truth: Vec<Vec<u64>> = {
            let extended = Extended::new(&table);
            extended.values.chunks(extended.columns).map(<[u64]>::to_vec).collect()
        };
        for (shown_row, true_row) in shown.iter().zip(&truth) {
            for (shown, &value) in shown_row.iter().zip(true_row) {
                if let Some(count) = shown {
                    prop_assert_eq!(*count, value);
                    prop_assert!(!rule.is_small(value), "{} published", value);
                }
            }
        }
        let rows = shown.len();
        let columns = shown[0].len();
        let known: Vec<Option<u64>> = shown.concat();
        let truth: Vec<u64> = truth.concat();
        let grand_total = truth[truth.len() - 1];
        let mut attacker = Attacker::new(rows, columns, grand_total + 2);
        for target in (0..known.len()).filter(|&i| known[i].is_none()) {
            prop_assert!(
                attacker.alternative(&known, target, &truth).is_some(),
                "cell {} of {:?} can only be {} (published {:?})",
                target, truth, truth[target], known
            );
        }
    }

    /// Hiding is not gratuitous: a table without small counts is published whole.
    #[test]
    fn tables_without_small_counts_are_published_whole(
        cells in proptest::collection::vec(proptest::collection::vec(prop_oneof![Just(0u64), 5u64..500], 1..6), 1..6)
    ) {
        let columns = cells[0].len();
        let cells: Vec<Vec<u64>> = cells.into_iter().map(|mut row| { row.resize(columns, 0); row }).collect();
        let total: u64 = cells.iter().flatten().sum();
        prop_assume!(total == 0 || total >= 5);
        let table = CountTable { cells };
        let extended = Extended::new(&table);
        prop_assume!(extended.values.iter().all(|&v| !DisclosureRule::DEFAULT.is_small(v)));
        let protected = protect_table(&table, &DisclosureRule::DEFAULT);
        prop_assert!(published(&protected).iter().flatten().all(Option::is_some));
    }
}

#[test]
fn a_province_by_category_table_keeps_its_visible_counts_true() {
    // 107 provinces × 30 categories with many small counts: the dashboard's largest shape.
    let cells: Vec<Vec<u64>> = (0..107u64)
        .map(|p| (0..30u64).map(|c| (p * 31 + c * 17) % 23).collect())
        .collect();
    let protected = protect_table(
        &CountTable {
            cells: cells.clone(),
        },
        &DisclosureRule::DEFAULT,
    );
    for (row, shown_row) in cells.iter().zip(&protected.cells) {
        for (&value, shown) in row.iter().zip(shown_row) {
            if DisclosureRule::DEFAULT.is_small(value) {
                assert_eq!(*shown, Shown::Hidden);
            } else if let Shown::Count(count) = shown {
                assert_eq!(*count, value);
            }
        }
    }
}
