package storetest

import (
	"sync"
	"testing"

	"github.com/cardvault/cardvault"
)

var concurrencyTests = []subtest{
	{"OneTokenManyAttaches", testConcurrentSameToken},
	{"ManyTokensOneCustomer", testConcurrentManyTokens},
}

// race runs fn(i) for i in [0, n) in n goroutines released together and
// returns their errors.
func race(n int, fn func(i int) error) []error {
	errs := make([]error, n)
	start := make(chan struct{})
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			<-start
			errs[i] = fn(i)
		})
	}
	close(start)
	wg.Wait()
	return errs
}

func testConcurrentSameToken(t *testing.T, f *Fixture) {
	const n = 20
	c := MustCustomer(t, f.Vault, f.Test, "")
	tok := MustToken(t, f.Vault, f.Test, Visa)
	att, now := f.Vault.Attach(tok.ID), f.Clock.Now()
	errs := race(n, func(int) error {
		return f.Store.UpdateCustomer(f.Ctx, f.Test, c.ID, cardvault.CustomerUpdate{Attach: att, Now: now})
	})
	var ok, used int
	for i, err := range errs {
		switch cardvault.ErrorCode(err) {
		case "":
			ok++
		case cardvault.EUsedToken:
			used++
		default:
			t.Errorf("attach %d: unexpected error %v", i, err)
		}
	}
	if ok != 1 || used != n-1 {
		t.Errorf("%d concurrent attaches of one token: %d succeeded, %d EUsedToken; want 1 and %d", n, ok, used, n-1)
	}
	wantCardsOf(t, f, c.ID, tok.Card.ID)
	if got := MustGetCustomer(t, f.Store, f.Test, c.ID); got.DefaultCard != tok.Card.ID {
		t.Errorf("DefaultCard = %q, want %q", got.DefaultCard, tok.Card.ID)
	}
}

func testConcurrentManyTokens(t *testing.T, f *Fixture) {
	const n = 8
	c := MustCustomer(t, f.Vault, f.Test, "")
	toks := make([]*cardvault.Token, n)
	for i := range toks {
		toks[i] = MustToken(t, f.Vault, f.Test, Visa)
	}
	now := f.Clock.Now()
	errs := race(n, func(i int) error {
		return f.Store.UpdateCustomer(f.Ctx, f.Test, c.ID, cardvault.CustomerUpdate{Attach: f.Vault.Attach(toks[i].ID), Now: now})
	})
	for i, err := range errs {
		if err != nil {
			t.Errorf("attach %d: %v", i, err)
		}
	}
	cards, total, err := f.Store.ListCards(f.Ctx, f.Test, c.ID, allWindow(100))
	noErr(t, "ListCards", err)
	seqs := map[int64]bool{}
	var first *cardvault.Card
	for _, cd := range cards {
		if cd.Seq <= 0 || seqs[cd.Seq] {
			t.Errorf("card %s: Seq %d is not positive or not unique", cd.ID, cd.Seq)
		}
		seqs[cd.Seq] = true
		if first == nil || cd.Seq < first.Seq {
			first = cd
		}
	}
	if total != n || len(cards) != n {
		t.Fatalf("ListCards: %d cards, total %d; want %d", len(cards), total, n)
	}
	if def := MustGetCustomer(t, f.Store, f.Test, c.ID).DefaultCard; def != first.ID {
		t.Errorf("DefaultCard = %q, want the first stored card %q (Seq %d)", def, first.ID, first.Seq)
	}
}
