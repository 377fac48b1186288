/* OwnersVote audit bundle verifier, formats 3 and 2 — an independent second implementation.
 *
 * Written from docs/bundle-format.md (normative) and docs/tally-format.md alone, without reading
 * the reference verifier (`ownersvote verify`, Python).  One file, no dependencies, no build step;
 * ES5 syntax apart from Promises and async functions, so it runs in today's phone browsers and
 * in Node.js 20.  All cryptography is WebCrypto (globalThis.crypto.subtle): SHA-256, ECDSA P-256
 * (raw r||s signatures) and Ed25519.  A browser whose WebCrypto lacks Ed25519 cannot check the
 * server's signatures: the verifier then says so (check "environment") and never passes.
 *
 *   OwnersVoteVerifier.verifyBundle(input, options) -> Promise of
 *     {ok, readable, failures: [{check, message}], facts: {...}, certificationPayload,
 *      certificationPayloadCanonical}
 *   input:   the bundle's text (or bytes: then strict JSON, §1, is checked here) or a parsed object
 *   options: {receipts: [receipt or promise, text or object], serverKey: kid or [kid] (the server
 *             keys the installation published), supervisorKeys: [kid], onProgress: function (done, total, what)}
 *
 * Exposed as window.OwnersVoteVerifier in browsers and as module.exports in Node.
 */
