// Honnin account pages: sign-up, sign-in (passkey first), and the signed-in home. Inlined by
// the server with a CSP nonce; texts come from the JSON data element (Japanese or English).
//
// Every call goes to the JSON API under /auth/ with the session cookie; once a session exists,
// state-changing calls carry its X-CSRF-Token (read from GET /auth/session). A 403
// `step_up_required` opens a prompt offering exactly the problem's `next` methods, runs the
// chosen one in place and then repeats the action.
(function () {
  'use strict';
  var D = JSON.parse(document.getElementById('honnin-data').textContent);
  var T = D.text;
  var csrf = null;
  var session = null;

  var $ = HonninDOM.$;  // shared/dom.js, inlined before this script
  var el = HonninDOM.el;

  // A text with its {placeholders} filled in.
  function fmt(id, vars) {
    return (T[id] || id).replace(/\{(\w+)\}/g, function (m, k) { return vars && vars[k] !== undefined ? String(vars[k]) : m; });
  }

  function url(path) { return path + (path.indexOf('?') < 0 ? '?' : '&') + 'lang=' + encodeURIComponent(D.lang); }

  // Where to go after signing in: `?next=` when it names the review console (nothing else, so the
  // page cannot be used to send people elsewhere), else the account page.
  function afterLogin() {
    var next = new URLSearchParams(location.search).get('next');
    return next && /^\/console(\/[A-Za-z0-9_\/-]*)?$/.test(next) ? url(next) : url('/account');
  }

  var dateFormat = new Intl.DateTimeFormat(D.lang === 'ja' ? 'ja-JP' : 'en-GB', { dateStyle: 'medium', timeStyle: 'short' });
  function date(s) { var d = new Date(s); return isNaN(d.getTime()) ? '' : dateFormat.format(d); }

  // MARK: The API

  function ApiError(status, body) { this.status = status; this.body = body; }

  function api(method, path, body, retried) {
    var headers = { 'Accept': 'application/json', 'Accept-Language': D.lang };
    if (body !== undefined) headers['Content-Type'] = 'application/json';
    if (csrf && method !== 'GET') headers['X-CSRF-Token'] = csrf;
    return fetch(path, {
      method: method, headers: headers, body: body === undefined ? undefined : JSON.stringify(body),
      credentials: 'same-origin', cache: 'no-store', redirect: 'error'
    }).then(function (r) {
      var parsed = r.status === 204 ? Promise.resolve(null) : r.json().catch(function () { return null; });
      return parsed.then(function (data) {
        if (r.ok) return data;
        // A token from another tab's session: read the current one and try once more.
        if (r.status === 403 && data && data.code === 'csrf_failed' && !retried) {
          return refreshSession().then(function () { return api(method, path, body, true); });
        }
        throw new ApiError(r.status, data);
      });
    }, function () { throw new ApiError(0, null); });
  }

  // The session (and its CSRF token), or null without one.
  function refreshSession() {
    return fetch('/auth/session', { headers: { 'Accept-Language': D.lang }, credentials: 'same-origin', cache: 'no-store' })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (s) { session = s; csrf = s ? s.csrf_token : null; return s; });
  }

  function problemText(e) {
    if (e && e.name && !(e instanceof ApiError)) return webauthnText(e);
    if (!e || !e.status) return T.network_error;
    var b = e.body;
    if (b && b.member === 'password' && b.reason && T['password.' + b.reason]) return T['password.' + b.reason];
    if (b && b.title) return b.title;
    return T.unexpected_error;
  }

  function webauthnText(e) {
    if (e.name === 'InvalidStateError') return T['webauthn.exists'];
    if (e.name === 'NotAllowedError' || e.name === 'AbortError' || e.name === 'TimeoutError') return T['webauthn.cancelled'];
    if (e.name === 'NotSupportedError' || e.name === 'Unsupported') return T['webauthn.unsupported'];
    return T.unexpected_error;
  }

  // MARK: WebAuthn (JSON forms of Level 3, with a small fallback for older browsers)

  var PKC = window.PublicKeyCredential;
  function supported() { return !!(PKC && navigator.credentials && navigator.credentials.create); }
  function unsupported() { var e = new Error('unsupported'); e.name = 'Unsupported'; return e; }

  function fromB64u(s) {
    s = String(s).replace(/-/g, '+').replace(/_/g, '/');
    while (s.length % 4) s += '=';
    var bin = atob(s), out = new Uint8Array(bin.length);
    for (var i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
    return out.buffer;
  }

  function toB64u(buffer) {
    var bytes = new Uint8Array(buffer), bin = '';
    for (var i = 0; i < bytes.length; i++) bin += String.fromCharCode(bytes[i]);
    return btoa(bin).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
  }

  function withIDs(list) {
    return (list || []).map(function (c) { return Object.assign({}, c, { id: fromB64u(c.id) }); });
  }

  function creationOptions(json) {
    if (typeof PKC.parseCreationOptionsFromJSON === 'function') return PKC.parseCreationOptionsFromJSON(json);
    return Object.assign({}, json, {
      challenge: fromB64u(json.challenge), user: Object.assign({}, json.user, { id: fromB64u(json.user.id) }),
      excludeCredentials: withIDs(json.excludeCredentials)
    });
  }

  function requestOptions(json) {
    if (typeof PKC.parseRequestOptionsFromJSON === 'function') return PKC.parseRequestOptionsFromJSON(json);
    return Object.assign({}, json, { challenge: fromB64u(json.challenge), allowCredentials: withIDs(json.allowCredentials) });
  }

  function credentialJSON(c) {
    if (typeof c.toJSON === 'function') return c.toJSON();
    var r = c.response;
    var out = {
      id: c.id, rawId: toB64u(c.rawId), type: c.type, authenticatorAttachment: c.authenticatorAttachment || undefined,
      clientExtensionResults: c.getClientExtensionResults ? c.getClientExtensionResults() : {},
      response: { clientDataJSON: toB64u(r.clientDataJSON) }
    };
    if (r.attestationObject) {
      out.response.attestationObject = toB64u(r.attestationObject);
      if (r.getTransports) out.response.transports = r.getTransports();
    } else {
      out.response.authenticatorData = toB64u(r.authenticatorData);
      out.response.signature = toB64u(r.signature);
      if (r.userHandle) out.response.userHandle = toB64u(r.userHandle);
    }
    return out;
  }

  // Registers a passkey or a security key (`kind`) for the signed-in session: options, the
  // browser's ceremony, the verification. Resolves with the API's answer.
  function register(kind) {
    if (!supported()) return Promise.reject(unsupported());
    return api('POST', '/auth/passkeys/registration/options', { kind: kind }).then(function (options) {
      return navigator.credentials.create({ publicKey: creationOptions(options) });
    }).then(function (credential) {
      return api('POST', '/auth/passkeys/registration', credentialJSON(credential));
    });
  }

  // A passkey or security key assertion: sign-in (no session) or a step-up (the session's
  // credentials are allowed). `extra` adds `mediation`/`signal` for conditional UI.
  function assert(extra) {
    if (!supported()) return Promise.reject(unsupported());
    return api('POST', '/auth/passkeys/authentication/options').then(function (options) {
      return navigator.credentials.get(Object.assign({ publicKey: requestOptions(options) }, extra || {}));
    }).then(function (credential) {
      return api('POST', '/auth/passkeys/authentication', credentialJSON(credential));
    });
  }

  // MARK: Shared pieces

  function notice(text) {
    var box = $('notice');
    box.textContent = text;
    box.hidden = !text;
  }

  function busy(button, on) {
    if (!button) return;
    if (on) { button.setAttribute('data-label', button.textContent); button.textContent = T.working; button.disabled = true; }
    else { var l = button.getAttribute('data-label'); if (l) button.textContent = l; button.disabled = false; }
  }

  function setError(id, text) {
    var box = $('err-' + id);
    if (box) box.textContent = text || '';
    var input = $(id);
    if (input) { if (text) input.setAttribute('aria-invalid', 'true'); else input.removeAttribute('aria-invalid'); }
  }

  function formError(text) {
    var box = $('form-error');
    if (!box) return;
    box.textContent = text || '';
    box.hidden = !text;
  }

  function passwordToggle() {
    var b = $('password-toggle');
    if (!b) return;
    var input = $(b.getAttribute('aria-controls'));
    b.addEventListener('click', function () {
      var show = input.type === 'password';
      input.type = show ? 'text' : 'password';
      b.textContent = show ? T['password.hide'] : T['password.show'];
      input.focus();
    });
  }

  function codePoints(s) { return Array.from(s.normalize('NFC')).length; }

  var supportedFactors = ['passkey', 'security_key', 'totp', 'recovery_code', 'password'];

  // Renders a choice of the `methods` into `box` and resolves with the API's outcome once one of
  // them verified. A single method is shown at once.
  function factorChooser(box, methods) {
    var usable = supportedFactors.filter(function (m) { return methods.indexOf(m) >= 0; });
    return new Promise(function (resolve) {
      function choose() {
        box.textContent = '';
        if (!usable.length) { box.append(el('p', { class: 'error', text: T['factor.none'] })); return; }
        if (usable.length === 1) { show(usable[0]); return; }
        var list = el('div', { class: 'stack' });
        usable.forEach(function (m) {
          list.append(el('button', { type: 'button', class: 'secondary wide', 'data-method': m, text: T['factor.' + m], onclick: function () { show(m); } }));
        });
        box.append(el('p', { text: T['factor.choose'] }), list);
        var first = list.querySelector('button');
        if (first) first.focus();
      }

      function show(method) {
        box.textContent = '';
        var error = el('p', { class: 'error', id: 'err-factor', role: 'alert' });
        var form = el('form', { class: 'factor', 'data-method': method, novalidate: true });
        var input = null;
        if (method === 'totp') {
          input = el('input', { id: 'factor-code', name: 'code', type: 'text', inputmode: 'numeric', autocomplete: 'one-time-code', pattern: '[0-9]*', maxlength: '8', class: 'code', 'aria-describedby': 'err-factor' });
          form.append(el('div', { class: 'field' }, el('label', { for: 'factor-code', text: T['factor.totp.label'] }), input));
        } else if (method === 'recovery_code') {
          input = el('input', { id: 'factor-code', name: 'code', type: 'text', autocomplete: 'off', autocapitalize: 'none', spellcheck: 'false', maxlength: '40', class: 'code', 'aria-describedby': 'err-factor' });
          form.append(el('div', { class: 'field' }, el('label', { for: 'factor-code', text: T['factor.recovery_code.label'] }), input));
        } else if (method === 'password') {
          input = el('input', { id: 'factor-password', name: 'password', type: 'password', autocomplete: 'current-password', maxlength: '1024', 'aria-describedby': 'err-factor' });
          form.append(el('div', { class: 'field' }, el('label', { for: 'factor-password', text: T['factor.password'] }), input));
        } else {
          form.append(el('p', { text: T['factor.' + method + '.text'] }));
        }
        var submit = el('button', { type: 'submit', class: 'primary', id: 'factor-submit', text: input ? T['factor.verify'] : T['factor.continue'] });
        form.append(error, submit);
        if (usable.length > 1) form.append(el('button', { type: 'button', class: 'secondary wide', text: T['factor.other'], onclick: choose }));
        form.addEventListener('submit', function (ev) {
          ev.preventDefault();
          error.textContent = '';
          var value = input ? input.value.trim() : '';
          if (input && !value) { error.textContent = T.required; input.focus(); return; }
          busy(submit, true);
          var call = method === 'totp' ? api('POST', '/auth/totp/verify', { code: value.replace(/\s+/g, '') })
            : method === 'recovery_code' ? api('POST', '/auth/recovery-codes/verify', { code: value })
              : method === 'password' ? api('POST', '/auth/password/login', { username: session ? session.username : '', password: input.value })
                : assert();
          call.then(function (outcome) { busy(submit, false); resolve(outcome); }, function (e) {
            busy(submit, false);
            error.textContent = problemText(e);
            if (input) { input.value = ''; input.focus(); }
          });
        });
        box.append(form);
        (input || submit).focus();
      }
      choose();
    });
  }

  // MARK: Step-up

  var stepping = null;

  // Opens the prompt for a `step_up_required` problem; resolves once the session rose, rejects
  // when the person cancels.
  function stepUp(problem) {
    var dialog = $('stepup');
    if (!dialog) return Promise.reject(new ApiError(403, problem));
    if (stepping) return stepping;
    $('stepup-text').textContent = fmt('stepup.text', { current: problem.current_aal, required: problem.required_aal });
    stepping = new Promise(function (resolve, reject) {
      function cancel() { close(); reject(new Error('cancelled')); }
      function close() {
        stepping = null;
        $('stepup-cancel').removeEventListener('click', cancel);
        dialog.removeEventListener('cancel', onEscape);
        if (dialog.open) dialog.close();
        $('stepup-methods').textContent = '';
      }
      function onEscape(ev) { ev.preventDefault(); cancel(); }
      $('stepup-cancel').addEventListener('click', cancel);
      dialog.addEventListener('cancel', onEscape);
      dialog.showModal();
      factorChooser($('stepup-methods'), problem.next || []).then(function () {
        close();
        notice(T['stepup.done']);
        return refreshSession().then(renderLevel);
      }).then(resolve, reject);
    });
    return stepping;
  }

  // Runs `action`; on `step_up_required`, asks for the missing factor and runs it again.
  function withStepUp(action) {
    function attempt(left) {
      return action().catch(function (e) {
        if (left > 0 && e instanceof ApiError && e.status === 403 && e.body && e.body.code === 'step_up_required') {
          return stepUp(e.body).then(function () { return attempt(left - 1); });
        }
        throw e;
      });
    }
    return attempt(2);
  }

  // MARK: Language switch keeps the page

  var sw = $('lang-switch');
  if (sw) sw.addEventListener('click', function (ev) {
    ev.preventDefault();
    var u = new URL(location.href);
    u.searchParams.set('lang', sw.getAttribute('hreflang'));
    location.assign(u.toString());
  });

  // MARK: Sign-up

  function signupPage() {
    var form = $('signup-form');
    var password = $('password');
    var submit = $('signup-submit');
    passwordToggle();

    function method() { return $('method-password').checked ? 'password' : 'passkey'; }
    function updateMethod() {
      var pw = method() === 'password';
      $('password-block').hidden = !pw;
      submit.textContent = pw ? T['signup.submit.password'] : T['signup.submit.passkey'];
    }
    function updateCount() { $('password-count').textContent = fmt('password.count', { n: codePoints(password.value) }); }
    $('method-passkey').addEventListener('change', updateMethod);
    $('method-password').addEventListener('change', updateMethod);
    password.addEventListener('input', function () { updateCount(); setError('password', ''); });
    updateMethod();
    updateCount();

    function usernameOK(u) { return /^[\p{L}\p{Nd}._\-@+]{3,64}$/u.test(u.normalize('NFKC').trim()); }

    form.addEventListener('submit', function (ev) {
      ev.preventDefault();
      formError('');
      ['username', 'display_name', 'password'].forEach(function (id) { setError(id, ''); });
      var username = $('username').value.trim();
      var display = $('display_name').value.trim();
      var pw = method() === 'password';
      if (!usernameOK(username)) { setError('username', username ? T['username.invalid'] : T.required); $('username').focus(); return; }
      if (pw && codePoints(password.value) < D.min_password) { setError('password', T['password.too_short']); password.focus(); return; }
      if (!pw && !supported()) { formError(T['webauthn.unsupported']); return; }
      var body = { username: username };
      if (display) body.display_name = display;
      if (pw) body.password = password.value;
      busy(submit, true);
      api('POST', '/auth/signup', body).then(function () {
        if (pw) { location.assign(url('/account')); return; }
        return refreshSession().then(function () {
          form.hidden = true;
          $('passkey-step').hidden = false;
          return createFirstPasskey();
        });
      }).catch(function (e) {
        busy(submit, false);
        var member = e && e.body && e.body.member;
        if (member && $(member)) { setError(member, problemText(e)); $(member).focus(); } else formError(problemText(e));
      });
    });

    $('passkey-create').addEventListener('click', createFirstPasskey);

    // A session just after a password-less sign-up may register its first passkey.
    refreshSession().then(function (s) {
      if (s && s.aal === 0) { form.hidden = true; $('passkey-step').hidden = false; }
    });
  }

  function createFirstPasskey() {
    var button = $('passkey-create');
    setError('passkey', '');
    busy(button, true);
    return register('passkey').then(function () { location.assign(url('/account')); }, function (e) {
      busy(button, false);
      var gone = e instanceof ApiError && e.body && e.body.code === 'session_required';
      setError('passkey', gone ? T['signup.expired'] : problemText(e));
      if (gone) button.hidden = true;
      $('passkey-step-h').focus();
    });
  }

  // MARK: Sign-in

  function loginPage() {
    var conditional = null;
    var restarts = 0;
    var username = $('login-username');
    var passwordInput = $('login-password');
    passwordToggle();

    // After a first factor: home, or the second step the account asks for.
    function afterFirst(outcome) {
      return refreshSession().then(function () {
        var next = (outcome && outcome.next) || [];
        if (outcome.aal >= 2 || !next.length) { location.assign(afterLogin()); return; }
        $('login-form').hidden = true;
        if ($('signup-link')) $('signup-link').hidden = true;
        $('second-factor').hidden = false;
        $('second-h').focus();
        $('start-over').hidden = false;
        return factorChooser($('second-methods'), next).then(function () { location.assign(afterLogin()); });
      });
    }

    // Passkeys offered in the user-name field's autofill (WebAuthn conditional mediation).
    function startConditional() {
      if (!PKC || typeof PKC.isConditionalMediationAvailable !== 'function') return;
      PKC.isConditionalMediationAvailable().then(function (available) {
        if (!available || conditional) return;
        var controller = new AbortController();
        conditional = controller;
        assert({ mediation: 'conditional', signal: controller.signal }).then(function (outcome) {
          conditional = null;
          return afterFirst(outcome);
        }, function (e) {
          if (conditional === controller) conditional = null;
          if (controller.signal.aborted || (e && e.name === 'AbortError')) return;
          // Dismissed or timed out: offer the passkeys again (a few times, not in a loop).
          if (e && e.name === 'NotAllowedError') { if (restarts++ < 3) startConditional(); return; }
          formError(problemText(e));
          // A stale challenge: offer the passkeys again.
          if (e instanceof ApiError && (e.status === 410 || e.status === 409) && restarts++ < 3) startConditional();
        });
      }, function () {});
    }

    function stopConditional() {
      if (conditional) { var c = conditional; conditional = null; c.abort(); }
    }

    $('passkey-login').addEventListener('click', function () {
      var button = $('passkey-login');
      formError('');
      stopConditional();
      busy(button, true);
      assert().then(function (outcome) { busy(button, false); return afterFirst(outcome); }).catch(function (e) {
        busy(button, false);
        formError(problemText(e));
        startConditional();
      });
    });

    // Leaving the second step: the half-finished session ends, the page starts again.
    $('start-over').addEventListener('click', function () {
      api('POST', '/auth/logout').then(null, function () {}).then(function () { location.assign(url('/account/login')); });
    });

    $('use-password').addEventListener('click', function () {
      var area = $('password-area');
      area.hidden = false;
      $('use-password').setAttribute('aria-expanded', 'true');
      $('use-password').hidden = true;
      (username.value ? passwordInput : username).focus();
    });

    $('login-form').addEventListener('submit', function (ev) {
      ev.preventDefault();
      if ($('password-area').hidden) return;
      formError('');
      setError('login-username', '');
      setError('login-password', '');
      if (!username.value.trim()) { setError('login-username', T['login.enter_username']); username.focus(); return; }
      if (!passwordInput.value) { setError('login-password', T['login.enter_password']); passwordInput.focus(); return; }
      var button = $('password-login');
      busy(button, true);
      api('POST', '/auth/password/login', { username: username.value.trim(), password: passwordInput.value }).then(function (outcome) {
        stopConditional();
        busy(button, false);
        return afterFirst(outcome);
      }).catch(function (e) {
        busy(button, false);
        passwordInput.value = '';
        formError(problemText(e));
        passwordInput.focus();
      });
    });

    // A session already here: say whose, and keep its CSRF token for the calls.
    refreshSession().then(function (s) {
      if (s && s.aal > 0) {
        $('signed-in-text').textContent = fmt('login.signed_in_as', { name: s.display_name || s.username || '' });
        $('signed-in').hidden = false;
      }
      startConditional();
    });
  }

  // MARK: Home

  function methodName(m) { return T['name.' + m] || m; }

  var defaultLabels = { password: 'password', totp: 'authenticator app', recovery_code: 'recovery codes', passkey: 'passkey', security_key: 'security key', jpki_user_certificate: 'My Number Card' };

  function factorName(a) {
    var name = methodName(a.method);
    return a.label && a.label !== defaultLabels[a.method] ? fmt('factor.labelled', { method: name, label: a.label }) : name;
  }

  function renderLevel() {
    if (!session || !$('level-badge')) return;
    var n = Math.max(0, Math.min(3, Number(session.aal) || 0));
    var display = session.display_name || session.username || '';
    $('welcome').textContent = display === session.username ? fmt('home.welcome.plain', { name: display })
      : fmt('home.welcome', { name: display, username: session.username || '' });
    $('level-badge').textContent = fmt('level.badge', { n: n });
    $('level-badge').setAttribute('data-aal', String(n));
    $('level-name').textContent = T['level.name.' + n];
    $('level-text').textContent = T['level.' + n];
    var until = $('level-until');
    until.hidden = !session.aal_expires_at;
    if (session.aal_expires_at) until.textContent = fmt('level.until', { time: date(session.aal_expires_at) });
    $('level').setAttribute('data-aal', String(n));
  }

  function signedOut(e) {
    // (A wrong code is 401 too, as `invalid_credentials`; only a missing session leaves the page.)
    if (e instanceof ApiError && e.status === 401 && e.body && e.body.code === 'session_required') { location.assign(url('/account/login')); return true; }
    return false;
  }

  function loadFactors() {
    return api('GET', '/auth/authenticators').then(function (r) {
      var list = $('factor-list');
      list.textContent = '';
      var items = (r && r.authenticators) || [];
      if (!items.length) list.append(el('li', { class: 'empty', text: T['factors.empty'] }));
      items.forEach(function (a) {
        var name = factorName(a);
        var meta = [fmt('factors.added', { date: date(a.created_at) })];
        if (a.last_used_at) meta.push(fmt('factors.used', { date: date(a.last_used_at) }));
        if (a.remaining !== undefined) meta.push(fmt('factors.remaining', { n: a.remaining }));
        if (a.hardware_bound) meta.push(T['factors.hardware']);
        else if (a.backup_eligible) meta.push(T['factors.synced']);
        var remove = el('button', { type: 'button', class: 'secondary small', text: T['factors.remove'], 'aria-label': T['factors.remove'] + ' ' + name });
        var row = el('li', { class: 'item', 'data-method': a.method, 'data-id': a.id },
          el('div', { class: 'item-main' }, el('strong', { text: name }), metaLine(meta)), remove);
        remove.addEventListener('click', function () { confirmRemove(row, a, name); });
        list.append(row);
      });
    });
  }

  // Facts about an item, each kept whole when the line wraps.
  function metaLine(items) {
    var line = el('span', { class: 'meta' });
    items.forEach(function (t) { line.append(el('span', { text: t })); });
    return line;
  }

  function confirmRemove(row, a, name) {
    if (row.querySelector('.confirm')) return;
    var error = el('p', { class: 'error', role: 'alert' });
    var yes = el('button', { type: 'button', class: 'danger small', text: T['factors.remove.yes'] });
    var no = el('button', { type: 'button', class: 'secondary small', text: T['factors.remove.no'] });
    var box = el('div', { class: 'confirm', role: 'group' }, el('p', { text: fmt('factors.remove.confirm', { name: name }) }), el('div', { class: 'actions' }, yes, no), error);
    row.append(box);
    yes.focus();
    no.addEventListener('click', function () { box.remove(); row.querySelector('button').focus(); });
    yes.addEventListener('click', function () {
      busy(yes, true);
      withStepUp(function () { return api('DELETE', '/auth/authenticators/' + encodeURIComponent(a.id)); }).then(function () {
        notice(fmt('factors.removed', { name: name }));
        return reloadHome();
      }).catch(function (e) {
        busy(yes, false);
        if (!signedOut(e)) error.textContent = cancelled(e) ? '' : problemText(e);
      });
    });
  }

  function cancelled(e) { return e && e.message === 'cancelled'; }

  function loadSessions() {
    return api('GET', '/auth/sessions').then(function (r) {
      var list = $('session-list');
      list.textContent = '';
      ((r && r.sessions) || []).forEach(function (s) {
        var client = s.client === 'unknown' ? T['client.unknown'] : s.client === 'other' ? T['client.other'] : s.client;
        var methods = (s.methods || []).map(methodName);
        var meta = [fmt('sessions.started', { date: date(s.created_at) }), fmt('sessions.seen', { date: date(s.last_seen_at) }),
          fmt('sessions.methods', { list: methods.length ? methods.join(T.list_separator) : T['sessions.none'] })];
        var title = el('strong', { text: client + ' · ' + fmt('level.badge', { n: s.aal }) });
        var main = el('div', { class: 'item-main' }, title);
        if (s.current) main.append(el('span', { class: 'tag', text: T['sessions.current'] }));
        main.append(metaLine(meta));
        var row = el('li', { class: 'item', 'data-current': s.current ? 'true' : 'false' }, main);
        if (!s.current) {
          var revoke = el('button', { type: 'button', class: 'secondary small', text: T['sessions.revoke'] });
          revoke.addEventListener('click', function () {
            busy(revoke, true);
            api('DELETE', '/auth/sessions/' + encodeURIComponent(s.id)).then(function () {
              notice(T['sessions.revoked']);
              return loadSessions();
            }).catch(function (e) { busy(revoke, false); if (!signedOut(e)) notice(problemText(e)); });
          });
          row.append(revoke);
        }
        list.append(row);
      });
    });
  }

  function reloadHome() {
    return refreshSession().then(function (s) {
      if (!s) { location.assign(url('/account/login')); return; }
      renderLevel();
      return Promise.all([loadFactors(), loadSessions()]);
    });
  }

  function homePage() {
    var addError = function (e) { if (!signedOut(e)) setError('add', cancelled(e) ? '' : problemText(e)); };

    function addKey(kind, button) {
      setError('add', '');
      notice('');
      busy(button, true);
      withStepUp(function () { return register(kind); }).then(function () {
        busy(button, false);
        notice(T[kind + '.added']);
        return reloadHome();
      }).catch(function (e) { busy(button, false); addError(e); });
    }
    $('add-passkey').addEventListener('click', function () { addKey('passkey', $('add-passkey')); });
    $('add-security-key').addEventListener('click', function () { addKey('security_key', $('add-security-key')); });

    // Authenticator app: the server's QR code (SVG text) shown as an image, never as markup.
    $('add-totp').addEventListener('click', function () {
      var button = $('add-totp');
      setError('add', '');
      notice('');
      busy(button, true);
      withStepUp(function () { return api('POST', '/auth/totp/enroll'); }).then(function (e) {
        busy(button, false);
        $('totp-qr').src = 'data:image/svg+xml;charset=utf-8,' + encodeURIComponent(e.qr_svg);
        $('totp-secret').textContent = e.secret.replace(/(.{4})(?=.)/g, '$1 ');
        $('totp-secret').setAttribute('data-secret', e.secret);
        $('totp-code').value = '';
        setError('totp-code', '');
        $('totp-panel').hidden = false;
        $('totp-h').focus();
      }).catch(function (e) { busy(button, false); addError(e); });
    });
    $('totp-copy').addEventListener('click', function () { copy($('totp-secret').getAttribute('data-secret') || ''); });
    $('totp-cancel').addEventListener('click', function () { $('totp-panel').hidden = true; $('add-totp').focus(); });
    $('totp-panel').addEventListener('submit', function (ev) {
      ev.preventDefault();
      var code = $('totp-code').value.replace(/\s+/g, '');
      setError('totp-code', '');
      if (!/^[0-9]{6,8}$/.test(code)) { setError('totp-code', T['totp.enter_code']); $('totp-code').focus(); return; }
      var button = $('totp-confirm');
      busy(button, true);
      api('POST', '/auth/totp/verify', { code: code }).then(function () {
        busy(button, false);
        $('totp-panel').hidden = true;
        $('totp-qr').removeAttribute('src');
        $('totp-secret').textContent = '';
        notice(T['totp.added']);
        return reloadHome();
      }).catch(function (e) {
        busy(button, false);
        if (!signedOut(e)) { setError('totp-code', problemText(e)); $('totp-code').focus(); }
      });
    });

    // Recovery codes: shown once, to copy or print.
    $('recovery-issue').addEventListener('click', function () {
      var button = $('recovery-issue');
      setError('recovery', '');
      busy(button, true);
      withStepUp(function () { return api('POST', '/auth/recovery-codes'); }).then(function (r) {
        busy(button, false);
        var list = $('recovery-list');
        list.textContent = '';
        (r.codes || []).forEach(function (c) { list.append(el('li', {}, el('code', { text: c }))); });
        $('recovery-codes').hidden = false;
        button.hidden = true;
        $('recovery-copy').focus();
        return loadFactors();
      }).catch(function (e) { busy(button, false); if (!signedOut(e)) setError('recovery', cancelled(e) ? '' : problemText(e)); });
    });
    $('recovery-copy').addEventListener('click', function () {
      copy(Array.prototype.map.call($('recovery-list').querySelectorAll('code'), function (c) { return c.textContent; }).join('\n'));
    });
    $('recovery-print').addEventListener('click', function () {
      document.body.classList.add('print-codes');
      window.print();
      document.body.classList.remove('print-codes');
    });
    $('recovery-done').addEventListener('click', function () {
      $('recovery-list').textContent = '';
      $('recovery-codes').hidden = true;
      $('recovery-issue').hidden = false;
      $('recovery-issue').focus();
    });

    $('sign-out').addEventListener('click', function () {
      var button = $('sign-out');
      busy(button, true);
      api('POST', '/auth/logout').then(function () { location.assign(url('/account/login')); }, function (e) {
        busy(button, false);
        if (!signedOut(e)) notice(problemText(e));
      });
    });

    reloadHome().catch(function (e) { if (!signedOut(e)) notice(problemText(e)); });
  }

  function copy(text) {
    var done = function () { notice(T.copied); };
    if (navigator.clipboard && navigator.clipboard.writeText) navigator.clipboard.writeText(text).then(done, function () { notice(T.copy_failed); });
    else notice(T.copy_failed);
  }

  if (D.page === 'signup') signupPage();
  else if (D.page === 'login') loginPage();
  else if (D.page === 'home') homePage();
})();
