package omiseapi_test

import (
	"encoding/base64"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/cardvault/cardvault/iin"
)

// TestCreateTokenShape checks the complete token object of §2.3.
func TestCreateTokenShape(t *testing.T) {
	e := newEnv(t)
	body := form("card[name]", " Somchai Prasert ", "card[number]", "4242 4242-4242 4242",
		"card[expiration_month]", "12", "card[expiration_year]", "2030", "card[security_code]", "123",
		"card[street1]", "1448/4 Praditmanutham Road", "card[city]", "Bangkok", "card[postal_code]", "10240",
		"card[country]", "th")
	st, tok := e.do(t, "POST", "/tokens", e.PK, ctForm, body)
	if st != http.StatusOK {
		t.Fatalf("status %d: %v", st, tok)
	}
	wantKeys(t, tok, "", tokenKeys...)
	wantKeys(t, tok, "card", cardKeys...)
	id := str(t, tok, "id")
	check(t, tok, map[string]string{
		"object": `"token"`, "id": `~^tokn_test_[0-9a-z]{19}$`, "livemode": `false`, "location": q("/tokens/" + id),
		"used": `false`, "charge_status": `"unknown"`, "created_at": q(ts(t0)),
		"card.object": `"card"`, "card.id": `~^card_test_[0-9a-z]{19}$`, "card.livemode": `false`,
		"card.location": `null`, "card.deleted": `false`,
		"card.street1": `"1448/4 Praditmanutham Road"`, "card.street2": `null`, "card.city": `"Bangkok"`,
		"card.state": `null`, "card.phone_number": `null`, "card.postal_code": `"10240"`, "card.country": `"th"`,
		"card.brand": `"Visa"`, "card.fingerprint": `~^[A-Za-z0-9+/]{43}=$`, "card.first_digits": `null`,
		"card.last_digits": `"4242"`, "card.name": `"Somchai Prasert"`, "card.expiration_month": `12`,
		"card.expiration_year": `2030`, "card.security_code_check": `true`, "card.tokenization_method": `null`,
		"card.chargeover_id": `null`, "card.created_at": q(ts(t0)),
	})
	for _, k := range []string{"card.financing", "card.bank"} {
		if v, _ := lookup(tok, k); v == nil {
			t.Errorf("%s: got null, want a string", k)
		} else if _, ok := v.(string); !ok {
			t.Errorf("%s: got %s, want a string", k, lit(v))
		}
	}
	if f, _ := lookup(tok, "card.financing"); f != "" && f != "credit" && f != "debit" {
		t.Errorf("card.financing = %v, want credit, debit or empty", f)
	}
}

// TestCreateTokenLive checks a live-mode token's ids and livemode.
func TestCreateTokenLive(t *testing.T) {
	e := newEnv(t)
	st, tok := e.do(t, "POST", "/tokens", e.LPK, ctForm, cardForm())
	if st != http.StatusOK {
		t.Fatalf("status %d: %v", st, tok)
	}
	check(t, tok, map[string]string{
		"id": `~^tokn_[0-9a-z]{19}$`, "livemode": `true`, "card.id": `~^card_[0-9a-z]{19}$`, "card.livemode": `true`,
	})
	// The live token is visible with the live public key only.
	id := str(t, tok, "id")
	if st, _ := e.do(t, "GET", "/tokens/"+id, e.LPK, "", ""); st != http.StatusOK {
		t.Errorf("GET with live key: status %d, want 200", st)
	}
	st, body := e.do(t, "GET", "/tokens/"+id, e.PK, "", "")
	wantError(t, st, body, 404, "not_found", "token "+id+" was not found")
}

