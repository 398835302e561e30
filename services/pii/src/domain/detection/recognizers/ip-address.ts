import type { Candidate, Recognizer } from '../finding.js';
import { hasContext } from '../context.js';
import { ipv4Valid, ipv6Valid } from '../validators.js';

const IPV4 = /(?<![\w.])\d{1,3}(?:\.\d{1,3}){3}(?![\w]|\.\d)/g;
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
    if (text.includes('.')) {
      IPV4.lastIndex = 0;
      for (let m = IPV4.exec(text); m !== null; m = IPV4.exec(text)) {
        const value = m[0];
        if (!ipv4Valid(value)) continue;
        const end = m.index + value.length;
        const score = hasContext(text, m.index, m.index, VERSION_WORDS, 20) ? 0.2 : 0.85;
        out.push({ type: 'ip_address', start: m.index, end, score, detector: 'ipv4_octets', contextWords: CONTEXT, contextBoost: 0.1 });
      }
    }
    for (let colon = text.indexOf(':'); colon >= 0; colon = text.indexOf(':', colon)) {
      let start = colon;
      while (start > 0 && isIpv6Char(text.charCodeAt(start - 1))) start--;
      let runEnd = colon + 1;
      while (runEnd < text.length && isIpv6Char(text.charCodeAt(runEnd))) runEnd++;
      colon = runEnd;
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

function isIpv6Char(c: number): boolean {
  return (c >= 48 && c <= 58) || (c >= 65 && c <= 70) || (c >= 97 && c <= 102) || c === 46; // 0-9 : A-F a-f .
}
