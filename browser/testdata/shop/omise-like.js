// The part of Omise.js (github.com/omise/omise.js, src/Omise.js) that
// tokenizes, in its shape: one easyXDM.Rpc to `${vaultUrl}/provider` with the
// remote method createToken, called as createToken(publicKey, {[as]:
// attributes}, success, error); success hands (response.status,
// response.data) to the handler, error (e.data.status, e.data.data), and a
// channel that is not ready after 30 s gives (0, rpc_error).
function OmiseLike(config) {
  var RPC_TIMEOUT = 30000;
  var rpc = null;
  var Omise = { config: config, publicKey: null };

  function createRpc(callback) {
    if (rpc) {
      return rpc;
    }
    var tm = setTimeout(function () {
      rpc.destroy();
      rpc = null;
      callback && callback();
    }, RPC_TIMEOUT);
    rpc = new easyXDM.Rpc({
      remote: config.vaultUrl + '/provider',
      onReady: function () {
        clearTimeout(tm);
      }
    }, {
      remote: { createToken: {} }
    });
    return rpc;
  }

  Omise.setPublicKey = function (publicKey) {
    Omise.publicKey = publicKey;
    return Omise.publicKey;
  };

  Omise.createToken = function (as, attributes, handler) {
    var data = {};
    data[as] = attributes;
    createRpc(function () {
      handler(0, { code: 'rpc_error', message: 'unable to connect to provider after timeout' });
    }).createToken(Omise.publicKey, data, function (response) {
      handler(response.status, response.data);
    }, function (e) {
      handler(e.data.status, e.data.data);
    });
  };

  return Omise;
}
