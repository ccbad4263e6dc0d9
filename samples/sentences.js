#!/usr/bin/env node
// One sentence per line, for the lines-mode presets: reads texts, joins their wrapped lines into
// paragraphs and splits those after '.', '!' or '?' followed by a space and a capital, a digit or a quote.
// A fortune file (paragraphs separated by lines of '%') gives each fortune as a paragraph, its
// attribution lines ("-- Author") dropped.
// Usage: node samples/sentences.js FILE... > OUT
//   node samples/sentences.js samples/prose.txt > samples/sentences.txt
//   node samples/sentences.js /usr/share/games/fortunes/{literature,wisdom,science} > samples/fortunes.txt
'use strict';
const fs = require('fs');

function paragraphs(text) {
  const blocks = /^%$/m.test(text) ? text.split(/^%$/m) : text.split(/\n\s*\n/);
  return blocks
    .map((block) => block.split('\n').filter((line) => !/^\s*--/.test(line)).map((line) => line.trim()).join(' '))
    .map((p) => p.replace(/\s+/g, ' ').trim())
    .filter((p) => p.length > 0);
}

function sentences(paragraph) {
  return paragraph.split(/(?<=[.!?]["')]?)\s+(?=["'(]?[A-Z0-9])/).map((s) => s.trim()).filter((s) => s.length > 0);
}

const out = [];
for (const file of process.argv.slice(2)) {
  for (const p of paragraphs(fs.readFileSync(file, 'utf8'))) {
    for (const s of sentences(p)) {
      // Headings and other lines without a sentence's end are not sentences.
      if (/[.!?]["')]?$/.test(s) && /\s/.test(s)) out.push(s);
    }
  }
}
process.stdout.write(out.join('\n') + '\n');