// TestTokenBrands tokenizes the MUST numbers of §2.8 and more numbers of each row.
func TestTokenBrands(t *testing.T) {
	e := newEnv(t)
	tests := []struct {
		name, number, brand, cvv string
	}{
		{"visa 4242", "4242424242424242", "Visa", "123"},
		{"visa 4111", "4111111111111111", "Visa", "123"},
		{"mastercard 5555", "5555555555554444", "MasterCard", "123"},
		{"mastercard 5454", "5454545454545454", "MasterCard", "123"},
		{"amex 3782", "378282246310005", "American Express", "1234"},
		{"diners 3602", "36021042000004", "Diners Club", "123"},
		{"jcb 3530", "3530111333300000", "JCB", "123"},
		{"jcb 3566", "3566111111111113", "JCB", "123"},
		{"discover 6011", "6011111111111117", "Discover", "123"},
		{"discover 19 digits", "6447032400000000001", "Discover", "123"},
		{"unionpay 6250", "6250947000000006", "UnionPay", "123"},
		// Generated numbers for the other prefixes and lengths of the table.
		{"visa 13 digits", "4222222222222", "Visa", "123"},
		{"visa 19 digits", pad("4", 19), "Visa", "123"},
		{"mastercard 2221", pad("2221", 16), "MasterCard", "123"},
		{"mastercard 2720", pad("2720", 16), "MasterCard", "123"},
		{"amex 34", pad("34", 15), "American Express", "4321"},
		{"diners 300", pad("300", 14), "Diners Club", "123"},
		{"diners 38 16 digits", pad("38", 16), "Diners Club", "123"},
		{"jcb 3589 19 digits", pad("3589", 19), "JCB", "123"},
		{"discover 622126", pad("622126", 16), "Discover", "123"},
		{"discover 65", pad("65", 16), "Discover", "123"},
		{"unionpay 622927", pad("622927", 16), "UnionPay", "123"},
		{"unionpay 81", pad("81", 17), "UnionPay", "123"},
		{"maestro 5018 12 digits", pad("5018", 12), "Maestro", "123"},
		{"maestro 6304", pad("6304", 16), "Maestro", "123"},
		{"maestro 6763 19 digits", pad("6763", 19), "Maestro", "123"},
		{"no security code", "4242424242424242", "Visa", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			st, tok := e.do(t, "POST", "/tokens", e.PK, ctForm,
				cardForm("number", tc.number, "security_code", tc.cvv))
			if st != http.StatusOK {
				t.Fatalf("status %d: %v", st, tok)
			}
			check(t, tok, map[string]string{
				"card.brand": q(tc.brand), "card.last_digits": q(tc.number[len(tc.number)-4:]),
				"card.security_code_check": lit(tc.cvv != ""),
			})
		})
	}
}

// TestInvalidCardMessages checks the invalid_card grammar of §2.7, including
// every example of its table.
func TestInvalidCardMessages(t *testing.T) {
	e := newEnv(t) // now is 2026-11-21
	tests := []struct {
		name string
		body string
		want string
	}{
		{"luhn fails with visa prefix", cardForm("number", "4242424242424241"), "number is invalid"},
		{"unknown brand", cardForm("number", "1234567812345678"), "number is invalid and brand not supported (unknown)"},
		{"number absent", cardForm("number", "-"), "number can't be blank and brand not supported (unknown)"},
		{"number only spaces and dashes", cardForm("number", " - - "), "number can't be blank and brand not supported (unknown)"},
		{"expiry 1/2020", cardForm("expiration_month", "1", "expiration_year", "2020"), "expiration date cannot be in the past"},
		{"last month", cardForm("expiration_month", "10", "expiration_year", "2026"), "expiration date cannot be in the past"},
		{"year abc", cardForm("expiration_year", "abc"), "expiration year is invalid"},
		{"year 100", cardForm("expiration_year", "100"), "expiration year is invalid"},
		{"year 999", cardForm("expiration_year", "999"), "expiration year is invalid"},
		{"year 10000", cardForm("expiration_year", "10000"), "expiration year is invalid"},
		{"year -1", cardForm("expiration_year", "-1"), "expiration year is invalid"},
		{"year absent", cardForm("expiration_year", "-"), "expiration year can't be blank and expiration year is invalid"},
		{"month 13", cardForm("expiration_month", "13"), "expiration month is not between 1 and 12 and expiration date is invalid"},
		{"month 0", cardForm("expiration_month", "0"), "expiration month is not between 1 and 12 and expiration date is invalid"},
		{"month 1.5", cardForm("expiration_month", "1.5"), "expiration month is not between 1 and 12 and expiration date is invalid"},
		{"month absent", cardForm("expiration_month", "-"), "expiration month can't be blank and expiration month is not between 1 and 12"},
		{"month 13 year x", cardForm("expiration_month", "13", "expiration_year", "x"),
			"expiration month is not between 1 and 12, expiration year is invalid, and expiration date is invalid"},
		{"month 13 name and number blank", cardForm("expiration_month", "13", "name", "-", "number", "-"),
			"expiration month is not between 1 and 12, name can't be blank, expiration date is invalid, number can't be blank, and brand not supported (unknown)"},
		{"name whitespace", cardForm("name", "   "), "name can't be blank"},
		{"amex with code 123", cardForm("number", "378282246310005", "security_code", "123"), "security code is invalid"},
		{"visa with code 1234", cardForm("security_code", "1234"), "security code is invalid"},
		{"code with a letter", cardForm("security_code", "12a"), "security code is invalid"},
		{"non-digit in number", cardForm("number", "4242x42424242424"), "number is invalid and brand not supported (unknown)"},
		{"fullwidth digits", cardForm("number", "４２４２４２４２４２４２４２４２"), "number is invalid and brand not supported (unknown)"},
		{"11 digits", cardForm("number", pad("4", 11)), "number is invalid"},
		{"20 digits", cardForm("number", pad("4", 20)), "number is invalid"},
		{"visa 15 digits", cardForm("number", pad("4", 15)), "number is invalid"},
		{"mastercard 15 digits", cardForm("number", pad("55", 15)), "number is invalid"},
		{"amex 16 digits", cardForm("number", pad("37", 16), "security_code", "1234"), "number is invalid"},
		{"past, number and code", cardForm("expiration_month", "1", "expiration_year", "2020",
			"number", "4242424242424241", "security_code", "12"),
			"expiration date cannot be in the past, number is invalid, and security code is invalid"},
		{"everything blank", form("card[name]", " "),
			"expiration month can't be blank, expiration month is not between 1 and 12, name can't be blank, " +
				"expiration year can't be blank, expiration year is invalid, number can't be blank, and brand not supported (unknown)"},
		{"json month 12.5", `{"card":{"name":"A","number":"4242424242424242","expiration_month":12.5,"expiration_year":2030}}`,
			"expiration month is not between 1 and 12 and expiration date is invalid"},
		{"json month word", `{"card":{"name":"A","number":"4242424242424242","expiration_month":"twelve","expiration_year":2030}}`,
			"expiration month is not between 1 and 12 and expiration date is invalid"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ct := ctForm
			if strings.HasPrefix(tc.body, "{") {
				ct = ctJSON
			}
			st, body := e.do(t, "POST", "/tokens", e.PK, ct, tc.body)
			wantError(t, st, body, 400, "invalid_card", tc.want)
		})
	}
}

