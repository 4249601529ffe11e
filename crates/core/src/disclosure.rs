//! Statistical disclosure control for counts of people.
//!
//! The observatory and the survey analysis publish counts computed from records about people
//! (needs, referrals, answers). A small count can identify someone ("the one Eritrean woman
//! referred for maternity care in that comune"), so:
//!
//! - **primary suppression**: a count from 1 to `threshold - 1` is hidden (shown as
//!   "<threshold"); zero is published, since an empty cell reveals nobody;
//! - **complementary suppression**: a table also publishes row, column and grand totals, and a
//!   lone hidden cell in a row would be the total minus the visible cells. More cells are
//!   hidden until no hidden value can be worked out from what is published, counts never being
//!   negative included.
//!
//! The table is seen as its "extended" form, totals included, as a bipartite graph: one node
//! per row (the totals row too), one per column (the totals column too), one edge per cell.
//! Changing hidden cells without changing anything published means adding +1 and -1
//! alternately around a cycle of hidden cells, so a hidden cell is safe exactly when it lies on
//! such a cycle along which no count would go below zero. [`protect_table`] hides, for every
//! exposed cell, the cheapest path of visible cells (smallest counts first) that closes a cycle
//! through it. A time series is a table whose columns are periods, so other periods cannot
//! give a hidden cell away either.

use serde::{Deserialize, Serialize};

/// The threshold below which a count of people is hidden.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct DisclosureRule {
    threshold: u32,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DisclosureError {
    #[error(
        "the disclosure threshold {threshold} is too low: counts below {minimum} could identify people, so the threshold must be at least {minimum}"
    )]
    ThresholdTooLow { threshold: u32, minimum: u32 },
}

impl DisclosureError {
    pub fn code(&self) -> &'static str {
        match self {
            Self::ThresholdTooLow { .. } => "disclosure_threshold_too_low",
        }
    }
}

impl Default for DisclosureRule {
    fn default() -> Self {
        Self::DEFAULT
    }
}

impl DisclosureRule {
    /// Counts 1 to 4 hidden, shown as "<5": the usual rule of national statistical offices.
    pub const DEFAULT: DisclosureRule = DisclosureRule { threshold: 5 };
    /// Below 3 a hidden cell is a 1 or a 2: hardly hidden at all.
    pub const MINIMUM_THRESHOLD: u32 = 3;

    pub fn new(threshold: u32) -> Result<Self, DisclosureError> {
        if threshold < Self::MINIMUM_THRESHOLD {
            return Err(DisclosureError::ThresholdTooLow {
                threshold,
                minimum: Self::MINIMUM_THRESHOLD,
            });
        }
        Ok(Self { threshold })
    }

    pub fn threshold(&self) -> u32 {
        self.threshold
    }

    /// Whether a count must be hidden on its own (primary suppression).
    pub fn is_small(&self, count: u64) -> bool {
        count >= 1 && count < u64::from(self.threshold)
    }

    /// What a hidden cell shows: "<5" for the default rule.
    pub fn hidden_label(&self) -> String {
        format!("<{}", self.threshold)
    }
}

/// Counts by rows × columns; every row has the same number of columns. The row totals, the
/// column totals and the grand total are published with them.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct CountTable {
    pub cells: Vec<Vec<u64>>,
}

/// A published count, or a hidden one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Shown {
    Count(u64),
    Hidden,
}

impl Shown {
    pub fn count(self) -> Option<u64> {
        match self {
            Shown::Count(n) => Some(n),
            Shown::Hidden => None,
        }
    }

    pub fn is_hidden(self) -> bool {
        self == Shown::Hidden
    }
}

/// A table as it may be published.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProtectedTable {
    pub cells: Vec<Vec<Shown>>,
    pub row_totals: Vec<Shown>,
    pub column_totals: Vec<Shown>,
    pub total: Shown,
}

