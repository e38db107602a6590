package omiseapi_test

import (
	"strings"
	"testing"
	"time"
)

// TestGetCard covers GET /customers/{cust}/cards/{card} (§2.5).
func TestGetCard(t *testing.T) {
	f := newFixture(t)
	tok := f.MustGet(t, "/tokens/"+f.Tok1, f.PK)
	c := f.MustGet(t, "/customers/"+f.Cust+"/cards/"+f.Card1, f.SK)
	wantKeys(t, c, "", cardKeys...)
	check(t, c, map[string]string{
		"object": `"card"`, "id": q(f.Card1), "livemode": `false`, "deleted": `false`,
		"location": q("/customers/" + f.Cust + "/cards/" + f.Card1),
		"brand":    `"Visa"`, "last_digits": `"4242"`, "name": `"Somchai Prasert"`, "expiration_month": `12`,
		"expiration_year": `2030`, "security_code_check": `true`, "first_digits": `null`, "tokenization_method": `null`,
		"street1": `null`, "street2": `null`, "city": `null`, "state": `null`, "phone_number": `null`, "postal_code": `null`,
		"fingerprint": lit(tok["card"].(map[string]any)["fingerprint"]), "created_at": q(f.Created1),
		"country": lit(tok["card"].(map[string]any)["country"]),
	})
	num(t, c, "chargeover_id")
	// The embedded and listed copies are the same object.
	cust := f.MustGet(t, "/customers/"+f.Cust, f.SK)
	if got, _ := lookup(cust, "cards.data.0"); lit(got) != lit(c) {
		t.Errorf("embedded card differs:\n got %s\nwant %s", lit(got), lit(c))
	}
	// A trailing slash is ignored; a body is ignored.
	if st, got := f.do(t, "GET", "/customers/"+f.Cust+"/cards/"+f.Card1+"/", f.SK, ctJSON, "{x"); st != 200 || got["id"] != f.Card1 {
		t.Errorf("GET with trailing slash and junk body: %d %v", st, got)
	}

	other := str(t, f.MustCustomer(t, f.SK, ""), "id")
	_, unattached := f.MustToken(t, "4111111111111111")
	_, osk, _, _ := f.NewAccount(t)
	for _, tc := range []struct{ name, cust, card, key, msg string }{
		{"card of another customer", other, f.Card1, f.SK, "card " + f.Card1 + " was not found"},
		{"unknown card", f.Cust, "card_test_nosuchcard000000000", f.SK, "card card_test_nosuchcard000000000 was not found"},
		{"unattached token card", f.Cust, unattached, f.SK, "card " + unattached + " was not found"},
		{"unknown customer", "cust_test_nosuchcustomer00000", f.Card1, f.SK, "customer cust_test_nosuchcustomer00000 was not found"},
		{"live key", f.Cust, f.Card1, f.LSK, "customer " + f.Cust + " was not found"},
		{"other account", f.Cust, f.Card1, osk, "customer " + f.Cust + " was not found"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			for _, m := range []string{"GET", "PATCH", "DELETE"} {
				st, body := f.do(t, m, "/customers/"+tc.cust+"/cards/"+tc.card, tc.key, ctForm, form("name", "x"))
				wantError(t, st, body, 404, "not_found", tc.msg)
			}
		})
	}
	// Nothing above changed or deleted the card.
	if got := f.MustGet(t, "/customers/"+f.Cust+"/cards/"+f.Card1, f.SK); lit(got) != lit(c) {
		t.Errorf("card changed:\n got %s\nwant %s", lit(got), lit(c))
	}
}

