package omiseapi_test

import (
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"
)

// TestCreateCustomer covers POST /customers (§2.2, §2.4).
func TestCreateCustomer(t *testing.T) {
	e := newEnv(t)
	tests := []struct {
		name, ct, body string
		want           map[string]string
	}{
		{"no parameters", "", "", map[string]string{
			"object": `"customer"`, "id": `~^cust_test_[0-9a-z]{19}$`, "livemode": `false`, "deleted": `false`,
			"email": `null`, "description": `null`, "metadata": `{}`, "default_card": `null`,
			"cards.object": `"list"`, "cards.data": `[]`, "cards.total": `0`, "cards.limit": `20`, "cards.offset": `0`,
			"cards.order": `"chronological"`, "cards.from": `"1970-01-01T00:00:00Z"`, "cards.to": q(ts(t0)),
			"created_at": q(ts(t0)),
		}},
		{"form email and description", ctForm, form("email", "somchai@example.com", "description", "Somchai Prasert (id: 30)"),
			map[string]string{"email": `"somchai@example.com"`, "description": `"Somchai Prasert (id: 30)"`}},
		{"json email and description", ctJSON, `{"email":"a@example.com","description":"d"}`,
			map[string]string{"email": `"a@example.com"`, "description": `"d"`}},
		{"text trimmed", ctForm, form("email", "  a@example.com\t", "description", " d "),
			map[string]string{"email": `"a@example.com"`, "description": `"d"`}},
		{"empty strings are absent", ctForm, form("email", "", "description", "", "metadata", "", "card", ""),
			map[string]string{"email": `null`, "description": `null`, "metadata": `{}`, "cards.total": `0`}},
		{"nulls are absent", ctJSON, `{"email":null,"description":null,"metadata":null,"card":null,"default_card":null}`,
			map[string]string{"email": `null`, "description": `null`, "metadata": `{}`, "default_card": `null`}},
		{"json metadata", ctJSON, `{"metadata":{"answer":42}}`, map[string]string{"metadata": `{"answer":42}`}},
		{"json nested metadata", ctJSON, `{"metadata":{"a":{"b":[1,"x",true,null]},"big":1e400,"f":1.5}}`,
			map[string]string{"metadata": `{"a":{"b":[1,"x",true,null]},"big":1e400,"f":1.5}`}},
		{"form metadata", ctForm, form("metadata[plan][tier]", "gold", "metadata[seats]", "3"),
			map[string]string{"metadata": `{"plan":{"tier":"gold"},"seats":"3"}`}},
		{"empty metadata object", ctJSON, `{"metadata":{}}`, map[string]string{"metadata": `{}`}},
		{"unknown params ignored", ctJSON, `{"linked_account":"acct_x","foo":{"bar":1},"email":"x@example.com"}`,
			map[string]string{"email": `"x@example.com"`}},
		{"default_card is not a create parameter", ctJSON, `{"default_card":{"x":1},"email":"v@example.com"}`,
			map[string]string{"email": `"v@example.com"`, "default_card": `null`}},
		{"+json", "application/vnd.api+json", `{"email":"y@example.com"}`, map[string]string{"email": `"y@example.com"`}},
		{"no content type json", "", `{"email":"z@example.com"}`, map[string]string{"email": `"z@example.com"`}},
		{"no content type form", "", "email=w%40example.com", map[string]string{"email": `"w@example.com"`}},
		{"255 chars", ctForm, form("description", strings.Repeat("d", 255)), map[string]string{"description": q(strings.Repeat("d", 255))}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			st, c := e.do(t, "POST", "/customers", e.SK, tc.ct, tc.body)
			if st != 200 {
				t.Fatalf("status %d: %v", st, c)
			}
			wantKeys(t, c, "", customerKeys...)
			wantKeys(t, c, "cards", listKeys...)
			id := str(t, c, "id")
			check(t, c, map[string]string{"location": q("/customers/" + id), "cards.location": q("/customers/" + id + "/cards")})
			num(t, c, "chargeover_id")
			check(t, c, tc.want)
		})
	}
}

