//! A small deterministic random source (SplitMix64) and weighted / Zipf sampling: the
//! benchmark's directory and queries must be the same on every machine and every version of
//! any random crate, so they are generated from this alone.

/// SplitMix64: fast, well mixed, and one `u64` of state.
#[derive(Debug, Clone)]
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        let mut rng = Rng(seed);
        rng.next_u64();
        rng
    }

    /// An independent stream for item `i` of stream `stream`: document `i` is then the same
    /// whatever else was generated before it.
    pub fn for_item(seed: u64, stream: u64, i: u64) -> Rng {
        Rng::new(
            seed ^ stream.wrapping_mul(0x9E37_79B9_7F4A_7C15)
                ^ i.wrapping_mul(0xD1B5_4A32_D192_ED03),
        )
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in `0..n` (`n` > 0).
    pub fn below(&mut self, n: usize) -> usize {
        debug_assert!(n > 0);
        // Lemire's multiply-shift: no modulo bias worth speaking of at these sizes.
        ((u128::from(self.next_u64()) * n as u128) >> 64) as usize
    }

    /// Uniform in `[0, 1)`.
    pub fn unit(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }

    pub fn chance(&mut self, p: f64) -> bool {
        self.unit() < p
    }

    /// Uniform in `[lo, hi)`.
    pub fn range_f64(&mut self, lo: f64, hi: f64) -> f64 {
        lo + (hi - lo) * self.unit()
    }

    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }
}

/// Sampling an index with given weights (cumulative table, binary search).
#[derive(Debug, Clone)]
pub struct Weighted {
    cumulative: Vec<f64>,
}

impl Weighted {
    pub fn new(weights: impl IntoIterator<Item = f64>) -> Weighted {
        let mut total = 0.0;
        let cumulative: Vec<f64> = weights
            .into_iter()
            .map(|w| {
                total += w.max(0.0);
                total
            })
            .collect();
        assert!(total > 0.0, "weights must not all be zero");
        Weighted { cumulative }
    }

    /// Zipf over `n` ranks: rank `r` (0-based) has weight `1 / (r + 1)^s`.
    pub fn zipf(n: usize, s: f64) -> Weighted {
        Weighted::new((1..=n).map(|r| 1.0 / (r as f64).powf(s)))
    }

    pub fn sample(&self, rng: &mut Rng) -> usize {
        let total = *self.cumulative.last().expect("not empty");
        let u = rng.unit() * total;
        self.cumulative
            .partition_point(|c| *c <= u)
            .min(self.cumulative.len() - 1)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn streams_are_reproducible_and_distinct() {
        let a: Vec<u64> = (0..4).map(|_| Rng::for_item(7, 1, 3).next_u64()).collect();
        assert!(a.windows(2).all(|w| w[0] == w[1]));
        assert_ne!(
            Rng::for_item(7, 1, 3).next_u64(),
            Rng::for_item(7, 1, 4).next_u64()
        );
        assert_ne!(
            Rng::for_item(7, 1, 3).next_u64(),
            Rng::for_item(7, 2, 3).next_u64()
        );
    }

    #[test]
    fn zipf_prefers_the_first_ranks() {
        let z = Weighted::zipf(100, 1.0);
        let mut rng = Rng::new(1);
        let mut counts = [0usize; 100];
        for _ in 0..20_000 {
            counts[z.sample(&mut rng)] += 1;
        }
        assert!(counts[0] > counts[1] && counts[1] > counts[9] && counts[9] > counts[99]);
        // Rank 1 gets about 1 / H(100) ≈ 19%.
        assert!((3000..5000).contains(&counts[0]), "{}", counts[0]);
    }
}