// TestExpiryBoundaries: a card is valid through the last day of its expiry month (§1.5).
func TestExpiryBoundaries(t *testing.T) {
	e := newEnv(t)
	tests := []struct {
		month, year string
		wantYear    string
	}{
		{"11", "2026", "2026"}, // the current month
		{"11", "26", "2026"},
		{"1", "99", "2099"},
		{"01", "0", ""}, // 2000: past
		{"12", "9999", "9999"},
	}
	for _, tc := range tests {
		t.Run(tc.month+"/"+tc.year, func(t *testing.T) {
			st, tok := e.do(t, "POST", "/tokens", e.PK, ctForm, cardForm("expiration_month", tc.month, "expiration_year", tc.year))
			if tc.wantYear == "" {
				wantError(t, st, tok, 400, "invalid_card", "expiration date cannot be in the past")
				return
			}
			if st != 200 {
				t.Fatalf("status %d: %v", st, tok)
			}
			check(t, tok, map[string]string{"card.expiration_year": tc.wantYear})
		})
	}
	// On the last second of November the November card is still valid; a
	// second later it has expired.
	e.Clock.Advance(time.Date(2026, 11, 30, 23, 59, 59, 0, time.UTC).Sub(t0))
	if st, body := e.do(t, "POST", "/tokens", e.PK, ctForm, cardForm("expiration_month", "11", "expiration_year", "2026")); st != 200 {
		t.Errorf("last second of the month: status %d: %v", st, body)
	}
	e.Clock.Advance(time.Second)
	st, body := e.do(t, "POST", "/tokens", e.PK, ctForm, cardForm("expiration_month", "11", "expiration_year", "2026"))
	wantError(t, st, body, 400, "invalid_card", "expiration date cannot be in the past")
}

// TestMissingCard covers §2.3's missing_card cases.
func TestMissingCard(t *testing.T) {
	e := newEnv(t)
	tests := []struct {
		name, ct, body string
	}{
		{"no body", "", ""},
		{"empty form", ctForm, ""},
		{"whitespace body", ctJSON, "  \n"},
		{"empty json", ctJSON, `{}`},
		{"empty card object", ctJSON, `{"card":{}}`},
		{"card is a string", ctJSON, `{"card":"4242424242424242"}`},
		{"card is null", ctJSON, `{"card":null}`},
		{"card is an array", ctJSON, `{"card":[1,2]}`},
		{"card fields all blank", ctJSON, `{"card":{"name":"","number":null,"expiration_month":""}}`},
		{"form card fields blank", ctForm, form("card[name]", "", "card[number]", "")},
		{"form card scalar", ctForm, form("card", "abc")},
		{"only other params", ctForm, form("linked_account", "x")},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			st, body := e.do(t, "POST", "/tokens", e.PK, tc.ct, tc.body)
			wantError(t, st, body, 400, "missing_card", "request contains no card parameters")
		})
	}
}

