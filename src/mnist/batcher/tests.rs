//! The batch order against the vectors TF 1.x recorded, epochs, buffers and saved states.

use serde::Deserialize;

use super::*;
use crate::mnist::dataset::pixel_to_f32;

#[derive(Deserialize)]
struct BatchVectors {
    generated_by: String,
    cases: Vec<BatchCase>,
}

#[derive(Deserialize)]
struct BatchCase {
    n: usize,
    batch_size: usize,
    seed: u32,
    calls: usize,
    batches: Vec<RecordedBatch>,
}

#[derive(Deserialize)]
struct RecordedBatch {
    call: usize,
    indices: Vec<u32>,
    epochs_completed: u64,
    index_in_epoch: usize,
}

fn batch_vectors() -> BatchVectors {
    serde_json::from_str(include_str!("../../../tests/vectors/next_batch.json")).unwrap()
}

/// A data set whose image `i` is all `i % 256` and whose label is `i % 10`.
fn indexed_data(n: usize) -> DataSet {
    let pixels: Vec<u8> = (0..n)
        .flat_map(|i| [(i % 256) as u8; IMAGE_PIXELS])
        .collect();
    let labels: Vec<u8> = (0..n).map(|i| (i % 10) as u8).collect();
    DataSet::from_bytes(&pixels, &labels, "indexed").unwrap()
}

fn error<T: std::fmt::Debug>(result: Result<T>) -> String {
    format!("{:#}", result.unwrap_err())
}

#[test]
fn next_batch_matches_tensorflow() {
    let vectors = batch_vectors();
    assert!(vectors.generated_by.contains("make_vectors.py"));
    assert!(vectors.cases.len() >= 8);
    for case in vectors.cases {
        let mut batcher = Batcher::new(case.n, case.seed).unwrap();
        let mut recorded = case.batches.iter().peekable();
        let mut indices = vec![0u32; case.batch_size];
        for call in 0..case.calls {
            batcher.next_batch_indices_into(&mut indices).unwrap();
            if let Some(batch) = recorded.next_if(|batch| batch.call == call) {
                let context = format!(
                    "n {} batch {} seed {} call {call}",
                    case.n, case.batch_size, case.seed
                );
                assert_eq!(indices, batch.indices, "{context}");
                assert_eq!(
                    batcher.epochs_completed(),
                    batch.epochs_completed,
                    "{context}"
                );
                assert_eq!(batcher.index_in_epoch(), batch.index_in_epoch, "{context}");
            }
        }
        assert!(
            recorded.next().is_none(),
            "unreplayed batches for n {}",
            case.n
        );
    }
}

#[test]
fn batches_cross_epochs_without_losing_examples() {
    // n = 10, batch = 3: every epoch hands out each example exactly once, even
    // though batches straddle the epoch boundaries.
    let mut batcher = Batcher::new(10, 0).unwrap();
    let mut seen = Vec::new();
    let mut indices = [0u32; 3];
    for _ in 0..10 {
        batcher.next_batch_indices_into(&mut indices).unwrap();
        seen.extend_from_slice(&indices);
    }
    for epoch in seen.chunks_exact(10) {
        let mut sorted = epoch.to_vec();
        sorted.sort_unstable();
        assert_eq!(sorted, (0..10).collect::<Vec<u32>>());
    }
    // As in TF, an epoch counts as completed only when a batch runs past its end:
    // the third epoch ended exactly with the last batch, so the next call counts it.
    assert_eq!(
        (batcher.epochs_completed(), batcher.index_in_epoch()),
        (2, 10)
    );
    batcher.next_batch_indices_into(&mut indices).unwrap();
    assert_eq!(
        (batcher.epochs_completed(), batcher.index_in_epoch()),
        (3, 3)
    );
}

#[test]
fn next_batch_into_copies_the_chosen_rows() {
    let data = indexed_data(300);
    let mut batcher = Batcher::new(300, 17).unwrap();
    let mut reference = Batcher::new(300, 17).unwrap();
    let batch = 64;
    let mut images = vec![f32::NAN; batch * IMAGE_PIXELS];
    let mut labels = vec![f32::NAN; batch * NUM_CLASSES];
    let mut indices = vec![0u32; batch];
    for _ in 0..12 {
        batcher
            .next_batch_into(&data, &mut images, &mut labels)
            .unwrap();
        reference.next_batch_indices_into(&mut indices).unwrap();
        for (slot, &index) in indices.iter().enumerate() {
            let index = index as usize;
            assert_eq!(
                &images[slot * IMAGE_PIXELS..(slot + 1) * IMAGE_PIXELS],
                data.image(index)
            );
            assert_eq!(
                &labels[slot * NUM_CLASSES..(slot + 1) * NUM_CLASSES],
                data.one_hot_row(index)
            );
            assert_eq!(
                images[slot * IMAGE_PIXELS],
                pixel_to_f32((index % 256) as u8)
            );
        }
    }
    assert!(batcher.epochs_completed() >= 2);
}

