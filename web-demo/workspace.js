// The editor's files: one Monaco model per project file, created when first opened, with the
// URI `file:///<path>` (the adapter's engine path is the URI's path without the leading slash,
// so the engine and the editor name files alike). `open(path, startLine, endLine)` shows a file
// and, given lines, selects and highlights them: search hits and chat citations land here.

export function createWorkspace(monaco, editor, files, { onOpen }) {
  const texts = new Map(files.map((f) => [f.path, f.text]));
  const models = new Map();
  let highlight = editor.createDecorationsCollection([]);

  const modelOf = (path) => {
    if (!models.has(path)) {
      models.set(path, monaco.editor.createModel(texts.get(path) ?? '', undefined, monaco.Uri.file(path)));
    }
    return models.get(path);
  };

  /** Shows `path`; with lines, selects them, scrolls to them and tints them until the next open. */
  const open = (path, startLine, endLine) => {
    if (!texts.has(path)) return false;
    const model = modelOf(path);
    if (editor.getModel() !== model) editor.setModel(model);
    const node = editor.getContainerDomNode();
    node.dataset.path = path;
    highlight.clear();
    if (startLine) {
      const end = Math.min(endLine ?? startLine, model.getLineCount());
      const range = new monaco.Range(startLine, 1, end, model.getLineMaxColumn(end));
      editor.setSelection(new monaco.Range(startLine, 1, startLine, 1));
      editor.revealRangeInCenter(range);
      highlight = editor.createDecorationsCollection([
        { range, options: { isWholeLine: true, className: 'lines-highlight' } },
      ]);
      node.dataset.startLine = String(startLine);
      node.dataset.endLine = String(end);
    } else {
      delete node.dataset.startLine;
      delete node.dataset.endLine;
    }
    editor.focus();
    onOpen(path);
    return true;
  };

  /** A file's text as the editor has it now (edits included), or as served. */
  const textOf = (path) => (models.has(path) ? models.get(path).getValue() : texts.get(path));

  return { open, textOf, modelOf };
}