// TestTokenEncodings covers the request encodings and coercions of §2.1.
func TestTokenEncodings(t *testing.T) {
	e := newEnv(t)
	const validJSON = `{"card":{"name":"A","number":"4242424242424242","expiration_month":12,"expiration_year":2030}}`
	okTests := []struct {
		name, ct, body string
		want           map[string]string
	}{
		{"form bracket keys", ctForm, cardForm(), map[string]string{"card.brand": `"Visa"`}},
		{"form percent-encoded brackets", ctForm,
			"card%5Bname%5D=A&card%5Bnumber%5D=4242424242424242&card%5Bexpiration_month%5D=12&card%5Bexpiration_year%5D=2030",
			map[string]string{"card.name": `"A"`, "card.expiration_year": `2030`}},
		{"form plus as space", ctForm, cardForm("name", "JOHN DOE", "number", "4242 4242 4242 4242"),
			map[string]string{"card.name": `"JOHN DOE"`, "card.last_digits": `"4242"`}},
		{"form with charset", ctForm + "; charset=utf-8", cardForm(), map[string]string{"card.brand": `"Visa"`}},
		{"nested json", ctJSON, validJSON, map[string]string{"card.expiration_month": `12`}},
		{"json with charset", "application/json; charset=utf-8", validJSON, map[string]string{"card.name": `"A"`}},
		{"+json content type", "application/vnd.omise+json", validJSON, map[string]string{"card.name": `"A"`}},
		{"no content type, json", "", "\n  " + validJSON, map[string]string{"card.name": `"A"`}},
		{"no content type, form", "", cardForm(), map[string]string{"card.name": `"Somchai Prasert"`}},
		{"month as string", ctJSON, `{"card":{"name":"A","number":"4242424242424242","expiration_month":"12","expiration_year":"2030"}}`,
			map[string]string{"card.expiration_month": `12`, "card.expiration_year": `2030`}},
		{"month as 12.0", ctJSON, `{"card":{"name":"A","number":"4242424242424242","expiration_month":12.0,"expiration_year":2030.0}}`,
			map[string]string{"card.expiration_month": `12`, "card.expiration_year": `2030`}},
		{"month as 1.2e1", ctJSON, `{"card":{"name":"A","number":"4242424242424242","expiration_month":1.2e1,"expiration_year":99}}`,
			map[string]string{"card.expiration_month": `12`, "card.expiration_year": `2099`}},
		{"month with leading zero", ctForm, cardForm("expiration_month", "05"), map[string]string{"card.expiration_month": `5`}},
		{"number as json number keeps its digits", ctJSON,
			`{"card":{"name":"A","number":6447032400000000001,"expiration_month":1,"expiration_year":2099,"security_code":123}}`,
			map[string]string{"card.brand": `"Discover"`, "card.last_digits": `"0001"`, "card.security_code_check": `true`}},
		{"strings as json numbers", ctJSON,
			`{"card":{"name":"A","number":"4242424242424242","expiration_month":1,"expiration_year":2099,"postal_code":10240,"phone_number":66812345678}}`,
			map[string]string{"card.postal_code": `"10240"`, "card.phone_number": `"66812345678"`}},
		{"empty and null are absent", ctJSON,
			`{"card":{"name":"A","number":"4242424242424242","expiration_month":1,"expiration_year":2099,"security_code":"","street1":"","state":null,"city":null}}`,
			map[string]string{"card.street1": `null`, "card.state": `null`, "card.city": `null`, "card.security_code_check": `false`}},
		{"unknown params ignored", ctForm, cardForm("email", "a@example.com") + "&linked_account=x&foo[bar][baz]=1",
			map[string]string{"card.brand": `"Visa"`}},
		{"unknown json params ignored", ctJSON,
			`{"linked_account":{"x":1},"card":{"name":"A","number":"4242424242424242","expiration_month":1,"expiration_year":2099,"email":"a@b.c","extra":[1]}}`,
			map[string]string{"card.brand": `"Visa"`}},
		{"text trimmed", ctForm, cardForm("city", "  Bangkok  ", "name", "\tA B "), map[string]string{"card.city": `"Bangkok"`, "card.name": `"A B"`}},
		{"255 chars", ctForm, cardForm("name", strings.Repeat("n", 255), "street2", strings.Repeat("s", 255)),
			map[string]string{"card.name": q(strings.Repeat("n", 255))}},
		{"255 chars and spaces", ctForm, cardForm("name", "  "+strings.Repeat("n", 255)+"  "),
			map[string]string{"card.name": q(strings.Repeat("n", 255))}},
		{"255 multibyte chars", ctForm, cardForm("name", strings.Repeat("ก", 255)),
			map[string]string{"card.name": q(strings.Repeat("ก", 255))}},
	}
	for _, tc := range okTests {
		t.Run(tc.name, func(t *testing.T) {
			st, body := e.do(t, "POST", "/tokens", e.PK, tc.ct, tc.body)
			if st != 200 {
				t.Fatalf("status %d: %v", st, body)
			}
			check(t, body, tc.want)
		})
	}

	errTests := []struct {
		name, ct, body, want string
	}{
		{"text/plain", "text/plain", cardForm(), "content type is not supported"},
		{"multipart", "multipart/form-data; boundary=x", "--x\r\n", "content type is not supported"},
		{"xml", "application/xml", "<card/>", "content type is not supported"},
		{"invalid json", ctJSON, `{"card":`, "request body is not valid JSON"},
		{"json array", ctJSON, `[{"card":{}}]`, "request body is not valid JSON"},
		{"json trailing data", ctJSON, validJSON + `{}`, "request body is not valid JSON"},
		{"no content type, bad json", "", `{card: 1}`, "request body is not valid JSON"},
		{"+json, bad json", "application/merge-patch+json", `{"card"`, "request body is not valid JSON"},
		{"number is an object", ctJSON, `{"card":{"name":"A","number":{"a":"4242424242424242"},"expiration_month":1,"expiration_year":2099}}`, "card[number] is invalid"},
		{"number is an array", ctJSON, `{"card":{"name":"A","number":["4242424242424242"],"expiration_month":1,"expiration_year":2099}}`, "card[number] is invalid"},
		{"form number is an object", ctForm, cardForm("number", "-") + "&card[number][x]=4242424242424242", "card[number] is invalid"},
		{"month is an array", ctJSON, `{"card":{"name":"A","number":"4242424242424242","expiration_month":[1],"expiration_year":2099}}`, "card[expiration_month] is invalid"},
		{"year is an object", ctJSON, `{"card":{"name":"A","number":"4242424242424242","expiration_month":1,"expiration_year":{}}}`, "card[expiration_year] is invalid"},
		{"security code is an object", ctJSON, `{"card":{"name":"A","number":"4242424242424242","expiration_month":1,"expiration_year":2099,"security_code":{"x":1}}}`, "card[security_code] is invalid"},
		{"name is an object", ctJSON, `{"card":{"name":{"first":"A"},"number":"4242424242424242","expiration_month":1,"expiration_year":2099}}`, "card[name] is invalid"},
		{"city is an array", ctJSON, `{"card":{"name":"A","number":"4242424242424242","expiration_month":1,"expiration_year":2099,"city":["x"]}}`, "card[city] is invalid"},
		{"name too long", ctForm, cardForm("name", strings.Repeat("n", 256)), "card[name] is too long"},
		{"street1 too long", ctForm, cardForm("street1", strings.Repeat("s", 256)), "card[street1] is too long"},
		{"postal code too long", ctForm, cardForm("postal_code", strings.Repeat("1", 256)), "card[postal_code] is too long"},
		{"multibyte too long", ctForm, cardForm("city", strings.Repeat("ก", 256)), "card[city] is too long"},
	}
	for _, tc := range errTests {
		t.Run(tc.name, func(t *testing.T) {
			st, body := e.do(t, "POST", "/tokens", e.PK, tc.ct, tc.body)
			wantError(t, st, body, 400, "bad_request", tc.want)
		})
	}
}

