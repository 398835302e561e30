import sanitizeHtml from 'sanitize-html';

// A maintained sanitizer (sanitize-html, on htmlparser2), not regexes: tags and attributes are
// parsed the way a browser would meet them.

export type HtmlProfile = 'text_only' | 'basic';

const BASIC: sanitizeHtml.IOptions = {
  allowedTags: ['b', 'i', 'em', 'strong', 'p', 'br', 'ul', 'ol', 'li', 'code', 'pre', 'a'],
  allowedAttributes: { a: ['href'] },
  allowedSchemes: ['http', 'https', 'mailto'],
  allowedSchemesAppliedToAttributes: ['href'],
  allowProtocolRelative: false,
  disallowedTagsMode: 'discard',
};

const TEXT_ONLY: sanitizeHtml.IOptions = { allowedTags: [], allowedAttributes: {}, disallowedTagsMode: 'discard' };

export function sanitizeHtmlText(html: string, profile: HtmlProfile): { html: string; modified: boolean } {
  const clean = sanitizeHtml(html, profile === 'basic' ? BASIC : TEXT_ONLY);
  return { html: clean, modified: clean !== html };
}
