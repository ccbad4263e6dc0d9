export * from './settings';
export { checkValue, describeRule, validateConfig } from './validate';
export { renderErrorMessage, settingName, settingWithValue, type Surface } from './render';
