// Masks keep a recognisable part, exactly as the plan shows: "email@example.com" becomes
// "e***@example.com", "555-123-4567" becomes "***-***-4567"; cards (and other numbers) keep
// their last 4 digits and their separators.

export function maskValue(type: string, value: string): string {
  switch (type) {
    case 'email':
      return maskEmail(value);
    case 'phone':
    case 'credit_card':
    case 'ssn':
    case 'iban':
      return keepLast(value, 4);
    case 'ip_address':
      return maskAddress(value);
    case 'url_with_credentials':
      return maskUrlPassword(value);
    case 'api_key':
      // The first characters name the kind of secret (AKIA, ghp_, sk_live_), not the secret.
      return value.slice(0, 4) + '*'.repeat(Math.max(4, value.length - 4));
    case 'date_of_birth':
      return value.replace(/[0-9A-Za-z]/g, '*');
    case 'person':
      // Initials only: "Jane Doe" becomes "J*** D**" (the default would keep a surname's last letters).
      return value.replace(/(\p{L})([\p{L}'’-]*)/gu, (_w, first: string, rest: string) => first + '*'.repeat([...rest].length));
    default:
      return value.length > 8 ? keepLast(value, 4) : '*'.repeat(value.length);
  }
}

function maskEmail(value: string): string {
  const at = value.lastIndexOf('@');
  if (at <= 0) return '*'.repeat(value.length);
  return `${value[0]}***${value.slice(at)}`;
}

/** Letters and digits become '*' except the last `keep` of them; separators stay. */
function keepLast(value: string, keep: number): string {
  let seen = 0;
  const chars = [...value];
  for (let i = chars.length - 1; i >= 0; i--) {
    if (!/[0-9A-Za-z]/.test(chars[i]!)) continue;
    seen++;
    if (seen > keep) chars[i] = '*';
  }
  return chars.join('');
}

/** Every group but the last: "***.***.*.10", "****:***::7334". */
function maskAddress(value: string): string {
  const last = Math.max(value.lastIndexOf('.'), value.lastIndexOf(':'));
  return value.slice(0, last + 1).replace(/[0-9A-Fa-f]/g, '*') + value.slice(last + 1);
}

function maskUrlPassword(value: string): string {
  const scheme = value.indexOf('://') + 3;
  const at = value.indexOf('@', scheme);
  const colon = value.indexOf(':', scheme);
  if (colon < 0 || at < colon) return '*'.repeat(value.length);
  return `${value.slice(0, colon + 1)}****${value.slice(at)}`;
}
