// The refinement loop's IO (issue 15, item 5): ask the model through the engine (`Engine.chat`,
// task `generate`, so the proxy, the retrieved context, the budget and the redaction are the
// engine's), run the answer's tests in the sandbox, and ask again with the feedback until a
// round is accepted or the rounds run out.
//
// Every decision is the caller's `steps`: `engine.refiner({ spec, language })` gives them from
// `assist::generate::Refinement`: `request()` (the first question), `plan()` (the
// next round's `{ round, attempt }`, or null when the loop is over; the attempt is the
// escalation rung `chat` takes), `split(answer)` (`{ implementation, tests }`) and
// `record(plan, { answer, usage, run })` (`{ accepted, feedback }`). This module only moves data
// between the engine, the sandbox and those steps.

import { runTests } from './index.js';

/**
 * @param {{ engine: any, request: object, language: string, steps: object,
 *   timeoutMs?: number, outputCap?: number, signal?: AbortSignal,
 *   onRound?: (round: object) => (void | Promise<void>) }} options
 * `request` is `chat`'s request without `task` and `question` (path, text, offset, ...).
 * @returns {Promise<{ accepted: boolean, rounds: object[] }>}
 */
export async function refine({ engine, request, language, steps, timeoutMs, outputCap, signal, onRound }) {
  const rounds = [];
  const history = [];
  let question = steps.request();
  for (let plan = steps.plan(); plan; plan = steps.plan()) {
    const answer = await engine.chat(
      { ...request, task: 'generate', question, history: [...history] },
      { attempt: plan.attempt, signal },
    );
    if (answer === null) throw new Error('pilotfish refine: the request was superseded');
    const { implementation, tests } = steps.split(answer.text);
    const run = await runTests({ language, code: implementation, tests, timeoutMs, outputCap });
    const verdict = steps.record(plan, { answer: answer.text, usage: answer.usage, run });
    const round = {
      round: plan.round, attempt: plan.attempt, model: answer.model, usage: answer.usage,
      promptTokens: answer.promptTokens, implementation, tests, run,
      accepted: verdict.accepted, feedback: verdict.feedback ?? null,
    };
    rounds.push(round);
    await onRound?.(round);
    if (verdict.accepted) return { accepted: true, rounds };
    history.push({ role: 'user', content: question }, { role: 'assistant', content: answer.text });
    question = verdict.feedback;
  }
  return { accepted: false, rounds };
}
