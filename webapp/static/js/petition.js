/* Signing an owners' petition on this phone (docs/petition-format.md).
 *
 * The browser fetches the signed petition document, recomputes its digest (SHA-256 of its
 * canonical JSON), checks that it is the petition the page shows, builds the canonical signature
 * document itself — petition, digest, member, 16 random bytes — and signs those exact bytes with
 * the key that never left this phone (devicekey.js).  No inline script: the page carries its data
 * in data- attributes.
 */
(function () {
  "use strict";

  function say(box, text, kind) {
    if (!box) { return; }
    box.textContent = text;
    box.className = "flash flash-" + (kind || "info");
    box.hidden = false;
  }

  function hex(buffer) {
    return Array.prototype.map.call(new Uint8Array(buffer), function (b) { return ("0" + b.toString(16)).slice(-2); }).join("");
  }

  function usable() {
    return !!(window.crypto && crypto.subtle && crypto.getRandomValues && window.indexedDB && window.fetch && window.OwnersVote);
  }

  function bind(button) {
    var box = document.querySelector(button.getAttribute("data-status"));
    function msg(name) { return button.getAttribute("data-msg-" + name); }
    button.addEventListener("click", function () {
      if (!usable()) { say(box, msg("unsupported"), "error"); return; }
      button.disabled = true;
      say(box, msg("working"));
      var record;
      OwnersVote.load(button.getAttribute("data-slot")).then(function (r) {
        if (!r) { var e = new Error("nokey"); e.code = "nokey"; throw e; }
        record = r;
        return OwnersVote.getJson(button.getAttribute("data-source"));
      }).then(function (doc) {
        return crypto.subtle.digest("SHA-256", new TextEncoder().encode(OwnersVote.canonical(doc))).then(function (d) {
          var digest = hex(d);
          if (doc.id !== button.getAttribute("data-petition") || digest !== button.getAttribute("data-digest")) {
            var e = new Error("changed"); e.code = "changed"; throw e;
          }
          var signature = { type: "ownersvote-petition-signature", v: 1, petition: doc.id, digest: digest,
                            member: button.getAttribute("data-member"), nonce: OwnersVote.nonce() };
          var text = OwnersVote.canonical(signature);
          return OwnersVote.sign(record, text).then(function (sig) {
            return OwnersVote.postJson(button.getAttribute("data-submit"), { signature: text, kid: record.kid, sig: sig });
          });
        });
      }).then(function (answer) {
        say(box, msg("done"), "success");
        window.location.assign(answer.next);
      }, function (err) {
        button.disabled = false;
        var text = err && err.code === "nokey" ? msg("nokey") : err && err.code === "changed" ? msg("changed") :
          ((err && err.data && err.data.error) || msg("failed"));
        say(box, text, "error");
      });
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    Array.prototype.forEach.call(document.querySelectorAll("[data-action=sign-petition]"), bind);
  });
})();
