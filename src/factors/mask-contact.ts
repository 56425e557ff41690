/**
 * An address of either kind (a factor's `to`, a user's phone) as pages, logs and the admin show
 * it without revealing it whole: `maskEmail` for an email address, `maskPhone` for anything else.
 */
import { maskPhone } from '../delivery/index.js';
import { maskEmail } from './email-factor.js';

export function maskContact(address: string): string {
  return address.includes('@') ? maskEmail(address) : maskPhone(address);
}