// TestCreateCustomerWithCard covers POST /customers card= (§2.4, §2.10).
func TestCreateCustomerWithCard(t *testing.T) {
	e := newEnv(t)
	tok, card := e.MustToken(t, "4242424242424242", "city", "Bangkok")
	e.Clock.Advance(time.Second)
	st, c := e.do(t, "POST", "/customers", e.SK, ctForm, form("email", "a@example.com", "card", tok))
	if st != 200 {
		t.Fatalf("status %d: %v", st, c)
	}
	id := str(t, c, "id")
	wantKeys(t, c, "cards.data.0", cardKeys...)
	check(t, c, map[string]string{
		"default_card": q(card), "cards.total": `1`, "cards.data.0.id": q(card),
		"cards.data.0.location": q("/customers/" + id + "/cards/" + card), "cards.data.0.city": `"Bangkok"`,
		"cards.data.0.created_at": q(ts(t0)), "created_at": q(ts(t0.Add(time.Second))),
		"cards.data.0.deleted": `false`, "cards.data.0.first_digits": `null`, "cards.data.0.tokenization_method": `null`,
	})
	c1 := num(t, c, "chargeover_id")
	k1 := num(t, c, "cards.data.0.chargeover_id")
	check(t, e.MustGet(t, "/tokens/"+tok, e.PK), map[string]string{"used": `true`})

	// Integer ids ascend.
	tok2, _ := e.MustToken(t, "5555555555554444")
	c2 := e.MustCustomer(t, e.SK, form("card", tok2))
	if num(t, c2, "chargeover_id") <= c1 || num(t, c2, "cards.data.0.chargeover_id") <= k1 {
		t.Errorf("chargeover ids do not ascend: customers %d then %d, cards %d then %d",
			c1, num(t, c2, "chargeover_id"), k1, num(t, c2, "cards.data.0.chargeover_id"))
	}
}

