/**
 * The README's settings and presets tables, derived from the settings table and the presets
 * (`npm run sync-settings` writes them between their markers; a unit test keeps them in step).
 */
import { flagsOf, shellJoin } from './flags';
import { presetConfig, presets } from './presets';
import { settingGroupTitles, settingGroups, settingKeys, settingOf, type Setting } from './settings';

function range(s: Setting): string {
  switch (s.type) {
    case 'integer':
    case 'number':
      return `${s.exclusiveMinimum ? `> ${s.minimum}` : s.minimum} … ${s.maximum}${s.perLayer ? ', or one per layer: `128,512`' : ''}`;
    case 'boolean': return 'true, false';
    case 'string': return `text, ≤ ${s.maxLength} chars`;
    case 'choice': return s.choices.map((c) => `\`${c}\``).join(', ');
  }
}

function shown(value: unknown): string {
  return typeof value === 'string' ? (value === '' ? '""' : `\`${value}\``) : String(value);
}

const cell = (text: string) => text.replace(/\|/g, '\\|');

export function settingsMarkdown(): string {
  const lines = ['| setting (`rnnLab.*`) | CLI flag | default | values | meaning |', '|---|---|---|---|---|'];
  for (const group of settingGroups) {
    const keys = settingKeys.filter((k) => settingOf(k).group === group);
    if (keys.length === 0) continue;
    lines.push(`| **${settingGroupTitles[group]}** | | | | |`);
    for (const key of keys) {
      const s = settingOf(key);
      const flag = s.type === 'boolean' && s.default ? `\`--${s.flag}\`, \`--no-${s.flag}\`` : `\`--${s.flag}\``;
      lines.push(`| \`${key}\` | ${flag} | ${shown(s.default)} | ${cell(range(s))} | ${cell(s.description)} |`);
    }
  }
  return lines.join('\n');
}

export function presetsMarkdown(): string {
  const lines = ['| `--preset` | set-up | bundled text | flags it amounts to |', '|---|---|---|---|'];
  for (const p of presets) {
    lines.push(`| \`${p.name}\` | ${cell(p.title)} | ${p.corpus ? `\`samples/${p.corpus}\`` : '—'} | \`${shellJoin(flagsOf(presetConfig(p)))}\` |`);
  }
  return lines.join('\n');
}

/** Replaces the text between `<!-- NAME:begin -->` and `<!-- NAME:end -->`. */
export function replaceBetweenMarkers(text: string, name: string, content: string): string {
  const begin = `<!-- ${name}:begin -->`;
  const end = `<!-- ${name}:end -->`;
  const a = text.indexOf(begin);
  const b = text.indexOf(end);
  if (a < 0 || b < a) throw new Error(`README.md lacks the ${begin} … ${end} markers`);
  return `${text.slice(0, a + begin.length)}\n${content}\n${text.slice(b)}`;
}