// TestUpdateCard covers PATCH /customers/{cust}/cards/{card} (§2.5). Each case
// starts from a card expiring 12/2030 (now is 11/2026) or, with month, a card
// expiring month/2026.
func TestUpdateCard(t *testing.T) {
	tests := []struct {
		name      string
		stored    string // stored expiry month/year, default 12/2030
		ct, body  string
		want      map[string]string
		errStatus int
		errCode   string
		errMsg    string
	}{
		{name: "name", ct: ctForm, body: form("name", " New Name "), want: map[string]string{"name": `"New Name"`}},
		{name: "city and postal code", ct: ctJSON, body: `{"city":"Chiang Mai","postal_code":50000}`,
			want: map[string]string{"city": `"Chiang Mai"`, "postal_code": `"50000"`, "name": `"Somchai Prasert"`}},
		{name: "month alone", ct: ctForm, body: form("expiration_month", "6"),
			want: map[string]string{"expiration_month": `6`, "expiration_year": `2030`}},
		{name: "year alone", ct: ctForm, body: form("expiration_year", "2031"),
			want: map[string]string{"expiration_month": `12`, "expiration_year": `2031`}},
		{name: "two-digit year", ct: ctForm, body: form("expiration_year", "99"),
			want: map[string]string{"expiration_year": `2099`}},
		{name: "json numbers", ct: ctJSON, body: `{"expiration_month":1.0,"expiration_year":"2032"}`,
			want: map[string]string{"expiration_month": `1`, "expiration_year": `2032`}},
		{name: "year alone, current month", stored: "11/2030", ct: ctForm, body: form("expiration_year", "2026"),
			want: map[string]string{"expiration_month": `11`, "expiration_year": `2026`}},
		{name: "everything", ct: ctForm, body: form("name", "N", "city", "C", "postal_code", "P", "expiration_month", "2", "expiration_year", "2029"),
			want: map[string]string{"name": `"N"`, "city": `"C"`, "postal_code": `"P"`, "expiration_month": `2`, "expiration_year": `2029`}},
		{name: "other params ignored", ct: ctJSON,
			body: `{"number":"5555555555554444","brand":"JCB","last_digits":"0000","fingerprint":"x","id":"card_x","street1":"s","country":"us","phone_number":"1","security_code":"999","first_digits":"1"}`,
			want: map[string]string{"brand": `"Visa"`, "last_digits": `"4242"`, "street1": `null`, "phone_number": `null`,
				"first_digits": `null`, "security_code_check": `true`}},
		{name: "empty values are absent", ct: ctJSON, body: `{"name":"","city":null,"expiration_month":"","expiration_year":null}`,
			want: map[string]string{"name": `"Somchai Prasert"`, "expiration_month": `12`, "expiration_year": `2030`}},
		{name: "empty body", ct: "", body: "", want: map[string]string{"name": `"Somchai Prasert"`}},

		{name: "year alone makes the pair past", stored: "5/2030", ct: ctForm, body: form("expiration_year", "2026"),
			errStatus: 400, errCode: "invalid_card", errMsg: "expiration date cannot be in the past"},
		{name: "month alone makes the pair past", stored: "12/2026", ct: ctForm, body: form("expiration_month", "10"),
			errStatus: 400, errCode: "invalid_card", errMsg: "expiration date cannot be in the past"},
		{name: "both past", ct: ctForm, body: form("expiration_month", "1", "expiration_year", "2020"),
			errStatus: 400, errCode: "invalid_card", errMsg: "expiration date cannot be in the past"},
		{name: "month 13", ct: ctForm, body: form("name", "changed", "expiration_month", "13"),
			errStatus: 400, errCode: "invalid_card", errMsg: "expiration month is not between 1 and 12 and expiration date is invalid"},
		{name: "month 0", ct: ctJSON, body: `{"expiration_month":0}`,
			errStatus: 400, errCode: "invalid_card", errMsg: "expiration month is not between 1 and 12 and expiration date is invalid"},
		{name: "month abc", ct: ctForm, body: form("expiration_month", "abc"),
			errStatus: 400, errCode: "invalid_card", errMsg: "expiration month is not between 1 and 12 and expiration date is invalid"},
		{name: "month 13 year x", ct: ctForm, body: form("expiration_month", "13", "expiration_year", "x"),
			errStatus: 400, errCode: "invalid_card", errMsg: "expiration month is not between 1 and 12, expiration year is invalid, and expiration date is invalid"},
		{name: "year x", ct: ctForm, body: form("city", "changed", "expiration_year", "x"),
			errStatus: 400, errCode: "invalid_card", errMsg: "expiration year is invalid"},
		{name: "year 100", ct: ctJSON, body: `{"expiration_year":100}`,
			errStatus: 400, errCode: "invalid_card", errMsg: "expiration year is invalid"},
		{name: "month an object", ct: ctJSON, body: `{"expiration_month":{"m":1}}`,
			errStatus: 400, errCode: "bad_request", errMsg: "expiration_month is invalid"},
		{name: "year an array", ct: ctJSON, body: `{"expiration_year":[2030]}`,
			errStatus: 400, errCode: "bad_request", errMsg: "expiration_year is invalid"},
		{name: "name an object", ct: ctJSON, body: `{"name":{"n":1}}`,
			errStatus: 400, errCode: "bad_request", errMsg: "name is invalid"},
		{name: "name too long", ct: ctForm, body: form("name", strings.Repeat("n", 256)),
			errStatus: 400, errCode: "bad_request", errMsg: "name is too long"},
		{name: "city too long", ct: ctForm, body: form("city", strings.Repeat("c", 256)),
			errStatus: 400, errCode: "bad_request", errMsg: "city is too long"},
		{name: "postal code too long", ct: ctForm, body: form("postal_code", strings.Repeat("1", 256)),
			errStatus: 400, errCode: "bad_request", errMsg: "postal_code is too long"},
		{name: "invalid json", ct: ctJSON, body: `{"name":`,
			errStatus: 400, errCode: "bad_request", errMsg: "request body is not valid JSON"},
		{name: "unsupported content type", ct: "application/octet-stream", body: "x",
			errStatus: 400, errCode: "bad_request", errMsg: "content type is not supported"},
	}
	e := newEnv(t)
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			month, year := "12", "2030"
			if tc.stored != "" {
				month, year, _ = strings.Cut(tc.stored, "/")
			}
			tok, card := e.MustToken(t, "4242424242424242", "expiration_month", month, "expiration_year", year)
			cust := str(t, e.MustCustomer(t, e.SK, form("card", tok)), "id")
			path := "/customers/" + cust + "/cards/" + card
			before := e.MustGet(t, path, e.SK)
			e.Clock.Advance(time.Minute)
			st, got := e.do(t, "PATCH", path, e.SK, tc.ct, tc.body)
			if tc.errStatus != 0 {
				wantError(t, st, got, tc.errStatus, tc.errCode, tc.errMsg)
				if after := e.MustGet(t, path, e.SK); lit(after) != lit(before) {
					t.Errorf("failed PATCH changed the card:\n got %s\nwant %s", lit(after), lit(before))
				}
				return
			}
			if st != 200 {
				t.Fatalf("status %d: %v", st, got)
			}
			wantKeys(t, got, "", cardKeys...)
			// What never changes.
			for _, k := range []string{"id", "fingerprint", "last_digits", "brand", "chargeover_id", "created_at", "location",
				"bank", "financing", "country", "livemode"} {
				if lit(got[k]) != lit(before[k]) {
					t.Errorf("%s changed: %s → %s", k, lit(before[k]), lit(got[k]))
				}
			}
			check(t, got, map[string]string{"first_digits": `null`, "tokenization_method": `null`, "deleted": `false`})
			num(t, got, "chargeover_id")
			check(t, got, tc.want)
			if after := e.MustGet(t, path, e.SK); lit(after) != lit(got) {
				t.Errorf("GET after PATCH differs:\n got %s\nwant %s", lit(after), lit(got))
			}
		})
	}
}

