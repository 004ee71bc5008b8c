// The metrics panel: the engine's `metrics()` for this tab's session (latency percentiles and
// time to first token per task, cache hit rate, tokens, cost at the configured prices), redrawn
// after each answer and every few seconds (the engine counts completions on its own).

const REFRESH_MS = 2000;
const ms = (value) => (value == null ? '–' : `${Math.round(value)} ms`);
const percent = (rate) => (rate == null ? '–' : `${Math.round(rate * 100)}%`);

/** Starts redrawing `table`; returns `refresh()` to redraw now. `metrics()` resolves to the
 * engine's numbers; `priced` says whether the engine was given prices (else the cost is $0 only
 * because nothing is known, and the panel says so). */
export function startMetrics({ table, rows, totals }, metrics, { priced }) {
  let running = null;
  const refresh = () => {
    running ??= metrics()
      .then((m) => draw(m, { table, rows, totals }, priced))
      .catch((error) => { totals.textContent = `metrics unavailable: ${error.message}`; })
      .finally(() => { running = null; });
    return running;
  };
  setInterval(refresh, REFRESH_MS);
  refresh();
  return refresh;
}

function draw(m, { table, rows, totals }, priced) {
  const used = Object.entries(m.tasks).filter(([, t]) => t.requests > 0 || t.cache_hits > 0);
  rows.replaceChildren(...used.map(([task, t]) => {
    const tr = document.createElement('tr');
    tr.dataset.task = task;
    const cells = [
      task, String(t.requests), ms(t.latency_ms.p50), ms(t.latency_ms.p95), ms(t.latency_ms.p99),
      ms(t.time_to_first_token_ms.p50), `${t.cache_hits} (${percent(t.cache_hit_rate)})`,
    ];
    tr.append(...cells.map((text) => {
      const td = document.createElement('td');
      td.textContent = text;
      return td;
    }));
    return tr;
  }));
  const requests = used.reduce((sum, [, t]) => sum + t.requests, 0);
  table.dataset.requests = String(requests);
  table.dataset.tokens = String(m.tokens.total);
  totals.textContent = requests === 0 && m.cache_hits === 0
    ? 'No requests yet.'
    : `Cache hit rate ${percent(m.cache_hit_rate)} · suggestions accepted ${m.suggestions_accepted}/${m.suggestions_shown}`
      + ` · tokens ${m.tokens.prompt} in + ${m.tokens.completion} out`
      + ` · cost $${m.cost_usd.toFixed(6)}${priced ? '' : ' (no prices known for this proxy)'}`
      + ` · debounce ${m.debounce_ms} ms`;
}
