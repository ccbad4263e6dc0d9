/**
 * The trainer's lab desk: answers lab questions, surprisal and streamed samples on the model the
 * process holds, between training steps. Inputs are clamped here (the last stop before the
 * engine), and every failure becomes a calm answer the card can show instead of a spinner.
 */
import { neuronTextLimit, noModelMessage, onDemandSampleLength, type HostToTrainer, type LabAnswer, type LabRequest, type RunStarted, type StepMetrics, type SurprisalResult } from '../protocol/messages';
import {
  EpochClock, findNeurons, hardwareInfo, hiddenTrace, resetStateExperiment, sampleSentences, surprisal, temperatureExplorer,
  topFirstSymbols, unitActivations,
} from '../engine/labs';
import { teacherForcedDecode } from '../engine/labs/decode';
import { gradientFlow } from '../engine/labs/gradientFlow';
import { SampleStream } from '../engine/sample/stream';
import type { LabModel } from '../engine/train/run';
import type { TrainerIo } from './trainer';

/** Characters a streamed sample sends per message. */
const streamChunk = 24;

const clamp = (x: number, lo: number, hi: number, fallback: number) => (Number.isFinite(x) ? Math.min(hi, Math.max(lo, x)) : fallback);
const yieldToLoop = () => new Promise<void>((resolve) => setImmediate(resolve));
const round = (x: number, digits: number) => Number(x.toFixed(digits));


export class LabDesk {
  private clock: EpochClock | undefined;
  private surprisalRequest = 0;

  constructor(private readonly io: TrainerIo) {}

  started(info: RunStarted): void {
    this.clock = new EpochClock(info.stepsPerEpoch, info.startStep ?? 0);
  }

  step(metrics: StepMetrics): void {
    this.clock?.observe(metrics);
  }

  answer(model: LabModel | undefined, request: LabRequest): LabAnswer {
    if (!model) return { kind: 'error', message: noModelMessage };
    if (request.kind === 'timing') {
      if (!this.clock) return { kind: 'error', message: 'This model was not trained in this window, so there is no training time to report.' };
      return { kind: 'timing', timing: this.clock.report(), hardware: hardwareInfo(model.backend) };
    }
    const stepper = model.createStepper();
    try {
      switch (request.kind) {
        case 'firstSymbols':
          return { kind: 'firstSymbols', ...topFirstSymbols(stepper, model.vocab, String(request.prefix ?? '').slice(0, 500), clamp(request.top, 1, 50, 10)) };
        case 'sentences':
          return { kind: 'sentences', ...sampleSentences(stepper, model.vocab, this.sentenceOptions(request, model.seed)) };
        case 'resetState':
          return { kind: 'resetState', ...resetStateExperiment(stepper, model.vocab, this.sentenceOptions(request, model.seed)) };
        case 'temperatures':
          return { kind: 'temperatures', ...temperatureExplorer(stepper, model.vocab, {
            prime: String(request.prime ?? '').slice(0, 2000), length: clamp(request.length, 1, 1000, 120), seed: model.seed,
          }) };
        case 'neurons':
          return this.neurons(model, stepper, request);
        case 'decode': {
          const line = String(request.line ?? '').split('\n')[0].slice(0, 1000);
          if (line.trim() === '') return { kind: 'error', message: 'That line is empty: pick a line of text to decode.' };
          return { kind: 'decode', lineNumber: request.lineNumber, ...teacherForcedDecode(stepper, model.vocab, line) };
        }
        case 'gradientFlow': {
          const line = String(request.line ?? '').split('\n')[0].slice(0, 1000);
          if (model.vocab.encode(line).length + (model.vocab.startId >= 0 ? 1 : 0) < 2) {
            return { kind: 'error', message: 'That line is too short: pick a line of at least two symbols to follow the gradient back through.' };
          }
          return { kind: 'gradientFlow', lineNumber: request.lineNumber, ...gradientFlow(model.spec, model.params, model.vocab, line, model.seed) };
        }
      }
    } finally {
      stepper.dispose();
    }
  }

