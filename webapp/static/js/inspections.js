/* Inspections, rectification notices and follow-ups, signed on the supervisor's device.
 *
 * The page's script builds the document itself from what the supervisor entered (the server only
 * says the estate, the firm, the form's items and today's date), re-draws each photo on a canvas
 * (which drops its camera metadata, EXIF with the place, and shrinks it), names every photo by the
 * SHA-256 of those bytes, signs the canonical JSON (RFC 8785, devicekey.js) with the supervisor's
 * own key from this browser's store, and posts the document, the signature and the photos.  The
 * server checks all of it before it stores anything (webapp/inspections/operations.py).
 */
(function () {
  "use strict";

  var MAX_SIDE = 1600;

  function $(selector) { return document.querySelector(selector); }

  function say(box, text, kind) {
    if (!box) { return; }
    box.textContent = text;
    box.className = "flash flash-" + (kind || "info");
    box.hidden = false;
  }

  function b64url(bytes) {
    var text = "";
    for (var i = 0; i < bytes.length; i++) { text += String.fromCharCode(bytes[i]); }
    return btoa(text).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
  }

  function hex(bytes) {
    return Array.prototype.map.call(bytes, function (b) { return ("0" + b.toString(16)).slice(-2); }).join("");
  }

  function nonce() { return b64url(crypto.getRandomValues(new Uint8Array(16))); }

  function text(value) { var t = (value || "").trim(); return t ? t : null; }

  function csrfToken() {
    var meta = document.querySelector('meta[name="csrf-token"]');
    return meta ? meta.getAttribute("content") : "";
  }

  /* One photo re-drawn as a JPEG without metadata: {blob, sha256}. */
  function cleanPhoto(file) {
    if (!/^image\/(jpeg|png)$/.test(file.type)) { return Promise.reject(new Error("photos")); }
    return createImageBitmap(file).then(function (bitmap) {
      var scale = Math.min(1, MAX_SIDE / Math.max(bitmap.width, bitmap.height));
      var canvas = document.createElement("canvas");
      canvas.width = Math.max(1, Math.round(bitmap.width * scale));
      canvas.height = Math.max(1, Math.round(bitmap.height * scale));
      canvas.getContext("2d").drawImage(bitmap, 0, 0, canvas.width, canvas.height);
      return new Promise(function (resolve, reject) {
        canvas.toBlob(function (blob) { return blob ? resolve(blob) : reject(new Error("photos")); }, "image/jpeg", 0.85);
      });
    }).then(function (blob) {
      return blob.arrayBuffer().then(function (buffer) { return crypto.subtle.digest("SHA-256", buffer); })
        .then(function (digest) { return { blob: blob, sha256: hex(new Uint8Array(digest)) }; });
    });
  }

  /* The photos to sign and send from a file input: those bindPhotoInput kept, checked and
   * re-drawn when they were chosen (every input that takes photos is bound). */
  function keptPhotos(input) {
    return input && input.ownersvotePhotos ? input.ownersvotePhotos : Promise.resolve([]);
  }

  /* Photos are checked and re-drawn as soon as they are chosen, not at signing, and a bad one
   * costs only itself: a file that is not a JPEG or PNG photo, the same photo twice, or one beyond
   * the most allowed is left out by name, and the others are kept.  A second choice adds to the
   * first (a phone's picker is often used one photo at a time); a button removes them all.  (A
   * choice with one such file used to be cleared whole, with one vague sentence: the walks of
   * 2026-12-07.)  The input then holds the clean copies only, so a plain form sends those; the
   * signing flows take them from the promise. */
  function bindPhotoInput(input) {
    var box = $(input.getAttribute("data-status"));
    var clear = $(input.getAttribute("data-clear"));
    var most = parseInt(input.getAttribute("data-max-photos"), 10);
    var form = input.form;
    var send = form && form.hasAttribute("data-wait-for-photos") ? form.querySelector("button[type=submit]") : null;
    function message(name, values) {
      return Object.keys(values || {}).reduce(function (text, key) {
        return text.split("{" + key + "}").join(String(values[key]));
      }, input.getAttribute(name));
    }
    function show(lines, kind) {
      box.textContent = "";
      lines.forEach(function (line) {
        var p = document.createElement("p");
        p.textContent = line;
        box.appendChild(p);
      });
      box.className = "flash flash-" + kind;
      box.hidden = !lines.length;
    }
    function keep(kept) {
      if (typeof DataTransfer !== "undefined") {
        var clean = new DataTransfer();
        kept.forEach(function (p, n) { clean.items.add(new File([p.blob], "photo-" + (n + 1) + ".jpg", { type: "image/jpeg" })); });
        input.files = clean.files;  // (setting files fires no change event)
      }
      if (clear) { clear.hidden = !kept.length; }
    }
    input.ownersvotePhotos = Promise.resolve([]);
    input.addEventListener("change", function () {
      var files = Array.prototype.slice.call(input.files || []);
      if (!files.length) { return; }  // the picker was closed without a choice: the kept photos stay
      show([input.getAttribute("data-msg-working")], "info");
      if (send) { send.disabled = true; }
      input.ownersvotePhotos = input.ownersvotePhotos.then(function (before) {
        return Promise.all(files.map(function (file) {
          return cleanPhoto(file).then(function (p) { p.name = file.name; return p; }, function () { return { refused: file.name }; });
        })).then(function (results) {
          var kept = before.slice(), lines = [], over = [], seen = {};
          kept.forEach(function (p) { seen[p.sha256] = true; });
          results.forEach(function (r) {
            if (r.refused !== undefined) {
              lines.push(message("data-msg-not-photo", { name: r.refused }));
              if (/\.hei[cf]$/i.test(r.refused)) { lines.push(input.getAttribute("data-msg-heic")); }
            } else if (seen[r.sha256]) {
              lines.push(message("data-msg-same", { name: r.name }));
            } else if (kept.length >= most) {
              over.push("“" + r.name + "”");
            } else {
              seen[r.sha256] = true;
              kept.push(r);
            }
          });
          if (over.length) { lines.push(message("data-msg-too-many", { n: most, names: over.join(input.getAttribute("data-list-separator")) })); }
          var trouble = lines.length > 0;
          lines.push(kept.length ? message("data-msg-ready", { n: kept.length }) : input.getAttribute("data-msg-none"));
          keep(kept);
          show(lines, !trouble ? "success" : kept.length ? "warning" : "error");
          return kept;
        });
      });
      input.ownersvotePhotos.then(function () { if (send) { send.disabled = false; } });
    });
    if (clear) {
      clear.addEventListener("click", function () {
        input.ownersvotePhotos = input.ownersvotePhotos.then(function () {
          keep([]);
          show([], "info");
          return [];
        });
      });
    }
    // A plain form (the firm's answer) is checked here before it is sent: the server's refusal
    // would come back without the photos, which no page can put back into a file input.
    if (form && send) {
      form.addEventListener("submit", function (event) {
        var empty = Array.prototype.filter.call(form.querySelectorAll("[required]"), function (f) { return !f.value.trim(); })[0];
        if (!empty) { return; }
        event.preventDefault();
        empty.setAttribute("aria-invalid", "true");
        var note = form.querySelector("[data-fill-first]") || document.createElement("p");
        note.className = "error";
        note.setAttribute("data-fill-first", "");
        note.setAttribute("role", "alert");
        note.textContent = form.getAttribute("data-msg-fill-first");
        empty.parentNode.appendChild(note);
        empty.focus();
      });
    }
  }

  function post(url, doc, record, sig, photos) {
    var body = new FormData();
    body.append("document", JSON.stringify(doc));
    body.append("kid", record.kid);
    body.append("sig", sig);
    (photos || []).forEach(function (p, n) { body.append("photo", p.blob, "photo-" + (n + 1) + ".jpg"); });
    return fetch(url, { method: "POST", credentials: "same-origin", headers: { "X-CSRFToken": csrfToken() }, body: body })
      .then(function (r) {
        return r.json().catch(function () { return {}; }).then(function (data) {
          if (!r.ok) { var e = new Error(data.error || ("HTTP " + r.status)); e.data = data; throw e; }
          return data;
        });
      });
  }

  /* A link to make a key in this browser, which leads back to this form. */
  function makeKeyLink(button) {
    var make = document.createElement("a");
    make.href = button.getAttribute("data-keys") + "?next=" + encodeURIComponent(window.location.pathname);
    make.textContent = button.getAttribute("data-msg-make-key");
    return make;
  }

  /* ``check()`` first (what is wrong in the form is said before a missing key: the walk of
   * 2026-12-07 met "no key" over a mark of 12 out of 10), then load the key, let
   * ``build(record, what check() gave)`` make {doc, photos}, sign, post, go to the answer's page. */
  function signAndPost(button, build, check) {
    var box = $(button.getAttribute("data-status"));
    button.disabled = true;
    say(box, button.getAttribute("data-msg-working"));
    var record, made, checked;
    Promise.resolve(check ? check() : null).then(function (c) {
      checked = c;
      return OwnersVote.load(button.getAttribute("data-slot"));
    }).then(function (r) {
      if (!r) { var e = new Error("nokey"); e.code = "nokey"; throw e; }
      record = r;
      return build(record, checked);
    }).then(function (m) {
      made = m;
      return OwnersVote.sign(record, OwnersVote.canonical(made.doc));
    }).then(function (sig) {
      return post(button.getAttribute("data-submit"), made.doc, record, sig, made.photos);
    }).then(function (answer) {
      say(box, button.getAttribute("data-msg-done"), "success");
      window.location.assign(answer.next);
    }, function (err) {
      button.disabled = false;
      if (err && err.field) {
        // On a phone the form is a dozen screens tall: take the supervisor to the mark to correct.
        err.field.setAttribute("aria-invalid", "true");
        err.field.scrollIntoView({ block: "center" });
        err.field.focus();
        err.field.addEventListener("input", function clear() {
          err.field.removeAttribute("aria-invalid");
          err.field.removeEventListener("input", clear);
        });
      }
      var message = err && err.code === "nokey" ? button.getAttribute("data-msg-nokey")
        : err && err.message === "scores" ? button.getAttribute("data-msg-scores")
        : err && err.message === "items" ? button.getAttribute("data-msg-items")
        : (err && err.data && err.data.error) || button.getAttribute("data-msg-failed");
      say(box, message, "error");
      if (err && err.code === "nokey" && button.getAttribute("data-keys")) {
        box.appendChild(document.createTextNode(" "));
        box.appendChild(makeKeyLink(button));
      }
    });
  }

  function bindInspection(button) {
    var form = $(button.getAttribute("data-form"));
    /* The draft's items with the marks entered, or a "scores" error naming the first mark out of
     * its scale (or missing). */
    function scored() {
      return OwnersVote.getJson(button.getAttribute("data-draft")).then(function (draft) {
        var items = draft.items.map(function (item) {
          var raw = form.querySelector("#score-" + item.id).value.trim();
          var score = /^[0-9]+$/.test(raw) ? parseInt(raw, 10) : -1;
          if (score < 0 || score > item.max) {
            var wrong = new Error("scores");
            wrong.field = form.querySelector("#score-" + item.id);
            throw wrong;
          }
          return { id: item.id, score: score, max: item.max, weight: item.weight, note: text(form.querySelector("#note-" + item.id).value) };
        });
        return { draft: draft, items: items };
      });
    }
    button.addEventListener("click", function () {
      signAndPost(button, function (record, read) {
        var draft = read.draft;
        return keptPhotos($(button.getAttribute("data-photos"))).then(function (photos) {
          var doc = {
            type: draft.type, v: 1, estate: draft.estate, firm: draft.firm, form: draft.form, date: draft.date,
            kid: record.kid, nonce: nonce(), items: read.items, notes: text(form.querySelector("#notes").value),
            photos: photos.map(function (p) { return p.sha256; })
          };
          return { doc: doc, photos: photos };
        });
      }, scored);
    });
  }

  function bindNotice(button) {
    var form = $(button.getAttribute("data-form"));
    var base = JSON.parse(button.getAttribute("data-base"));
    button.addEventListener("click", function () {
      signAndPost(button, function (record) {
        var items = [];
        Array.prototype.forEach.call(form.querySelectorAll("[data-notice-item]"), function (input) {
          var t = text(input.value);
          if (t) { items.push({ id: String(items.length + 1), text: t, item: input.getAttribute("data-item") || null }); }
        });
        var deadline = form.querySelector("#deadline").value;
        if (!items.length || !deadline) { return Promise.reject(new Error("items")); }
        var doc = {
          type: "ownersvote-rectification-notice", v: 1, estate: base.estate, firm: base.firm, inspection: base.inspection,
          date: base.date, deadline: deadline, kid: record.kid, nonce: nonce(), items: items,
          notes: text(form.querySelector("#notice-notes").value)
        };
        return Promise.resolve({ doc: doc, photos: [] });
      });
    });
  }

  function bindFollowup(button) {
    var form = $(button.getAttribute("data-form"));
    var base = JSON.parse(button.getAttribute("data-base"));
    button.addEventListener("click", function () {
      signAndPost(button, function (record) {
        var items = Array.prototype.map.call(form.querySelectorAll("[data-followup-item]"), function (set) {
          return { id: set.getAttribute("data-followup-item"), rectified: set.querySelector("[data-rectified]").checked,
                   note: text(set.querySelector("[data-note]").value) };
        });
        return keptPhotos($(button.getAttribute("data-photos"))).then(function (photos) {
          var doc = {
            type: "ownersvote-rectification-followup", v: 1, estate: base.estate, notice: base.notice, date: base.date,
            kid: record.kid, nonce: nonce(), items: items, notes: text(form.querySelector("#followup-notes").value),
            photos: photos.map(function (p) { return p.sha256; })
          };
          return { doc: doc, photos: photos };
        });
      });
    });
  }

  /* Say at once, above the form, when this browser holds no key to sign with: a supervisor should
   * not fill a dozen screens of marks on a new phone before learning that (the walk of 2026-12-07). */
  function warnWithoutKey(button) {
    var form = $(button.getAttribute("data-form"));
    if (!form || !window.OwnersVote || !OwnersVote.load) { return; }
    OwnersVote.load(button.getAttribute("data-slot")).then(function (r) {
      if (r) {
        // Back from making the key (the keys page's way back): say so once.
        if (window.location.hash === "#key-made") {
          var made = document.createElement("p");
          made.className = "flash flash-success";
          made.setAttribute("role", "status");
          made.setAttribute("data-key-made", "");
          made.textContent = button.getAttribute("data-msg-key-made");
          form.parentNode.insertBefore(made, form);
          history.replaceState(null, "", window.location.pathname + window.location.search);
        }
        return;
      }
      var warning = document.createElement("p");
      warning.className = "flash flash-error";
      warning.setAttribute("role", "alert");
      warning.setAttribute("data-nokey-warning", "");
      warning.textContent = button.getAttribute("data-msg-nokey") + " ";
      warning.appendChild(makeKeyLink(button));
      form.parentNode.insertBefore(warning, form);
    }, function () { /* no key store in this browser: the button says so when tapped */ });
  }

  document.addEventListener("DOMContentLoaded", function () {
    Array.prototype.forEach.call(document.querySelectorAll("[data-action^=sign-][data-slot]"), warnWithoutKey);
    Array.prototype.forEach.call(document.querySelectorAll("input[type=file][data-max-photos]"), bindPhotoInput);
    Array.prototype.forEach.call(document.querySelectorAll("[data-action=sign-inspection]"), bindInspection);
    Array.prototype.forEach.call(document.querySelectorAll("[data-action=sign-notice]"), bindNotice);
    Array.prototype.forEach.call(document.querySelectorAll("[data-action=sign-followup]"), bindFollowup);
  });
})();
