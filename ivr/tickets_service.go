package ivr

import (
	"supportline/oncall"
	"supportline/tickets"
)

// tickets is the tickets domain as the phone line uses it: only its Tx
// methods, inside the webhook's own transaction. It is built from the
// Server's fields on each use, so that a Server needs no field of its own
// for it and stays a literal with every field set.
func (s *Server) tickets() *tickets.Service {
	return &tickets.Service{DB: s.DB, Policy: s.Policy, Engineers: &oncall.Service{DB: s.DB}, Accounts: s.Pins.Accounts}
}
