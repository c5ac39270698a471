//! NumPy's legacy `numpy.random.RandomState(seed)`, reduced to what batching needs.
//!
//! Owns the random stream that decides the order of training examples. TensorFlow 1.x
//! `mnist.DataSet.next_batch` shuffled with the legacy NumPy generator; to reproduce
//! its batches bit for bit this module re-implements exactly the pieces involved:
//! MT19937 seeded with `init_genrand(seed)` (the `rand_mt` crate), NumPy's bounded
//! draw `random_interval` (masked rejection sampling) and the Fisher-Yates loop of
//! `RandomState.shuffle` for a 1-D array. The generator state is summarised by
//! `(seed, draws)` — the number of 32-bit outputs consumed — so it can be stored in
//! a checkpoint and restored by replaying the draws.
//!
//! Pinned against NumPy by `tests/vectors/shuffle.json` (see `python/make_vectors.py`).

use rand_mt::Mt;

/// The legacy NumPy random state, tracking how many 32-bit outputs it has consumed.
#[derive(Debug, Clone)]
pub struct NumpyRandomState {
    seed: u32,
    draws: u64,
    mt: Mt,
}

impl NumpyRandomState {
    /// Same stream as `numpy.random.RandomState(seed)` (or `numpy.random.seed(seed)`).
    pub fn new(seed: u32) -> Self {
        Self {
            seed,
            draws: 0,
            mt: Mt::new(seed),
        }
    }

    /// Restores a state saved as `(seed(), draws())` by replaying `draws` outputs.
    /// Costs about a nanosecond per draw.
    pub fn from_seed_and_draws(seed: u32, draws: u64) -> Self {
        let mut state = Self::new(seed);
        for _ in 0..draws {
            state.next_u32();
        }
        state
    }

    /// The seed this stream started from.
    pub fn seed(&self) -> u32 {
        self.seed
    }

    /// How many 32-bit outputs have been consumed since seeding.
    pub fn draws(&self) -> u64 {
        self.draws
    }

    /// The next raw MT19937 output (NumPy's `next_uint32`).
    pub fn next_u32(&mut self) -> u32 {
        self.draws += 1;
        self.mt.next_u32()
    }

    /// NumPy's `next_uint64` for MT19937: two outputs, the first in the high half.
    fn next_u64(&mut self) -> u64 {
        let high = u64::from(self.next_u32());
        (high << 32) | u64::from(self.next_u32())
    }

    /// NumPy's legacy `random_interval(max)`: uniform in `0..=max` by masked
    /// rejection; `max == 0` returns 0 without drawing.
    pub fn random_interval(&mut self, max: u64) -> u64 {
        if max == 0 {
            return 0;
        }
        let mask = u64::MAX >> max.leading_zeros();
        loop {
            let value = if max <= u64::from(u32::MAX) {
                u64::from(self.next_u32())
            } else {
                self.next_u64()
            } & mask;
            if value <= max {
                return value;
            }
        }
    }

    /// `RandomState.shuffle` of a 1-D array, in place: Fisher-Yates from the end.
    ///
    /// Applying it to any slice reorders it exactly as `x[permutation]` would, where
    /// `permutation` is what the same call would have made of `arange(len)`.
    pub fn shuffle<T>(&mut self, values: &mut [T]) {
        for i in (1..values.len()).rev() {
            // usize -> u64 is lossless on every supported target, and j <= i.
            let j = self.random_interval(i as u64) as usize;
            values.swap(i, j);
        }
    }