// TestCreateCustomerErrors covers the errors of POST /customers; none of them
// creates a customer or uses a token.
func TestCreateCustomerErrors(t *testing.T) {
	e := newEnv(t)
	used, _ := e.MustToken(t, "4242424242424242")
	e.MustCustomer(t, e.SK, form("card", used))
	fresh, _ := e.MustToken(t, "4111111111111111")
	liveTok, _ := e.MustTokenKey(t, e.LPK, "4242424242424242")
	opk, _, _, _ := e.NewAccount(t)
	otherTok, _ := e.MustTokenKey(t, opk, "4242424242424242")
	meta := func(n int) string { // a metadata object serializing to exactly n bytes
		return `{"metadata":{"k":"` + strings.Repeat("x", n-len(`{"k":""}`)) + `"}}`
	}
	tests := []struct {
		name, ct, body string
		status         int
		code, msg      string
	}{
		{"card is an object", ctJSON, `{"card":{"id":"` + fresh + `"}}`, 400, "invalid_card_token", "invalid card token"},
		{"card is a number", ctJSON, `{"card":4242424242424242}`, 400, "invalid_card_token", "invalid card token"},
		{"card is an array", ctJSON, `{"card":["` + fresh + `"]}`, 400, "invalid_card_token", "invalid card token"},
		{"card is a form object", ctForm, "card[number]=4242424242424242", 400, "invalid_card_token", "invalid card token"},
		{"card is true", ctJSON, `{"card":true}`, 400, "invalid_card_token", "invalid card token"},
		{"unknown token", ctForm, form("card", "tokn_test_doesnotexist0000"), 404, "not_found", "token tokn_test_doesnotexist0000 was not found"},
		{"card number as token", ctForm, form("card", "4242424242424242"), 404, "not_found", "token [redacted] was not found"},
		{"live token with test key", ctForm, form("card", liveTok), 404, "not_found", "token " + liveTok + " was not found"},
		{"other account's token", ctForm, form("card", otherTok), 404, "not_found", "token " + otherTok + " was not found"},
		{"used token", ctForm, form("card", used), 400, "used_token", "token was already used"},
		{"metadata is a string", ctJSON, `{"metadata":"x"}`, 400, "bad_request", "metadata is invalid"},
		{"metadata is an array", ctJSON, `{"metadata":[1]}`, 400, "bad_request", "metadata is invalid"},
		{"metadata is a number", ctJSON, `{"metadata":42}`, 400, "bad_request", "metadata is invalid"},
		{"form metadata scalar", ctForm, "metadata=x", 400, "bad_request", "metadata is invalid"},
		{"metadata too long", ctJSON, meta(16<<10 + 1), 400, "bad_request", "metadata is too long"},
		{"email too long", ctForm, form("email", strings.Repeat("e", 256)), 400, "bad_request", "email is too long"},
		{"description too long", ctForm, form("description", strings.Repeat("d", 256)), 400, "bad_request", "description is too long"},
		{"email is an object", ctJSON, `{"email":{"a":1}}`, 400, "bad_request", "email is invalid"},
		{"description is an array", ctJSON, `{"description":["d"]}`, 400, "bad_request", "description is invalid"},
		{"valid token but bad metadata", ctJSON, `{"card":"` + fresh + `","metadata":"x"}`, 400, "bad_request", "metadata is invalid"},
		{"valid token but long email", ctForm, form("card", fresh, "email", strings.Repeat("e", 256)), 400, "bad_request", "email is too long"},
		{"invalid json", ctJSON, `{"email":`, 400, "bad_request", "request body is not valid JSON"},
		{"unsupported content type", "text/plain", "email=a", 400, "bad_request", "content type is not supported"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			st, body := e.do(t, "POST", "/customers", e.SK, tc.ct, tc.body)
			wantError(t, st, body, tc.status, tc.code, tc.msg)
		})
	}
	list := e.MustGet(t, "/customers", e.SK)
	check(t, list, map[string]string{"total": `1`})
	check(t, e.MustGet(t, "/tokens/"+fresh, e.PK), map[string]string{"used": `false`})

	// Metadata of exactly 16 KiB serialized is accepted.
	st, c := e.do(t, "POST", "/customers", e.SK, ctJSON, meta(16<<10))
	if st != 200 {
		t.Errorf("16 KiB metadata: status %d: %v", st, c["message"])
	}
}

// TestGetCustomer covers GET /customers/{cust}.
func TestGetCustomer(t *testing.T) {
	f := newFixture(t)
	c := f.MustGet(t, "/customers/"+f.Cust, f.SK)
	wantKeys(t, c, "", customerKeys...)
	wantKeys(t, c, "cards", listKeys...)
	wantKeys(t, c, "cards.data.0", cardKeys...)
	check(t, c, map[string]string{
		"object": `"customer"`, "id": q(f.Cust), "location": q("/customers/" + f.Cust), "livemode": `false`,
		"deleted": `false`, "email": `"somchai@example.com"`, "description": `null`, "metadata": `{}`,
		"default_card": q(f.Card1), "created_at": q(ts(t0)),
		"cards.total": `2`, "cards.limit": `20`, "cards.offset": `0`, "cards.order": `"chronological"`,
		"cards.from": `"1970-01-01T00:00:00Z"`, "cards.to": q(ts(f.Clock.Now())),
		"cards.location":  q("/customers/" + f.Cust + "/cards"),
		"cards.data.0.id": q(f.Card1), "cards.data.1.id": q(f.Card2),
		"cards.data.1.brand": `"MasterCard"`, "cards.data.1.last_digits": `"4444"`, "cards.data.1.name": `"SOMCHAI PRASERT"`,
		"cards.data.1.expiration_month": `1`, "cards.data.1.expiration_year": `2031`, "cards.data.1.security_code_check": `false`,
		"cards.data.1.street1": `null`, "cards.data.1.postal_code": `null`,
		"cards.data.1.location": q("/customers/" + f.Cust + "/cards/" + f.Card2),
	})
	// Retrieve ignores any body (omise-go sends {}).
	for _, b := range []struct{ ct, body string }{{ctJSON, `{}`}, {ctJSON, `{not json`}, {"text/plain", "x"}} {
		if st, got := f.do(t, "GET", "/customers/"+f.Cust, f.SK, b.ct, b.body); st != 200 || got["id"] != f.Cust {
			t.Errorf("GET with body %q (%s): status %d %v", b.body, b.ct, st, got["message"])
		}
	}
	_, osk, _, _ := f.NewAccount(t)
	for _, tc := range []struct{ name, id, key string }{
		{"unknown", "cust_test_nosuchcustomer00000", f.SK},
		{"live key on test customer", f.Cust, f.LSK},
		{"other account", f.Cust, osk},
		{"card id", f.Card1, f.SK},
	} {
		t.Run(tc.name, func(t *testing.T) {
			st, body := f.do(t, "GET", "/customers/"+tc.id, tc.key, "", "")
			wantError(t, st, body, 404, "not_found", "customer "+tc.id+" was not found")
		})
	}
}

