/**
 * SwiftShader, Google's CPU implementation of Vulkan, as the GPU of the WebGPU tests: Debian's
 * `chromium` package ships it (/usr/lib/chromium/vk_swiftshader_icd.json; scripts/setup.sh installs
 * it with libvulkan1). RNN_LAB_SWIFTSHADER_ICD points elsewhere. Dawn reads these variables when
 * its first device opens, so they are set before any test opens one.
 */
import { existsSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const SWIFTSHADER_ICD = process.env.RNN_LAB_SWIFTSHADER_ICD ?? '/usr/lib/chromium/vk_swiftshader_icd.json';

/** The environment that makes SwiftShader Vulkan's only driver. */
export function swiftShaderEnv(): Record<string, string> {
  if (!existsSync(SWIFTSHADER_ICD)) {
    throw new Error(`SwiftShader's Vulkan driver is missing (${SWIFTSHADER_ICD}); install Debian's chromium package (scripts/setup.sh) or set RNN_LAB_SWIFTSHADER_ICD`);
  }
  // Vulkan's loader wants a private runtime folder.
  const runtime = process.env.XDG_RUNTIME_DIR ?? join(tmpdir(), `rnn-lab-xdg-${process.getuid?.() ?? 0}`);
  mkdirSync(runtime, { recursive: true, mode: 0o700 });
  return { VK_ICD_FILENAMES: SWIFTSHADER_ICD, XDG_RUNTIME_DIR: runtime };
}

/** Puts this process on SwiftShader (throws, so every test fails, when it is missing). */
export function useSwiftShader(): void {
  Object.assign(process.env, swiftShaderEnv());
}
