//! The batch order of TF 1.x `DataSet.next_batch(batch_size, shuffle=True)`.
//!
//! A [`Batcher`] hands out the examples of a [`DataSet`] in the order TF 1.x did, driven by
//! its own [`NumpyRandomState`], writing batches straight into caller buffers (`[b, 784]`
//! images and `[b, 10]` one-hot labels); it can save and restore its position as a
//! [`BatchState`], which checkpoints store. Pinned against TF 1.x by
//! `tests/vectors/next_batch.json` (see `python/make_vectors.py`).

use anyhow::{ensure, Context, Result};
use serde::{Deserialize, Serialize};

use super::dataset::{DataSet, IMAGE_PIXELS, NUM_CLASSES};
use super::shuffle::NumpyRandomState;

/// The saved position of a [`Batcher`]: enough to continue the exact batch sequence.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BatchState {
    /// Seed of the batcher's `numpy.random.RandomState`.
    pub seed: u32,
    /// 32-bit random outputs consumed so far.
    pub draws: u64,
    /// Current epoch's order: position `i` holds the index of an original example.
    pub order: Vec<u32>,
    /// Examples of the current epoch already handed out.
    pub index_in_epoch: u64,
    /// Completed passes over the data.
    pub epochs_completed: u64,
}

/// TF 1.x `DataSet.next_batch(batch_size, shuffle=True)` over `n` examples.
///
/// The first call shuffles `arange(n)`; a batch that runs past the end of the epoch
/// takes the rest of it, reshuffles and completes from the start of the new order. TF
/// permuted the arrays themselves (`images = images[perm]`), which composes the
/// permutations; `order` holds that composition, and shuffling it in place with the
/// same generator is the same composition (see [`NumpyRandomState::shuffle`]).
#[derive(Debug, Clone)]
pub struct Batcher {
    rng: NumpyRandomState,
    order: Vec<u32>,
    index_in_epoch: usize,
    epochs_completed: u64,
}

impl Batcher {
    /// A batcher over `n` examples whose shuffles use `numpy.random.RandomState(seed)`.
    pub fn new(n: usize, seed: u32) -> Result<Self> {
        let count = u32::try_from(n).with_context(|| {
            format!(
                "cannot batch {n} examples: at most {} are supported",
                u32::MAX
            )
        })?;
        ensure!(
            count > 0,
            "cannot batch an empty data set: it has no examples"
        );
        Ok(Self {
            rng: NumpyRandomState::new(seed),
            order: (0..count).collect(),
            index_in_epoch: 0,
            epochs_completed: 0,
        })
    }

    /// Number of examples batched over.
    pub fn len(&self) -> usize {
        self.order.len()
    }

    /// Always false: a batcher has at least one example.
    pub fn is_empty(&self) -> bool {
        self.order.is_empty()
    }

    /// Completed passes over the data (TF's `epochs_completed`).
    pub fn epochs_completed(&self) -> u64 {
        self.epochs_completed
    }

    /// Examples of the current epoch already handed out (TF's `_index_in_epoch`).
    pub fn index_in_epoch(&self) -> usize {
        self.index_in_epoch
    }

    fn check_batch_size(&self, batch_size: usize) -> Result<()> {
        ensure!(
            (1..=self.order.len()).contains(&batch_size),
            "batch size {batch_size} is not possible with {} examples: use a batch size \
             between 1 and the number of examples",
            self.order.len()
        );
        Ok(())
    }

    /// Advances by one batch, calling `take(slot, example)` for each batch slot.
    /// `batch_size` must be in `1..=len()`. TF 1.x shuffled before the first batch and,
    /// when a batch ran past the end of an epoch, after taking the epoch's last examples.
    fn advance(&mut self, batch_size: usize, mut take: impl FnMut(usize, usize)) {
        if self.epochs_completed == 0 && self.index_in_epoch == 0 {
            self.rng.shuffle(&mut self.order);
        }
        for slot in 0..batch_size {
            if self.index_in_epoch == self.order.len() {
                self.epochs_completed += 1;
                self.rng.shuffle(&mut self.order);
                self.index_in_epoch = 0;
            }
            take(slot, self.order[self.index_in_epoch] as usize);
            self.index_in_epoch += 1;
        }
    }

