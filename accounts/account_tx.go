package accounts

import (
	"context"

	"supportline/store"
)

// AccountTx returns the account with the given number, read inside the
// caller's transaction, for another domain that is narrowed to one account
// (tickets lists an account's tickets): what a valid account number is,
// and the words for one that is not, stay here. A malformed number is
// errcode.Invalid, an unknown one errcode.NotFound.
func (s *Service) AccountTx(ctx context.Context, tx *store.Tx, number string) (Account, error) {
	return accountByNumber(ctx, tx, number, false)
}
