#!/usr/bin/env node
// The "nonsense language" of the word-level tutorial: a weighted grammar that strings clauses
// (stop word, noun, optional adverbs, verb, optional nouns) joined by punctuation until a full
// stop, or until the sentence passes 500 characters. One sentence per line.
// Usage: node samples/nonsense.js [seed] [bytes] > samples/nonsense.txt
'use strict';
const { createRng, weighted } = require('./rng');

const seed = Number(process.argv[2] ?? 1);
const targetBytes = Number(process.argv[3] ?? 40000);
const rng = createRng(seed);

const punctuation = weighted({ '.': 0.49, ',': 0.5, ';': 0.03, '?': 0.05, '!': 0.05 }, rng);
const stop = weighted({ the: 10, from: 5, a: 9, they: 3, he: 3, it: 2.5, she: 2.7, in: 4.5 }, rng);
const noun = weighted(['cat', 'broom', 'boat', 'dog', 'car', 'wrangler', 'mexico', 'lantern', 'book', 'paper', 'joke', 'calendar', 'ship', 'event'], rng);
const verb = weighted(['ran', 'stole', 'carried', 'could', 'would', 'do', 'can', 'carry', 'catapult', 'jump', 'duck'], rng);
const adverb = weighted(['rapidly', 'calmly', 'cooly', 'in jest', 'fantastically', 'angrily', 'dazily'], rng);

function clause() {
  let s = `${stop()} ${noun()}`;
  if (rng() > 0.7) s += ` ${adverb()}`;
  if (rng() > 0.7) s += ` ${adverb()}`;
  s += ` ${verb()}`;
  if (rng() > 0.8) s += ` ${noun()}`;
  if (rng() > 0.9) s += `-${noun()}`;
  return s;
}

function sentence() {
  let s = '';
  for (;;) {
    s += (s ? ' ' : '') + clause();
    if (s.length > 500) return s + ' .';
    const p = punctuation();
    s += ` ${p}`;
    if (p === '.') return s;
  }
}

const lines = [];
let bytes = 0;
while (bytes < targetBytes) {
  const line = sentence();
  lines.push(line);
  bytes += line.length + 1;
}
process.stdout.write(lines.join('\n') + '\n');
