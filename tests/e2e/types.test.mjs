// The generated TypeScript declarations give the Engine's core methods real types, not `any`:
// hosts (a VS Code extension, a Monaco page) type-check against plugin-wasm/pkg/plugin_wasm.d.ts.
// Needs the built package (cargo xtask build-wasm, or PILOTFISH_PKG_DIR pointing at one).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../../', import.meta.url));
const pkg = process.env.PILOTFISH_PKG_DIR ?? join(root, 'plugin-wasm/pkg');
const dts = await readFile(join(pkg, 'plugin_wasm.d.ts'), 'utf8');
const engine = dts.slice(dts.indexOf('export class Engine {'), dts.indexOf('\n}', dts.indexOf('export class Engine {')));

test('Engine methods are typed with the declared interfaces', () => {
  assert.ok(engine.length > 0, 'no Engine class in the declarations');
  for (const signature of [
    'constructor(options: EngineOptions | undefined);',
    'indexFile(path: string, text: string): IndexedFile;',
    'removeFile(path: string): boolean;',
    'chunks(path: string): Chunk[] | null;',
    'paths(): string[];',
    'stats(): IndexStats;',
    'readonly positionEncoding: PositionEncoding;',
  ]) {
    assert.ok(engine.includes(signature), `missing \`${signature}\` in:\n${engine}`);
  }
  assert.doesNotMatch(engine, /\bany\b/, 'an Engine member is typed `any`');
});

test('the boundary types are declared with camelCase fields', () => {
  assert.match(dts, /export type PositionEncoding = "utf16" \| "utf8";/);
  const chunk = dts.slice(dts.indexOf('export interface Chunk {'), dts.indexOf('\n}', dts.indexOf('export interface Chunk {')));
  for (const field of ['path', 'language', 'kind', 'name', 'qualifiedName', 'startLine', 'endLine', 'start', 'end', 'docstring', 'text']) {
    assert.match(chunk, new RegExp(`\\n\\s+${field}: `), `Chunk lacks ${field}`);
  }
  for (const name of ['EngineOptions', 'IndexedFile', 'IndexStats', 'Diagnostic']) {
    assert.ok(dts.includes(`export interface ${name} {`), `missing interface ${name}`);
  }
});
