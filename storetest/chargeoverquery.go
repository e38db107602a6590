package storetest

import (
	"fmt"
	"net/url"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/cardvault/cardvault"
	"github.com/cardvault/cardvault/query"
)

// querySet is the fixture of the ChargeOver query subtests: customers and
// stored cards of account A's test mode with every kind of unset value, the
// same values in other scopes, and unattached token cards. Objects are named
// for messages; their ids ascend in the order of the lists.
type querySet struct {
	cust      map[string]*cardvault.Customer
	custNames []string // account A test mode, in Seq order
	card      map[string]*cardvault.Card
	cardNames []string                   // account A test mode, in Seq order
	name      map[string]string          // object id → name, every scope
	scopeCust map[string][]string        // "live", "other" → customer names
	scopeCard map[string][]string        // "live", "other" → card names
	scope     map[string]cardvault.Scope // "test", "live", "other"
}

// queryCustomers are the fixture's customers in creation order; "" is
// unset. Byte-wise order of the test-mode companies (NULL for bare, bare2
// and contact_only): "100% off_sale" < "ACME" < "Acme, Inc" < "Zeta Labs"
// < "acme" (twice) < "z" < "Ärger GmbH" (0xC3 0x84) < "ärger gmbh" (0xC3 0xA4).
var queryCustomers = []struct {
	name, scope                 string
	company, email, externalKey string
}{
	{"acme_inc", "test", "Acme, Inc", "billing@acme.example", "crm-1"},
	{"live_acme_inc", "live", "Acme, Inc", "billing@acme.example", "crm-1"},
	{"acme_upper", "test", "ACME", "OPS@ACME.EXAMPLE", "CRM-2"},
	{"acme_lower", "test", "acme", "", ""},
	{"pct", "test", "100% off_sale", "x_y%z@example.com", "crm_%"},
	{"other_acme", "other", "acme", "", "crm-1"},
	{"umlaut_upper", "test", "Ärger GmbH", "", "crm-Ä"},
	{"umlaut_lower", "test", "ärger gmbh", "ärger@example.com", "crm-ä"},
	{"bare", "test", "", "", ""},
	{"z", "test", "z", "z@example.com", "z"},
	{"live_bare", "live", "", "", ""},
	{"acme_dup", "test", "acme", "ACME@acme.example", ""},
	{"bare2", "test", "", "", ""},
	{"contact_only", "test", "", "contact@example.com", "crm-10"},
	{"plain", "test", "Zeta Labs", "", "ext:1"},
}

// queryCards are the fixture's stored cards in storing order; attach cards
// come from an Omise token, the others from StoreCard. Byte-wise order of
// the test-mode external keys (NULL for the three null_ cards): "50%_off" <
// "ACME" < "Acme" < "acme" < "z" < "Äpfel" < "äpfel".
var queryCards = []struct {
	name, scope, customer, pan, externalKey string
	attach                                  bool
}{
	{"k_ACME", "test", "acme_inc", Visa, "ACME", false},
	{"k_Acme", "test", "acme_inc", MasterCard, "Acme", false},
	{"null_attach", "test", "acme_inc", JCB, "", true},
	{"live_k_ACME", "live", "live_acme_inc", Visa, "ACME", false},
	{"k_acme", "test", "acme_upper", Visa, "acme", false},
	{"k_pct", "test", "acme_upper", MasterCard, "50%_off", false},
	{"other_k_acme", "other", "other_acme", Visa, "acme", false},
	{"k_Apfel", "test", "bare", Visa, "Äpfel", false},
	{"k_apfel", "test", "bare", MasterCard, "äpfel", false},
	{"null_store", "test", "bare", Amex, "", false},
	{"live_null", "live", "live_acme_inc", MasterCard, "", true},
	{"k_z", "test", "acme_inc", Amex, "z", false},
	{"null_attach_b", "test", "acme_upper", Discover, "", true},
}

// newQuerySet builds the query fixture, with two unattached tokens in each scope.
func newQuerySet(t *testing.T, f *Fixture) *querySet {
	t.Helper()
	qs := &querySet{cust: map[string]*cardvault.Customer{}, card: map[string]*cardvault.Card{}, name: map[string]string{},
		scopeCust: map[string][]string{}, scopeCard: map[string][]string{},
		scope: map[string]cardvault.Scope{"test": f.Test, "live": f.Live, "other": f.Other}}
	for _, d := range queryCustomers {
		c := mustCOCustomer(t, f, qs.scope[d.scope], &cardvault.Customer{Description: d.company, Email: d.email, ExternalKey: d.externalKey,
			Contact: cardvault.Contact{Name: "Contact " + d.name}})
		qs.cust[d.name], qs.name[c.ID] = c, d.name
		if d.scope == "test" {
			qs.custNames = append(qs.custNames, d.name)
		} else {
			qs.scopeCust[d.scope] = append(qs.scopeCust[d.scope], d.name)
		}
	}
	for _, s := range []string{"test", "live", "other"} {
		MustToken(t, f.Vault, qs.scope[s], Visa)
	}
	for _, d := range queryCards {
		s, cust := qs.scope[d.scope], qs.cust[d.customer]
		var c *cardvault.Card
		if d.attach {
			c = MustStoredToken(t, f.Vault, s, cust.ID, d.pan)
		} else {
			c = mustStoreNew(t, f, s, cardvault.Ref{Seq: cust.Seq}, coCard{pan: d.pan, name: d.name, ext: d.externalKey})
		}
		qs.card[d.name], qs.name[c.ID] = c, d.name
		if d.scope == "test" {
			qs.cardNames = append(qs.cardNames, d.name)
		} else {
			qs.scopeCard[d.scope] = append(qs.scopeCard[d.scope], d.name)
		}
	}
	for _, s := range []string{"test", "live", "other"} {
		MustToken(t, f.Vault, qs.scope[s], MasterCard)
	}
	return qs
}

// names maps object ids to fixture names ("?" + id for a stranger).
func (qs *querySet) names(ids []string) []string {
	out := make([]string, len(ids))
	for i, id := range ids {
		if n, ok := qs.name[id]; ok {
			out[i] = n
		} else {
			out[i] = "?" + id
		}
	}
	return out
}

var placeholder = regexp.MustCompile(`\{(seq|tok|TOK):([A-Za-z0-9_]+)\}`)