    /// Fills `indices` (one per batch slot) with the examples of the next batch.
    pub fn next_batch_indices_into(&mut self, indices: &mut [u32]) -> Result<()> {
        self.check_batch_size(indices.len())?;
        self.advance(indices.len(), |slot, example| {
            indices[slot] = example as u32
        });
        Ok(())
    }

    /// Writes the next batch of `data` into `images` (`batch * 784` values) and
    /// one-hot `labels` (`batch * 10` values); the batch size follows from the buffers.
    pub fn next_batch_into(
        &mut self,
        data: &DataSet,
        images: &mut [f32],
        labels: &mut [f32],
    ) -> Result<()> {
        ensure!(
            data.len() == self.order.len(),
            "this batcher was made for {} examples but the data set has {}",
            self.order.len(),
            data.len()
        );
        let batch_size = images.len() / IMAGE_PIXELS;
        ensure!(
            images.len().is_multiple_of(IMAGE_PIXELS) && labels.len() == batch_size * NUM_CLASSES,
            "batch buffers do not fit together: images hold {} values and labels {}, but a \
             batch of b examples needs b * {IMAGE_PIXELS} image values and b * {NUM_CLASSES} \
             label values",
            images.len(),
            labels.len()
        );
        self.check_batch_size(batch_size)?;
        self.advance(batch_size, |slot, example| {
            images[slot * IMAGE_PIXELS..(slot + 1) * IMAGE_PIXELS]
                .copy_from_slice(data.image(example));
            labels[slot * NUM_CLASSES..(slot + 1) * NUM_CLASSES]
                .copy_from_slice(data.one_hot_row(example));
        });
        Ok(())
    }

    /// The position to save in a checkpoint.
    pub fn state(&self) -> BatchState {
        BatchState {
            seed: self.rng.seed(),
            draws: self.rng.draws(),
            order: self.order.clone(),
            index_in_epoch: self.index_in_epoch as u64,
            epochs_completed: self.epochs_completed,
        }
    }

    /// Restores a batcher over `n` examples from a saved [`BatchState`].
    ///
    /// The state is verified by replaying it: the seed, shuffled `1 + epochs_completed`
    /// times (once if no batch was taken yet: then none), must give exactly the saved
    /// order and number of draws. Replay costs one pass over the order per epoch.
    pub fn from_state(state: BatchState, n: usize) -> Result<Self> {
        let mut batcher = Self::new(n, state.seed)?;
        ensure!(
            state.order.len() == n,
            "the saved batch order covers {} examples but the data set has {n}: the \
             checkpoint belongs to a different data set",
            state.order.len()
        );
        let index_in_epoch = usize::try_from(state.index_in_epoch)
            .ok()
            .filter(|&index| index <= n)
            .with_context(|| {
                format!(
                    "the saved batch position {} is past the end of the {n} examples: the \
                     checkpoint is damaged",
                    state.index_in_epoch
                )
            })?;
        let started = state.epochs_completed > 0 || index_in_epoch > 0;
        if started {
            // A shuffle of n >= 2 examples draws at least n - 1 times, so comparing with
            // the saved draws bounds the replay even for a damaged epoch count.
            let mut shuffles = 0u64;
            while shuffles <= state.epochs_completed && batcher.rng.draws() <= state.draws {
                batcher.rng.shuffle(&mut batcher.order);
                shuffles += 1;
                if n == 1 {
                    break;
                }
            }
        }
        ensure!(
            batcher.rng.draws() == state.draws && batcher.order == state.order,
            "the saved batch state is inconsistent: replaying seed {} for {} epochs does not \
             give the saved order and {} random draws: the checkpoint is damaged or was \
             written for other data",
            state.seed,
            state.epochs_completed,
            state.draws
        );
        batcher.index_in_epoch = index_in_epoch;
        batcher.epochs_completed = state.epochs_completed;
        Ok(batcher)
    }
}

#[cfg(test)]
mod tests;
