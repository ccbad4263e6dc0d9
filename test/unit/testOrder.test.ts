/** The integration suite's files run in the order of their numbers, and two files may not share one. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { orderedTestFiles } from '../integration/runMocha';

test('test files run by their number, not by the text of their names', () => {
  assert.deepEqual(orderedTestFiles(['10-b.test.js', '2-a.test.js', 'harness.js', 'zz.test.js', '01-c.test.js', 'aa.test.js']),
    ['01-c.test.js', '2-a.test.js', '10-b.test.js', 'aa.test.js', 'zz.test.js']);
});

test('two files with the same number are refused, named', () => {
  assert.throws(() => orderedTestFiles(['09-lab.test.js', '9-selection.test.js'], 'suite'), /suite: 09-lab\.test\.js and 9-selection\.test\.js share the number 9/);
});

test('the integration suite numbers every file, each once, from 01 without gaps', () => {
  const dir = join(__dirname, '..', '..', '..', 'test', 'integration', 'suite');
  const files = readdirSync(dir).filter((n) => n.endsWith('.test.ts'));
  assert.ok(files.length > 10, `expected the suite's test files in ${dir}`);
  const numbers = orderedTestFiles(files.map((n) => n.replace(/\.ts$/, '.js')), dir).map((n) => n.match(/^(\d\d)-/)?.[1]);
  assert.deepEqual(numbers, files.map((_, i) => String(i + 1).padStart(2, '0')));
});
