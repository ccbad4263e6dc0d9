import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  defaultTrainConfig, describeRejected, hostToTrainerTypes, isMessageOf, trainerAnswers, trainerToHostTypes, webviewToHostTypes,
  type HostMessage, type HostToTrainer, type TrainerMessage, type TrainerToHost, type WebviewToHost,
} from '../../src/protocol/messages';
import { gpuPageToHostTypes, hostToGpuPageTypes, type FromGpuPageMessage, type GpuPageToHost, type HostToGpuPage, type ToGpuPageMessage } from '../../src/protocol/gpu';

const trainerMessages: TrainerMessage[] = [
  { type: 'ready', payload: { pid: 42 } },
  { type: 'step', payload: { step: 3, epoch: 0.5, loss: 3.2, smoothLoss: 3.3, gradNorm: 1.5, charsPerSec: 12000, elapsedMs: 800, etaMs: -1 } },
  { type: 'eval', payload: { step: 100, epoch: 1, valLoss: 1.9, valBitsPerChar: 1.9 / Math.LN2, trainLoss: 1.8, sample: 'the river 🌊\nbend', prime: 'the ', temperature: 0.8, charsPerSec: 9000, elapsedMs: 5000, isBest: true } },
  { type: 'checkpoint', payload: { path: '/tmp/x-best.rnnlab.json', step: 100, valLoss: 1.9, reason: 'best' } },
  { type: 'finished', payload: { reason: 'diverged', message: 'loss exploded', step: 7, bestValLoss: 2.5 } },
  { type: 'probsResult', payload: { requestId: 1, probs: [{ symbol: 'e', p: 0.4 }, { symbol: '⟨unk⟩', p: 0.01 }], entropyBits: 2.2 } },
];
const hostMessages: HostMessage[] = [
  { type: 'start', payload: { runId: 'r1', source: { kind: 'text', text: 'hello\r\nworld', name: 'doc' }, config: defaultTrainConfig, checkpointDir: '/tmp/c' } },
  { type: 'pause', payload: {} },
  { type: 'probs', payload: { requestId: 2, context: 'the riv', top: 10 } },
];

test('trainer and host messages survive a JSON round trip unchanged', () => {
  for (const m of [...trainerMessages, ...hostMessages]) assert.deepEqual(JSON.parse(JSON.stringify(m)), m);
});

test('isMessageOf accepts each direction\'s messages and rejects junk', () => {
  for (const m of trainerMessages) assert.ok(isMessageOf<TrainerToHost>(JSON.parse(JSON.stringify(m)), trainerToHostTypes));
  for (const m of hostMessages) assert.ok(isMessageOf<HostToTrainer>(m, hostToTrainerTypes));
  assert.ok(isMessageOf<WebviewToHost>({ type: 'ready', payload: {} }, webviewToHostTypes));
  for (const junk of [null, undefined, 42, 'step', {}, { type: 'step' }, { payload: {} }, { type: 'nope', payload: {} }, [1, 2]]) {
    assert.equal(isMessageOf<TrainerToHost>(junk, trainerToHostTypes), false, JSON.stringify(junk));
  }
  // A message of the other direction is not accepted.
  assert.equal(isMessageOf<HostToTrainer>({ type: 'eval', payload: {} }, hostToTrainerTypes), false);
  // The tables are objects: an inherited key is no message type.
  for (const type of ['constructor', 'toString', '__proto__', 'hasOwnProperty']) {
    assert.equal(isMessageOf<HostToTrainer>({ type, payload: {} }, hostToTrainerTypes), false, type);
  }
});

test('every answer the trainer sends carries the request id of a request the host sends', () => {
  for (const [request, answer] of Object.entries(trainerAnswers)) {
    assert.ok(Object.hasOwn(hostToTrainerTypes, request), `${request} is not a host-to-trainer message`);
    assert.ok(Object.hasOwn(trainerToHostTypes, answer), `${answer} is not a trainer-to-host message`);
  }
  assert.deepEqual(new Set(Object.values(trainerAnswers)).size, Object.keys(trainerAnswers).length, 'two requests share one answer type');
});

test('a rejected message is described by its type', () => {
  assert.match(describeRejected({ type: 'bogus', payload: {} }), /unknown message type "bogus"/);
  assert.match(describeRejected(42), /without a type/);
});

test('the GPU webview channel: a request and an answer pass, the other direction\'s and unknown types do not', () => {
  const request: ToGpuPageMessage = { type: 'request', payload: { requestId: 1, request: { op: 'call', id: 2, method: 'trainStep', args: [] } } };
  const answer: FromGpuPageMessage = { type: 'answer', payload: { requestId: 1, answer: { ok: false, error: { name: 'WebGpuError', message: 'lost', kind: 'device-lost' } } } };
  assert.ok(isMessageOf<HostToGpuPage>(request, hostToGpuPageTypes));
  assert.ok(isMessageOf<GpuPageToHost>(answer, gpuPageToHostTypes));
  assert.ok(isMessageOf<GpuPageToHost>({ type: 'ready', payload: {} }, gpuPageToHostTypes));
  assert.equal(isMessageOf<GpuPageToHost>(request, gpuPageToHostTypes), false);
  assert.equal(isMessageOf<HostToGpuPage>(answer, hostToGpuPageTypes), false);
  assert.equal(isMessageOf<HostToGpuPage>({ type: 'snapshot', payload: null }, hostToGpuPageTypes), false);
});
