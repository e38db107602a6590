package storetest

import (
	"testing"
	"time"

	"github.com/cardvault/cardvault"
)

var seqTests = []subtest{
	{"CustomersAscend", testCustomerSeq},
	{"CardsAscendInAttachOrder", testCardSeq},
}

func testCustomerSeq(t *testing.T, f *Fixture) {
	var seqs []int64
	var ids []string
	for range 3 {
		f.Clock.Advance(time.Second)
		c := MustCustomer(t, f.Vault, f.Test, "")
		seqs, ids = append(seqs, c.Seq), append(ids, c.ID)
	}
	// Other modes and accounts share the integer id space (API.md §1.4).
	seqs = append(seqs, MustCustomer(t, f.Vault, f.Live, "").Seq, MustCustomer(t, f.Vault, f.Other, "").Seq)
	wantAscending(t, "customer Seq in creation order", seqs)
	for i, id := range ids {
		if got := MustGetCustomer(t, f.Store, f.Test, id).Seq; got != seqs[i] {
			t.Errorf("Customer(%s).Seq = %d, want %d as returned by CreateCustomer", id, got, seqs[i])
		}
	}

	highest := seqs[len(seqs)-1]
	_, err := f.Store.DeleteCustomer(f.Ctx, f.Other, cardvault.Ref{Seq: highest})
	noErr(t, "DeleteCustomer(highest)", err)
	_, err = f.Store.DeleteCustomer(f.Ctx, f.Test, cardvault.Ref{ID: ids[2]})
	noErr(t, "DeleteCustomer", err)
	next := MustCustomer(t, f.Vault, f.Test, "")
	if next.Seq <= highest {
		t.Errorf("customer created after deleting Seq %d got Seq %d, want > %d (ids are never reused)", highest, next.Seq, highest)
	}
}

func testCardSeq(t *testing.T, f *Fixture) {
	x := MustCustomer(t, f.Vault, f.Test, "")
	y := MustCustomer(t, f.Vault, f.Test, "")
	var toks []*cardvault.Token
	for _, pan := range []string{Visa, MasterCard, Amex, JCB} {
		f.Clock.Advance(time.Second)
		toks = append(toks, MustToken(t, f.Vault, f.Test, pan))
	}
	// Attach in an order unlike tokenization: Seq follows the attach.
	var seqs []int64
	for _, a := range []struct {
		cust *cardvault.Customer
		tok  int
	}{{x, 2}, {y, 0}, {x, 3}, {y, 1}} {
		c := MustAttach(t, f.Vault, f.Test, a.cust.ID, toks[a.tok].ID)
		if c.CustomerSeq != a.cust.Seq {
			t.Errorf("card %s: CustomerSeq = %d, want %d", c.ID, c.CustomerSeq, a.cust.Seq)
		}
		seqs = append(seqs, c.Seq)
	}
	seqs = append(seqs, MustStoredToken(t, f.Vault, f.Live, MustCustomer(t, f.Vault, f.Live, "").ID, Visa).Seq)
	wantAscending(t, "card Seq in attach order", seqs)

	highest := seqs[len(seqs)-1]
	_, err := f.Store.DeleteCard(f.Ctx, f.Live, "", cardvault.Ref{Seq: highest})
	noErr(t, "DeleteCard(highest Seq)", err)
	next := MustStoredToken(t, f.Vault, f.Test, y.ID, Discover)
	if next.Seq <= highest {
		t.Errorf("card stored after deleting Seq %d got Seq %d, want > %d (ids are never reused)", highest, next.Seq, highest)
	}

	_, err = f.Store.DeleteCustomer(f.Ctx, f.Test, cardvault.Ref{ID: y.ID})
	noErr(t, "DeleteCustomer(y)", err)
	last := MustStoredToken(t, f.Vault, f.Test, x.ID, Visa2)
	if last.Seq <= next.Seq {
		t.Errorf("card stored after deleting a customer with Seq %d got Seq %d, want > %d", next.Seq, last.Seq, next.Seq)
	}
}

func wantAscending(t *testing.T, what string, seqs []int64) {
	t.Helper()
	for i := range seqs {
		if seqs[i] <= 0 || (i > 0 && seqs[i] <= seqs[i-1]) {
			t.Errorf("%s: %v is not strictly ascending and positive", what, seqs)
			return
		}
	}
}
