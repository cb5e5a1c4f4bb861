//! Training: multinomial logistic regression (softmax) by stochastic gradient descent in a fixed
//! pseudo-random order, with dropout, and the rare words that teach the unknown-word share.

use super::features::Analyzer;
use super::prediction::softmax;
use super::{FnvMap, FnvSet, Labelled, Model, NONE, Settings};
use crate::domain::bot::matcher::normalize;

impl Model {
    /// Trains on `examples` (deterministic: same examples, same model). `synonyms` are the
    /// configuration's synonym groups (canonical word -> words).
    pub fn train(synonyms: &[(String, Vec<String>)], examples: &[Labelled]) -> Self {
        Self::train_with(synonyms, examples, Settings::default())
    }

    /// [`Model::train`] with other settings (for choosing them by cross-validation).
    pub fn train_with(
        synonyms: &[(String, Vec<String>)],
        examples: &[Labelled],
        settings: Settings,
    ) -> Self {
        let mut labels: Vec<String> = Vec::new();
        for e in examples {
            if !labels.contains(&e.label) {
                labels.push(e.label.clone());
            }
        }
        let mut grouped: Vec<(String, Vec<String>)> =
            labels.iter().map(|l| (l.clone(), Vec::new())).collect();
        for e in examples {
            if let Some((_, texts)) = grouped.iter_mut().find(|(l, _)| *l == e.label) {
                texts.push(e.text.clone());
            }
        }
        let analyzer = Analyzer::new(synonyms, &grouped, settings);
        let rare = analyzer.unknown_without_own_example(rare_words(synonyms, examples));
        let mut index: FnvMap<u64, u32> = FnvMap::default();
        let mut rows: Vec<(usize, Vec<(u32, f32)>)> = Vec::with_capacity(examples.len());
        let mut features = Vec::new();
        for e in examples {
            analyzer.features_with(&e.text, &mut features, Some(&rare));
            let x: Vec<(u32, f32)> = features
                .iter()
                .map(|&(h, v)| {
                    let next = index.len() as u32;
                    (*index.entry(h).or_insert(next), v)
                })
                .collect();
            let y = labels.iter().position(|l| *l == e.label).unwrap_or(0);
            rows.push((y, x));
        }
        let k = labels.len();
        let mut counts = vec![0usize; k];
        for (y, _) in &rows {
            counts[*y] += 1;
        }
        let mean = rows.len() as f32 / k.max(1) as f32;
        let class_weight: Vec<f32> = counts
            .iter()
            .zip(&labels)
            .map(|(&n, l)| {
                // Off-topic weighs more (no false intent), but a topic an admin has just added
                // with a handful of examples ("gift_cards") must not drown under it: a class
                // that small weighs as much as off-topic. Every shipped intent has hundreds.
                let own = if l == NONE || n < FEW_EXAMPLES {
                    settings.none_weight
                } else {
                    1.0
                };
                own * (mean / n.max(1) as f32).powf(settings.class_balance)
            })
            .collect();
        let mut weights = vec![0.0f32; index.len() * k];
        let mut bias = vec![0.0f32; k];
        let mut order: Vec<usize> = (0..rows.len()).collect();
        let mut seed: u64 = 0x9e37_79b9_7f4a_7c15;
        let mut p = vec![0.0f32; k];
        let mut dropped: Vec<(u32, f32)> = Vec::new();
        for epoch in 0..settings.epochs {
            // A fixed pseudo-random order per epoch (Fisher-Yates with a constant seed).
            for i in (1..order.len()).rev() {
                seed = seed
                    .wrapping_mul(6_364_136_223_846_793_005)
                    .wrapping_add(1_442_695_040_888_963_407);
                order.swap(i, (seed >> 33) as usize % (i + 1));
            }
            let lr = settings.learning_rate / (1.0 + epoch as f32 * settings.decay);
            for &r in &order {
                let (y, x) = &rows[r];
                let x: &[(u32, f32)] = if settings.dropout > 0.0 {
                    // Each feature left out at this rate (the others weigh up): the model cannot
                    // lean on one word, as a message with words it never saw will not let it.
                    let keep = 1.0 - settings.dropout;
                    dropped.clear();
                    for &(f, v) in x {
                        seed = seed
                            .wrapping_mul(6_364_136_223_846_793_005)
                            .wrapping_add(1_442_695_040_888_963_407);
                        if ((seed >> 40) as f32) < keep * (1u64 << 24) as f32 {
                            dropped.push((f, v / keep));
                        }
                    }
                    &dropped
                } else {
                    x
                };
                let step = Step {
                    y: *y,
                    class_weight: class_weight[*y],
                    lr,
                    l2: settings.l2,
                };
                step.apply(&mut weights, &mut bias, x, &mut p);
            }
        }
        Self {
            labels,
            analyzer,
            index,
            weights,
            bias,
        }
    }
}

