// Gatehouse passkeys: the browser's half of WebAuthn, served at /__gatehouse/passkeys.js.
//
// - `window.gatehousePasskeys.create(options)` / `.get(options, conditional)`: the WebAuthn
//   JSON of the server (binary values in base64url) in, the browser's answer as JSON out, or
//   `null` when the user cancelled; `.signIn(url, conditional)`: a whole sign-in ceremony (its
//   options from `url`), `ceremony + "\n" + answer` or `null`. The hooks (`use_sign_in().passkey`,
//   `use_user().create_passkey`) call these.
// - The kit's server-rendered forms marked `data-gatehouse-passkey` ("Sign in with passkey",
//   "Add a passkey"): shown only here (WebAuthn needs JavaScript), each runs its ceremony when
//   submitted, then posts the answer as a plain form, which the server answers like any other
//   step. "Use passkey" takes the email typed; the email field offers passkeys in its autofill.
(() => {
  if (!window.PublicKeyCredential || !navigator.credentials) return;
  // Loaded again by a page rendered in the browser: only its new forms are wired.
  if (window.gatehousePasskeys) return window.gatehousePasskeys.wire();

  const bytes = (text) =>
    Uint8Array.from(atob(text.replace(/-/g, '+').replace(/_/g, '/')), (c) => c.charCodeAt(0));
  const base64url = (buffer) =>
    buffer
      ? btoa(String.fromCharCode(...new Uint8Array(buffer)))
          .replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '')
      : null;
  const withIds = (list) => (list || []).map((c) => ({ ...c, id: bytes(c.id) }));
  const cancelled = (error) => error && (error.name === 'NotAllowedError' || error.name === 'AbortError');

  // One request at a time: a prompt replaces the autofill's waiting request.
  let pending = null;
  const begin = () => {
    if (pending) pending.abort();
    pending = new AbortController();
    return pending;
  };

  async function ask(run, controller) {
    try {
      return await run();
    } catch (error) {
      if (cancelled(error)) return null;
      throw error;
    } finally {
      if (pending === controller) pending = null;
    }
  }

  async function create(json) {
    const { publicKey } = JSON.parse(json);
    publicKey.challenge = bytes(publicKey.challenge);
    publicKey.user.id = bytes(publicKey.user.id);
    publicKey.excludeCredentials = withIds(publicKey.excludeCredentials);
    const controller = begin();
    const made = await ask(() => navigator.credentials.create({ publicKey, signal: controller.signal }), controller);
    if (!made) return null;
    const r = made.response;
    return JSON.stringify({
      id: made.id,
      rawId: base64url(made.rawId),
      type: made.type,
      response: {
        attestationObject: base64url(r.attestationObject),
        clientDataJSON: base64url(r.clientDataJSON),
      },
      extensions: {},
    });
  }

  async function get(json, conditional) {
    const { publicKey } = JSON.parse(json);
    publicKey.challenge = bytes(publicKey.challenge);
    publicKey.allowCredentials = withIds(publicKey.allowCredentials);
    const controller = begin();
    const request = { publicKey, signal: controller.signal };
    if (conditional) request.mediation = 'conditional';
    const used = await ask(() => navigator.credentials.get(request), controller);
    if (!used) return null;
    const r = used.response;
    return JSON.stringify({
      id: used.id,
      rawId: base64url(used.rawId),
      type: used.type,
      response: {
        authenticatorData: base64url(r.authenticatorData),
        clientDataJSON: base64url(r.clientDataJSON),
        signature: base64url(r.signature),
        userHandle: base64url(r.userHandle),
      },
      extensions: {},
    });
  }

  // The hook's sign-in: options, then the browser's answer.
  async function signIn(url, conditional) {
    const asked = await options(url, {});
    const answer = await get(asked.options, conditional);
    return answer ? `${asked.ceremony}\n${answer}` : null;
  }

  window.gatehousePasskeys = { create, get, signIn, wire };

  // The options of a ceremony, from the server function named by the form.
  async function options(url, fields) {
    const response = await fetch(url, {
      method: 'POST',
      headers: { Accept: 'application/json', 'Content-Type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams(fields),
      credentials: 'same-origin',
    });
    if (!response.ok) throw new Error(String(response.status));
    return response.json();
  }

  // Posts the answer as the form's plain submission.
  function answer(form, ceremony, credential) {
    form.elements.ceremony.value = ceremony;
    form.elements.credential.value = credential;
    form.submit();
  }

  async function run(form, fields, conditional) {
    const register = form.dataset.gatehousePasskey === 'register';
    const button = form.querySelector('button');
    let asked;
    try {
      asked = await options(form.dataset.options, fields);
    } catch {
      // Refused (reverification, a limit): the plain post brings the server's answer.
      if (!conditional) form.submit();
      return;
    }
    if (button && !conditional) button.disabled = true;
    try {
      const made = register ? await create(asked.options) : await get(asked.options, conditional);
      if (made) answer(form, asked.ceremony, made);
    } catch (error) {
      // The server names the refusal (InvalidStateError: this authenticator is registered).
      if (!conditional) answer(form, asked.ceremony, JSON.stringify({ error: error.name || 'Error' }));
    } finally {
      if (button) button.disabled = false;
    }
  }

  function wire() {
    // The custom flows' passkey buttons (their own code runs the ceremony through the hooks).
    for (const element of document.querySelectorAll('[data-gatehouse-show-with-passkeys]')) element.hidden = false;
    for (const form of document.querySelectorAll('form[data-gatehouse-passkey]')) {
      if (form.dataset.gatehouseWired) continue;
      form.dataset.gatehouseWired = 'true';
      form.hidden = false;
      form.addEventListener('submit', (event) => {
        if (form.elements.credential.value) return;
        event.preventDefault();
        const fields = new FormData(form);
        fields.delete('ceremony');
        fields.delete('credential');
        fields.delete('redirect_url');
        run(form, fields, false);
      });
      if (form.dataset.gatehousePasskey !== 'sign-in') continue;
      // "Use passkey": the account of the email typed in the sign-in form.
      for (const button of document.querySelectorAll('button[data-gatehouse-use-passkey]')) {
        button.hidden = false;
        button.addEventListener('click', () => {
          const email = button.form && button.form.elements.identifier;
          if (email && !email.reportValidity()) return;
          run(form, { identifier: email ? email.value : '' }, false);
        });
      }
      // The email field's autofill lists the passkeys (no prompt opens by itself).
      const field = document.querySelector('input[autocomplete~="webauthn"]');
      if (field && PublicKeyCredential.isConditionalMediationAvailable) {
        PublicKeyCredential.isConditionalMediationAvailable().then((available) => {
          if (available) run(form, {}, true);
        });
      }
    }
  }
  wire();
})();