// expand replaces {seq:NAME} by the Seq of the customer or card NAME, and
// {tok:NAME} / {TOK:NAME} by its object token in lower / upper case.
func (qs *querySet) expand(t testing.TB, s string) string {
	return placeholder.ReplaceAllStringFunc(s, func(m string) string {
		p := placeholder.FindStringSubmatch(m)
		var seq int64
		var tok string
		if c, ok := qs.cust[p[2]]; ok {
			seq, tok = c.Seq, c.Token
		} else if c, ok := qs.card[p[2]]; ok {
			seq, tok = c.Seq, c.Token
		} else {
			t.Fatalf("placeholder %s names no fixture object", m)
		}
		switch p[1] {
		case "seq":
			return strconv.FormatInt(seq, 10)
		case "TOK":
			return strings.ToUpper(tok)
		}
		return tok
	})
}

// coQuery is a list request as already-decoded parameters (API.md §3.6
// step 1 done): each where value as sent, order, limit and offset.
type coQuery struct {
	where                []string
	order, limit, offset string
}

// w is a query with where values and limit 500.
func w(where ...string) coQuery { return coQuery{where: where, limit: "500"} }

// o is a query with an order and limit 500.
func o(order string) coQuery { return coQuery{order: order, limit: "500"} }

// parse runs the real parser on q, after placeholder expansion.
func (qs *querySet) parse(t testing.TB, s query.Schema, q coQuery) query.Query {
	t.Helper()
	v := url.Values{}
	for _, c := range q.where {
		v.Add("where", qs.expand(t, c))
	}
	for k, val := range map[string]string{"order": q.order, "limit": q.limit, "offset": q.offset} {
		if val != "" {
			v.Set(k, val)
		}
	}
	pq, err := query.Parse(v, s)
	if err != nil {
		t.Fatalf("query.Parse(%v): %v", v, err)
	}
	return pq
}

// coCase is one query and the fixture names it must return, in order
// (space-separated; "" for none).
type coCase struct {
	name string
	q    coQuery
	want string
}

// resource is QueryX/CountX of one ChargeOver type, returning object ids.
type resource struct {
	what   string
	schema query.Schema
	list   func(f *Fixture, s cardvault.Scope, q query.Query) ([]string, error)
	count  func(f *Fixture, s cardvault.Scope, where []query.Cond) (int, error)
}

var customerResource = resource{"Customers", query.Customer,
	func(f *Fixture, s cardvault.Scope, q query.Query) ([]string, error) {
		cs, err := f.Store.QueryCustomers(f.Ctx, s, q)
		return customerIDs(cs), err
	},
	func(f *Fixture, s cardvault.Scope, where []query.Cond) (int, error) {
		return f.Store.CountCustomers(f.Ctx, s, where)
	},
}

var cardResource = resource{"Cards", query.CreditCard,
	func(f *Fixture, s cardvault.Scope, q query.Query) ([]string, error) {
		cs, err := f.Store.QueryCards(f.Ctx, s, q)
		return cardIDs(cs), err
	},
	func(f *Fixture, s cardvault.Scope, where []query.Cond) (int, error) {
		return f.Store.CountCards(f.Ctx, s, where)
	},
}

// check runs q in scope s and compares the names of the result with want.
// It also checks that the count equals the length of the unpaged list and
// that the page is that list's slice at offset and limit.
func (r resource) check(t *testing.T, f *Fixture, qs *querySet, s cardvault.Scope, q coQuery, want []string) {
	t.Helper()
	pq := qs.parse(t, r.schema, q)
	got, err := r.list(f, s, pq)
	noErr(t, "Query"+r.what, err)
	wantIDs(t, fmt.Sprintf("Query%s(%+v)", r.what, q), qs.names(got), want)

	all := pq
	all.Limit, all.Offset = query.MaxLimit, 0
	unpaged, err := r.list(f, s, all)
	noErr(t, "Query"+r.what+"(unpaged)", err)
	n, err := r.count(f, s, pq.Where)
	noErr(t, "Count"+r.what, err)
	if n != len(unpaged) {
		t.Errorf("Count%s(%q) = %d, want %d, the length of the unpaged list", r.what, q.where, n, len(unpaged))
	}
	lo := min(pq.Offset, int64(len(unpaged)))
	hi := min(lo+int64(pq.Limit), int64(len(unpaged)))
	wantIDs(t, fmt.Sprintf("Query%s(%+v) against the unpaged list", r.what, q), qs.names(got), qs.names(unpaged[lo:hi]))
}

func (r resource) run(t *testing.T, f *Fixture, qs *querySet, cases []coCase) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r.check(t, f, qs, f.Test, tc.q, strings.Fields(tc.want))
		})
	}
}

const allCustomers = "acme_inc acme_upper acme_lower pct umlaut_upper umlaut_lower bare z acme_dup bare2 contact_only plain"

