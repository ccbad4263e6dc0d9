/**
 * The GPU webview's part, played by Dawn in a process of its own, for the relay's unit tests: it
 * listens on the socket given as its argument, as the extension host does, and serves each
 * connection's requests with the same GpuServer the webview runs (on Dawn instead of
 * navigator.gpu). RNN_LAB_STAND_IN_DROP_AFTER=N closes a connection after N answers, as a closed
 * GPU tab does. Prints "listening" once it listens.
 */
import { createServer } from 'node:net';
import { dawnGpu } from '../../../src/engine/backends/webgpu/dawn';
import { GpuServer, type GpuRequest } from '../../../src/engine/backends/webgpu/server';
import { readFrames, writeFrame } from '../../../src/engine/backends/webgpu/socketFrames';

const dropAfter = Number(process.env.RNN_LAB_STAND_IN_DROP_AFTER || Infinity);

const server = createServer((socket) => {
  const gpu = new GpuServer(dawnGpu);
  let answered = 0;
  let queue = Promise.resolve();
  readFrames(socket, (request) => {
    queue = queue.then(async () => {
      const answer = await gpu.handle(request as GpuRequest);
      if (answered++ >= dropAfter) return void socket.destroy();
      writeFrame(socket, answer);
    });
  });
  socket.on('error', () => socket.destroy());
});
server.listen(process.argv[2], () => process.stdout.write('listening\n'));