// TestEmbeddedCards: the customer object embeds the first 20 cards (§2.4).
func TestEmbeddedCards(t *testing.T) {
	e := newEnv(t)
	cust := str(t, e.MustCustomer(t, e.SK, ""), "id")
	var cards []string
	for range 21 {
		tok, card := e.MustToken(t, "4242424242424242")
		cards = append(cards, card)
		e.Clock.Advance(time.Second)
		e.MustAttach(t, e.SK, cust, tok)
	}
	c := e.MustGet(t, "/customers/"+cust, e.SK)
	check(t, c, map[string]string{"cards.total": `21`, "cards.limit": `20`, "cards.offset": `0`, "default_card": q(cards[0])})
	if got := ids(t, c["cards"].(map[string]any)); strings.Join(got, ",") != strings.Join(cards[:20], ",") {
		t.Errorf("embedded cards:\n got %v\nwant %v", got, cards[:20])
	}
	list := e.MustGet(t, "/customers", e.SK)
	check(t, list, map[string]string{"data.0.cards.total": `21`, "data.0.cards.limit": `20`})
	if n := len(list["data"].([]any)[0].(map[string]any)["cards"].(map[string]any)["data"].([]any)); n != 20 {
		t.Errorf("list: embedded %d cards, want 20", n)
	}
}

// TestUpdateCustomer covers PATCH /customers/{cust} (§2.2, §2.4, §2.11).
func TestUpdateCustomer(t *testing.T) {
	type step struct {
		ct, body string
		want     map[string]string
	}
	tests := []struct {
		name  string
		steps []step
	}{
		{"email", []step{{ctForm, form("email", "new@example.com"),
			map[string]string{"email": `"new@example.com"`, "description": `"desc"`, "metadata": `{"a":"1"}`}}}},
		{"description json", []step{{ctJSON, `{"description":"new"}`,
			map[string]string{"email": `"old@example.com"`, "description": `"new"`}}}},
		{"empty strings change nothing", []step{{ctForm, form("email", "", "description", ""),
			map[string]string{"email": `"old@example.com"`, "description": `"desc"`, "metadata": `{"a":"1"}`}}}},
		{"nulls change nothing", []step{{ctJSON, `{"email":null,"description":null,"metadata":null,"card":null,"default_card":null}`,
			map[string]string{"email": `"old@example.com"`, "description": `"desc"`, "metadata": `{"a":"1"}`}}}},
		{"empty body changes nothing", []step{{"", "", map[string]string{"email": `"old@example.com"`, "metadata": `{"a":"1"}`}}}},
		{"metadata replaces the whole object", []step{
			{ctJSON, `{"metadata":{"b":{"c":2}}}`, map[string]string{"metadata": `{"b":{"c":2}}`}},
			{ctForm, form("metadata[d]", "4"), map[string]string{"metadata": `{"d":"4"}`}},
		}},
		{"metadata {} clears", []step{{ctJSON, `{"metadata":{}}`, map[string]string{"metadata": `{}`}}}},
		{"unknown params ignored", []step{{ctJSON, `{"linked_account":"x","email":"u@example.com"}`,
			map[string]string{"email": `"u@example.com"`}}}},
	}
	e := newEnv(t)
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			cust := str(t, e.MustCustomer(t, e.SK, form("email", "old@example.com", "description", "desc", "metadata[a]", "1")), "id")
			for i, s := range tc.steps {
				st, c := e.do(t, "PATCH", "/customers/"+cust, e.SK, s.ct, s.body)
				if st != 200 {
					t.Fatalf("step %d: status %d: %v", i, st, c)
				}
				wantKeys(t, c, "", customerKeys...)
				check(t, c, s.want)
				check(t, e.MustGet(t, "/customers/"+cust, e.SK), s.want)
			}
		})
	}
}

