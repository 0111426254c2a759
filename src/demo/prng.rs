//! A small seeded pseudo-random generator (SplitMix64) for the demo: the same seed gives the same
//! numbers on every platform, because only integer arithmetic and correctly rounded `f64`
//! operations (`+ - * /`) are used — no platform `libm` call such as `f64::ln`.

/// SplitMix64 (Steele, Lea & Flood 2014): one `u64` of state, good statistical quality for
/// simulation, and trivially portable.
#[derive(Debug, Clone)]
pub(crate) struct SplitMix64 {
    state: u64,
}

impl SplitMix64 {
    /// A generator whose whole output is determined by `seed`.
    pub(crate) fn new(seed: u64) -> Self {
        Self { state: seed }
    }

    /// The next 64 random bits.
    pub(crate) fn next_u64(&mut self) -> u64 {
        self.state = self.state.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.state;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A uniform integer in `0..n` (`0` when `n == 0`), by Lemire's multiply-shift.
    pub(crate) fn below(&mut self, n: u64) -> u64 {
        ((u128::from(self.next_u64()) * u128::from(n)) >> 64) as u64
    }

    /// A uniform integer in `lo..=hi` (`lo` when `hi < lo`).
    pub(crate) fn range(&mut self, lo: u64, hi: u64) -> u64 {
        if hi <= lo {
            return lo;
        }
        lo + self.below(hi - lo + 1)
    }

    /// A uniform `f64` in `[0, 1)` with 53 random bits.
    pub(crate) fn unit(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
    }

    /// A uniform `f64` in `[lo, hi)`.
    pub(crate) fn uniform(&mut self, lo: f64, hi: f64) -> f64 {
        lo + (hi - lo) * self.unit()
    }

    /// `true` with probability `p`.
    pub(crate) fn chance(&mut self, p: f64) -> bool {
        self.unit() < p
    }

    /// One item of a non-empty slice, uniformly.
    pub(crate) fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        let i = self.below(items.len() as u64) as usize;
        &items[i.min(items.len().saturating_sub(1))]
    }

    /// One value of a non-empty weighted table, with probability proportional to its weight.
    pub(crate) fn weighted<T: Copy>(&mut self, table: &[(T, u32)]) -> T {
        table[self.weighted_index(table.iter().map(|&(_, w)| w))].0
    }

    /// The index of one weight, with probability proportional to it (weights must not all be 0).
    pub(crate) fn weighted_index(&mut self, weights: impl Iterator<Item = u32> + Clone) -> usize {
        let total: u64 = weights.clone().map(u64::from).sum();
        let mut roll = self.below(total);
        let mut last = 0;
        for (i, weight) in weights.enumerate() {
            if roll < u64::from(weight) {
                return i;
            }
            roll -= u64::from(weight);
            last = i;
        }
        last
    }

    /// An exponentially distributed `f64` with the given mean (Poisson-process gaps).
    pub(crate) fn exponential(&mut self, mean: f64) -> f64 {
        // 1 - unit() lies in (0, 1], so the logarithm is finite and <= 0.
        -mean * portable_ln(1.0 - self.unit())
    }

    /// `n` random lowercase hex digits.
    pub(crate) fn hex(&mut self, n: usize) -> String {
        const DIGITS: &[u8; 16] = b"0123456789abcdef";
        let mut out = String::with_capacity(n);
        let mut bits = 0u64;
        for i in 0..n {
            if i % 16 == 0 {
                bits = self.next_u64();
            }
            out.push(char::from(DIGITS[(bits & 0xf) as usize]));
            bits >>= 4;
        }
        out
    }

    /// `n` random decimal digits.
    pub(crate) fn digits(&mut self, n: usize) -> String {
        (0..n)
            .map(|_| char::from(b'0' + self.below(10) as u8))
            .collect()
    }
}

/// Natural logarithm of a positive, finite, normal `x` using only correctly rounded arithmetic,
/// so that it gives bit-identical results everywhere (std's `ln` defers to the platform libm).
pub(crate) fn portable_ln(x: f64) -> f64 {
    const LN_2: f64 = std::f64::consts::LN_2;
    const SQRT_2: f64 = std::f64::consts::SQRT_2;
    if x.is_nan() || x <= 0.0 {
        return f64::NEG_INFINITY;
    }
    let bits = x.to_bits();
    let mut exponent = ((bits >> 52) & 0x7ff) as i64 - 1023;
    // Mantissa in [1, 2), then folded into [sqrt(2)/2, sqrt(2)] to speed up the series.
    let mut m = f64::from_bits((bits & ((1u64 << 52) - 1)) | (1023u64 << 52));
    if m > SQRT_2 {
        m /= 2.0;
        exponent += 1;
    }
    // ln(m) = 2 * atanh(s) = 2 * (s + s^3/3 + s^5/5 + ...), with |s| <= 0.172.
    let s = (m - 1.0) / (m + 1.0);
    let s2 = s * s;
    let mut term = s;
    let mut sum = 0.0;
    let mut k = 1.0;
    for _ in 0..14 {
        sum += term / k;
        term *= s2;
        k += 2.0;
    }
    exponent as f64 * LN_2 + 2.0 * sum
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_seed_same_stream_and_known_first_value() {
        let mut a = SplitMix64::new(1234567);
        let mut b = SplitMix64::new(1234567);
        let xs: Vec<u64> = (0..8).map(|_| a.next_u64()).collect();
        let ys: Vec<u64> = (0..8).map(|_| b.next_u64()).collect();
        assert_eq!(xs, ys);
        // Reference value of SplitMix64 for seed 1234567 (from the published C code).
        assert_eq!(xs[0], 6_457_827_717_110_365_317);
    }

    #[test]
    fn portable_ln_matches_std_closely() {
        for &x in &[1e-12, 0.001, 0.1, 0.5, 0.7, 1.0, 1.5, 2.0, 10.0, 12345.678] {
            let diff = (portable_ln(x) - f64::ln(x)).abs();
            assert!(
                diff < 1e-12,
                "ln({x}): {} vs {}",
                portable_ln(x),
                f64::ln(x)
            );
        }
    }

    #[test]
    fn below_and_range_stay_in_bounds() {
        let mut r = SplitMix64::new(7);
        for _ in 0..10_000 {
            assert!(r.below(6) < 6);
            let v = r.range(3, 5);
            assert!((3..=5).contains(&v));
            let u = r.unit();
            assert!((0.0..1.0).contains(&u));
        }
        assert_eq!(r.below(0), 0);
    }

    #[test]
    fn exponential_mean_is_about_right() {
        let mut r = SplitMix64::new(99);
        let n = 20_000;
        let mean = (0..n).map(|_| r.exponential(2.0)).sum::<f64>() / f64::from(n);
        assert!((mean - 2.0).abs() < 0.1, "mean {mean}");
    }
}
