/**
 * A loss history that stays small however long the run: once it holds `2 * cap` points it keeps
 * every other one and from then on records every second step (then fourth, ...).
 */
import type { LossPoint } from '../model/io/checkpoint';

export class DownsampledHistory {
  private points: LossPoint[] = [];
  private stride = 1;

  constructor(private readonly cap = 1000) {}

  add(step: number, loss: number, ms?: number): void {
    if (step % this.stride !== 0) return;
    this.points.push(ms === undefined ? { step, loss } : { step, loss, ms: Math.round(ms) });
    if (this.points.length >= 2 * this.cap) {
      this.points = this.points.filter((_, i) => i % 2 === 0);
      this.stride *= 2;
    }
  }

  toArray(): LossPoint[] {
    return this.points.slice();
  }
}
