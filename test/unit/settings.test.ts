import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  defaultTrainConfig, renderErrorMessage, settingKeys, settingOf, validateConfig, type Setting, type TrainConfig,
} from '../../src/engine/config';
import { UserInputError } from '../../src/engine/text/errors';
import { assertTrainable } from '../../src/engine/data/validate';
import { corpusFromText } from '../../src/engine/data/corpus';
import { readTrainConfig } from '../../src/extension/config';
import { configFromFlags, flagsFromConfig, settingOptions } from '../../src/cli/settingsFlags';
import { trainUsage } from '../../src/cli/train';
import { parseArgs } from 'node:util';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { presetsMarkdown, replaceBetweenMarkers, settingsMarkdown } from '../../src/engine/config/docs';
import { DebiasedAverage } from '../../src/engine/train/smoothing';
import { DivergenceGuard } from '../../src/engine/train/divergence';
import { renderSettingRefs } from '../../src/engine/config/render';
import { presetConfig, presets } from '../../src/engine/config/presets';
import { autoBackendDescription, backendRegistry } from '../../src/engine/backends/registry';

function parseFlags(args: string[]) {
  return parseArgs({ args, options: settingOptions, strict: true }).values as Record<string, string | boolean | undefined>;
}

function reader(values: Record<string, unknown>) {
  return { get: <T>(key: string) => values[key] as T | undefined };
}

/** A valid value other than the default, for each kind of setting. */
function otherValue(s: Setting, i: number): unknown {
  switch (s.type) {
    case 'integer': return s.default === s.maximum ? s.maximum - 1 : Math.min(s.maximum, (s.default ?? s.minimum) + 1 + (i % 3));
    case 'number': return s.default === s.maximum ? s.maximum / 2 : Math.min(s.maximum, (s.default ?? s.minimum) + 0.125);
    case 'boolean': return !s.default;
    case 'string': return `text ${i} with spaces`;
    case 'choice': return s.choices.find((c) => c !== s.default)!;
  }
}

test('the defaults pass validation', () => {
  validateConfig(defaultTrainConfig);
});

test('every setting round-trips through its CLI flag', () => {
  const config = Object.fromEntries(settingKeys.map((k, i) => [k, otherValue(settingOf(k), i)])) as TrainConfig;
  validateConfig(config);
  const args = flagsFromConfig(config);
  assert.deepEqual(configFromFlags(parseFlags(args)), config);
  // And each one alone, over the defaults.
  for (const key of settingKeys) {
    const one = { ...defaultTrainConfig, [key]: otherValue(settingOf(key), 0) } as TrainConfig;
    assert.deepEqual(configFromFlags(parseFlags(flagsFromConfig(one))), one, key);
  }
});

test('flags override a base config (a preset); naming one budget replaces the base budget', () => {
  const base = { ...defaultTrainConfig, hiddenSize: 10, steps: 500, epochs: 3 };
  const c = configFromFlags(parseFlags(['--hidden', '20', '--seconds', '5']), base);
  assert.equal(c.hiddenSize, 20);
  assert.deepEqual([c.steps, c.epochs, c.seconds], [0, 0, 5]);
  assert.equal(configFromFlags(parseFlags([]), base).hiddenSize, 10);
});

test('the engine and the editor agree on every limit: what validation rejects, the settings clamp or drop', () => {
  for (const key of settingKeys) {
    const s = settingOf(key);
    if (s.type !== 'integer' && s.type !== 'number') continue;
    const maxOk = { ...defaultTrainConfig, [key]: s.maximum };
    if (key !== 'steps' || s.maximum > 0) validateConfig(maxOk);
    assert.throws(() => validateConfig({ ...defaultTrainConfig, [key]: s.maximum + 1 }), UserInputError, key);
    const read = readTrainConfig(reader({ [key]: s.maximum + 1 }));
    assert.equal(read.config[key], s.maximum, key);
    assert.equal(read.problems.length, 1, key);
    validateConfig(read.config);
    const below = s.exclusiveMinimum ? s.minimum : s.minimum - 1;
    assert.throws(() => validateConfig({ ...defaultTrainConfig, [key]: below }), UserInputError, `${key} below its minimum`);
    const low = readTrainConfig(reader({ [key]: below }));
    validateConfig(low.config);
    // steps at 0 also leaves the run without any budget: a second problem.
    assert.equal(low.problems.length, key === 'steps' ? 2 : 1, key);
  }
});

