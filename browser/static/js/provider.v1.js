// cardvault's /provider page: the far end of the easyXDM RPC channel that
// Omise.js (and cardvault.js) open in a hidden frame. It exposes one method,
// createToken(publicKey, params, success, error), and tokenizes by calling
// POST /tokens of its own origin, so the (status, data) handed back is
// exactly what POST /tokens answers. It never logs anything.
(function () {
  'use strict';

  // Only the postMessage transport (xdm_p=1) is served: the other easyXDM
  // transports need helper files or plugins this page does not have.
  var query = new URLSearchParams(location.search);
  if (query.get('xdm_p') !== '1' || !query.get('xdm_c') || !/^https?:\/\//.test(query.get('xdm_e') || '')) {
    return;
  }

  // failure is an Omise error object for what happened outside POST /tokens.
  function failure(status, code, message) {
    return {
      status: status,
      data: {
        object: 'error',
        location: 'https://www.omise.co/api-errors#' + code.replace(/_/g, '-'),
        code: code,
        message: message
      }
    };
  }

  // authorization is the Basic credential of a public key; a key that
  // cannot be encoded is sent as no key, which /tokens answers with 401.
  function authorization(key) {
    try {
      return 'Basic ' + btoa(String(key) + ':');
    } catch (e) {
      return null;
    }
  }

  function createToken(publicKey, params, success, error) {
    var headers = { 'Content-Type': 'application/json' };
    var auth = authorization(publicKey);
    if (auth) {
      headers.Authorization = auth;
    }
    fetch('tokens', {
      method: 'POST',
      headers: headers,
      body: JSON.stringify(params === undefined ? {} : params),
      credentials: 'omit',
      cache: 'no-store',
      redirect: 'error',
      referrerPolicy: 'no-referrer'
    }).then(function (res) {
      return res.json().then(function (data) {
        return { status: res.status, data: data };
      }, function () {
        return failure(res.status || 502, 'bad_gateway', 'the vault answered with something other than JSON');
      });
    }, function () {
      return failure(0, 'network_error', 'the vault could not be reached');
    }).then(function (answer) {
      if (answer.status >= 200 && answer.status < 300) {
        success(answer);
      } else {
        error('request failed', answer);
      }
    });
    // Nothing is returned: easyXDM would send a returned value as the result.
  }

  new easyXDM.Rpc({}, { local: { createToken: createToken } });
})();