// TestUpdateCustomerCards covers card= and default_card= on PATCH.
func TestUpdateCustomerCards(t *testing.T) {
	f := newFixture(t)
	// card adds a card; the default stays.
	tok3, card3 := f.MustToken(t, "378282246310005", "security_code", "1234")
	st, c := f.do(t, "PATCH", "/customers/"+f.Cust, f.SK, ctForm, form("card", tok3))
	if st != 200 {
		t.Fatalf("status %d: %v", st, c)
	}
	check(t, c, map[string]string{"cards.total": `3`, "default_card": q(f.Card1), "cards.data.2.id": q(card3),
		"cards.data.2.brand": `"American Express"`})
	// default_card selects one of the customer's cards.
	st, c = f.do(t, "PATCH", "/customers/"+f.Cust, f.SK, ctJSON, `{"default_card":"`+f.Card2+`"}`)
	if st != 200 {
		t.Fatalf("status %d: %v", st, c)
	}
	check(t, c, map[string]string{"default_card": q(f.Card2)})
	// card and default_card in one PATCH: the new card becomes the default.
	tok4, card4 := f.MustToken(t, "6011111111111117")
	st, c = f.do(t, "PATCH", "/customers/"+f.Cust, f.SK, ctForm, form("card", tok4, "default_card", card4, "email", "x@example.com"))
	if st != 200 {
		t.Fatalf("status %d: %v", st, c)
	}
	check(t, c, map[string]string{"default_card": q(card4), "cards.total": `4`, "email": `"x@example.com"`})
}

