import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { rnnLab, samples } from './support/cli';
import { lastOfNewestRun } from './support/runs';


const work = mkdtempSync(join(tmpdir(), 'rnnlab-keras-words-'));
test.after(() => rmSync(work, { recursive: true, force: true }));

for (const [input, flags] of [['an embedding', ['--embedding', '6']], ['one-hot input', ['--embedding', '0']]] as const) {
  test(`word-level model with ${input}: export to Keras, read back with --keras-weights, the same probabilities`, () => {
    const dir = `ckpt-${flags[1]}`;
    const train = rnnLab(['train', join(samples, 'nonsense.txt'), '--preset', 'nonsense-words', ...flags, '--steps', '5', '--eval-interval', '5',
      '--backend', 'js', '--checkpoint-dir', dir, '--json'], work);
    assert.equal(train.code, 0, train.stderr);
    const checkpoint = lastOfNewestRun(join(work, dir), 'nonsense.txt');
    const out = join(work, `words-${flags[1]}.h5`);
    const exported = rnnLab(['export', '--checkpoint', checkpoint, '--keras', out], work);
    assert.equal(exported.code, 0, exported.stderr);
    assert.ok(existsSync(out));
    for (const prefix of ['', 'the']) {
      const probs = (model: string[]) => {
        const r = rnnLab(['probs', ...model, '--prefix', prefix, '--start', '--top', '8', '--json'], work);
        assert.equal(r.code, 0, r.stderr);
        return JSON.parse(r.stdout.trim().split('\n').at(-1)!) as { top: Array<{ symbol: string; p: number }>; entropyBits: number };
      };
      const ours = probs(['--checkpoint', checkpoint]);
      const keras = probs(['--keras-weights', out]);
      assert.deepEqual(keras.top.map((t) => t.symbol), ours.top.map((t) => t.symbol));
      keras.top.forEach((t, i) => assert.ok(Math.abs(t.p - ours.top[i].p) < 1e-6, `${t.symbol}: ${t.p} vs ${ours.top[i].p}`));
      assert.ok(Math.abs(keras.entropyBits - ours.entropyBits) < 1e-5);
      // Words, not characters: multi-letter symbols come back.
      assert.ok(keras.top.some((t) => [...t.symbol].length > 1));
    }
  });
}