func testQueryCustomers(t *testing.T, f *Fixture) {
	qs := newQuerySet(t, f)
	if got := strings.Join(qs.custNames, " "); got != allCustomers {
		t.Fatalf("fixture customers %s, want %s", got, allCustomers)
	}
	nonNullCompany := "acme_inc acme_upper acme_lower pct umlaut_upper umlaut_lower z acme_dup plain"
	nonNullExt := "acme_inc acme_upper pct umlaut_upper umlaut_lower z contact_only plain"
	companyASC := "bare bare2 contact_only pct acme_upper acme_inc plain acme_lower acme_dup z umlaut_upper umlaut_lower"
	companyDESC := "umlaut_lower umlaut_upper z acme_lower acme_dup plain acme_inc acme_upper pct bare bare2 contact_only"
	cases := []coCase{
		{"no_where", w(), allCustomers},

		// Strings: EQUALS and NOTEQUALS exact and case-sensitive, never NULL.
		{"company_EQUALS", w("company:EQUALS:acme"), "acme_lower acme_dup"},
		{"company_EQUALS_upper", w("company:EQUALS:ACME"), "acme_upper"},
		{"company_EQUALS_escaped_comma", w(`company:EQUALS:Acme\, Inc`), "acme_inc"},
		{"company_EQUALS_prefix", w("company:EQUALS:Acme"), ""},
		{"company_EQUALS_empty_never_null", w("company:EQUALS:"), ""},
		{"company_NOTEQUALS", w("company:NOTEQUALS:acme"), "acme_inc acme_upper pct umlaut_upper umlaut_lower z plain"},
		{"company_NOTEQUALS_empty", w("company:NOTEQUALS:"), nonNullCompany},
		{"company_IS_NULL", w("company:IS:NULL"), "bare bare2 contact_only"},
		{"company_ISNOT_NULL", w("company:ISNOT:NULL"), nonNullCompany},
		{"email_EQUALS", w("superuser_email:EQUALS:OPS@ACME.EXAMPLE"), "acme_upper"},
		{"email_EQUALS_other_case", w("superuser_email:EQUALS:ops@acme.example"), ""},
		{"email_NOTEQUALS", w("superuser_email:NOTEQUALS:z@example.com"), "acme_inc acme_upper pct umlaut_lower acme_dup contact_only"},
		{"email_IS_NULL", w("superuser_email:IS:NULL"), "acme_lower umlaut_upper bare bare2 plain"},
		{"email_ISNOT_NULL", w("superuser_email:ISNOT:NULL"), "acme_inc acme_upper pct umlaut_lower z acme_dup contact_only"},
		{"ext_EQUALS", w("external_key:EQUALS:crm-1"), "acme_inc"},
		{"ext_EQUALS_other_case", w("external_key:EQUALS:CRM-1"), ""},
		{"ext_EQUALS_escaped_colon", w(`external_key:EQUALS:ext\:1`), "plain"},
		{"ext_EQUALS_umlaut", w("external_key:EQUALS:crm-ä"), "umlaut_lower"},
		{"ext_NOTEQUALS", w("external_key:NOTEQUALS:crm-1"), "acme_upper pct umlaut_upper umlaut_lower z contact_only plain"},
		{"ext_IS_NULL", w("external_key:IS:NULL"), "acme_lower bare acme_dup bare2"},
		{"ext_ISNOT_NULL", w("external_key:ISNOT:NULL"), nonNullExt},
		{"token_EQUALS", w("token:EQUALS:{tok:pct}"), "pct"},
		{"token_NOTEQUALS", w("token:NOTEQUALS:{tok:pct}"), "acme_inc acme_upper acme_lower umlaut_upper umlaut_lower bare z acme_dup bare2 contact_only plain"},
		{"token_IS_NULL", w("token:IS:NULL"), ""},
		{"token_ISNOT_NULL", w("token:ISNOT:NULL"), allCustomers},

		// CONTAINS: ASCII case-insensitive, % and _ literal, "" matches every non-null.
		{"company_CONTAINS", w("company:CONTAINS:acme"), "acme_inc acme_upper acme_lower acme_dup"},
		{"company_CONTAINS_mixed_case", w("company:CONTAINS:aCmE"), "acme_inc acme_upper acme_lower acme_dup"},
		{"company_CONTAINS_whole", w(`company:CONTAINS:ACME\, INC`), "acme_inc"},
		{"company_CONTAINS_non_ASCII_upper", w("company:CONTAINS:ÄRGER"), "umlaut_upper"},
		{"company_CONTAINS_non_ASCII_lower", w("company:CONTAINS:ärger"), "umlaut_lower"},
		{"company_CONTAINS_ASCII_part", w("company:CONTAINS:RGER gMbH"), "umlaut_upper umlaut_lower"},
		{"company_CONTAINS_percent", w("company:CONTAINS:%"), "pct"},
		{"company_CONTAINS_underscore", w("company:CONTAINS:_"), "pct"},
		{"company_CONTAINS_percent_underscore", w("company:CONTAINS:0% OFF_s"), "pct"},
		{"company_CONTAINS_underscore_not_wildcard", w("company:CONTAINS:ac_e"), ""},
		{"company_CONTAINS_percent_not_wildcard", w("company:CONTAINS:a%e"), ""},
		{"company_CONTAINS_digits_underscore", w("company:CONTAINS:1_0"), ""},
		{"company_CONTAINS_empty", w("company:CONTAINS:"), nonNullCompany},
		{"email_CONTAINS", w("superuser_email:CONTAINS:@ACME.example"), "acme_inc acme_upper acme_dup"},
		{"email_CONTAINS_wildcards", w("superuser_email:CONTAINS:_Y%"), "pct"},
		{"email_CONTAINS_non_ASCII", w("superuser_email:CONTAINS:Ä"), ""},
		{"email_CONTAINS_empty", w("superuser_email:CONTAINS:"), "acme_inc acme_upper pct umlaut_lower z acme_dup contact_only"},
		{"ext_CONTAINS", w("external_key:CONTAINS:CRM-"), "acme_inc acme_upper umlaut_upper umlaut_lower contact_only"},
		{"ext_CONTAINS_a_umlaut_upper", w("external_key:CONTAINS:crm-Ä"), "umlaut_upper"},
		{"ext_CONTAINS_a_umlaut_lower", w("external_key:CONTAINS:CRM-ä"), "umlaut_lower"},
		{"ext_CONTAINS_underscore", w("external_key:CONTAINS:m_"), "pct"},
		{"ext_CONTAINS_underscore_percent", w("external_key:CONTAINS:_%"), "pct"},
		{"ext_CONTAINS_colon", w(`external_key:CONTAINS:T\:`), "plain"},
		{"ext_CONTAINS_empty", w("external_key:CONTAINS:"), nonNullExt},
		{"token_CONTAINS_upper", w("token:CONTAINS:{TOK:umlaut_lower}"), "umlaut_lower"},

		// GT/LT/GTE/LTE on strings: byte-wise, never NULL.
		{"company_GT", w("company:GT:ACME"), "acme_inc acme_lower umlaut_upper umlaut_lower z acme_dup plain"},
		{"company_GTE", w("company:GTE:acme"), "acme_lower umlaut_upper umlaut_lower z acme_dup"},
		{"company_LT", w("company:LT:acme"), "acme_inc acme_upper pct plain"},
		{"company_LTE", w("company:LTE:ACME"), "acme_upper pct"},
		{"company_LT_Acme_between", w("company:LT:Acme"), "acme_upper pct"},
		{"company_GT_z_non_ASCII_above", w("company:GT:z"), "umlaut_upper umlaut_lower"},
		{"company_LT_A_umlaut", w("company:LT:Ä"), "acme_inc acme_upper acme_lower pct z acme_dup plain"},
		{"company_GT_A_umlaut_word", w("company:GT:Ärger GmbH"), "umlaut_lower"},
		{"company_GT_empty", w("company:GT:"), nonNullCompany},
		{"company_LT_empty", w("company:LT:"), ""},
		{"email_LT", w("superuser_email:LT:b"), "acme_upper acme_dup"},
		{"ext_GT", w("external_key:GT:crm-1"), "pct umlaut_upper umlaut_lower z contact_only plain"},
		{"ext_GTE", w("external_key:GTE:crm-1"), "acme_inc pct umlaut_upper umlaut_lower z contact_only plain"},
		{"ext_LT", w("external_key:LT:crm-1"), "acme_upper"},
		{"ext_LTE", w("external_key:LTE:crm-10"), "acme_inc acme_upper contact_only"},

		// Integers.
		{"id_EQUALS", w("customer_id:EQUALS:{seq:pct}"), "pct"},
		{"id_NOTEQUALS", w("customer_id:NOTEQUALS:{seq:pct}"), "acme_inc acme_upper acme_lower umlaut_upper umlaut_lower bare z acme_dup bare2 contact_only plain"},
		{"id_GT", w("customer_id:GT:{seq:bare}"), "z acme_dup bare2 contact_only plain"},
		{"id_GTE", w("customer_id:GTE:{seq:bare2}"), "bare2 contact_only plain"},
		{"id_LT", w("customer_id:LT:{seq:acme_lower}"), "acme_inc acme_upper"},
		{"id_LTE", w("customer_id:LTE:{seq:acme_upper}"), "acme_inc acme_upper"},
		{"id_IS_NULL", w("customer_id:IS:NULL"), ""},
		{"id_ISNOT_NULL", w("customer_id:ISNOT:NULL"), allCustomers},
		{"id_GT_negative", w("customer_id:GT:-1"), allCustomers},
		{"id_LT_zero", w("customer_id:LT:0"), ""},
		{"id_EQUALS_live_customer", w("customer_id:EQUALS:{seq:live_acme_inc}"), ""},
		{"id_range", w("customer_id:GT:{seq:acme_upper},customer_id:LT:{seq:bare}"), "acme_lower pct umlaut_upper umlaut_lower"},

		// Conditions AND-combine, within and across where values.
		{"and_in_one_where", w("company:CONTAINS:acme,external_key:ISNOT:NULL"), "acme_inc acme_upper"},
		{"and_across_wheres", w("company:CONTAINS:acme", "superuser_email:IS:NULL"), "acme_lower"},
		{"and_contradiction", w("company:EQUALS:acme,company:NOTEQUALS:acme"), ""},
		{"and_null_and_not_null", w("company:IS:NULL,company:ISNOT:NULL"), ""},

		// Order: NULL first ascending, last descending; ties by id ascending.
		{"order_default", o(""), allCustomers},
		{"order_company", o("company"), companyASC},
		{"order_company_ASC", o("company:ASC"), companyASC},
		{"order_company_DESC", o("company:DESC"), companyDESC},
		{"order_id_DESC", o("customer_id:DESC"), "plain contact_only bare2 acme_dup z bare umlaut_lower umlaut_upper pct acme_lower acme_upper acme_inc"},
		{"order_email_DESC_company", o("superuser_email:DESC,company:ASC"),
			"umlaut_lower z pct contact_only acme_inc acme_upper acme_dup bare bare2 plain acme_lower umlaut_upper"},
		{"order_ext_id_DESC", o("external_key:ASC,customer_id:DESC"),
			"bare2 acme_dup bare acme_lower acme_upper acme_inc contact_only umlaut_upper umlaut_lower pct plain z"},
		{"order_ext_DESC", o("external_key:DESC"),
			"z plain pct umlaut_lower umlaut_upper contact_only acme_inc acme_upper acme_lower bare acme_dup bare2"},
		{"order_with_where", coQuery{where: []string{"company:CONTAINS:acme"}, order: "company:DESC", limit: "500"},
			"acme_lower acme_dup acme_inc acme_upper"},

		// limit and offset.
		{"limit_default", coQuery{}, "acme_inc acme_upper acme_lower pct umlaut_upper umlaut_lower bare z acme_dup bare2"},
		{"limit", coQuery{limit: "3"}, "acme_inc acme_upper acme_lower"},
		{"limit_offset", coQuery{limit: "3", offset: "3"}, "pct umlaut_upper umlaut_lower"},
		{"offset_partial_page", coQuery{limit: "5", offset: "10"}, "contact_only plain"},
		{"offset_last", coQuery{limit: "5", offset: "11"}, "plain"},
		{"offset_at_end", coQuery{limit: "5", offset: "12"}, ""},
		{"offset_past_end", coQuery{offset: "100"}, ""},
		{"offset_max", coQuery{offset: "9223372036854775807"}, ""},
		{"order_DESC_page", coQuery{order: "company:DESC", limit: "4", offset: "2"}, "z acme_lower acme_dup plain"},
		{"order_ASC_page_in_nulls", coQuery{order: "company:ASC", limit: "2", offset: "1"}, "bare2 contact_only"},
		{"order_DESC_page_into_nulls", coQuery{order: "company:DESC", limit: "3", offset: "8"}, "pct bare bare2"},
		{"where_page", coQuery{where: []string{"company:ISNOT:NULL"}, order: "company:DESC", limit: "2", offset: "4"}, "acme_dup plain"},
	}
	if tok := qs.cust["pct"].Token; strings.ToUpper(tok) != tok {
		cases = append(cases, coCase{"token_EQUALS_other_case", w("token:EQUALS:{TOK:pct}"), ""})
	}
	customerResource.run(t, f, qs, cases)

	// Listed customers are complete: the same as a lookup by id.
	list, err := f.Store.QueryCustomers(f.Ctx, f.Test, qs.parse(t, query.Customer, o("")))
	noErr(t, "QueryCustomers", err)
	for _, c := range list {
		wantSame(t, "listed customer "+qs.name[c.ID], c, MustGetCustomer(t, f.Store, f.Test, c.ID))
	}
}

