/**
 * The challenge page's only script, served same-origin at `WEBAUTHN_SCRIPT_PATH` under the
 * host's CSP (`script-src 'self'`: no inline script, no CDN). It reads the options the server
 * put in `data-options`, converts base64url fields to buffers, calls the browser's prompt
 * (`navigator.credentials.create` or `.get`), writes the result as JSON into the form's hidden
 * `code` field and submits the form. Written by hand: a few dozen lines, no bundler.
 */
export const WEBAUTHN_SCRIPT_PATH = '/mfa/webauthn.js';

export const WEBAUTHN_SCRIPT = `'use strict';
(function () {
  var box = document.getElementById('webauthn');
  if (!box || !window.PublicKeyCredential) return;
  var button = document.getElementById('webauthn-start');
  var field = document.getElementById('webauthn-response');
  var failed = document.getElementById('webauthn-failed');
  function toBuf(s) {
    var b = atob(s.replace(/-/g, '+').replace(/_/g, '/') + '==='.slice((s.length + 3) % 4));
    var out = new Uint8Array(b.length);
    for (var i = 0; i < b.length; i++) out[i] = b.charCodeAt(i);
    return out.buffer;
  }
  function toB64(buf) {
    var bytes = new Uint8Array(buf), s = '';
    for (var i = 0; i < bytes.length; i++) s += String.fromCharCode(bytes[i]);
    return btoa(s).replace(/\\+/g, '-').replace(/\\//g, '_').replace(/=+$/, '');
  }
  function creds(list) {
    return (list || []).map(function (c) { return { type: 'public-key', id: toBuf(c.id), transports: c.transports }; });
  }
  function run() {
    var o = JSON.parse(box.getAttribute('data-options'));
    var create = box.getAttribute('data-mode') === 'create';
    o.challenge = toBuf(o.challenge);
    if (create) { o.user.id = toBuf(o.user.id); o.excludeCredentials = creds(o.excludeCredentials); }
    else o.allowCredentials = creds(o.allowCredentials);
    var call = create ? navigator.credentials.create({ publicKey: o }) : navigator.credentials.get({ publicKey: o });
    call.then(function (c) {
      var r = c.response, response = { clientDataJSON: toB64(r.clientDataJSON) };
      if (create) {
        response.attestationObject = toB64(r.attestationObject);
        response.transports = r.getTransports ? r.getTransports() : [];
      } else {
        response.authenticatorData = toB64(r.authenticatorData);
        response.signature = toB64(r.signature);
        if (r.userHandle) response.userHandle = toB64(r.userHandle);
      }
      var name = document.getElementById('webauthn-name');
      field.value = JSON.stringify({
        credential: { id: c.id, rawId: toB64(c.rawId), type: c.type, response: response, clientExtensionResults: c.getClientExtensionResults(), authenticatorAttachment: c.authenticatorAttachment || undefined },
        name: name ? name.value : undefined
      });
      box.closest('form').submit();
    }, function (e) {
      if (failed) { failed.hidden = false; failed.setAttribute('data-error', e && e.name ? e.name : 'Error'); }
    });
  }
  button.hidden = false;
  button.addEventListener('click', run);
})();
`;