/// Hides what must be hidden in a table of counts of people, totals included.
///
/// # Panics
/// When the rows have different lengths.
pub fn protect_table(table: &CountTable, rule: &DisclosureRule) -> ProtectedTable {
    let rows = table.cells.len();
    let columns = table.cells.first().map_or(0, Vec::len);
    assert!(
        table.cells.iter().all(|row| row.len() == columns),
        "a count table's rows must all have {columns} columns"
    );
    let extended = Extended::new(table);
    let hidden = extended.protect(rule);
    let shown = |row: usize, column: usize| {
        if hidden[extended.index(row, column)] {
            Shown::Hidden
        } else {
            Shown::Count(extended.value(row, column))
        }
    };
    ProtectedTable {
        cells: (0..rows)
            .map(|row| (0..columns).map(|column| shown(row, column)).collect())
            .collect(),
        row_totals: (0..rows).map(|row| shown(row, columns)).collect(),
        column_totals: (0..columns).map(|column| shown(rows, column)).collect(),
        total: shown(rows, columns),
    }
}

/// Hides small counts in a list published with its total (a one-row table).
pub fn protect_list(counts: &[u64], rule: &DisclosureRule) -> (Vec<Shown>, Shown) {
    let protected = protect_table(
        &CountTable {
            cells: vec![counts.to_vec()],
        },
        rule,
    );
    let cells = protected.cells.into_iter().next().unwrap_or_default();
    (
        cells,
        protected
            .row_totals
            .first()
            .copied()
            .unwrap_or(Shown::Count(0)),
    )
}

/// The table with its totals as a last row and a last column, as a bipartite graph.
struct Extended {
    /// Rows + 1 (the totals row).
    rows: usize,
    /// Columns + 1 (the totals column).
    columns: usize,
    values: Vec<u64>,
}

/// A step along a cycle: from a row node to a column node through a cell, or back.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Direction {
    RowToColumn,
    ColumnToRow,
}

impl Extended {
    fn new(table: &CountTable) -> Self {
        let inner_rows = table.cells.len();
        let inner_columns = table.cells.first().map_or(0, Vec::len);
        let (rows, columns) = (inner_rows + 1, inner_columns + 1);
        let mut values = vec![0u64; rows * columns];
        for (r, row) in table.cells.iter().enumerate() {
            for (c, &count) in row.iter().enumerate() {
                values[r * columns + c] = count;
                values[r * columns + inner_columns] += count;
                values[inner_rows * columns + c] += count;
                values[inner_rows * columns + inner_columns] += count;
            }
        }
        Self {
            rows,
            columns,
            values,
        }
    }

    fn index(&self, row: usize, column: usize) -> usize {
        row * self.columns + column
    }

    fn value(&self, row: usize, column: usize) -> u64 {
        self.values[self.index(row, column)]
    }

    /// Totals enter the balance equations with the opposite sign of inner cells (and the grand
    /// total with the same): with that sign every row and column of the extended table sums
    /// to zero.
    fn sign_is_positive(&self, row: usize, column: usize) -> bool {
        (row == self.rows - 1) == (column == self.columns - 1)
    }

    /// Whether moving through this cell in this direction keeps it at zero or above: going
    /// row → column adds one to the signed value, column → row takes one away.
    fn can_move(&self, row: usize, column: usize, direction: Direction) -> bool {
        let adds = (direction == Direction::RowToColumn) == self.sign_is_positive(row, column);
        adds || self.value(row, column) >= 1
    }

    /// Safety only grows as cells are hidden (more hidden cells, more cycles), and the cells
    /// hidden to complete a cycle are on that cycle, so one pass in order is enough.
    fn protect(&self, rule: &DisclosureRule) -> Vec<bool> {
        let mut hidden: Vec<bool> = self.values.iter().map(|&v| rule.is_small(v)).collect();
        for cell in 0..hidden.len() {
            let (row, column) = (cell / self.columns, cell % self.columns);
            if !hidden[cell] || self.on_safe_cycle(&hidden, row, column) {
                continue;
            }
            match self.cheapest_cycle_completion(&hidden, row, column) {
                Some(path) => path.into_iter().for_each(|c| hidden[c] = true),
                // Not expected: through its totals every cell has a cycle on which all counts
                // grow. Should it happen, publishing nothing is the safe answer.
                None => {
                    hidden.fill(true);
                    break;
                }
            }
        }
        hidden
    }

