// Seeded random numbers for the corpus generators (mulberry32), so every generated file is reproducible.
'use strict';

function createRng(seed) {
  let state = seed >>> 0;
  return function next() {
    let t = (state = (state + 0x6d2b79f5) | 0);
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A sampler over a weighted table ({ word: weight }) or a uniform list. */
function weighted(table, rng) {
  const entries = Array.isArray(table) ? table.map((k) => [k, 1]) : Object.entries(table);
  const total = entries.reduce((s, [, w]) => s + w, 0);
  return () => {
    let u = rng() * total;
    for (const [key, w] of entries) {
      u -= w;
      if (u < 0) return key;
    }
    return entries[entries.length - 1][0];
  };
}

function pick(list, rng) {
  return list[Math.floor(rng() * list.length)];
}

module.exports = { createRng, weighted, pick };
