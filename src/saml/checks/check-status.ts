// The Response's top-level status code must be Success, whatever else the message carries.
import { NS_SAMLP, clip, fail, need, onlyChild, type ResponseCheck } from './context.js';
import { attr } from '../../xml/index.js';

const STATUS_SUCCESS = 'urn:oasis:names:tc:SAML:2.0:status:Success';

export const checkStatus: ResponseCheck = (ctx) => {
  const response = need(ctx.response, 'the Response');
  // SAML Core §3.2.2: Status is required and its first StatusCode is the top-level one
  // (§3.2.2.2); an assertion carried beside a non-Success code is never read.
  const status = onlyChild(response, NS_SAMLP, 'Status');
  if (!status) return fail('STATUS', 'the Response has no single Status');
  const code = onlyChild(status, NS_SAMLP, 'StatusCode');
  if (!code) return fail('STATUS', 'the Status has no single StatusCode');
  const value = attr(code, 'Value');
  if (value !== STATUS_SUCCESS) {
    const secondCode = onlyChild(code, NS_SAMLP, 'StatusCode');
    const second = secondCode ? attr(secondCode, 'Value') : undefined;
    return fail('STATUS', `status ${clip(value)}${second ? ` / ${clip(second)}` : ''}`);
  }
  return undefined;
};
