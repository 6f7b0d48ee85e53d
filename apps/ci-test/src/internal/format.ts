/** Replaces what XML 1.0 forbids (most C0 controls, lone surrogates, U+FFFE/F) with U+FFFD. */
function xmlChars(text: string): string {
  let out = '';
  for (const ch of text) {
    const c = ch.codePointAt(0)!;
    const ok =
      c === 0x9 ||
      c === 0xa ||
      c === 0xd ||
      (c >= 0x20 && c <= 0xd7ff) ||
      (c >= 0xe000 && c <= 0xfffd) ||
      c > 0xffff;
    out += ok ? ch : '\ufffd';
  }
  return out;
}

/** Text safe in XML and HTML content and in quoted attributes. */
export function escapeXml(value: unknown): string {
  return xmlChars(String(value))
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&apos;');
}

/** A threshold as people write it: 0.9 → "0.90", 0.925 → "0.925". */
export function formatThreshold(t: number): string {
  const s = t.toFixed(4).replace(/0+$/, '');
  const decimals = s.length - s.indexOf('.') - 1;
  return decimals < 2 ? t.toFixed(2) : s;
}

/** Four decimals, unless that would hide a non-zero value. */
export function formatRatio(x: number): string {
  const s = x.toFixed(4);
  return Number(s) === 0 && x !== 0 ? x.toPrecision(2) : s;
}

export function formatPercent(x: number | null, digits = 1): string {
  return x === null ? '—' : `${(x * 100).toFixed(digits)}%`;
}

/** The sentence that explains a failed version, shared by the terminal, JUnit and the reports. */
export function shortfallMessage(accuracy: number, threshold: number): string {
  return `accuracy ${formatRatio(accuracy)} is below the threshold ${formatThreshold(threshold)} by ${formatRatio(threshold - accuracy)}`;
}

/** A metadata value as one line of text: strings as they are, everything else as compact JSON. */
export function metadataText(value: unknown): string {
  if (typeof value === 'string') return value;
  if (value === undefined) return '';
  try {
    return JSON.stringify(value, (_k, v) => (typeof v === 'bigint' ? v.toString() : v)) ?? String(value);
  } catch {
    return String(value);
  }
}
