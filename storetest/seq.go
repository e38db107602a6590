package storetest

import (
	"testing"
	"time"

	"github.com/cardvault/cardvault"
)

var seqTests = []subtest{
	{"CustomersAscend", testCustomerSeq},
	{"CardsAscendInAttachOrder", testCardSeq},
	{"DisjointPerAccountAndMode", testSeqDisjoint},
}

// maxSeq bounds integer ids: JavaScript clients read them exactly (API.md §1.4).
const maxSeq = 1 << 53

func testCustomerSeq(t *testing.T, f *Fixture) {
	var seqs []int64
	var ids []string
	for range 3 {
		f.Clock.Advance(time.Second)
		c := MustCustomer(t, f.Vault, f.Test, "")
		seqs, ids = append(seqs, c.Seq), append(ids, c.ID)
		MustCustomer(t, f.Vault, f.Live, "") // other modes and accounts do not disturb the order
		MustCustomer(t, f.Vault, f.Other, "")
	}
	wantAscending(t, "customer Seq in creation order", seqs)
	for i, id := range ids {
		if got := MustGetCustomer(t, f.Store, f.Test, id).Seq; got != seqs[i] {
			t.Errorf("Customer(%s).Seq = %d, want %d as returned by CreateCustomer", id, got, seqs[i])
		}
	}

	highest := seqs[len(seqs)-1]
	_, err := f.Store.DeleteCustomer(f.Ctx, f.Test, cardvault.Ref{Seq: highest})
	noErr(t, "DeleteCustomer(highest)", err)
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
	live := MustCustomer(t, f.Vault, f.Live, "")
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
		MustStoredToken(t, f.Vault, f.Live, live.ID, Visa2) // another mode does not disturb the order
	}
	wantAscending(t, "card Seq in attach order", seqs)

	highest := seqs[len(seqs)-1]
	_, err := f.Store.DeleteCard(f.Ctx, f.Test, "", cardvault.Ref{Seq: highest})
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

// testSeqDisjoint: ids of objects created in turns in three scopes (two
// modes of one account, another account) are unique across the store, and
// each scope's ids lie in a range of their own, so that no tenant can count
// another's objects from the gaps in its own ids.
func testSeqDisjoint(t *testing.T, f *Fixture) {
	scopes := map[string]cardvault.Scope{"A test": f.Test, "A live": f.Live, "B test": f.Other}
	customers := map[string][]int64{}
	cards := map[string][]int64{}
	for range 3 {
		for name, s := range scopes {
			c := MustCustomer(t, f.Vault, s, "")
			customers[name] = append(customers[name], c.Seq)
			cards[name] = append(cards[name], MustStoredToken(t, f.Vault, s, c.ID, Visa).Seq)
		}
	}
	for kind, bySeq := range map[string]map[string][]int64{"customer": customers, "card": cards} {
		seen := map[int64]string{}
		for name, seqs := range bySeq {
			wantAscending(t, kind+" Seq in "+name, seqs)
			for _, seq := range seqs {
				if seq >= maxSeq {
					t.Errorf("%s %s: Seq %d ≥ 2^53", name, kind, seq)
				}
				if other, dup := seen[seq]; dup {
					t.Errorf("%s Seq %d issued in %s and in %s", kind, seq, other, name)
				}
				seen[seq] = name
			}
		}
		for a, sa := range bySeq {
			for b, sb := range bySeq {
				if a < b && sa[0] < sb[len(sb)-1] && sb[0] < sa[len(sa)-1] {
					t.Errorf("%s ids of %s %v and of %s %v interleave", kind, a, sa, b, sb)
				}
			}
		}
	}
	// Another account's or mode's id is not found (API.md §1.4).
	_, err := f.Store.Customer(f.Ctx, f.Other, cardvault.Ref{Seq: customers["A test"][0]})
	wantNotFound(t, "Customer(account A's Seq) in account B", err, "customer")
	_, err = f.Store.CardByRef(f.Ctx, f.Live, cardvault.Ref{Seq: cards["A test"][0]})
	wantNotFound(t, "CardByRef(test mode's Seq) in live mode", err, "card")
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