const allCards = "k_ACME k_Acme null_attach k_acme k_pct k_Apfel k_apfel null_store k_z null_attach_b"

func testQueryCards(t *testing.T, f *Fixture) {
	qs := newQuerySet(t, f)
	if got := strings.Join(qs.cardNames, " "); got != allCards {
		t.Fatalf("fixture cards %s, want %s", got, allCards)
	}
	nonNull := "k_ACME k_Acme k_acme k_pct k_Apfel k_apfel k_z"
	extASC := "null_attach null_store null_attach_b k_pct k_ACME k_Acme k_acme k_z k_Apfel k_apfel"
	extDESC := "k_apfel k_Apfel k_z k_acme k_Acme k_ACME k_pct null_attach null_store null_attach_b"
	cases := []coCase{
		{"no_where", w(), allCards},

		{"ext_EQUALS", w("external_key:EQUALS:ACME"), "k_ACME"},
		{"ext_EQUALS_lower", w("external_key:EQUALS:acme"), "k_acme"},
		{"ext_EQUALS_umlaut", w("external_key:EQUALS:Äpfel"), "k_Apfel"},
		{"ext_EQUALS_empty_never_null", w("external_key:EQUALS:"), ""},
		{"ext_NOTEQUALS", w("external_key:NOTEQUALS:acme"), "k_ACME k_Acme k_pct k_Apfel k_apfel k_z"},
		{"ext_IS_NULL_not_unattached", w("external_key:IS:NULL"), "null_attach null_store null_attach_b"},
		{"ext_ISNOT_NULL", w("external_key:ISNOT:NULL"), nonNull},
		{"ext_CONTAINS", w("external_key:CONTAINS:acme"), "k_ACME k_Acme k_acme"},
		{"ext_CONTAINS_upper", w("external_key:CONTAINS:ACM"), "k_ACME k_Acme k_acme"},
		{"ext_CONTAINS_non_ASCII_lower", w("external_key:CONTAINS:äPFEL"), "k_apfel"},
		{"ext_CONTAINS_non_ASCII_upper", w("external_key:CONTAINS:Äpfel"), "k_Apfel"},
		{"ext_CONTAINS_ASCII_part", w("external_key:CONTAINS:PFEL"), "k_Apfel k_apfel"},
		{"ext_CONTAINS_percent", w("external_key:CONTAINS:%"), "k_pct"},
		{"ext_CONTAINS_underscore", w("external_key:CONTAINS:_"), "k_pct"},
		{"ext_CONTAINS_percent_underscore", w("external_key:CONTAINS:0%_O"), "k_pct"},
		{"ext_CONTAINS_percent_not_wildcard", w("external_key:CONTAINS:5%f"), ""},
		{"ext_CONTAINS_underscore_not_wildcard", w("external_key:CONTAINS:ac_e"), ""},
		{"ext_CONTAINS_empty", w("external_key:CONTAINS:"), nonNull},
		{"ext_GT", w("external_key:GT:ACME"), "k_Acme k_acme k_Apfel k_apfel k_z"},
		{"ext_GTE", w("external_key:GTE:acme"), "k_acme k_Apfel k_apfel k_z"},
		{"ext_LT", w("external_key:LT:Acme"), "k_ACME k_pct"},
		{"ext_LTE", w("external_key:LTE:ACME"), "k_ACME k_pct"},
		{"ext_GT_z_non_ASCII_above", w("external_key:GT:z"), "k_Apfel k_apfel"},
		{"ext_LT_A_umlaut", w("external_key:LT:Ä"), "k_ACME k_Acme k_acme k_pct k_z"},
		{"ext_GT_A_umlaut_word", w("external_key:GT:Äpfel"), "k_apfel"},
		{"token_EQUALS", w("token:EQUALS:{tok:k_acme}"), "k_acme"},
		{"token_CONTAINS_upper", w("token:CONTAINS:{TOK:null_store}"), "null_store"},
		{"token_NOTEQUALS", w("token:NOTEQUALS:{tok:k_acme}"), "k_ACME k_Acme null_attach k_pct k_Apfel k_apfel null_store k_z null_attach_b"},
		{"token_IS_NULL", w("token:IS:NULL"), ""},
		{"token_ISNOT_NULL", w("token:ISNOT:NULL"), allCards},

		{"card_EQUALS", w("creditcard_id:EQUALS:{seq:k_pct}"), "k_pct"},
		{"card_NOTEQUALS", w("creditcard_id:NOTEQUALS:{seq:k_pct}"), "k_ACME k_Acme null_attach k_acme k_Apfel k_apfel null_store k_z null_attach_b"},
		{"card_GT", w("creditcard_id:GT:{seq:null_store}"), "k_z null_attach_b"},
		{"card_GTE", w("creditcard_id:GTE:{seq:null_store}"), "null_store k_z null_attach_b"},
		{"card_LT", w("creditcard_id:LT:{seq:k_acme}"), "k_ACME k_Acme null_attach"},
		{"card_LTE", w("creditcard_id:LTE:{seq:k_acme}"), "k_ACME k_Acme null_attach k_acme"},
		{"card_IS_NULL", w("creditcard_id:IS:NULL"), ""},
		{"card_ISNOT_NULL", w("creditcard_id:ISNOT:NULL"), allCards},
		{"card_EQUALS_live_card", w("creditcard_id:EQUALS:{seq:live_k_ACME}"), ""},
		{"card_LT_zero", w("creditcard_id:LT:0"), ""},
		{"customer_EQUALS", w("customer_id:EQUALS:{seq:acme_inc}"), "k_ACME k_Acme null_attach k_z"},
		{"customer_NOTEQUALS", w("customer_id:NOTEQUALS:{seq:acme_inc}"), "k_acme k_pct k_Apfel k_apfel null_store null_attach_b"},
		{"customer_GT", w("customer_id:GT:{seq:acme_upper}"), "k_Apfel k_apfel null_store"},
		{"customer_GTE", w("customer_id:GTE:{seq:acme_upper}"), "k_acme k_pct k_Apfel k_apfel null_store null_attach_b"},
		{"customer_LT", w("customer_id:LT:{seq:bare}"), "k_ACME k_Acme null_attach k_acme k_pct k_z null_attach_b"},
		{"customer_LTE", w("customer_id:LTE:{seq:acme_inc}"), "k_ACME k_Acme null_attach k_z"},
		{"customer_IS_NULL", w("customer_id:IS:NULL"), ""},
		{"customer_without_cards", w("customer_id:EQUALS:{seq:pct}"), ""},
		{"customer_of_live_mode", w("customer_id:EQUALS:{seq:live_acme_inc}"), ""},

		{"and_in_one_where", w("customer_id:EQUALS:{seq:acme_inc},external_key:ISNOT:NULL"), "k_ACME k_Acme k_z"},
		{"and_across_wheres", w("external_key:CONTAINS:acme", "customer_id:EQUALS:{seq:acme_upper}"), "k_acme"},
		{"and_contradiction", w("external_key:IS:NULL,external_key:CONTAINS:"), ""},

		{"order_default", o(""), allCards},
		{"order_ext_ASC", o("external_key:ASC"), extASC},
		{"order_ext_DESC", o("external_key:DESC"), extDESC},
		{"order_card_DESC", o("creditcard_id:DESC"), "null_attach_b k_z null_store k_apfel k_Apfel k_pct k_acme null_attach k_Acme k_ACME"},
		{"order_customer_DESC_ties", o("customer_id:DESC"), "k_Apfel k_apfel null_store k_acme k_pct null_attach_b k_ACME k_Acme null_attach k_z"},
		{"order_customer_ext_DESC", o("customer_id:ASC,external_key:DESC"), "k_z k_Acme k_ACME null_attach k_acme k_pct null_attach_b k_apfel k_Apfel null_store"},
		{"order_ext_DESC_card_DESC", o("external_key:DESC,creditcard_id:DESC"), "k_apfel k_Apfel k_z k_acme k_Acme k_ACME k_pct null_attach_b null_store null_attach"},

		{"limit_default", coQuery{}, allCards},
		{"limit", coQuery{limit: "4"}, "k_ACME k_Acme null_attach k_acme"},
		{"limit_offset", coQuery{limit: "4", offset: "4"}, "k_pct k_Apfel k_apfel null_store"},
		{"offset_partial_page", coQuery{limit: "4", offset: "8"}, "k_z null_attach_b"},
		{"offset_at_end", coQuery{limit: "4", offset: "10"}, ""},
		{"offset_past_end", coQuery{offset: "1000"}, ""},
		{"order_page_into_nulls", coQuery{order: "external_key:DESC", limit: "3", offset: "6"}, "k_pct null_attach null_store"},
		{"where_order_page", coQuery{where: []string{"external_key:ISNOT:NULL"}, order: "external_key:ASC", limit: "2", offset: "2"}, "k_Acme k_acme"},
	}
	if tok := qs.card["k_acme"].Token; strings.ToUpper(tok) != tok {
		cases = append(cases, coCase{"token_EQUALS_other_case", w("token:EQUALS:{TOK:k_acme}"), ""})
	}
	cardResource.run(t, f, qs, cases)

	// Listed cards are complete: the same as a lookup by id.
	list, err := f.Store.QueryCards(f.Ctx, f.Test, qs.parse(t, query.CreditCard, o("")))
	noErr(t, "QueryCards", err)
	for _, c := range list {
		wantSame(t, "listed card "+qs.name[c.ID], c, mustCardByRef(t, f, f.Test, cardvault.Ref{ID: c.ID}))
	}
}

