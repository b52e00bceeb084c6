package api

import (
	"context"
	"net/http"

	"github.com/danielgtaylor/huma/v2"

	"supportline/auth"
	"supportline/pins"
)

type (
	pinStatus struct{ Body pins.Status }
	// pinRotated is the only answer that ever holds a PIN: it is not
	// stored anywhere in clear, so a client that loses it rotates again.
	pinRotated struct {
		CacheControl string `header:"Cache-Control"`
		Body         struct {
			SupportID string `json:"support_id" example:"12345678"`
			PIN       string `json:"pin" doc:"The new PIN: shown in this answer only, never again." example:"482915"`
		}
	}
)

func (s *Server) registerPins() {
	register(s, huma.Operation{OperationID: "get-pin-status", Method: http.MethodGet, Path: "/contacts/{support_id}/pin",
		Summary: "A contact's PIN status", Description: "State, failures, lockout and expiry; never the PIN or its hash. Admin tokens only.",
		Tags: []string{"pins"}, Errors: []int{http.StatusNotFound}},
		auth.ReadSecrets, func(ctx context.Context, _ auth.Principal, in *contactPath) (*pinStatus, error) {
			return s.pinStatus(ctx, in.SupportID)
		})
	register(s, huma.Operation{OperationID: "rotate-pin", Method: http.MethodPost, Path: "/contacts/{support_id}/pin/rotate",
		Summary: "Give a contact a new PIN", Description: "The old PIN stops working at once; revocation, failures and lockout are cleared. " +
			"The new PIN is in this answer only.",
		Tags: []string{"pins"}, Errors: []int{http.StatusNotFound, http.StatusServiceUnavailable}},
		auth.AdminWork, func(ctx context.Context, p auth.Principal, in *contactPath) (*pinRotated, error) {
			pin, err := s.Pins.Rotate(ctx, p.Actor(), in.SupportID)
			if err != nil {
				return nil, err
			}
			out := &pinRotated{CacheControl: "no-store"}
			out.Body.SupportID, out.Body.PIN = in.SupportID, pin
			return out, nil
		})
	register(s, huma.Operation{OperationID: "revoke-pin", Method: http.MethodPost, Path: "/contacts/{support_id}/pin/revoke",
		Summary: "Stop a contact's PIN from working", Description: "Until the next rotate. Refused (409) when the contact has no PIN.",
		Tags: []string{"pins"}, Errors: []int{http.StatusNotFound, http.StatusConflict}},
		auth.AdminWork, func(ctx context.Context, p auth.Principal, in *contactPath) (*pinStatus, error) {
			if err := s.Pins.Revoke(ctx, p.Actor(), in.SupportID); err != nil {
				return nil, err
			}
			return s.pinStatus(ctx, in.SupportID)
		})
	register(s, huma.Operation{OperationID: "unlock-pin", Method: http.MethodPost, Path: "/contacts/{support_id}/pin/unlock",
		Summary: "Lift a contact's PIN lockout", Description: "Clears the lock, the failures and the doubling, and the calling-number failures about the contact.",
		Tags: []string{"pins"}, Errors: []int{http.StatusNotFound}},
		auth.AdminWork, func(ctx context.Context, p auth.Principal, in *contactPath) (*pinStatus, error) {
			if err := s.Pins.Unlock(ctx, p.Actor(), in.SupportID); err != nil {
				return nil, err
			}
			return s.pinStatus(ctx, in.SupportID)
		})
}

func (s *Server) pinStatus(ctx context.Context, supportID string) (*pinStatus, error) {
	st, err := s.Pins.Status(ctx, supportID)
	if err != nil {
		return nil, err
	}
	return &pinStatus{Body: st}, nil
}