// TestUpdateCustomerErrors: every failing PATCH leaves the customer and the
// token as they were (all or nothing, §2.4).
func TestUpdateCustomerErrors(t *testing.T) {
	f := newFixture(t)
	other := f.MustCustomer(t, f.SK, "")
	otherTok, otherCard := f.MustToken(t, "4111111111111111")
	f.MustAttach(t, f.SK, str(t, other, "id"), otherTok)
	expiredTok, _ := f.MustToken(t, "3530111333300000")
	f.Clock.Advance(tokenTTL + time.Second)
	fresh, freshCard := f.MustToken(t, "5454545454545454")
	fresh2, _ := f.MustToken(t, "3566111111111113")
	liveTok, _ := f.MustTokenKey(t, f.LPK, "4242424242424242")
	before := f.MustGet(t, "/customers/"+f.Cust, f.SK)

	tests := []struct {
		name, ct, body string
		status         int
		code, msg      string
	}{
		{"email change and used token", ctForm, form("email", "new@example.com", "card", f.Tok1), 400, "used_token", "token was already used"},
		{"email change and expired token", ctForm, form("email", "new@example.com", "card", expiredTok), 400, "invalid_card_token", "token " + expiredTok + " has expired"},
		{"unknown token", ctForm, form("description", "d", "card", "tokn_test_doesnotexist0000"), 404, "not_found", "token tokn_test_doesnotexist0000 was not found"},
		{"live token", ctForm, form("card", liveTok), 404, "not_found", "token " + liveTok + " was not found"},
		{"card not a string", ctJSON, `{"email":"new@example.com","card":{"number":"4242424242424242"}}`, 400, "invalid_card_token", "invalid card token"},
		{"card a number", ctJSON, `{"card":12}`, 400, "invalid_card_token", "invalid card token"},
		{"valid token and other customer's default card", ctForm, form("card", fresh2, "default_card", otherCard, "email", "new@example.com"),
			404, "not_found", "card " + otherCard + " was not found"},
		{"unknown default card", ctForm, form("default_card", "card_test_nosuchcard000000000"), 404, "not_found", "card card_test_nosuchcard000000000 was not found"},
		{"unattached token card as default", ctForm, form("default_card", freshCard), 404, "not_found", "card " + freshCard + " was not found"},
		{"card-number-like default card", ctForm, form("default_card", "4242424242424242"), 404, "not_found", "card [redacted] was not found"},
		{"default card an object", ctJSON, `{"default_card":{"id":"x"}}`, 400, "bad_request", "default_card is invalid"},
		{"metadata invalid with token", ctJSON, `{"card":"` + fresh2 + `","metadata":[1]}`, 400, "bad_request", "metadata is invalid"},
		{"metadata too long", ctJSON, `{"metadata":{"k":"` + strings.Repeat("x", 16<<10) + `"}}`, 400, "bad_request", "metadata is too long"},
		{"email too long", ctForm, form("email", strings.Repeat("e", 256)), 400, "bad_request", "email is too long"},
		{"invalid json", ctJSON, `{"email"`, 400, "bad_request", "request body is not valid JSON"},
		{"unsupported content type", "text/csv", "email,x", 400, "bad_request", "content type is not supported"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			st, body := f.do(t, "PATCH", "/customers/"+f.Cust, f.SK, tc.ct, tc.body)
			wantError(t, st, body, tc.status, tc.code, tc.msg)
			after := f.MustGet(t, "/customers/"+f.Cust, f.SK)
			delete(after["cards"].(map[string]any), "to")
			b := map[string]any{}
			for k, v := range before {
				b[k] = v
			}
			cards := map[string]any{}
			for k, v := range before["cards"].(map[string]any) {
				cards[k] = v
			}
			delete(cards, "to")
			b["cards"] = cards
			if lit(after) != lit(b) {
				t.Errorf("customer changed:\n got %s\nwant %s", lit(after), lit(b))
			}
		})
	}
	check(t, f.MustGet(t, "/tokens/"+fresh2, f.PK), map[string]string{"used": `false`})

	// Lookup errors on the customer itself.
	_, osk, _, _ := f.NewAccount(t)
	for _, tc := range []struct{ name, id, key string }{
		{"unknown", "cust_test_nosuchcustomer00000", f.SK},
		{"live key", f.Cust, f.LSK},
		{"other account", f.Cust, osk},
	} {
		t.Run("customer "+tc.name, func(t *testing.T) {
			st, body := f.do(t, "PATCH", "/customers/"+tc.id, tc.key, ctForm, form("email", "x@example.com", "card", fresh))
			wantError(t, st, body, 404, "not_found", "customer "+tc.id+" was not found")
		})
	}
	check(t, f.MustGet(t, "/tokens/"+fresh, f.PK), map[string]string{"used": `false`})
	// Body decoding comes before lookups (§2.1 error precedence).
	st, body := f.do(t, "PATCH", "/customers/cust_test_nosuchcustomer00000", f.SK, ctJSON, `{`)
	wantError(t, st, body, 400, "bad_request", "request body is not valid JSON")
}