func testQueryScopes(t *testing.T, f *Fixture) {
	qs := newQuerySet(t, f)
	for _, sc := range []struct {
		name string
		s    cardvault.Scope
	}{{"live", f.Live}, {"other", f.Other}} {
		t.Run(sc.name, func(t *testing.T) {
			want := qs.scopeCust[sc.name]
			customerResource.check(t, f, qs, sc.s, w(), want)
			customerResource.check(t, f, qs, sc.s, w("company:CONTAINS:acme"), filterNames(want, "acme"))
			customerResource.check(t, f, qs, sc.s, w("external_key:EQUALS:crm-1"), filterNames(want, "acme"))
			customerResource.check(t, f, qs, sc.s, w("customer_id:EQUALS:{seq:acme_inc}"), nil)
			wantCards := qs.scopeCard[sc.name]
			cardResource.check(t, f, qs, sc.s, w(), wantCards)
			cardResource.check(t, f, qs, sc.s, o("external_key:DESC"), wantCards)
			cardResource.check(t, f, qs, sc.s, w("external_key:CONTAINS:acme"), filterNames(wantCards, "k_"))
			cardResource.check(t, f, qs, sc.s, w("creditcard_id:EQUALS:{seq:k_ACME}"), nil)
			cardResource.check(t, f, qs, sc.s, w("customer_id:EQUALS:{seq:acme_inc}"), nil)
		})
	}
	unknown := cardvault.Scope{AccountID: "acct_0000000000000000000", Mode: cardvault.Test}
	customerResource.check(t, f, qs, unknown, w(), nil)
	cardResource.check(t, f, qs, unknown, w(), nil)
}

