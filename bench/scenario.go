package main

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"net/url"
	"strconv"
	"sync"
	"time"
)

// Preload and pool sizes.
const (
	cardsPerCustomer  = 10   // preloaded cards per customer (issue 9: N cards over N/10 customers)
	readTargets       = 1000 // customers and tokens the read scenarios cycle over
	cardCustomers     = 64   // customers card_create spreads its cards over
	minCardsForReads  = cardsPerCustomer
	tokenPoolHeadroom = 1.2 // single-use tokens pre-made for customer_attach, × the expected need
	// setupConcurrency is the least number of connections untimed setup
	// (preloading, pools) uses: more writes share each commit. cardvault
	// decodes at most 32 bodies at once.
	setupConcurrency = 32
)

// tokenForm is the card form of every POST /tokens, the same on every
// request (as wrk sends it): one Luhn-valid Visa number drawn from a fixed
// seed, so no card number is written in the program.
var tokenForm = []byte(url.Values{"card[name]": {"JOHN DOE"}, "card[number]": {randomPAN(rand.New(rand.NewPCG(1, 2)))},
	"card[expiration_month]": {"12"}, "card[expiration_year]": {"2030"}, "card[security_code]": {"123"}}.Encode())

const formType = "application/x-www-form-urlencoded"

// customer is a preloaded customer by its two ids.
type customer struct {
	omise string
	co    int64
}

// env is what scenarios share: the server, its keys, and what setup made.
type env struct {
	load                      // the round shape; addr is the cardvault server
	public, secret, co string // Authorization header values: Omise public, Omise secret, ChargeOver pair
	tokens             tokenPool
	customers          []customer // preloaded, cardsPerCustomer cards each
	cardCustomers      []int64    // ChargeOver ids of card_create's customers
	tokenCreateRPS     float64    // token_create's rate in this run, if it ran
	preload            *preloadResult
	cards              int // --cards
}

func newEnv(l load, k keyPair, cards int) *env {
	basic := func(user, pass string) string {
		return "Basic " + base64.StdEncoding.EncodeToString([]byte(user+":"+pass))
	}
	return &env{load: l, public: basic(k.PublicKey, ""), secret: basic(k.SecretKey, ""),
		co: basic(k.PublicKey, k.SecretKey), cards: cards}
}

func (e *env) req(method, path, auth, ctype string, body []byte) []byte {
	return rawRequest(method, path, e.addr, auth, ctype, body)
}

// scenario is one measured workload against cardvault.
type scenario struct {
	name   string
	what   string                                  // the request, for the docs and -help
	setup  func(ctx context.Context, e *env) error // untimed, before the round
	source func(e *env, w int) source
	answer func(e *env) func(body []byte) // sees every 2xx body; may be nil
}

// scenarios are every scenario, in the order a full run measures them.
var scenarios = []scenario{
	{name: "token_create", what: "POST /tokens, public key, the same valid card form",
		source: func(e *env, _ int) source {
			raw := e.req("POST", "/tokens", e.public, formType, tokenForm)
			return func() ([]byte, bool) { return raw, true }
		},
		answer: func(e *env) func([]byte) { return e.tokens.add }},
	{name: "customer_attach", what: "POST /customers card=<a fresh token> (tokens made before the window)",
		setup: fillTokenPool,
		source: func(e *env, _ int) source {
			return func() ([]byte, bool) {
				tok, ok := e.tokens.take()
				if !ok {
					return nil, false
				}
				return e.req("POST", "/customers", e.secret, formType, []byte("email=bench%40example.com&card="+tok)), true
			}
		}},
	{name: "card_create", what: "ChargeOver POST /api/v3/creditcard, a fresh random valid card number each",
		setup: makeCardCustomers,
		source: func(e *env, w int) source {
			r := rand.New(rand.NewPCG(uint64(w), uint64(time.Now().UnixNano())))
			i := w
			return func() ([]byte, bool) {
				i++
				cust := e.cardCustomers[i%len(e.cardCustomers)]
				return e.req("POST", "/api/v3/creditcard", e.co, "application/json", cardBody(cust, r)), true
			}
		}},
	{name: "token_get", what: "GET /tokens/{id}, public key, over up to 1000 tokens",
		setup: fillTokenSeen,
		source: func(e *env, w int) source {
			ids := e.tokens.seenIDs()
			return cycle(w, len(ids), func(i int) []byte { return e.req("GET", "/tokens/"+ids[i], e.public, "", nil) })
		}},
	{name: "card_list", what: "GET /customers/{id}/cards, 10 cards each, over up to 1000 customers",
		setup: needCustomers,
		source: func(e *env, w int) source {
			return cycle(w, min(len(e.customers), readTargets), func(i int) []byte {
				return e.req("GET", "/customers/"+e.customers[spread(i, len(e.customers))].omise+"/cards", e.secret, "", nil)
			})
		}},
	{name: "chargeover_query", what: "GET /api/v3/creditcard?where=customer_id:EQUALS:N&order=creditcard_id:DESC&limit=10",
		setup: needCustomers,
		source: func(e *env, w int) source {
			return cycle(w, min(len(e.customers), readTargets), func(i int) []byte {
				n := e.customers[spread(i, len(e.customers))].co
				return e.req("GET", "/api/v3/creditcard?where=customer_id:EQUALS:"+strconv.FormatInt(n, 10)+
					"&order=creditcard_id:DESC&limit=10", e.co, "", nil)
			})
		}},
	{name: "chargeover_count", what: "GET /api/v3/creditcard/_count (no filter: every card of the mode)",
		source: func(e *env, _ int) source {
			raw := e.req("GET", "/api/v3/creditcard/_count", e.co, "", nil)
			return func() ([]byte, bool) { return raw, true }
		}},
}

