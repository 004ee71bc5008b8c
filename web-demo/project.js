// The sample project: a real package fetched from its registry by `cargo xtask` into
// .cache/sample/ and served at /sample/, listed by the `files.json` xtask generates
// (xtask/src/serve/sample.rs). Files go to the engine as `{ path, text }` with the package's own
// paths (`requests/api.py`), as they would be in a checkout.

/** `{ listing, files }`: the listing and every file's text. Throws saying what is missing. */
export async function loadProject() {
  const response = await fetch('/sample/files.json', { cache: 'no-store' });
  if (!response.ok) {
    throw new Error('no sample project is served at /sample/ (`cargo xtask demo` or `cargo xtask serve` fetches it)');
  }
  const listing = await response.json();
  const files = await Promise.all(listing.files.map(async (path) => {
    const file = await fetch(`/sample/${listing.base}${path}`);
    if (!file.ok) throw new Error(`/sample/${listing.base}${path}: HTTP ${file.status}`);
    return { path, text: await file.text() };
  }));
  return { listing, files };
}

/** Renders the paths as a folder tree into `list` (a <ul>); a click on a file calls `open(path)`.
 * Returns `mark(path)`, which highlights the file shown. */
export function renderTree(list, paths, open) {
  const root = { folders: new Map(), files: [] };
  for (const path of paths) {
    const parts = path.split('/');
    let node = root;
    for (const folder of parts.slice(0, -1)) {
      if (!node.folders.has(folder)) node.folders.set(folder, { folders: new Map(), files: [] });
      node = node.folders.get(folder);
    }
    node.files.push({ name: parts.at(-1), path });
  }
  const items = new Map();
  const build = (node) => {
    const nodes = [];
    for (const [name, child] of node.folders) {
      const li = document.createElement('li');
      li.className = 'folder';
      const label = document.createElement('span');
      label.textContent = `${name}/`;
      const ul = document.createElement('ul');
      ul.append(...build(child));
      li.append(label, ul);
      nodes.push(li);
    }
    for (const file of node.files) {
      const li = document.createElement('li');
      const button = document.createElement('button');
      button.type = 'button';
      button.dataset.testid = 'file';
      button.dataset.path = file.path;
      button.textContent = file.name;
      button.addEventListener('click', () => open(file.path));
      li.append(button);
      items.set(file.path, button);
      nodes.push(li);
    }
    return nodes;
  };
  list.replaceChildren(...build(root));
  return (path) => {
    for (const [p, button] of items) {
      if (p === path) button.setAttribute('aria-current', 'true');
      else button.removeAttribute('aria-current');
    }
  };
}