/// Fewer examples than this make a newly added topic: it weighs like off-topic in training.
const FEW_EXAMPLES: usize = 50;

/// One stochastic gradient step of the softmax regression on one example.
pub(super) struct Step {
    /// The example's label.
    pub(super) y: usize,
    /// Its label's weight (see [`Settings::class_balance`]).
    pub(super) class_weight: f32,
    pub(super) lr: f32,
    pub(super) l2: f32,
}

impl Step {
    /// Updates `weights` (a row of `bias.len()` labels per feature) and `bias` for the example
    /// with features `x`; `p` is scratch space of one value per label.
    pub(super) fn apply(
        &self,
        weights: &mut [f32],
        bias: &mut [f32],
        x: &[(u32, f32)],
        p: &mut [f32],
    ) {
        let k = bias.len();
        scores(weights, bias, k, x, p);
        softmax(p);
        // `p` becomes each label's gradient, then each feature's row of labels is updated in
        // one contiguous pass: the arithmetic per weight is the label-by-label loop's (so the
        // same model), without its strided access and a bounds check per weight.
        for (c, (g, b)) in p.iter_mut().zip(bias.iter_mut()).enumerate() {
            *g = self.class_weight * (*g - f32::from(u8::from(c == self.y)));
            *b -= self.lr * *g;
        }
        for &(f, v) in x {
            let row = &mut weights[f as usize * k..f as usize * k + k];
            for (w, g) in row.iter_mut().zip(&*p) {
                *w -= self.lr * (g * v + self.l2 * *w);
            }
        }
    }
}

pub(super) fn scores(weights: &[f32], bias: &[f32], k: usize, x: &[(u32, f32)], out: &mut [f32]) {
    out.copy_from_slice(bias);
    for &(f, v) in x {
        let row = &weights[f as usize * k..f as usize * k + k];
        for (o, w) in out.iter_mut().zip(row) {
            *o += w * v;
        }
    }
}

/// Words of exactly one example (not of a synonym group): what the model would not know had it
/// not been trained on that example.
pub(super) fn rare_words(
    synonyms: &[(String, Vec<String>)],
    examples: &[Labelled],
) -> FnvSet<String> {
    let mut seen: FnvMap<String, u32> = FnvMap::default();
    for e in examples {
        let normalized = normalize(&e.text);
        let mut words: Vec<&str> = normalized.split_whitespace().collect();
        words.sort_unstable();
        words.dedup();
        for w in &words {
            *seen.entry((*w).to_owned()).or_default() += 1;
        }
    }
    let fixed: FnvSet<String> = synonyms
        .iter()
        .flat_map(|(c, w)| std::iter::once(c).chain(w))
        .flat_map(|t| {
            normalize(t)
                .split_whitespace()
                .map(str::to_owned)
                .collect::<Vec<_>>()
        })
        .collect();
    seen.into_iter()
        .filter(|(w, n)| *n == 1 && !fixed.contains(w))
        .map(|(w, _)| w)
        .collect()
}