(function (global) {
  "use strict";

  var TOP_LEVEL = ["format", "version", "synthetic", "estate", "assembly", "notice", "tally_input",
    "supervisors", "roll", "log", "tally", "certification"];
  var HEX64 = new RegExp("^[0-9a-f]{64}$");
  var AREA2 = new RegExp("^(0|[1-9][0-9]*)\\.[0-9]{2}$");
  var AREA_IN = new RegExp("^(0|[1-9][0-9]*)(\\.[0-9]{1,2})?$");
  var FRACTION = new RegExp("^([1-9][0-9]*)/([1-9][0-9]*)$");
  var B64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  var CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";
  var P256_N = hexToBytes("ffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551");
  var STATUTE_SOURCE = "civil_code_278_2", ESTATE_SOURCE = "estate_rules";
  var ZERO = BigInt(0), ONE = BigInt(1), HUNDRED = BigInt(100), TENK = BigInt(10000);
  // Kinds on which an owner marks at most one option, decided alike (docs/tally-format.md): a
  // selection (e.g. the property-service firm) and a choice among plans (方案选择), any category.
  var ONE_OF = {selection: true, plan: true};

  // ------------------------------------------------------------------ small helpers

  function isObj(v) { return v !== null && typeof v === "object" && !Array.isArray(v); }
  function isStr(v) { return typeof v === "string"; }
  function isNEStr(v) { return typeof v === "string" && v.length > 0; }
  function isInt(v) { return typeof v === "number" && Number.isSafeInteger(v); }
  function isBool(v) { return v === true || v === false; }
  function has(o, k) { return Object.prototype.hasOwnProperty.call(o, k); }
  function isHex64(v) { return typeof v === "string" && HEX64.test(v); }
  function show(v) {
    var s;
    try { s = JSON.stringify(v); } catch (e) { s = String(v); }
    if (s === undefined) { s = String(v); }
    return s.length > 80 ? s.slice(0, 77) + "…" : s;
  }
  function keyPath(path, k) {
    return new RegExp("^[A-Za-z_][A-Za-z0-9_]*$").test(k) ? path + "." + k : path + "[" + JSON.stringify(k) + "]";
  }
  function compareCodePoints(a, b) {
    // code-point order (not UTF-16 code units): compare by iterating code points
    var i = 0, j = 0;
    while (i < a.length && j < b.length) {
      var ca = a.codePointAt(i), cb = b.codePointAt(j);
      if (ca !== cb) { return ca < cb ? -1 : 1; }
      i += ca > 0xffff ? 2 : 1;
      j += cb > 0xffff ? 2 : 1;
    }
    if (i < a.length) { return 1; }
    if (j < b.length) { return -1; }
    return 0;
  }
  function now() { return (global.performance && global.performance.now) ? global.performance.now() : Date.now(); }
  function yieldNow() {
    return new Promise(function (resolve) {
      if (typeof setImmediate === "function") { setImmediate(resolve); } else { setTimeout(resolve, 0); }
    });
  }
  function formatTime(ms) {
    if (!isInt(ms)) { return String(ms); }
    var d = new Date(ms + 8 * 3600 * 1000);
    function p(n) { return (n < 10 ? "0" : "") + n; }
    return d.getUTCFullYear() + "-" + p(d.getUTCMonth() + 1) + "-" + p(d.getUTCDate()) + " " + p(d.getUTCHours()) +
      ":" + p(d.getUTCMinutes()) + ":" + p(d.getUTCSeconds()) + " (UTC+8)";
  }

  // ------------------------------------------------------------------ strict JSON (§1)

  function JsonError(message, pos) {
    this.name = "JsonError";
    this.message = message + (pos === undefined ? "" : " (at character " + pos + ")");
  }
  JsonError.prototype = Object.create(Error.prototype);

  var STRING_RE = new RegExp("\"(?:[^\"\\\\\\u0000-\\u001f]|\\\\(?:[\"\\\\/bfnrt]|u[0-9a-fA-F]{4}))*\"", "y");
  var NUMBER_RE = new RegExp("-?(?:0|[1-9][0-9]*)(\\.[0-9]+)?([eE][+-]?[0-9]+)?", "y");
  var LONE_SURROGATE = new RegExp("[\\ud800-\\udbff](?![\\udc00-\\udfff])|(?:[^\\ud800-\\udbff]|^)[\\udc00-\\udfff]");

  /* Parse text as strict JSON: RFC 8259 plus §1 — no byte-order mark, no duplicate member names,
   * no floating-point numbers, only integers within ±(2^53−1), no lone surrogates. */
  function parseStrictJSON(text) {
    if (typeof text !== "string") { throw new JsonError("not text"); }
    var pos = 0, n = text.length;
    if (n > 0 && text.charCodeAt(0) === 0xfeff) { throw new JsonError("byte-order mark at the start", 0); }
    function ws() {
      while (pos < n) {
        var c = text.charCodeAt(pos);
        if (c === 32 || c === 9 || c === 10 || c === 13) { pos++; } else { break; }
      }
    }
    function str() {
      STRING_RE.lastIndex = pos;
      var m = STRING_RE.exec(text);
      if (!m) { throw new JsonError("invalid string", pos); }
      var raw = m[0], s;
      pos += raw.length;
      if (raw.indexOf("\\") < 0) { s = raw.slice(1, -1); } else { s = JSON.parse(raw); }
      if (LONE_SURROGATE.test(s)) { throw new JsonError("string with a lone surrogate (not Unicode text)", pos - raw.length); }
      return s;
    }
    function value(depth) {
      if (depth > 200) { throw new JsonError("nested too deeply", pos); }
      ws();
      if (pos >= n) { throw new JsonError("unexpected end of text", pos); }
      var c = text[pos], start = pos;
      if (c === "{") {
        pos++;
        var obj = {}, seen = Object.create(null);
        ws();
        if (text[pos] === "}") { pos++; return obj; }
        for (;;) {
          ws();
          if (text[pos] !== "\"") { throw new JsonError("expected a member name", pos); }
          var kpos = pos, k = str();
          if (seen[k] === true) { throw new JsonError("duplicate member name " + JSON.stringify(k), kpos); }
          seen[k] = true;
          ws();
          if (text[pos] !== ":") { throw new JsonError("expected ':'", pos); }
          pos++;
          var v = value(depth + 1);
          if (k === "__proto__") {
            Object.defineProperty(obj, k, {value: v, enumerable: true, writable: true, configurable: true});
          } else { obj[k] = v; }
          ws();
          if (text[pos] === ",") { pos++; continue; }
          if (text[pos] === "}") { pos++; return obj; }
          throw new JsonError("expected ',' or '}'", pos);
        }
      }
      if (c === "[") {
        pos++;
        var arr = [];
        ws();
        if (text[pos] === "]") { pos++; return arr; }
        for (;;) {
          arr.push(value(depth + 1));
          ws();
          if (text[pos] === ",") { pos++; continue; }
          if (text[pos] === "]") { pos++; return arr; }
          throw new JsonError("expected ',' or ']'", pos);
        }
      }
      if (c === "\"") { return str(); }
      if (text.startsWith("true", pos)) { pos += 4; return true; }
      if (text.startsWith("false", pos)) { pos += 5; return false; }
      if (text.startsWith("null", pos)) { pos += 4; return null; }
      NUMBER_RE.lastIndex = pos;
      var m = NUMBER_RE.exec(text);
      if (!m) { throw new JsonError("unexpected character " + JSON.stringify(c), pos); }
      pos += m[0].length;
      if (m[1] !== undefined || m[2] !== undefined) {
        throw new JsonError("floating-point number " + m[0] + " is not allowed", start);
      }
      var num = Number(m[0]);
      if (!Number.isSafeInteger(num)) { throw new JsonError("integer " + m[0] + " is outside ±(2^53−1)", start); }
      return num === 0 ? 0 : num;
    }
    var result = value(0);
    ws();
    if (pos !== n) { throw new JsonError("unexpected text after the JSON value", pos); }
    return result;
  }

  /* For a parsed object: the checks that survive parsing (numbers). Duplicates cannot be seen. */
  function checkParsedValue(v, path, out) {
    if (typeof v === "number") {
      if (!Number.isSafeInteger(v)) { out.push(path + ": " + v + " is not an integer within ±(2^53−1)"); }
    } else if (Array.isArray(v)) {
      for (var i = 0; i < v.length; i++) { checkParsedValue(v[i], path + "[" + i + "]", out); }
    } else if (v !== null && typeof v === "object") {
      var ks = Object.keys(v);
      for (var j = 0; j < ks.length; j++) { checkParsedValue(v[ks[j]], keyPath(path, ks[j]), out); }
    } else if (typeof v === "string") {
      if (LONE_SURROGATE.test(v)) { out.push(path + ": string with a lone surrogate"); }
    } else if (v !== null && typeof v !== "boolean") {
      out.push(path + ": not a JSON value (" + typeof v + ")");
    }
  }

  // ------------------------------------------------------------------ canonical JSON (RFC 8785)

  function canonical(v) {
    if (v === null) { return "null"; }
    if (v === true) { return "true"; }
    if (v === false) { return "false"; }
    if (typeof v === "number") {
      if (!Number.isSafeInteger(v)) { throw new Error("canonical JSON: " + v + " is not an integer within ±(2^53−1)"); }
      return String(v);
    }
    if (typeof v === "string") { return JSON.stringify(v); }
    if (Array.isArray(v)) {
      var parts = [];
      for (var i = 0; i < v.length; i++) { parts.push(canonical(v[i])); }
      return "[" + parts.join(",") + "]";
    }
    if (typeof v === "object") {
      var keys = Object.keys(v).sort(), out = [];   // default sort: UTF-16 code units
      for (var j = 0; j < keys.length; j++) { out.push(JSON.stringify(keys[j]) + ":" + canonical(v[keys[j]])); }
      return "{" + out.join(",") + "}";
    }
    throw new Error("canonical JSON: unsupported value of type " + typeof v);
  }

  function without(obj, names) {
    var out = {}, ks = Object.keys(obj);
    for (var i = 0; i < ks.length; i++) {
      if (names.indexOf(ks[i]) < 0) { out[ks[i]] = obj[ks[i]]; }
    }
    return out;
  }

  // ------------------------------------------------------------------ bytes, hex, base64url

  var textEncoder = new TextEncoder();
  function utf8(s) { return textEncoder.encode(s); }
  function bytesToHex(b) {
    var s = "";
    for (var i = 0; i < b.length; i++) { s += (b[i] < 16 ? "0" : "") + b[i].toString(16); }
    return s;
  }
  function hexToBytes(h) {
    var out = new Uint8Array(h.length / 2);
    for (var i = 0; i < out.length; i++) { out[i] = parseInt(h.substr(2 * i, 2), 16); }
    return out;
  }
  function b64uEncode(bytes) {
    var s = "", i;
    for (i = 0; i + 2 < bytes.length; i += 3) {
      var x = (bytes[i] << 16) | (bytes[i + 1] << 8) | bytes[i + 2];
      s += B64[x >> 18] + B64[(x >> 12) & 63] + B64[(x >> 6) & 63] + B64[x & 63];
    }
    var rest = bytes.length - i;
    if (rest === 1) {
      var y = bytes[i] << 16;
      s += B64[y >> 18] + B64[(y >> 12) & 63];
    } else if (rest === 2) {
      var z = (bytes[i] << 16) | (bytes[i + 1] << 8);
      s += B64[z >> 18] + B64[(z >> 12) & 63] + B64[(z >> 6) & 63];
    }
    return s;
  }
  /* Canonical unpadded base64url (RFC 7515 §2, no trailing non-zero bits) → bytes, else null. */
  function b64uDecode(s) {
    if (typeof s !== "string" || s.length % 4 === 1) { return null; }
    var out = new Uint8Array(Math.floor(s.length * 3 / 4)), o = 0, acc = 0, bits = 0;
    for (var i = 0; i < s.length; i++) {
      var v = B64.indexOf(s[i]);
      if (v < 0) { return null; }
      acc = ((acc << 6) | v) & 0xffffff;
      bits += 6;
      if (bits >= 8) { bits -= 8; out[o++] = (acc >> bits) & 0xff; }
    }
    if (bits > 0 && (acc & ((1 << bits) - 1)) !== 0) { return null; }
    return out;
  }
  function concatBytes(parts) {
    var len = 0, i;
    for (i = 0; i < parts.length; i++) { len += parts[i].length; }
    var out = new Uint8Array(len), o = 0;
    for (i = 0; i < parts.length; i++) { out.set(parts[i], o); o += parts[i].length; }
    return out;
  }
  function bytesEqual(a, b) {
    if (a.length !== b.length) { return false; }
    for (var i = 0; i < a.length; i++) { if (a[i] !== b[i]) { return false; } }
    return true;
  }
  function bytesLess(a, b) {   // same length, big-endian
    for (var i = 0; i < a.length; i++) { if (a[i] !== b[i]) { return a[i] < b[i]; } }
    return false;
  }

  // ------------------------------------------------------------------ WebCrypto

  function subtle() {
    var c = global.crypto;
    if (!c || !c.subtle) { throw new Error("WebCrypto (crypto.subtle) is not available here"); }
    return c.subtle;
  }
  function sha256(bytes) {
    return subtle().digest("SHA-256", bytes).then(function (b) { return new Uint8Array(b); });
  }
  function sha256Hex(text) { return sha256(utf8(text)).then(bytesToHex); }

  var ed25519Probe = null;
  /* RFC 8032 §7.1 test 1: does this WebCrypto verify Ed25519 (and verify it correctly)? */
  function ed25519Supported() {
    if (!ed25519Probe) {
      ed25519Probe = (async function () {
        try {
          var s = subtle();
          var key = await s.importKey("jwk", {kty: "OKP", crv: "Ed25519",
            x: b64uEncode(hexToBytes("d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a"))},
            {name: "Ed25519"}, false, ["verify"]);
          var sig = hexToBytes("e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bac" +
            "c61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b");
          var good = await s.verify({name: "Ed25519"}, key, sig, new Uint8Array(0));
          var bad = await s.verify({name: "Ed25519"}, key, sig, new Uint8Array([1]));
          return good === true && bad === false;
        } catch (e) { return false; }
      })();
    }
    return ed25519Probe;
  }

  /* §2: a public JWK reduced to its required members; returns a problem or null. */
  function jwkProblem(jwk) {
    if (!isObj(jwk)) { return "the key is not a JWK object"; }
    var priv = ["d", "p", "q", "dp", "dq", "qi", "k", "oth"];
    for (var i = 0; i < priv.length; i++) {
      if (has(jwk, priv[i])) { return "the JWK carries the private member \"" + priv[i] + "\" (refused)"; }
    }
    var want;
    if (jwk.kty === "OKP" && jwk.crv === "Ed25519") { want = ["crv", "kty", "x"]; }
    else if (jwk.kty === "EC" && jwk.crv === "P-256") { want = ["crv", "kty", "x", "y"]; }
    else { return "unsupported key type " + show(jwk.kty) + "/" + show(jwk.crv) + " (Ed25519 or P-256 only)"; }
    var ks = Object.keys(jwk);
    for (var j = 0; j < ks.length; j++) {
      if (want.indexOf(ks[j]) < 0) { return "the JWK has the member \"" + ks[j] + "\" beyond its required members"; }
    }
    for (var m = 2; m < want.length; m++) {
      if (!has(jwk, want[m])) { return "the JWK lacks \"" + want[m] + "\""; }
      var raw = b64uDecode(jwk[want[m]]);
      if (!raw) { return "the JWK's \"" + want[m] + "\" is not canonical base64url"; }
      if (raw.length !== 32) { return "the JWK's \"" + want[m] + "\" is " + raw.length + " bytes, not 32"; }
    }
    return null;
  }
  /* RFC 7638 thumbprint of a (valid) public JWK. */
  function thumbprint(jwk) {
    var req = jwk.kty === "EC" ? {crv: jwk.crv, kty: jwk.kty, x: jwk.x, y: jwk.y} : {crv: jwk.crv, kty: jwk.kty, x: jwk.x};
    return sha256(utf8(canonical(req))).then(b64uEncode);
  }

  function Signer(ed25519) {
    this.ed25519 = ed25519;
    this.keys = Object.create(null);
  }
  Signer.prototype.importKey = function (jwk) {
    var id = canonical(jwk);
    if (!this.keys[id]) {
      this.keys[id] = jwk.kty === "OKP"
        ? subtle().importKey("jwk", {kty: "OKP", crv: "Ed25519", x: jwk.x}, {name: "Ed25519"}, false, ["verify"])
        : subtle().importKey("jwk", {kty: "EC", crv: "P-256", x: jwk.x, y: jwk.y}, {name: "ECDSA", namedCurve: "P-256"}, false, ["verify"]);
      this.keys[id].catch(function () { return null; });
    }
    return this.keys[id];
  };
  /* Resolves to null when sig is a valid signature of bytes by jwk, else to what is wrong. */
  Signer.prototype.verify = async function (jwk, sig, bytes) {
    var problem = jwkProblem(jwk);
    if (problem) { return problem; }
    if (!isStr(sig)) { return "the signature is not a string"; }
    var raw = b64uDecode(sig);
    if (!raw) { return "the signature is not canonical unpadded base64url"; }
    if (raw.length !== 64) { return "the signature is " + raw.length + " bytes, not 64"; }
    var alg;
    if (jwk.kty === "EC") {
      var r = raw.subarray(0, 32), s = raw.subarray(32);
      var zero = new Uint8Array(32);
      if (bytesEqual(r, zero) || bytesEqual(s, zero) || !bytesLess(r, P256_N) || !bytesLess(s, P256_N)) {
        return "the ECDSA signature's r or s is out of range";
      }
      alg = {name: "ECDSA", hash: "SHA-256"};
    } else {
      if (!this.ed25519) { return "this browser's WebCrypto cannot verify Ed25519 signatures, so this one is not checked"; }
      alg = {name: "Ed25519"};
    }
    var key;
    try { key = await this.importKey(jwk); } catch (e) { return "the public key is not a valid point (" + (e && e.message) + ")"; }
    var ok;
    try { ok = await subtle().verify(alg, key, raw, bytes); } catch (e2) { return "the signature cannot be checked (" + (e2 && e2.message) + ")"; }
    return ok === true ? null : "the signature does not verify";
  };

  // ------------------------------------------------------------------ Merkle trees (RFC 6962 / 9162)

  var LEAF = new Uint8Array([0]), NODE = new Uint8Array([1]);
  function leafHash(data) { return sha256(concatBytes([LEAF, data])); }
  function nodeHash(l, r) { return sha256(concatBytes([NODE, l, r])); }

  var BATCH = 512;
  async function inChunks(count, size, work, after) {
    for (var s = 0; s < count; s += size) {
      var batch = [];
      for (var i = s; i < Math.min(count, s + size); i++) { batch.push(work(i)); }
      await Promise.all(batch);
      if (after) { await after(Math.min(count, s + size) - s); }
    }
  }

  /* levels[l][i] = hash of the perfect subtree of 2^l leaves starting at leaf i*2^l. */
  async function merkleLevels(leaves) {
    var levels = [leaves];
    while (levels[levels.length - 1].length > 1) {
      var below = levels[levels.length - 1], above = new Array(Math.floor(below.length / 2));
      await inChunks(above.length, 512, function (i) {
        return nodeHash(below[2 * i], below[2 * i + 1]).then(function (h) { above[i] = h; });
      });
      levels.push(above);
    }
    return levels;
  }
  /* MTH(D[0:m]) from the levels of a tree of at least m leaves. */
  async function prefixRoot(levels, m) {
    if (m === 0) { return sha256(new Uint8Array(0)); }
    var blocks = [], offset = 0;
    for (var l = levels.length - 1; l >= 0; l--) {
      var size = Math.pow(2, l);
      if (m - offset >= size) { blocks.push(levels[l][offset / size]); offset += size; }
    }
    var h = blocks[blocks.length - 1];
    for (var j = blocks.length - 2; j >= 0; j--) { h = await nodeHash(blocks[j], h); }
    return h;
  }
  async function merkleRoot(leafHashes) { return prefixRoot(await merkleLevels(leafHashes), leafHashes.length); }

  function hexList(path) {
    if (!Array.isArray(path)) { return null; }
    var out = [];
    for (var i = 0; i < path.length; i++) {
      if (!isHex64(path[i])) { return null; }
      out.push(hexToBytes(path[i]));
    }
    return out;
  }
  /* RFC 9162 §2.1.3.2. All hashes as bytes. */
  async function verifyInclusion(index, size, leaf, path, root) {
    if (!(index >= 0 && index < size)) { return false; }
    var fn = index, sn = size - 1, r = leaf;
    for (var i = 0; i < path.length; i++) {
      var p = path[i];
      if (sn === 0) { return false; }
      if (fn % 2 === 1 || fn === sn) {
        r = await nodeHash(p, r);
        if (fn % 2 === 0) {
          while (fn % 2 === 0 && fn !== 0) { fn = Math.floor(fn / 2); sn = Math.floor(sn / 2); }
        }
      } else {
        r = await nodeHash(r, p);
      }
      fn = Math.floor(fn / 2); sn = Math.floor(sn / 2);
    }
    return sn === 0 && bytesEqual(r, root);
  }
  function isPowerOfTwo(x) {
    while (x > 1 && x % 2 === 0) { x = x / 2; }
    return x === 1;
  }
  /* RFC 9162 §2.1.4.2, with §9's conventions for the trivial cases (0 < first < second here). */
  async function verifyConsistency(first, second, firstHash, secondHash, path) {
    if (!(first > 0 && first < second)) { return false; }
    if (path.length === 0) { return false; }
    if (isPowerOfTwo(first)) { path = [firstHash].concat(path); }
    var fn = first - 1, sn = second - 1;
    while (fn % 2 === 1) { fn = Math.floor(fn / 2); sn = Math.floor(sn / 2); }
    var fr = path[0], sr = path[0];
    for (var i = 1; i < path.length; i++) {
      var c = path[i];
      if (sn === 0) { return false; }
      if (fn % 2 === 1 || fn === sn) {
        fr = await nodeHash(c, fr);
        sr = await nodeHash(c, sr);
        if (fn % 2 === 0) {
          while (fn % 2 === 0 && fn !== 0) { fn = Math.floor(fn / 2); sn = Math.floor(sn / 2); }
        }
      } else {
        sr = await nodeHash(sr, c);
      }
      fn = Math.floor(fn / 2); sn = Math.floor(sn / 2);
    }
    return sn === 0 && bytesEqual(fr, firstHash) && bytesEqual(sr, secondHash);
  }

  /* §9: Crockford base32 of the first 60 bits of the leaf hash, 12 characters grouped by four. */
  function trackingCode(leafHashHex) {
    var b = hexToBytes(leafHashHex.slice(0, 16)), bits = "", out = "";
    for (var i = 0; i < b.length; i++) { bits += ("00000000" + b[i].toString(2)).slice(-8); }
    for (var j = 0; j < 12; j++) {
      out += CROCKFORD[parseInt(bits.substr(5 * j, 5), 2)];
      if (j === 3 || j === 7) { out += "-"; }
    }
    return out;
  }
  function normaliseCode(code) {
    return String(code).toUpperCase().replace(new RegExp("[\\s-]", "g"), "").replace(new RegExp("O", "g"), "0")
      .replace(new RegExp("[IL]", "g"), "1");
  }

  // ------------------------------------------------------------------ areas, fractions, shares

  /* Area string → BigInt hundredths. exact: exactly two decimals (bundle); else tally input rules. */
  function parseArea(s, exact) {
    if (typeof s !== "string" || !(exact ? AREA2 : AREA_IN).test(s)) { return null; }
    var dot = s.indexOf("."), whole = dot < 0 ? s : s.slice(0, dot), frac = dot < 0 ? "" : s.slice(dot + 1);
    while (frac.length < 2) { frac += "0"; }
    return BigInt(whole) * HUNDRED + BigInt(frac);
  }
  function formatArea(h) {
    var whole = h / HUNDRED, frac = h % HUNDRED;
    return whole.toString() + "." + (frac < BigInt(10) ? "0" : "") + frac.toString();
  }
  /* Share part/whole as "12.34%", truncated; null when whole is zero. */
  function share(part, whole) {
    part = BigInt(part); whole = BigInt(whole);
    if (whole === ZERO) { return null; }
    var v = part * TENK / whole;
    return formatArea(v) + "%";
  }
  function parseFraction(s) {
    var m = typeof s === "string" ? FRACTION.exec(s) : null;
    if (!m) { return null; }
    return {p: BigInt(m[1]), q: BigInt(m[2]), text: s};
  }
  function gcd(a, b) { while (b !== ZERO) { var t = a % b; a = b; b = t; } return a; }
  function meets(rule, part, whole) {
    part = BigInt(part); whole = BigInt(whole);
    if (whole === ZERO) { return false; }
    return rule.op === "at_least" ? part * rule.q >= rule.p * whole : part * rule.q > rule.p * whole;
  }
  /* {op, p, q} from {"at_least"|"more_than": "p/q"}; throws a message on anything else. */
  function parseThreshold(t) {
    if (!isObj(t)) { throw "not an object"; }
    var ks = Object.keys(t);
    if (ks.length !== 1 || (ks[0] !== "at_least" && ks[0] !== "more_than")) {
      throw "must be {\"at_least\": \"p/q\"} or {\"more_than\": \"p/q\"}";
    }
    var f = parseFraction(t[ks[0]]);
    if (!f) { throw show(t[ks[0]]) + " is not a fraction \"p/q\" of positive integers"; }
    if (f.p > f.q) { throw f.text + " is more than 1"; }
    if (ks[0] === "more_than" && f.p === f.q) { throw "more than " + f.text + " can never be met"; }
    return {op: ks[0], p: f.p, q: f.q, text: f.text};
  }
  /* Is a at least as strict as b? (tally-format.md, "Stricter only") */
  function atLeastAsStrict(a, b) {
    var axq = a.p * b.q, bxq = b.p * a.q;   // compare a.p/a.q with b.p/b.q
    if (a.op === "at_least") { return b.op === "at_least" ? axq >= bxq : axq > bxq; }
    return axq >= bxq;
  }
  function sameRule(a, b) { return a.op === b.op && a.p * b.q === b.p * a.q; }
  var STATUTE_QUORUM = {op: "at_least", p: BigInt(2), q: BigInt(3), text: "2/3"};
  var STATUTE_SIMPLE = {op: "more_than", p: ONE, q: BigInt(2), text: "1/2"};
  var STATUTE_SPECIAL = {op: "at_least", p: BigInt(3), q: BigInt(4), text: "3/4"};
  function statuteApproval(category) { return category >= 6 && category <= 8 ? STATUTE_SPECIAL : STATUTE_SIMPLE; }

  // ------------------------------------------------------------------ the tally engine (docs/tally-format.md)

  function TallyInputError(message) { this.name = "TallyInputError"; this.message = message; }
  TallyInputError.prototype = Object.create(Error.prototype);

  /* Validate the rules; returns {category: {quorum: rule+source, approval: rule+source}}. */
  function tallyRules(rules, where) {
    where = where || "rules";
    var thresholds = {}, alternates = 0, c;
    if (rules !== undefined) {
      if (!isObj(rules)) { throw new TallyInputError(where + ": not an object"); }
      var ks = Object.keys(rules);
      for (var i = 0; i < ks.length; i++) {
        if (ks[i] !== "thresholds" && ks[i] !== "alternates") { throw new TallyInputError(where + "." + ks[i] + ": unknown rule"); }
      }
      if (has(rules, "alternates")) {
        if (!isInt(rules.alternates) || rules.alternates < 0) { throw new TallyInputError(where + ".alternates: not a non-negative integer"); }
        alternates = rules.alternates;
      }
      if (has(rules, "thresholds")) {
        if (!isObj(rules.thresholds)) { throw new TallyInputError(where + ".thresholds: not an object"); }
        thresholds = rules.thresholds;
      }
    }
    var out = {};
    for (c = 1; c <= 9; c++) {
      out[c] = {quorum: {rule: STATUTE_QUORUM, source: STATUTE_SOURCE}, approval: {rule: statuteApproval(c), source: STATUTE_SOURCE}};
    }
    var cats = Object.keys(thresholds);
    for (var j = 0; j < cats.length; j++) {
      var cat = cats[j], w = where + ".thresholds." + cat;
      if (!new RegExp("^[1-9]$").test(cat)) { throw new TallyInputError(w + ": not a category \"1\"…\"9\""); }
      var spec = thresholds[cat];
      if (!isObj(spec)) { throw new TallyInputError(w + ": not an object"); }
      var sk = Object.keys(spec);
      for (var k = 0; k < sk.length; k++) {
        var which = sk[k];
        if (which !== "quorum" && which !== "approval") { throw new TallyInputError(w + "." + which + ": unknown rule"); }
        var rule;
        try { rule = parseThreshold(spec[which]); } catch (msg) { throw new TallyInputError(w + "." + which + ": " + msg); }
        var statute = which === "quorum" ? STATUTE_QUORUM : statuteApproval(Number(cat));
        if (!atLeastAsStrict(rule, statute)) {
          throw new TallyInputError(w + "." + which + ": looser than the statute (" + statute.op.replace("_", " ") + " " + statute.text + ")");
        }
        out[cat][which] = sameRule(rule, statute) ? {rule: statute, source: STATUTE_SOURCE} : {rule: rule, source: ESTATE_SOURCE};
      }
    }
    return {byCategory: out, alternates: alternates};
  }

  /* Compute the tally output document, reason texts included, from a tally input document. */
  function computeTally(doc) {
    if (!isObj(doc)) { throw new TallyInputError("the tally input is not an object"); }
    var rules = tallyRules(doc.rules);
    if (!Array.isArray(doc.members)) { throw new TallyInputError("members: not an array"); }
    if (!Array.isArray(doc.items)) { throw new TallyInputError("items: not an array"); }
    if (!Array.isArray(doc.ballots)) { throw new TallyInputError("ballots: not an array"); }
    var members = Object.create(null), totalArea = ZERO, totalHeads = ZERO, i, j;
    for (i = 0; i < doc.members.length; i++) {
      var m = doc.members[i], w = "members[" + i + "]";
      if (!isObj(m) || !isNEStr(m.id)) { throw new TallyInputError(w + ".id: not a non-empty string"); }
      if (members[m.id]) { throw new TallyInputError(w + ".id: repeated member " + m.id); }
      var area = parseArea(m.area, false);
      if (area === null) { throw new TallyInputError(w + ".area: " + show(m.area) + " is not an area"); }
      var heads = has(m, "heads") ? m.heads : 1;
      if (!isInt(heads) || heads < 0) { throw new TallyInputError(w + ".heads: not a non-negative integer"); }
      members[m.id] = {area: area, heads: BigInt(heads)};
      totalArea += area; totalHeads += BigInt(heads);
    }
    var items = [], itemIds = Object.create(null);
    for (i = 0; i < doc.items.length; i++) {
      var it = doc.items[i], iw = "items[" + i + "]";
      if (!isObj(it) || !isNEStr(it.id)) { throw new TallyInputError(iw + ".id: not a non-empty string"); }
      if (itemIds[it.id]) { throw new TallyInputError(iw + ".id: repeated item " + it.id); }
      itemIds[it.id] = true;
      if (!isInt(it.category) || it.category < 1 || it.category > 9) { throw new TallyInputError(iw + ".category: not 1–9"); }
      var kind = has(it, "kind") ? it.kind : "resolution";
      if (kind !== "resolution" && kind !== "election" && !ONE_OF[kind]) { throw new TallyInputError(iw + ".kind: unknown kind"); }
      if (kind === "resolution" && (has(it, "options") || has(it, "seats"))) { throw new TallyInputError(iw + ": options or seats on a resolution"); }
      if (ONE_OF[kind] && has(it, "seats")) { throw new TallyInputError(iw + ".seats: only elections have seats"); }
      if (kind === "election" && it.category !== 3 && it.category !== 9) { throw new TallyInputError(iw + ": an election must be category 3 or 9"); }
      if (kind === "election" && (!isInt(it.seats) || it.seats < 1)) { throw new TallyInputError(iw + ".seats: not a positive integer"); }
      var options = [];
      if (kind !== "resolution") {
        if (!Array.isArray(it.options) || it.options.length === 0) { throw new TallyInputError(iw + ".options: not a non-empty array"); }
        var seenOpt = Object.create(null);
        for (j = 0; j < it.options.length; j++) {
          if (!isNEStr(it.options[j]) || seenOpt[it.options[j]]) { throw new TallyInputError(iw + ".options[" + j + "]: empty or repeated"); }
          seenOpt[it.options[j]] = true;
          options.push(it.options[j]);
        }
      }
      if (has(it, "title") && !isStr(it.title)) { throw new TallyInputError(iw + ".title: not a string"); }
      items.push({id: it.id, category: it.category, kind: kind, title: it.title, hasTitle: has(it, "title"),
        seats: it.seats, options: options, thresholds: rules.byCategory[it.category]});
    }
    var ballots = [], voted = Object.create(null);
    for (i = 0; i < doc.ballots.length; i++) {
      var b = doc.ballots[i], bw = "ballots[" + i + "]";
      if (!isObj(b) || !isStr(b.member) || !members[b.member]) { throw new TallyInputError(bw + ".member: not a member"); }
      if (voted[b.member] !== undefined) { throw new TallyInputError(bw + ": second ballot for member " + b.member + " (the first is ballots[" + voted[b.member] + "])"); }
      voted[b.member] = i;
      if (!isObj(b.choices)) { throw new TallyInputError(bw + ".choices: not an object"); }
      var ck = Object.keys(b.choices);
      for (j = 0; j < ck.length; j++) {
        if (!itemIds[ck[j]]) { throw new TallyInputError(bw + ".choices." + ck[j] + ": not an item"); }
      }
      ballots.push({weight: members[b.member], choices: b.choices});
    }
    var PA = ZERO, PH = ZERO;
    for (i = 0; i < ballots.length; i++) { PA += ballots[i].weight.area; PH += ballots[i].weight.heads; }
    var out = {totals: {area: formatArea(totalArea), heads: Number(totalHeads)}, ballots: ballots.length, items: {}};
    for (i = 0; i < items.length; i++) {
      var nums = {TA: totalArea, TH: totalHeads, PA: PA, PH: PH};
      var result = tallyItem(items[i], ballots, PA, PH, totalArea, totalHeads, rules.alternates, nums);
      result.reason = reasonOf(items[i], result, nums);
      out.items[items[i].id] = result;
    }
    return out;
  }

  function Acc() { this.area = ZERO; this.heads = ZERO; this.n = 0; }
  Acc.prototype.add = function (w) { this.area += w.area; this.heads += w.heads; this.n++; };

  function tallyItem(item, ballots, PA, PH, TA, TH, alternatesWanted, nums) {
    var q = item.thresholds.quorum, a = item.thresholds.approval, i, j;
    function weight(acc) {
      return {area: formatArea(acc.area), heads: Number(acc.heads),
        of_participants: {area: share(acc.area, PA), heads: share(acc.heads, PH)},
        of_totals: {area: share(acc.area, TA), heads: share(acc.heads, TH)}};
    }
    var qArea = meets(q.rule, PA, TA), qHeads = meets(q.rule, PH, TH), quorumMet = qArea && qHeads;
    var out = {kind: item.kind, category: item.category};
    if (item.hasTitle) { out.title = item.title; }
    out.thresholds = {};
    out.thresholds.quorum = {}; out.thresholds.quorum[q.rule.op] = q.rule.text; out.thresholds.quorum.source = q.source;
    out.thresholds.approval = {}; out.thresholds.approval[a.rule.op] = a.rule.text; out.thresholds.approval.source = a.source;
    out.participation = {area: formatArea(PA), heads: Number(PH), quorum_met: quorumMet, area_met: qArea, heads_met: qHeads,
      of_totals: {area: share(PA, TA), heads: share(PH, TH)}};
    var abstain = new Acc(), invalid = new Acc();
    if (item.kind === "resolution") {
      var agree = new Acc(), disagree = new Acc();
      for (i = 0; i < ballots.length; i++) {
        var has_ = has(ballots[i].choices, item.id), v = has_ ? ballots[i].choices[item.id] : "abstain";
        if (v === "agree") { agree.add(ballots[i].weight); }
        else if (v === "disagree") { disagree.add(ballots[i].weight); }
        else if (v === "abstain") { abstain.add(ballots[i].weight); }
        else { invalid.add(ballots[i].weight); }
      }
      out.counts = {agree: weight(agree), disagree: weight(disagree), abstain: weight(abstain), invalid: weight(invalid)};
      nums.agree = agree; nums.disagree = disagree; nums.abstain = abstain; nums.invalid = invalid;
      var am = meets(a.rule, agree.area, PA), hm = meets(a.rule, agree.heads, PH);
      out.approval = {area_met: am, heads_met: hm, met: am && hm};
      out.passed = quorumMet && am && hm;
      return out;
    }
    var opts = item.options, accs = {}, limit = item.kind === "election" ? item.seats : 1;
    for (j = 0; j < opts.length; j++) { accs[opts[j]] = new Acc(); }
    for (i = 0; i < ballots.length; i++) {
      var w = ballots[i].weight;
      if (!has(ballots[i].choices, item.id)) { abstain.add(w); continue; }
      var marks = ballots[i].choices[item.id];
      if (!Array.isArray(marks)) { invalid.add(w); continue; }
      if (marks.length === 0) { abstain.add(w); continue; }
      var ok = marks.length <= limit, seen = Object.create(null);
      for (j = 0; ok && j < marks.length; j++) {
        if (!isStr(marks[j]) || !has(accs, marks[j]) || seen[marks[j]]) { ok = false; } else { seen[marks[j]] = true; }
      }
      if (!ok) { invalid.add(w); continue; }
      for (j = 0; j < marks.length; j++) { accs[marks[j]].add(w); }
    }
    out.counts = {abstain: weight(abstain), invalid: weight(invalid)};
    nums.abstain = abstain; nums.invalid = invalid; nums.accs = accs;
    var table = {}, reached = {};
    for (j = 0; j < opts.length; j++) {
      var acc = accs[opts[j]], row = weight(acc);
      reached[opts[j]] = meets(a.rule, acc.area, PA) && meets(a.rule, acc.heads, PH);
      row.reached = reached[opts[j]];
      if (item.kind === "election") { row.eligible = reached[opts[j]] && quorumMet; }
      table[opts[j]] = row;
    }
    if (item.kind === "election") {
      out.candidates = table;
      var eligible = [];
      for (j = 0; j < opts.length; j++) { if (reached[opts[j]] && quorumMet) { eligible.push(j); } }
      eligible.sort(function (x, y) {
        var ax = accs[opts[x]], ay = accs[opts[y]];
        if (ax.heads !== ay.heads) { return ax.heads > ay.heads ? -1 : 1; }
        if (ax.area !== ay.area) { return ax.area > ay.area ? -1 : 1; }
        return x - y;
      });
      var groups = [];
      for (j = 0; j < eligible.length; j++) {
        var cur = accs[opts[eligible[j]]], last = groups.length ? groups[groups.length - 1] : null;
        if (last && accs[opts[last[0]]].heads === cur.heads && accs[opts[last[0]]].area === cur.area) { last.push(eligible[j]); }
        else { groups.push([eligible[j]]); }
      }
      function names(g) { return g.slice().sort(function (x, y) { return x - y; }).map(function (k) { return opts[k]; }); }
      var left = item.seats, elected = [], tie = null, tiedSeats = 0, g = 0;
      while (g < groups.length && left > 0) {
        if (groups[g].length <= left) {
          elected = elected.concat(names(groups[g])); left -= groups[g].length; g++;
        } else {
          tie = names(groups[g]); tiedSeats = left; g++; break;
        }
      }
      var pending = tie ? Math.min(tie.length - tiedSeats, alternatesWanted) : 0;
      var places = alternatesWanted - pending, alts = [], altTie = null;
      while (g < groups.length && places > 0) {
        if (groups[g].length <= places) { alts = alts.concat(names(groups[g])); places -= groups[g].length; g++; }
        else { altTie = names(groups[g]); break; }
      }
      out.seats = item.seats;
      out.elected = elected;
      out.tie = tie;
      out.tied_seats = tiedSeats;
      out.unfilled = item.seats - elected.length;
      out.alternates = alts;
      out.alternates_wanted = alternatesWanted;
      out.alternates_pending = pending;
      out.alternates_tie = altTie;
      out.passed = elected.length === item.seats && tie === null;
      return out;
    }
    out.options = table;
    var winner = null;
    for (j = 0; j < opts.length; j++) { if (reached[opts[j]] && quorumMet) { winner = opts[j]; break; } }
    var closest = null, closestTie = null;
    // With no participating area or heads the shares are undefined: "an estate with no area or no
    // heads decides nothing" (docs/tally-format.md), so no option is named closest.
    if (winner === null && PA !== ZERO && PH !== ZERO) {
      // the smaller of the two shares of the participants, compared exactly
      var best = [], bestKey = null;
      var minShare = function (acc) {
        var x = {n: acc.area, d: PA}, y = {n: acc.heads, d: PH};
        return x.n * y.d <= y.n * x.d ? x : y;
      };
      var cmp = function (k1, k2) {   // >0 when k1 ranks higher
        var l = k1.s.n * k2.s.d, r = k2.s.n * k1.s.d;
        if (l !== r) { return l > r ? 1 : -1; }
        if (k1.h !== k2.h) { return k1.h > k2.h ? 1 : -1; }
        if (k1.a !== k2.a) { return k1.a > k2.a ? 1 : -1; }
        return 0;
      };
      for (j = 0; j < opts.length; j++) {
        var oa = accs[opts[j]];
        if (oa.area === ZERO && oa.heads === ZERO) { continue; }   // "an option with no votes is never closest"
        var key = {s: minShare(oa), h: oa.heads, a: oa.area};
        var c = bestKey === null ? 1 : cmp(key, bestKey);
        if (c > 0) { best = [opts[j]]; bestKey = key; } else if (c === 0) { best.push(opts[j]); }
      }
      if (best.length === 1) { closest = best[0]; } else if (best.length > 1) { closestTie = best; }
    }
    out.winner = winner;
    out.closest = closest;
    out.closest_tie = closestTie;
    out.passed = winner !== null;
    return out;
  }

  // ------------------------------------------------------------------ reason texts (docs/tally-format.md, "Reason texts")
  //
  // Derived from the numbers like every other value of the tally and compared with the bundle's:
  // the templates are the format's, word for word.

  var ZH_DIGITS = "零一二三四五六七八九";
  function zhInt(n) {
    n = Number(n);
    if (n < 0 || n > 9999) { return String(n); }
    if (n < 10) { return ZH_DIGITS[n]; }
    var out = "", zero = false, units = [[1000, "千"], [100, "百"], [10, "十"], [1, ""]];
    for (var i = 0; i < units.length; i++) {
      var d = Math.floor(n / units[i][0]) % 10;
      if (d) {
        if (zero) { out += "零"; zero = false; }
        out += (units[i][1] === "十" && d === 1 && !out ? "" : ZH_DIGITS[d]) + units[i][1];
      } else if (out) { zero = true; }
    }
    return out;
  }
  var SOURCE_EN = "Civil Code Art. 278 ¶2", SOURCE_ZH = "《民法典》第二百七十八条第二款";
  function thresholdEn(rule) { return (rule.op === "at_least" ? "at least " : "more than ") + rule.p + "/" + rule.q; }
  function thresholdZh(rule) {
    var f = zhInt(rule.q) + "分之" + zhInt(rule.p);
    if (rule.op === "at_least") { return f + "以上"; }
    return rule.p === ONE && rule.q === BigInt(2) ? "过半数" : "超过" + f;
  }
  function sourceEn(source) { return source === ESTATE_SOURCE ? "the estate's rules of procedure, stricter than " + SOURCE_EN : SOURCE_EN; }
  function sourceZh(source) { return source === ESTATE_SOURCE ? "本小区业主大会议事规则（严于" + SOURCE_ZH + "）" : SOURCE_ZH; }
  function pctText(part, whole) { return share(part, whole) || "n/a"; }
  function owners(n) { return n === ONE ? "1 owner" : n + " owners"; }
  function failedEn(c) {
    if (!c.area && !c.heads) { return "both the area test and the heads test failed"; }
    return !c.area ? "the area test failed" : "the heads test failed";
  }
  function failedZh(c) {
    if (!c.area && !c.heads) { return "面积和人数均未达到"; }
    return !c.area ? "面积未达到" : "人数未达到";
  }
  function metEn(c) { return c.area && c.heads ? "met" : "not met (" + failedEn(c) + ")"; }
  function metZh(c) { return c.area && c.heads ? "已达到" : "未达到（" + failedZh(c) + "）"; }
  function namesEn(list) { return list.length === 1 ? list[0] : list.slice(0, -1).join(", ") + " and " + list[list.length - 1]; }

  /* The reason of one item: n holds the numbers (BigInt hundredths and heads) the tally used. */
  function reasonOf(item, out, n) {
    var TA = n.TA, TH = n.TH, PA = n.PA, PH = n.PH, q = item.thresholds.quorum, a = item.thresholds.approval;
    function wEn(w) { return formatArea(w.area) + " m² and " + owners(w.heads); }
    function wZh(w) { return "面积 " + formatArea(w.area) + " 平方米、" + w.heads + " 人"; }
    function sharesEn(w) {
      return pctText(w.area, PA) + " of the participating area and " + pctText(w.heads, PH) + " of the participating heads (the legal test); " +
        pctText(w.area, TA) + " of the total area and " + pctText(w.heads, TH) + " of the total heads";
    }
    function sharesZh(w) {
      return "占参与表决面积的 " + pctText(w.area, PA) + "、参与表决人数的 " + pctText(w.heads, PH) + "（法定计算口径）；" +
        "占总面积的 " + pctText(w.area, TA) + "、总人数的 " + pctText(w.heads, TH);
    }
    function ruleEn(who) {
      var t = thresholdEn(a.rule);
      return who + " needs " + t + " of the participating area and " + t + " of the participating heads (" + sourceEn(a.source) + ")";
    }
    function ruleZh() {
      var t = thresholdZh(a.rule);
      return "依据" + sourceZh(a.source) + "，须经参与表决专有部分面积" + t + "且参与表决人数" + t + "的业主同意";
    }
    function optionEn(o, verdict) {
      var v = n.accs[o];
      return o + ": " + owners(v.heads) + " and " + formatArea(v.area) + " m², " + pctText(v.heads, PH) + " of the participating heads and " +
        pctText(v.area, PA) + " of the participating area (" + pctText(v.heads, TH) + " and " + pctText(v.area, TA) + " of the totals) — " + verdict;
    }
    function optionZh(o, verdict) {
      var v = n.accs[o];
      return o + "：" + v.heads + " 人、面积 " + formatArea(v.area) + " 平方米，占参与表决人数的 " + pctText(v.heads, PH) + "、参与表决面积的 " +
        pctText(v.area, PA) + "（占总人数的 " + pctText(v.heads, TH) + "、总面积的 " + pctText(v.area, TA) + "）——" + verdict;
    }
    function check(w) { return {area: meets(a.rule, w.area, PA), heads: meets(a.rule, w.heads, PH)}; }
    var quorum = {area: out.participation.area_met, heads: out.participation.heads_met}, quorumMet = out.participation.quorum_met;
    var en = [
      "Estate totals: " + formatArea(TA) + " m² of exclusive area and " + owners(TH) + " (heads).",
      "Took part: " + formatArea(PA) + " m² (" + pctText(PA, TA) + " of the total area) and " + owners(PH) + " (" + pctText(PH, TH) +
        " of the total heads). The quorum is " + thresholdEn(q.rule) + " of the total area and " + thresholdEn(q.rule) +
        " of the total heads (" + sourceEn(q.source) + "): " + metEn(quorum) + "."
    ];
    var zh = [
      "全体业主专有部分总面积 " + formatArea(TA) + " 平方米，总人数 " + TH + " 人。",
      "参与表决的业主专有部分面积 " + formatArea(PA) + " 平方米，占总面积的 " + pctText(PA, TA) + "；人数 " + PH + " 人，占总人数的 " +
        pctText(PH, TH) + "。依据" + sourceZh(q.source) + "，应由专有部分面积占比" + thresholdZh(q.rule) + "且人数占比" + thresholdZh(q.rule) +
        "的业主参与表决：" + metZh(quorum) + "。"
    ];
    var i, linesEn = [], linesZh = [], o, v;
    if (item.kind === "resolution") {
      var ag = n.agree, approval = check(ag);
      en.push("Agree: " + wEn(ag) + ", that is " + sharesEn(ag) + ". Disagree: " + wEn(n.disagree) + ". Abstain (including items left unmarked): " +
        wEn(n.abstain) + ". Invalid: " + wEn(n.invalid) + ". Abstentions and invalid marks take part but do not agree.");
      zh.push("同意：" + wZh(ag) + "，" + sharesZh(ag) + "。反对：" + wZh(n.disagree) + "。弃权（含未填写）：" + wZh(n.abstain) + "。废票：" +
        wZh(n.invalid) + "。弃权票和废票计入参与表决，但不计为同意。");
      en.push("Approval: " + ruleEn("the item") + ": " + metEn(approval) + ".");
      zh.push(ruleZh() + "：" + metZh(approval) + "。");
      if (out.passed) { en.push("Result: passed."); zh.push("结论：通过。"); }
      else if (!quorumMet) {
        en.push("Result: not passed, because the quorum was not met (" + failedEn(quorum) + ").");
        zh.push("结论：未通过，因参与表决的业主未达到规定比例（" + failedZh(quorum) + "）。");
      } else {
        en.push("Result: not passed, because approval was not reached (" + failedEn(approval) + ").");
        zh.push("结论：未通过，因同意的业主未达到规定比例（" + failedZh(approval) + "）。");
      }
      return {zh: zh.join(""), en: en.join(" ")};
    }
    var opts = item.options;
    if (item.kind === "election") {
      en.unshift("Election of " + item.seats + " seat(s) among " + opts.length + " candidate(s).");
      zh.unshift("选举 " + item.seats + " 个席位，候选人 " + opts.length + " 名。");
      en.push(ruleEn("Each candidate") + ", and a met quorum; seats then go by heads, then by area.");
      zh.push(ruleZh() + "，且参与表决须达到规定比例，方可当选；当选名次先按同意人数、再按同意面积排列。");
      for (i = 0; i < opts.length; i++) {
        o = opts[i]; var c = check(n.accs[o]), reached = c.area && c.heads, vEn, vZh;
        if (reached && quorumMet) { vEn = "eligible"; vZh = "达到当选比例"; }
        else if (reached) { vEn = "threshold reached but the quorum failed"; vZh = "达到比例，但参与表决未达到规定比例"; }
        else { vEn = "not eligible (" + failedEn(c) + ")"; vZh = "未达到当选比例（" + failedZh(c) + "）"; }
        linesEn.push(optionEn(o, vEn)); linesZh.push(optionZh(o, vZh));
      }
      en.push("Votes: " + linesEn.join("; ") + ".");
      zh.push("得票：" + linesZh.join("；") + "。");
      en.push("Abstained (no candidate marked): " + wEn(n.abstain) + ". Spoiled (more marks than seats, or an unknown or repeated candidate): " + wEn(n.invalid) + ".");
      zh.push("弃权（未选任何候选人）：" + wZh(n.abstain) + "。废票（所选人数超过席位数，或选了非候选人、重复选同一人）：" + wZh(n.invalid) + "。");
      if (!quorumMet) { en.push("Nobody is elected, because the quorum was not met."); zh.push("因参与表决的业主未达到规定比例，无人当选。"); }
      else if (out.elected.length) { en.push("Elected, in rank order: " + out.elected.join(", ") + "."); zh.push("当选（按名次）：" + out.elected.join("、") + "。"); }
      else { en.push("Nobody is elected."); zh.push("无人当选。"); }
      if (out.tie) {
        en.push(namesEn(out.tie) + " are fully tied (same heads and same area) for the last " + out.tied_seats + " seat(s); this count does not break the tie: a re-vote among them decides.");
        zh.push(out.tie.join("、") + " 的同意人数和面积完全相同，争夺最后 " + out.tied_seats + " 个席位；本次计票不作取舍，由其间重新表决决定。");
      }
      if (out.unfilled) {
        var by = out.unfilled - out.tied_seats;
        en.push("Unfilled seats: " + out.unfilled + (out.tied_seats ? ", of which " + out.tied_seats + " await the re-vote" : "") +
          (by ? (by === 1 ? "; 1 goes to a by-election" : "; " + by + " go to a by-election") : "") + ".");
        zh.push("空缺席位 " + out.unfilled + " 个" + (out.tied_seats ? "，其中 " + out.tied_seats + " 个待重新表决" : "") + (by ? "，" + by + " 个须补选" : "") + "。");
      }
      if (out.alternates_wanted && quorumMet) {
        en.push("Alternates (up to " + out.alternates_wanted + " under the estate's rules, eligible candidates without a seat in the same order): " +
          (out.alternates.length ? out.alternates.join(", ") : "none") + ".");
        zh.push("候补委员（依议事规则至多 " + out.alternates_wanted + " 名，由未当选但达到当选比例者按名次递补）：" +
          (out.alternates.length ? out.alternates.join("、") : "无") + "。");
        if (out.alternates_pending) {
          en.push("The first " + out.alternates_pending + " alternate place(s), ahead of those named, go to the tied candidates who lose the re-vote.");
          zh.push("前 " + out.alternates_pending + " 个候补名次（排在上列人员之前）由重新表决中未当选的并列候选人依次递补。");
        }
        if (out.alternates_tie) {
          en.push(namesEn(out.alternates_tie) + " are fully tied for the last alternate place(s); this count does not break the tie.");
          zh.push(out.alternates_tie.join("、") + " 并列争夺最后的候补名次，本次计票不作取舍。");
        }
      }
      if (out.passed) { en.push("Result: passed, all " + item.seats + " seat(s) filled."); zh.push("结论：通过，" + item.seats + " 个席位全部产生。"); }
      else if (!quorumMet) {
        en.push("Result: not passed, because the quorum was not met (" + failedEn(quorum) + ").");
        zh.push("结论：未通过，因参与表决的业主未达到规定比例（" + failedZh(quorum) + "）。");
      } else {
        en.push("Result: not passed, because " + (out.tie ? "a tie must be decided by a re-vote" : out.unfilled + " seat(s) remain unfilled") + ".");
        zh.push("结论：未通过，因" + (out.tie ? "存在并列，须重新表决" : "尚有 " + out.unfilled + " 个席位空缺") + "。");
      }
      return {zh: zh.join(""), en: en.join(" ")};
    }
    var W = ONE_OF_WORDS[item.kind];
    en.unshift(W.introEn.replace("{n}", opts.length));
    zh.unshift(W.introZh.replace("{n}", opts.length));
    en.push(ruleEn(W.subjectEn) + ", and a met quorum, to be " + W.toBeEn + ".");
    zh.push(ruleZh() + "，且参与表决须达到规定比例，方可选定。");
    for (i = 0; i < opts.length; i++) {
      o = opts[i]; v = check(n.accs[o]);
      linesEn.push(optionEn(o, v.area && v.heads ? "reached" : "not reached (" + failedEn(v) + ")"));
      linesZh.push(optionZh(o, v.area && v.heads ? "达到规定比例" : "未达到规定比例（" + failedZh(v) + "）"));
    }
    en.push("Votes: " + linesEn.join("; ") + ".");
    zh.push("得票：" + linesZh.join("；") + "。");
    en.push("Abstained: " + wEn(n.abstain) + ". Spoiled (" + W.spoiledEn + "): " + wEn(n.invalid) + ".");
    zh.push("弃权：" + wZh(n.abstain) + "。废票（" + W.spoiledZh + "）：" + wZh(n.invalid) + "。");
    if (out.winner !== null) {
      en.push(W.chosenEn.replace("{w}", out.winner));
      zh.push(W.chosenZh.replace("{w}", out.winner));
      return {zh: zh.join(""), en: en.join(" ")};
    }
    if (!quorumMet) {
      en.push("Result: not passed, because the quorum was not met (" + failedEn(quorum) + "); " + W.noneEn + ".");
      zh.push("结论：未通过，因参与表决的业主未达到规定比例（" + failedZh(quorum) + "），未选定任何" + W.nounZh + "。");
    } else {
      en.push("Result: not passed: no " + W.nounEn + " reached the threshold on both area and heads.");
      zh.push("结论：未通过，没有" + W.nounZh + "在面积和人数上同时达到规定比例。");
    }
    if (out.closest !== null) {
      v = n.accs[out.closest];
      en.push(W.closestEn + " (largest of the smaller of its two shares of the participants): " + out.closest + ", with " +
        pctText(v.heads, PH) + " of the participating heads and " + pctText(v.area, PA) + " of the participating area.");
      zh.push(W.closestZh + " " + out.closest + "（按面积与人数两项占比中较小者比较），获参与表决人数的 " + pctText(v.heads, PH) +
        "、参与表决面积的 " + pctText(v.area, PA) + "。");
    } else if (out.closest_tie) {
      en.push(namesEn(out.closest_tie) + " came equally close; " + W.noClosestEn + ".");
      zh.push(out.closest_tie.join("、") + " 同样接近规定比例，" + W.noClosestZh + "。");
    }
    if (item.category === 4) {
      en.push("Under Civil Code Art. 948, if the contract of the serving property-service firm has expired and the firm keeps serving, " +
        "the contract continues in force for an open-ended term; either side may end it with 60 days' written notice.");
      zh.push("依据《民法典》第九百四十八条，物业服务期限届满后，业主没有依法作出续聘或者另聘物业服务人决定，" +
        "物业服务人继续提供物业服务的，原物业服务合同继续有效，但是服务期限为不定期；" +
        "当事人可以随时解除不定期物业服务合同，但是应当提前六十日书面通知对方。");
    }
    return {zh: zh.join(""), en: en.join(" ")};
  }
  var ONE_OF_WORDS = {
    selection: {introEn: "Selection of one among {n} option(s).", introZh: "在 {n} 个选项中选定一个。", nounEn: "option", nounZh: "选项",
      spoiledEn: "more than one mark, or an unknown option", spoiledZh: "选择多于一项或选了非候选项",
      chosenEn: "Result: passed; selected: {w}.", chosenZh: "结论：通过，选定 {w}。", subjectEn: "An option", toBeEn: "selected",
      closestEn: "Closest", noClosestEn: "none is named closest", noClosestZh: "不指定最接近者", noneEn: "nothing is selected",
      closestZh: "最接近规定比例的是"},
    plan: {introEn: "Choice of one plan among {n} plan(s).", introZh: "在 {n} 个方案中选定一个方案。", nounEn: "plan", nounZh: "方案",
      spoiledEn: "more than one plan marked, or an unknown plan", spoiledZh: "选择多于一个方案或选了本事项以外的方案",
      chosenEn: "Result: passed; plan chosen: {w}.", chosenZh: "结论：通过，选定方案 {w}。", subjectEn: "A plan", toBeEn: "chosen",
      closestEn: "Closest plan", noClosestEn: "no plan is named closest", noClosestZh: "不指定最接近的方案", noneEn: "no plan is chosen",
      closestZh: "最接近规定比例的方案是"}
  };

  // ------------------------------------------------------------------ value-by-value comparison

  function typeName(v) { return v === null ? "null" : Array.isArray(v) ? "array" : typeof v; }
  /* Report every path at which got differs from want. */
  function diff(want, got, path, report) {
    if (isObj(want) && isObj(got)) {
      var wk = Object.keys(want), gk = Object.keys(got), i;
      for (i = 0; i < wk.length; i++) {
        if (!has(got, wk[i])) { report(keyPath(path, wk[i]) + ": missing (expected " + show(want[wk[i]]) + ")"); }
        else { diff(want[wk[i]], got[wk[i]], keyPath(path, wk[i]), report); }
      }
      for (i = 0; i < gk.length; i++) {
        if (!has(want, gk[i])) { report(keyPath(path, gk[i]) + ": unexpected member (" + show(got[gk[i]]) + ")"); }
      }
      return;
    }
    if (Array.isArray(want) && Array.isArray(got)) {
      if (want.length !== got.length) {
        report(path + ": " + got.length + " elements, expected " + want.length + " (" + show(got) + " vs " + show(want) + ")");
      }
      for (var j = 0; j < Math.min(want.length, got.length); j++) { diff(want[j], got[j], path + "[" + j + "]", report); }
      return;
    }
    if (typeName(want) !== typeName(got) || want !== got) {
      if (typeName(want) === "object" || typeName(want) === "array" || typeName(got) === "object" || typeName(got) === "array") {
        report(path + ": is " + show(got) + ", expected " + show(want));
      } else {
        report(path + ": is " + show(got) + ", expected " + show(want));
      }
    }
  }

  // ------------------------------------------------------------------ the report

  function Report(options) {
    this.failures = [];
    this.facts = {};
    this.readable = true;
    this.options = options;
    this.done = 0;
    this.total = 1;
    this.lastYield = now();
  }
  Report.prototype.fail = function (check, message) { this.failures.push({check: check, message: message}); };
  Report.prototype.progress = async function (n, what) {
    this.done = Math.min(this.total, this.done + n);
    if (this.options.onProgress) {
      try { this.options.onProgress(this.done, this.total, what); } catch (e) { /* a progress bar must not break the check */ }
    }
    if (now() - this.lastYield > 30) { await yieldNow(); this.lastYield = now(); }
  };
  /* Members exactly: required and optional names; reports what is missing or unknown. */
  Report.prototype.members = function (check, path, obj, required, optional) {
    if (!isObj(obj)) { this.fail(check, path + ": not an object (" + show(obj) + ")"); return false; }
    var ok = true, i;
    for (i = 0; i < required.length; i++) {
      if (!has(obj, required[i])) { this.fail(check, path + ": missing member \"" + required[i] + "\""); ok = false; }
    }
    var ks = Object.keys(obj);
    for (i = 0; i < ks.length; i++) {
      if (required.indexOf(ks[i]) < 0 && (!optional || optional.indexOf(ks[i]) < 0)) {
        this.fail(check, path + ": unknown member \"" + ks[i] + "\""); ok = false;
      }
    }
    return ok;
  };
  Report.prototype.expect = function (check, cond, message) { if (!cond) { this.fail(check, message); } return !!cond; };

  // ------------------------------------------------------------------ §6 the notice

  var ITEM_KEYS = {
    resolution: [["id", "category", "kind", "title"], ["text", "attachments"]],
    election: [["id", "category", "kind", "title", "seats", "options"], ["text", "attachments"]],
    selection: [["id", "category", "kind", "title", "options"], ["text", "attachments"]],
    plan: [["id", "category", "kind", "title", "options"], ["text", "attachments"]]
  };
  // An option's members by item kind: candidates and bidders; plans (no credit code, no fee).
  var OPTION_KEYS = {
    election: [["id", "name"], ["statement", "uscc", "fee", "attachments"]],
    selection: [["id", "name"], ["statement", "uscc", "fee", "attachments"]],
    plan: [["id", "name"], ["text", "attachment_sha256", "attachment_name"]]
  };
  var FEE = AREA2;

  function checkAttachments(R, path, list) {
    if (!Array.isArray(list)) { R.fail("notice", path + ": not an array"); return; }
    for (var i = 0; i < list.length; i++) {
      var p = path + "[" + i + "]";
      if (R.members("notice", p, list[i], ["name", "sha256"])) {
        R.expect("notice", isNEStr(list[i].name), p + ".name: not a non-empty string");
        R.expect("notice", isHex64(list[i].sha256), p + ".sha256: not 64 lowercase hexadecimal digits");
      }
    }
  }

  /* Structure of the notice; returns true when the derived sections can be computed from it. */
  function checkNotice(R, n) {
    var C = "notice", P = "notice";
    if (!R.members(C, P, n, ["type", "v", "estate", "assembly", "title", "kind", "version", "published_at", "opens",
      "closes", "replace_allowed", "synthetic", "rules", "items", "kid", "sig"])) {
      if (!isObj(n)) { return false; }
    }
    R.expect(C, n.type === "ownersvote-notice", P + ".type: is " + show(n.type) + ", expected \"ownersvote-notice\"");
    R.expect(C, n.v === 1, P + ".v: is " + show(n.v) + ", expected 1");
    if (R.members(C, P + ".estate", n.estate, ["id", "name"])) {
      R.expect(C, isNEStr(n.estate.id), P + ".estate.id: not a non-empty string");
      R.expect(C, isStr(n.estate.name), P + ".estate.name: not a string");
    }
    R.expect(C, isNEStr(n.assembly), P + ".assembly: not a non-empty string");
    R.expect(C, isStr(n.title), P + ".title: not a string");
    R.expect(C, ["first", "regular", "extraordinary"].indexOf(n.kind) >= 0, P + ".kind: " + show(n.kind) + " is not first, regular or extraordinary");
    R.expect(C, isInt(n.version) && n.version >= 1, P + ".version: " + show(n.version) + " is not an integer ≥ 1");
    var times = ["published_at", "opens", "closes"], t;
    for (t = 0; t < times.length; t++) {
      R.expect(C, isInt(n[times[t]]), P + "." + times[t] + ": " + show(n[times[t]]) + " is not an integer (ms)");
    }
    if (isInt(n.opens) && isInt(n.closes)) { R.expect(C, n.opens < n.closes, P + ": opens (" + n.opens + ") is not before closes (" + n.closes + ")"); }
    if (isInt(n.published_at) && isInt(n.opens)) {
      R.expect(C, n.published_at <= n.opens, P + ": published_at (" + n.published_at + ") is after opens (" + n.opens + ")");
    }
    R.expect(C, isBool(n.replace_allowed), P + ".replace_allowed: not a boolean");
    R.expect(C, isBool(n.synthetic), P + ".synthetic: not a boolean");
    if (R.members(C, P + ".rules", n.rules, ["thresholds", "alternates", "required_signatures", "counting_rule"])) {
      var r = n.rules;
      R.expect(C, isInt(r.alternates) && r.alternates >= 0, P + ".rules.alternates: not an integer ≥ 0");
      R.expect(C, isInt(r.required_signatures) && r.required_signatures >= 1, P + ".rules.required_signatures: not an integer ≥ 1");
      R.expect(C, r.counting_rule === null || isStr(r.counting_rule), P + ".rules.counting_rule: neither a string nor null");
      if (!isObj(r.thresholds)) { R.fail(C, P + ".rules.thresholds: not an object"); }
      else {
        var cats = Object.keys(r.thresholds);
        for (var c = 0; c < cats.length; c++) {
          var cp = P + ".rules.thresholds." + cats[c], spec = r.thresholds[cats[c]];
          if (!new RegExp("^[1-9]$").test(cats[c])) { R.fail(C, cp + ": not a category \"1\"…\"9\""); continue; }
          if (!R.members(C, cp, spec, [], ["quorum", "approval"])) { continue; }
          var which = Object.keys(spec);
          for (var w = 0; w < which.length; w++) {
            var rule;
            try { rule = parseThreshold(spec[which[w]]); } catch (msg) { R.fail(C, cp + "." + which[w] + ": " + msg); continue; }
            if (gcd(rule.p, rule.q) !== ONE) { R.fail(C, cp + "." + which[w] + ": " + rule.text + " is not in lowest terms"); }
            var statute = which[w] === "quorum" ? STATUTE_QUORUM : statuteApproval(Number(cats[c]));
            if (!atLeastAsStrict(rule, statute)) {
              R.fail(C, cp + "." + which[w] + ": looser than the statute (" + statute.op.replace("_", " ") + " " + statute.text + ")");
            }
          }
        }
      }
    }
    if (!Array.isArray(n.items) || n.items.length === 0) { R.fail(C, P + ".items: not a non-empty array"); return false; }
    var ids = Object.create(null), usable = true;
    for (var i = 0; i < n.items.length; i++) {
      var it = n.items[i], ip = P + ".items[" + i + "]";
      if (!isObj(it)) { R.fail(C, ip + ": not an object"); usable = false; continue; }
      var spec2 = ITEM_KEYS[it.kind];
      if (!spec2) { R.fail(C, ip + ".kind: " + show(it.kind) + " is not resolution, election, selection or plan"); usable = false; continue; }
      R.members(C, ip, it, spec2[0], spec2[1]);
      if (!isNEStr(it.id)) { R.fail(C, ip + ".id: not a non-empty string"); usable = false; }
      else if (ids[it.id]) { R.fail(C, ip + ".id: repeated item id " + show(it.id)); usable = false; }
      else { ids[it.id] = true; }
      R.expect(C, isInt(it.category) && it.category >= 1 && it.category <= 9, ip + ".category: " + show(it.category) + " is not 1–9");
      R.expect(C, isStr(it.title), ip + ".title: not a string");
      if (has(it, "text")) { R.expect(C, isStr(it.text), ip + ".text: not a string"); }
      if (has(it, "attachments")) { checkAttachments(R, ip + ".attachments", it.attachments); }
      if (it.kind === "election") {
        R.expect(C, isInt(it.seats) && it.seats >= 1, ip + ".seats: " + show(it.seats) + " is not a positive integer");
        R.expect(C, it.category === 3 || it.category === 9, ip + ": an election must be category 3 or 9 (docs/tally-format.md), not " + show(it.category));
      }
      if (it.kind !== "resolution") {
        if (!Array.isArray(it.options) || it.options.length === 0) { R.fail(C, ip + ".options: not a non-empty array"); usable = false; continue; }
        var oids = Object.create(null);
        for (var o = 0; o < it.options.length; o++) {
          var op = it.options[o], opp = ip + ".options[" + o + "]";
          if (!isObj(op)) { R.fail(C, opp + ": not an object"); usable = false; continue; }
          R.members(C, opp, op, OPTION_KEYS[it.kind][0], OPTION_KEYS[it.kind][1]);
          if (!isNEStr(op.id)) { R.fail(C, opp + ".id: not a non-empty string"); usable = false; }
          else if (oids[op.id]) { R.fail(C, opp + ".id: repeated option id " + show(op.id)); }
          else { oids[op.id] = true; }
          R.expect(C, isNEStr(op.name), opp + ".name: not a non-empty string");
          if (has(op, "statement")) { R.expect(C, isStr(op.statement), opp + ".statement: not a string"); }
          if (has(op, "uscc")) { R.expect(C, isStr(op.uscc), opp + ".uscc: not a string"); }
          if (has(op, "fee")) { R.expect(C, isStr(op.fee) && FEE.test(op.fee), opp + ".fee: " + show(op.fee) + " is not a decimal with exactly two decimals"); }
          if (has(op, "attachments")) { checkAttachments(R, opp + ".attachments", op.attachments); }
          if (it.kind === "plan") {
            if (has(op, "text")) { R.expect(C, isStr(op.text), opp + ".text: not a string"); }
            R.expect(C, has(op, "attachment_sha256") === has(op, "attachment_name"),
              opp + ": a plan's attachment needs both attachment_sha256 and attachment_name");
            if (has(op, "attachment_sha256")) { R.expect(C, isHex64(op.attachment_sha256), opp + ".attachment_sha256: not 64 lowercase hexadecimal digits"); }
            if (has(op, "attachment_name")) { R.expect(C, isNEStr(op.attachment_name), opp + ".attachment_name: not a non-empty string"); }
          }
        }
      }
    }
    return usable && isObj(n.rules) && isObj(n.estate);
  }

  function deriveSections(n) {
    var items = [], tItems = [];
    for (var i = 0; i < n.items.length; i++) {
      var it = n.items[i];
      items.push({id: it.id, title: it.title});
      var t = {id: it.id, category: it.category, kind: it.kind, title: it.title};
      if (it.kind === "election") { t.seats = it.seats; }
      if (it.kind === "election" || ONE_OF[it.kind]) {
        t.options = it.options.map(function (o) { return o.id; });
      }
      tItems.push(t);
    }
    return {
      synthetic: n.synthetic,
      estate: n.estate,
      assembly: {id: n.assembly, name: n.title, kind: n.kind, replace_allowed: n.replace_allowed,
        counting_rule: n.rules.counting_rule, voting_opens: n.opens, voting_closes: n.closes, items: items},
      tally_input: {rules: {thresholds: n.rules.thresholds, alternates: n.rules.alternates}, items: tItems}
    };
  }

  // ------------------------------------------------------------------ supervisors and signatures lists

  /* §5: supervisor keys and signatures are listed by key id, in code-point order (kids are
   * base64url, so JavaScript's string order is code-point order). */
  function checkKidOrder(R, check, path, list) {
    if (!Array.isArray(list)) { return; }
    for (var i = 1; i < list.length; i++) {
      var a = list[i - 1], b = list[i];
      if (isObj(a) && isObj(b) && isStr(a.kid) && isStr(b.kid) && b.kid < a.kid) {
        R.fail(check, path + "[" + i + "]: key " + b.kid + " is listed after " + a.kid + " (the list is in key-id order)");
      }
    }
  }
  /* §5: every listed supervisor key signs something (the roll or the certification). */
  function checkEveryKeySigns(R, supervisors, lists) {
    var signing = Object.create(null), ks = Object.keys(supervisors), i, j;
    for (i = 0; i < lists.length; i++) {
      if (!Array.isArray(lists[i])) { continue; }
      for (j = 0; j < lists[i].length; j++) { if (isObj(lists[i][j]) && isStr(lists[i][j].kid)) { signing[lists[i][j].kid] = true; } }
    }
    for (i = 0; i < ks.length; i++) {
      if (!signing[ks[i]]) { R.fail("supervisors", "supervisors: key " + ks[i] + " is listed but signs nothing in the bundle"); }
    }
  }

  async function checkKeyList(R, check, path, list) {
    var map = Object.create(null);
    if (!Array.isArray(list)) { R.fail(check, path + ": not an array"); return map; }
    checkKidOrder(R, check, path, list);
    for (var i = 0; i < list.length; i++) {
      var p = path + "[" + i + "]", e = list[i];
      if (!R.members(check, p, e, ["kid", "jwk"])) { continue; }
      var problem = jwkProblem(e.jwk);
      if (problem) { R.fail(check, p + ".jwk: " + problem); continue; }
      var kid = await thumbprint(e.jwk);
      if (e.kid !== kid) { R.fail(check, p + ".kid: " + show(e.kid) + " is not its key's thumbprint " + kid); continue; }
      if (map[kid]) { R.fail(check, p + ": key " + kid + " is listed twice"); continue; }
      map[kid] = e.jwk;
    }
    return map;
  }

  /* Threshold signatures over payload bytes; returns the list of distinct valid signers. */
  async function checkSignatures(R, S, check, path, sigs, supervisors, pinned, bytes, required) {
    var valid = [];
    if (!Array.isArray(sigs)) { R.fail(check, path + ": not an array"); return valid; }
    checkKidOrder(R, check, path, sigs);
    var seen = Object.create(null);
    for (var i = 0; i < sigs.length; i++) {
      var p = path + "[" + i + "]", s = sigs[i];
      if (!R.members(check, p, s, ["kid", "sig"])) { continue; }
      if (!isStr(s.kid)) { R.fail(check, p + ".kid: not a string"); continue; }
      if (seen[s.kid]) { R.fail(check, p + ": key " + s.kid + " signed twice"); continue; }
      seen[s.kid] = true;
      var jwk = supervisors[s.kid];
      if (!jwk) { R.fail(check, p + ": key " + s.kid + " is not a listed supervisor"); continue; }
      var problem = await S.verify(jwk, s.sig, bytes);
      if (problem) { R.fail(check, p + " by " + s.kid + ": " + problem); continue; }
      if (pinned && pinned.indexOf(s.kid) < 0) {
        R.fail(check, p + ": key " + s.kid + " is not one of the pinned supervisor keys (not counted)");
        continue;
      }
      valid.push(s.kid);
    }
    if (isInt(required)) {
      R.expect(check, valid.length >= required, path + ": " + valid.length + " distinct valid supervisor signature(s), " + required + " required");
    }
    return valid;
  }

  // ------------------------------------------------------------------ §7 the roll

  async function checkRoll(R, S, roll, estateId, supervisors, pinned) {
    var C = "roll", P = "roll", out = {members: Object.create(null), kidOwner: Object.create(null), order: []};
    if (!R.members(C, P, roll, ["id", "frozen_at", "root", "size", "area", "heads", "required_signatures", "signatures", "entries"])) {
      if (!isObj(roll)) { return null; }
    }
    R.expect(C, isNEStr(roll.id), P + ".id: not a non-empty string");
    R.expect(C, isInt(roll.frozen_at), P + ".frozen_at: not an integer (ms)");
    R.expect(C, isInt(roll.required_signatures) && roll.required_signatures >= 1, P + ".required_signatures: " + show(roll.required_signatures) + " is not an integer ≥ 1");
    var entries = Array.isArray(roll.entries) ? roll.entries : [];
    if (!Array.isArray(roll.entries)) { R.fail(C, P + ".entries: not an array"); }
    var area = ZERO, heads = ZERO, prev = null, leaves = new Array(entries.length);
    // key ids of every well-formed key, computed concurrently (WebCrypto is asynchronous)
    var kidsOf = new Array(entries.length);
    await inChunks(entries.length, BATCH, function (n) {
      var e = entries[n];
      if (!isObj(e) || !Array.isArray(e.keys)) { return null; }
      kidsOf[n] = new Array(e.keys.length);
      return Promise.all(e.keys.map(function (key, k) {
        if (!isObj(key) || jwkProblem(key.jwk)) { return null; }
        return thumbprint(key.jwk).then(function (kid) { kidsOf[n][k] = kid; });
      }));
    }, function (n) { return R.progress(n / 2, "roll"); });
    for (var i = 0; i < entries.length; i++) {
      var e = entries[i], p = P + ".entries[" + i + "]";
      var data;
      try { data = utf8(canonical(e)); } catch (err) { data = utf8(show(e)); }
      leaves[i] = data;
      if (!R.members(C, p, e, ["member", "area", "heads", "keys"])) { if (!isObj(e)) { continue; } }
      if (!isNEStr(e.member)) { R.fail(C, p + ".member: not a non-empty string"); }
      else {
        if (prev !== null && compareCodePoints(prev, e.member) >= 0) {
          R.fail(C, p + ".member: " + e.member + (prev === e.member ? " appears twice" : " is out of order (after " + prev + ")"));
        }
        prev = e.member;
      }
      var a = parseArea(e.area, true);
      if (a === null) { R.fail(C, p + ".area: " + show(e.area) + " is not a decimal string with exactly two decimals"); }
      else { area += a; }
      if (!isInt(e.heads) || e.heads < 0) { R.fail(C, p + ".heads: " + show(e.heads) + " is not a non-negative integer"); }
      else { heads += BigInt(e.heads); }
      var kids = Object.create(null), prevKid = null;
      if (!Array.isArray(e.keys)) { R.fail(C, p + ".keys: not an array"); }
      else {
        for (var k = 0; k < e.keys.length; k++) {
          var kp = p + ".keys[" + k + "]", key = e.keys[k];
          if (!R.members(C, kp, key, ["use", "jwk"])) { continue; }
          R.expect(C, key.use === "vote" || key.use === "proxy", kp + ".use: " + show(key.use) + " is not \"vote\" or \"proxy\"");
          var problem = jwkProblem(key.jwk);
          if (problem) { R.fail(C, kp + ".jwk: " + problem); continue; }
          var kid = kidsOf[i][k];
          if (prevKid !== null && prevKid >= kid) {
            R.fail(C, kp + ": key " + kid + (prevKid === kid ? " is repeated" : " is out of order (keys are sorted by key id)"));
          }
          prevKid = kid;
          if (isNEStr(e.member)) {
            if (out.kidOwner[kid] !== undefined && out.kidOwner[kid] !== e.member) {
              R.fail(C, kp + ": key " + kid + " is also registered under member " + out.kidOwner[kid] + " (no key may appear under two members)");
            } else { out.kidOwner[kid] = e.member; }
          }
          kids[kid] = {jwk: key.jwk, use: key.use};
        }
      }
      if (isNEStr(e.member) && !out.members[e.member]) {
        out.members[e.member] = {index: i, area: e.area, heads: e.heads, kids: kids};
        out.order.push(e.member);
      }
    }
    await R.progress(entries.length / 2, "roll");
    var hashes = new Array(leaves.length);
    await inChunks(leaves.length, BATCH, function (j) { return leafHash(leaves[j]).then(function (h) { hashes[j] = h; }); });
    var root = bytesToHex(await merkleRoot(hashes));
    out.root = root; out.size = entries.length; out.area = formatArea(area); out.heads = Number(heads);
    R.expect(C, roll.root === root, P + ".root: is " + show(roll.root) + ", the entries give " + root);
    R.expect(C, roll.size === entries.length, P + ".size: is " + show(roll.size) + ", there are " + entries.length + " entries");
    R.expect(C, roll.area === out.area, P + ".area: is " + show(roll.area) + ", the entries sum to " + out.area);
    R.expect(C, roll.heads === out.heads, P + ".heads: is " + show(roll.heads) + ", the entries sum to " + out.heads);
    var payload = {type: "ownersvote-roll", v: 2, estate: estateId, roll: roll.id, root: root, size: entries.length,
      area: out.area, heads: out.heads, frozen_at: roll.frozen_at, required_signatures: roll.required_signatures};
    out.payload = payload;
    var bytes;
    try { bytes = utf8(canonical(payload)); } catch (err2) { R.fail(C, P + ": the roll payload cannot be rebuilt (" + err2.message + ")"); return out; }
    out.signers = await checkSignatures(R, S, C, P + ".signatures", roll.signatures, supervisors, pinned, bytes,
      isInt(roll.required_signatures) && roll.required_signatures >= 1 ? roll.required_signatures : 1);
    return out;
  }

  // ------------------------------------------------------------------ §7a roll supplements

  var SUPPLEMENT_KEYS = ["type", "v", "estate", "roll", "roll_root", "assembly", "seq", "member", "add", "revoke",
    "made_at", "required_signatures"];

  /* The roll's certified supplements, checked and applied in order: their added keys join the
   * members' keys on ctx.roll (so their ballots' signatures are checked); returns
   * {added: kid → {member, from}, revoked: kid → from, applied: n}. A record with a problem changes nothing. */
  async function checkSupplements(R, S, list, ctx, estateId, rollDoc, supervisors, pinned, logSize) {
    var C = "supplements", out = {added: Object.create(null), revoked: Object.create(null), applied: 0};
    if (list === undefined) { return out; }
    if (!Array.isArray(list)) { R.fail(C, "supplements: not an array"); return out; }
    var current = Object.create(null), members = ctx.roll.members, m;
    for (m in members) { current[m] = Object.assign(Object.create(null), members[m].kids); }
    var required = isObj(rollDoc) ? rollDoc.required_signatures : undefined, previousFrom = 0, seqs = Object.create(null);
    for (var n = 0; n < list.length; n++) {
      var rec = list[n], P = "supplements[" + n + "]", j;
      if (!R.members(C, P, rec, ["payload", "signatures", "from"])) { continue; }
      var p = rec.payload, bad = [];
      if (!R.members(C, P + ".payload", p, SUPPLEMENT_KEYS)) { continue; }
      if (p.type !== "ownersvote-roll-supplement" || p.v !== 1) { bad.push("type and v are " + show(p.type) + ", " + show(p.v)); }
      if (!isInt(p.seq) || p.seq < 1) { bad.push("seq " + show(p.seq) + " is not a positive integer"); }
      else if (seqs[p.seq]) { bad.push("repeats no. " + p.seq); }
      if (!isInt(p.made_at) || p.made_at < 0) { bad.push("made_at " + show(p.made_at) + " is not an integer (ms)"); }
      if (!isInt(rec.from) || rec.from < previousFrom || rec.from > logSize) {
        bad.push("from is " + show(rec.from) + ": it must be a log size between " + previousFrom + " (the supplement before) and " + logSize);
      }
      var want = {estate: estateId, roll: isObj(rollDoc) ? rollDoc.id : undefined, roll_root: ctx.roll.root, assembly: ctx.assemblyId};
      for (var name in want) { if (p[name] !== want[name]) { bad.push("names " + name + " " + show(p[name]) + ", not " + show(want[name])); } }
      if (p.required_signatures !== required) { bad.push("requires " + show(p.required_signatures) + " signature(s), the roll " + show(required)); }
      var member = isStr(p.member) ? p.member : "";
      if (!current[member]) { bad.push("member " + show(p.member) + " is not on the roll"); }
      var adds = [], prevKid = null;
      if (!Array.isArray(p.add) || !Array.isArray(p.revoke) || (!p.add.length && !p.revoke.length)) {
        bad.push("add and revoke are lists, not both empty");
      } else {
        for (j = 0; j < p.add.length; j++) {
          var key = p.add[j];
          if (!isObj(key) || key.use !== "vote" || Object.keys(key).length !== 2 || jwkProblem(key.jwk)) { bad.push("add[" + j + "] is not {use: \"vote\", jwk}"); continue; }
          var kid = await thumbprint(key.jwk);
          if (prevKid !== null && prevKid >= kid) { bad.push("add is not sorted by key id, without repeats"); }
          prevKid = kid;
          if (ctx.roll.kidOwner[kid] !== undefined) { bad.push("adds key " + kid + ", which is already listed (for " + ctx.roll.kidOwner[kid] + ")"); }
          adds.push({kid: kid, jwk: key.jwk});
        }
        for (j = 0; j < p.revoke.length; j++) {
          if (j > 0 && !(p.revoke[j - 1] < p.revoke[j])) { bad.push("revoke is not sorted, without repeats"); }
          if (!isStr(p.revoke[j]) || !current[member] || !current[member][p.revoke[j]]) {
            bad.push("revokes key " + show(p.revoke[j]) + ", which is not a key of " + member + " in force");
          }
        }
      }
      var bytes = utf8(canonical(p));
      var signers = await checkSignatures(R, S, C, P + ".signatures", rec.signatures, supervisors, pinned, bytes, null);
      if (isInt(required) && signers.length < required) { bad.push("has " + signers.length + " valid supervisor signature(s), " + required + " required"); }
      var where = "supplement #" + (n + 1) + " (no. " + show(p.seq) + ", member " + member + "): ";
      if (bad.length) { for (j = 0; j < bad.length; j++) { R.fail(C, where + bad[j]); } continue; }
      seqs[p.seq] = true; previousFrom = rec.from;
      for (j = 0; j < adds.length; j++) {
        ctx.roll.kidOwner[adds[j].kid] = member;
        members[member].kids[adds[j].kid] = {jwk: adds[j].jwk, use: "vote"};
        current[member][adds[j].kid] = true;
        out.added[adds[j].kid] = {member: member, from: rec.from};
      }
      for (j = 0; j < p.revoke.length; j++) { delete current[member][p.revoke[j]]; out.revoked[p.revoke[j]] = rec.from; }
      out.applied++;
    }
    return out;
  }

  /* Why an online ballot at log index i signed with kid does not count under the supplements, or null. */
  function supplementProblem(supp, kid, i) {
    if (!isStr(kid)) { return null; }
    if (supp.added[kid] && i < supp.added[kid].from) {
      return "signed with key " + kid + ", which a roll supplement added only from log entry " + supp.added[kid].from;
    }
    if (supp.revoked[kid] !== undefined && i >= supp.revoked[kid]) {
      return "signed with key " + kid + ", which a roll supplement revoked from log entry " + supp.revoked[kid];
    }
    return null;
  }

  // ------------------------------------------------------------------ §8 ballots

  var ONLINE_KEYS = ["assembly", "choices", "member", "nonce", "notice", "roll_root", "type", "v"];
  var PAPER_KEYS = ONLINE_KEYS.concat(["paper"]);

  /* Check one log entry; failures go to R under "ballot"; returns the parsed ballot when valid. */
  async function checkEntry(msgs, S, ctx, entry, i) {
    var p = "log.entries[" + i + "]", bad = 0;
    function fail(msg) { msgs.push(p + ": " + msg); bad++; }
    if (!isObj(entry)) { fail("not an object"); return null; }
    var ks = Object.keys(entry), want = ["index", "kind", "ballot", "kid", "sig"], j;
    for (j = 0; j < want.length; j++) { if (!has(entry, want[j])) { fail("missing member \"" + want[j] + "\""); } }
    for (j = 0; j < ks.length; j++) { if (want.indexOf(ks[j]) < 0) { fail("unknown member \"" + ks[j] + "\""); } }
    if (entry.index !== i) { fail("index is " + show(entry.index) + ", expected its position " + i); }
    if (entry.kind !== "online" && entry.kind !== "paper") { fail("kind " + show(entry.kind) + " is not \"online\" or \"paper\""); return null; }
    if (!isStr(entry.ballot)) { fail("ballot is not a string"); return null; }
    var b;
    try { b = parseStrictJSON(entry.ballot); } catch (e) { fail("the ballot is not strict JSON: " + e.message); return null; }
    var canon;
    try { canon = canonical(b); } catch (e2) { canon = null; }
    if (canon !== entry.ballot) { fail("the ballot string is not canonical JSON"); }
    if (!isObj(b)) { fail("the ballot is not an object"); return null; }
    var paper = entry.kind === "paper", bkeys = paper ? PAPER_KEYS : ONLINE_KEYS, bk = Object.keys(b);
    for (j = 0; j < bkeys.length; j++) { if (!has(b, bkeys[j])) { fail("the ballot lacks \"" + bkeys[j] + "\""); } }
    for (j = 0; j < bk.length; j++) { if (bkeys.indexOf(bk[j]) < 0) { fail("the ballot has the unknown member \"" + bk[j] + "\""); } }
    var wantType = paper ? "ownersvote-paper-ballot" : "ownersvote-ballot";
    if (b.type !== wantType) { fail("ballot type " + show(b.type) + " does not match kind " + show(entry.kind) + " (expected " + wantType + ")"); }
    if (b.v !== 2) { fail("ballot v is " + show(b.v) + ", expected 2"); }
    if (b.assembly !== ctx.assemblyId) { fail("the ballot names assembly " + show(b.assembly) + ", not " + show(ctx.assemblyId)); }
    if (b.notice !== ctx.noticeDigest) { fail("the ballot names notice " + show(b.notice) + ", not this notice's digest " + ctx.noticeDigest); }
    if (b.roll_root !== ctx.rollRoot) { fail("the ballot names roll root " + show(b.roll_root) + ", not the recomputed " + ctx.rollRoot); }
    var nonce = b64uDecode(b.nonce);
    if (!nonce || nonce.length !== 16) { fail("nonce " + show(b.nonce) + " is not 16 bytes of canonical base64url"); }
    var member = isStr(b.member) ? ctx.roll.members[b.member] : undefined;
    if (!member) { fail("member " + show(b.member) + " is not on the roll"); }
    if (paper) {
      var pp = b.paper;
      if (!isObj(pp)) { fail("ballot.paper is not an object"); }
      else {
        var pk = ["entered_by", "resolved_by", "scan_sha256", "serial"], pks = Object.keys(pp);
        for (j = 0; j < pk.length; j++) { if (!has(pp, pk[j])) { fail("ballot.paper lacks \"" + pk[j] + "\""); } }
        for (j = 0; j < pks.length; j++) { if (pk.indexOf(pks[j]) < 0) { fail("ballot.paper has the unknown member \"" + pks[j] + "\""); } }
        if (!Array.isArray(pp.entered_by) || pp.entered_by.length !== 2 || !isNEStr(pp.entered_by[0]) || !isNEStr(pp.entered_by[1])) {
          fail("ballot.paper.entered_by is not two operators");
        } else if (pp.entered_by[0] === pp.entered_by[1]) {
          fail("ballot.paper.entered_by names the same operator twice (double entry needs two different operators)");
        }
        if (!(pp.resolved_by === null || isNEStr(pp.resolved_by))) { fail("ballot.paper.resolved_by is neither null nor a name"); }
        if (!isHex64(pp.scan_sha256)) { fail("ballot.paper.scan_sha256 is not 64 lowercase hexadecimal digits"); }
        if (!isNEStr(pp.serial)) { fail("ballot.paper.serial is not a non-empty string"); }
      }
    }
    if (!isObj(b.choices)) { fail("choices is not an object"); }
    else {
      var cks = Object.keys(b.choices);
      for (j = 0; j < cks.length; j++) {
        var item = ctx.items[cks[j]], v = b.choices[cks[j]];
        if (!item) { fail("choices name " + show(cks[j]) + ", which is not an agenda item"); continue; }
        if (paper) { continue; }   // a paper ballot may be spoiled on an item (废票)
        if (item.kind === "resolution") {
          if (v !== "agree" && v !== "disagree" && v !== "abstain") { fail("choice for " + cks[j] + " is " + show(v) + ", not agree, disagree or abstain"); }
          continue;
        }
        if (!Array.isArray(v)) { fail("choice for " + cks[j] + " is " + show(v) + ", not a list of options"); continue; }
        var seen = Object.create(null);
        for (var m = 0; m < v.length; m++) {
          if (!isStr(v[m]) || !item.options[v[m]]) { fail("choice for " + cks[j] + " marks " + show(v[m]) + ", not an option of the item"); }
          else if (seen[v[m]]) { fail("choice for " + cks[j] + " marks " + v[m] + " twice"); }
          else { seen[v[m]] = true; }
        }
        var max = item.kind === "election" ? item.seats : 1;
        if (v.length > max) { fail("choice for " + cks[j] + " has " + v.length + " marks, more than the " + max + " allowed"); }
      }
    }
    var jwk = null;
    if (paper) {
      // Its period is checked against the tree head that first covers it (checkPaperKeys).
      var sk = isStr(entry.kid) ? ctx.serverKeys[entry.kid] : undefined;
      if (!sk) { fail("a paper ballot must be signed by a server key (" + Object.keys(ctx.serverKeys).join(", ") + "), not " + show(entry.kid)); }
      else { jwk = sk.jwk; }
    } else if (member) {
      var key = isStr(entry.kid) ? member.kids[entry.kid] : undefined;
      if (!key) {
        var owner = isStr(entry.kid) ? ctx.roll.kidOwner[entry.kid] : undefined;
        fail("kid " + show(entry.kid) + " is not a key of member " + b.member + " on the roll" + (owner ? " (it is a key of " + owner + ")" : ""));
      } else { jwk = key.jwk; }
    }
    if (jwk) {
      var problem = await S.verify(jwk, entry.sig, utf8(entry.ballot));
      if (problem) { fail("signature by " + entry.kid + ": " + problem); }
    }
    return bad === 0 ? b : null;
  }

  // ------------------------------------------------------------------ §8 the server's keys

  /* The server's keys: version 2 names one (log.server_key, valid always), version 3 lists them
   * with their periods [not_before, retired_at) (log.server_keys, in key-id order, each once).
   * Keys not among the pinned ones (options.serverKey) are reported and not trusted. */
  async function checkServerKeys(R, doc, logObj, pins) {
    var keys = Object.create(null), C = "server_key", i;
    if (doc.version === 2) {
      var sk = logObj.server_key, P = "log.server_key";
      if (!R.members(C, P, sk, ["kid", "jwk"]) && !isObj(sk)) { return keys; }
      var problem = jwkProblem(sk.jwk);
      if (problem) { R.fail(C, P + ".jwk: " + problem); return keys; }
      if (sk.jwk.kty !== "OKP") { R.fail(C, P + ".jwk: the server key must be Ed25519"); return keys; }
      var kid = await thumbprint(sk.jwk);
      if (sk.kid !== kid) { R.fail(C, P + ".kid: " + show(sk.kid) + " is not its key's thumbprint " + kid); return keys; }
      keys[kid] = {jwk: sk.jwk, notBefore: 0, retiredAt: null};
    } else {
      var list = logObj.server_keys, PL = "log.server_keys";
      if (!Array.isArray(list) || list.length === 0) { R.fail(C, PL + ": not a non-empty array"); return keys; }
      checkKidOrder(R, C, PL, list);
      for (i = 0; i < list.length; i++) {
        var p = PL + "[" + i + "]", e = list[i];
        if (!R.members(C, p, e, ["kid", "jwk", "not_before", "retired_at"])) { continue; }
        var pr = jwkProblem(e.jwk);
        if (pr) { R.fail(C, p + ".jwk: " + pr); continue; }
        if (e.jwk.kty !== "OKP") { R.fail(C, p + ".jwk: a server key must be Ed25519"); continue; }
        var k2 = await thumbprint(e.jwk);
        if (e.kid !== k2) { R.fail(C, p + ".kid: " + show(e.kid) + " is not its key's thumbprint " + k2); continue; }
        if (!isInt(e.not_before) || e.not_before < 0) { R.fail(C, p + ".not_before: not an integer time (ms)"); continue; }
        if (!(e.retired_at === null || (isInt(e.retired_at) && e.retired_at > e.not_before))) {
          R.fail(C, p + ".retired_at: neither null nor a time (ms) after not_before"); continue;
        }
        if (keys[k2]) { R.fail(C, p + ": key " + k2 + " is listed twice"); continue; }
        keys[k2] = {jwk: e.jwk, notBefore: e.not_before, retiredAt: e.retired_at};
      }
    }
    if (pins) {
      var ks = Object.keys(keys);
      for (i = 0; i < ks.length; i++) {
        if (pins.indexOf(ks[i]) < 0) {
          R.fail(C, "the server key " + ks[i] + " is not " + (pins.length > 1 ? "one of the pinned keys " : "the pinned key ") + pins.join(", "));
          delete keys[ks[i]];
        }
      }
    }
    return keys;
  }

  /* The server key named kid, if it was valid at time t (an object's own time): {jwk} or {problem}. */
  function serverKeyAt(ctx, kid, t) {
    var k = isStr(kid) ? ctx.serverKeys[kid] : undefined;
    if (!k) { return {problem: "kid " + show(kid) + " is not a server key (" + Object.keys(ctx.serverKeys).join(", ") + ")"}; }
    if (!isInt(t)) { return {problem: "the time of the signed object is not an integer"}; }
    if (t < k.notBefore) { return {problem: "signed " + formatTime(t) + " by key " + kid + ", which is valid only from " + formatTime(k.notBefore)}; }
    if (k.retiredAt !== null && t >= k.retiredAt) {
      return {problem: "signed " + formatTime(t) + " by key " + kid + ", after its retirement " + formatTime(k.retiredAt)};
    }
    return {jwk: k.jwk};
  }

  /* A paper ballot carries no time: its server key must have been valid at some instant between
   * the opening and the tree head that first covers it. */
  function checkPaperKeys(R, ctx, entries, heads, signing) {
    var covering = [], i, j;
    for (i = 0; i < (Array.isArray(heads) ? heads.length : 0); i++) {
      var s = isObj(heads[i]) ? heads[i].sth : null;
      if (isObj(s) && isInt(s.size) && isInt(s.timestamp)) { covering.push(s); }
    }
    for (i = 0; i < entries.length; i++) {
      var e = entries[i];
      if (!isObj(e) || e.kind !== "paper" || !isStr(e.kid) || !ctx.serverKeys[e.kid]) { continue; }
      signing[e.kid] = true;
      var k = ctx.serverKeys[e.kid], cover = null;
      for (j = 0; j < covering.length; j++) { if (covering[j].size > i) { cover = covering[j].timestamp; break; } }
      if (cover === null || !isInt(ctx.opens)) { continue; }
      if (!(k.notBefore <= cover && (k.retiredAt === null || k.retiredAt > ctx.opens))) {
        R.fail("ballot", "log.entries[" + i + "]: a paper ballot signed by server key " + e.kid + ", which was not valid between the opening (" +
          formatTime(ctx.opens) + ") and the tree head that first covers it (" + formatTime(cover) + ")");
      }
    }
  }

  // ------------------------------------------------------------------ §9 tree heads

  var STH_KEYS = ["type", "v", "log", "n", "size", "root", "timestamp", "notice", "audit", "final", "kid", "sig"];

  /* Shape and signature of one signed tree head; returns a list of problems. */
  async function sthProblems(S, ctx, sth) {
    var out = [];
    if (!isObj(sth)) { return ["not an object"]; }
    var ks = Object.keys(sth), j;
    for (j = 0; j < STH_KEYS.length; j++) { if (!has(sth, STH_KEYS[j])) { out.push("missing member \"" + STH_KEYS[j] + "\""); } }
    for (j = 0; j < ks.length; j++) { if (STH_KEYS.indexOf(ks[j]) < 0) { out.push("unknown member \"" + ks[j] + "\""); } }
    if (sth.type !== "ownersvote-sth") { out.push("type is " + show(sth.type) + ", expected \"ownersvote-sth\""); }
    if (sth.v !== 2) { out.push("v is " + show(sth.v) + ", expected 2"); }
    if (sth.log !== ctx.logId) { out.push("names log " + show(sth.log) + ", not " + show(ctx.logId)); }
    if (!isInt(sth.n) || sth.n < 0) { out.push("n is " + show(sth.n) + ", not a non-negative integer"); }
    if (!isInt(sth.size) || sth.size < 0) { out.push("size is " + show(sth.size) + ", not a non-negative integer"); }
    if (!isHex64(sth.root)) { out.push("root is not 64 lowercase hexadecimal digits"); }
    if (!isInt(sth.timestamp)) { out.push("timestamp is not an integer (ms)"); }
    if (sth.notice !== ctx.noticeDigest) { out.push("names notice " + show(sth.notice) + ", not this notice's digest " + ctx.noticeDigest); }
    if (sth.audit !== null) {
      if (!isObj(sth.audit)) { out.push("audit is neither null nor {seq, hash}"); }
      else {
        var ak = Object.keys(sth.audit);
        if (ak.length !== 2 || !has(sth.audit, "seq") || !has(sth.audit, "hash")) { out.push("audit must have exactly the members seq and hash"); }
        if (!isInt(sth.audit.seq) || sth.audit.seq < 0) { out.push("audit.seq is not a non-negative integer"); }
        if (!isHex64(sth.audit.hash)) { out.push("audit.hash is not 64 lowercase hexadecimal digits"); }
      }
    }
    if (!isBool(sth.final)) { out.push("final is not a boolean"); }
    var found = serverKeyAt(ctx, sth.kid, sth.timestamp);
    if (found.problem) { out.push(found.problem); }
    else {
      var bytes;
      try { bytes = utf8(canonical(without(sth, ["kid", "sig"]))); } catch (e) { bytes = null; out.push("cannot be canonicalised: " + e.message); }
      if (bytes) {
        var problem = await S.verify(found.jwk, sth.sig, bytes);
        if (problem) { out.push("signature: " + problem); }
      }
    }
    return out;
  }

  async function checkTreeHeads(R, S, ctx, heads, levels, nEntries, logRootHex) {
    var C = "tree_heads", P = "log.tree_heads", i, j;
    if (!Array.isArray(heads) || heads.length === 0) { R.fail(C, P + ": not a non-empty array"); return null; }
    var sths = [], problems = new Array(heads.length);
    await inChunks(heads.length, 64, function (k) {
      var rec = heads[k];
      var sth = isObj(rec) ? rec.sth : undefined;
      sths[k] = sth;
      return sthProblems(S, ctx, sth).then(function (pr) { problems[k] = pr; });
    }, function (n) { return R.progress(n, "tree heads"); });
    var finals = [], prev = null;
    for (i = 0; i < heads.length; i++) {
      var p = P + "[" + i + "]";
      R.members(C, p, heads[i], ["sth", "consistency_to_final"]);
      for (j = 0; j < problems[i].length; j++) { R.fail(C, p + ".sth: " + problems[i][j]); }
      var s = sths[i];
      if (!isObj(s)) { continue; }
      if (isInt(s.n) && s.n !== i) {
        var why = s.n < i ? " (a repeated head: one was duplicated)" : " (a gap: a head was dropped)";
        R.fail(C, p + ".sth.n: is " + s.n + ", expected " + i + why);
      }
      if (s.final === true) { finals.push(i); }
      if (prev) {
        if (isInt(prev.size) && isInt(s.size) && s.size < prev.size) { R.fail(C, p + ".sth.size: " + s.size + " is smaller than the previous head's " + prev.size); }
        if (isInt(prev.timestamp) && isInt(s.timestamp) && s.timestamp < prev.timestamp) { R.fail(C, p + ".sth.timestamp: earlier than the previous head's"); }
      }
      if (isInt(s.timestamp) && isInt(ctx.opens) && s.timestamp < ctx.opens) {
        R.fail(C, p + ".sth: signed before voting opened (" + formatTime(s.timestamp) + " < " + formatTime(ctx.opens) + ")");
      }
      if (s.final !== true && isInt(s.timestamp) && isInt(ctx.closes) && s.timestamp > ctx.closes) {
        R.fail(C, p + ".sth: a head that is not final is signed after the close (" + formatTime(s.timestamp) + " > " + formatTime(ctx.closes) + ")");
      }
      prev = s;
    }
    var final = null;
    if (finals.length === 0) { R.fail(C, P + ": no head is final"); }
    else if (finals.length > 1) { R.fail(C, P + ": " + finals.length + " heads are final (positions " + finals.join(", ") + "), exactly one must be"); }
    if (finals.length >= 1 && finals[finals.length - 1] !== heads.length - 1) { R.fail(C, P + ": the final head is not the last"); }
    if (finals.length === 1 && finals[0] === heads.length - 1) { final = sths[heads.length - 1]; }
    if (final) {
      if (isInt(final.timestamp) && isInt(ctx.closes) && final.timestamp < ctx.closes) {
        R.fail(C, P + ": the final head is signed before the close (" + formatTime(final.timestamp) + " < " + formatTime(ctx.closes) + ")");
      }
      R.expect(C, final.size === nEntries, P + ": the final head's size is " + show(final.size) + ", the log has " + nEntries + " entries");
      R.expect(C, final.root === logRootHex, P + ": the final head's root is " + show(final.root) + ", the log's entries give " + logRootHex);
    }
    for (i = 0; i < heads.length; i++) {
      var s2 = sths[i], rec = heads[i], pth = P + "[" + i + "]";
      if (!isObj(s2) || !isInt(s2.size) || s2.size < 0 || !isHex64(s2.root)) { continue; }
      if (s2.size > nEntries) { R.fail(C, pth + ".sth: covers " + s2.size + " entries, the log has only " + nEntries); continue; }
      var pr = bytesToHex(await prefixRoot(levels, s2.size));
      if (pr !== s2.root) {
        R.fail(C, pth + ".sth: its root is not the root of the log's first " + s2.size + " entries (history was rewritten behind a signed tree head)");
      }
      if (!isObj(rec) || !has(rec, "consistency_to_final")) { continue; }
      var proof = hexList(rec.consistency_to_final);
      if (!proof) { R.fail(C, pth + ".consistency_to_final: not a list of 64-digit hexadecimal hashes"); continue; }
      if (!final || !isInt(final.size) || !isHex64(final.root)) { continue; }
      var trivial = i === heads.length - 1 || s2.size === 0 || s2.size === final.size;
      if (trivial) {
        if (proof.length !== 0) { R.fail(C, pth + ".consistency_to_final: must be empty for this head"); }
        if (s2.size === final.size && s2.root !== final.root) { R.fail(C, pth + ".sth: same size as the final head but a different root"); }
      } else if (s2.size > final.size) {
        R.fail(C, pth + ".sth: larger than the final head");
      } else if (!(await verifyConsistency(s2.size, final.size, hexToBytes(s2.root), hexToBytes(final.root), proof))) {
        R.fail(C, pth + ".consistency_to_final: the consistency proof to the final head does not verify");
      }
    }
    return final;
  }

  // ------------------------------------------------------------------ §9 receipts

  /* What a voter kept (§9): a receipt, version 2 or 3 (with its promise), or a promise alone.
   * Returns "receipt" or "promise", what the input was taken for. */
  async function checkReceiptInput(R, S, ctx, input, r, levels, leafHexes, heads) {
    var doc = input;
    if (typeof doc === "string") {
      try { doc = parseStrictJSON(doc); } catch (e) { R.fail("receipt", "receipt[" + r + "]: not strict JSON: " + e.message); return "receipt"; }
    }
    if (isObj(doc) && doc.type === "ownersvote-promise") {
      var P = "promise[" + r + "]", problems = await promiseProblems(S, ctx, doc);
      for (var i = 0; i < problems.length; i++) { R.fail("promise", P + ": " + problems[i]); }
      if (!problems.length) { checkPromiseKept(R, ctx, P, doc, undefined, leafHexes, heads); }
      return "promise";
    }
    await checkReceipt(R, S, ctx, doc, r, levels, leafHexes, heads);
    return "receipt";
  }

  async function checkReceipt(R, S, ctx, rc, r, levels, leafHexes, heads) {
    var C = "receipt", P = "receipt[" + r + "]";
    // version 3 carries the promise the ballot was answered with; version 2 (before promises) not
    R.members(C, P, rc, ["type", "v", "log", "index", "leaf_hash", "code", "sth", "inclusion"].concat(isObj(rc) && rc.v === 3 ? ["promise"] : []));
    if (!isObj(rc)) { return; }
    R.expect(C, rc.type === "ownersvote-receipt", P + ".type: is " + show(rc.type) + ", expected \"ownersvote-receipt\"");
    R.expect(C, rc.v === 2 || rc.v === 3, P + ".v: is " + show(rc.v) + ", expected 2 or 3");
    R.expect(C, rc.log === ctx.logId, P + ".log: is " + show(rc.log) + ", not this log " + show(ctx.logId));
    var problems = await sthProblems(S, ctx, rc.sth);
    for (var i = 0; i < problems.length; i++) { R.fail(C, P + ".sth: " + problems[i]); }
    if (rc.v === 3 && has(rc, "promise")) {
      var pp = await promiseProblems(S, ctx, rc.promise);
      for (var j = 0; j < pp.length; j++) { R.fail(C, P + ".promise: " + pp[j]); }
      if (!pp.length) {
        if (rc.promise.leaf_hash !== rc.leaf_hash) {
          R.fail(C, P + ".promise: is for leaf " + rc.promise.leaf_hash + ", not the receipt's leaf " + show(rc.leaf_hash));
        } else { checkPromiseKept(R, ctx, P + ".promise", rc.promise, rc.index, leafHexes, heads); }
      }
    }
    var sth = rc.sth;
    if (isObj(sth) && isInt(sth.n)) {
      var listed = Array.isArray(heads) && isObj(heads[sth.n]) ? heads[sth.n].sth : undefined;
      var same = false;
      try { same = listed !== undefined && canonical(listed) === canonical(sth); } catch (e2) { same = false; }
      R.expect(C, same, P + ".sth: is not the bundle's tree head no. " + sth.n);
    }
    if (!isHex64(rc.leaf_hash)) { R.fail(C, P + ".leaf_hash: not 64 lowercase hexadecimal digits"); return; }
    var code = trackingCode(rc.leaf_hash);
    R.expect(C, isStr(rc.code) && normaliseCode(rc.code) === normaliseCode(code), P + ".code: " + show(rc.code) + " is not the tracking code " + code + " of its leaf hash");
    if (!isInt(rc.index) || rc.index < 0) { R.fail(C, P + ".index: not a non-negative integer"); return; }
    if (rc.index >= leafHexes.length) { R.fail(C, P + ".index: " + rc.index + " is beyond the bundle's log (" + leafHexes.length + " entries)"); }
    else { R.expect(C, leafHexes[rc.index] === rc.leaf_hash, P + ": the bundle's log entry " + rc.index + " is not the receipt's leaf (leaf hash " + leafHexes[rc.index] + ")"); }
    if (!isObj(sth) || !isInt(sth.size) || !isHex64(sth.root)) { return; }
    var path = hexList(rc.inclusion);
    if (!path) { R.fail(C, P + ".inclusion: not a list of 64-digit hexadecimal hashes"); }
    else if (!(await verifyInclusion(rc.index, sth.size, hexToBytes(rc.leaf_hash), path, hexToBytes(sth.root)))) {
      R.fail(C, P + ".inclusion: the inclusion proof does not verify against the receipt's tree head");
    }
    if (sth.size <= leafHexes.length) {
      var pr = bytesToHex(await prefixRoot(levels, sth.size));
      R.expect(C, pr === sth.root, P + ".sth: its root is not the root of the bundle's log's first " + sth.size + " entries");
    } else {
      R.fail(C, P + ".sth: covers " + sth.size + " entries, the bundle's log has only " + leafHexes.length);
    }
    R.expect(C, rc.index < leafHexes.length && leafHexes[rc.index] === rc.leaf_hash && ctx.finalOk,
      P + ": the leaf is not shown to be included in the final tree");
  }

  // ------------------------------------------------------------------ §9a promises of inclusion

  var PROMISE_KEYS = ["type", "v", "log", "leaf_hash", "accepted", "deadline", "kid", "sig"];
  var EVIDENCE = "this signed promise is evidence against the server";

  /* Shape, log and the server's signature of a promise; returns a list of problems. */
  async function promiseProblems(S, ctx, pr) {
    var out = [];
    if (!isObj(pr)) { return ["not an object"]; }
    var ks = Object.keys(pr), j;
    for (j = 0; j < PROMISE_KEYS.length; j++) { if (!has(pr, PROMISE_KEYS[j])) { out.push("missing member \"" + PROMISE_KEYS[j] + "\""); } }
    for (j = 0; j < ks.length; j++) { if (PROMISE_KEYS.indexOf(ks[j]) < 0) { out.push("unknown member \"" + ks[j] + "\""); } }
    if (pr.type !== "ownersvote-promise") { out.push("type is " + show(pr.type) + ", expected \"ownersvote-promise\""); }
    if (pr.v !== 1) { out.push("v is " + show(pr.v) + ", expected 1"); }
    if (pr.log !== ctx.logId) { out.push("names log " + show(pr.log) + ", not " + show(ctx.logId)); }
    if (!isHex64(pr.leaf_hash)) { out.push("leaf_hash is not 64 lowercase hexadecimal digits"); }
    if (!isInt(pr.accepted) || pr.accepted < 0) { out.push("accepted is not a time (a non-negative integer, ms)"); }
    if (!isInt(pr.deadline) || pr.deadline < 0) { out.push("deadline is not a time (a non-negative integer, ms)"); }
    else if (isInt(pr.accepted) && pr.deadline < pr.accepted) { out.push("deadline is before accepted"); }
    // signed by a listed server key valid when the ballot was accepted
    var found = Object.keys(ctx.serverKeys).length ? serverKeyAt(ctx, pr.kid, pr.accepted) : {problem: "cannot be checked without a valid server key"};
    if (found.problem) { out.push(found.problem); }
    else {
      var bytes;
      try { bytes = utf8(canonical(without(pr, ["kid", "sig"]))); } catch (e) { bytes = null; out.push("cannot be canonicalised: " + e.message); }
      if (bytes) {
        var problem = await S.verify(found.jwk, pr.sig, bytes);
        if (problem) { out.push("signature: " + problem); }
        else if (ctx.serverSigning) { ctx.serverSigning[pr.kid] = true; }
      }
    }
    return out;
  }

  /* Leaf hash -> its first index in the log, built once and only when a promise comes alone. */
  function leafIndex(ctx, leafHexes) {
    if (!ctx.leafIndex) {
      ctx.leafIndex = Object.create(null);
      for (var i = 0; i < leafHexes.length; i++) {
        if (leafHexes[i] && ctx.leafIndex[leafHexes[i]] === undefined) { ctx.leafIndex[leafHexes[i]] = i; }
      }
    }
    return ctx.leafIndex;
  }

  function formatTimeExact(ms) {
    var t = formatTime(ms);
    if (!isInt(ms) || ms % 1000 === 0) { return t; }
    var frac = String(ms % 1000);
    while (frac.length < 3) { frac = "0" + frac; }
    return t.replace(" (UTC+8)", "." + frac + " (UTC+8)");
  }

  function durationText(ms) {
    var seconds = ms / 1000;
    if (seconds < 120) { return String(Number(seconds.toPrecision(3))) + " s"; }
    if (seconds < 7200) { return Math.round(seconds / 60) + " min"; }
    return (seconds / 3600).toFixed(1) + " h";
  }

  /* A well-formed promise signed by the server (promiseProblems found nothing): was it kept?
   * Its leaf is in the final tree; the first tree head covering it (the first in tree_heads whose
   * size exceeds the leaf's index) was signed by its deadline; it was not accepted after the
   * close. A broken promise is evidence against the server: the voter holds its signature. */
  function checkPromiseKept(R, ctx, P, pr, indexHint, leafHexes, heads) {
    var C = "promise", code = trackingCode(pr.leaf_hash), label = P + " (tracking code " + code + ")";
    var promised = "the server promised to include leaf " + pr.leaf_hash + " by " + formatTimeExact(pr.deadline);
    var kept = true, index = indexHint;
    if (!isInt(index) || index < 0 || index >= leafHexes.length || leafHexes[index] !== pr.leaf_hash) {
      index = leafIndex(ctx, leafHexes)[pr.leaf_hash];
    }
    var final = ctx.finalHead, limit = ctx.closes, after = "voting closed";
    if (isObj(final) && isInt(final.timestamp) && isInt(limit) && final.timestamp < limit) { limit = final.timestamp; after = "the final tree head was signed"; }
    if (isInt(limit) && pr.accepted > limit) {
      R.fail(C, label + ": suspicious — the server signed that it accepted this ballot " + formatTimeExact(pr.accepted) + ", after " +
        after + ", " + formatTimeExact(limit) + ": it should have refused it; keep this signed promise as evidence");
      kept = false;
    }
    var size = isObj(final) && isInt(final.size) ? final.size : leafHexes.length;
    if (index === undefined || index >= size) {
      R.fail(C, label + ": " + promised + ", and the final tree does not contain it — " + EVIDENCE);
      return;
    }
    var head = null;
    for (var k = 0; Array.isArray(heads) && k < heads.length && !head; k++) {
      var s = isObj(heads[k]) ? heads[k].sth : undefined;
      if (isObj(s) && isInt(s.size) && isInt(s.timestamp) && s.size > index) { head = s; }
    }
    if (!head) {
      R.fail(C, label + ": " + promised + ", and no signed tree head covers leaf " + index + " — " + EVIDENCE);
      return;
    }
    if (head.timestamp > pr.deadline) {
      R.fail(C, label + ": " + promised + ", but the first signed tree head that covers it (no. " + head.n + ", size " + head.size +
        ") was signed " + formatTimeExact(head.timestamp) + ", " + durationText(head.timestamp - pr.deadline) +
        " late — a broken promise (late inclusion): " + EVIDENCE);
      kept = false;
    } else if (kept && pr.accepted > head.timestamp) {
      R.fail(C, label + ": suspicious — the server signed that it accepted this ballot " + formatTimeExact(pr.accepted) + ", after tree head no. " +
        head.n + ", which already covers it, was signed " + formatTimeExact(head.timestamp) + ": the server's signed times contradict each other");
      kept = false;
    }
    if (kept) { R.facts.promises.push(code); }
  }

  // ------------------------------------------------------------------ the whole bundle

  function decodeInput(input) {
    if (typeof input === "string") { return input; }
    var bytes = null;
    if (input instanceof ArrayBuffer) { bytes = new Uint8Array(input); }
    else if (ArrayBuffer.isView && ArrayBuffer.isView(input)) { bytes = new Uint8Array(input.buffer, input.byteOffset, input.byteLength); }
    if (!bytes) { return null; }
    try { return new TextDecoder("utf-8", {fatal: true, ignoreBOM: true}).decode(bytes); }
    catch (e) { throw new JsonError("not UTF-8"); }
  }

  async function section(R, name, work) {
    try { return await work(); } catch (e) {
      R.fail(name, "could not be checked: " + (e && e.message ? e.message : String(e)));
      return undefined;
    }
  }

  async function verifyBundle(input, options) {
    options = options || {};
    var started = now(), R = new Report(options), doc, text;
    var result = function () {
      var f = R.facts;
      f.seconds = Math.round(now() - started) / 1000;
      return {ok: R.failures.length === 0, readable: R.readable, failures: R.failures, facts: f,
        certificationPayload: R.certificationPayload || null,
        certificationPayloadCanonical: R.certificationPayload ? canonical(R.certificationPayload) : null,
        rollPayload: R.rollPayload || null};
    };
    try { text = decodeInput(input); } catch (e0) { R.readable = false; R.fail("json", "the bundle is not acceptable JSON: " + e0.message); return result(); }
    if (text !== null) {
      try { doc = parseStrictJSON(text); } catch (e) {
        R.readable = false;
        R.fail("json", "the bundle is not acceptable JSON: " + e.message);
        return result();
      }
      R.facts.strictJson = "checked";
    } else if (isObj(input)) {
      doc = input;
      var probs = [];
      checkParsedValue(doc, "$", probs);
      for (var pi = 0; pi < probs.length; pi++) { R.fail("json", probs[pi]); }
      R.facts.strictJson = "not checked for duplicate member names: the bundle was given already parsed";
    } else {
      R.readable = false;
      R.fail("json", "the bundle is neither text nor a JSON object");
      return result();
    }
    if (!isObj(doc)) { R.readable = false; R.fail("json", "the bundle is not a JSON object"); return result(); }
    var S = new Signer(await ed25519Supported());
    R.facts.ed25519Supported = S.ed25519;
    if (!S.ed25519) {
      R.fail("environment", "this browser's WebCrypto cannot verify Ed25519 signatures (the server's key is Ed25519): " +
        "the bundle cannot be verified here; use a current browser, Node.js 20 or `ownersvote verify`");
    }
    if (doc.format === "ownersvote-roll") { return verifyPublishedRoll(R, S, doc, options, result); }
    var pinnedSup = Array.isArray(options.supervisorKeys) && options.supervisorKeys.length ? options.supervisorKeys.slice() : null;

    // progress: roll entries, log entries (hash and signature), tree heads, receipts
    var logObj = isObj(doc.log) ? doc.log : {}, entries = Array.isArray(logObj.entries) ? logObj.entries : [];
    var headsList = Array.isArray(logObj.tree_heads) ? logObj.tree_heads : [];
    var rollEntries = isObj(doc.roll) && Array.isArray(doc.roll.entries) ? doc.roll.entries.length : 0;
    var receipts = Array.isArray(options.receipts) ? options.receipts : [];
    R.total = rollEntries + 2 * entries.length + headsList.length + receipts.length + 4;

    // 1. header
    R.members("header", "bundle", doc, TOP_LEVEL, ["supplements"]);
    R.expect("header", doc.format === "ownersvote-bundle", "format: is " + show(doc.format) + ", expected \"ownersvote-bundle\"");
    R.expect("header", doc.version === 2 || doc.version === 3, "version: is " + show(doc.version) + ", expected 3 (or 2)");

    var ctx = {roll: {members: Object.create(null), kidOwner: Object.create(null)}, items: Object.create(null)};
    // 2. the server's keys
    var pins = Array.isArray(options.serverKey) ? (options.serverKey.length ? options.serverKey.slice() : null)
      : (options.serverKey ? [options.serverKey] : null);
    ctx.serverKeys = Object.create(null);
    var serverSigning = Object.create(null);   // the server keys whose signatures the bundle holds
    ctx.serverSigning = serverSigning;          // (and the promises checked with it: promiseProblems)
    await section(R, "server_key", async function () { ctx.serverKeys = await checkServerKeys(R, doc, logObj, pins); });
    R.facts.serverKeys = Object.keys(ctx.serverKeys).map(function (kid) {
      var k = ctx.serverKeys[kid];
      return {kid: kid, notBefore: k.notBefore, retiredAt: k.retiredAt};
    }).sort(function (a, b) { return a.notBefore - b.notBefore || (a.kid < b.kid ? -1 : 1); });
    R.facts.serverKey = R.facts.serverKeys.map(function (k) { return k.kid; }).join(", ") || null;

    // 3. the notice and the derived sections
    var notice = doc.notice, noticeUsable = false;
    await section(R, "notice", async function () {
      noticeUsable = checkNotice(R, notice);
      if (!isObj(notice)) { return; }
      var body = without(notice, ["kid", "sig"]), bytes = utf8(canonical(body));
      ctx.noticeDigest = bytesToHex(await sha256(bytes));
      if (isStr(notice.kid)) { serverSigning[notice.kid] = true; }
      var found = serverKeyAt(ctx, notice.kid, notice.published_at);
      if (found.problem) { R.fail("notice", "notice.kid: " + found.problem); }
      else {
        var problem = await S.verify(found.jwk, notice.sig, bytes);
        if (problem) { R.fail("notice", "notice.sig: " + problem); }
      }
    });
    if (isObj(notice)) {
      ctx.assemblyId = notice.assembly;
      ctx.closes = notice.closes;
      ctx.opens = notice.opens;
      ctx.replaceAllowed = notice.replace_allowed === true;
      ctx.requiredSignatures = isObj(notice.rules) ? notice.rules.required_signatures : undefined;
      if (Array.isArray(notice.items)) {
        for (var ii = 0; ii < notice.items.length; ii++) {
          var nit = notice.items[ii];
          if (!isObj(nit) || !isStr(nit.id)) { continue; }
          var optMap = Object.create(null);
          if (Array.isArray(nit.options)) {
            for (var oi = 0; oi < nit.options.length; oi++) { if (isObj(nit.options[oi]) && isStr(nit.options[oi].id)) { optMap[nit.options[oi].id] = true; } }
          }
          if (!ctx.items[nit.id]) { ctx.items[nit.id] = {kind: nit.kind, seats: nit.seats, options: optMap}; }
        }
      }
    }
    R.facts.noticeDigest = ctx.noticeDigest || null;
    if (noticeUsable) {
      await section(R, "derived", async function () {
        var d = deriveSections(notice);
        var names = ["synthetic", "estate", "assembly", "tally_input"];
        for (var k = 0; k < names.length; k++) {
          (function (name) { diff(d[name], doc[name], name, function (m) { R.fail(name, m + " (the notice gives this)"); }); })(names[k]);
        }
      });
    } else {
      R.fail("derived", "the derived sections (synthetic, estate, assembly, tally_input) cannot be checked against a malformed notice");
    }
    ctx.logId = logObj.id;
    R.expect("log", isObj(doc.log), "log: not an object");
    if (isObj(doc.log)) {
      R.members("log", "log", doc.log, ["id", doc.version === 2 ? "server_key" : "server_keys", "entries", "tree_heads"]);
      R.expect("log", isStr(logObj.id) && logObj.id === (isObj(notice) ? notice.assembly : undefined),
        "log.id: is " + show(logObj.id) + ", expected notice.assembly " + show(isObj(notice) ? notice.assembly : undefined));
      R.expect("log", Array.isArray(logObj.entries), "log.entries: not an array");
    }

    // 4. supervisors
    var supervisors = Object.create(null);
    await section(R, "supervisors", async function () {
      supervisors = await checkKeyList(R, "supervisors", "supervisors", doc.supervisors);
      if (pinnedSup) {
        var listed = Object.keys(supervisors);
        for (var k = 0; k < listed.length; k++) {
          if (pinnedSup.indexOf(listed[k]) < 0) { R.fail("supervisors", "supervisors: key " + listed[k] + " is not one of the pinned supervisor keys"); }
        }
      }
    });

    // 5. the roll
    var estateId = isObj(doc.estate) ? doc.estate.id : undefined;
    var roll = await section(R, "roll", function () { return checkRoll(R, S, doc.roll, estateId, supervisors, pinnedSup); });
    if (roll) {
      ctx.roll = roll; ctx.rollRoot = roll.root;
      R.rollPayload = roll.payload;
      R.facts.roll = {id: isObj(doc.roll) ? doc.roll.id : null, size: roll.size, area: roll.area, heads: roll.heads,
        root: roll.root, signers: roll.signers || [], required: isObj(doc.roll) ? doc.roll.required_signatures : null};
    }

    // 5a. the roll's supplements
    var supp = await section(R, "supplements", function () {
      return checkSupplements(R, S, doc.supplements, ctx, estateId, doc.roll, supervisors, pinnedSup, entries.length);
    }) || {added: Object.create(null), revoked: Object.create(null), applied: 0};
    R.facts.supplements = supp.applied;

    // 6. log entries
    var msgs = new Array(entries.length), valid = new Array(entries.length), leafHexes = new Array(entries.length), leafBytes = new Array(entries.length);
    await section(R, "ballot", async function () {
      await inChunks(entries.length, BATCH, function (i) {
        var e = entries[i], data;
        try { data = utf8(canonical(isObj(e) ? without(e, ["index"]) : e)); } catch (err) { data = utf8(show(e)); }
        var h = leafHash(data).then(function (x) { leafBytes[i] = x; leafHexes[i] = bytesToHex(x); });
        msgs[i] = [];
        var c = checkEntry(msgs[i], S, ctx, e, i).then(function (b) { valid[i] = b; },
          function (err) { msgs[i].push("log.entries[" + i + "]: could not be checked: " + (err && err.message)); valid[i] = null; });
        return Promise.all([h, c]);
      }, function (n) { return R.progress(2 * n, "ballots"); });
    });
    // entries are checked concurrently: report their failures in log order
    for (var mi = 0; mi < msgs.length; mi++) {
      for (var mj = 0; msgs[mi] && mj < msgs[mi].length; mj++) { R.fail("ballot", msgs[mi][mj]); }
    }
    for (var si = 0; si < entries.length; si++) {
      var sproblem = isObj(entries[si]) && entries[si].kind === "online" ? supplementProblem(supp, entries[si].kid, si) : null;
      if (sproblem) { R.fail("ballot", "log.entries[" + si + "]: " + sproblem); valid[si] = null; }
    }
    var online = 0, paper = 0;
    for (var ei = 0; ei < entries.length; ei++) { if (isObj(entries[ei])) { if (entries[ei].kind === "paper") { paper++; } else { online++; } } }
    R.facts.log = {entries: entries.length, online: online, paper: paper, treeHeads: headsList.length};

    // 7. one counted ballot per member
    var counted = [];
    await section(R, "counting", async function () {
      var firstSeen = Object.create(null), perMember = Object.create(null), order = [];
      for (var i = 0; i < entries.length; i++) {
        var e = entries[i];
        if (isObj(e) && isStr(e.ballot)) {
          if (firstSeen[e.ballot] !== undefined) {
            R.fail("counting", "log.entries[" + i + "]: a byte-identical repeat of the ballot of entry " + firstSeen[e.ballot]);
            valid[i] = null;
          } else { firstSeen[e.ballot] = i; }
        }
        if (valid[i]) {
          var m = valid[i].member;
          if (!perMember[m]) { perMember[m] = []; order.push(m); }
          perMember[m].push(i);
        }
      }
      var chosen = [];
      for (var k = 0; k < order.length; k++) {
        var list = perMember[order[k]];
        if (list.length > 1 && !ctx.replaceAllowed) {
          R.fail("counting", "member " + order[k] + " has " + list.length + " valid ballots (log entries " + list.join(", ") +
            ") and the notice does not allow replacing a ballot");
        }
        chosen.push(ctx.replaceAllowed ? list[list.length - 1] : list[0]);
      }
      chosen.sort(function (x, y) { return x - y; });
      var countedPaper = 0;
      for (var c = 0; c < chosen.length; c++) {
        counted.push({member: valid[chosen[c]].member, choices: valid[chosen[c]].choices});
        if (entries[chosen[c]].kind === "paper") { countedPaper++; }
      }
      R.facts.counted = counted.length;
      R.facts.countedPaper = countedPaper;
      R.facts.replaceAllowed = ctx.replaceAllowed;
    });

    // 8. the Merkle log and its tree heads
    var levels = null, logRootHex = null, final = null;
    await section(R, "tree_heads", async function () {
      for (var i = 0; i < leafBytes.length; i++) { if (!leafBytes[i]) { leafBytes[i] = await leafHash(new Uint8Array(0)); } }
      levels = await merkleLevels(leafBytes);
      logRootHex = bytesToHex(await prefixRoot(levels, leafBytes.length));
      final = await checkTreeHeads(R, S, ctx, logObj.tree_heads, levels, entries.length, logRootHex);
      for (var hk = 0; hk < headsList.length; hk++) {
        var hs = isObj(headsList[hk]) ? headsList[hk].sth : null;
        if (isObj(hs) && isStr(hs.kid)) { serverSigning[hs.kid] = true; }
      }
      checkPaperKeys(R, ctx, entries, headsList, serverSigning);
      ctx.finalOk = !!final && final.size === entries.length && final.root === logRootHex;
      ctx.finalHead = final;
      R.facts.logRoot = logRootHex;
      if (final) { R.facts.finalHead = {size: final.size, root: final.root, timestamp: final.timestamp, time: formatTime(final.timestamp)}; }
    });

    // 9. receipts (version 2 or 3) and promises of inclusion kept alone
    var receiptCount = 0;
    R.facts.promises = [];
    for (var r = 0; r < receipts.length; r++) {
      var took = await section(R, "receipt", function () { return checkReceiptInput(R, S, ctx, receipts[r], r, levels, leafHexes, logObj.tree_heads); });
      if (took !== "promise") { receiptCount++; }
      await R.progress(1, "receipts");
    }
    R.facts.receipts = receiptCount;
    // §8: every listed server key signs something in the bundle (the notice, a tree head, a paper
    // ballot) or a promise of the receipts and promises checked with it, or else was valid while
    // voting was open (a key rotated in during the vote may have signed only promises, which the
    // bundle does not carry)
    await section(R, "server_key", function () {
      var listedServer = Object.keys(ctx.serverKeys);
      for (var lk = 0; lk < listedServer.length; lk++) {
        var sk = ctx.serverKeys[listedServer[lk]];
        var duringVote = isInt(ctx.opens) && isInt(ctx.closes) && sk.notBefore <= ctx.closes && (sk.retiredAt === null || sk.retiredAt > ctx.opens);
        if (!serverSigning[listedServer[lk]] && !duringVote) {
          R.fail("server_key", "server key " + listedServer[lk] + " is listed but signs nothing in the bundle, and was not valid while voting was open, so it signed no promise either");
        }
      }
    });

    // 10. the tally
    var tally = doc.tally;
    await section(R, "tally", async function () {
      if (!noticeUsable || !roll) { R.fail("tally", "the tally cannot be recomputed without a well-formed notice and roll"); return; }
      var input = {
        rules: {thresholds: notice.rules.thresholds, alternates: notice.rules.alternates},
        members: roll.order.map(function (m) { var x = roll.members[m]; return {id: m, area: x.area, heads: x.heads}; }),
        items: deriveSections(notice).tally_input.items,
        ballots: counted
      };
      var want;
      try { want = computeTally(input); } catch (e) {
        R.fail("tally", "the tally cannot be recomputed from the notice, roll and ballots: " + e.message);
        return;
      }
      if (!isObj(tally)) { R.fail("tally", "tally: not an object"); return; }
      // The reason texts are derived from the numbers by the templates of docs/tally-format.md and
      // compared like every other value (an altered reason can state the wrong result).
      var got = tally;
      diff(want, got, "tally", function (m) { R.fail("tally", m + " (recomputed from the roll and the counted ballots)"); });
      R.facts.tally = {totals: want.totals, ballots: want.ballots, items: Object.keys(want.items).map(function (id) {
        var x = want.items[id];
        return {id: id, kind: x.kind, passed: x.passed, participation: {area: x.participation.area, heads: x.participation.heads},
          elected: x.elected, winner: x.winner, tie: x.tie, closest: x.closest};
      })};
    });

    // 11. the certification
    await section(R, "certification", async function () {
      var cert = doc.certification, P = "certification";
      R.members("certification", P, cert, ["tally_sha256", "required_signatures", "signatures"]);
      var stripped = tally;
      if (isObj(tally) && isObj(tally.items)) {
        stripped = without(tally, []);
        stripped.items = {};
        var its = Object.keys(tally.items);
        for (var k = 0; k < its.length; k++) {
          var t = tally.items[its[k]];
          stripped.items[its[k]] = isObj(t) ? without(t, ["reason"]) : t;
        }
      }
      var digest = await sha256Hex(canonical(stripped));
      R.facts.tallyDigest = digest;
      if (!isObj(cert)) { return; }
      R.expect("certification", cert.tally_sha256 === digest, P + ".tally_sha256: is " + show(cert.tally_sha256) + ", the tally's digest (without reasons) is " + digest);
      R.expect("certification", isInt(ctx.requiredSignatures) && cert.required_signatures === ctx.requiredSignatures,
        P + ".required_signatures: is " + show(cert.required_signatures) + ", the notice requires " + show(ctx.requiredSignatures));
      var payload = {type: "ownersvote-certification", v: 2, assembly: ctx.assemblyId, notice: ctx.noticeDigest,
        roll_root: ctx.rollRoot, log_size: final ? final.size : entries.length, log_root: final ? final.root : logRootHex, tally_sha256: digest};
      R.certificationPayload = payload;
      var bytes = utf8(canonical(payload));
      var required = isInt(ctx.requiredSignatures) && ctx.requiredSignatures >= 1 ? ctx.requiredSignatures : 1;
      // A supervisor checking a tally before certifying it: the certifications made so far must
      // verify, but the threshold is what the certifying is about to reach.
      var signers = await checkSignatures(R, S, "certification", P + ".signatures", cert.signatures, supervisors, pinnedSup, bytes,
        R.options && R.options.certifying ? null : required);
      // §10: the server takes certifications until the notice's requirement is met and no more,
      // so a bundle carries every certification made: more than required cannot have been made.
      if (Array.isArray(cert.signatures) && cert.signatures.length > required) {
        R.fail("certification", P + ".signatures: " + cert.signatures.length + " certifications, but the server accepts no more than the " +
          required + " the notice requires");
      }
      R.facts.certification = {signers: signers, required: ctx.requiredSignatures};
    });
    await R.progress(R.total, "done");

    var f = R.facts;
    f.format = doc.format; f.version = doc.version;
    f.synthetic = isObj(notice) ? notice.synthetic : doc.synthetic;
    if (isObj(notice)) {
      f.estate = isObj(notice.estate) ? {id: notice.estate.id, name: notice.estate.name} : null;
      f.assembly = {id: notice.assembly, title: notice.title, kind: notice.kind, opens: notice.opens, closes: notice.closes,
        window: formatTime(notice.opens) + " – " + formatTime(notice.closes),
        countingRule: isObj(notice.rules) ? notice.rules.counting_rule : null};
    }
    f.supervisors = Object.keys(supervisors);
    // 4 (continued). every listed supervisor key signs the roll or the certification
    checkEveryKeySigns(R, supervisors, [isObj(doc.roll) ? doc.roll.signatures : null,
      isObj(doc.certification) ? doc.certification.signatures : null]);
    return result();
  }

  /* Appendix: a published roll on its own runs the roll checks of §11 item 5 alone. */
  async function verifyPublishedRoll(R, S, doc, options, result) {
    var pinnedSup = Array.isArray(options.supervisorKeys) && options.supervisorKeys.length ? options.supervisorKeys.slice() : null;
    R.total = (isObj(doc.roll) && Array.isArray(doc.roll.entries) ? doc.roll.entries.length : 0) + 1;
    R.members("header", "roll document", doc, ["format", "version", "estate", "supervisors", "roll"]);
    R.expect("header", doc.version === 2, "version: is " + show(doc.version) + ", expected 2");
    if (R.members("header", "estate", doc.estate, ["id"])) { R.expect("header", isNEStr(doc.estate.id), "estate.id: not a non-empty string"); }
    var supervisors = await section(R, "supervisors", function () { return checkKeyList(R, "supervisors", "supervisors", doc.supervisors); }) || {};
    var roll = await section(R, "roll", function () {
      return checkRoll(R, S, doc.roll, isObj(doc.estate) ? doc.estate.id : undefined, supervisors, pinnedSup);
    });
    if (roll) {
      R.rollPayload = roll.payload;
      R.facts.roll = {id: doc.roll.id, size: roll.size, area: roll.area, heads: roll.heads, root: roll.root, signers: roll.signers || []};
    }
    R.facts.format = doc.format;
    R.facts.supervisors = Object.keys(supervisors);
    checkEveryKeySigns(R, supervisors, [isObj(doc.roll) ? doc.roll.signatures : null]);
    await R.progress(R.total, "done");
    return result();
  }

  /* A one-screen text summary of a report (for the CLI and for logs). */
  function summarize(report, limitPerCheck) {
    var f = report.facts, lines = [];
    if (!report.ok) {
      lines.push("OwnersVote " + (f.format === "ownersvote-roll" ? "published roll" : "audit bundle") + ": FAILED — " +
        report.failures.length + " failure(s)");
      var counts = {};
      for (var i = 0; i < report.failures.length; i++) {
        var x = report.failures[i];
        counts[x.check] = (counts[x.check] || 0) + 1;
        if (!limitPerCheck || counts[x.check] <= limitPerCheck) { lines.push("  [" + x.check + "] " + x.message); }
      }
      var ks = Object.keys(counts);
      for (var k = 0; k < ks.length; k++) {
        if (limitPerCheck && counts[ks[k]] > limitPerCheck) { lines.push("  [" + ks[k] + "] … and " + (counts[ks[k]] - limitPerCheck) + " more"); }
      }
      return lines.join("\n");
    }
    if (f.format === "ownersvote-roll") {
      lines.push("OwnersVote published roll: VERIFIED — every check passed");
      lines.push("  roll       " + f.roll.size + " members, " + f.roll.area + " m², " + f.roll.heads + " heads; root " + f.roll.root);
      lines.push("             signed by: " + f.roll.signers.join("; "));
      return lines.join("\n");
    }
    lines.push("OwnersVote audit bundle: VERIFIED — every check passed (independent JavaScript verifier)");
    if (f.synthetic) { lines.push("  *** SYNTHETIC TEST DATA — not a real assembly ***"); }
    if (f.estate) { lines.push("  estate     " + f.estate.name + " [" + f.estate.id + "]"); }
    if (f.assembly) {
      lines.push("  assembly   " + f.assembly.title + " [" + f.assembly.id + "]");
      lines.push("  notice     sha256 " + f.noticeDigest + "; voting " + f.assembly.window);
    }
    if (f.roll) {
      lines.push("  roll       " + f.roll.size + " members, " + f.roll.area + " m², " + f.roll.heads + " heads; root " + f.roll.root.slice(0, 16) + "…");
      lines.push("             signed by " + f.roll.signers.length + " supervisor key(s), " + f.roll.required + " required: " + f.roll.signers.join("; "));
    }
    if (f.log) {
      lines.push("  log        " + f.log.entries + " ballots (" + f.log.online + " online, " + f.log.paper + " paper), every signature valid; " +
        f.log.treeHeads + " signed tree heads consistent");
    }
    if (f.finalHead) { lines.push("             final tree head: size " + f.finalHead.size + ", root " + f.finalHead.root.slice(0, 16) + "…, signed " + f.finalHead.time); }
    lines.push("  counted    " + f.counted + " ballots (" + (f.counted - f.countedPaper) + " online, " + f.countedPaper +
      " paper), one per member; replacing " + (f.replaceAllowed ? "allowed (the last counts)" : "not allowed"));
    if (f.tally) {
      lines.push("  tally      recomputed and identical to the bundle's (totals " + f.tally.totals.area + " m², " + f.tally.totals.heads + " heads)");
      for (var t = 0; t < f.tally.items.length; t++) {
        var it = f.tally.items[t], extra = "";
        if (it.elected) { extra = "; elected " + (it.elected.join(", ") || "nobody"); }
        if (it.kind === "plan") { extra = it.winner ? "; plan chosen " + it.winner : "; no plan chosen"; }
        else if (it.winner) { extra = "; winner " + it.winner; }
        lines.push("    " + (it.id + "      ").slice(0, 6) + " " + (it.kind + "           ").slice(0, 10) + " " + (it.passed ? "PASSED 通过  " : "FAILED 未通过") +
          "  took part " + it.participation.area + " m² / " + it.participation.heads + " heads" + extra);
      }
    }
    if (f.certification) {
      lines.push("  certified  by " + f.certification.signers.length + " supervisor key(s), " + f.certification.required + " required by the notice: " +
        f.certification.signers.join("; "));
    }
    lines.push("  tally digest " + f.tallyDigest);
    if (f.receipts) { lines.push("  receipts   " + f.receipts + " checked"); }
    if (f.promises && f.promises.length) {
      lines.push("  promises   " + f.promises.length + " kept (in the final tree, covered by their deadlines): " +
        f.promises.slice(0, 6).join(", ") + (f.promises.length > 6 ? " …" : ""));
    }
    for (var sk = 0; sk < (f.serverKeys || []).length; sk++) {
      var key = f.serverKeys[sk];
      lines.push((sk === 0 ? "  server key " : "             ") + key.kid + (key.notBefore ? "  from " + formatTime(key.notBefore) : "  from the start") +
        (key.retiredAt === null ? ", in use" : ", retired " + formatTime(key.retiredAt)));
    }
    lines.push("             (compare the key ids and periods with those the installation published)");
    lines.push("  checked in " + f.seconds + " s");
    return lines.join("\n");
  }

  var api = {
    version: 3,
    verifyBundle: verifyBundle,
    summarize: summarize,
    parseStrictJSON: parseStrictJSON,
    canonicalize: canonical,
    computeTally: computeTally,
    trackingCode: trackingCode,
    ed25519Supported: ed25519Supported,
    merkle: {
      leafHash: function (bytes) { return leafHash(bytes).then(bytesToHex); },
      root: function (leafHashesHex) { return merkleRoot(leafHashesHex.map(hexToBytes)).then(bytesToHex); },
      verifyInclusion: function (index, size, leafHex, pathHex, rootHex) {
        return verifyInclusion(index, size, hexToBytes(leafHex), pathHex.map(hexToBytes), hexToBytes(rootHex));
      },
      verifyConsistency: function (first, second, firstHex, secondHex, pathHex) {
        return verifyConsistency(first, second, hexToBytes(firstHex), hexToBytes(secondHex), pathHex.map(hexToBytes));
      }
    }
  };
  if (typeof module === "object" && module && module.exports) { module.exports = api; }
  if (typeof window !== "undefined") { window.OwnersVoteVerifier = api; }
})(typeof globalThis !== "undefined" ? globalThis : this);
