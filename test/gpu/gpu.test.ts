// `npm run test:gpu`: the GPU backend on this machine's NVIDIA GPU, against the float64 reference
// and the WebAssembly backend. Without a usable GPU every test fails, saying why: it never skips.
import { createCudaBackend } from '../../src/engine/backends/cuda';
import { createReferenceBackend } from '../../src/engine/backends/reference';
import { registerGpuSuite } from './suite';

registerGpuSuite(() => {
  const backend = createCudaBackend(createReferenceBackend('float32'));
  // The stand-in driver of the unit tests runs the kernels on the CPU: not a GPU.
  if (/stand-in/i.test(backend.info.description)) {
    backend.dispose();
    throw new Error(`RNN_LAB_CUDA_DRIVER points at the CPU stand-in (${backend.info.description}); npm run test:gpu needs an NVIDIA GPU`);
  }
  process.stdout.write(`# GPU: ${backend.info.description}\n`);
  return backend;
}, { full: true });
