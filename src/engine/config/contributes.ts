/**
 * package.json's `contributes.configuration`, derived from the settings table. A unit test keeps
 * package.json equal to this; `npm run sync-settings` writes it.
 */
import { editorSettings, settingGroupTitles, settingGroups, settingKeys, settingOf, settingsSection, type Setting } from './settings';

type JsonSchema = Record<string, unknown>;

function schemaOf(setting: Setting): JsonSchema {
  const base = { description: setting.description };
  switch (setting.type) {
    case 'integer':
    case 'number':
      return {
        // A per-layer setting also takes its list as text, "128,512".
        type: setting.perLayer ? [setting.type, 'string'] : setting.type, default: setting.default, ...base,
        ...(setting.perLayer ? { pattern: '^\\s*\\d+(\\s*,\\s*\\d+)*\\s*$', patternErrorMessage: 'One size, or one per layer separated by commas (128,512).' } : {}),
        ...(setting.exclusiveMinimum ? { exclusiveMinimum: setting.minimum } : { minimum: setting.minimum }),
        maximum: setting.maximum,
      };
    case 'boolean':
      return { type: 'boolean', default: setting.default, ...base };
    case 'string':
      return { type: 'string', default: setting.default, ...base, maxLength: setting.maxLength };
    case 'choice':
      return {
        type: 'string', default: setting.default, ...base, enum: [...setting.choices],
        ...(setting.choiceDescriptions ? { enumDescriptions: [...setting.choiceDescriptions] } : {}),
      };
  }
}

/**
 * One section per group ("RNN Lab: Model", "RNN Lab: Data", …), each setting in the table's
 * order (`order`), so the settings editor shows them as the table and `--help` do.
 */
export function contributedConfiguration(): Array<{ title: string; order: number; properties: Record<string, JsonSchema> }> {
  return settingGroups.map((group, index) => {
    const properties: Record<string, JsonSchema> = {};
    settingKeys.filter((key) => settingOf(key).group === group).forEach((key, order) => {
      properties[`${settingsSection}.${key}`] = { ...schemaOf(settingOf(key)), order };
    });
    for (const [key, s] of Object.entries(editorSettings)) {
      if (s.group !== group) continue;
      properties[`${settingsSection}.${key}`] = { type: s.type, default: s.default, scope: s.scope, description: s.description, order: Object.keys(properties).length };
    }
    return { title: `RNN Lab: ${settingGroupTitles[group]}`, order: index, properties };
  });
}
