/*! cardvault.js v1: tokenize a card in the shopper's browser through cardvault's /provider frame.
 * Load it from the vault (<script src="https://VAULT/js/cardvault.v1.js" integrity="…" crossorigin="anonymous">),
 * then Cardvault.setPublicKey('pkey_…') and Cardvault.createToken('card', {…}, function (status, response) {…}).
 * It never writes to the console and never puts a card number in an error. */
(function (global) {
  'use strict';

  // RPC_TIMEOUT is how long the provider frame may take to answer its
  // handshake, as in Omise.js; past it every pending call gets status 0.
  var RPC_TIMEOUT = 30000;

  var script = document.currentScript;
  var config = {
    // The vault's base URL: where this script was loaded from, one level up
    // from /js/. Cardvault.setVaultUrl changes it for a self-hosted copy.
    vaultUrl: script && script.src ? new URL('..', script.src).href.replace(/\/$/, '') : ''
  };
  var publicKey = null;
  var channel = null;

  function rpcError(message) {
    return { object: 'error', code: 'rpc_error', message: message };
  }

  // connect opens the channel to the provider frame once: an easyXDM
  // postMessage channel (the provider runs the real easyXDM), spoken here
  // directly. Messages go only to the vault's origin, and only messages from
  // that frame's window and origin, on this channel, are read.
  function connect() {
    if (channel) {
      return channel;
    }
    var base = new URL(config.vaultUrl + '/');
    var ch = {
      origin: base.origin,
      name: 'cardvault' + Math.random().toString(36).slice(2, 12),
      frame: document.createElement('iframe'),
      ready: false,
      queue: [],
      calls: {},
      nextId: 0,
      timer: null
    };
    ch.listener = function (ev) {
      receive(ch, ev);
    };
    var query = new URLSearchParams({ xdm_e: location.origin, xdm_c: ch.name, xdm_p: '1' });
    ch.frame.src = new URL('provider?' + query, base).href;
    ch.frame.title = 'cardvault';
    ch.frame.hidden = true;
    ch.frame.tabIndex = -1;
    ch.frame.setAttribute('aria-hidden', 'true');
    global.addEventListener('message', ch.listener);
    ch.timer = setTimeout(function () {
      close(ch, 'unable to connect to provider after timeout');
    }, RPC_TIMEOUT);
    (document.body || document.documentElement).appendChild(ch.frame);
    channel = ch;
    return ch;
  }

  // close ends a channel that never became ready: every pending call is
  // answered with status 0, and the next call opens a new channel.
  function close(ch, message) {
    clearTimeout(ch.timer);
    global.removeEventListener('message', ch.listener);
    if (ch.frame.parentNode) {
      ch.frame.parentNode.removeChild(ch.frame);
    }
    if (channel === ch) {
      channel = null;
    }
    var calls = ch.calls;
    ch.calls = {};
    ch.queue = [];
    Object.keys(calls).forEach(function (id) {
      calls[id](0, rpcError(message));
    });
  }

  function receive(ch, ev) {
    if (ev.origin !== ch.origin || ev.source !== ch.frame.contentWindow || typeof ev.data !== 'string') {
      return;
    }
    if (ev.data === ch.name + '-ready') {
      clearTimeout(ch.timer);
      ch.ready = true;
      ch.queue.forEach(function (m) {
        post(ch, m);
      });
      ch.queue = [];
      return;
    }
    var prefix = ch.name + ' ';
    if (ev.data.slice(0, prefix.length) !== prefix) {
      return;
    }
    var msg;
    try {
      msg = JSON.parse(ev.data.slice(prefix.length));
    } catch (e) {
      return;
    }
    var callback = msg && ch.calls[msg.id];
    if (!callback) {
      return;
    }
    delete ch.calls[msg.id];
    if (msg.error) {
      // The provider's error carries POST /tokens' answer as its data.
      var d = msg.error.data;
      if (d && typeof d.status === 'number') {
        callback(d.status, d.data);
      } else {
        callback(0, rpcError('the provider could not run the call'));
      }
      return;
    }
    var r = msg.result || {};
    callback(r.status, r.data);
  }

  function post(ch, message) {
    ch.frame.contentWindow.postMessage(ch.name + ' ' + message, ch.origin);
  }

  // createToken tokenizes attributes as the object `as` ('card'): the
  // callback gets (status, response) exactly as POST /tokens answers them,
  // or (0, {code: 'rpc_error'}) when the vault's frame cannot be reached.
  // The hints below are not applied here: the vault validates every card.
  function createToken(as, attributes, callback) {
    if (typeof callback !== 'function') {
      throw new TypeError('Cardvault.createToken: the callback must be a function');
    }
    var data = {};
    data[as] = attributes;
    var ch = connect();
    var id = ++ch.nextId;
    ch.calls[id] = callback;
    var message = JSON.stringify({ jsonrpc: '2.0', method: 'createToken', params: [publicKey, data], id: id });
    if (ch.ready) {
      post(ch, message);
    } else {
      ch.queue.push(message);
    }
  }

  // The brand table of the vault (API.md §2.8), row for row: the first row
  // with a matching prefix wins; a range compares the first len(lo) digits.
  var BRANDS = [
    ['Visa', [['4', '4']], [13, 16, 18, 19], 3],
    ['MasterCard', [['51', '55'], ['2221', '2720']], [16], 3],
    ['American Express', [['34', '34'], ['37', '37']], [15], 4],
    ['Diners Club', [['300', '305'], ['36', '36'], ['38', '38'], ['39', '39']], [14, 16, 19], 3],
    ['JCB', [['3528', '3589']], [16, 17, 18, 19], 3],
    ['Discover', [['6011', '6011'], ['622126', '622925'], ['644', '649'], ['65', '65']], [16, 17, 18, 19], 3],
    ['UnionPay', [['62', '62'], ['81', '81']], [16, 17, 18, 19], 3],
    ['Maestro', [['5018', '5018'], ['5020', '5020'], ['5038', '5038'], ['6304', '6304'], ['6759', '6759'], ['6761', '6763']],
      [12, 13, 14, 15, 16, 17, 18, 19], 3]
  ];

  // normalize drops spaces and dashes, as the vault does.
  function normalize(number) {
    return String(number == null ? '' : number).replace(/[ -]/g, '');
  }

  function row(number) {
    var n = normalize(number);
    if (!/^[0-9]+$/.test(n)) {
      return null;
    }
    for (var i = 0; i < BRANDS.length; i++) {
      var spans = BRANDS[i][1];
      for (var j = 0; j < spans.length; j++) {
        var lo = spans[j][0], hi = spans[j][1];
        if (n.length >= lo.length) {
          var head = n.slice(0, lo.length);
          if (lo <= head && head <= hi) {
            return BRANDS[i];
          }
        }
      }
    }
    return null;
  }

  // brand is the vault's brand name for a number or its first digits ('' when unknown).
  function brand(number) {
    var r = row(number);
    return r ? r[0] : '';
  }

  // luhn reports whether a number passes the Luhn check.
  function luhn(number) {
    var n = normalize(number);
    if (!/^[0-9]+$/.test(n)) {
      return false;
    }
    var sum = 0;
    for (var i = n.length - 1, dbl = false; i >= 0; i--, dbl = !dbl) {
      var d = n.charCodeAt(i) - 48;
      if (dbl) {
        d = d * 2 > 9 ? d * 2 - 9 : d * 2;
      }
      sum += d;
    }
    return sum % 10 === 0;
  }

  // validNumber: 12–19 digits, Luhn, a known brand and a length it allows.
  function validNumber(number) {
    var n = normalize(number);
    var r = row(n);
    return n.length >= 12 && n.length <= 19 && luhn(n) && !!r && r[2].indexOf(n.length) >= 0;
  }

  function integer(v) {
    var s = String(v == null ? '' : v).trim();
    return /^[0-9]+$/.test(s) ? parseInt(s, 10) : NaN;
  }

  // validExpiry: month 1–12, year YY or YYYY, not before the current UTC month.
  function validExpiry(month, year, now) {
    var m = integer(month), y = integer(year);
    if (!(m >= 1 && m <= 12)) {
      return false;
    }
    if (y >= 0 && y <= 99) {
      y += 2000;
    } else if (!(y >= 1000 && y <= 9999)) {
      return false;
    }
    now = now || new Date();
    return y * 12 + m >= now.getUTCFullYear() * 12 + now.getUTCMonth() + 1;
  }

  // validSecurityCode: 4 digits for American Express, 3 for the other
  // brands, 3 or 4 when the number's brand is unknown.
  function validSecurityCode(code, number) {
    var c = String(code == null ? '' : code);
    var r = row(number);
    var want = r ? r[3] : 0;
    return /^[0-9]+$/.test(c) && (want ? c.length === want : c.length === 3 || c.length === 4);
  }

  // problems names the fields of card attributes that the vault would
  // refuse, as far as the browser can tell: hints for the form, never a
  // replacement for the vault's answer. Only field names, never values.
  function problems(attrs) {
    attrs = attrs || {};
    var out = [];
    if (!String(attrs.name == null ? '' : attrs.name).trim()) {
      out.push('name');
    }
    if (!validNumber(attrs.number)) {
      out.push('number');
    }
    if (!validExpiry(attrs.expiration_month, attrs.expiration_year)) {
      out.push('expiration');
    }
    var code = attrs.security_code;
    if (code != null && code !== '' && !validSecurityCode(code, attrs.number)) {
      out.push('security_code');
    }
    return out;
  }

  global.Cardvault = {
    version: '1',
    setPublicKey: function (key) {
      publicKey = key;
      return publicKey;
    },
    setVaultUrl: function (url) {
      if (channel) {
        close(channel, 'the vault URL changed');
      }
      config.vaultUrl = String(url).replace(/\/$/, '');
      return config.vaultUrl;
    },
    createToken: createToken,
    card: {
      normalize: normalize,
      brand: brand,
      luhn: luhn,
      validNumber: validNumber,
      validExpiry: validExpiry,
      validSecurityCode: validSecurityCode,
      problems: problems
    }
  };
})(window);
