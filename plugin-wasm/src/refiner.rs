//! `Refiner`: the generate-with-tests loop's decisions in the tab (`assist::generate`), handed to
//! the page's loop (`plugin-wasm/sandbox/refine.js`) as its `steps`: the first request, the next
//! round's plan (which rung of the `generate` ladder it asks), an answer split into the
//! implementation and its tests, and each round recorded with the sandbox's run into a verdict
//! and the feedback the next round sends. The loop's IO (`Engine.chat`, the sandbox) stays in the
//! page; every decision is the engine's, as natively tested.

use assist::generate::{
    GenerateSpec, HostDiagnostic, Plan, RefineConfig, Refinement, RoundInput, RunReport,
    generate_request,
};
use assist::metrics::Pricing;
use assist::routing::Routes;
use engine::Language;
use protocol::Usage;
use serde::{Deserialize, Serialize};
use wasm_bindgen::prelude::*;

use crate::error::{Error, js_call};
use crate::js::{json_arg, output, string_arg};
use crate::project::Engine;

#[wasm_bindgen(typescript_custom_section)]
const REFINER_TS: &str = r#"
export interface RefinerOptions {
  /** What to write, in the person's words. */
  spec: string;
  /** "python", "javascript", "typescript" or "tsx": what the sandbox runs. */
  language: string;
  /** Default 3; the last round escalates to the top of the generate ladder. */
  maxRounds?: number;
  /** Default 3. */
  minTests?: number;
}
export interface RefinePlan { round: number; attempt: number; alias: string; }
"#;

/// `engine.refiner(options)`'s argument.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct RefinerOptions {
    pub spec: String,
    pub language: String,
    pub max_rounds: Option<usize>,
    pub min_tests: Option<usize>,
}

/// A plan as it crosses (the page hands it back to `record`).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct WirePlan {
    pub round: usize,
    pub attempt: usize,
    pub alias: String,
}

/// What a round brought back: the answer, its usage, the sandbox's run, host diagnostics.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct WireRoundInput {
    pub answer: String,
    #[serde(default)]
    pub usage: Option<Usage>,
    #[serde(default)]
    pub run: RunReport,
    #[serde(default)]
    pub host: Vec<HostDiagnostic>,
}

/// One generate-with-tests loop.
#[wasm_bindgen]
#[derive(Debug)]
pub struct Refiner {
    refinement: Refinement,
    routes: Routes,
    pricing_by_alias: assist::metrics::PriceTable,
    request: String,
}

impl Refiner {
    /// A loop for `options` with the engine's routing table and prices.
    pub fn native(
        options: &RefinerOptions,
        routes: Routes,
        prices: assist::metrics::PriceTable,
    ) -> Result<Refiner, Error> {
        let language = Language::from_name(&options.language)
            .filter(|l| {
                matches!(
                    l,
                    Language::Python | Language::JavaScript | Language::TypeScript | Language::Tsx
                )
            })
            .ok_or_else(|| Error::Argument {
                argument: "options.language",
                message: format!(
                    "{:?}: the sandbox runs python, javascript, typescript and tsx",
                    options.language
                ),
            })?;
        let config = RefineConfig {
            max_rounds: options.max_rounds.unwrap_or(3).clamp(1, 10),
            min_tests: options.min_tests.unwrap_or(3).min(50),
        };
        let mut spec =
            GenerateSpec::new(&options.spec, language).ok_or_else(|| Error::Argument {
                argument: "options.language",
                message: "no test style for this language".into(),
            })?;
        spec.min_tests = config.min_tests;
        Ok(Refiner {
            request: generate_request(&spec),
            refinement: Refinement::new(language, config),
            routes,
            pricing_by_alias: prices,
        })
    }

    pub fn plan_native(&self) -> Option<WirePlan> {
        self.refinement.plan(&self.routes).map(|p| WirePlan {
            round: p.round,
            attempt: p.attempt,
            alias: p.alias,
        })
    }

    /// Records a round; returns `(accepted, feedback)`.
    pub fn record_native(
        &mut self,
        plan: WirePlan,
        input: WireRoundInput,
    ) -> (bool, Option<String>) {
        let pricing: Pricing = self
            .pricing_by_alias
            .get(&plan.alias)
            .copied()
            .unwrap_or_default();
        let plan = Plan {
            round: plan.round,
            attempt: plan.attempt,
            alias: plan.alias,
        };
        let round = self.refinement.record(
            &plan,
            RoundInput {
                answer: &input.answer,
                usage: input.usage.unwrap_or_default(),
                pricing,
                run: input.run,
                host: input.host,
            },
        );
        (round.accepted, round.feedback.clone())
    }
}

#[wasm_bindgen]
impl Engine {
    /// A generate-with-tests loop's decisions, with this engine's routing table and prices
    /// (`configureAssistant` first): hand it to `refine()` as its `steps`.
    pub fn refiner(
        &self,
        #[wasm_bindgen(unchecked_param_type = "RefinerOptions")] options: JsValue,
    ) -> Result<Refiner, JsError> {
        js_call("refiner", || {
            let options: RefinerOptions = json_arg("options", &options)?;
            let (routes, prices) = self.routes_and_prices()?;
            Refiner::native(&options, routes, prices)
        })
    }
}

#[wasm_bindgen]
impl Refiner {
    /// The first round's question: the spec and what the answer must hold.
    pub fn request(&self) -> String {
        self.request.clone()
    }

    /// The next round (`{ round, attempt, alias }`), or `null` when the loop is over.
    #[wasm_bindgen(unchecked_return_type = "RefinePlan | null")]
    pub fn plan(&self) -> Result<JsValue, JsError> {
        js_call("plan", || output(&self.plan_native()))
    }

    /// An answer's implementation and tests (`{ implementation, tests, notes }`).
    pub fn split(&self, answer: JsValue) -> Result<JsValue, JsError> {
        js_call("split", || {
            let generated = self.refinement.split(&string_arg("answer", &answer)?);
            output(&serde_json::json!({
                "implementation": generated.implementation,
                "tests": generated.tests,
                "notes": generated.notes,
            }))
        })
    }

    /// Records a round (`{ answer, usage, run, host? }`, `run` as the sandbox reports it) and
    /// returns `{ accepted, feedback }`: the feedback is the next round's question.
    pub fn record(&mut self, plan: JsValue, input: JsValue) -> Result<JsValue, JsError> {
        js_call("record", || {
            let plan: WirePlan = json_arg("plan", &plan)?;
            let input: WireRoundInput = json_arg("input", &input)?;
            let (accepted, feedback) = self.record_native(plan, input);
            output(&serde_json::json!({ "accepted": accepted, "feedback": feedback }))
        })
    }

    /// Every round so far: alias, tokens, cost, code, findings, the run, the verdict.
    pub fn rounds(&self) -> Result<JsValue, JsError> {
        js_call("rounds", || output(&self.refinement.rounds()))
    }

    /// The whole loop's cost so far, in micro-dollars.
    #[wasm_bindgen(js_name = costMicroUsd)]
    pub fn cost_micro_usd(&self) -> f64 {
        self.refinement.cost_micro_usd() as f64
    }
}
