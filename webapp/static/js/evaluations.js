// The owners' anonymous evaluation on the phone (docs/evaluation-format.md): one item per screen,
// an optional comment, then the answer's message is blinded (RFC 9474, @cloudflare/blindrsa-ts),
// blind-signed by the server while signed in, unblinded here, and sent with its token in a
// separate request that carries no cookie.
(function () {
  "use strict";
  var STORE = "ownersvote-evaluation-";
  // Where an answer signed but not yet sent waits (the answer page and the kept code both ask).
  function pendingKey(evaluation) { return STORE + "pending-" + evaluation; }
  // A button that copies the answer's code (64 characters nobody types) to the clipboard; where
  // the page may not write the clipboard, the code is selected for the phone's own copy menu.
  // ``words`` holds the element's data-t-copy, data-t-copied and data-t-selected.
  function copyButton(code, words) {
    var line = document.createElement("span");
    line.className = "copy-line";
    var b = document.createElement("button");
    b.type = "button";
    b.className = "button small";
    b.textContent = words.tCopy;
    var said = document.createElement("span");
    said.className = "muted";
    said.setAttribute("role", "status");
    function select() {
      var range = document.createRange();
      range.selectNodeContents(code);
      var selection = window.getSelection();
      selection.removeAllRanges();
      selection.addRange(range);
      said.textContent = words.tSelected;
    }
    b.addEventListener("click", function () {
      if (navigator.clipboard && window.isSecureContext) {
        navigator.clipboard.writeText(code.textContent).then(function () { said.textContent = words.tCopied; }, select);
      } else {
        select();
      }
    });
    line.appendChild(b);
    line.appendChild(said);
    return line;
  }
  // The answer's code (64 characters) in groups of four, to read and compare on a phone. The
  // groups stand apart by their margin, not by spaces, so that a selection, a copy or the
  // browser's find still meets the exact code.
  function groupedCode(value, id) {
    var code = document.createElement("code");
    code.className = "answer-code";
    if (id) code.id = id;
    for (var i = 0; i < value.length; i += 4) {
      var group = document.createElement("span");
      group.textContent = value.slice(i, i + 4);
      code.appendChild(group);
    }
    return code;
  }
  // What the code is for and where it is checked, under the code on the pages that show it.
  function codeUse(words) {
    var p = document.createElement("p");
    p.className = "code-use";
    p.textContent = words.tUse;
    return p;
  }
  // The household already has its token: show the code this phone kept, if it is this phone.
  var kept = document.getElementById("evaluation-kept");
  if (kept) {
    var code = null;
    try { code = window.localStorage.getItem(STORE + kept.dataset.evaluation); } catch (e) { code = null; }
    var unsent = null;
    try { unsent = window.localStorage.getItem(pendingKey(kept.dataset.evaluation)); } catch (e) { unsent = null; }
    if (code) {
      // The code is kept only once the server has answered that it saved the answer.
      var sent = document.createElement("p");
      sent.className = "flash flash-success";
      sent.textContent = kept.dataset.tDone;
      kept.replaceChildren(sent, kept.dataset.tCode);
      var c = groupedCode(code, "token-id");
      kept.appendChild(c);
      kept.appendChild(copyButton(c, kept.dataset));
      kept.appendChild(codeUse(kept.dataset));
      kept.hidden = false;
    } else if (!unsent) {
      // Nothing of this household's answer on this phone: say where it is, not nothing.
      kept.textContent = kept.dataset.tElsewhere;
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
      mine.textContent = found ? mine.dataset.tCounted : mine.dataset.tMissing;
      var c2 = groupedCode(kept2);
      mine.appendChild(c2);
      mine.appendChild(copyButton(c2, mine.dataset));
      if (!found) mine.className = "flash flash-error";
      mine.hidden = false;
    }
  }
  // On a published result: the owner's look-up of a code among the counted ones, here on the
  // phone (templates/evaluations/result.html says why not on the server). The code is read the way
  // people paste it: in the phone's groups of four or bare, with spaces (a Chinese keyboard's
  // full-width one too), dashes or line breaks, in capitals or full-width letters.
  var find = document.getElementById("find-form");
  if (find) {
    var findWords = document.getElementById("find").dataset, findResult = document.getElementById("find-result");
    find.addEventListener("submit", function (event) {
      event.preventDefault();
      var typed = document.getElementById("find-code").value;
      var code = typed.normalize("NFKC").replace(/[\s\-\u2010-\u2015\u2212]/g, "").toLowerCase();
      var verdict = document.createElement("p");
      verdict.setAttribute("role", "status");
      findResult.replaceChildren(verdict);
      if (!code) {
        verdict.className = "flash flash-warning";
        verdict.textContent = findWords.tEmpty;
      } else if (!/^[0-9a-f]{64}$/.test(code)) {
        verdict.className = "flash flash-warning";
        verdict.textContent = findWords.tMalformed.replace("{n}", code.length);
      } else {
        var found = document.getElementById("code-" + code);
        verdict.className = found ? "flash flash-success" : "flash flash-error";
        verdict.textContent = found ? findWords.tFound : findWords.tMissing;
        var looked = document.createElement("p");
        looked.textContent = findWords.tLooked;
        findResult.appendChild(looked);
        findResult.appendChild(groupedCode(code));
      }
      findResult.hidden = false;
    });
    find.hidden = false;
  }
  // On a published result: recount it here, a second implementation of `ownersvote
  // verify-evaluation` (crypto/evaluation.py), written apart from it on purpose: every token an
  // RSA-PSS signature under the evaluation's key (WebCrypto), each used once, each answer of this
  // evaluation, form and key, no more answers than tokens issued, and the published counts
  // exactly those that follow from the answers.
  var recount = document.getElementById("evaluation-recount");
  if (recount && window.crypto && window.crypto.subtle) {
    recountResult(recount.dataset.result).then(function (verdict) {
      recount.textContent = verdict.problem ? recount.dataset.tBad + " " + verdict.problem
        : (verdict.withheld ? recount.dataset.tWithheld : recount.dataset.tOk.replace("{n}", verdict.answers));
      recount.className = verdict.problem ? "flash flash-error" : "flash flash-success";
      recount.setAttribute("data-verdict", verdict.problem ? "bad" : "ok");
      recount.hidden = false;
    });
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
  // The screens: one per item, then the comment (COMMENT), then the review (REVIEW), which
  // alone sends. ``reviewed``: the owner has seen the review, so an item screen offers the way
  // straight back to it.
  var COMMENT = items.length, REVIEW = items.length + 1;
  var step = 0, reviewed = false;
  // The draft stays in this tab (sessionStorage, gone with the tab, never on the server) until
  // the answer is counted: a reload, the phone's back button or a switch of language costs
  // nothing. Only values the form offers are taken back.
  var DRAFT = "ownersvote-evaluation-draft-" + d.evaluation;
  function keepDraft() {
    try {
      window.sessionStorage.setItem(DRAFT, JSON.stringify({ answers: answers, comment: comment, step: step, reviewed: reviewed }));
    } catch (e) { /* private mode: the draft lives as long as the page */ }
  }
  function forgetDraft() { try { window.sessionStorage.removeItem(DRAFT); } catch (e) { /* private mode */ } }
  function choicesOf(scale) {
    return scale.kind === "choice" ? scale.choices.map(function (c) { return [c.id, c.label]; })
      : Array.from({ length: scale.max - scale.min + 1 }, function (_, i) { return [scale.min + i, String(scale.min + i)]; });
  }
  (function restoreDraft() {
    var saved = null;
    try { saved = JSON.parse(window.sessionStorage.getItem(DRAFT) || "null"); } catch (e) { saved = null; }
    if (!saved || typeof saved !== "object") return;
    items.forEach(function (x) {
      var v = saved.answers ? saved.answers[x.item.id] : null;
      if (choicesOf(form.scales[x.item.scale]).some(function (pair) { return pair[0] === v; })) answers[x.item.id] = v;
    });
    if (typeof saved.comment === "string") comment = saved.comment;
    if (Number.isInteger(saved.step) && saved.step >= 0 && saved.step <= REVIEW) step = saved.step;
    reviewed = saved.reviewed === true;
  })();

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
  async function recountResult(url) {
    var res;
    try {
      var response = await fetch(url, { credentials: "omit", headers: { "Accept": "application/json" } });
      res = await response.json();
    } catch (e) { return { problem: "the result could not be read (" + e + ")" }; }
    try {
      if (res.withheld) {
        if (res.answers !== null) return { problem: "a withheld result publishes its answers" };
        if (res.counts.answers > res.issued) return { problem: "more answers than tokens issued" };
        return { withheld: true };
      }
      var key = await crypto.subtle.importKey("jwk", { kty: "RSA", n: res.key.n, e: res.key.e, ext: true },
        { name: "RSA-PSS", hash: "SHA-384" }, false, ["verify"]);
      var thumb = b64url(new Uint8Array(await crypto.subtle.digest("SHA-256",
        new TextEncoder().encode(canon({ e: res.key.e, kty: "RSA", n: res.key.n })))));
      var seen = {}, read = [];
      for (var i = 0; i < res.answers.length; i++) {
        var message = unb64url(res.answers[i].message);
        var ok = await crypto.subtle.verify({ name: "RSA-PSS", saltLength: 48 }, key, unb64url(res.answers[i].sig), message);
        if (!ok) return { problem: "answer " + (i + 1) + ": its token is not a signature of the evaluation's key" };
        var id = hex(await crypto.subtle.digest("SHA-256", message));
        if (seen[id]) return { problem: "answer " + (i + 1) + ": a token counted twice" };
        seen[id] = true;
        var text = new TextDecoder().decode(message), answer = JSON.parse(text);
        if (canon(answer) !== text) return { problem: "answer " + (i + 1) + ": not canonical JSON" };
        if (answer.evaluation !== res.evaluation.id || answer.form !== res.evaluation.form || answer.key !== thumb) {
          return { problem: "answer " + (i + 1) + ": of another evaluation, form or key" };
        }
        read.push(answer);
      }
      if (read.length > res.issued) return { problem: "more answers than tokens issued" };
      if (res.counts.answers !== read.length) return { problem: "the number of answers is not the number published" };
      var counted = {};
      res.form.sections.forEach(function (section) {
        section.items.forEach(function (item) {
          var scale = res.form.scales[item.scale];
          var values = read.map(function (a) { return a.answers[item.id]; }).filter(function (v) { return v !== null && v !== undefined; });
          if (values.length < res.min_answers) { counted[item.id] = { answered: values.length, suppressed: true }; return; }
          if (scale.kind === "choice") {
            var choices = {}, points = 0;
            scale.choices.forEach(function (c) {
              choices[c.id] = values.filter(function (v) { return v === c.id; }).length;
              points += choices[c.id] * c.points;
            });
            counted[item.id] = { answered: values.length, choices: choices, points: points };
          } else {
            counted[item.id] = { answered: values.length, points: values.reduce(function (a, b) { return a + b; }, 0) };
          }
        });
      });
      if (canon(counted) !== canon(res.counts.items)) return { problem: "the published counts do not follow from the answers" };
      return { answers: read.length };
    } catch (e) { return { problem: "the result is malformed (" + e + ")" }; }
  }
  function canon(v) {
    if (Array.isArray(v)) return "[" + v.map(canon).join(",") + "]";
    if (v === null || typeof v === "number" || typeof v === "string" || typeof v === "boolean") return JSON.stringify(v);
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

  // The answer to an item as the review says it: the choice's label, a score with its scale, or
  // that it was left unanswered.
  function said(x) {
    var v = answers[x.item.id], scale = form.scales[x.item.scale];
    if (v === null) return null;
    if (scale.kind === "choice") return choicesOf(scale).filter(function (pair) { return pair[0] === v; })[0][1];
    return d.tScore.replace("{n}", v).replace("{min}", scale.min).replace("{max}", scale.max);
  }
  // ``one``: the owner came from a review row's 修改 to change that one answer, so choosing (or
  // skipping) leads back to the review rather than on to the next item.
  var one = false;
  function go(to) {
    step = to;
    if (step === REVIEW) { reviewed = true; one = false; }
    keepDraft();
    // To the top first: the review then focuses its heading, which brings it into view.
    window.scrollTo(0, 0);
    render();
  }

  function render() {
    root.replaceChildren();
    if (step < items.length) {
      var x = items[step], scale = form.scales[x.item.scale];
      root.appendChild(el("p", { "class": "muted ballot-step" }, d.tOf.replace("{i}", step + 1).replace("{n}", items.length) + " · " + x.section));
      var fs = el("fieldset", { "class": "item" });
      fs.appendChild(el("legend", {}, x.item.text));
      choicesOf(scale).forEach(function (pair) {
        var id = "c-" + x.item.id + "-" + pair[0];
        var label = el("label", { "for": id, "class": "choice big-choice" });
        var input = el("input", { type: "radio", name: x.item.id, id: id });
        if (answers[x.item.id] === pair[0]) input.checked = true;
        input.addEventListener("change", function () { answers[x.item.id] = pair[0]; go(one ? REVIEW : step + 1); });
        label.appendChild(input); label.appendChild(document.createTextNode(" " + pair[1]));
        fs.appendChild(label);
      });
      root.appendChild(fs);
      var nav = el("div", { "class": "ballot-nav" });
      // Back from the review, an answered item moves on as it is (choosing it again would not:
      // a radio button already chosen fires no change); "Skip" leaves it unanswered.
      if (answers[x.item.id] !== null) nav.appendChild(button(d.tNext, reviewed ? "wide" : "primary wide", function () { go(step + 1); }));
      if (reviewed) nav.appendChild(button(d.tToReview, "primary wide", function () { go(REVIEW); }));
      nav.appendChild(button(d.tSkip, "wide", function () { answers[x.item.id] = null; go(one ? REVIEW : step + 1); }));
      if (step > 0) nav.appendChild(button(d.tBack, "wide", function () { go(step - 1); }));
      root.appendChild(nav);
      return;
    }
    if (step === COMMENT) {
      var field = el("div", { "class": "field" });
      field.appendChild(el("label", { "for": "comment" }, d.tComment));
      var area = el("textarea", { id: "comment", rows: "4", maxlength: "500" });
      area.value = comment;
      area.addEventListener("input", function () { comment = area.value; keepDraft(); });
      field.appendChild(area);
      root.appendChild(field);
      var nav2 = el("div", { "class": "ballot-nav" });
      nav2.appendChild(button(d.tReview, "primary wide", function () { go(REVIEW); }));
      nav2.appendChild(button(d.tBack, "wide", function () { go(step - 1); }));
      root.appendChild(nav2);
      return;
    }
    // The review: every question with the answer given, in words, before anything leaves the
    // phone; only "Confirm and send" sends, "Go back and change" keeps every answer, and each
    // row's 修改 opens that one screen (a form of twenty items is not stepped through again).
    function change(title, to) {
      var b = button(d.tEdit, "change", function () { one = true; go(to); });
      b.setAttribute("aria-label", d.tEditLabel.replace("%(title)s", title));
      return b;
    }
    var heading = el("h2", { id: "review-heading", tabindex: "-1" }, d.tReviewTitle);
    root.appendChild(heading);
    root.appendChild(el("p", {}, d.tReviewHint));
    var blank = items.filter(function (x) { return answers[x.item.id] === null; });
    if (blank.length) root.appendChild(el("p", { "class": "flash flash-warning", id: "review-blank" }, d.tBlank.replace("{n}", blank.length)));
    var list = el("ul", { "class": "answers", id: "review-list" });
    items.forEach(function (x, i) {
      var li = el("li", answers[x.item.id] === null ? { "class": "blank" } : {});
      li.appendChild(el("span", { "class": "q" }, (i + 1) + ". " + x.section + " · " + x.item.text));
      li.appendChild(el("span", { "class": "a" }, said(x) === null ? d.tUnanswered : said(x)));
      li.appendChild(change(x.item.text, i));
      list.appendChild(li);
    });
    var last = el("li", {});
    last.appendChild(el("span", { "class": "q" }, d.tComment));
    last.appendChild(el("span", { "class": "a pre" }, comment.trim() ? comment.trim() : d.tNoComment));
    last.appendChild(change(d.tComment, COMMENT));
    list.appendChild(last);
    root.appendChild(list);
    var nav3 = el("div", { "class": "ballot-nav" });
    nav3.appendChild(button(d.tConfirm, "primary wide", send));
    nav3.appendChild(button(d.tChange, "wide", function () { one = false; go(0); }));
    root.appendChild(nav3);
    heading.focus();
  }

  // What this phone has done towards its one answer, kept until the answer is counted: the
  // message and its blinding (before the token came back), then the message and its token. A
  // lost connection then costs nothing: the page offers to send it again, even after a reload
  // (the server signs the same blinded message again, and a token already counted is this very
  // answer, since a token is the hash of its message).
  var PENDING = pendingKey(d.evaluation);
  function keepPending(p) { try { window.localStorage.setItem(PENDING, JSON.stringify(p)); } catch (e) { /* private mode */ } }
  function pendingAnswer() { try { return JSON.parse(window.localStorage.getItem(PENDING) || "null"); } catch (e) { return null; } }
  function forgetPending() { try { window.localStorage.removeItem(PENDING); } catch (e) { /* private mode */ } }

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
      keepPending({ message: b64url(message), blinded: b64url(blinded.blindedMsg), inv: b64url(blinded.inv) });
    } catch (e) {
      failed(e);
      return;
    }
    await deliver(pendingAnswer());
  }

  async function deliver(p) {
    root.replaceChildren(el("p", { "class": "flash" }, d.tSending));
    try {
      var message = unb64url(p.message);
      if (!p.sig) {
        var suite = window.BlindRSATs.RSABSSA.SHA384.PSS.Deterministic();
        var key = await crypto.subtle.importKey("jwk", JSON.parse(d.key), { name: "RSA-PSS", hash: "SHA-384" }, true, ["verify"]);
        var r1 = await fetch(d.tokenUrl, {
          method: "POST", credentials: "same-origin",
          headers: { "Content-Type": "application/json", "X-CSRFToken": d.csrf },
          body: JSON.stringify({ blinded: p.blinded }),
        });
        var j1 = await r1.json();
        if (!r1.ok) throw new Error(j1.error || r1.status);
        var sig = await suite.finalize(key, message, unb64url(j1.blind_sig), unb64url(p.inv));
        p = { message: p.message, sig: b64url(sig) };
        keepPending(p);
      }
      // The answer goes without a cookie: nothing in this request says who sent it.
      var r2 = await fetch(d.answerUrl, {
        method: "POST", credentials: "omit",
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify({ message: p.message, sig: p.sig }),
      });
      var j2 = await r2.json();
      var mine = hex(await crypto.subtle.digest("SHA-256", message));
      var already = r2.status === 409 && /already used/.test(j2.error_en || "");
      if (!r2.ok && !already) throw new Error(j2.error || r2.status);
      if (!already && j2.token !== mine) throw new Error(d.tMismatch);
      try { window.localStorage.setItem(STORE + d.evaluation, mine); } catch (e) { /* private mode: the code is on the screen */ }
      forgetPending();
      forgetDraft();
      var shown = groupedCode(mine, "token-id");
      root.replaceChildren(el("p", { "class": "flash flash-success", role: "status" }, d.tDone), el("p", {}, d.tCode), shown,
        copyButton(shown, d), codeUse(d));
    } catch (e) {
      failed(e);
    }
  }

  function failed(e) {
    // fetch() fails with a TypeError when the connection is lost: say so in the reader's words.
    var why = e instanceof TypeError ? d.tNetwork : (e && e.message ? e.message : String(e));
    root.replaceChildren(el("p", { "class": "flash flash-error", role: "alert" }, d.tFailed + " " + why));
    if (pendingAnswer()) root.appendChild(button(d.tResend, "primary wide", function () { deliver(pendingAnswer()); }));
  }

  if (d.taken) {
    // The household has its token: the only thing left to do here is to send an answer this
    // phone kept but could not send (its message is kept apart, so the draft is not needed).
    forgetDraft();
    var waiting = pendingAnswer();
    if (waiting) {
      root.appendChild(el("p", { "class": "flash" }, d.tUnsent));
      root.appendChild(button(d.tResend, "primary wide", function () { deliver(waiting); }));
    }
    return;
  }
  render();
})();
