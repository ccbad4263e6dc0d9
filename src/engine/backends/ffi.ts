/**
 * koffi, the FFI the GPU backend calls the CUDA driver through and the WebAssembly backend its
 * native products through. It ships prebuilt binaries, so it is loaded at run time (never
 * bundled), where its .node file is found; a platform without one gets a reason, not a crash.
 */
import { createRequire } from 'node:module';

// koffi's types are loose (`any` functions); each user wraps the calls it makes in typed ones.
/* eslint-disable-next-line @typescript-eslint/no-explicit-any */
export type Koffi = any;

/** koffi, or throws an Error saying this build has no FFI binary for this platform. */
export function loadKoffi(): Koffi {
  try {
    return createRequire(__filename)('koffi');
  } catch (error) {
    throw new Error(`this build has no FFI binary for ${process.platform}-${process.arch} (${(error as Error).message.split('\n')[0]})`);
  }
}
