// PEM private key blocks, found with indexOf (no regex over the base64 body): the whole block
// from BEGIN to END, or the header line alone when the block is cut off.
const HEADER = /^-----BEGIN ((?:[A-Z0-9]+ ){0,3})PRIVATE KEY-----/;
const MAX_BLOCK = 64 * 1024;

export function* privateKeyBlocks(text: string): Generator<{ start: number; end: number }> {
  let from = 0;
  for (;;) {
    const start = text.indexOf('-----BEGIN ', from);
    if (start < 0) return;
    const header = HEADER.exec(text.slice(start, start + 80));
    if (header === null) {
      from = start + 11;
      continue;
    }
    const footer = `-----END ${header[1]}PRIVATE KEY-----`;
    const footerAt = text.indexOf(footer, start + header[0].length);
    const end = footerAt >= 0 && footerAt - start < MAX_BLOCK ? footerAt + footer.length : start + header[0].length;
    yield { start, end };
    from = end;
  }
}