// TestDeleteCard covers DELETE /customers/{cust}/cards/{card} (§2.11, §2.12).
func TestDeleteCard(t *testing.T) {
	f := newFixture(t)
	before := f.MustGet(t, "/customers/"+f.Cust+"/cards/"+f.Card2, f.SK)
	// Deleting a card that is not the default leaves the default alone.
	st, d := f.do(t, "DELETE", "/customers/"+f.Cust+"/cards/"+f.Card2, f.SK, ctJSON, `{}`)
	if st != 200 {
		t.Fatalf("status %d: %v", st, d)
	}
	wantKeys(t, d, "", cardKeys...)
	before["deleted"] = true
	if lit(d) != lit(before) {
		t.Errorf("deleted card:\n got %s\nwant %s", lit(d), lit(before))
	}
	check(t, f.MustGet(t, "/customers/"+f.Cust, f.SK), map[string]string{"default_card": q(f.Card1), "cards.total": `1`})
	for _, m := range []string{"GET", "PATCH", "DELETE"} {
		st, body := f.do(t, m, "/customers/"+f.Cust+"/cards/"+f.Card2, f.SK, "", "")
		wantError(t, st, body, 404, "not_found", "card "+f.Card2+" was not found")
	}
	check(t, f.MustGet(t, "/customers/"+f.Cust+"/cards", f.SK), map[string]string{"total": `1`, "data.0.id": q(f.Card1)})
	// Deleting the last card leaves no default.
	if st, _ := f.do(t, "DELETE", "/customers/"+f.Cust+"/cards/"+f.Card1, f.SK, "", ""); st != 200 {
		t.Fatalf("status %d", st)
	}
	check(t, f.MustGet(t, "/customers/"+f.Cust, f.SK), map[string]string{"default_card": `null`, "cards.total": `0`, "cards.data": `[]`})
	// A card of another customer is not deleted through this one.
	other := f.MustCustomer(t, f.SK, "")
	tok, card := f.MustToken(t, "4111111111111111")
	f.MustAttach(t, f.SK, str(t, other, "id"), tok)
	st, body := f.do(t, "DELETE", "/customers/"+f.Cust+"/cards/"+card, f.SK, "", "")
	wantError(t, st, body, 404, "not_found", "card "+card+" was not found")
	f.MustGet(t, "/customers/"+str(t, other, "id")+"/cards/"+card, f.SK)
}

