package console

import "github.com/labstack/echo/v4"

func (s *Server) registerAccounts(g *echo.Group) {}
