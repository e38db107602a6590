// The shop's checkout page: tokenize with Omise.js (OmiseLike) or
// cardvault.js, then send only the token to the shop's backend.
(function () {
  'use strict';
  var body = document.body;
  var pkey = new URLSearchParams(location.search).get('pkey') || body.dataset.pkey;
  var tokenize;
  if (body.dataset.path === 'omise.js') {
    var omise = OmiseLike({ vaultUrl: body.dataset.vault });
    omise.setPublicKey(pkey);
    tokenize = function (card, cb) { omise.createToken('card', card, cb); };
  } else {
    Cardvault.setPublicKey(pkey);
    tokenize = function (card, cb) { Cardvault.createToken('card', card, cb); };
    document.getElementById('cc-number').addEventListener('input', function (ev) {
      document.getElementById('brand').textContent = Cardvault.card.brand(ev.target.value);
    });
  }
  var field = function (id) { return document.getElementById(id); };
  var status = field('status');
  field('pay').addEventListener('submit', function (ev) {
    ev.preventDefault();
    var card = {
      name: field('cc-name').value,
      number: field('cc-number').value,
      expiration_month: field('cc-month').value,
      expiration_year: field('cc-year').value,
      security_code: field('cc-csc').value
    };
    field('cc-number').value = '';
    field('cc-csc').value = '';
    tokenize(card, function (statusCode, response) {
      window.shopResult = { status: statusCode, data: response };
      if (statusCode !== 200) {
        status.textContent = 'Card refused: ' + (response && response.message);
        body.dataset.state = 'done';
        return;
      }
      fetch('/checkout', { method: 'POST', body: new URLSearchParams({ token: response.id }) })
        .then(function (r) { return r.json(); })
        .then(function (stored) {
          window.shopResult.stored = stored;
          status.textContent = stored.brand + ' ending ' + stored.last_digits + ' saved';
          body.dataset.state = 'done';
        });
    });
  });
})();