// ceilingName is the name of the ceiling scenario.
const ceilingName = "ceiling"

// ceilingSource sends the token_create request to the ceiling server.
func ceilingSource(addr string, e *env) func(int) source {
	raw := rawRequest("POST", "/tokens", addr, e.public, formType, tokenForm)
	return func(int) source { return func() ([]byte, bool) { return raw, true } }
}

// cycle returns a source that sends the n prepared requests round-robin,
// each worker starting elsewhere.
func cycle(w, n int, mk func(i int) []byte) source {
	raws := make([][]byte, n)
	for i := range raws {
		raws[i] = mk(i)
	}
	i := w
	return func() ([]byte, bool) {
		i++
		return raws[i%n], true
	}
}

// spread maps i < readTargets onto n items evenly.
func spread(i, n int) int {
	if n <= readTargets {
		return i
	}
	return i * (n / readTargets)
}

// cardBody is a ChargeOver card for customer cust with a random valid Visa
// number.
func cardBody(cust int64, r *rand.Rand) []byte {
	return fmt.Appendf(nil, `{"customer_id":%d,"number":"%s","expdate_year":2030,"expdate_month":"%d","cvv":"123","name":"BENCH"}`,
		cust, randomPAN(r), 1+r.IntN(12))
}

// randomPAN returns a random 16-digit Visa number with a valid Luhn digit.
func randomPAN(r *rand.Rand) string {
	var d [16]byte
	d[0] = '4'
	for i := 1; i < 15; i++ {
		d[i] = '0' + byte(r.IntN(10))
	}
	d[15] = luhnDigit(d[:15])
	return string(d[:])
}

// luhnDigit is the check digit that makes payload+digit pass Luhn.
func luhnDigit(payload []byte) byte {
	sum := 0
	for i, double := len(payload)-1, true; i >= 0; i, double = i-1, !double {
		n := int(payload[i] - '0')
		if double {
			if n *= 2; n > 9 {
				n -= 9
			}
		}
		sum += n
	}
	return '0' + byte((10-sum%10)%10)
}

// tokenPool holds the ids of tokens made by token_create (or by setup):
// unused ones for customer_attach, and the first readTargets for token_get.
type tokenPool struct {
	mu     sync.Mutex
	unused []string
	seen   []string
}

// add takes a token's id from its JSON: the first "id" of the object.
func (p *tokenPool) add(body []byte) {
	id := firstID(body)
	if id == "" {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.unused = append(p.unused, id)
	if len(p.seen) < readTargets {
		p.seen = append(p.seen, id)
	}
}

func (p *tokenPool) take() (string, bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	n := len(p.unused)
	if n == 0 {
		return "", false
	}
	id := p.unused[n-1]
	p.unused = p.unused[:n-1]
	return id, true
}

func (p *tokenPool) available() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return len(p.unused)
}

func (p *tokenPool) seenIDs() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.seen
}

// firstID returns the value of the first "id" string in a JSON object.
func firstID(body []byte) string {
	const key = `"id":"`
	i := bytes.Index(body, []byte(key))
	if i < 0 {
		return ""
	}
	rest := body[i+len(key):]
	j := bytes.IndexByte(rest, '"')
	if j < 0 {
		return ""
	}
	return string(rest[:j])
}

// makeTokens makes n tokens into the pool, untimed.
func (e *env) makeTokens(ctx context.Context, n int) error {
	raw := e.req("POST", "/tokens", e.public, formType, tokenForm)
	_, err := runCount(ctx, e.addr, max(e.concurrency, setupConcurrency), n, func(int) []byte { return raw },
		func(_ int, body []byte) error { e.tokens.add(body); return nil })
	if err != nil {
		return fmt.Errorf("making tokens: %w", err)
	}
	return nil
}