// TestBodyLimit: bodies over 1 MiB are refused; exactly 1 MiB is accepted (§1.5).
func TestBodyLimit(t *testing.T) {
	e := newEnv(t)
	const mib = 1 << 20
	base := cardForm() + "&padding="
	exact := base + strings.Repeat("a", mib-len(base))
	st, body := e.do(t, "POST", "/tokens", e.PK, ctForm, exact)
	if st != 200 {
		t.Errorf("exactly 1 MiB: status %d: %v", st, body["message"])
	}
	st, body = e.do(t, "POST", "/tokens", e.PK, ctForm, exact+"a")
	wantError(t, st, body, 400, "bad_request", "request body is too large")
	jsonBig := `{"card":{"name":"` + strings.Repeat("a", mib) + `"}}`
	st, body = e.do(t, "POST", "/tokens", e.PK, ctJSON, jsonBig)
	wantError(t, st, body, 400, "bad_request", "request body is too large")
	// The same limit applies to customer writes and list bodies.
	st, body = e.do(t, "POST", "/customers", e.SK, ctForm, "description=x&padding="+strings.Repeat("a", mib))
	wantError(t, st, body, 400, "bad_request", "request body is too large")
	st, body = e.do(t, "GET", "/customers", e.SK, ctForm, "limit=1&padding="+strings.Repeat("a", mib))
	wantError(t, st, body, 400, "bad_request", "request body is too large")
}