  private sentenceOptions(request: { count: number; temperature: number; maxLength: number }, seed: number) {
    return { count: clamp(request.count, 1, 20, 5), temperature: clamp(request.temperature, 0, 2, 0.8), maxLength: clamp(request.maxLength, 1, 1000, 200), seed };
  }

  private neurons(model: LabModel, stepper: ReturnType<LabModel['createStepper']>, request: Extract<LabRequest, { kind: 'neurons' }>): LabAnswer {
    const text = [...String(request.text ?? '')].slice(0, neuronTextLimit).join('');
    if (text.trim() === '') return { kind: 'error', message: 'Give the Neurons card some text to read (the open file is used when there is one).' };
    const trace = hiddenTrace(stepper, model.spec, model.vocab.encode(text));
    const found = findNeurons(trace, text, 3);
    let unit = Math.round(request.unit);
    if (!(unit >= 0 && unit < trace.units)) {
      const best = found.flatMap((f) => f.units ?? []).sort((a, b) => Math.abs(b.r) - Math.abs(a.r))[0];
      unit = best?.unit ?? 0;
    }
    return {
      kind: 'neurons', text, unit, units: trace.units,
      found: found.map((f) => ({ ...f, units: f.units?.map((u) => ({ unit: u.unit, r: round(u.r, 3) })) })),
      activations: unitActivations(trace, unit).map((a) => round(a, 3)),
    };
  }

  /** Surprisal in chunks between training steps; a newer request stops an older one at its next chunk. */
  async surprisal(model: LabModel | undefined, request: HostToTrainer['surprisal']): Promise<void> {
    const id = ++this.surprisalRequest;
    const empty: SurprisalResult = { bits: [], meanBits: NaN, unknownCount: 0, complete: false };
    if (!model) return this.io.send('surprisalResult', { requestId: request.requestId, ...empty });
    if (model.vocab.kind !== 'char') {
      return this.io.send('surprisalResult', { requestId: request.requestId, ...empty, complete: true, note: 'this model reads words, not characters: the colouring is per character, so it is not shown' });
    }
    const stepper = model.createStepper();
    try {
      const answer = await surprisal(stepper, model.vocab, request.text, {
        // A model trained on lines (a framed vocabulary) reads each line from the start symbol.
        context: request.context, lines: model.vocab.startId >= 0, chunk: 1000,
        pause: async () => { await yieldToLoop(); return id === this.surprisalRequest; },
      });
      this.io.send('surprisalResult', {
        requestId: request.requestId,
        bits: request.summary ? [] : Array.from(answer.bits, (b) => (Number.isNaN(b) ? -1 : round(b, 2))),
        meanBits: answer.meanBits, unknownCount: answer.unknownCount, complete: answer.complete,
      });
    } finally {
      stepper.dispose();
    }
  }

  /** A sample sent a piece at a time (training goes on between pieces); ends with `sampleResult`. */
  async streamSample(model: LabModel | undefined, request: HostToTrainer['sample']): Promise<void> {
    if (!model) return this.io.send('sampleResult', { requestId: request.requestId, text: '' });
    const stepper = model.createStepper();
    let text = '';
    try {
      const stream = new SampleStream(stepper, model.vocab, { prime: request.prime, temperature: request.temperature, seed: model.seed, stopAtEnd: request.stopAtEnd });
      const length = onDemandSampleLength(request.length);
      let symbols = 0;
      while (symbols < length && !stream.done) {
        const piece = stream.next(Math.min(streamChunk, length - symbols));
        symbols += Math.min(streamChunk, length - symbols);
        text += piece;
        this.io.send('sampleChunk', { requestId: request.requestId, text: piece });
        await yieldToLoop();
      }
    } finally {
      stepper.dispose();
    }
    this.io.send('sampleResult', { requestId: request.requestId, text });
  }
}