// TestDeleteCustomer covers DELETE /customers/{cust} (§2.12).
func TestDeleteCustomer(t *testing.T) {
	f := newFixture(t)
	keep := str(t, f.MustCustomer(t, f.SK, ""), "id")
	meta := f.MustGet(t, "/customers/"+f.Cust, f.SK)
	st, d := f.do(t, "DELETE", "/customers/"+f.Cust, f.SK, ctJSON, `{}`)
	if st != 200 {
		t.Fatalf("status %d: %v", st, d)
	}
	wantKeys(t, d, "", customerKeys...)
	wantKeys(t, d, "cards", listKeys...)
	check(t, d, map[string]string{
		"object": `"customer"`, "id": q(f.Cust), "deleted": `true`, "livemode": `false`,
		"location": q("/customers/" + f.Cust), "email": `"somchai@example.com"`, "metadata": `{}`,
		"default_card": `null`, "chargeover_id": lit(meta["chargeover_id"]), "created_at": q(ts(t0)),
		"cards.object": `"list"`, "cards.data": `[]`, "cards.total": `0`,
	})
	for _, tc := range []struct{ method, path, msg string }{
		{"GET", "/customers/" + f.Cust, "customer " + f.Cust + " was not found"},
		{"GET", "/customers/" + f.Cust + "/cards", "customer " + f.Cust + " was not found"},
		{"GET", "/customers/" + f.Cust + "/cards/" + f.Card1, "customer " + f.Cust + " was not found"},
		{"PATCH", "/customers/" + f.Cust, "customer " + f.Cust + " was not found"},
		{"DELETE", "/customers/" + f.Cust, "customer " + f.Cust + " was not found"},
		{"DELETE", "/customers/" + f.Cust + "/cards/" + f.Card2, "customer " + f.Cust + " was not found"},
	} {
		st, body := f.do(t, tc.method, tc.path, f.SK, "", "")
		wantError(t, st, body, 404, "not_found", tc.msg)
	}
	// Its cards are gone, so the tokens that made them no longer resolve.
	st, body := f.do(t, "GET", "/tokens/"+f.Tok1, f.PK, "", "")
	wantError(t, st, body, 404, "not_found", "token "+f.Tok1+" was not found")
	list := f.MustGet(t, "/customers", f.SK)
	check(t, list, map[string]string{"total": `1`, "data.0.id": q(keep)})

	// A DELETE body is ignored; other accounts and modes see nothing.
	_, osk, _, _ := f.NewAccount(t)
	for _, key := range []string{osk, f.LSK} {
		st, body := f.do(t, "DELETE", "/customers/"+keep, key, "", "")
		wantError(t, st, body, 404, "not_found", "customer "+keep+" was not found")
	}
	st, d = f.do(t, "DELETE", "/customers/"+keep, f.SK, ctJSON, `{not json`)
	if st != 200 || d["deleted"] != true {
		t.Errorf("DELETE with junk body: %d %v", st, d)
	}
}

// TestConcurrentAttach: of concurrent attaches of one token exactly one succeeds (§2.10).
func TestConcurrentAttach(t *testing.T) {
	e := newEnv(t)
	tok, _ := e.MustToken(t, "4242424242424242")
	cust := str(t, e.MustCustomer(t, e.SK, ""), "id")
	const n = 8
	var wg sync.WaitGroup
	results := make([]*result, n)
	errs := make([]error, n)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if i%2 == 0 {
				results[i], errs[i] = e.send("POST", "/customers", e.SK, ctForm, form("card", tok), nil)
			} else {
				results[i], errs[i] = e.send("PATCH", "/customers/"+cust, e.SK, ctForm, form("card", tok), nil)
			}
		}()
	}
	wg.Wait()
	ok := 0
	for i, r := range results {
		if errs[i] != nil {
			t.Errorf("request %d: %v", i, errs[i])
			continue
		}
		switch {
		case r.Status == http.StatusOK:
			ok++
		case r.Status == 400 && r.Body["code"] == "used_token" && r.Body["message"] == "token was already used":
		default:
			t.Errorf("request %d: %d %v", i, r.Status, r.Body)
		}
	}
	if ok != 1 {
		t.Errorf("%d attaches succeeded, want exactly 1", ok)
	}
	// Exactly one card exists across all customers.
	list := e.MustGet(t, "/customers?limit=100", e.SK)
	var total int64
	for i := range list["data"].([]any) {
		total += num(t, list, fmt.Sprintf("data.%d.cards.total", i))
	}
	if total != 1 {
		t.Errorf("%d cards stored, want 1", total)
	}
}
