package main

import (
	"context"

	"supportline/domain"
)

// services opens the database and loads the policy (once each) and builds
// the services on them, without a key for unmatched entries.
func (a *app) services(ctx context.Context) (*domain.Services, error) {
	p, db, err := a.policyAndDB(ctx)
	if err != nil {
		return nil, err
	}
	return domain.New(db, p, nil, nil, feedsPublicURL()), nil
}
