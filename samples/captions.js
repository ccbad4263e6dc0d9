#!/usr/bin/env node
// Short caption-like sentences in the style of photo captions (lower case, one per line), from a
// small template grammar: who or what, doing something, somewhere. For the lines/captions lab.
// Usage: node samples/captions.js [seed] [bytes] > samples/captions.txt
'use strict';
const { createRng, pick } = require('./rng');

const seed = Number(process.argv[2] ?? 1);
const targetBytes = Number(process.argv[3] ?? 36000);
const rng = createRng(seed);
const maybe = (p, text) => (rng() < p ? text : '');

const people = ['a man', 'a woman', 'a young boy', 'a little girl', 'a group of people', 'two men', 'an older woman', 'a skateboarder', 'a surfer', 'a tennis player', 'a baseball player', 'a chef', 'a couple', 'a crowd of people', 'a person', 'a young man', 'two women', 'a family'];
const animals = ['a dog', 'a cat', 'a brown horse', 'two giraffes', 'an elephant', 'a herd of sheep', 'a black and white cow', 'a large bear', 'a zebra', 'a small bird', 'a white dog', 'a flock of birds', 'two cats'];
const vehicles = ['a red bus', 'a train', 'a white truck', 'a yellow taxi', 'a motorcycle', 'a small boat', 'a double decker bus', 'an airplane', 'a blue car', 'a fire truck', 'a bicycle'];
const food = ['a plate of food', 'a slice of pizza', 'a bowl of soup', 'a sandwich', 'a large pizza', 'a plate of vegetables', 'a piece of cake', 'a bunch of bananas', 'a hot dog', 'a salad', 'a bowl of fruit'];
const places = ['on a beach', 'in a park', 'on a city street', 'in a kitchen', 'in a field', 'next to a building', 'on a snowy hill', 'in a living room', 'at an airport', 'near the water', 'on a dirt road', 'in front of a house', 'at a train station', 'in the grass', 'on a tennis court'];
const adjectives = ['small', 'large', 'old', 'white', 'green', 'wooden', 'busy', 'empty', 'crowded', 'quiet', 'colorful'];

const templates = [
  () => `${pick(people, rng)} ${pick(['riding a wave on a surfboard', 'flying a kite', 'holding an umbrella', 'throwing a frisbee', 'riding a skateboard', 'swinging a tennis racket', 'talking on a cell phone', 'sitting on a bench', 'walking down the street', 'eating a sandwich', 'standing next to a bicycle', 'looking at a laptop', 'carrying a surfboard', 'playing a video game'], rng)} ${pick(places, rng)}`,
  () => `${pick(animals, rng)} ${pick(['standing', 'grazing', 'sitting', 'laying down', 'walking', 'sleeping', 'running'], rng)} ${pick(places, rng)}`,
  () => `${pick(vehicles, rng)} ${pick(['parked', 'driving', 'stopped', 'waiting'], rng)} ${pick(['on a city street', 'next to a building', 'at a train station', 'on the side of the road', 'in a parking lot', 'near the water', 'at an airport'], rng)}`,
  () => `${pick(food, rng)} ${pick(['sitting on a table', 'on a white plate', 'next to a cup of coffee', 'on a wooden table', 'in a box', 'on a counter'], rng)}`,
  () => `a ${pick(adjectives, rng)} ${pick(['kitchen', 'bathroom', 'living room', 'bedroom', 'office'], rng)} with ${pick(['a sink and a window', 'a table and chairs', 'a large bed', 'a couch and a television', 'a desk and a computer', 'wooden cabinets', 'a toilet and a sink'], rng)}`,
  () => `${pick(people, rng)} and ${pick(animals, rng)} ${pick(places, rng)}`,
  () => `${pick(['there is', 'this is'], rng)} ${pick([...animals, ...vehicles, ...food], rng)} ${pick(places, rng)}`,
  () => `${pick(['a close up of', 'a picture of', 'a view of', 'an image of'], rng)} ${pick([...animals, ...vehicles, ...food], rng)}${maybe(0.5, ' ' + pick(places, rng))}`,
];

const lines = [];
let bytes = 0;
while (bytes < targetBytes) {
  const line = `${pick(templates, rng)()}${rng() < 0.6 ? ' .' : ''}`;
  lines.push(line);
  bytes += line.length + 1;
}
process.stdout.write(lines.join('\n') + '\n');