// TestDefaultCardPromotion: deleting the default promotes the most recently
// stored remaining card, the highest chargeover_id, not the newest created_at (§2.11).
func TestDefaultCardPromotion(t *testing.T) {
	e := newEnv(t)
	tokC, cardC := e.MustToken(t, "6011111111111117") // oldest token …
	e.Clock.Advance(time.Second)
	tokB, cardB := e.MustToken(t, "5555555555554444")
	e.Clock.Advance(time.Second)
	tokA, cardA := e.MustToken(t, "4242424242424242")
	cust := str(t, e.MustCustomer(t, e.SK, form("card", tokA)), "id")
	e.MustAttach(t, e.SK, cust, tokB)
	c := e.MustAttach(t, e.SK, cust, tokC) // … stored last
	check(t, c, map[string]string{"default_card": q(cardA), "cards.total": `3`,
		// Embedded cards are chronological by created_at.
		"cards.data.0.id": q(cardC), "cards.data.1.id": q(cardB), "cards.data.2.id": q(cardA)})
	if st, _ := e.do(t, "DELETE", "/customers/"+cust+"/cards/"+cardA, e.SK, "", ""); st != 200 {
		t.Fatal(st)
	}
	check(t, e.MustGet(t, "/customers/"+cust, e.SK), map[string]string{"default_card": q(cardC)})
	// An explicit default survives deleting another card.
	if st, _ := e.do(t, "PATCH", "/customers/"+cust, e.SK, ctForm, form("default_card", cardB)); st != 200 {
		t.Fatal(st)
	}
	if st, _ := e.do(t, "DELETE", "/customers/"+cust+"/cards/"+cardC, e.SK, "", ""); st != 200 {
		t.Fatal(st)
	}
	check(t, e.MustGet(t, "/customers/"+cust, e.SK), map[string]string{"default_card": q(cardB), "cards.total": `1`})
}
