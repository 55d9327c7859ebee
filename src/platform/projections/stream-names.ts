// Stream names as positions among all names, for a fold by stream: its progress, and the bounds of the shares
// a parallel rebuild folds (no dependencies: the rebuild CLI loads this before the application).

/**
 * Where a stream name lies among all names, 0..1, read from the hexadecimal digits after the prefix (uuids):
 * the fold's progress, and the boundaries of a parallel fold's shares. null for other names.
 */
export function streamFraction(name: string, prefix: string): number | null {
  if (!name.startsWith(prefix)) return null;
  let value = 0;
  let scale = 1;
  for (let i = prefix.length; i < name.length && i < prefix.length + 8; i++) {
    const digit = parseInt(name[i], 16);
    if (Number.isNaN(digit)) break;
    value = value * 16 + digit;
    scale *= 16;
  }
  return scale === 1 ? null : value / scale;
}

/** The stream name at a fraction (see streamFraction): 0.3 with `order-` -> `order-4ccc`. */
export function streamAt(fraction: number, prefix: string): string {
  const digits = Math.min(0xffff, Math.max(0, Math.round(fraction * 0x10000)));
  return `${prefix}${digits.toString(16).padStart(4, '0')}`;
}
