// Placeholder for `rnn-lab bench` until the benchmark lands.
export async function benchCommand(_argv: string[]): Promise<number> {
  process.stderr.write('rnn-lab bench: not available yet\n');
  return 2;
}
