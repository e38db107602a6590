package browser_test

// The browser paths in real Chromium (headless, driven by chromedp): cardvault
// (server.Handler on a SQLite store) serves one origin, a test shop another
// (localhost vs 127.0.0.1, other port). The shop's checkout page tokenizes
// through Omise.js's easyXDM channel (the real easyXDM consumer) and through
// cardvault.js, sends the token to its backend, which attaches it with the
// secret key and shows the masked card. Each answer the page receives must
// equal what POST /tokens answers for the same card; no card number may reach
// the console, the pages or the vault's log.

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"net/http"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/cardvault/cardvault/iin"
	"github.com/chromedp/chromedp"
)

// TestChromium tokenizes through both paths, good card, bad number and
// unknown key, and scans what the browser and the vault kept.
func TestChromium(t *testing.T) {
	bctx := newChromium(t)
	v := newVault(t)
	shop := newShop(t, v)
	for _, path := range []string{"omise.js", "cardvault.js"} {
		t.Run(path, func(t *testing.T) {
			tb := newTab(t, bctx, v.URL)

			// A good card: the page gets POST /tokens' answer, its backend
			// attaches the token and sees the masked card.
			card := cardOf(goodPAN)
			got := tb.checkout(t, shop, path, card)
			wantStatus, _, want := v.reference(t, card)
			if got["status"] != float64(wantStatus) || wantStatus != http.StatusOK {
				t.Fatalf("status: page %v, POST /tokens %d", got["status"], wantStatus)
			}
			data, _ := got["data"].(map[string]any)
			if data == nil || !reflect.DeepEqual(withoutIDs(data), withoutIDs(want)) {
				t.Errorf("token the page got, without ids and times:\n%v\nPOST /tokens:\n%v", withoutIDs(data), withoutIDs(want))
			}
			stored, _ := got["stored"].(map[string]any)
			if stored["status"] != float64(200) || stored["last_digits"] != "4242" || stored["brand"] != "Visa" || stored["card"] != data["card"].(map[string]any)["id"] {
				t.Errorf("the shop's backend attached %v, want the token's Visa card ending 4242", stored)
			}
			if text, err := chromedp.Run(tb.ctx, chromedp.Text(chromedp.ID("status"))); err != nil || text != "Visa ending 4242 saved" {
				t.Errorf("status line %q (%v)", text, err)
			}
			if path == "cardvault.js" {
				if brand, err := chromedp.Run(tb.ctx, chromedp.Text(chromedp.ID("brand"))); err != nil || brand != "Visa" {
					t.Errorf("brand hint as typed: %q (%v), want Visa", brand, err)
				}
			}
			st, _, cardObj := v.call(t, "GET", "/customers/"+stored["customer"].(string)+"/cards/"+stored["card"].(string), v.SK, "", "")
			if st != 200 || cardObj["last_digits"] != "4242" {
				t.Errorf("GET the attached card: %d, last_digits %v", st, cardObj["last_digits"])
			}

			// A bad number: the error callback, with POST /tokens' 400.
			bad := cardOf(badPAN)
			got = tb.checkout(t, shop, path, bad)
			wantStatus, _, want = v.reference(t, bad)
			if got["status"] != float64(wantStatus) || wantStatus != http.StatusBadRequest || !reflect.DeepEqual(got["data"], want) {
				t.Errorf("bad number: page (%v, %v), POST /tokens (%d, %v)", got["status"], got["data"], wantStatus, want)
			}
			if want["code"] != "invalid_card" {
				t.Errorf("bad number: POST /tokens code %v, want invalid_card", want["code"])
			}

			// An unknown public key: the error callback, with POST /tokens' 401.
			unknown := "pkey_test_" + strings.Repeat("0", 32)
			got = tb.checkout(t, shop, path+"?pkey="+unknown, card)
			wantStatus, _, want = (&vaultEnv{URL: v.URL, PK: unknown}).reference(t, card)
			if got["status"] != float64(wantStatus) || wantStatus != http.StatusUnauthorized || !reflect.DeepEqual(got["data"], want) {
				t.Errorf("unknown key: page (%v, %v), POST /tokens (%d, %v)", got["status"], got["data"], wantStatus, want)
			}

			// What the browser saw of POST /tokens: the provider's same-origin
			// call, answered with no-store.
			tb.mu.Lock()
			tokens := tb.tokens
			console := strings.Join(tb.console, "\n")
			tb.mu.Unlock()
			if len(tokens) != 3 {
				t.Errorf("the tab saw %d answers of POST /tokens, want 3", len(tokens))
			}
			for _, r := range tokens {
				if cc := headerValue(r.Headers, "Cache-Control"); cc != "no-store" {
					t.Errorf("POST /tokens %d in the browser: Cache-Control %q", r.Status, cc)
				}
			}
			// Nothing may be blocked by the provider's CSP, nor, with
			// cardvault.js, by the shop's. easyXDM's consumer (bundled in
			// Omise.js) sets its frame's src to javascript:false first, which
			// a strict shop CSP blocks, harmlessly (docs/BROWSER.md).
			for _, m := range strings.Split(console, "\n") {
				if !strings.Contains(m, "Content Security Policy") {
					continue
				}
				src := strings.Fields(m)[1] // the document or script that was blocked
				if path == "cardvault.js" || strings.HasPrefix(src, v.URL) || !strings.Contains(m, "Running the JavaScript URL") {
					t.Errorf("a Content Security Policy blocked something: %s", redact(m))
				}
			}
			// The scans below reach the provider frame: its log line of the
			// 400 and its document are there.
			if !strings.Contains(console, v.URL+"/tokens") {
				t.Errorf("the console holds nothing of the provider frame:\n%s", redact(console))
			}
			docs := tb.documents(t)
			if !strings.Contains(docs, "cardvault's tokenization endpoint") {
				t.Errorf("the documents read do not include the provider frame's")
			}
			checkNoPAN(t, "the console", console)
			checkNoPAN(t, "the documents", docs)
			checkNoPAN(t, "the vault's log", v.logs.String())
		})
	}
}