// TestGetToken covers GET /tokens/{tokn} (§2.3, §2.10).
func TestGetToken(t *testing.T) {
	e := newEnv(t)
	st, created := e.do(t, "POST", "/tokens", e.PK, ctForm, cardForm())
	if st != 200 {
		t.Fatalf("create: %d", st)
	}
	id := str(t, created, "id")
	got := e.MustGet(t, "/tokens/"+id, e.PK)
	if lit(got) != lit(created) {
		t.Errorf("GET differs from the created token:\n got %s\nwant %s", lit(got), lit(created))
	}
	// Trailing slash and a GET body are ignored.
	r := e.doH(t, "GET", "/tokens/"+id+"/", e.PK, ctJSON, `not json`, nil)
	if r.Status != 200 || r.Body["id"] != id {
		t.Errorf("GET with trailing slash and junk body: %d %v", r.Status, r.Body)
	}

	opk, _, _, _ := e.NewAccount(t)
	notFound := []struct{ name, id, key string }{
		{"unknown", "tokn_test_doesnotexist0000", e.PK},
		{"other account", id, opk},
		{"live key", id, e.LPK},
		{"card id", str(t, created, "card.id"), e.PK},
	}
	for _, tc := range notFound {
		t.Run(tc.name, func(t *testing.T) {
			st, body := e.do(t, "GET", "/tokens/"+tc.id, tc.key, "", "")
			wantError(t, st, body, 404, "not_found", "token "+tc.id+" was not found")
		})
	}

	// Used tokens stay readable until the TTL, then 404.
	c := e.MustCustomer(t, e.SK, form("card", id))
	got = e.MustGet(t, "/tokens/"+id, e.PK)
	check(t, got, map[string]string{"used": `true`, "card.id": q(str(t, created, "card.id")), "card.last_digits": `"4242"`})
	if n := num(t, got, "card.chargeover_id"); n != num(t, c, "cards.data.0.chargeover_id") {
		t.Errorf("used token's card chargeover_id = %d, want the stored card's", n)
	}
	e.Clock.Advance(tokenTTL - time.Second)
	if st, _ := e.do(t, "GET", "/tokens/"+id, e.PK, "", ""); st != 200 {
		t.Errorf("one second before the TTL: status %d, want 200", st)
	}
	e.Clock.Advance(2 * time.Second)
	st, body := e.do(t, "GET", "/tokens/"+id, e.PK, "", "")
	wantError(t, st, body, 404, "not_found", "token "+id+" was not found")
}