// testQueryNumericStrings checks that string fields holding digits compare
// as text, byte by byte, never as numbers, and that spaces are significant.
func testQueryNumericStrings(t *testing.T, f *Fixture) {
	qs := &querySet{cust: map[string]*cardvault.Customer{}, card: map[string]*cardvault.Card{}, name: map[string]string{}}
	// Byte order: " 9" < "010" < "10" < "1e3" < "9" < "9 ".
	for _, d := range []struct{ name, company, ext string }{
		{"c10", "10", "10"}, {"c9", "9", "9"}, {"c010", "010", "010"}, {"c1e3", "1e3", "1e3"},
		{"c_9", " 9", " 9"}, {"c9_", "9 ", "9 "},
	} {
		c := mustCOCustomer(t, f, f.Test, &cardvault.Customer{Description: d.company, ExternalKey: d.ext})
		qs.cust[d.name], qs.name[c.ID] = c, d.name
		card := mustStoreNew(t, f, f.Test, cardvault.Ref{Seq: c.Seq}, coCard{pan: Visa, ext: d.ext})
		qs.card["k"+d.name], qs.name[card.ID] = card, "k"+d.name
	}
	for _, tc := range []struct {
		name, where, order, want string
	}{
		{"EQUALS_not_numeric", "%s:EQUALS:10", "", "c10"},
		{"EQUALS_leading_zero", "%s:EQUALS:010", "", "c010"},
		{"EQUALS_trailing_space", "%s:EQUALS:9 ", "", "c9_"},
		{"GT", "%s:GT:9", "", "c9_"},
		{"GTE", "%s:GTE:9", "", "c9 c9_"},
		{"LT", "%s:LT:10", "", "c010 c_9"},
		{"LTE", "%s:LTE:10", "", "c10 c010 c_9"},
		{"GT_exponent", "%s:GT:1e2", "", "c9 c1e3 c9_"},
		{"CONTAINS_digit", "%s:CONTAINS:0", "", "c10 c010"},
		{"CONTAINS_E", "%s:CONTAINS:E", "", "c1e3"},
		{"order_ASC", "", "%s:ASC", "c_9 c010 c10 c1e3 c9 c9_"},
		{"order_DESC", "", "%s:DESC", "c9_ c9 c1e3 c10 c010 c_9"},
	} {
		for _, r := range []struct {
			res   resource
			field string
			pre   string
		}{{customerResource, "company", ""}, {customerResource, "external_key", ""}, {cardResource, "external_key", "k"}} {
			t.Run(r.res.what+"_"+r.field+"_"+tc.name, func(t *testing.T) {
				q := coQuery{limit: "500"}
				if tc.where != "" {
					q.where = []string{fmt.Sprintf(tc.where, r.field)}
				}
				if tc.order != "" {
					q.order = fmt.Sprintf(tc.order, r.field)
				}
				want := strings.Fields(tc.want)
				for i := range want {
					want[i] = r.pre + want[i]
				}
				r.res.check(t, f, qs, f.Test, q, want)
			})
		}
	}
}

