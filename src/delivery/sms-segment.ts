/**
 * Whether a text goes out as one SMS: 160 GSM-7 septets (an extension character such as € or {
 * takes two), or 70 UCS-2 units as soon as one character is outside GSM-7 (3GPP TS 23.038
 * §6.2.1). A longer text is split and billed per part, and some phones show the parts out of
 * order, which would separate the code from its origin-bound line. Counted by Twilio's
 * sms-segments-calculator rather than by a table of our own.
 */
import type * as SmsSegments from 'sms-segments-calculator';
import { lazyRequire } from './lazy-require.js';

// Loaded at the first text, like the other senders' libraries (see lazy-require.ts).
const smsSegments = lazyRequire<typeof SmsSegments>('sms-segments-calculator');

export function fitsOneSmsSegment(text: string): boolean {
  return new (smsSegments().SegmentedMessage)(text, 'auto').segmentsCount === 1;
}
