/**
 * The protocol's index: the channels between the three parties, one module each, re-exported so
 * a module that speaks several imports one place.
 *   envelope.ts  the `{ type, payload }` envelope and its runtime check
 *   trainer.ts   extension host <-> trainer process (IPC)
 *   webview.ts   extension host <-> Lab and samples webviews (postMessage)
 *   labs.ts      lab questions and answers (ride on both channels)
 *   series.ts    extension host <-> time-series lab webview
 * The payloads are the engine's: the protocol imports the engine, never the reverse.
 */
export * from './envelope';
export * from './trainer';
export * from './webview';
export * from './labs';
export type * from '../engine/train/events';
export { backendNames, cellTypes, defaultTrainConfig, optimizerNames, type TrainConfig } from '../engine/config/settings';
