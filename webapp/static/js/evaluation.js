// The owners' anonymous evaluation on the phone (docs/evaluation-format.md): one item per screen,
// an optional comment, then the answer's message is blinded (RFC 9474, @cloudflare/blindrsa-ts),
// blind-signed by the server while signed in, unblinded here, and sent with its token in a
// separate request that carries no cookie.
(function () {
  "use strict";
  var STORE = "ownersvote-evaluation-";
  // The household already has its token: show the code this phone kept, if it is this phone.
  var kept = document.getElementById("evaluation-kept");
  if (kept) {
    var code = null;
    try { code = window.localStorage.getItem(STORE + kept.dataset.evaluation); } catch (e) { code = null; }
    if (code) {
      kept.textContent = kept.dataset.tCode + " ";
      var c = document.createElement("code");
      c.id = "token-id";
      c.textContent = code;
      kept.appendChild(c);
      kept.hidden = false;
    }
  }
  // On a published result: is the answer this phone sent among the counted ones?
  var mine = document.getElementById("evaluation-mine");
  if (mine) {
    var kept2 = null;
    try { kept2 = window.localStorage.getItem(STORE + mine.dataset.evaluation); } catch (e) { kept2 = null; }
    if (kept2) {
      var found = document.getElementById("code-" + kept2);
      mine.textContent = (found ? mine.dataset.tCounted : mine.dataset.tMissing) + " ";
      var c2 = document.createElement("code");
      c2.textContent = kept2;
      mine.appendChild(c2);
      if (!found) mine.className = "flash flash-error";
      mine.hidden = false;
    }
  }
  var root = document.getElementById("evaluation");
  if (!root || !window.BlindRSATs) return;
  var d = root.dataset;
  var form = JSON.parse(d.form);
  var items = [];
  form.sections.forEach(function (s) { s.items.forEach(function (it) { items.push({ section: s.title, item: it }); }); });
  var answers = {};
  items.forEach(function (x) { answers[x.item.id] = null; });
  var comment = "";
  var step = 0;

  function el(tag, attrs, text) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) { node.setAttribute(k, attrs[k]); });
    if (text !== undefined) node.textContent = text;
    return node;
  }
  function button(text, cls, onclick) {
    var b = el("button", { type: "button", "class": "button " + (cls || "") }, text);
    b.addEventListener("click", onclick);
    return b;
  }
  // RFC 8785 for what an answer holds (strings, integers, null, objects): sorted keys, JSON strings.
  function canon(v) {
    if (v === null || typeof v === "number" || typeof v === "string") return JSON.stringify(v);
    return "{" + Object.keys(v).sort().map(function (k) { return JSON.stringify(k) + ":" + canon(v[k]); }).join(",") + "}";
  }
  function b64url(bytes) {
    var s = ""; bytes.forEach(function (b) { s += String.fromCharCode(b); });
    return btoa(s).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
  }
  function unb64url(text) {
    var s = atob(text.replace(/-/g, "+").replace(/_/g, "/") + "===".slice((text.length + 3) % 4));
    return Uint8Array.from(s, function (c) { return c.charCodeAt(0); });
  }
  function hex(buf) { return Array.from(new Uint8Array(buf), function (b) { return b.toString(16).padStart(2, "0"); }).join(""); }

  function render() {
    root.replaceChildren();
    if (step < items.length) {
      var x = items[step], scale = form.scales[x.item.scale];
      root.appendChild(el("p", { "class": "muted ballot-step" }, d.tOf.replace("{i}", step + 1).replace("{n}", items.length) + " · " + x.section));
      var fs = el("fieldset", { "class": "item" });
      fs.appendChild(el("legend", {}, x.item.text));
      var values = scale.kind === "choice" ? scale.choices.map(function (c) { return [c.id, c.label]; })
        : Array.from({ length: scale.max - scale.min + 1 }, function (_, i) { return [scale.min + i, String(scale.min + i)]; });
      values.forEach(function (pair) {
        var id = "c-" + x.item.id + "-" + pair[0];
        var label = el("label", { "for": id, "class": "choice big-choice" });
        var input = el("input", { type: "radio", name: x.item.id, id: id });
        if (answers[x.item.id] === pair[0]) input.checked = true;
        input.addEventListener("change", function () { answers[x.item.id] = pair[0]; step += 1; render(); });
        label.appendChild(input); label.appendChild(document.createTextNode(" " + pair[1]));
        fs.appendChild(label);
      });
      root.appendChild(fs);
      var nav = el("div", { "class": "ballot-nav" });
      nav.appendChild(button(d.tSkip, "wide", function () { answers[x.item.id] = null; step += 1; render(); }));
      if (step > 0) nav.appendChild(button(d.tBack, "wide", function () { step -= 1; render(); }));
      root.appendChild(nav);
      return;
    }
    var field = el("div", { "class": "field" });
    field.appendChild(el("label", { "for": "comment" }, d.tComment));
    var area = el("textarea", { id: "comment", rows: "4", maxlength: "500" });
    area.value = comment;
    area.addEventListener("input", function () { comment = area.value; });
    field.appendChild(area);
    root.appendChild(field);
    var nav2 = el("div", { "class": "ballot-nav" });
    nav2.appendChild(button(d.tSend, "primary wide", send));
    nav2.appendChild(button(d.tBack, "wide", function () { step -= 1; render(); }));
    root.appendChild(nav2);
  }

  async function send() {
    root.replaceChildren(el("p", { "class": "flash" }, d.tSending));
    try {
      var nonce = b64url(crypto.getRandomValues(new Uint8Array(32)));
      var text = comment.trim() ? comment.trim() : null;
      var message = new TextEncoder().encode(canon({
        type: "ownersvote-evaluation-answer", v: 1, evaluation: Number(d.evaluation), form: d.formDigest,
        key: d.keyId, nonce: nonce, answers: answers, comment: text,
      }));
      var suite = window.BlindRSATs.RSABSSA.SHA384.PSS.Deterministic();
      var key = await crypto.subtle.importKey("jwk", JSON.parse(d.key), { name: "RSA-PSS", hash: "SHA-384" }, true, ["verify"]);
      var blinded = await suite.blind(key, message);
      var r1 = await fetch(d.tokenUrl, {
        method: "POST", credentials: "same-origin",
        headers: { "Content-Type": "application/json", "X-CSRFToken": d.csrf },
        body: JSON.stringify({ blinded: b64url(blinded.blindedMsg) }),
      });
      var j1 = await r1.json();
      if (!r1.ok) throw new Error(j1.error || r1.status);
      var sig = await suite.finalize(key, message, unb64url(j1.blind_sig), blinded.inv);
      // The answer goes without a cookie: nothing in this request says who sent it.
      var r2 = await fetch(d.answerUrl, {
        method: "POST", credentials: "omit",
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify({ message: b64url(message), sig: b64url(sig) }),
      });
      var j2 = await r2.json();
      if (!r2.ok) throw new Error(j2.error || r2.status);
      var mine = hex(await crypto.subtle.digest("SHA-256", message));
      if (j2.token !== mine) throw new Error(d.tMismatch);
      try { window.localStorage.setItem(STORE + d.evaluation, mine); } catch (e) { /* private mode: the code is on the screen */ }
      root.replaceChildren(el("p", { "class": "flash flash-success", role: "status" }, d.tDone), el("p", {}, ""));
      root.lastChild.appendChild(el("code", { id: "token-id" }, mine));
    } catch (e) {
      root.replaceChildren(el("p", { "class": "flash flash-error" }, d.tFailed + " " + (e && e.message ? e.message : e)));
    }
  }

  render();
})();
