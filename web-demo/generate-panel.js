// The "generate with tests" panel: a spec and a language go to the Monaco adapter's
// `generate` (the refinement loop of plugin-wasm/sandbox/refine.js: the model through the proxy,
// task `generate`, with the engine's decisions), and each round is drawn as it ends: the code,
// the tests, each test's pass or fail, the sandbox's stdout and stderr, the type checker's errors
// (the adapter's: Pyright for Python, the `typescript` compiler for JS and TS), the engine's
// syntax and security findings, tokens and cost, and the feedback the next round sends. Nothing
// here judges a round: the verdict is the engine's.

/** Wires the form. `generate(options)` is the adapter's; `onDone()` runs after each run;
 * `warmPython()` starts loading Pyodide (seconds) while the spec is still being written. */
export function wireGenerate({ form, spec, language, button, rounds, verdict }, { generate, onDone, warmPython }) {
  let runs = 0;
  let controller = null;
  const warm = () => {
    if (language.value === 'python') warmPython?.().catch((error) => console.warn(`pilotfish demo: ${error.message}`));
  };
  spec.addEventListener('focus', warm);
  language.addEventListener('change', warm);

  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const text = spec.value.trim();
    if (!text) return;
    controller?.abort();
    controller = new AbortController();
    runs += 1;
    rounds.replaceChildren();
    rounds.dataset.runs = String(runs);
    form.dataset.state = 'running';
    button.disabled = true;
    say(verdict, 'running', `Round 1: asking the model (${language.value})…`);
    try {
      const result = await generate({
        spec: text,
        language: language.value,
        signal: controller.signal,
        onRound: (round) => {
          rounds.append(drawRound(round));
          rounds.scrollTop = rounds.scrollHeight;
          if (!round.accepted) say(verdict, 'running', `Round ${round.round} failed; round ${round.round + 1}: asking again with the feedback…`);
        },
      });
      const last = result.rounds.at(-1);
      const cost = `, ${dollars(result.costMicroUsd)} in all`;
      if (result.accepted) {
        say(verdict, 'accepted', `Accepted in round ${last.round} of ${result.rounds.length}: every test passes${cost}.`);
      } else {
        say(verdict, 'exhausted', `No round passed in ${result.rounds.length} rounds${cost}: the last code is shown, not accepted.`);
      }
    } catch (error) {
      say(verdict, 'error', error.message);
    } finally {
      form.dataset.state = 'done';
      button.disabled = false;
      onDone();
    }
  });
}

function say(node, state, text) {
  node.dataset.state = state;
  node.textContent = text;
}

const dollars = (micro) => (micro == null ? '$–' : `$${(micro / 1e6).toFixed(6)}`);

function element(tag, props = {}, children = []) {
  const node = document.createElement(tag);
  const { dataset, ...rest } = props;
  Object.assign(node, rest);
  Object.assign(node.dataset, dataset ?? {});
  node.append(...children);
  return node;
}

function code(label, text, testid) {
  return element('details', { open: true, dataset: { testid } }, [
    element('summary', { textContent: label }),
    element('pre', { textContent: text || '(none)' }),
  ]);
}

/** The engine's findings (`{ syntax, security }`) as list items, or nothing. */
function findingItems(findings, where) {
  if (!findings) return [];
  return [
    ...findings.syntax.map((n) => element('li', { className: 'syntax', textContent: `${where} line ${n.line}: ${n.message}` })),
    ...findings.security.map((n) => element('li', {
      className: 'security',
      textContent: `${where} line ${n.line}: ${n.message} (${n.rule}, ${n.cwe}, ${n.severity})`,
    })),
  ];
}