test('the settings and the engine check the same limits (valFraction, maxVocab, layers, seqLength)', () => {
  assert.throws(() => validateConfig({ ...defaultTrainConfig, valFraction: 0 }), /valFraction/);
  assert.equal(readTrainConfig(reader({ valFraction: 0 })).config.valFraction, defaultTrainConfig.valFraction);
  validateConfig({ ...defaultTrainConfig, maxVocab: 65_535 });
  assert.equal(readTrainConfig(reader({ maxVocab: 65_536 })).config.maxVocab, 65_535);
  assert.equal(readTrainConfig(reader({ layers: 16 })).config.layers, 8);
  assert.throws(() => validateConfig({ ...defaultTrainConfig, layers: 16 }));
  assert.throws(() => validateConfig({ ...defaultTrainConfig, seqLength: 100_000 }));
});

test('a bad setting is named as each surface names it: --seq on the CLI, rnnLab.seqLength in the editor', () => {
  let error: unknown;
  try {
    validateConfig({ ...defaultTrainConfig, seqLength: 5000 });
  } catch (e) {
    error = e;
  }
  assert.ok(error instanceof UserInputError);
  assert.equal(error.setting?.key, 'seqLength');
  assert.equal(error.setting?.suggestion, 2048);
  assert.equal(renderErrorMessage(error, 'cli'), '--seq must be an integer from 1 to 2048 (got 5000); try --seq 2048.');
  assert.equal(renderErrorMessage(error, 'editor'), 'rnnLab.seqLength must be an integer from 1 to 2048 (got 5000); try rnnLab.seqLength = 2048.');
  assert.doesNotMatch(renderErrorMessage(error, 'editor'), /--/);
});

test('a text too short for the sequence length suggests a sequence length that fits, per surface', () => {
  const corpus = corpusFromText('a few words, not many', { maxVocab: 96, name: 'short.txt' });
  let error: unknown;
  try {
    assertTrainable(corpus, { ...defaultTrainConfig, seqLength: 64 });
  } catch (e) {
    error = e;
  }
  assert.ok(error instanceof UserInputError);
  assert.match(renderErrorMessage(error, 'cli'), /short\.txt is too short.*\(--seq\).*try --seq 9 or less, or a bigger file/);
  assert.match(renderErrorMessage(error, 'editor'), /\(rnnLab\.seqLength\).*try rnnLab\.seqLength = 9 or less/);
  assertTrainable(corpus, { ...defaultTrainConfig, seqLength: 9 });
});

test('rnn-lab train --help lists every setting\'s flag with its default', () => {
  for (const key of settingKeys) {
    const s = settingOf(key);
    const line = trainUsage.split('\n').findIndex((l) => l.includes(`--${s.flag} `) || l.trimEnd().endsWith(`--${s.flag}`));
    assert.ok(line >= 0, `--${s.flag} in the usage`);
    const text = trainUsage.split('\n').slice(line, line + 2).join(' ');
    assert.ok(text.includes(`(default ${s.default === '' ? '""' : s.default})`), `default of --${s.flag}: ${text}`);
  }
});

test('the smoothed loss is an average from the first step, not a lagging start value', () => {
  const average = new DebiasedAverage(0.05);
  assert.ok(Number.isNaN(average.value));
  assert.equal(average.add(4), 4);
  // Two values: weights 0.95 (older) and 1 (newer), so close to their mean, not stuck near the first.
  assert.ok(Math.abs(average.add(2) - (4 * 0.95 + 2) / 1.95) < 1e-12);
  for (let i = 0; i < 500; i++) average.add(1);
  assert.ok(Math.abs(average.value - 1) < 1e-9);
  // The old start-at-the-first-loss average after the same two values was 0.95 * 4 + 0.05 * 2 = 3.9.
});

test('every preset is a valid config, named after its source, with a bundled text', () => {
  const names = new Set<string>();
  for (const preset of presets) {
    assert.ok(!names.has(preset.name), preset.name);
    names.add(preset.name);
    validateConfig(presetConfig(preset));
    assert.match(preset.title, /seed 00\d/);
  }
  assert.ok(presets.some((p) => p.title.startsWith('Captions, as in the Keras lab (seed 004): lines mode, S/E, LSTM 128 + Dense 128, RMSprop 0.001, batch 128')));
});

test('the backend setting\'s choices and descriptions are the registry\'s, here and in package.json (npm run sync-settings)', () => {
  const backend = settingOf('backend');
  assert.equal(backend.type, 'choice');
  if (backend.type !== 'choice') return;
  const names = ['auto', ...backendRegistry.map((entry) => entry.name)];
  const descriptions = [autoBackendDescription(), ...backendRegistry.map((entry) => entry.description)];
  assert.deepEqual(backend.choices, names);
  assert.deepEqual(backend.choiceDescriptions, descriptions);
  // 'auto' names each backend it tries, in the order it tries them.
  const tried = backendRegistry.filter((entry) => entry.auto).map((entry) => autoBackendDescription().indexOf(entry.label));
  assert.ok(tried.every((at, i) => at >= 0 && (i === 0 || at > tried[i - 1])), autoBackendDescription());
  const manifest = JSON.parse(readFileSync(join(__dirname, '../../../package.json'), 'utf8'));
  const contributed = Object.assign({}, ...manifest.contributes.configuration.map((c: { properties: object }) => c.properties))['rnnLab.backend'];
  assert.deepEqual(contributed.enum, names);
  assert.deepEqual(contributed.enumDescriptions, descriptions);
});

