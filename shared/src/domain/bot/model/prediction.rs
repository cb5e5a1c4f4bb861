//! Prediction: a message's probability per label, ranked.

use super::{Model, NONE};
use crate::domain::bot::matcher::IntentMatch;

/// What the model makes of one message.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Reading {
    /// The likeliest label (may be [`NONE`]).
    pub top: Option<IntentMatch>,
    /// The two likeliest intents (not [`NONE`]).
    pub best: Option<IntentMatch>,
    pub second: Option<IntentMatch>,
    /// The share of the message's words the model knows.
    pub coverage: f64,
}

impl Model {
    /// Every label with its probability, best first.
    pub fn rank(&self, text: &str) -> Vec<IntentMatch> {
        let mut p = vec![0.0f32; self.labels.len()];
        if !self.probabilities(text, &mut p).0 {
            return Vec::new();
        }
        self.order(&p)
            .into_iter()
            .map(|i| self.matched(i, &p))
            .collect()
    }

    /// What the model makes of `text` in one pass: what [`Model::rank`] and
    /// [`Model::coverage`] tell, without a list of every label.
    pub fn read(&self, text: &str) -> Reading {
        let mut p = vec![0.0f32; self.labels.len()];
        let (any, coverage) = self.probabilities(text, &mut p);
        if !any {
            return Reading {
                coverage,
                ..Reading::default()
            };
        }
        let order = self.order(&p);
        let mut intents = order.iter().filter(|&&i| self.labels[i] != NONE);
        Reading {
            top: order.first().map(|&i| self.matched(i, &p)),
            best: intents.next().map(|&i| self.matched(i, &p)),
            second: intents.next().map(|&i| self.matched(i, &p)),
            coverage,
        }
    }

    /// The share of a message's words the model knows (directly, by a typo, or as a compound
    /// of known parts): a message it mostly does not know is not worth asking back about.
    pub fn coverage(&self, text: &str) -> f64 {
        self.read(text).coverage
    }

    /// Fills `p` with each label's probability; false when no feature of `text` is known.
    /// Also returns the share of known words.
    fn probabilities(&self, text: &str, p: &mut [f32]) -> (bool, f64) {
        let mut features = Vec::with_capacity(128);
        let coverage = self.analyzer.features(text, &mut features);
        let k = self.labels.len();
        p.copy_from_slice(&self.bias);
        let mut any = false;
        for (h, v) in &features {
            if let Some(&f) = self.index.get(h) {
                any = true;
                let row = &self.weights[f as usize * k..f as usize * k + k];
                for (o, w) in p.iter_mut().zip(row) {
                    *o += w * v;
                }
            }
        }
        if any {
            softmax(p);
        }
        (any, coverage)
    }

    /// Label indices, likeliest first (ties by name).
    fn order(&self, p: &[f32]) -> Vec<usize> {
        let mut order: Vec<usize> = (0..p.len()).collect();
        order.sort_by(|&a, &b| {
            p[b].total_cmp(&p[a])
                .then_with(|| self.labels[a].cmp(&self.labels[b]))
        });
        order
    }

    fn matched(&self, i: usize, p: &[f32]) -> IntentMatch {
        IntentMatch {
            intent: self.labels[i].clone(),
            score: f64::from(p[i]),
        }
    }
}

pub(super) fn softmax(p: &mut [f32]) {
    let max = p.iter().copied().fold(f32::NEG_INFINITY, f32::max);
    let mut sum = 0.0;
    for v in p.iter_mut() {
        *v = (*v - max).exp();
        sum += *v;
    }
    for v in p.iter_mut() {
        *v /= sum;
    }
}
