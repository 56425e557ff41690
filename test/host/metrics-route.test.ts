import { describe, expect, it } from 'vitest';
import { routeGroup } from '../../src/host/metrics.js';

describe('metrics route label', () => {
  it('is the first path segment of the raw URL, without query or fragment', () => {
    const never = () => {
      throw new Error('parsed path not needed');
    };
    expect(routeGroup('/', never)).toBe('/');
    expect(routeGroup('/login', never)).toBe('/login');
    expect(routeGroup('/login?l=abc', never)).toBe('/login');
    expect(routeGroup('/saml/idp/sso?SAMLRequest=x%2Fy', never)).toBe('/saml');
    expect(routeGroup('/mfa/abc123/verify', never)).toBe('/mfa');
    expect(routeGroup('/?x=1', never)).toBe('/');
    expect(routeGroup('/a#b', never)).toBe('/a');
  });

  it('falls back to the parsed path for an absolute-form request target', () => {
    expect(routeGroup('http://example.test/portal/pin', () => '/portal/pin')).toBe('/portal');
  });
});
