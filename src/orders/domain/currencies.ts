// The currencies an order may be priced in: ISO 4217 (the maintained list of the currency-codes package), less
// the codes that are no money one pays a seller in (precious metals, bond-market units, SDR, testing, "no currency").
import currencyCodes from 'currency-codes';

const NOT_MONEY = new Set([
  'XAG',
  'XAU',
  'XBA',
  'XBB',
  'XBC',
  'XBD',
  'XDR',
  'XPD',
  'XPT',
  'XSU',
  'XTS',
  'XUA',
  'XXX',
]);

export const CURRENCY_CODES: readonly string[] = Object.freeze(
  currencyCodes.codes().filter((code) => !NOT_MONEY.has(code)),
);
const KNOWN = new Set(CURRENCY_CODES);

export const isCurrencyCode = (value: unknown): value is string =>
  typeof value === 'string' && KNOWN.has(value);
