/** Q1: the time per epoch measured while this process trained the model, and the hardware it ran on. */
import type { LabCard, LabQuestion } from '../card';
import { hardwareInfo, type HardwareInfo, type TimingReport } from '../timing';

export interface TimingRequest { kind: 'timing' }
export interface TimingAnswer { kind: 'timing'; timing: TimingReport; hardware: HardwareInfo }

export const timingQuestion: LabQuestion<TimingRequest> = {
  kind: 'timing',
  clamp: () => ({ kind: 'timing' }),
};

export const timingCard: LabCard<TimingRequest, TimingAnswer> = {
  question: timingQuestion,
  answer(_request, { model, clock }) {
    if (!clock) return { kind: 'error', message: 'This model was not trained in this window, so there is no training time to report.' };
    return { kind: 'timing', timing: clock.report(), hardware: hardwareInfo(model.backend) };
  },
};