#[test]
fn next_batch_into_rejects_bad_buffers() {
    let data = indexed_data(5);
    let mut batcher = Batcher::new(5, 0).unwrap();
    let err = error(batcher.next_batch_into(&data, &mut [0.0; 2 * IMAGE_PIXELS], &mut [0.0; 30]));
    assert!(
        err.contains("images hold 1568 values and labels 30"),
        "{err}"
    );
    let err = error(batcher.next_batch_into(&data, &mut [0.0; 100], &mut [0.0; 0]));
    assert!(err.contains("batch buffers do not fit together"), "{err}");
    let err = error(batcher.next_batch_into(&data, &mut [0.0; 6 * IMAGE_PIXELS], &mut [0.0; 60]));
    assert!(
        err.contains("batch size 6 is not possible with 5 examples"),
        "{err}"
    );
    let err = error(batcher.next_batch_into(&data, &mut [], &mut []));
    assert!(err.contains("batch size 0 is not possible"), "{err}");
    let err =
        error(batcher.next_batch_into(&indexed_data(6), &mut [0.0; IMAGE_PIXELS], &mut [0.0; 10]));
    assert!(
        err.contains("made for 5 examples but the data set has 6"),
        "{err}"
    );
    // Nothing above consumed randomness or moved the position.
    assert_eq!(batcher.state(), Batcher::new(5, 0).unwrap().state());
}

#[test]
fn batcher_rejects_empty_data() {
    assert!(error(Batcher::new(0, 0)).contains("cannot batch an empty data set"));
}

#[test]
fn state_round_trip_continues_identically() {
    for (n, batch, calls_before) in [
        (10, 3, 0),
        (10, 3, 1),
        (10, 3, 7),
        (7, 7, 3),
        (1, 1, 4),
        (1000, 128, 40),
    ] {
        let mut original = Batcher::new(n, 2017).unwrap();
        let mut indices = vec![0u32; batch];
        for _ in 0..calls_before {
            original.next_batch_indices_into(&mut indices).unwrap();
        }
        let json = serde_json::to_string(&original.state()).unwrap();
        let state: BatchState = serde_json::from_str(&json).unwrap();
        let mut restored = Batcher::from_state(state, n).unwrap();
        assert_eq!(restored.state(), original.state());
        let mut restored_indices = vec![0u32; batch];
        for _ in 0..25 {
            original.next_batch_indices_into(&mut indices).unwrap();
            restored
                .next_batch_indices_into(&mut restored_indices)
                .unwrap();
            assert_eq!(
                restored_indices, indices,
                "n {n} batch {batch} after {calls_before}"
            );
        }
        assert_eq!(restored.epochs_completed(), original.epochs_completed());
    }
}

fn started_state() -> BatchState {
    let mut batcher = Batcher::new(10, 5).unwrap();
    let mut indices = [0u32; 4];
    for _ in 0..4 {
        batcher.next_batch_indices_into(&mut indices).unwrap();
    }
    batcher.state()
}

#[test]
fn damaged_states_are_rejected() {
    let state = started_state();
    assert_eq!((state.epochs_completed, state.index_in_epoch), (1, 6));
    assert!(Batcher::from_state(state.clone(), 10).is_ok());

    let err = error(Batcher::from_state(state.clone(), 11));
    assert!(
        err.contains("covers 10 examples but the data set has 11"),
        "{err}"
    );

    let mut past_end = state.clone();
    past_end.index_in_epoch = 11;
    let err = error(Batcher::from_state(past_end, 10));
    assert!(
        err.contains("position 11 is past the end of the 10 examples"),
        "{err}"
    );

    let mut swapped = state.clone();
    swapped.order.swap(0, 1);
    let err = error(Batcher::from_state(swapped, 10));
    assert!(
        err.contains("the saved batch state is inconsistent"),
        "{err}"
    );

    for draws in [state.draws - 1, state.draws + 1, 0, u64::MAX] {
        let mut wrong = state.clone();
        wrong.draws = draws;
        assert!(Batcher::from_state(wrong, 10).is_err(), "draws {draws}");
    }

    let mut epochs = state.clone();
    epochs.epochs_completed = 2;
    assert!(Batcher::from_state(epochs, 10).is_err());
    let mut huge = state.clone();
    huge.epochs_completed = u64::MAX;
    assert!(Batcher::from_state(huge, 10).is_err());

    let mut seed = state;
    seed.seed += 1;
    assert!(Batcher::from_state(seed, 10).is_err());

    let mut fresh = Batcher::new(10, 5).unwrap().state();
    fresh.draws = 3;
    assert!(Batcher::from_state(fresh, 10).is_err());
}