// TestChromium_hintsMatchIIN: cardvault.js's hints, run in Chromium, agree
// with the server's iin/ package: the brand of every 1- to 4-digit prefix and
// of the 6-digit range around Discover's 622126–622925, and Luhn and the
// number rule of API.md §2.7 on random numbers of every brand and length.
func TestChromium_hintsMatchIIN(t *testing.T) {
	bctx := newChromium(t)
	v := newVault(t)
	shop := newShop(t, v)
	tb := newTab(t, bctx, v.URL)
	ctx, cancel := context.WithTimeout(tb.ctx, 20*time.Second)
	defer cancel()
	if err := chromedp.Do(ctx, chromedp.Navigate(shop+"/cardvault.js")); err != nil {
		t.Fatal(err)
	}
	var inputs []string
	for n, size := 1, 10; n <= 4; n, size = n+1, size*10 {
		for i := range size {
			inputs = append(inputs, fmt.Sprintf("%0*d", n, i))
		}
	}
	for i := 622120; i <= 622930; i++ {
		inputs = append(inputs, strconv.Itoa(i))
	}
	prefixes := []string{"4", "51", "55", "2221", "2720", "34", "37", "300", "305", "36", "38", "39", "3528", "3589",
		"6011", "622126", "622925", "644", "649", "65", "62", "81", "5018", "5020", "5038", "6304", "6759", "6761", "6763", "99"}
	random := func(n int) string {
		b := make([]byte, n)
		rand.Read(b)
		for i := range b {
			b[i] = '0' + b[i]%10
		}
		return string(b)
	}
	for _, p := range prefixes {
		for n := 12; n <= 19; n++ {
			for range 4 {
				inputs = append(inputs, p+random(n-len(p)))
			}
		}
	}
	// Half of the random ones made to pass Luhn.
	for i, s := range inputs {
		if len(s) >= 12 && i%2 == 0 {
			for d := '0'; d <= '9'; d++ {
				if c := s[:len(s)-1] + string(d); iin.Luhn(c) {
					inputs[i] = c
					break
				}
			}
		}
	}
	arg, _ := json.Marshal(inputs)
	got, err := chromedp.Run(ctx, chromedp.Evaluate[[][3]any](`(`+string(arg)+`).map(function (x) {
		return [Cardvault.card.brand(x), Cardvault.card.luhn(x), Cardvault.card.validNumber(x)];
	})`))
	if err != nil || len(got) != len(inputs) {
		t.Fatalf("evaluate the hints: %v (%d results for %d inputs)", err, len(got), len(inputs))
	}
	bad := 0
	for i, s := range inputs {
		b := iin.Detect(s)
		valid := len(s) >= 12 && len(s) <= 19 && iin.Luhn(s) && b.ValidLength(len(s))
		want := [3]any{b.Name(), iin.Luhn(s), valid}
		if got[i] != want && bad < 10 {
			bad++
			shown := s
			if len(s) > 6 {
				shown = s[:6] + "…(" + strconv.Itoa(len(s)) + " digits)"
			}
			t.Errorf("%s: cardvault.js %v, iin %v", shown, got[i], want)
		}
	}

	// Expiry and security code, against a fixed now (2026-11-21).
	checks, err := chromedp.Run(ctx, chromedp.Evaluate[[]bool](`(function () {
		var now = new Date(Date.UTC(2026, 10, 21)), c = Cardvault.card;
		return [c.validExpiry('11', '2026', now), c.validExpiry(11, 26, now), !c.validExpiry('10', '2026', now),
			!c.validExpiry('13', '2030', now), !c.validExpiry('0', '2030', now), !c.validExpiry('1', '100', now),
			c.validExpiry(' 12 ', '9999', now), !c.validExpiry('x', '2030', now),
			c.validSecurityCode('1234', '378282246310005'), !c.validSecurityCode('123', '378282246310005'),
			c.validSecurityCode('123', '4242424242424242'), !c.validSecurityCode('1234', '4242424242424242'),
			c.validSecurityCode('1234', '9999'), c.validSecurityCode('123', ''), !c.validSecurityCode('12a', ''),
			JSON.stringify(c.problems({})) === '["name","number","expiration"]',
			JSON.stringify(c.problems({name: 'A', number: '4242 4242-4242 4242', expiration_month: 12, expiration_year: 2099, security_code: '12'})) === '["security_code"]'];
	})()`))
	if err != nil {
		t.Fatal(err)
	}
	for i, ok := range checks {
		if !ok {
			t.Errorf("expiry/security code check %d failed", i)
		}
	}
}

