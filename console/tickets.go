package console

import "github.com/labstack/echo/v4"

func (s *Server) registerTickets(g *echo.Group) {}
