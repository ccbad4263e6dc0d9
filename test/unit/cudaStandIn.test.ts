// The GPU backend's host code and kernels, run through a stand-in for the NVIDIA driver that
// executes the same CUDA C kernels on the CPU (test/cuda-stand-in/stand-in.cc). This checks the
// koffi binding, the launch sequence, the graph capture rules and the kernels' arithmetic as
// written; it does not run the PTX, the driver's compiler or a GPU: `npm run test:gpu` does.
import { strict as assert } from 'node:assert';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { createCudaBackend, GpuUnavailableError, openRuntime } from '../../src/engine/backends/cuda';
import { createReferenceBackend } from '../../src/engine/backends/reference';
import { registerGpuSuite } from '../gpu/suite';
import { compileStandIn } from '../cuda-stand-in/compile';

const root = join(__dirname, '..', '..', '..');
const work = mkdtempSync(join(tmpdir(), 'rnnlab-stand-in-'));
const library = join(work, 'libcuda-stand-in.so');

compileStandIn(join(root, 'test/cuda-stand-in/stand-in.cc'), library);
process.env.RNN_LAB_CUDA_DRIVER = library;
test.after(() => rmSync(work, { recursive: true, force: true }));

test('stand-in: each reason for not using the GPU has its own message', () => {
  const reasonOf = (env: Record<string, string>) => {
    Object.assign(process.env, env);
    try {
      openRuntime();
      return undefined;
    } catch (error) {
      assert.ok(error instanceof GpuUnavailableError, String(error));
      return [error.kind, error.message];
    } finally {
      for (const k of Object.keys(env)) delete process.env[k];
    }
  };
  assert.deepEqual(reasonOf({ RNN_LAB_STAND_IN_DEVICES: '0' }), ['no-device', 'driver 12.8 reports no CUDA device']);
  const tooOld = reasonOf({ RNN_LAB_STAND_IN_PTX_ERROR: 'ptxas fatal: Unsupported .version 6.3' });
  assert.equal(tooOld?.[0], 'driver-too-old');
  assert.match(tooOld?.[1] ?? '', /cuModuleLoadDataEx \(compiling the kernels' PTX for this GPU, driver 12\.8\) failed: CUDA_ERROR_UNSUPPORTED_PTX_VERSION \(222\).*\nJIT log: ptxas fatal: Unsupported \.version 6\.3/s);
  assert.equal(reasonOf({}), undefined);
});

registerGpuSuite(() => createCudaBackend(createReferenceBackend('float32')), { full: false });