// TestTokenTTL covers attach after the TTL and the janitor's tombstones (§2.10).
func TestTokenTTL(t *testing.T) {
	e := newEnv(t)
	cust := str(t, e.MustCustomer(t, e.SK, ""), "id")
	expired, _ := e.MustToken(t, "4242424242424242")
	used, _ := e.MustToken(t, "5555555555554444")
	e.MustAttach(t, e.SK, cust, used)
	e.Clock.Advance(tokenTTL + time.Second)

	st, body := e.do(t, "PATCH", "/customers/"+cust, e.SK, ctForm, form("card", expired))
	wantError(t, st, body, 400, "invalid_card_token", "token "+expired+" has expired")
	st, body = e.do(t, "POST", "/customers", e.SK, ctForm, form("card", expired))
	wantError(t, st, body, 400, "invalid_card_token", "token "+expired+" has expired")
	st, body = e.do(t, "GET", "/tokens/"+expired, e.PK, "", "")
	wantError(t, st, body, 404, "not_found", "token "+expired+" was not found")
	// Check order: used before expired.
	st, body = e.do(t, "PATCH", "/customers/"+cust, e.SK, ctForm, form("card", used))
	wantError(t, st, body, 400, "used_token", "token was already used")

	// The janitor purges the card data; the tombstone keeps the answer stable.
	n, err := e.Vault.Purge(t.Context())
	if err != nil || n != 1 {
		t.Fatalf("Purge = %d, %v; want 1 card purged", n, err)
	}
	st, body = e.do(t, "PATCH", "/customers/"+cust, e.SK, ctForm, form("card", expired))
	wantError(t, st, body, 400, "invalid_card_token", "token "+expired+" has expired")
	// The used token's card is stored, not purged.
	c := e.MustGet(t, "/customers/"+cust, e.SK)
	check(t, c, map[string]string{"cards.total": `1`})

	// After the tombstone period the id is unknown.
	e.Clock.Advance(24 * time.Hour)
	if _, err := e.Vault.Purge(t.Context()); err != nil {
		t.Fatal(err)
	}
	st, body = e.do(t, "PATCH", "/customers/"+cust, e.SK, ctForm, form("card", expired))
	wantError(t, st, body, 404, "not_found", "token "+expired+" was not found")
	check(t, e.MustGet(t, "/customers/"+cust, e.SK), map[string]string{"cards.total": `1`})
}

// TestFingerprint covers §2.9.
func TestFingerprint(t *testing.T) {
	e := newEnv(t)
	fp := func(pkey, number string) string {
		t.Helper()
		st, tok := e.do(t, "POST", "/tokens", pkey, ctForm, cardForm("number", number))
		if st != 200 {
			t.Fatalf("status %d: %v", st, tok)
		}
		return str(t, tok, "card.fingerprint")
	}
	a := fp(e.PK, "4242424242424242")
	if len(a) != 44 {
		t.Errorf("fingerprint length %d, want 44", len(a))
	}
	if b, err := base64.StdEncoding.DecodeString(a); err != nil || len(b) != 32 {
		t.Errorf("fingerprint is not standard base64 of 32 bytes: %v", err)
	}
	if b := fp(e.PK, "4242 4242 4242 4242"); b != a {
		t.Errorf("same PAN, same account: %s != %s", b, a)
	}
	if b := fp(e.LPK, "4242424242424242"); b != a {
		t.Errorf("same PAN, live mode of the same account: %s != %s", b, a)
	}
	if b := fp(e.PK, "4111111111111111"); b == a {
		t.Errorf("different PANs share a fingerprint")
	}
	opk, _, _, _ := e.NewAccount(t)
	if b := fp(opk, "4242424242424242"); b == a {
		t.Errorf("another account has the same fingerprint")
	}
	// A stored card keeps its token's fingerprint.
	tok, card := e.MustToken(t, "4242424242424242")
	cust := str(t, e.MustCustomer(t, e.SK, form("card", tok)), "id")
	got := e.MustGet(t, "/customers/"+cust+"/cards/"+card, e.SK)
	check(t, got, map[string]string{"fingerprint": q(a)})
}

// TestNoCardDataInResponses is §6 row 1's body check and §1.5: neither the
// number nor the security code comes back, in any form.
func TestNoCardDataInResponses(t *testing.T) {
	e := newEnv(t)
	const cvv = "987"
	st, tok := e.do(t, "POST", "/tokens", e.PK, ctForm, cardForm("security_code", cvv))
	if st != 200 {
		t.Fatal(st)
	}
	id := str(t, tok, "id")
	c := e.MustCustomer(t, e.SK, form("card", id))
	cust := str(t, c, "id")
	for _, path := range []string{"/tokens/" + id, "/customers/" + cust, "/customers/" + cust + "/cards", "/customers"} {
		key := e.SK
		if strings.HasPrefix(path, "/tokens") {
			key = e.PK
		}
		r := e.doH(t, "GET", path, key, "", "", nil)
		if strings.Contains(string(r.Raw), "4242424242424242") || strings.Contains(string(r.Raw), `"`+cvv+`"`) ||
			strings.Contains(string(r.Raw), ":"+cvv+",") {
			t.Errorf("%s: body holds the number or the security code: %s", path, r.Raw)
		}
		if strings.Contains(string(r.Raw), "424242") {
			t.Errorf("%s: body holds the BIN; the Omise dialect returns last_digits only", path)
		}
	}
}

