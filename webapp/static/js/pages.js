/* Wires the device-key buttons of each page (no inline scripts: pages carry data- attributes). */
(function () {
  "use strict";

  function $(selector) { return document.querySelector(selector); }

  function say(box, text, kind) {
    if (!box) { return; }
    box.textContent = text;
    box.className = "flash flash-" + (kind || "info");
    box.hidden = false;
  }

  function supported() {
    return !!(window.crypto && crypto.subtle && window.indexedDB && window.fetch);
  }

  /* Sign with this browser's stored key and submit: ``work(record)`` signs and posts, resolving
   * to the server's answer, whose ``next`` page is then opened.  The button's data-msg-* texts
   * say what happens; a missing key and a refusal say why. */
  function signAndSubmit(button, box, work) {
    button.disabled = true;
    if (button.getAttribute("data-msg-working")) { say(box, button.getAttribute("data-msg-working")); }
    OwnersVote.load(button.getAttribute("data-slot")).then(function (record) {
      if (!record) { var e = new Error("nokey"); e.code = "nokey"; throw e; }
      return work(record);
    }).then(function (answer) {
      say(box, button.getAttribute("data-msg-done"), "success");
      window.location.assign(answer.next);
    }, function (err) {
      button.disabled = false;
      var text = err && err.code === "nokey" ? button.getAttribute("data-msg-nokey") : ((err && err.data && err.data.error) || button.getAttribute("data-msg-failed"));
      say(box, text, "error");
    });
  }

  function bindRegister(button) {
    var box = $(button.getAttribute("data-status"));
    button.addEventListener("click", function () {
      if (!supported()) { say(box, button.getAttribute("data-msg-unsupported"), "error"); return; }
      button.disabled = true;
      say(box, button.getAttribute("data-msg-working"));
      OwnersVote.register({
        prefer: button.getAttribute("data-prefer") || "P-256",
        slot: button.getAttribute("data-slot"),
        challengeUrl: button.getAttribute("data-challenge"),
        submitUrl: button.getAttribute("data-submit")
      }).then(function (answer) {
        say(box, button.getAttribute("data-msg-done"), "success");
        // A page that offers a key on the way to something else (a certification) comes back.
        window.location.assign(button.getAttribute("data-next") || answer.next);
      }, function (err) {
        button.disabled = false;
        say(box, (err && err.data && err.data.error) || button.getAttribute("data-msg-failed"), "error");
      });
    });
  }

  function bindSignin(button) {
    var box = $(button.getAttribute("data-status"));
    var go = function () {
      if (!supported()) { say(box, button.getAttribute("data-msg-unsupported"), "error"); return; }
      button.disabled = true;
      say(box, button.getAttribute("data-msg-working"));
      OwnersVote.signin({
        slot: button.getAttribute("data-slot"),
        challengeUrl: button.getAttribute("data-challenge"),
        submitUrl: button.getAttribute("data-submit")
      }).then(function (answer) {
        window.location.assign(answer.next);
      }, function (err) {
        button.disabled = false;
        var text = err && err.code === "nokey" ? button.getAttribute("data-msg-nokey") : ((err && err.data && err.data.error) || button.getAttribute("data-msg-failed"));
        say(box, text, "error");
        // No key here, or one the server no longer knows: the ways forward, not a loop back to
        // a letter that has been used.
        var forward = button.getAttribute("data-no-key") && $(button.getAttribute("data-no-key"));
        if (forward && (err && (err.code === "nokey" || err.status === 403))) { forward.hidden = false; }
      });
    };
    button.addEventListener("click", go);
    if (button.hasAttribute("data-auto")) { go(); }
  }

  /* Only this browser knows whether it holds one of the supervisor's active keys: if not, the
   * page shows its block for making one here (devices/_make_key_here.html) instead of a sign
   * button that could only fail.  Resolves to whether it holds one. */
  function keyOrSign(button) {
    var kids = (button.getAttribute("data-kids") || "").split(" ").filter(Boolean);
    return OwnersVote.load(button.getAttribute("data-slot")).then(function (record) {
      var held = !!record && kids.indexOf(record.kid) >= 0;
      $(button.getAttribute("data-key-block")).hidden = held;
      $(button.getAttribute("data-sign-block")).hidden = !held;
      return held;
    });
  }

  function bindRollSign(button) {
    var box = $(button.getAttribute("data-status"));
    var check = $(button.getAttribute("data-check"));
    var doc;
    var payload;
    keyOrSign(button).then(function (held) {
      if (!held) { return Promise.reject("no key"); }  // nothing to check for a signature this browser cannot make
      return OwnersVote.getJson(button.getAttribute("data-roll"));
    }).then(function (d) {
      doc = d;
      return OwnersVote.merkleRoot(d.roll.entries);
    }).then(function (root) {
      // Areas are compared in integer hundredths, as everywhere else: never as floats.
      var centi = function (text) { var p = text.split("."); return parseInt(p[0], 10) * 100 + parseInt(p[1], 10); };
      var format = function (c) { var r = String(c % 100); return Math.floor(c / 100) + "." + (r.length < 2 ? "0" + r : r); };
      var roll = doc.roll, heads = 0, area = 0;
      roll.entries.forEach(function (e) { heads += e.heads; area += centi(e.area); });
      var ok = root === roll.root && roll.entries.length === roll.size && heads === roll.heads && format(area) === roll.area;
      // The browser signs the payload it rebuilt from what it checked, never one handed to it.
      payload = { type: "ownersvote-roll", v: 2, estate: doc.estate.id, roll: roll.id, root: root,
                  size: roll.entries.length, area: format(area), heads: heads, frozen_at: roll.frozen_at,
                  required_signatures: roll.required_signatures };
      check.textContent = (ok ? button.getAttribute("data-msg-verified") : button.getAttribute("data-msg-mismatch")) + " " + root;
      check.className = "flash " + (ok ? "flash-success" : "flash-error");
      button.disabled = !ok;
    }, function (why) {
      if (why !== "no key") { say(box, button.getAttribute("data-msg-failed"), "error"); }
    });
    button.addEventListener("click", function () {
      signAndSubmit(button, box, function (record) {
        return OwnersVote.sign(record, OwnersVote.canonical(payload)).then(function (sig) {
          return OwnersVote.postJson(button.getAttribute("data-submit"), { kid: record.kid, sig: sig });
        });
      });
    });
  }

  /* A roll supplement: the browser downloads the roll and the supplement's parts, recomputes the
   * roll's root, checks that the member is on it, that every revoked key is the member's key in
   * force (the roll with the earlier supplements) and that no added key is on the roll already,
   * and only then builds the payload itself and lets the supervisor sign it. */
  function bindSupplementSign(button) {
    var box = $(button.getAttribute("data-status"));
    var check = $(button.getAttribute("data-check"));
    var payload, doc, part, root;
    Promise.all([OwnersVote.getJson(button.getAttribute("data-roll")), OwnersVote.getJson(button.getAttribute("data-source"))]).then(function (got) {
      doc = got[0]; part = got[1];
      return OwnersVote.merkleRoot(doc.roll.entries);
    }).then(function (r) {
      root = r;
      var kidsOf = function (keys) { return Promise.all(keys.map(function (k) { return OwnersVote.thumbprint(k.jwk); })); };
      var entry = doc.roll.entries.filter(function (e) { return e.member === part.member; })[0];
      var everyKey = [];
      doc.roll.entries.forEach(function (e) { everyKey = everyKey.concat(e.keys); });
      var earlier = part.earlier.filter(function (p) { return p.member === part.member; });
      return Promise.all([kidsOf(entry ? entry.keys : []), kidsOf(everyKey), kidsOf(part.add),
        Promise.all(earlier.map(function (p) { return kidsOf(p.add); }))]).then(function (k) {
        var inForce = {}, listed = {};
        k[0].forEach(function (kid) { inForce[kid] = true; });
        k[1].forEach(function (kid) { listed[kid] = true; });
        earlier.forEach(function (p, n) {
          k[3][n].forEach(function (kid) { inForce[kid] = true; listed[kid] = true; });
          p.revoke.forEach(function (kid) { delete inForce[kid]; });
        });
        var order = k[2].map(function (kid, n) { return { kid: kid, key: part.add[n] }; });
        order.sort(function (a, b) { return a.kid < b.kid ? -1 : a.kid > b.kid ? 1 : 0; });
        var ok = root === doc.roll.root && !!entry && part.add.length + part.revoke.length > 0 &&
          part.revoke.every(function (kid) { return inForce[kid]; }) &&
          order.every(function (o) { return !listed[o.kid] && o.key.use === "vote"; });
        // The browser signs the payload it rebuilt from what it checked, never one handed to it.
        payload = { type: "ownersvote-roll-supplement", v: 1, estate: doc.estate.id, roll: doc.roll.id, roll_root: root,
                    assembly: part.assembly, seq: part.seq, member: part.member,
                    add: order.map(function (o) { return { use: "vote", jwk: o.key.jwk }; }),
                    revoke: part.revoke.slice().sort(), made_at: part.made_at, required_signatures: doc.roll.required_signatures };
        check.textContent = ok ? button.getAttribute("data-msg-verified") + " " + root : button.getAttribute("data-msg-mismatch");
        check.className = "flash " + (ok ? "flash-success" : "flash-error");
        button.disabled = !ok;
      });
    }).catch(function () {
      say(box, button.getAttribute("data-msg-failed"), "error");
    });
    button.addEventListener("click", function () {
      signAndSubmit(button, box, function (record) {
        return OwnersVote.sign(record, OwnersVote.canonical(payload)).then(function (sig) {
          return OwnersVote.postJson(button.getAttribute("data-submit"), { kid: record.kid, sig: sig });
        });
      });
    });
  }

  /* Sign a document the server prepared (a candidate's written commitment, …) with this
   * phone's key: fetch {message, challenge}, sign the message, post {kid, signature, challenge}. */
  function bindSignDocument(button) {
    var box = $(button.getAttribute("data-status"));
    button.addEventListener("click", function () {
      if (!supported()) { say(box, button.getAttribute("data-msg-unsupported"), "error"); return; }
      signAndSubmit(button, box, function (record) {
        return OwnersVote.getJson(button.getAttribute("data-source")).then(function (doc) {
          return OwnersVote.sign(record, doc.message).then(function (signature) {
            return OwnersVote.postJson(button.getAttribute("data-submit"), { kid: record.kid, signature: signature, challenge: doc.challenge });
          });
        });
      });
    });
  }

  /* The demo only: import a demo owner's key into this browser, then sign in as usual. */
  function bindDemoPhone(button) {
    var box = $(button.getAttribute("data-status"));
    button.addEventListener("click", function () {
      if (!supported()) { say(box, button.getAttribute("data-msg-unsupported"), "error"); return; }
      button.disabled = true;
      say(box, button.getAttribute("data-msg-working"));
      var jwk = JSON.parse(button.getAttribute("data-jwk"));
      crypto.subtle.importKey("jwk", jwk, { name: "ECDSA", namedCurve: "P-256" }, false, ["sign"]).then(function (key) {
        var pub = { kty: jwk.kty, crv: jwk.crv, x: jwk.x, y: jwk.y };
        return OwnersVote.save("owner", { privateKey: key, jwk: pub, alg: "ES256", kid: button.getAttribute("data-kid"), created: Date.now() });
      }).then(function () {
        return OwnersVote.signin({ slot: "owner", challengeUrl: button.getAttribute("data-challenge"), submitUrl: button.getAttribute("data-submit") });
      }).then(function () {
        window.location.assign(button.getAttribute("data-next"));
      }, function () {
        button.disabled = false;
        say(box, button.getAttribute("data-msg-failed"), "error");
      });
    });
  }

  /* A file's bytes (an audit bundle), ``progress(received, total)`` told at the start (0) and
   * as they arrive where the browser streams them and the size is known. */
  function fetchBytes(url, credentials, progress) {
    return fetch(url, { credentials: credentials }).then(function (r) {
      if (!r.ok) { throw new Error("HTTP " + r.status); }
      var total = parseInt(r.headers.get("Content-Length") || "0", 10);
      if (progress) { progress(0, total); }
      if (!progress || !total || !r.body || !r.body.getReader) { return r.arrayBuffer().then(function (b) { return new Uint8Array(b); }); }
      var reader = r.body.getReader(), chunks = [], got = 0;
      function pump() {
        return reader.read().then(function (part) {
          if (part.done) {
            var out = new Uint8Array(got), at = 0;
            chunks.forEach(function (c) { out.set(c, at); at += c.length; });
            return out;
          }
          chunks.push(part.value); got += part.value.length; progress(got, total);
          return pump();
        });
      }
      return pump();
    });
  }

  /* A supervisor's certification: the browser checks the whole bundle itself with the
   * independent verifier (verifier.js), shows what it checked, and only then signs the
   * certification payload *it* rebuilt, with the supervisor's own key. */
  function bindCertify(button) {
    var report = $(button.getAttribute("data-report")), summary = $(button.getAttribute("data-summary"));
    var bar = $(button.getAttribute("data-progress")), box = $(button.getAttribute("data-status"));
    var declare = button.getAttribute("data-declare") ? $(button.getAttribute("data-declare")) : null;
    var payload = null;
    if (!window.OwnersVoteVerifier || !supported()) { say(summary, button.getAttribute("data-msg-bad"), "error"); return; }
    keyOrSign(button);
    fetchBytes(button.getAttribute("data-bundle"), "same-origin").then(function (bytes) {
      return OwnersVoteVerifier.verifyBundle(bytes, {
        certifying: true,
        onProgress: function (done, total) { if (bar) { bar.max = total; bar.value = done; } }
      });
    }).then(function (result) {
      report.textContent = OwnersVoteVerifier.summarize(result, 10);
      report.hidden = false;
      var note = report.previousElementSibling;  /* what the report is, in the reader's language */
      if (note && note.hasAttribute("data-report-note")) { note.hidden = false; }
      if (result.ok && result.certificationPayloadCanonical) {
        payload = result.certificationPayloadCanonical;
        say(summary, button.getAttribute("data-msg-ok"), "success");
        button.disabled = false;
      } else {
        say(summary, button.getAttribute("data-msg-bad"), "error");
      }
    }, function () { say(summary, button.getAttribute("data-msg-bad"), "error"); });
    button.addEventListener("click", function () {
      if (declare && !declare.checked) { say(box, button.getAttribute("data-msg-declare"), "error"); return; }
      signAndSubmit(button, box, function (record) {
        return OwnersVote.sign(record, payload).then(function (sig) {
          // What was signed goes along, so that a refusal can say what differs from the server's.
          return OwnersVote.postJson(button.getAttribute("data-submit"), { kid: record.kid, sig: sig, payload: payload,
            declared_not_voted: declare ? declare.checked : false });
        });
      });
    });
  }

  /* Anyone, on the public results page: the independent verifier checks the published bundle
   * in this browser, and the page's numbers are the ones it checked when the bundle's tally has
   * the digest the page was rendered from (data-digest). */
  function bindVerifyResult(button) {
    var bar = $(button.getAttribute("data-progress")), summary = $(button.getAttribute("data-summary"));
    var report = $(button.getAttribute("data-report")), details = $(button.getAttribute("data-details"));
    button.addEventListener("click", function () {
      if (!window.OwnersVoteVerifier || !(window.crypto && crypto.subtle && window.fetch)) {
        say(summary, button.getAttribute("data-msg-unsupported"), "error"); return;
      }
      button.disabled = true;
      bar.hidden = false; bar.value = 0;
      fetchBytes(button.getAttribute("data-bundle"), "omit", function (got, total) {
        // On a slow line a large estate's bundle takes a while: a still bar looks hung.
        if (!got) { say(summary, button.getAttribute("data-msg-downloading").replace("%(mb)s", total ? (total / 1e6).toFixed(1) : "?"), "info"); }
        bar.max = total || 1; bar.value = Math.min(got, total);
      }).then(function (bytes) {
        say(summary, button.getAttribute("data-msg-checking"), "info");
        bar.value = 0;
        return OwnersVoteVerifier.verifyBundle(bytes, {
          onProgress: function (done, total) { bar.max = total; bar.value = done; }
        }).then(function (result) {
          report.textContent = OwnersVoteVerifier.summarize(result, 10);
          details.hidden = false;
          if (!result.ok) { say(summary, button.getAttribute("data-msg-bad"), "error"); }
          else if (result.facts.tallyDigest !== button.getAttribute("data-digest")) { say(summary, button.getAttribute("data-msg-other"), "error"); }
          else { say(summary, button.getAttribute("data-msg-ok"), "success"); }
        }, function () { say(summary, button.getAttribute("data-msg-bad"), "error"); });
      }, function () {
        say(summary, button.getAttribute("data-msg-failed"), "error");
      }).then(function () { bar.hidden = true; button.disabled = false; });
    });
  }

  /* On one's own keys page: mark the key this browser holds, so that a supervisor with several
   * phones knows which key is which (and that a key just made is there). */
  function markThisBrowsersKey(table) {
    if (!supported()) { return; }
    OwnersVote.load(table.getAttribute("data-this-browser-slot")).then(function (record) {
      if (!record) { return; }
      Array.prototype.forEach.call(table.querySelectorAll("tr[data-kid]"), function (row) {
        var tag = row.querySelector("[data-this-browser]");
        if (tag) { tag.hidden = row.getAttribute("data-kid") !== record.kid; }
      });
    }, function () { /* no key store: nothing to mark */ });
  }

  /* Fields that belong to some kinds of item only (an election's seats): shown, and sent, only
   * while the chosen kind is one of them; without the script every field shows. */
  function bindOnlyFor(block) {
    var select = document.getElementById(block.getAttribute("data-only-for-field"));
    if (!select) { return; }
    var kinds = block.getAttribute("data-only-for").split(" ");
    var update = function () {
      var off = kinds.indexOf(select.value) < 0;
      block.hidden = off;
      Array.prototype.forEach.call(block.querySelectorAll("input, select, textarea"), function (el) { el.disabled = off; });
    };
    select.addEventListener("change", update);
    update();
  }

  // A text with a limit says as it is typed how much is written and how much too much, as the
  // server counts it (a line break is sent as two characters); the server still decides.
  function bindCharCount(area) {
    var hint = document.getElementById(area.getAttribute("data-count"));
    if (!hint) { return; }
    var max = parseInt(area.getAttribute("data-max-chars"), 10);
    var update = function () {
      var text = area.value.trim();
      var n = Array.from(text).length + (text.match(/\n/g) || []).length;
      var over = n > max;
      hint.textContent = over
        ? area.getAttribute("data-msg-over").replace("{over}", String(n - max))
        : area.getAttribute("data-msg-count").replace("{n}", String(n)).replace("{max}", String(max));
      hint.className = over ? "small flash flash-error" : "muted small";
    };
    area.addEventListener("input", update);
    update();
  }

  document.addEventListener("DOMContentLoaded", function () {
    Array.prototype.forEach.call(document.querySelectorAll("[data-only-for]"), bindOnlyFor);
    Array.prototype.forEach.call(document.querySelectorAll("textarea[data-max-chars]"), bindCharCount);
    // A form refused far down a long page opens there, where it says why (not at the page's top).
    var here = document.querySelector("[data-scroll-here]");
    if (here) { here.scrollIntoView(); }
    Array.prototype.forEach.call(document.querySelectorAll("table[data-this-browser-slot]"), markThisBrowsersKey);
    Array.prototype.forEach.call(document.querySelectorAll("[data-action=certify]"), bindCertify);
    Array.prototype.forEach.call(document.querySelectorAll("[data-action=verify-result]"), bindVerifyResult);
    Array.prototype.forEach.call(document.querySelectorAll("[data-action=demo-phone]"), bindDemoPhone);
    Array.prototype.forEach.call(document.querySelectorAll("[data-action=sign-document]"), bindSignDocument);
    Array.prototype.forEach.call(document.querySelectorAll("[data-action=register-key]"), bindRegister);
    Array.prototype.forEach.call(document.querySelectorAll("[data-action=signin]"), bindSignin);
    Array.prototype.forEach.call(document.querySelectorAll("[data-action=sign-roll]"), bindRollSign);
    Array.prototype.forEach.call(document.querySelectorAll("[data-action=sign-supplement]"), bindSupplementSign);
  });
})();