test('README\'s settings and presets tables are the ones the declarations derive (npm run sync-settings)', () => {
  const readme = readFileSync(join(__dirname, '..', '..', '..', 'README.md'), 'utf8');
  const expected = replaceBetweenMarkers(replaceBetweenMarkers(readme, 'settings', settingsMarkdown()), 'presets', presetsMarkdown());
  assert.equal(readme, expected);
  for (const key of settingKeys) assert.ok(readme.includes(`| \`${key}\` | \`--${settingOf(key).flag}\``), key);
});

test('engine messages name settings per surface: a diverged run says --lr on the CLI and rnnLab.learningRate in the editor', () => {
  const message = new DivergenceGuard(1).message('the training loss 9.000 at step 3 is more than 3x the initial 1.000', undefined);
  assert.match(renderSettingRefs(message, 'cli'), /a lower learning rate \(--lr\) or gradient clipping \(--clip\)/);
  assert.match(renderSettingRefs(message, 'editor'), /a lower learning rate \(rnnLab\.learningRate\) or gradient clipping \(rnnLab\.clipNorm\)/);
  const error = new UserInputError('too big; lower {setting:batchSize}');
  assert.equal(error.message, 'too big; lower batchSize');
  assert.equal(renderErrorMessage(error, 'cli'), 'too big; lower --batch');
  assert.equal(renderErrorMessage(error, 'editor'), 'too big; lower rnnLab.batchSize');
});

test('hiddenSize takes one size for every layer or one per layer: --hidden 128,512, rnnLab.hiddenSize "128,512" or [128, 512]', () => {
  const cli = configFromFlags(parseFlags(['--hidden', '128,512', '--layers', '2']));
  assert.deepEqual(cli.hiddenSize, [128, 512]);
  validateConfig(cli);
  assert.deepEqual(flagsFromConfig(cli), ['--hidden', '128,512', '--layers', '2', '--steps', String(defaultTrainConfig.steps), '--epochs', '0', '--seconds', '0']);
  assert.deepEqual(configFromFlags(parseFlags(flagsFromConfig(cli))), cli);
  assert.equal(configFromFlags(parseFlags(['--hidden', '64'])).hiddenSize, 64);
  assert.throws(() => configFromFlags(parseFlags(['--hidden', '128,x'])), /--hidden needs an integer, or integers separated by commas, one per layer \(got "128,x"\)/);
  assert.throws(() => configFromFlags(parseFlags(['--hidden', '128,'])), /--hidden needs/);
  for (const value of ['128, 512', [128, 512]]) {
    const read = readTrainConfig(reader({ hiddenSize: value, layers: 2 }));
    assert.deepEqual(read.config.hiddenSize, [128, 512]);
    assert.deepEqual(read.problems, []);
  }
  // Out of range in a list: clamped like one number, and said.
  const clamped = readTrainConfig(reader({ hiddenSize: [128, 9000], layers: 2 }));
  assert.deepEqual(clamped.config.hiddenSize, [128, 4096]);
  assert.equal(clamped.problems.length, 1);
  assert.match(clamped.problems[0], /^rnnLab\.hiddenSize: \[128,9000\] is not an integer from 1 to 4096, or a comma-separated list of such, one per layer; using \[128,4096\]/);
  assert.throws(() => validateConfig({ ...defaultTrainConfig, hiddenSize: [128, 0], layers: 2 }), /hiddenSize must be an integer from 1 to 4096, or a comma-separated list of such, one per layer \(got 128,0\)/);
  assert.equal(readTrainConfig(reader({ hiddenSize: 'wide' })).config.hiddenSize, defaultTrainConfig.hiddenSize);
});

test('a list of sizes that disagrees with the layer count is one message naming both settings, per surface', () => {
  let error: unknown;
  try {
    validateConfig(configFromFlags(parseFlags(['--hidden', '128,512'])));
  } catch (e) {
    error = e;
  }
  assert.ok(error instanceof UserInputError);
  assert.equal(renderErrorMessage(error, 'cli'), '--hidden gives 2 sizes (128,512) but --layers is 1: give one size per layer, or set --layers to 2.');
  assert.equal(renderErrorMessage(error, 'editor'), 'rnnLab.hiddenSize gives 2 sizes (128,512) but rnnLab.layers is 1: give one size per layer, or set rnnLab.layers to 2.');
});
