// A `node:assert`-like assert for generated tests in the sandbox worker. Written here (about a
// hundred lines) because node's assert is not in the browser and the npm `assert` package is
// CommonJS that needs a bundler and a `util` polyfill; generated tests use a handful of its
// functions, with node's names and messages.

export class AssertionError extends Error {
  constructor(message, { actual, expected, operator } = {}) {
    super(message);
    this.name = 'AssertionError';
    this.code = 'ERR_ASSERTION';
    Object.assign(this, { actual, expected, operator });
  }
}

/** A short, readable rendering of a value for messages. */
export function show(value) {
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'bigint') return `${value}n`;
  if (typeof value === 'function') return `[Function ${value.name || 'anonymous'}]`;
  if (value instanceof Error) return `${value.name}: ${value.message}`;
  if (value instanceof Map) return `Map(${show([...value])})`;
  if (value instanceof Set) return `Set(${show([...value])})`;
  try {
    const seen = new WeakSet();
    const text = JSON.stringify(value, (_, v) => {
      if (typeof v === 'bigint') return `${v}n`;
      if (typeof v === 'number' && !Number.isFinite(v)) return String(v);
      if (v === undefined) return '__undefined__';
      if (v && typeof v === 'object') {
        if (seen.has(v)) return '[Circular]';
        seen.add(v);
      }
      return v;
    });
    return (text ?? String(value)).replaceAll('"__undefined__"', 'undefined');
  } catch {
    return String(value);
  }
}

/** Deep equality: `strict` compares primitives with Object.is and prototypes; loose with ==. */
function deepEqual(a, b, strict, seen = new Map()) {
  if (strict ? Object.is(a, b) : a == b || (a !== a && b !== b)) return true; // eslint-disable-line eqeqeq
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (strict && Object.getPrototypeOf(a) !== Object.getPrototypeOf(b)) return false;
  if (seen.get(a) === b) return true;
  seen.set(a, b);
  if (a instanceof Date && b instanceof Date) return a.getTime() === b.getTime();
  if (a instanceof RegExp && b instanceof RegExp) return String(a) === String(b);
  if (a instanceof Map && b instanceof Map) {
    if (a.size !== b.size) return false;
    for (const [k, v] of a) if (!b.has(k) || !deepEqual(v, b.get(k), strict, seen)) return false;
    return true;
  }
  if (a instanceof Set && b instanceof Set) {
    if (a.size !== b.size) return false;
    for (const v of a) if (!b.has(v)) return false;
    return true;
  }
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  const keysA = Object.keys(a);
  const keysB = Object.keys(b);
  if (keysA.length !== keysB.length) return false;
  return keysA.every((k) => Object.prototype.hasOwnProperty.call(b, k) && deepEqual(a[k], b[k], strict, seen));
}

function fail(message, fallback, details) {
  if (message instanceof Error) throw message;
  throw new AssertionError(message ?? fallback, details);
}

/** True when the thrown `error` matches what `assert.throws` was told to expect. */
function matches(error, expected) {
  if (expected === undefined) return true;
  if (expected instanceof RegExp) return expected.test(String(error?.message ?? error)) || expected.test(String(error));
  if (typeof expected === 'function') {
    if (expected.prototype !== undefined && error instanceof expected) return true;
    if (Error.isPrototypeOf(expected) || expected === Error) return false;
    return expected(error) === true;
  }
  if (typeof expected === 'object') {
    return Object.keys(expected).every((k) => expected[k] instanceof RegExp
      ? expected[k].test(error?.[k]) : deepEqual(error?.[k], expected[k], true));
  }
  return false;
}

