package httpx

import "github.com/cardvault/cardvault"

func randomID() string { return cardvault.RandomString(20) }
