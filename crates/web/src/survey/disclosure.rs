//! The observatory's disclosure rule as the survey analysis applies it: small counts hidden
//! and, so that a hidden cell cannot be worked out from the totals, a second cell hidden in
//! any row or column that would otherwise have exactly one.
//!
//! This has the shape of `crocevia_core::disclosure` (being written on main); once it is
//! merged this module becomes a re-export of it.

/// Counts of 1..threshold-1 are small and are not published.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DisclosureRule {
    threshold: u32,
}

impl DisclosureRule {
    pub const DEFAULT: DisclosureRule = DisclosureRule { threshold: 5 };

    pub fn threshold(&self) -> u32 {
        self.threshold
    }

    pub fn is_small(&self, count: u64) -> bool {
        count > 0 && count < u64::from(self.threshold)
    }
}

/// Rows × columns of counts.
pub struct CountTable {
    pub cells: Vec<Vec<u64>>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shown {
    Count(u64),
    Hidden,
}

pub struct ProtectedTable {
    pub cells: Vec<Vec<Shown>>,
    pub row_totals: Vec<Shown>,
    pub column_totals: Vec<Shown>,
    pub total: Shown,
}

/// Hides small cells, then hides more cells until no row or column has exactly one hidden
/// cell (hiding the smallest other non-zero cell), and hides small totals.
#[allow(clippy::needless_range_loop)] // rows and columns index the same grid
pub fn protect_table(table: &CountTable, rule: &DisclosureRule) -> ProtectedTable {
    let rows = table.cells.len();
    let cols = table.cells.iter().map(Vec::len).max().unwrap_or(0);
    let at = |r: usize, c: usize| table.cells[r].get(c).copied().unwrap_or(0);
    let mut hidden = vec![vec![false; cols]; rows];
    for (r, row) in hidden.iter_mut().enumerate() {
        for (c, h) in row.iter_mut().enumerate() {
            *h = rule.is_small(at(r, c));
        }
    }
    let row_total = |r: usize| (0..cols).map(|c| at(r, c)).sum::<u64>();
    let col_total = |c: usize| (0..rows).map(|r| at(r, c)).sum::<u64>();
    loop {
        let mut changed = false;
        for r in 0..rows {
            let count = (0..cols).filter(|&c| hidden[r][c]).count();
            if count == 1
                && cols > 1
                && !rule.is_small(row_total(r))
                && let Some(c) = (0..cols)
                    .filter(|&c| !hidden[r][c] && at(r, c) > 0)
                    .min_by_key(|&c| at(r, c))
            {
                hidden[r][c] = true;
                changed = true;
            }
        }
        for c in 0..cols {
            let count = (0..rows).filter(|&r| hidden[r][c]).count();
            if count == 1
                && rows > 1
                && !rule.is_small(col_total(c))
                && let Some(r) = (0..rows)
                    .filter(|&r| !hidden[r][c] && at(r, c) > 0)
                    .min_by_key(|&r| at(r, c))
            {
                hidden[r][c] = true;
                changed = true;
            }
        }
        if !changed {
            break;
        }
    }
    let shown = |v: u64| {
        if rule.is_small(v) {
            Shown::Hidden
        } else {
            Shown::Count(v)
        }
    };
    ProtectedTable {
        cells: (0..rows)
            .map(|r| {
                (0..cols)
                    .map(|c| {
                        if hidden[r][c] {
                            Shown::Hidden
                        } else {
                            Shown::Count(at(r, c))
                        }
                    })
                    .collect()
            })
            .collect(),
        row_totals: (0..rows).map(|r| shown(row_total(r))).collect(),
        column_totals: (0..cols).map(|c| shown(col_total(c))).collect(),
        total: shown((0..rows).map(row_total).sum()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_lone_small_cell_takes_a_neighbour_with_it() {
        let t = protect_table(
            &CountTable {
                cells: vec![vec![10, 2], vec![20, 30]],
            },
            &DisclosureRule::DEFAULT,
        );
        assert_eq!(t.cells[0][1], Shown::Hidden);
        assert_eq!(t.cells[0][0], Shown::Hidden, "row 0 would give it away");
        assert_eq!(t.cells[1][1], Shown::Hidden, "column 1 would give it away");
        assert_eq!(t.cells[1][0], Shown::Hidden);
        assert_eq!(t.total, Shown::Count(62));
    }
}
