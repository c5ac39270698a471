//! The confusion matrix of a classifier over the ten digits, with per-class precision and
//! recall, as `evaluate` prints it.

use crate::mnist::dataset::NUM_CLASSES;
use crate::output::format::format_g;
use crate::output::table::{self, Column};

/// Counts of (true digit, predicted digit) pairs.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Confusion {
    /// `counts[truth][predicted]`.
    pub counts: [[u64; NUM_CLASSES]; NUM_CLASSES],
}

impl Confusion {
    /// Records one image; digits outside 0..=9 are a caller's bug and are ignored.
    pub fn add(&mut self, truth: usize, predicted: usize) {
        if truth < NUM_CLASSES && predicted < NUM_CLASSES {
            self.counts[truth][predicted] += 1;
        }
    }

    pub fn total(&self) -> u64 {
        self.counts.iter().flatten().sum()
    }

    pub fn correct(&self) -> u64 {
        (0..NUM_CLASSES).map(|k| self.counts[k][k]).sum()
    }

    /// Images whose true digit is `k`.
    pub fn support(&self, k: usize) -> u64 {
        self.counts[k].iter().sum()
    }

    /// Images predicted as `k`.
    pub fn predicted(&self, k: usize) -> u64 {
        self.counts.iter().map(|row| row[k]).sum()
    }

    /// As TensorFlow's float32 mean of the correct predictions computes it.
    pub fn accuracy(&self) -> f32 {
        let total = self.total();
        if total == 0 {
            0.0
        } else {
            self.correct() as f32 / total as f32
        }
    }

    /// Of the images predicted as `k`, the share that are `k`; `None` if none was.
    pub fn precision(&self, k: usize) -> Option<f64> {
        let predicted = self.predicted(k);
        (predicted > 0).then(|| self.counts[k][k] as f64 / predicted as f64)
    }

    /// Of the images of digit `k`, the share predicted as `k`; `None` if there are none.
    pub fn recall(&self, k: usize) -> Option<f64> {
        let support = self.support(k);
        (support > 0).then(|| self.counts[k][k] as f64 / support as f64)
    }

    /// `Accuracy: ...`, the per-class table and the matrix, as text.
    pub fn to_text(&self) -> String {
        let ratio = |value: Option<f64>| value.map_or("-".to_string(), |v| format!("{v:.4}"));
        let classes = table::render(
            &[
                Column::right("digit").min_width(5),
                Column::right("precision").min_width(9),
                Column::right("recall").min_width(7),
                Column::right("images").min_width(7),
            ],
            1,
            (0..NUM_CLASSES).map(|k| {
                [
                    k.to_string(),
                    ratio(self.precision(k)),
                    ratio(self.recall(k)),
                    self.support(k).to_string(),
                ]
            }),
        );
        // Every count column as wide as the largest count, so the matrix stays square.
        let width = self
            .counts
            .iter()
            .flatten()
            .map(|n| n.to_string().len())
            .max()
            .unwrap_or(1)
            .max(4) as u16;
        let digits: Vec<String> = (0..NUM_CLASSES).map(|k| k.to_string()).collect();
        let columns: Vec<Column<'_>> = std::iter::once(Column::right("").min_width(5))
            .chain(digits.iter().map(|k| Column::right(k).min_width(width)))
            .collect();
        let matrix = table::render(
            &columns,
            1,
            self.counts.iter().enumerate().map(|(truth, row)| {
                std::iter::once(truth.to_string()).chain(row.iter().map(u64::to_string))
            }),
        );
        format!(
            "Accuracy: {} ({}/{})\n\n{classes}\nConfusion matrix (rows: true digit, columns: \
             predicted digit)\n{matrix}",
            format_g(f64::from(self.accuracy())),
            self.correct(),
            self.total(),
        )
    }
}

/// The index of the largest value, the first one on ties (as `tf.argmax`).
pub fn argmax(values: &[f32]) -> usize {
    (0..values.len()).fold(0, |best, i| if values[i] > values[best] { i } else { best })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn precision_recall_and_accuracy_follow_the_counts() {
        let mut c = Confusion::default();
        for _ in 0..8 {
            c.add(3, 3);
        }
        c.add(3, 5);
        c.add(5, 3);
        c.add(5, 5);
        assert_eq!((c.correct(), c.total()), (9, 11));
        assert_eq!(c.accuracy(), 9f32 / 11f32);
        assert_eq!(c.precision(3), Some(8.0 / 9.0));
        assert_eq!(c.recall(3), Some(8.0 / 9.0));
        assert_eq!(c.recall(5), Some(0.5));
        assert_eq!(c.precision(0), None);
        let text = c.to_text();
        assert!(text.starts_with("Accuracy: 0.818182 (9/11)\n"), "{text}");
        assert!(text.contains("    3    0.8889  0.8889       9\n"), "{text}");
        assert!(text.contains("    0         -       -       0\n"), "{text}");
        let row3 = text
            .lines()
            .find(|l| l.starts_with("    3    0    0"))
            .unwrap();
        assert_eq!(row3.split_whitespace().collect::<Vec<_>>()[4], "8");
    }

    #[test]
    fn argmax_takes_the_first_of_equal_maxima() {
        assert_eq!(argmax(&[0.1, 0.7, 0.7, 0.2]), 1);
        assert_eq!(argmax(&[-1.0, -3.0]), 0);
    }
}
