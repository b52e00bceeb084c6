package console

import "github.com/labstack/echo/v4"

func (s *Server) registerRecords(g *echo.Group) {}
