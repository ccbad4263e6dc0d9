/**
 * Length-prefixed frames of V8-serialized values on a stream socket: how the trainer's relay
 * worker (relayWorker.ts) and the extension host (extension/gpuBridge.ts) exchange WebGPU requests
 * and answers. V8's serializer keeps typed arrays typed, so weights and batches cross as they are.
 */
import type { Socket } from 'node:net';
import { deserialize, serialize } from 'node:v8';

/** The environment variable that gives the trainer the socket of the extension host's GPU webview. */
export const GPU_SOCKET_ENV = 'RNN_LAB_GPU_SOCKET';

export function writeFrame(socket: Socket, value: unknown): void {
  const body = serialize(value);
  const head = Buffer.alloc(4);
  head.writeUInt32LE(body.length, 0);
  socket.write(Buffer.concat([head, body]));
}

/** Calls `onFrame` with each whole value that arrives on `socket`. */
export function readFrames(socket: Socket, onFrame: (value: unknown) => void): void {
  let pending: Buffer = Buffer.alloc(0);
  socket.on('data', (chunk: Buffer) => {
    pending = pending.length === 0 ? chunk : Buffer.concat([pending, chunk]);
    while (pending.length >= 4) {
      const size = pending.readUInt32LE(0);
      if (pending.length < 4 + size) break;
      const body = pending.subarray(4, 4 + size);
      pending = pending.subarray(4 + size);
      onFrame(deserialize(body));
    }
  });
}
