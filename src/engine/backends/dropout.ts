/**
 * Dropout masks every backend draws the same way: a counter-based hash of (seed, site, batch row,
 * step, unit), so a mask does not depend on how a backend orders or splits its work (threads,
 * GPU blocks). Site l is the output of recurrent layer l (the input of layer l+1, or of the output
 * layers for the top one). A unit is dropped when the hash is below p·2^32; kept units are scaled
 * by 1/(1-p) (inverted dropout). The WebAssembly kernels (`dropout_hash` in wasm/kernels/net.c)
 * and the GPU kernels (`dropout_apply` in cuda/kernels/kernels.cu) compute the same function.
 */

function mix32(x: number): number {
  x ^= x >>> 16;
  x = Math.imul(x, 0x7feb352d);
  x ^= x >>> 15;
  x = Math.imul(x, 0x846ca68b);
  x ^= x >>> 16;
  return x >>> 0;
}

export function dropoutHash(seed: number, site: number, row: number, step: number, unit: number): number {
  return mix32(mix32(mix32(mix32(mix32(seed >>> 0) ^ site) ^ row) ^ step) ^ unit);
}

/** Hashes below this are dropped. */
export function dropoutThreshold(p: number): number {
  return Math.min(4294967295, Math.floor(p * 4294967296)) >>> 0;
}

/** The scale of a kept unit (inverted dropout), as float32 since every backend multiplies by it in float32. */
export function dropoutKeepScale(p: number): number {
  return Math.fround(1 / (1 - p));
}

/**
 * Writes the inverted-dropout scale of each value of `rows` time-major rows (row r = t*B + b) of
 * `width` units into `mask`, and multiplies `values` by it.
 */
export function applyDropout(values: Float32Array | Float64Array, mask: Float32Array | Float64Array, p: number, seed: number, site: number, B: number, width: number): void {
  const threshold = dropoutThreshold(p);
  const keep = dropoutKeepScale(p);
  const rows = values.length / width;
  for (let r = 0; r < rows; r++) {
    const t = Math.floor(r / B);
    const b = r % B;
    const key = mix32(mix32(mix32(mix32(seed >>> 0) ^ site) ^ b) ^ t);
    for (let j = 0; j < width; j++) {
      const i = r * width + j;
      mask[i] = mix32(key ^ j) >= threshold ? keep : 0;
      values[i] *= mask[i];
    }
  }
}