export function assert(value, message) {
  if (!value) fail(message, `The expression evaluated to a falsy value:\n\n  assert(${show(value)})`, { actual: value, expected: true, operator: '==' });
}
assert.ok = (value, message) => assert(value, message);
assert.AssertionError = AssertionError;
assert.fail = (message = 'Failed') => fail(message, message);
assert.equal = (actual, expected, message) => {
  // eslint-disable-next-line eqeqeq
  if (!(actual == expected || (actual !== actual && expected !== expected))) fail(message, `${show(actual)} == ${show(expected)}`, { actual, expected, operator: '==' });
};
assert.notEqual = (actual, expected, message) => {
  // eslint-disable-next-line eqeqeq
  if (actual == expected) fail(message, `${show(actual)} != ${show(expected)}`, { actual, expected, operator: '!=' });
};
assert.strictEqual = (actual, expected, message) => {
  if (!Object.is(actual, expected)) fail(message, `Expected values to be strictly equal:\n\n${show(actual)} !== ${show(expected)}`, { actual, expected, operator: 'strictEqual' });
};
assert.notStrictEqual = (actual, expected, message) => {
  if (Object.is(actual, expected)) fail(message, `Expected "actual" to be strictly unequal to: ${show(expected)}`, { actual, expected, operator: 'notStrictEqual' });
};
assert.deepEqual = (actual, expected, message) => {
  if (!deepEqual(actual, expected, false)) fail(message, `Expected values to be loosely deep-equal:\n\n${show(actual)}\n\nshould loosely deep-equal\n\n${show(expected)}`, { actual, expected, operator: 'deepEqual' });
};
assert.deepStrictEqual = (actual, expected, message) => {
  if (!deepEqual(actual, expected, true)) fail(message, `Expected values to be strictly deep-equal:\n\n${show(actual)}\n\nshould equal\n\n${show(expected)}`, { actual, expected, operator: 'deepStrictEqual' });
};
assert.notDeepStrictEqual = (actual, expected, message) => {
  if (deepEqual(actual, expected, true)) fail(message, `Expected "actual" not to be strictly deep-equal to: ${show(expected)}`, { actual, expected, operator: 'notDeepStrictEqual' });
};
assert.notDeepEqual = (actual, expected, message) => {
  if (deepEqual(actual, expected, false)) fail(message, `Expected "actual" not to be loosely deep-equal to: ${show(expected)}`, { actual, expected, operator: 'notDeepEqual' });
};
assert.throws = (fn, expected, message) => {
  if (typeof expected === 'string') [message, expected] = [expected, undefined];
  try {
    fn();
  } catch (error) {
    if (!matches(error, expected)) fail(message, `The error thrown did not match: ${show(error)}`, { actual: error, expected, operator: 'throws' });
    return;
  }
  fail(message, 'Missing expected exception.', { expected, operator: 'throws' });
};
assert.doesNotThrow = (fn, message) => {
  try {
    fn();
  } catch (error) {
    fail(message, `Got unwanted exception: ${show(error)}`, { actual: error, operator: 'doesNotThrow' });
  }
};
assert.rejects = async (promiseOrFn, expected, message) => {
  if (typeof expected === 'string') [message, expected] = [expected, undefined];
  try {
    await (typeof promiseOrFn === 'function' ? promiseOrFn() : promiseOrFn);
  } catch (error) {
    if (!matches(error, expected)) fail(message, `The rejection did not match: ${show(error)}`, { actual: error, expected, operator: 'rejects' });
    return;
  }
  fail(message, 'Missing expected rejection.', { expected, operator: 'rejects' });
};
assert.doesNotReject = async (promiseOrFn, message) => {
  try {
    await (typeof promiseOrFn === 'function' ? promiseOrFn() : promiseOrFn);
  } catch (error) {
    fail(message, `Got unwanted rejection: ${show(error)}`, { actual: error, operator: 'doesNotReject' });
  }
};
assert.match = (string, regexp, message) => {
  if (!regexp.test(string)) fail(message, `The input did not match the regular expression ${regexp}. Input: ${show(string)}`, { actual: string, expected: regexp, operator: 'match' });
};
assert.doesNotMatch = (string, regexp, message) => {
  if (regexp.test(string)) fail(message, `The input was expected to not match the regular expression ${regexp}. Input: ${show(string)}`, { actual: string, expected: regexp, operator: 'doesNotMatch' });
};
/** `node:assert/strict`: the same functions with the loose comparisons made strict. */
export const strict = Object.assign((value, message) => assert(value, message), assert, {
  equal: assert.strictEqual,
  notEqual: assert.notStrictEqual,
  deepEqual: assert.deepStrictEqual,
  notDeepEqual: assert.notDeepStrictEqual,
});
strict.strict = strict;
assert.strict = strict;