// fillTokenPool makes sure customer_attach will not run out of tokens: as
// many as the timetable needs, or as token_create made in as long a round,
// with headroom; without token_create's rate, it makes tokens for a
// round's length.
func fillTokenPool(ctx context.Context, e *env) error {
	span := (e.warmup + e.duration).Seconds()
	var need int
	switch {
	case e.rate > 0:
		need = int(math.Ceil(e.rate*span*tokenPoolHeadroom)) + e.concurrency
	case e.tokenCreateRPS > 0:
		need = int(math.Ceil(e.tokenCreateRPS*span*tokenPoolHeadroom)) + e.concurrency
	default:
		raw := e.req("POST", "/tokens", e.public, formType, tokenForm)
		fill := load{addr: e.addr, concurrency: e.concurrency, duration: time.Duration(float64(e.warmup+e.duration) * tokenPoolHeadroom)}
		_, err := fill.run(ctx, func(int) source { return func() ([]byte, bool) { return raw, true } },
			hooks{answer: e.tokens.add}, func() time.Duration { return 0 })
		return err
	}
	if have := e.tokens.available(); have < need {
		return e.makeTokens(ctx, need-have)
	}
	return nil
}

// fillTokenSeen makes tokens for token_get if no scenario made any.
func fillTokenSeen(ctx context.Context, e *env) error {
	if n := len(e.tokens.seenIDs()); n < readTargets {
		return e.makeTokens(ctx, readTargets-n)
	}
	return nil
}

// needCustomers checks that the preload made customers with cards.
func needCustomers(_ context.Context, e *env) error {
	if len(e.customers) == 0 {
		return fmt.Errorf("--cards %d: card_list and chargeover_query need at least %d preloaded cards", e.cards, minCardsForReads)
	}
	return nil
}

// omiseCustomer is what setup reads of an Omise customer.
type omiseCustomer struct {
	ID           string `json:"id"`
	ChargeoverID int64  `json:"chargeover_id"`
}

// makeCustomers creates n customers through the Omise dialect, untimed.
func (e *env) makeCustomers(ctx context.Context, n int) ([]customer, error) {
	out := make([]customer, n)
	_, err := runCount(ctx, e.addr, max(e.concurrency, setupConcurrency), n, func(i int) []byte {
		return e.req("POST", "/customers", e.secret, formType, fmt.Appendf(nil, "email=bench%d%%40example.com&description=bench", i))
	}, func(i int, body []byte) error {
		var c omiseCustomer
		if err := json.Unmarshal(body, &c); err != nil || c.ID == "" || c.ChargeoverID == 0 {
			return errors.New("POST /customers: unexpected answer")
		}
		out[i] = customer{c.ID, c.ChargeoverID}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("making customers: %w", err)
	}
	return out, nil
}

// makeCardCustomers creates card_create's customers.
func makeCardCustomers(ctx context.Context, e *env) error {
	if len(e.cardCustomers) > 0 {
		return nil
	}
	cs, err := e.makeCustomers(ctx, cardCustomers)
	for _, c := range cs {
		e.cardCustomers = append(e.cardCustomers, c.co)
	}
	return err
}

// preloadResult is how the store was filled before the rounds.
type preloadResult struct {
	Cards       int     `json:"cards"`
	Customers   int     `json:"customers"`
	Seconds     float64 `json:"seconds"`
	CardsPerSec float64 `json:"cards_per_second"`
	Path        string  `json:"path"`
}

// preloadCards stores e.cards cards over e.cards/10 customers through
// ChargeOver POST /api/v3/creditcard at the round concurrency. It is the
// slow path: the store has no bulk load yet.
func preloadCards(ctx context.Context, e *env) error {
	if e.cards < minCardsForReads {
		return nil
	}
	cs, err := e.makeCustomers(ctx, e.cards/cardsPerCustomer)
	if err != nil {
		return err
	}
	r := rand.New(rand.NewPCG(1, uint64(time.Now().UnixNano())))
	var mu sync.Mutex
	n := len(cs) * cardsPerCustomer
	took, err := runCount(ctx, e.addr, max(e.concurrency, setupConcurrency), n, func(i int) []byte {
		mu.Lock()
		pan := cardBody(cs[i/cardsPerCustomer].co, r)
		mu.Unlock()
		return e.req("POST", "/api/v3/creditcard", e.co, "application/json", pan)
	}, nil)
	if err != nil {
		return fmt.Errorf("preloading cards: %w", err)
	}
	e.customers = cs
	e.preload = &preloadResult{Cards: n, Customers: len(cs), Seconds: took.Seconds(),
		CardsPerSec: float64(n) / took.Seconds(), Path: "ChargeOver POST /api/v3/creditcard (no bulk store path yet)"}
	return nil
}
