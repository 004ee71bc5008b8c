//! The refinement loop's bookkeeping: which alias each round asks, what each round produced and
//! cost, and whether to go on. The loop itself (ask the model, run the sandbox) is the tab's IO;
//! this module decides and records, so every decision is tested natively.
//!
//! Rounds before the last use the task's first alias; the last round escalates to the top of the
//! `generate` ladder ([`Routes::escalate`]), where a stronger model gets one more chance with all
//! the feedback. With a one-rung ladder (the default) every round uses the same alias.

use protocol::Usage;
use serde::Serialize;
use syntax::Language;

use super::blocks::{Generated, split_answer};
use super::feedback::{
    CodeFindings, HostDiagnostic, RunReport, Verdict, check_code, feedback_message,
};
use crate::metrics::{Pricing, cost_micro_usd};
use crate::routing::{Routes, Task};

/// How many rounds and how many tests.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RefineConfig {
    /// Rounds at most, the first included (default 3).
    pub max_rounds: usize,
    /// The least number of tests an answer must bring (default 3).
    pub min_tests: usize,
}

impl Default for RefineConfig {
    fn default() -> RefineConfig {
        RefineConfig {
            max_rounds: 3,
            min_tests: 3,
        }
    }
}

/// The next request to make.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Plan {
    /// 1-based round number.
    pub round: usize,
    /// The rung of the `generate` ladder (what the engine's `chat` takes as `options.attempt`).
    pub attempt: usize,
    pub alias: String,
}

/// One round as it happened.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Round {
    pub round: usize,
    pub attempt: usize,
    pub alias: String,
    pub prompt_tokens: u64,
    pub completion_tokens: u64,
    pub cost_micro_usd: u64,
    pub implementation: String,
    pub tests: String,
    pub notes: Vec<String>,
    pub findings: CodeFindings,
    pub test_findings: CodeFindings,
    pub run: RunReport,
    pub host: Vec<HostDiagnostic>,
    pub accepted: bool,
    /// The message the next round sends (none when this round was accepted).
    pub feedback: Option<String>,
}

/// Where the loop stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// More rounds may follow.
    Running,
    /// The round with this 1-based number passed.
    Accepted(usize),
    /// Every round was used and none passed.
    Exhausted,
}

/// What a round's model call and sandbox run produced.
#[derive(Debug, Clone)]
pub struct RoundInput<'a> {
    /// The model's answer, as streamed.
    pub answer: &'a str,
    pub usage: Usage,
    pub pricing: Pricing,
    /// The sandbox's report for [`Refinement::split`]'s implementation and tests.
    pub run: RunReport,
    /// The host's own diagnostics for the implementation.
    pub host: Vec<HostDiagnostic>,
}

/// A refinement loop's record.
#[derive(Debug, Clone)]
pub struct Refinement {
    config: RefineConfig,
    language: Language,
    rounds: Vec<Round>,
}

impl Refinement {
    pub fn new(language: Language, config: RefineConfig) -> Refinement {
        Refinement {
            config,
            language,
            rounds: Vec::new(),
        }
    }

    pub fn rounds(&self) -> &[Round] {
        &self.rounds
    }

    pub fn outcome(&self) -> Outcome {
        match self.rounds.last() {
            Some(r) if r.accepted => Outcome::Accepted(r.round),
            Some(_) if self.rounds.len() >= self.config.max_rounds.max(1) => Outcome::Exhausted,
            _ => Outcome::Running,
        }
    }

    /// The next request, or `None` when the loop is over.
    pub fn plan(&self, routes: &Routes) -> Option<Plan> {
        if self.outcome() != Outcome::Running {
            return None;
        }
        let round = self.rounds.len() + 1;
        let last = round >= self.config.max_rounds.max(1);
        let top = routes.ladder(Task::Generate).len() - 1;
        let attempt = if last { top } else { 0 };
        let alias = routes.escalate(Task::Generate, attempt)?.to_owned();
        Some(Plan {
            round,
            attempt,
            alias,
        })
    }

    /// The implementation and tests of an answer, for the sandbox.
    pub fn split(&self, answer: &str) -> Generated {
        split_answer(self.language, answer)
    }

    /// The feedback to send with the next request: the last round's, if it was not accepted.
    pub fn feedback(&self) -> Option<&str> {
        self.rounds.last().and_then(|r| r.feedback.as_deref())
    }

    /// Records the round `plan` announced, checks its code and decides.
    pub fn record(&mut self, plan: &Plan, input: RoundInput<'_>) -> &Round {
        let generated = self.split(input.answer);
        let findings = check_code(self.language, &generated.implementation);
        let test_findings = check_code(self.language, &generated.tests);
        let verdict = Verdict {
            run: &input.run,
            implementation: findings.clone(),
            tests: test_findings.clone(),
            host: &input.host,
            notes: &generated.notes,
            min_tests: self.config.min_tests,
        };
        let accepted = verdict.accepted();
        let feedback = (!accepted).then(|| feedback_message(self.language, &verdict));
        self.rounds.push(Round {
            round: plan.round,
            attempt: plan.attempt,
            alias: plan.alias.clone(),
            prompt_tokens: input.usage.prompt_tokens,
            completion_tokens: input.usage.completion_tokens,
            cost_micro_usd: cost_micro_usd(input.pricing, &input.usage),
            implementation: generated.implementation,
            tests: generated.tests,
            notes: generated.notes,
            findings,
            test_findings,
            run: input.run,
            host: input.host,
            accepted,
            feedback,
        });
        self.rounds.last().expect("just pushed")
    }

    /// The whole loop's cost so far, in micro-dollars.
    pub fn cost_micro_usd(&self) -> u64 {
        self.rounds.iter().map(|r| r.cost_micro_usd).sum()
    }
}