// testQueryAfterDelete checks that deleted customers and cards leave every
// query and count.
func testQueryAfterDelete(t *testing.T, f *Fixture) {
	qs := &querySet{cust: map[string]*cardvault.Customer{}, card: map[string]*cardvault.Card{}, name: map[string]string{}}
	for _, n := range []string{"keep", "gone"} {
		c := mustCOCustomer(t, f, f.Test, &cardvault.Customer{Description: "acme " + n, ExternalKey: "crm-" + n})
		qs.cust[n], qs.name[c.ID] = c, n
		for i, pan := range []string{Visa, MasterCard} {
			name := fmt.Sprintf("%s_%d", n, i)
			card := mustStoreNew(t, f, f.Test, cardvault.Ref{Seq: c.Seq}, coCard{pan: pan, ext: "ck-" + name})
			qs.card[name], qs.name[card.ID] = card, name
		}
	}
	_, err := f.Store.DeleteCustomer(f.Ctx, f.Test, cardvault.Ref{Seq: qs.cust["gone"].Seq})
	noErr(t, "DeleteCustomer", err)
	_, err = f.Store.DeleteCard(f.Ctx, f.Test, "", cardvault.Ref{Seq: qs.card["keep_0"].Seq})
	noErr(t, "DeleteCard", err)
	customerResource.check(t, f, qs, f.Test, w(), []string{"keep"})
	customerResource.check(t, f, qs, f.Test, w("company:CONTAINS:acme"), []string{"keep"})
	customerResource.check(t, f, qs, f.Test, w("external_key:EQUALS:crm-gone"), nil)
	cardResource.check(t, f, qs, f.Test, w(), []string{"keep_1"})
	cardResource.check(t, f, qs, f.Test, w("external_key:CONTAINS:ck-"), []string{"keep_1"})
	cardResource.check(t, f, qs, f.Test, w("customer_id:EQUALS:{seq:gone}"), nil)
	cardResource.check(t, f, qs, f.Test, w("creditcard_id:EQUALS:{seq:keep_0}"), nil)
}

// filterNames returns the names that contain sub.
func filterNames(names []string, sub string) []string {
	var out []string
	for _, n := range names {
		if strings.Contains(n, sub) {
			out = append(out, n)
		}
	}
	return out
}

// modelRow is one test-mode object as the model sees it: its values as the
// suite created them, nil for unset strings.
type modelRow struct {
	id   string
	seq  int64
	ints map[string]int64
	strs map[string]*string
}