    /// Whether a hidden cell lies on a cycle of hidden cells that can move without a negative
    /// count, in one direction or the other.
    fn on_safe_cycle(&self, hidden: &[bool], row: usize, column: usize) -> bool {
        [Direction::RowToColumn, Direction::ColumnToRow]
            .into_iter()
            .any(|direction| {
                self.can_move(row, column, direction)
                    && self
                        .path_back(hidden, row, column, direction, |_| None)
                        .is_some()
            })
    }

    /// The visible cells to hide so that the cell gets a safe cycle, the fewest people hidden
    /// first; `None` when no cycle can be closed at all.
    fn cheapest_cycle_completion(
        &self,
        hidden: &[bool],
        row: usize,
        column: usize,
    ) -> Option<Vec<usize>> {
        // A visible cell costs its count (hiding it loses that much information); zeros cost
        // more than they weigh, as a hidden zero is the first thing an attacker guesses.
        let cost = |cell: usize| match self.values[cell] {
            0 => Some(1_000_000),
            count => Some(count),
        };
        [Direction::RowToColumn, Direction::ColumnToRow]
            .into_iter()
            .filter(|&direction| self.can_move(row, column, direction))
            .filter_map(|direction| self.path_back(hidden, row, column, direction, cost))
            .min_by_key(|(total, _)| *total)
            .map(|(_, cells)| cells.into_iter().filter(|&c| !hidden[c]).collect())
    }

    /// Shortest path (Dijkstra: hidden cells cost nothing, visible ones `visible_cost`, `None`
    /// being impassable) from the far end of the cell's move back to its near end, never
    /// through the cell itself, with every step keeping counts at zero or above.
    fn path_back(
        &self,
        hidden: &[bool],
        row: usize,
        column: usize,
        direction: Direction,
        visible_cost: impl Fn(usize) -> Option<u64>,
    ) -> Option<(u64, Vec<usize>)> {
        use std::cmp::Reverse;
        use std::collections::BinaryHeap;

        // Nodes: rows 0..rows, then columns rows..rows+columns.
        let node_count = self.rows + self.columns;
        let row_node = |r: usize| r;
        let column_node = |c: usize| self.rows + c;
        let (start, goal) = match direction {
            Direction::RowToColumn => (column_node(column), row_node(row)),
            Direction::ColumnToRow => (row_node(row), column_node(column)),
        };
        let origin = self.index(row, column);
        let mut best = vec![u64::MAX; node_count];
        let mut via: Vec<Option<(usize, usize)>> = vec![None; node_count];
        let mut queue = BinaryHeap::new();
        best[start] = 0;
        queue.push(Reverse((0u64, start)));
        while let Some(Reverse((distance, node))) = queue.pop() {
            if distance > best[node] {
                continue;
            }
            if node == goal {
                let mut cells = Vec::new();
                let mut at = goal;
                while let Some((previous, cell)) = via[at] {
                    cells.push(cell);
                    at = previous;
                }
                return Some((distance, cells));
            }
            let steps: Vec<(usize, usize, Direction)> = if node < self.rows {
                (0..self.columns)
                    .map(|c| (self.index(node, c), column_node(c), Direction::RowToColumn))
                    .collect()
            } else {
                let c = node - self.rows;
                (0..self.rows)
                    .map(|r| (self.index(r, c), row_node(r), Direction::ColumnToRow))
                    .collect()
            };
            for (cell, next, step) in steps {
                let (r, c) = (cell / self.columns, cell % self.columns);
                if cell == origin || !self.can_move(r, c, step) {
                    continue;
                }
                let Some(weight) = (if hidden[cell] {
                    Some(0)
                } else {
                    visible_cost(cell)
                }) else {
                    continue;
                };
                let candidate = distance.saturating_add(weight);
                if candidate < best[next] {
                    best[next] = candidate;
                    via[next] = Some((node, cell));
                    queue.push(Reverse((candidate, next)));
                }
            }
        }
        None
    }
}

#[cfg(test)]
mod tests;
