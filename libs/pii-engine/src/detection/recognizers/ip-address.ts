import type { Candidate, Recognizer } from '../finding.js';
import { hasContext } from '../context.js';
import { ipv4Valid, ipv6Valid } from '../validators.js';

// Sticky: tried only at the digits before each "." (found with indexOf), not at every position.
// Its lookbehind refuses a digit before the match, so a match starts where a run of 1-3 digits
// followed by its first dot starts.
const IPV4 = /(?<![\w.])\d{1,3}(?:\.\d{1,3}){3}(?![\w]|\.\d)/y;
// Hex groups and colons (and a trailing dotted quad), bounded; node:net decides what is IPv6.
// Sticky: every character it matches is hex, ":" or ".", and its lookbehind forbids those
// before it, so it can only start where such a run containing ":" starts; it is tried only there.
const IPV6 = /(?<![\w:.])(?:[0-9A-Fa-f]{1,4}:|::)[0-9A-Fa-f:.]{1,45}(?![\w:])/y;
const CONTEXT = ['ip', 'ip address', 'ipv4', 'ipv6', 'address', 'host', 'server', 'client', 'from', 'login'];
// "version 1.2.3.4" is a version, not an address.
const VERSION_WORDS = ['version', 'ver', 'release', 'build', 'firmware', 'v'];

export const ipAddressRecognizer: Recognizer = {
  type: 'ip_address',
  find(text) {
    const out: Candidate[] = [];
    // Where the last IPv4 match ended: matches do not overlap, as with a global regex.
    let resume = 0;
    for (let dot = text.indexOf('.'); dot >= 0; dot = text.indexOf('.', dot + 1)) {
      // The only place an address can start, with this dot as its first: the 1-3 digits before it.
      let start = dot;
      while (start > 0 && dot - start < 4 && isDigit(text.charCodeAt(start - 1))) start--;
      if (start === dot || dot - start > 3 || start < resume || !dottedQuadShape(text, dot)) continue;
      IPV4.lastIndex = start;
      const m = IPV4.exec(text);
      if (m === null) continue;
      const value = m[0];
      const end = start + value.length;
      resume = end;
      if (!ipv4Valid(value)) continue;
      const score = hasContext(text, start, start, VERSION_WORDS, 20) ? 0.2 : 0.85;
      out.push({ type: 'ip_address', start, end, score, detector: 'ipv4_octets', contextWords: CONTEXT, contextBoost: 0.1 });
    }
    for (let colon = text.indexOf(':'); colon >= 0; colon = text.indexOf(':', colon)) {
      let start = colon;
      while (start > 0 && isIpv6Char(text.charCodeAt(start - 1))) start--;
      let runEnd = colon + 1;
      let colons = 1;
      let doubled = false;
      for (let c = text.charCodeAt(runEnd); runEnd < text.length && isIpv6Char(c); c = text.charCodeAt(++runEnd)) {
        if (c !== COLON) continue;
        colons++;
        if (text.charCodeAt(runEnd - 1) === COLON) doubled = true;
      }
      colon = runEnd;
      // An address has "::" or seven colons, inside this run: "Phone:", "12:30" and MAC addresses are not tried.
      if (!doubled && colons < 7) continue;
      IPV6.lastIndex = start;
      const m = IPV6.exec(text);
      if (m === null) continue;
      const value = m[0].replace(/[.:]+$/, (tail) => (tail.startsWith('::') ? '::' : ''));
      if (!value.includes('::') && value.split(':').length < 8) continue;
      if (!/[0-9A-Fa-f]{2}/.test(value) || !ipv6Valid(value)) continue;
      out.push({ type: 'ip_address', start, end: start + value.length, score: 0.85, detector: 'ipv6', contextWords: CONTEXT, contextBoost: 0.1 });
    }
    return out;
  },
};

const COLON = 58;

/**
 * After the first group's dot: 1-3 digits, ".", 1-3 digits, "." and a digit. Every IPv4 match has
 * this shape, most dots after digits (prices, versions, dates) do not: they are not tried.
 */
function dottedQuadShape(text: string, dot: number): boolean {
  let at = dot;
  for (let group = 0; group < 2; group++) {
    const digitsFrom = ++at;
    while (at - digitsFrom < 4 && isDigit(text.charCodeAt(at))) at++;
    if (at === digitsFrom || at - digitsFrom > 3 || text.charCodeAt(at) !== DOT) return false;
  }
  return isDigit(text.charCodeAt(at + 1));
}

const DOT = 46;

function isDigit(c: number): boolean {
  return c >= 48 && c <= 57;
}

function isIpv6Char(c: number): boolean {
  return (c >= 48 && c <= 58) || (c >= 65 && c <= 70) || (c >= 97 && c <= 102) || c === 46; // 0-9 : A-F a-f .
}
