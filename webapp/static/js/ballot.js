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

  function usable() {
    return !!(window.crypto && crypto.subtle && crypto.getRandomValues && window.indexedDB && window.fetch && window.OwnersVote);
  }

  /* Session storage, where the browser allows it (a private window may not): the draft and the
   * signed ballot stay in this tab only, never on the server. */
  function store(key, value) {
    try {
      if (value === null) { sessionStorage.removeItem(key); } else { sessionStorage.setItem(key, JSON.stringify(value)); }
    } catch (e) { /* no storage: the ballot still works, it is only not kept across a reload */ }
  }
  function stored(key) {
    try { var text = sessionStorage.getItem(key); return text ? JSON.parse(text) : null; } catch (e) { return null; }
  }

  function bindBallot(form) {
    var review = $("#review"), list = $("#review-list"), status = $("#ballot-status"), fallback = $("#fallback");
    var signButton = $("[data-step=sign]", review);
    var counterText = form.getAttribute("data-msg-counter");
    var sets = $all("fieldset[data-item]", form);
    var base = "ownersvote:" + form.getAttribute("data-assembly") + ":" + form.getAttribute("data-member");
    var DRAFT = base + ":draft", SIGNED = base + ":signed", STEP = base + ":step";
    var changing = false, leaving = false, kept = null;  // kept: the signed ballot, also in memory
    var closed = false;  // the server said voting has closed: nothing more can be sent from here
    var signLabel = signButton.textContent;
    function signedBallot() { return kept || stored(SIGNED); }
    function msg(name) { return form.getAttribute("data-msg-" + name); }

    function showFallback(text) {
      if (fallback) { $("#fallback-why").textContent = text; fallback.hidden = false; fallback.scrollIntoView(); }
    }

    function updateCounters() {
      sets.filter(function (set) { return set.getAttribute("data-kind") === "election"; }).forEach(function (set) {
        var seats = parseInt(set.getAttribute("data-seats"), 10);
        var boxes = $all("input[type=checkbox]", set);
        var chosen = boxes.filter(function (b) { return b.checked; }).length;
        boxes.forEach(function (b) { b.disabled = !b.checked && chosen >= seats; });
        var counter = $("[data-counter]", set);
        if (counter) { counter.textContent = counterText.replace("%(n)s", chosen).replace("%(m)s", seats); }
      });
    }

    /* The draft: the values ticked, by item ("" is a selection's abstention). */
    function draft() {
      var out = {};
      sets.forEach(function (set) {
        var values = $all("input:checked", set).map(function (b) { return b.value; });
        if (values.length) { out[set.getAttribute("data-item")] = values; }
      });
      return out;
    }
    function restore(saved) {
      sets.forEach(function (set) {
        var values = saved[set.getAttribute("data-item")] || [];
        $all("input", set).forEach(function (b) { b.checked = values.indexOf(b.value) >= 0; });
      });
    }
    function hasChoices() { return Object.keys(draft()).length > 0; }

    function choices() {
      var out = {};
      sets.forEach(function (set) {
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
      if (!picked.length) { return msg("abstain"); }
      return picked.map(function (b) { return b.parentNode.textContent.trim(); }).join("、");
    }

    /* One screen at a time: "item-N" or "review"; the address's #fragment follows, so that the
     * back button goes to the previous screen rather than away from the ballot. */
    function current() {
      var hash = window.location.hash.replace("#", "");
      if (hash === "review") { return "review"; }
      var m = /^item-(\d+)$/.exec(hash);
      return m && parseInt(m[1], 10) <= sets.length ? hash : "item-1";
    }
    function buildReview() {
      list.textContent = "";
      var locked = closed || !!signedBallot();
      sets.forEach(function (set) {
        var li = document.createElement("li");
        var q = document.createElement("span"), a = document.createElement("span");
        q.className = "q"; q.textContent = set.getAttribute("data-title");
        a.className = "a"; a.textContent = describe(set);
        li.appendChild(q); li.appendChild(a);
        if (!locked) {  // once signed, the same ballot is sent again, never another one
          var change = document.createElement("button");
          change.type = "button"; change.className = "button change"; change.textContent = msg("change");
          change.setAttribute("aria-label", msg("change-label").replace("%(title)s", set.getAttribute("data-title")));
          change.setAttribute("data-goto", set.id);
          li.appendChild(change);
        }
        list.appendChild(li);
      });
    }
    var skipped = $("#skipped", form);
    function show(step) {
      store(STEP, step);
      skipped.hidden = true;  // said once, on the screen right after the item left blank
      sets.forEach(function (set) {
        set.hidden = set.id !== step;
        var next = $("[data-step=next]", set);
        if (next) {
          var last = set === sets[sets.length - 1];
          next.textContent = changing ? msg("back-to-review") : (last ? msg("to-review") : msg("next"));
        }
      });
      form.hidden = step === "review";
      review.hidden = step !== "review";
      if (step === "review") { changing = false; buildReview(); }
      window.scrollTo(0, 0);
      var heading = step === "review" ? $("h2", review) : $("legend", $("#" + step));
      if (heading && document.activeElement && document.activeElement.closest && document.activeElement.closest("[data-step],[data-goto]")) {
        heading.setAttribute("tabindex", "-1"); heading.focus();
      }
    }
    function go(step) {
      if (window.location.hash !== "#" + step) { history.pushState(null, "", "#" + step); }
      show(step);
    }
    window.addEventListener("popstate", function () { show(current()); });

    form.addEventListener("change", function () { updateCounters(); store(DRAFT, draft()); });
    form.addEventListener("click", function (event) {
      var button = event.target.closest("[data-step]");
      if (!button) { return; }
      var set = button.closest("fieldset");
      var index = parseInt(set.getAttribute("data-step-index"), 10);
      if (button.getAttribute("data-step") === "prev") { go("item-" + (index - 1)); return; }
      var blank = !$("input:checked", set);  // (a chosen "Abstain" is a choice)
      go(changing || index === sets.length ? "review" : "item-" + (index + 1));
      if (blank && review.hidden) {  // (the answers page says it of every blank item)
        skipped.textContent = msg("skipped").replace("%(title)s", set.getAttribute("data-title"));
        skipped.hidden = false;
      }
    });
    list.addEventListener("click", function (event) {
      var button = event.target.closest("[data-goto]");
      if (!button) { return; }
      changing = true;  // the change made, the owner comes back here (GOV.UK's check answers)
      go(button.getAttribute("data-goto"));
    });

    /* Leaving with choices not yet sent: the browser asks first.  Switching the language keeps
     * the draft (it is in this tab's storage), so it does not ask. */
    $all("form").forEach(function (other) {
      if (other !== form && $("button[name=lang]", other)) { other.addEventListener("submit", function () { leaving = true; }); }
    });
    /* The notice, read in this tab: the draft and the screen are in this tab's storage, and the
     * back button comes back to them, so leaving for it is no loss and the browser need not ask. */
    $all("a[data-keeps-draft]").forEach(function (link) {
      link.addEventListener("click", function () { store(DRAFT, draft()); leaving = true; });
    });
    window.addEventListener("pageshow", function (event) { if (event.persisted) { leaving = false; } });
    window.addEventListener("beforeunload", function (event) {
      if (leaving || !hasChoices()) { return; }
      event.preventDefault();
      event.returnValue = "";
    });

    var saved = stored(DRAFT), was = stored(STEP);
    if (saved) { restore(saved); }
    updateCounters();
    if (!window.location.hash && saved && was && (was === "review" || $("#" + was))) {
      history.replaceState(null, "", "#" + was);  // back where the owner was before the reload
    }
    show(current());
    if (signedBallot()) {
      history.replaceState(null, "", "#review");
      show("review");
      signButton.textContent = msg("resend");
      say(status, msg("pending"), "error");
    }
    if (!usable()) { showFallback(msg("unsupported")); }
    else {
      OwnersVote.load(form.getAttribute("data-slot")).then(function (record) {
        if (!record) { showFallback(msg("nokey")); }
      }, function () { showFallback(msg("unsupported")); });
    }

    /* Sign once; send.  If no answer comes back (the network dropped, or the server failed
     * after storing it), the very same signed bytes are sent again: the server answers a repeat
     * with the receipt, where a new signature would be a second ballot and be refused. */
    function signed() {
      var earlier = signedBallot();
      if (earlier) { return Promise.resolve(earlier); }
      var ballot = {
        type: "ownersvote-ballot", v: 2, assembly: form.getAttribute("data-assembly"), notice: form.getAttribute("data-notice"),
        roll_root: form.getAttribute("data-roll-root"), member: form.getAttribute("data-member"), choices: choices(), nonce: OwnersVote.nonce()
      };
      var text = OwnersVote.canonical(ballot);
      return OwnersVote.load(form.getAttribute("data-slot")).then(function (record) {
        if (!record) { var e = new Error("nokey"); e.code = "nokey"; throw e; }
        return OwnersVote.sign(record, text).then(function (sig) {
          var body = { ballot: text, kid: record.kid, sig: sig };
          kept = body;
          store(SIGNED, body);  // before it leaves the phone
          return body;
        });
      });
    }
    signButton.addEventListener("click", function () {
      if (!usable()) { showFallback(msg("unsupported")); return; }
      signButton.disabled = true;
      say(status, msg("working"));
      var sending = false;
      signed().then(function (body) {
        sending = true;
        buildReview();
        return OwnersVote.postJson(form.getAttribute("data-submit"), body);
      }).then(function (answer) {
        leaving = true;
        kept = null;
        store(DRAFT, null); store(SIGNED, null); store(STEP, null);
        window.location.assign(answer.next);
      }, function (err) {
        signButton.disabled = false;
        if (err && err.code === "nokey") { showFallback(msg("nokey")); say(status, msg("nokey"), "error"); return; }
        var status_ = err && err.status;
        if (sending && (!status_ || status_ >= 500 || status_ === 429)) {
          // Perhaps stored: never "nothing was saved"; offer the same ballot again.
          signButton.textContent = msg("resend");
          say(status, msg("unsure"), "error");
          return;
        }
        if (!sending) { say(status, msg("sign-failed"), "error"); return; }
        // Refused with a reason: this ballot was not stored; a new one may be signed.
        kept = null;
        store(SIGNED, null);
        buildReview();
        signButton.textContent = signLabel;
        var reason = err && err.data && err.data.error;
        say(status, reason ? msg("refused").replace("%(reason)s", reason) : msg("sign-failed"), "error");
        if (err && err.data && err.data.reason === "closed") {
          // No ballot can be sent any more: no button that could only fail again, and what comes
          // next (where the result will appear, the owner's page) instead.
          closed = true;
          leaving = true;
          store(DRAFT, null); store(STEP, null);
          buildReview();
          signButton.hidden = true;
          var next = $("#closed-next", review);
          if (next) { next.hidden = false; }
        }
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

  function payloadOf(signed) {
    var payload = {};
    Object.keys(signed).forEach(function (k) { if (k !== "kid" && k !== "sig") { payload[k] = signed[k]; } });
    return payload;
  }
  /* true / false, or "no-ed25519" when this browser cannot check Ed25519 (the server did). */
  function serverSigned(server, signed) {
    if (!server) { return Promise.resolve(false); } // no key of the installation valid at the object's time
    return crypto.subtle.importKey("jwk", { kty: server.kty, crv: server.crv, x: server.x }, { name: "Ed25519" }, false, ["verify"]).then(function (key) {
      return crypto.subtle.verify({ name: "Ed25519" }, key, b64urlToBytes(signed.sig), new TextEncoder().encode(OwnersVote.canonical(payloadOf(signed))));
    }, function () { return "no-ed25519"; });
  }

  function bindReceipt(box) {
    var receipt = JSON.parse(box.getAttribute("data-receipt"));
    var server = JSON.parse(box.getAttribute("data-server-key"));
    var promiseKey = JSON.parse(box.getAttribute("data-promise-key") || "null"); // a key rotated in between may differ
    if (!(window.crypto && crypto.subtle)) { say(box, box.getAttribute("data-msg-hash-only"), "info"); return; }
    var sth = receipt.sth, promise = receipt.promise;
    var promised = Promise.resolve(true);
    if (promise) {
      // The promise the ballot was answered with: for this very leaf, signed by the server.
      promised = promise.leaf_hash === receipt.leaf_hash && promise.log === receipt.log ? serverSigned(promiseKey, promise) : Promise.resolve(false);
    }
    promised.then(function (ok) {
      if (ok === false) { say(box, box.getAttribute("data-msg-promise-bad"), "error"); return; }
      return rootFromProof(receipt.index, sth.size, hexToBytes(receipt.leaf_hash), receipt.inclusion.map(hexToBytes)).then(function (root) {
        if (!equal(root, hexToBytes(sth.root))) { throw new Error("root"); }
        return serverSigned(server, sth);
      }).then(function (ok) {
        if (ok === "no-ed25519") { say(box, box.getAttribute("data-msg-hash-only"), "success"); }
        else if (ok) { say(box, box.getAttribute("data-msg-ok"), "success"); }
        else { say(box, box.getAttribute("data-msg-bad"), "error"); }
      });
    }).then(null, function () { say(box, box.getAttribute("data-msg-bad"), "error"); });
  }

  /* Accepted, not yet in the log: check the server's signed promise here, then ask for the
   * proof until the sequencer's batch holds the ballot, and show it (the page reloads into the
   * receipt, which is checked in turn). */
  function awaitReceipt(box) {
    var promise = JSON.parse(box.getAttribute("data-promise"));
    var server = JSON.parse(box.getAttribute("data-server-key"));
    if (window.crypto && crypto.subtle) {
      serverSigned(server, promise).then(function (ok) {
        if (ok === true) { say(box, box.getAttribute("data-msg-promise"), "info"); }
        else if (ok === false) { say(box, box.getAttribute("data-msg-bad"), "error"); }
      });
    }
    var tries = 0;
    function poll() {
      tries += 1;
      fetch(box.getAttribute("data-poll"), { credentials: "same-origin", cache: "no-store" }).then(function (answer) {
        if (answer.status === 200) { window.location.reload(); return; }
        window.setTimeout(poll, tries < 30 ? 1000 : 5000);
      }, function () { window.setTimeout(poll, 5000); });
    }
    window.setTimeout(poll, 1000);
  }

  document.addEventListener("DOMContentLoaded", function () {
    $all("[data-action=ballot]").forEach(bindBallot);
    $all("[data-action=verify-receipt]").forEach(bindReceipt);
    $all("[data-action=await-receipt]").forEach(awaitReceipt);
  });
  window.OwnersVoteReceipt = { rootFromProof: rootFromProof };
})();