    /// `RandomState.permutation(n)`: a shuffled `0..n`.
    pub fn permutation(&mut self, n: u32) -> Vec<u32> {
        let mut values: Vec<u32> = (0..n).collect();
        self.shuffle(&mut values);
        values
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;

    #[derive(Deserialize)]
    struct Vectors {
        generated_by: String,
        raw: Vec<Raw>,
        permutations: Vec<Permutation>,
    }

    #[derive(Deserialize)]
    struct Raw {
        seed: u32,
        first_u32: Vec<u32>,
    }

    #[derive(Deserialize)]
    struct Permutation {
        seed: u32,
        n: u32,
        prefix_len: usize,
        first_permutation: Vec<u32>,
        second_permutation: Vec<u32>,
    }

    fn vectors() -> Vectors {
        serde_json::from_str(include_str!("../../tests/vectors/shuffle.json")).unwrap()
    }

    #[test]
    fn vectors_name_their_generator() {
        assert!(vectors().generated_by.contains("make_vectors.py"));
    }

    #[test]
    fn raw_outputs_match_numpy_seeding() {
        let vectors = vectors();
        assert!(vectors.raw.iter().any(|raw| raw.seed == u32::MAX));
        for raw in vectors.raw {
            let mut state = NumpyRandomState::new(raw.seed);
            let got: Vec<u32> = (0..raw.first_u32.len()).map(|_| state.next_u32()).collect();
            assert_eq!(got, raw.first_u32, "seed {}", raw.seed);
            assert_eq!(state.draws(), raw.first_u32.len() as u64);
        }
    }

    #[test]
    fn permutations_match_numpy() {
        let vectors = vectors();
        assert!(vectors.permutations.len() >= 10);
        for case in vectors.permutations {
            let mut state = NumpyRandomState::new(case.seed);
            let first = state.permutation(case.n);
            let second = state.permutation(case.n);
            assert_eq!(
                &first[..case.prefix_len],
                case.first_permutation,
                "seed {} n {}",
                case.seed,
                case.n
            );
            assert_eq!(
                &second[..case.prefix_len],
                case.second_permutation,
                "seed {} n {}",
                case.seed,
                case.n
            );
        }
    }

    #[test]
    fn known_mnist_permutation_prefix() {
        let permutation = NumpyRandomState::new(0).permutation(55_000);
        assert_eq!(permutation[..4], [2921, 53711, 27402, 14832]);
    }

    #[test]
    fn tiny_shuffles_draw_as_numpy_does() {
        let mut state = NumpyRandomState::new(5);
        assert_eq!(state.permutation(0), Vec::<u32>::new());
        assert_eq!(state.permutation(1), vec![0]);
        assert_eq!(state.draws(), 0, "n <= 1 must not draw");
        state.permutation(2);
        assert_eq!(
            state.draws(),
            1,
            "random_interval(1) always accepts its first draw"
        );
        assert_eq!(state.random_interval(0), 0);
        assert_eq!(state.draws(), 1, "random_interval(0) must not draw");
    }

    #[test]
    fn random_interval_stays_in_range_and_masks() {
        let mut state = NumpyRandomState::new(11);
        for max in [1u64, 2, 3, 5, 9, 54_999, u64::from(u32::MAX), 1 << 40] {
            for _ in 0..200 {
                assert!(state.random_interval(max) <= max);
            }
        }
        // The mask for 5 is 7: a draw is accepted iff its low 3 bits are <= 5.
        let mut reference = NumpyRandomState::new(3);
        let mut state = NumpyRandomState::new(3);
        let value = state.random_interval(5);
        let expected = loop {
            let low = reference.next_u32() & 7;
            if low <= 5 {
                break u64::from(low);
            }
        };
        assert_eq!(value, expected);
        assert_eq!(state.draws(), reference.draws());
    }

    #[test]
    fn wide_intervals_draw_two_outputs_high_first() {
        let mut reference = NumpyRandomState::new(9);
        let max = (1u64 << 33) - 1; // mask == max, so the first draw is accepted
        let expected = (u64::from(reference.next_u32()) << 32) | u64::from(reference.next_u32());
        let mut state = NumpyRandomState::new(9);
        assert_eq!(state.random_interval(max), expected & max);
        assert_eq!(state.draws(), 2);
    }

    #[test]
    fn shuffling_any_slice_applies_the_permutation_of_arange() {
        let base: Vec<u32> = (0..50).map(|i| 1000 + 7 * i).collect();
        let mut shuffled = base.clone();
        NumpyRandomState::new(77).shuffle(&mut shuffled);
        let permutation = NumpyRandomState::new(77).permutation(50);
        let composed: Vec<u32> = permutation.iter().map(|&p| base[p as usize]).collect();
        assert_eq!(shuffled, composed);
        assert_ne!(shuffled, base);
    }

    #[test]
    fn restoring_from_seed_and_draws_continues_identically() {
        let mut original = NumpyRandomState::new(42);
        original.permutation(1000);
        original.permutation(37);
        let mut restored = NumpyRandomState::from_seed_and_draws(original.seed(), original.draws());
        assert_eq!(restored.draws(), original.draws());
        assert_eq!(restored.permutation(500), original.permutation(500));
        assert_eq!(restored.next_u32(), original.next_u32());
        // Off by one draw gives a different continuation.
        let mut off = NumpyRandomState::from_seed_and_draws(42, original.draws() - 1);
        assert_ne!(off.permutation(500), original.permutation(500));
    }
}
