//! How the next token is chosen from the logits. Temperature 0 is greedy (argmax, no randomness
//! at all); otherwise candle's `LogitsProcessor` samples with a `StdRng` seeded by the request, so
//! one seed always gives one text at any temperature.

use candle_transformers::generation::{LogitsProcessor, Sampling};

/// The request's sampling settings.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SamplingParams {
    /// 0 (or below) is greedy; OpenAI's default is 1.
    pub temperature: f64,
    /// Nucleus sampling: keep the smallest set of tokens whose probability reaches `top_p`.
    pub top_p: f64,
    pub seed: u64,
}

impl Default for SamplingParams {
    fn default() -> Self {
        SamplingParams {
            temperature: 1.0,
            top_p: 1.0,
            seed: 0,
        }
    }
}

impl SamplingParams {
    /// A sampler for one generation.
    pub fn sampler(&self) -> LogitsProcessor {
        let sampling = if self.temperature <= 0.0 || !self.temperature.is_finite() {
            Sampling::ArgMax
        } else if self.top_p > 0.0 && self.top_p < 1.0 {
            Sampling::TopP {
                p: self.top_p,
                temperature: self.temperature,
            }
        } else {
            Sampling::All {
                temperature: self.temperature,
            }
        };
        LogitsProcessor::from_sampling(self.seed, sampling)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use candle_core::{Device, Tensor};

    fn draws(params: SamplingParams) -> Vec<u32> {
        let logits = Tensor::new(&[1.0f32, 1.2, 0.8, 1.1, 0.9], &Device::Cpu).unwrap();
        let mut sampler = params.sampler();
        (0..32).map(|_| sampler.sample(&logits).unwrap()).collect()
    }

    #[test]
    fn temperature_zero_is_argmax() {
        let greedy = draws(SamplingParams {
            temperature: 0.0,
            ..Default::default()
        });
        assert!(greedy.iter().all(|&t| t == 1), "{greedy:?}");
    }

    #[test]
    fn a_seed_repeats_its_draws_and_another_seed_does_not() {
        let params = |seed| SamplingParams {
            temperature: 1.5,
            top_p: 0.95,
            seed,
        };
        assert_eq!(draws(params(7)), draws(params(7)));
        assert_ne!(draws(params(7)), draws(params(8)));
    }
}
