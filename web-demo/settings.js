// Which proxy the page talks to, and what answers behind it, said plainly.
//
// `cargo xtask demo` writes /demo/config.json: its proxy, the demo's token, a sentence on what
// answers (the local model or OpenAI) and what to set to change it, and the prices that make the
// metrics' cost real. The query string overrides the proxy and token (`?proxy=URL&token=T`, and
// `?persist=KEY` for the IndexedDB database): that is how the end-to-end test points the page at
// its own proxy. The token is a client token the proxy knows, never a provider key.

const FALLBACK = { proxyUrl: 'http://127.0.0.1:8787', token: 'pilotfish-demo-token' };

/** The static table the server publishes (/embed/active.json names it: `cargo xtask demo`
 * builds one), or undefined: the adapter then searches with the hashed embedder. */
async function publishedTable() {
  try {
    const response = await fetch('/embed/active.json', { cache: 'no-store' });
    if (!response.ok) return undefined;
    const { table } = await response.json();
    return table ? `/embed/${encodeURIComponent(table)}` : undefined;
  } catch {
    return undefined;
  }
}

/** The page's settings from the query string, /demo/config.json (absent when the page is not
 * served by `cargo xtask demo`) and /embed/active.json. */
export async function loadSettings(search) {
  const query = new URLSearchParams(search);
  let config = null;
  try {
    const response = await fetch('/demo/config.json', { cache: 'no-store' });
    if (response.ok) config = await response.json();
  } catch {
    // No config: the fallbacks below, and the page says it cannot tell what answers.
  }
  const overridden = query.has('proxy');
  return {
    staticTableUrl: await publishedTable(),
    proxyUrl: query.get('proxy') ?? config?.proxyUrl ?? FALLBACK.proxyUrl,
    token: query.get('token') ?? config?.token ?? FALLBACK.token,
    persistKey: query.get('persist') ?? 'pilotfish-demo',
    // The config describes the demo's proxy only; another proxy's upstream and prices are its own.
    config: overridden ? null : config,
    overridden,
  };
}

/** The aliases the proxy lets this token call (GET /v1/models): proof that it is up and that
 * it takes the token. Throws with the reason when not. */
export async function proxyAliases({ proxyUrl, token }) {
  const base = proxyUrl.replace(/\/+$/, '').replace(/\/v1$/, '');
  let response;
  try {
    response = await fetch(`${base}/v1/models`, { headers: { authorization: `Bearer ${token}` } });
  } catch {
    throw new Error(`the proxy at ${base} is not reachable`);
  }
  if (response.status === 401) throw new Error(`the proxy at ${base} refused the token`);
  if (!response.ok) throw new Error(`the proxy at ${base} answered HTTP ${response.status}`);
  const { data } = await response.json();
  return data.map((model) => model.id);
}

/** Fills the header's "What answers" line. */
export async function showWhatAnswers(settings, { box, what, change }) {
  let aliases;
  try {
    aliases = await proxyAliases(settings);
  } catch (error) {
    box.dataset.state = 'error';
    what.textContent = `nothing yet: ${error.message}.`;
    change.textContent = 'Start it with `cargo xtask demo` (the local model, no key; set OPENAI_API_KEY first to use OpenAI).';
    return;
  }
  const via = `proxy ${settings.proxyUrl} (aliases ${aliases.join(', ')})`;
  if (settings.config) {
    what.textContent = `${settings.config.answers}; via the ${via}.`;
    change.textContent = settings.config.change;
  } else if (settings.overridden) {
    what.textContent = `the ${via} given in the address (?proxy=…): its own configuration decides which model.`;
    change.textContent = 'Remove ?proxy= from the address to use the demo\'s proxy.';
  } else {
    what.textContent = `the ${via}; this page was not started by \`cargo xtask demo\`, so it cannot tell which model is behind it.`;
    change.textContent = 'Run `cargo xtask demo`: the local model answers with no key, or OpenAI when OPENAI_API_KEY is set.';
  }
  box.dataset.state = 'ready';
  box.dataset.aliases = aliases.join(',');
}
