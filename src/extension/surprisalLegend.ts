/** The surprisal colours and their legend (pure: no vscode import, so it is unit-tested). */

/**
 * Bits thresholds of the colour buckets, and their colours (blue = expected ... red = surprising).
 * The colours are #rrggbbaa: the status bar's Markdown tooltip keeps a `background-color` only when
 * it is a #hex (or a --vscode theme variable); it strips rgba(), which left the legend blank.
 */
export const surprisalBuckets = [
  { upTo: 1, colour: '#4080ff4d', label: 'under 1 bit' },
  { upTo: 2, colour: '#40c8c84d', label: '1–2 bits' },
  { upTo: 3, colour: '#78c8404d', label: '2–3 bits' },
  { upTo: 4.5, colour: '#e6c82861', label: '3–4.5 bits' },
  { upTo: 6, colour: '#f5821e73', label: '4.5–6 bits' },
  { upTo: Infinity, colour: '#eb282880', label: '6 bits or more' },
] as const;

/** The legend as tooltip Markdown: one coloured span per bucket, in the form the sanitizer keeps. */
export function legendMarkdown(): string {
  return surprisalBuckets.map((b) => `<span style="background-color:${b.colour};">&nbsp;&nbsp;&nbsp;&nbsp;</span> ${b.label}`).join('<br>') +
    '<br><u>wavy underline</u>: not in the model\'s vocabulary';
}