// TestTokenTTLBoundary: at every instant GET /tokens/{tokn} and attaching
// agree on whether an unused token has expired (§2.10: it expires after the
// TTL from created_at; GET works until the TTL has passed). The boundary is
// inclusive: at exactly created_at + TTL the token still works, one second
// later it has expired.
func TestTokenTTLBoundary(t *testing.T) {
	e := newEnv(t)
	cust := str(t, e.MustCustomer(t, e.SK, ""), "id")
	// Three tokens created at the same instant, t0.
	atTTL, atTTLCard := e.MustToken(t, "4242424242424242")
	late, _ := e.MustToken(t, "5555555555554444")
	lateNew, _ := e.MustToken(t, "4012888888881881")
	created := e.MustGet(t, "/tokens/"+atTTL, e.PK)
	check(t, created, map[string]string{"created_at": q(ts(t0)), "used": `false`})

	e.Clock.Advance(tokenTTL) // exactly created_at + TTL
	getSt, _ := e.do(t, "GET", "/tokens/"+atTTL, e.PK, "", "")
	attSt, body := e.do(t, "PATCH", "/customers/"+cust, e.SK, ctForm, form("card", atTTL))
	if (getSt == 200) != (attSt == 200) {
		t.Errorf("at created_at+TTL: GET /tokens → %d but attach → %d %v; they must agree", getSt, attSt, body["message"])
	}
	if getSt != 200 {
		t.Errorf("at created_at+TTL: GET /tokens/{tokn} → %d, want 200 (the TTL has not passed yet)", getSt)
	}
	if attSt != 200 {
		t.Errorf("at created_at+TTL: attach → %d %v %q, want 200", attSt, body["code"], body["message"])
	} else {
		check(t, body, map[string]string{"cards.total": `1`, "cards.data.0.id": q(atTTLCard), "default_card": q(atTTLCard)})
	}
	// The other tokens are still readable and unused at this instant.
	for _, tok := range []string{late, lateNew} {
		got := e.MustGet(t, "/tokens/"+tok, e.PK)
		check(t, got, map[string]string{"used": `false`})
	}
	// Creating a customer with a token at exactly created_at + TTL works too.
	st, nc := e.do(t, "POST", "/customers", e.SK, ctForm, form("card", lateNew))
	if st != 200 {
		t.Errorf("at created_at+TTL: POST /customers card=… → %d %v %q, want 200", st, nc["code"], nc["message"])
	}

	e.Clock.Advance(time.Second) // created_at + TTL + 1 s
	st, body = e.do(t, "GET", "/tokens/"+late, e.PK, "", "")
	wantError(t, st, body, 404, "not_found", "token "+late+" was not found")
	st, body = e.do(t, "PATCH", "/customers/"+cust, e.SK, ctForm, form("card", late))
	wantError(t, st, body, 400, "invalid_card_token", "token "+late+" has expired")
	st, body = e.do(t, "POST", "/customers", e.SK, ctForm, form("card", late))
	wantError(t, st, body, 400, "invalid_card_token", "token "+late+" has expired")
	// Used tokens are also 404 on GET once the TTL has passed.
	st, body = e.do(t, "GET", "/tokens/"+atTTL, e.PK, "", "")
	wantError(t, st, body, 404, "not_found", "token "+atTTL+" was not found")
	// The failed attaches changed nothing; the card attached at the boundary stays.
	check(t, e.MustGet(t, "/customers/"+cust, e.SK), map[string]string{"cards.total": `1`, "default_card": q(atTTLCard)})
}

// TestIINDerivedFields: bank, financing and (when not supplied) country come
// from the embedded IIN table (§2.5, §2.9).
func TestIINDerivedFields(t *testing.T) {
	e := newEnv(t)
	tests := []struct {
		name, number, cvv, country string
	}{
		{"amex, country derived", "378282246310005", "1234", ""},
		{"amex, country supplied", "378282246310005", "1234", "th"},
		{"visa with a known BIN", pad("400115", 16), "123", ""},
		{"visa with an unknown BIN", "4242424242424242", "123", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			is := iin.Lookup(tc.number)
			st, tok := e.do(t, "POST", "/tokens", e.PK, ctForm, cardForm("number", tc.number, "security_code", tc.cvv, "country", tc.country))
			if st != 200 {
				t.Fatalf("status %d: %v", st, tok)
			}
			country := is.Country
			if tc.country != "" {
				country = tc.country
			}
			check(t, tok, map[string]string{"card.bank": q(is.Bank), "card.financing": q(is.Financing), "card.country": q(country)})
		})
	}
	if is := iin.Lookup("378282246310005"); is.Country != "us" || is.Bank == "" {
		t.Errorf("the IIN table no longer knows 378282: %+v; pick another BIN for this test", is)
	}
}
