// Security keys (WebAuthn) for Parley: the browser half of the three ceremonies (adding a key,
// the second factor at sign-in, step-up). A button carries data-webauthn="register" | "login" |
// "reauth" and the two URLs: data-options (the server makes and keeps the challenge) and
// data-finish (the server checks the key's answer). Both POSTs carry the session's CSRF token.
// Binary fields travel as base64url, as the server's options JSON gives them.
(function () {
  "use strict";

  function toBytes(text) {
    var base64 = text.replace(/-/g, "+").replace(/_/g, "/");
    while (base64.length % 4) { base64 += "="; }
    var raw = atob(base64);
    var out = new Uint8Array(raw.length);
    for (var i = 0; i < raw.length; i++) { out[i] = raw.charCodeAt(i); }
    return out.buffer;
  }

  function toText(buffer) {
    var bytes = new Uint8Array(buffer);
    var raw = "";
    for (var i = 0; i < bytes.length; i++) { raw += String.fromCharCode(bytes[i]); }
    return btoa(raw).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
  }

  function descriptors(list) {
    return (list || []).map(function (d) {
      var out = {type: d.type, id: toBytes(d.id)};
      if (d.transports) { out.transports = d.transports; }
      return out;
    });
  }

  function creationOptions(json) {
    var options = Object.assign({}, json);
    options.challenge = toBytes(json.challenge);
    options.user = Object.assign({}, json.user, {id: toBytes(json.user.id)});
    options.excludeCredentials = descriptors(json.excludeCredentials);
    return options;
  }

  function requestOptions(json) {
    var options = Object.assign({}, json);
    options.challenge = toBytes(json.challenge);
    options.allowCredentials = descriptors(json.allowCredentials);
    return options;
  }

  function credentialJSON(credential) {
    var r = credential.response;
    var response = {clientDataJSON: toText(r.clientDataJSON)};
    if (r.attestationObject) {
      response.attestationObject = toText(r.attestationObject);
      if (r.getTransports) { response.transports = r.getTransports(); }
    } else {
      response.authenticatorData = toText(r.authenticatorData);
      response.signature = toText(r.signature);
      if (r.userHandle) { response.userHandle = toText(r.userHandle); }
    }
    return {
      id: credential.id,
      rawId: toText(credential.rawId),
      type: credential.type,
      response: response,
      authenticatorAttachment: credential.authenticatorAttachment || null,
      clientExtensionResults: credential.getClientExtensionResults ? credential.getClientExtensionResults() : {}
    };
  }

  function post(url, body) {
    return fetch(url, {
      method: "POST",
      credentials: "same-origin",
      headers: {"Content-Type": "application/json", "X-CSRF-Token": document.body.dataset.csrf || ""},
      body: JSON.stringify(body || {})
    }).then(function (response) {
      // A step-up or sign-in redirect answers with a page, not JSON: follow it.
      if (response.redirected) { window.location.assign(response.url); return new Promise(function () {}); }
      return response.json().catch(function () { return {detail: response.status + " " + response.statusText}; })
        .then(function (data) {
          if (!response.ok) { throw new Error(data.detail || "refused"); }
          return data;
        });
    });
  }

  function fields(form) {
    var out = {};
    ["name", "password", "next"].forEach(function (name) {
      var input = form.elements.namedItem(name);
      if (input) { out[name] = input.value; }
    });
    return out;
  }

  function run(button) {
    var form = button.form;
    var error = form.querySelector("[data-webauthn-error]");
    var kind = button.dataset.webauthn;
    var needed = kind === "register" ? "name" : kind === "reauth" ? "password" : null;
    if (needed && !form.elements.namedItem(needed).reportValidity()) { return; }
    error.hidden = true;
    button.disabled = true;
    post(button.dataset.options).then(function (json) {
      if (kind === "register") {
        return navigator.credentials.create({publicKey: creationOptions(json)});
      }
      return navigator.credentials.get({publicKey: requestOptions(json)});
    }).then(function (credential) {
      var body = fields(form);
      body.credential = credentialJSON(credential);
      return post(button.dataset.finish, body);
    }).then(function (data) {
      window.location.assign(data.redirect || "/");
    }).catch(function (exc) {
      error.textContent = exc && exc.name === "NotAllowedError"
        ? "The key did not answer (cancelled or timed out). Try again."
        : String(exc && exc.message ? exc.message : exc);
      error.hidden = false;
      button.disabled = false;
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    var buttons = document.querySelectorAll("button[data-webauthn]");
    buttons.forEach(function (button) {
      if (!window.PublicKeyCredential) {
        button.disabled = true;
        var error = button.form.querySelector("[data-webauthn-error]");
        error.textContent = "This browser does not support security keys here.";
        error.hidden = false;
        return;
      }
      button.addEventListener("click", function () { run(button); });
      // Enter in the key's name field starts the ceremony rather than submitting the form.
      if (button.form.dataset.ceremony) {
        button.form.addEventListener("submit", function (event) { event.preventDefault(); run(button); });
      }
    });
  });
})();