// nullable is nil for "" (unset), else a pointer to s.
func nullable(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

// lowerASCII lowers A–Z only.
func lowerASCII(s string) string {
	b := []byte(s)
	for i, c := range b {
		if 'A' <= c && c <= 'Z' {
			b[i] = c + 'a' - 'A'
		}
	}
	return string(b)
}

// modelMatch is API.md §3.6 for one condition.
func modelMatch(c query.Cond, r modelRow) bool {
	if c.Field.Type == query.Int {
		v := r.ints[c.Field.Name]
		switch c.Op {
		case query.IsNull:
			return false
		case query.IsNotNull:
			return true
		case query.Equals:
			return v == c.Int
		case query.NotEquals:
			return v != c.Int
		case query.GT:
			return v > c.Int
		case query.LT:
			return v < c.Int
		case query.GTE:
			return v >= c.Int
		case query.LTE:
			return v <= c.Int
		}
		panic("model: operator " + c.Op.String())
	}
	p := r.strs[c.Field.Name]
	switch {
	case c.Op == query.IsNull:
		return p == nil
	case c.Op == query.IsNotNull:
		return p != nil
	case p == nil:
		return false
	}
	v := *p
	switch c.Op {
	case query.Equals:
		return v == c.Str
	case query.NotEquals:
		return v != c.Str
	case query.GT:
		return v > c.Str
	case query.LT:
		return v < c.Str
	case query.GTE:
		return v >= c.Str
	case query.LTE:
		return v <= c.Str
	case query.Contains:
		return strings.Contains(lowerASCII(v), lowerASCII(c.Str))
	}
	panic("model: operator " + c.Op.String())
}

// modelCompare orders a and b by one key: NULL first ascending, last descending.
func modelCompare(k query.OrderKey, a, b modelRow) int {
	var c int
	if k.Field.Type == query.Int {
		c = cmpInt(a.ints[k.Field.Name], b.ints[k.Field.Name])
	} else {
		pa, pb := a.strs[k.Field.Name], b.strs[k.Field.Name]
		switch {
		case pa == nil && pb == nil:
			c = 0
		case pa == nil:
			c = -1
		case pb == nil:
			c = 1
		default:
			c = strings.Compare(*pa, *pb)
		}
	}
	if k.Desc {
		return -c
	}
	return c
}

func cmpInt(a, b int64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// modelQuery answers q over rows: filter, order (ties by id ascending), page.
func modelQuery(rows []modelRow, q query.Query) (page []string, total int) {
	var hit []modelRow
	for _, r := range rows {
		ok := true
		for _, c := range q.Where {
			ok = ok && modelMatch(c, r)
		}
		if ok {
			hit = append(hit, r)
		}
	}
	sort.SliceStable(hit, func(i, j int) bool {
		for _, k := range q.Order {
			if c := modelCompare(k, hit[i], hit[j]); c != 0 {
				return c < 0
			}
		}
		return hit[i].seq < hit[j].seq
	})
	lo := min(q.Offset, int64(len(hit)))
	hi := min(lo+int64(q.Limit), int64(len(hit)))
	for _, r := range hit[lo:hi] {
		page = append(page, r.id)
	}
	return page, len(hit)
}

// modelRows returns the model of the test-mode customers and cards.
func (qs *querySet) modelRows() (customers, cards []modelRow) {
	spec := map[string]int{}
	for i, d := range queryCustomers {
		spec[d.name] = i
	}
	for _, n := range qs.custNames {
		c, d := qs.cust[n], queryCustomers[spec[n]]
		customers = append(customers, modelRow{id: c.ID, seq: c.Seq,
			ints: map[string]int64{"customer_id": c.Seq},
			strs: map[string]*string{"external_key": nullable(d.externalKey), "token": &c.Token,
				"company": nullable(d.company), "superuser_email": nullable(d.email)}})
	}
	cardSpec := map[string]int{}
	for i, d := range queryCards {
		cardSpec[d.name] = i
	}
	for _, n := range qs.cardNames {
		c, d := qs.card[n], queryCards[cardSpec[n]]
		cards = append(cards, modelRow{id: c.ID, seq: c.Seq,
			ints: map[string]int64{"creditcard_id": c.Seq, "customer_id": qs.cust[d.customer].Seq},
			strs: map[string]*string{"external_key": nullable(d.externalKey), "token": &c.Token}})
	}
	return customers, cards
}

// modelProbes returns the where conditions the model sweep tries on field:
// IS and ISNOT NULL; for integers, every operator at the edges and in the
// middle of the fixture's values; for strings, EQUALS and NOTEQUALS with
// every value the field holds (for tokens, one of them), the four
// comparisons with those values and with "", "Z" (between upper and lower
// case) and "Ä" (above ASCII), and CONTAINS with a part of each value in
// another case and with "", "%", "_", "Ä", "ä".
func modelProbes(rows []modelRow, fd query.Field) []string {
	out := []string{fd.Name + ":IS:NULL", fd.Name + ":ISNOT:NULL"}
	add := func(ops []string, vals []string) {
		seen := map[string]bool{}
		for _, v := range vals {
			if seen[v] {
				continue
			}
			seen[v] = true
			for _, op := range ops {
				out = append(out, fd.Name+":"+op+":"+query.Escape(v))
			}
		}
	}
	if fd.Type == query.Int {
		lo, hi := rows[0].ints[fd.Name], rows[0].ints[fd.Name]
		for _, r := range rows {
			lo, hi = min(lo, r.ints[fd.Name]), max(hi, r.ints[fd.Name])
		}
		var vals []string
		for _, v := range []int64{-1, 0, lo - 1, lo, rows[len(rows)/2].ints[fd.Name], hi, hi + 1, 1 << 40} {
			vals = append(vals, strconv.FormatInt(v, 10))
		}
		add([]string{"EQUALS", "NOTEQUALS", "GT", "LT", "GTE", "LTE"}, vals)
		return out
	}
	var held, parts []string
	for _, r := range rows {
		if p := r.strs[fd.Name]; p != nil && (fd.Name != "token" || len(held) < 1) {
			held = append(held, *p)
			rs := []rune(*p)
			part := string(rs[len(rs)/3 : len(rs)-len(rs)/3])
			parts = append(parts, strings.ToUpper(part), lowerASCII(*p))
		}
	}
	add([]string{"EQUALS", "NOTEQUALS"}, append(held, ""))
	add([]string{"GT", "LT", "GTE", "LTE"}, append(held, "", "Z", "Ä"))
	add([]string{"CONTAINS"}, append(parts, "", "%", "_", "Ä", "ä"))
	return out
}

// testQueryModel compares the store with a model of §3.6: every operator on
// every field over values from the fixture and edge values, every order of
// one key and of two keys in opposite directions, and paging.
func testQueryModel(t *testing.T, f *Fixture) {
	qs := newQuerySet(t, f)
	custRows, cardRows := qs.modelRows()
	for _, m := range []struct {
		r    resource
		rows []modelRow
	}{{customerResource, custRows}, {cardResource, cardRows}} {
		t.Run(m.r.what, func(t *testing.T) {
			var wheres, orders []string
			for _, a := range m.r.schema.Fields {
				wheres = append(wheres, modelProbes(m.rows, a)...)
				orders = append(orders, a.Name+":ASC", a.Name+":DESC")
				for _, b := range m.r.schema.Fields {
					if b.Name != a.Name {
						orders = append(orders, a.Name+":ASC,"+b.Name+":DESC", a.Name+":DESC,"+b.Name+":ASC")
					}
				}
			}
			var bad int
			probe := func(q coQuery) {
				if bad >= 10 {
					return
				}
				pq := qs.parse(t, m.r.schema, q)
				want, total := modelQuery(m.rows, pq)
				got, err := m.r.list(f, f.Test, pq)
				noErr(t, "Query"+m.r.what, err)
				if fmt.Sprint(got) != fmt.Sprint(want) {
					bad++
					t.Errorf("Query%s(where %q, order %q, limit %s, offset %s):\n got  %v\n want %v",
						m.r.what, q.where, q.order, q.limit, q.offset, qs.names(got), qs.names(want))
				}
				if len(q.where) > 0 {
					n, err := m.r.count(f, f.Test, pq.Where)
					noErr(t, "Count"+m.r.what, err)
					if n != total {
						bad++
						t.Errorf("Count%s(%q) = %d, want %d", m.r.what, q.where, n, total)
					}
				}
			}
			for _, wh := range wheres {
				probe(w(wh))
			}
			for _, ord := range orders {
				probe(o(ord))
			}
			for _, ord := range []string{"", "external_key:DESC", "token:ASC"} {
				for off := 0; off <= len(m.rows)+1; off++ {
					probe(coQuery{order: ord, limit: "3", offset: strconv.Itoa(off)})
				}
			}
			t.Logf("%d where values and %d orders checked against the model", len(wheres), len(orders))
		})
	}
}
