/**
 * package.json's `contributes.configuration`, derived from the settings table. A unit test keeps
 * package.json equal to this; `npm run sync-settings` writes it.
 */
import { editorSettings, settingKeys, settingOf, settingsSection, type Setting } from './settings';

type JsonSchema = Record<string, unknown>;

function schemaOf(setting: Setting): JsonSchema {
  const base = { description: setting.description };
  switch (setting.type) {
    case 'integer':
    case 'number':
      return {
        type: setting.type, default: setting.default, ...base,
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

export function contributedConfiguration(): { title: string; properties: Record<string, JsonSchema> } {
  const properties: Record<string, JsonSchema> = {};
  for (const key of settingKeys) properties[`${settingsSection}.${key}`] = schemaOf(settingOf(key));
  for (const [key, s] of Object.entries(editorSettings)) {
    properties[`${settingsSection}.${key}`] = { type: s.type, default: s.default, scope: s.scope, description: s.description };
  }
  return { title: 'RNN Lab', properties };
}