/** The type check of a round: which checker, how long, and its errors as list items. */
function typeCheck(round) {
  const errors = (round.host ?? []).filter((d) => d.severity === 'error');
  const check = round.typeCheck;
  const what = !check
    ? 'Not type-checked (no checker for this language, or typeCheck is off).'
    : check.error
      ? `The ${check.checker} type check failed, so the tests alone judged this round: ${check.error}`
      : `Type check (${check.checker}, ${Math.round(check.ms)} ms): ${errors.length ? `${errors.length} error${errors.length === 1 ? '' : 's'}` : 'no errors'}.`;
  return element('div', { className: 'round-types', dataset: { testid: 'round-types', count: String(errors.length), checker: check?.checker ?? '' } }, [
    element('p', { textContent: what }),
    element('ul', {}, errors.map((d) => element('li', {
      className: 'type-error',
      dataset: { testid: 'round-type-error' },
      textContent: `code line ${d.line}:${d.column}: ${d.message}`,
    }))),
  ]);
}

function drawRound(round) {
  const passed = round.run.tests.filter((t) => t.passed).length;
  const typeErrors = (round.host ?? []).filter((d) => d.severity === 'error').length;
  const head = element('div', { className: 'round-head' }, [
    element('strong', { textContent: `Round ${round.round}` }),
    element('span', { textContent: ` · ${round.model}${round.attempt ? ` (escalated, rung ${round.attempt})` : ''}` }),
    element('span', {
      className: 'round-verdict',
      dataset: { testid: 'round-verdict' },
      textContent: round.accepted ? ' · accepted' : ' · rejected',
    }),
  ]);
  const usage = round.usage
    ? `${round.usage.prompt_tokens} prompt + ${round.usage.completion_tokens} completion tokens`
    : 'no usage reported';
  const cost = element('p', {
    className: 'round-cost',
    dataset: { testid: 'round-cost' },
    textContent: `${usage} (the engine's prompt: ${round.promptTokens} tokens) · ${dollars(round.costMicroUsd)}`,
  });
  const tests = element('ul', { className: 'round-tests', dataset: { testid: 'round-tests' } }, round.run.tests.map((t) =>
    element('li', {
      className: t.passed ? 'pass' : 'fail',
      dataset: { testid: 'round-test', name: t.name, passed: String(t.passed) },
      textContent: `${t.passed ? '✔' : '✘'} ${t.name}${t.error ? `: ${t.error}` : ''} (${Math.round(t.ms)} ms)`,
    })));
  const summary = element('p', {
    className: 'round-summary',
    textContent: `${passed} of ${round.run.tests.length} tests pass`
      + (typeErrors ? ` · ${typeErrors} type error${typeErrors === 1 ? '' : 's'}` : '')
      + (round.run.timedOut ? ' · stopped at the time limit' : '')
      + (round.run.truncated ? ' · output cut' : '')
      + (round.run.error ? ` · ${round.run.error}` : ''),
  });
  const output = [
    ...round.run.tests.flatMap((t) => [t.stdout && `[${t.name}] ${t.stdout}`, t.stderr && `[${t.name}] stderr: ${t.stderr}`]),
    round.run.stdout, round.run.stderr && `stderr: ${round.run.stderr}`,
  ].filter(Boolean).join('\n');
  const findings = [
    ...findingItems(round.findings, 'code'),
    ...findingItems(round.testFindings, 'tests'),
    ...round.notes.map((note) => element('li', { className: 'note', textContent: note })),
  ];
  const li = element('li', {
    className: round.accepted ? 'round accepted' : 'round rejected',
    dataset: {
      testid: 'round', round: String(round.round), accepted: String(round.accepted), passed: String(passed), tests: String(round.run.tests.length),
      // The sandbox run's wall time, beside the type check's (they run side by side).
      testsMs: String(Math.round(round.run.timings?.totalMs ?? 0)),
    },
  }, [
    head,
    code('Code', round.implementation, 'round-code'),
    code('Tests', round.tests, 'round-test-code'),
    summary,
    tests,
    typeCheck(round),
    element('pre', { className: 'round-output', dataset: { testid: 'round-output' }, textContent: output || '(no output)' }),
    element('ul', { className: 'round-findings', dataset: { testid: 'round-findings', count: String(findings.length) } },
      findings.length ? findings : [element('li', { textContent: 'No syntax or security findings.' })]),
    cost,
  ]);
  if (round.feedback) li.append(code('Feedback sent to the next round', round.feedback, 'round-feedback'));
  return li;
}
