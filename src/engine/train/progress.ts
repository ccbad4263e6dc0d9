/** Time and throughput of a run: wall time without pauses, time spent in steps, tokens per second, ETA. */
export class RunClock {
  private startTime = 0;
  private pausedMs = 0;
  private trainingMs = 0;
  private trainedTokens = 0;

  start(): void {
    this.startTime = Date.now();
  }

  addPause(ms: number): void {
    this.pausedMs += ms;
  }

  addStep(ms: number, tokens: number): void {
    this.trainingMs += ms;
    this.trainedTokens += tokens;
  }

  elapsedMs(): number {
    return Date.now() - this.startTime - this.pausedMs;
  }

  /** Training throughput: tokens per second of time spent in training steps. */
  tokensPerSec(): number {
    return this.trainingMs > 0 ? (1000 * this.trainedTokens) / this.trainingMs : 0;
  }

  /** Estimated time left from the steps still to go (since `firstStep`) and the time limit; -1 when unknown. */
  etaMs(step: number, firstStep: number, totalSteps: number, seconds: number): number {
    const elapsed = this.elapsedMs();
    const estimates: number[] = [];
    const done = step - firstStep;
    if (totalSteps > 0 && done > 0) estimates.push(((totalSteps - step) * elapsed) / done);
    if (seconds > 0) estimates.push(Math.max(0, seconds * 1000 - elapsed));
    return estimates.length ? Math.min(...estimates) : -1;
  }
}
