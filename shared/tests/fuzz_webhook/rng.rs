//! A small, fast, deterministic PRNG (SplitMix64). Every case gets its own generator derived
//! from the run seed and the case number, so any single case can be replayed on its own.

pub struct Rng(u64);

/// The SplitMix64 output function: a good 64-bit mixer.
fn mix(mut z: u64) -> u64 {
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

impl Rng {
    /// The generator of case `case` in the run with `seed`.
    pub fn for_case(seed: u64, case: u64) -> Self {
        Self(seed ^ mix(case.wrapping_add(0x9E37_79B9_7F4A_7C15)))
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        mix(self.0)
    }

    /// Uniform in `0..n`; `n` must not be zero.
    pub fn below(&mut self, n: usize) -> usize {
        ((u128::from(self.next_u64()) * n as u128) >> 64) as usize
    }

    /// Uniform in `lo..=hi`.
    pub fn between(&mut self, lo: usize, hi: usize) -> usize {
        lo + self.below(hi - lo + 1)
    }

    /// True with probability `1 / den`.
    pub fn one_in(&mut self, den: usize) -> bool {
        self.below(den) == 0
    }

    pub fn percent(&mut self, p: usize) -> bool {
        self.below(100) < p
    }

    pub fn pick<'a, T>(&mut self, xs: &'a [T]) -> &'a T {
        &xs[self.below(xs.len())]
    }

    pub fn byte(&mut self) -> u8 {
        self.next_u64() as u8
    }

    pub fn bytes(&mut self, n: usize) -> Vec<u8> {
        (0..n).map(|_| self.byte()).collect()
    }

    /// Small numbers much more often than large ones: lengths, counts, depths.
    pub fn skewed(&mut self, max: usize) -> usize {
        let bits = self.below(usize::BITS as usize - max.leading_zeros() as usize + 1);
        self.below((1usize << bits).min(max) + 1).min(max)
    }

    pub fn digits(&mut self, len: usize) -> String {
        (0..len)
            .map(|i| {
                let d = self.below(10) as u8;
                // No leading zero: real numbers do not have one.
                char::from(b'0' + if i == 0 && d == 0 { 1 } else { d })
            })
            .collect()
    }
}