// TestChromium_cardvaultJSIgnoresOtherSenders: cardvault.js reads only
// messages from its provider frame's window and the vault's origin. A
// handshake and an answer forged with the channel's name, posted by the
// shop's own window before the frame answers, are ignored: the callback gets
// the vault's token.
func TestChromium_cardvaultJSIgnoresOtherSenders(t *testing.T) {
	bctx := newChromium(t)
	v := newVault(t)
	shop := newShop(t, v)
	tb := newTab(t, bctx, v.URL)
	ctx, cancel := context.WithTimeout(tb.ctx, 20*time.Second)
	defer cancel()
	if err := chromedp.Do(ctx, chromedp.Navigate(shop+"/cardvault.js")); err != nil {
		t.Fatal(err)
	}
	got, err := chromedp.Run(ctx, chromedp.Evaluate[[]any](`new Promise(function (resolve) {
		Cardvault.createToken('card', {name: 'A', number: '`+goodPAN+`', expiration_month: 12, expiration_year: 2031},
			function (status, data) { resolve([status, data && data.id]); });
		var name = new URL(document.querySelector('iframe[title=cardvault]').src).searchParams.get('xdm_c');
		window.postMessage(name + '-ready', '*');
		window.postMessage(name + ' ' + JSON.stringify({jsonrpc: '2.0', id: 1,
			result: {status: 200, data: {id: 'tokn_test_forged'}}}), '*');
	})`, chromedp.EvalAwaitPromise))
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || got[0] != float64(200) {
		t.Fatalf("callback got %v, want status 200", got)
	}
	id, _ := got[1].(string)
	if st, _, tok := v.call(t, "GET", "/tokens/"+id, v.PK, "", ""); st != http.StatusOK || tok["id"] != id {
		t.Errorf("the callback's token %q is not the vault's: GET /tokens/… %d", id, st)
	}
}
