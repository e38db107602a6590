package storetest

import (
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/cardvault/cardvault"
)

// ListCustomersWithCards (GET /customers): the page, its total and every
// customer's card page read together.
var listTests = []subtest{
	{"CustomersWithCardsAgree", testListWithCardsAgree},
	{"CustomersWithCardsSnapshot", testListWithCardsSnapshot},
}

// testListWithCardsAgree: for every page of customers and of cards, the
// combined read returns what ListCustomers and ListCards return one by one.
func testListWithCardsAgree(t *testing.T, f *Fixture) {
	pans := []string{Visa, MasterCard, Amex, JCB, Discover, Visa2}
	for i, n := range []int{0, 1, 3, 5, 2} { // cards per customer
		f.Clock.Set(Epoch.Add(time.Duration(i) * time.Hour))
		x := MustCustomer(t, f.Vault, f.Test, "")
		for j := range n {
			f.Clock.Advance(time.Duration(j+1) * time.Second)
			MustStoredToken(t, f.Vault, f.Test, x.ID, pans[j%len(pans)])
		}
	}
	// Neighbours in other scopes, which no list of f.Test may show.
	for _, s := range []cardvault.Scope{f.Live, f.Other} {
		MustCustomer(t, f.Vault, s, MustToken(t, f.Vault, s, Visa).ID)
	}
	all := allWindow(100)
	early := all
	early.To = Epoch.Add(3*time.Hour + 2*time.Second) // customer 3 with its first 1 cards only
	for _, p := range []cardvault.ListParams{all, listPage(all, 2, 1, false), listPage(all, 2, 3, true), listPage(all, 10, 9, false), early} {
		for _, cp := range []cardvault.ListParams{all, listPage(all, 2, 0, false), listPage(all, 2, 1, true), listPage(all, 1, 10, false), early} {
			name := fmt.Sprintf("customers %d+%d rev %t to %s, cards %d+%d rev %t to %s", p.Offset, p.Limit, p.Reverse,
				p.To.Format(time.TimeOnly), cp.Offset, cp.Limit, cp.Reverse, cp.To.Format(time.TimeOnly))
			got, total, err := f.Store.ListCustomersWithCards(f.Ctx, f.Test, p, cp)
			noErr(t, "ListCustomersWithCards "+name, err)
			cs, wantTotal, err := f.Store.ListCustomers(f.Ctx, f.Test, p)
			noErr(t, "ListCustomers", err)
			if total != wantTotal || len(got) != len(cs) {
				t.Errorf("ListCustomersWithCards %s: %d customers of %d; ListCustomers: %d of %d", name, len(got), total, len(cs), wantTotal)
				continue
			}
			for i, c := range cs {
				wantSame(t, "customer "+name, got[i].Customer, c)
				cards, n, err := f.Store.ListCards(f.Ctx, f.Test, c.ID, cp)
				noErr(t, "ListCards", err)
				if got[i].Total != n {
					t.Errorf("ListCustomersWithCards %s: customer %d has %d cards, ListCards says %d", name, i, got[i].Total, n)
				}
				wantIDs(t, "cards of customer "+c.ID+" "+name, cardIDs(got[i].Cards), cardIDs(cards))
				for j := range min(len(cards), len(got[i].Cards)) {
					wantSame(t, "card "+name, got[i].Cards[j], cards[j])
				}
			}
		}
	}
	got, total, err := f.Store.ListCustomersWithCards(f.Ctx, f.Live, all, all)
	noErr(t, "ListCustomersWithCards(live)", err)
	if total != 1 || len(got) != 1 || len(got[0].Cards) != 1 || got[0].Cards[0].Mode != cardvault.Live {
		t.Errorf("ListCustomersWithCards(live): %d customers of %d, want the live customer and its card", len(got), total)
	}
}

func listPage(p cardvault.ListParams, limit, offset int, reverse bool) cardvault.ListParams {
	p.Limit, p.Offset, p.Reverse = limit, offset, reverse
	return p
}

// testListWithCardsSnapshot reads while customers and cards are being
// added: with every object on one page, a total that disagrees with the page
// means the two were read from different states of the store.
func testListWithCardsSnapshot(t *testing.T, f *Fixture) {
	const writes = 30
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() {
		defer close(done)
		for range writes {
			tok, err := f.Vault.CreateToken(f.Ctx, f.Test, CardInput(Visa, "123"), cardvault.Address{}, "192.0.2.1")
			if err != nil {
				t.Errorf("CreateToken: %v", err)
				return
			}
			x := &cardvault.Customer{}
			if err := f.Vault.CreateCustomer(f.Ctx, f.Test, x, tok.ID); err != nil {
				t.Errorf("CreateCustomer: %v", err)
				return
			}
			tok, err = f.Vault.CreateToken(f.Ctx, f.Test, CardInput(MasterCard, "123"), cardvault.Address{}, "192.0.2.1")
			if err == nil {
				err = f.Vault.UpdateCustomer(f.Ctx, f.Test, x.ID, cardvault.CustomerUpdate{Attach: f.Vault.Attach(tok.ID)})
			}
			if err != nil {
				t.Errorf("attach a second card: %v", err)
				return
			}
		}
	})
	all := allWindow(100)
	for reads := 0; ; reads++ {
		select {
		case <-done:
			wg.Wait()
			return
		default:
		}
		got, total, err := f.Store.ListCustomersWithCards(f.Ctx, f.Test, all, all)
		noErr(t, "ListCustomersWithCards", err)
		if total != len(got) {
			<-done
			t.Fatalf("read %d: total %d, page of %d customers", reads, total, len(got))
		}
		for _, cc := range got {
			if cc.Total != len(cc.Cards) {
				<-done
				t.Fatalf("read %d: a customer's card total %d, page of %d cards", reads, cc.Total, len(cc.Cards))
			}
		}
		cs, n, err := f.Store.ListCustomers(f.Ctx, f.Test, all)
		noErr(t, "ListCustomers", err)
		if n != len(cs) {
			<-done
			t.Fatalf("read %d: ListCustomers total %d, page of %d customers", reads, n, len(cs))
		}
	}
}
