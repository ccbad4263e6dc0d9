export * from './settings';
export { checkValue, describeRule, validateConfig } from './validate';
export { renderErrorMessage, renderSettingRefs, settingName, settingWithValue, type Surface } from './render';
