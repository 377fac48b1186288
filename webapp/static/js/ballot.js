/* The ballot: choose, review, sign on this phone, send; and a receipt checked in the browser.
 *
 * The browser builds the canonical ballot (RFC 8785) itself — assembly, the digest of the notice
 * the owner read, the roll root, the member id, the choices and 16 random bytes — and signs those
 * exact bytes with the key that never left this phone.  No inline script: the page carries its
 * data in data- attributes.
 */
(function () {
  "use strict";

  function $(s, root) { return (root || document).querySelector(s); }
  function $all(s, root) { return Array.prototype.slice.call((root || document).querySelectorAll(s)); }

  function say(box, text, kind) {
    if (!box) { return; }
    box.textContent = text;
    box.className = "flash flash-" + (kind || "info");
    box.hidden = false;
  }

  function nonce() {
    var bytes = new Uint8Array(16);
    crypto.getRandomValues(bytes);
    var text = "";
    for (var i = 0; i < bytes.length; i++) { text += String.fromCharCode(bytes[i]); }
    return btoa(text).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
  }

  function usable() {
    return !!(window.crypto && crypto.subtle && crypto.getRandomValues && window.indexedDB && window.fetch && window.OwnersVote);
  }

  function bindBallot(form) {
    var review = $("#review"), list = $("#review-list"), status = $("#ballot-status"), fallback = $("#fallback");
    var counterText = form.getAttribute("data-msg-counter");

    function showFallback(text) {
      if (fallback) { $("#fallback-why").textContent = text; fallback.hidden = false; fallback.scrollIntoView(); }
    }

    function updateCounters() {
      $all("fieldset[data-kind=election]", form).forEach(function (set) {
        var seats = parseInt(set.getAttribute("data-seats"), 10);
        var boxes = $all("input[type=checkbox]", set);
        var chosen = boxes.filter(function (b) { return b.checked; }).length;
        boxes.forEach(function (b) { b.disabled = !b.checked && chosen >= seats; });
        var counter = $("[data-counter]", set);
        if (counter) { counter.textContent = counterText.replace("%(n)s", chosen).replace("%(m)s", seats); }
      });
    }

    function choices() {
      var out = {};
      $all("fieldset[data-item]", form).forEach(function (set) {
        var id = set.getAttribute("data-item"), kind = set.getAttribute("data-kind");
        if (kind === "resolution") {
          var picked = $("input:checked", set);
          if (picked) { out[id] = picked.value; }
        } else if (kind === "election") {
          out[id] = $all("input:checked", set).map(function (b) { return b.value; });
        } else {
          var one = $("input:checked", set);
          out[id] = one && one.value ? [one.value] : [];
        }
      });
      return out;
    }

    function describe(set) {
      var picked = $all("input:checked", set).filter(function (b) { return b.value; });
      if (!picked.length) { return form.getAttribute("data-msg-abstain"); }
      return picked.map(function (b) { return b.parentNode.textContent.trim(); }).join("、");
    }

    form.addEventListener("change", updateCounters);
    updateCounters();
    if (!usable()) { showFallback(form.getAttribute("data-msg-unsupported")); }
    else {
      OwnersVote.load(form.getAttribute("data-slot")).then(function (record) {
        if (!record) { showFallback(form.getAttribute("data-msg-nokey")); }
      }, function () { showFallback(form.getAttribute("data-msg-unsupported")); });
    }

    $("[data-step=review]", form).addEventListener("click", function () {
      list.textContent = "";
      $all("fieldset[data-item]", form).forEach(function (set) {
        var li = document.createElement("li");
        li.textContent = set.getAttribute("data-title") + "：" + describe(set);
        list.appendChild(li);
      });
      form.hidden = true;
      review.hidden = false;
      review.scrollIntoView();
    });
    $("[data-step=back]", review).addEventListener("click", function () {
      review.hidden = true;
      form.hidden = false;
    });
    $("[data-step=sign]", review).addEventListener("click", function (event) {
      var button = event.target;
      if (!usable()) { showFallback(form.getAttribute("data-msg-unsupported")); return; }
      button.disabled = true;
      say(status, form.getAttribute("data-msg-working"));
      var ballot = {
        type: "ownersvote-ballot", v: 2, assembly: form.getAttribute("data-assembly"), notice: form.getAttribute("data-notice"),
        roll_root: form.getAttribute("data-roll-root"), member: form.getAttribute("data-member"), choices: choices(), nonce: nonce()
      };
      var text = OwnersVote.canonical(ballot);
      OwnersVote.load(form.getAttribute("data-slot")).then(function (record) {
        if (!record) { var e = new Error("nokey"); e.code = "nokey"; throw e; }
        return OwnersVote.sign(record, text).then(function (sig) {
          return OwnersVote.postJson(form.getAttribute("data-submit"), { ballot: text, kid: record.kid, sig: sig });
        });
      }).then(function (answer) {
        window.location.assign(answer.next);
      }, function (err) {
        button.disabled = false;
        if (err && err.code === "nokey") { showFallback(form.getAttribute("data-msg-nokey")); say(status, form.getAttribute("data-msg-nokey"), "error"); return; }
        say(status, (err && err.data && err.data.error) || form.getAttribute("data-msg-failed"), "error");
      });
    });
  }

  /* --- receipts, checked here: RFC 9162 inclusion proof and the server's Ed25519 signature --- */

  function hexToBytes(hex) {
    var out = new Uint8Array(hex.length / 2);
    for (var i = 0; i < out.length; i++) { out[i] = parseInt(hex.substr(i * 2, 2), 16); }
    return out;
  }
  function b64urlToBytes(text) {
    var b64 = text.replace(/-/g, "+").replace(/_/g, "/");
    while (b64.length % 4) { b64 += "="; }
    var raw = atob(b64), out = new Uint8Array(raw.length);
    for (var i = 0; i < raw.length; i++) { out[i] = raw.charCodeAt(i); }
    return out;
  }
  function concat(parts) {
    var n = parts.reduce(function (s, p) { return s + p.length; }, 0), out = new Uint8Array(n), at = 0;
    parts.forEach(function (p) { out.set(p, at); at += p.length; });
    return out;
  }
  function sha256(bytes) { return crypto.subtle.digest("SHA-256", bytes).then(function (d) { return new Uint8Array(d); }); }
  function node(l, r) { return sha256(concat([new Uint8Array([1]), l, r])); }
  function equal(a, b) { if (a.length !== b.length) { return false; } for (var i = 0; i < a.length; i++) { if (a[i] !== b[i]) { return false; } } return true; }

  function rootFromProof(index, size, leaf, proof) {
    var fn = index, sn = size - 1, r = Promise.resolve(leaf), i = 0;
    if (index >= size) { return Promise.reject(new Error("index")); }
    function step(acc) {
      if (i === proof.length) { return sn === 0 ? acc : Promise.reject(new Error("short")); }
      if (sn === 0) { return Promise.reject(new Error("long")); }
      var p = proof[i++], next;
      if ((fn & 1) || fn === sn) {
        next = node(p, acc);
        while (!(fn & 1) && fn !== 0) { fn >>= 1; sn >>= 1; }
      } else {
        next = node(acc, p);
      }
      fn >>= 1; sn >>= 1;
      return next.then(step);
    }
    return r.then(step);
  }

  function bindReceipt(box) {
    var receipt = JSON.parse(box.getAttribute("data-receipt"));
    var server = JSON.parse(box.getAttribute("data-server-key"));
    if (!(window.crypto && crypto.subtle)) { say(box, box.getAttribute("data-msg-hash-only"), "info"); return; }
    var sth = receipt.sth, payload = {};
    Object.keys(sth).forEach(function (k) { if (k !== "kid" && k !== "sig") { payload[k] = sth[k]; } });
    rootFromProof(receipt.index, sth.size, hexToBytes(receipt.leaf_hash), receipt.inclusion.map(hexToBytes)).then(function (root) {
      if (!equal(root, hexToBytes(sth.root))) { throw new Error("root"); }
      return crypto.subtle.importKey("jwk", { kty: server.kty, crv: server.crv, x: server.x }, { name: "Ed25519" }, false, ["verify"]).then(function (key) {
        return crypto.subtle.verify({ name: "Ed25519" }, key, b64urlToBytes(sth.sig), new TextEncoder().encode(OwnersVote.canonical(payload)));
      }, function () { return "no-ed25519"; });
    }).then(function (ok) {
      if (ok === "no-ed25519") { say(box, box.getAttribute("data-msg-hash-only"), "success"); }
      else if (ok) { say(box, box.getAttribute("data-msg-ok"), "success"); }
      else { say(box, box.getAttribute("data-msg-bad"), "error"); }
    }, function () { say(box, box.getAttribute("data-msg-bad"), "error"); });
  }

  document.addEventListener("DOMContentLoaded", function () {
    $all("[data-action=ballot]").forEach(bindBallot);
    $all("[data-action=verify-receipt]").forEach(bindReceipt);
  });
  window.OwnersVoteReceipt = { rootFromProof: rootFromProof };
})();
