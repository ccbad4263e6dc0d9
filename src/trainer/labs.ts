/**
 * The trainer's lab desk: answers lab questions (each by its card, engine/labs/registry.ts, which
 * clamps its inputs), surprisal and streamed samples on the model the process holds, between
 * training steps. Every failure becomes a calm answer the card can show instead of a spinner.
 */
import type { RunStarted, StepMetrics, SurprisalResult } from '../engine/train/events';
import type { LabAnswer, LabRequest } from '../protocol/labs';
import type { HostToTrainer } from '../protocol/trainer';
import { noModelMessage, onDemandSampleLength } from '../protocol/webview';
import { EpochClock, surprisal } from '../engine/labs';
import { answerLabRequest } from '../engine/labs/desk';
import { SampleStream } from '../engine/sample/stream';
import type { LabModel } from '../engine/train/run';
import type { TrainerIo } from './trainer';

/** Characters a streamed sample sends per message. */
const streamChunk = 24;

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

  /** The answer of the question's card (engine/labs/registry.ts), or a calm refusal. */
  answer(model: LabModel | undefined, request: LabRequest): LabAnswer {
    if (!model) return { kind: 'error', message: noModelMessage };
    return answerLabRequest(model, this.clock, request);
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
