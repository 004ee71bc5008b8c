// The refinement loop's IO (issue 15, item 5): ask the model through the engine (`Engine.chat`,
// task `generate`, so the proxy, the retrieved context, the budget and the redaction are the
// engine's), run the answer's tests in the sandbox, and ask again with the feedback until a
// round is accepted or the rounds run out.
//
// Every decision is the caller's `steps`: `engine.refiner({ spec, language })` gives them from
// `assist::generate::Refinement`: `request()` (the first question), `plan()` (the
// next round's `{ round, attempt }`, or null when the loop is over; the attempt is the
// escalation rung `chat` takes), `split(answer)` (`{ implementation, tests }`) and
// `record(plan, { answer, usage, run })` (`{ accepted, feedback }`), and optionally `rounds()`
// (the engine's record of every round: findings and cost join each round reported here). Steps may
// answer with promises: the Monaco adapter's live in its worker (`handle.refiner`). This module
// only moves data between the engine, the sandbox and those steps.
//
// `diagnose({ implementation, tests })`, when given, is the host's type checker: it returns
// `HostDiagnostic`s (`{ message, line, column, severity, source }`; `pyright.js`'s
// `hostDiagnostics` makes them from Pyright's, and Monaco's TypeScript markers fit the same
// shape), which `record` weighs like a failing test: an error keeps the round from being
// accepted and is listed in the next round's feedback.

/**
 * `runTests` is the sandbox to run each round in; default: index.js's (loaded when first needed,
 * so a host with a sandbox of its own, such as the VS Code extension's, never evaluates it).
 * @param {{ engine: any, request: object, language: string, steps: object, runTests?: Function,
 *   timeoutMs?: number, outputCap?: number, signal?: AbortSignal,
 *   diagnose?: (code: { implementation: string, tests: string }) => Promise<object[]>,
 *   onRound?: (round: object) => (void | Promise<void>) }} options
 * `request` is `chat`'s request without `task` and `question` (path, text, offset, ...).
 * @returns {Promise<{ accepted: boolean, rounds: object[] }>}
 */
export async function refine({ engine, request, language, steps, runTests, timeoutMs, outputCap, signal, diagnose, onRound }) {
  const run = runTests ?? (await import('./index.js')).runTests;
  const rounds = [];
  const history = [];
  let question = await steps.request();
  for (let plan = await steps.plan(); plan; plan = await steps.plan()) {
    const answer = await engine.chat(
      { ...request, task: 'generate', question, history: [...history] },
      { attempt: plan.attempt, signal },
    );
    if (answer === null) throw new Error('pilotfish refine: the request was superseded');
    const { implementation, tests } = await steps.split(answer.text);
    // The tests and the host's type check do not depend on each other: both run at once.
    const [result, host] = await Promise.all([
      run({ language, code: implementation, tests, timeoutMs, outputCap }),
      diagnose ? diagnose({ implementation, tests }) : [],
    ]);
    const verdict = await steps.record(plan, { answer: answer.text, usage: answer.usage, run: result, host });
    // The engine's own record of this round: its syntax and security findings and its cost.
    const recorded = steps.rounds ? (await steps.rounds()).at(-1) : null;
    const round = {
      round: plan.round, attempt: plan.attempt, model: answer.model, usage: answer.usage,
      promptTokens: answer.promptTokens, implementation, tests, run: result, host,
      findings: recorded?.findings ?? null, testFindings: recorded?.testFindings ?? null,
      notes: recorded?.notes ?? [], costMicroUsd: recorded?.costMicroUsd ?? null,
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
