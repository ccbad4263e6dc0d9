/**
 * A tiny element builder: the webviews render with plain DOM (no HTML strings, nothing for a CSP to
 * object to). The webviews' CSP (`style-src` without 'unsafe-inline') drops every inline `style`
 * attribute, so `el` refuses one: styles computed at run time go through `withStyle` (CSSOM, which
 * the CSP allows), fixed ones through classes in media/*.css.
 */
type Child = Node | string | null | undefined | false;

export function el<K extends keyof HTMLElementTagNameMap>(
  tag: K, attrs?: Record<string, string>, ...children: Child[]
): HTMLElementTagNameMap[K];
export function el(tag: string, attrs?: Record<string, string>, ...children: Child[]): HTMLElement;
export function el(tag: string, attrs: Record<string, string> = {}, ...children: Child[]): HTMLElement {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (name.toLowerCase() === 'style') throw new Error('el(): an inline style attribute is blocked by the webview CSP; use withStyle()');
    node.setAttribute(name, value);
  }
  for (const child of children) if (child !== null && child !== undefined && child !== false) node.append(child);
  return node;
}

export function setText(node: Element, text: string): void {
  if (node.textContent !== text) node.textContent = text;
}

/** Sets inline styles through the CSSOM (`element.style.x = …`), which the webviews' CSP allows. */
export function withStyle<E extends HTMLElement>(node: E, properties: Partial<Record<'width' | 'height' | 'backgroundColor' | 'color' | 'borderColor', string>>): E {
  Object.assign(node.style, properties);
  return node;
}
