// Honnin hosted verification page: the method step. Inlined by the server with a CSP nonce.
// It calls the method endpoints with the flow token from the address bar (never written into
// the page) and renders the plan `start` returns: a form (`kind: "form"`) or a document
// capture (`kind: "capture"`). After a successful submission the page reloads and the server
// shows the flow's state.
(function () {
  'use strict';
  var D = JSON.parse(document.getElementById('honnin-data').textContent);
  var T = D.text;
  var token = new URLSearchParams(location.search).get('t') || '';
  var base = '/v1/verifications/' + encodeURIComponent(D.id) + '/methods/';
  var state = null; // {method, attempt, plan, doc, images: {side: Blob}, pending: {text, key}}
  var stream = null;

  var $ = HonninDOM.$;  // shared/dom.js, inlined before this script
  var el = HonninDOM.el;

  function label(o) { return D.lang === 'ja' ? o.label_ja : o.label_en; }

  function randomKey() {
    var b = new Uint8Array(16);
    crypto.getRandomValues(b);
    return Array.prototype.map.call(b, function (x) { return ('0' + x.toString(16)).slice(-2); }).join('');
  }

  // The language switch keeps the token in the address bar only.
  var sw = $('lang-switch');
  if (sw) sw.addEventListener('click', function (ev) {
    ev.preventDefault();
    var u = new URL(location.href);
    u.searchParams.set('lang', sw.getAttribute('data-lang'));
    location.assign(u.toString());
  });

  function headers(extra) {
    var h = { 'Authorization': 'Bearer ' + token, 'Accept-Language': D.lang, 'Content-Type': 'application/json' };
    Object.keys(extra || {}).forEach(function (k) { h[k] = extra[k]; });
    return h;
  }

  function start(method, button) {
    if (button) { button.disabled = true; button.textContent = T.starting; }
    return fetch(base + encodeURIComponent(method) + '/start', {
      method: 'POST', headers: headers(), cache: 'no-store', credentials: 'omit', referrerPolicy: 'no-referrer'
    }).then(function (r) {
      return r.json().catch(function () { return null; }).then(function (body) { return { status: r.status, body: body }; });
    }).then(function (r) {
      if (r.status !== 200 || !r.body) throw r;
      return r.body;
    }).finally(function () {
      if (button) { button.disabled = false; button.textContent = button.getAttribute('data-label'); }
    });
  }

  document.querySelectorAll('button.choose').forEach(function (b) { b.setAttribute('data-label', b.textContent); });
  document.querySelectorAll('button.choose').forEach(function (b) {
    b.addEventListener('click', function () {
      var method = b.getAttribute('data-method');
      start(method, b).then(function (started) {
        state = { method: method, attempt: started.attempt, plan: started.plan, doc: null, images: {}, pending: null };
        renderStep();
      }, function (r) { showMethodError(b, r); });
    });
  });

  function problemText(body) {
    if (body && body.title) return body.title + (body.detail ? ' ' + body.detail : '');
    return T.unexpected_error;
  }

  function showMethodError(button, r) {
    var li = button.closest('li');
    var box = li.querySelector('.error');
    if (!box) { box = el('p', { class: 'error', role: 'alert' }); li.append(box); }
    box.textContent = r && r.status ? problemText(r.body) : T.network_error;
    if (r && (r.status === 409 || r.status === 410)) box.append(' ', reloadButton());
  }

  function reloadButton() {
    return el('button', { type: 'button', class: 'secondary', text: T.reload, onclick: function () { location.reload(); } });
  }

  // MARK: The method step

  function renderStep() {
    stopCamera();
    var plan = state.plan;
    var step = $('step');
    step.textContent = '';
    var title = el('h2', { id: 'step-h', tabindex: '-1', text: D.methods[state.method] || state.method });
    var form = el('form', { id: 'evidence', 'aria-labelledby': 'step-h' });
    form.append(el('div', { id: 'form-error', class: 'alert', role: 'alert', hidden: true }));
    if (plan.kind === 'capture') {
      form.append(documentChoice(plan));
      form.append(el('div', { id: 'sides' }));
    }
    var fields = plan.fields || [];
    if (fields.length) {
      var fs = el('fieldset', {}, el('legend', { text: T.details }));
      if (plan.kind === 'capture') fs.append(el('p', { class: 'note', text: T.details_note }));
      fields.forEach(function (f) { fs.append(field(f)); });
      form.append(fs);
    }
    var progress = el('div', { class: 'progress', id: 'progress', hidden: true, 'aria-live': 'polite' },
      el('label', { for: 'progress-bar', id: 'progress-label', text: T.sending }),
      el('progress', { id: 'progress-bar', max: '100', value: '0' }));
    form.append(progress);
    form.append(el('div', { class: 'stack' },
      el('button', { type: 'submit', class: 'primary', id: 'submit', text: T.submit }),
      el('button', { type: 'button', class: 'secondary primary', id: 'back', text: T.back, onclick: back })));
    form.addEventListener('submit', submit);
    step.append(title, form);
    $('methods').hidden = true;
    step.hidden = false;
    title.focus();
  }

  function back() {
    stopCamera();
    $('step').hidden = true;
    $('step').textContent = '';
    $('methods').hidden = false;
    var first = document.querySelector('button.choose[data-method="' + CSS.escape(state.method) + '"]');
    state = null;
    if (first) first.focus();
  }

  function documentChoice(plan) {
    var fs = el('fieldset', { id: 'document_type', 'aria-describedby': 'err-document_type' }, el('legend', { text: T.document_type }));
    (plan.documents || []).forEach(function (doc) {
      var id = 'doc-' + doc.id;
      var input = el('input', { type: 'radio', name: 'document_type', id: id, value: doc.id, required: true });
      input.addEventListener('change', function () { chooseDocument(doc); });
      fs.append(el('div', { class: 'choice' }, input, el('label', { for: id, text: label(doc) })));
    });
    fs.append(el('p', { class: 'error', id: 'err-document_type' }));
    return fs;
  }

  function chooseDocument(doc) {
    stopCamera();
    state.doc = doc;
    state.images = {};
    setError('document_type', '');
    var sides = $('sides');
    sides.textContent = '';
    var fs = el('fieldset', {}, el('legend', { text: T.document_sides }), el('p', { class: 'doc-name', text: label(doc) }));
    doc.sides.forEach(function (side) { fs.append(sideBlock(doc, side)); });
    sides.append(fs);
  }

  function sideBlock(doc, side) {
    var member = 'images.' + side.id;
    var name = label(doc) + ' ' + label(side);
    var box = el('div', { class: 'side', id: 'side-' + side.id });
    var heading = el('h3', { id: 'side-h-' + side.id, text: label(side) });
    var video = el('video', { playsinline: true, muted: true, hidden: true, 'aria-label': T.camera_preview + '（' + name + '）' });
    var preview = el('img', { class: 'preview', hidden: true, alt: T.preview_of + name });
    var camera = el('button', { type: 'button', class: 'secondary', text: T.camera_start, 'aria-describedby': 'side-h-' + side.id });
    var shoot = el('button', { type: 'button', hidden: true, text: T.camera_capture });
    var fileID = 'file-' + side.id;
    var file = el('input', {
      type: 'file', id: fileID, class: 'file', accept: (state.plan.accept || ['image/jpeg', 'image/png']).join(','), capture: 'environment',
      'aria-describedby': 'err-' + member
    });
    var error = el('p', { class: 'error', id: 'err-' + member, 'aria-live': 'polite' });
    var hasCamera = !!(navigator.mediaDevices && navigator.mediaDevices.getUserMedia);
    if (!hasCamera) camera.hidden = true;

    camera.addEventListener('click', function () {
      var live = !!video.srcObject;
      stopCamera();
      if (live) { camera.focus(); return; }
      setError(member, '');
      navigator.mediaDevices.getUserMedia({
        video: { facingMode: { ideal: 'environment' }, width: { ideal: 1920 }, height: { ideal: 1080 } }, audio: false
      }).then(function (s) {
        stream = s;
        video.srcObject = s;
        video.hidden = false;
        shoot.hidden = false;
        camera.textContent = T.camera_stop;
        return video.play();
      }).then(function () { shoot.focus(); }, function (e) {
        stopCamera();
        setError(member, e && e.name === 'NotAllowedError' ? T.camera_refused : T.camera_unavailable);
        camera.hidden = true;
        file.focus();
      });
    });

    shoot.addEventListener('click', function () {
      var w = video.videoWidth, h = video.videoHeight;
      if (!w || !h) return;
      var canvas = document.createElement('canvas');
      canvas.width = w;
      canvas.height = h;
      canvas.getContext('2d').drawImage(video, 0, 0, w, h);
      canvas.toBlob(function (blob) {
        stopCamera();
        if (blob) setImage(blob);
        camera.focus();
      }, 'image/jpeg', 0.92);
    });

    file.addEventListener('change', function () {
      var f = file.files && file.files[0];
      if (!f) return;
      // (An empty type is left to the server, which decodes every image anyway.)
      if (f.type && (state.plan.accept || ['image/jpeg', 'image/png']).indexOf(f.type) < 0) { setError(member, T.image_type); return; }
      if (state.plan.max_image_bytes && f.size > state.plan.max_image_bytes) { setError(member, T.image_too_large); return; }
      setImage(f);
    });

    function setImage(blob) {
      state.images[side.id] = blob;
      if (preview.src) URL.revokeObjectURL(preview.src);
      preview.src = URL.createObjectURL(blob);
      preview.hidden = false;
      camera.textContent = T.camera_retake;
      setError(member, '');
    }

    box.addEventListener('honnin:camera-stopped', function () {
      video.hidden = true;
      shoot.hidden = true;
      camera.textContent = state && state.images[side.id] ? T.camera_retake : T.camera_start;
    });

    box.append(heading, video, preview,
      el('div', { class: 'actions' }, camera, shoot),
      file, el('label', { class: 'file', for: fileID, text: T.file_choose }), error);
    return box;
  }

  function stopCamera() {
    if (stream) stream.getTracks().forEach(function (t) { t.stop(); });
    stream = null;
    document.querySelectorAll('video').forEach(function (v) { v.srcObject = null; });
    document.querySelectorAll('.side').forEach(function (b) { b.dispatchEvent(new Event('honnin:camera-stopped')); });
  }

  var autocomplete = { name: 'name', address: 'street-address', birthdate: 'bday', gender: 'sex', name_kana: 'off' };

  function field(f) {
    var id = 'attr-' + f.name;
    var member = 'attributes.' + f.name;
    var input;
    if (f['enum']) {
      input = el('select', { id: id, name: f.name });
      input.append(el('option', { value: '', text: T.select }));
      f['enum'].forEach(function (v) { input.append(el('option', { value: v, text: T['gender_' + v] || v })); });
    } else if (f.format === 'date') {
      input = el('input', { type: 'date', id: id, name: f.name, min: '1900-01-01', max: new Date().toISOString().slice(0, 10) });
    } else {
      input = el('input', { type: 'text', id: id, name: f.name, maxlength: '200' });
    }
    if (f.required) input.required = true;
    input.setAttribute('autocomplete', autocomplete[f.name] || 'off');
    var hintID = f.format === 'katakana' ? 'hint-' + f.name : null;
    input.setAttribute('aria-describedby', (hintID ? hintID + ' ' : '') + 'err-' + member);
    var lab = el('label', { for: id, text: label(f) });
    if (f.required) lab.append(el('span', { class: 'req', text: T.required }));
    if (hintID) lab.append(el('span', { class: 'hint', id: hintID, text: T.kana_hint }));
    return el('div', { class: 'field' }, lab, input, el('p', { class: 'error', id: 'err-' + member, 'aria-live': 'polite' }));
  }

  // MARK: Errors

  // Shows `text` next to the part the API's `member` names; false when the page has no such part.
  function setError(member, text) {
    var box = document.getElementById('err-' + member);
    if (!box) return false;
    box.textContent = text;
    var input = member.indexOf('attributes.') === 0 ? $('attr-' + member.slice(11))
      : member.indexOf('images.') === 0 ? $('file-' + member.slice(7)) : null;
    if (input) { if (text) input.setAttribute('aria-invalid', 'true'); else input.removeAttribute('aria-invalid'); }
    return true;
  }

  function clearErrors() {
    document.querySelectorAll('#evidence .error').forEach(function (e) { e.textContent = ''; });
    document.querySelectorAll('#evidence [aria-invalid]').forEach(function (e) { e.removeAttribute('aria-invalid'); });
    var box = $('form-error');
    box.hidden = true;
    box.textContent = '';
  }

  function formError(text, action) {
    var box = $('form-error');
    box.textContent = text;
    if (action) box.append(' ', action);
    box.hidden = false;
    box.scrollIntoView({ block: 'center' });
  }

  function focusMember(member) {
    var target = member.indexOf('attributes.') === 0 ? $('attr-' + member.slice(11))
      : member.indexOf('images.') === 0 ? $('side-' + member.slice(7)).querySelector('button:not([hidden]), input')
        : member === 'document_type' ? document.querySelector('input[name=document_type]') : null;
    if (target) target.focus();
  }

  function showProblem(status, body) {
    var text = problemText(body);
    var member = body && body.member;
    var code = body && body.code;
    if (member && member !== 'attempt' && setError(member, text)) { focusMember(member); return; }
    if (['challenge_reused', 'challenge_expired', 'attempt_mismatch', 'attempt_required'].indexOf(code) >= 0) {
      formError(text, el('button', { type: 'button', class: 'secondary', text: T.retry_attempt, onclick: renewAttempt }));
    } else if (status === 409 || status === 410) {
      formError(text, reloadButton());
    } else {
      formError(text);
    }
  }

  // A used or stale attempt: ask for a new one and keep what the person entered.
  function renewAttempt() {
    start(state.method, null).then(function (started) {
      state.attempt = started.attempt;
      state.pending = null;
      clearErrors();
      $('submit').focus();
    }, function (r) { showProblem(r.status, r.body); });
  }

  // MARK: Submission

  function base64(blob) {
    return new Promise(function (resolve, reject) {
      var reader = new FileReader();
      reader.onload = function () { var s = String(reader.result); resolve(s.slice(s.indexOf(',') + 1)); };
      reader.onerror = function () { reject(reader.error); };
      reader.readAsDataURL(blob);
    });
  }

  function submit(ev) {
    ev.preventDefault();
    clearErrors();
    var plan = state.plan;
    var body = { attempt: state.attempt };
    var waits = [];
    var missing = null;
    if (plan.kind === 'capture') {
      if (!state.doc) { setError('document_type', T.choose_document); focusMember('document_type'); return; }
      body.document_type = state.doc.id;
      body.images = {};
      state.doc.sides.forEach(function (side) {
        var blob = state.images[side.id];
        if (!blob) {
          if (side.required) { setError('images.' + side.id, T.image_needed); missing = missing || 'images.' + side.id; }
          return;
        }
        waits.push(base64(blob).then(function (b) { body.images[side.id] = b; }));
      });
      if (missing) { focusMember(missing); return; }
    }
    body.attributes = {};
    (plan.fields || []).forEach(function (f) { body.attributes[f.name] = $('attr-' + f.name).value; });
    stopCamera();
    Promise.all(waits).then(function () {
      var text = JSON.stringify(body);
      // A retry of the same submission reuses its key, so the server applies it once.
      if (!state.pending || state.pending.text !== text) state.pending = { text: text, key: randomKey() };
      send(state.pending);
    }, function () { formError(T.unexpected_error); });
  }

  function send(pending) {
    var button = $('submit');
    var bar = $('progress-bar');
    var progress = $('progress');
    button.disabled = true;
    $('back').disabled = true;
    bar.value = 0;
    progress.hidden = false;
    progress.scrollIntoView({ block: 'center' });
    $('progress-label').textContent = T.sending + ' 0%';
    var xhr = new XMLHttpRequest();
    xhr.open('POST', base + encodeURIComponent(state.method) + '/submit');
    var h = headers({ 'Idempotency-Key': pending.key });
    Object.keys(h).forEach(function (k) { xhr.setRequestHeader(k, h[k]); });
    xhr.timeout = 180000;
    xhr.upload.onprogress = function (e) {
      if (!e.lengthComputable) return;
      var pct = Math.floor(e.loaded * 100 / e.total);
      bar.value = pct;
      $('progress-label').textContent = T.sending + ' ' + pct + '%';
    };
    function done() { button.disabled = false; $('back').disabled = false; }
    xhr.onload = function () {
      var body = null;
      try { body = JSON.parse(xhr.responseText); } catch (e) { body = null; }
      if (xhr.status === 200) {
        bar.value = 100;
        $('progress-label').textContent = T.sent;
        location.reload();
        return;
      }
      done();
      progress.hidden = true;
      showProblem(xhr.status, body);
    };
    xhr.onerror = xhr.ontimeout = function () {
      done();
      progress.hidden = true;
      formError(T.network_error);
    };
    xhr.send(pending.text);
  }
})();
