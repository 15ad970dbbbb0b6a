// DOM helpers shared by the scripts of Honnin's pages (account/account.js, hosted/verify.js).
// The server inlines this file before the page's own script, in the same script element
// carrying the response's CSP nonce.
var HonninDOM = (function () {
  'use strict';

  function $(id) { return document.getElementById(id); }

  // Builds an element; text is always set as text, never as markup. Attributes named on…
  // become event listeners; false, null and undefined leave an attribute out.
  function el(tag, attrs) {
    var e = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) {
      var v = attrs[k];
      if (v === false || v === null || v === undefined) return;
      if (k === 'text') e.textContent = v;
      else if (k.slice(0, 2) === 'on') e.addEventListener(k.slice(2), v);
      else e.setAttribute(k, v === true ? '' : String(v));
    });
    for (var i = 2; i < arguments.length; i++) if (arguments[i]) e.append(arguments[i]);
    return e;
  }

  return { $: $, el: el };
})();
