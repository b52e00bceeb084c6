package console

import (
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"

	"supportline/auth"
	"supportline/errcode"
)

var (
	doneSignedOut  = notice("signed-out", "You are signed out.")
	doneEverywhere = notice("signed-out-everywhere", "You are signed out everywhere: every browser you had signed in with must sign in again.")
	donePassword   = notice("password-set", "Your password is set. Sign in with it.")
)

func (s *Server) registerSignIn(g *echo.Group) {
	g.GET("/signin", s.signInPage)
	g.POST("/signin", s.signIn)
	g.POST("/signout", s.signOut)
	g.POST("/signout-everywhere", s.signedIn(auth.Read, s.signOutEverywhere))
	g.GET("/welcome", s.welcomePage)
	g.POST("/welcome", s.setPassword)
}

type signInData struct{ Next string }

// safeNext is where to go after signing in: a path of ours, never another
// site ("//evil.example" and "/\evil" are other sites to a browser).
func safeNext(next string) string {
	if !strings.HasPrefix(next, "/") || strings.HasPrefix(next, "//") || strings.HasPrefix(next, "/\\") || strings.ContainsAny(next, "\r\n") {
		return "/"
	}
	return next
}

func (s *Server) signInPage(c echo.Context) error {
	if _, err := s.session(c); err == nil {
		return c.Redirect(http.StatusSeeOther, safeNext(c.QueryParam("next")))
	}
	return s.render(c, http.StatusOK, "signin", view{Title: "Sign in", Data: signInData{Next: safeNext(c.QueryParam("next"))}})
}

func (s *Server) signIn(c echo.Context) error {
	email, password := c.FormValue("email"), c.FormValue("password")
	next := safeNext(c.FormValue("next"))
	v := view{Title: "Sign in", Data: signInData{Next: next}}
	if strings.TrimSpace(email) == "" || password == "" {
		v.Form = map[string][]string{"email": {email}}
		return s.formError(c, "signin", v, "", errcode.New(errcode.Invalid, "enter your e-mail and your password"))
	}
	sess, err := s.Users.SignIn(ctx(c), email, password, remoteHost(c.Request()), c.Request().UserAgent())
	if err != nil {
		v.Form = map[string][]string{"email": {email}} // never the password
		if errcode.CodeOf(err) != errcode.Internal {
			s.log().Warn("console: sign-in refused", "remote", remoteHost(c.Request()), "reason", errcode.Message(err))
		}
		return s.formError(c, "signin", v, "", err)
	}
	s.setSessionCookie(c, sess.Text)
	return c.Redirect(http.StatusSeeOther, next)
}

func (s *Server) signOut(c echo.Context) error {
	if ck, err := c.Cookie(sessionCookie); err == nil {
		if err := s.Users.SignOut(ctx(c), ck.Value); err != nil {
			return s.fail(c, err)
		}
	}
	s.clearCookie(c, sessionCookie, "/")
	return redirect(c, "/signin", doneSignedOut)
}

func (s *Server) signOutEverywhere(c echo.Context, u auth.User) error {
	if _, err := s.Users.SignOutEverywhere(ctx(c), u.Principal().Actor(), u.Email); err != nil {
		return s.fail(c, err)
	}
	s.clearCookie(c, sessionCookie, "/")
	return redirect(c, "/signin", doneEverywhere)
}

type welcomeData struct {
	Email, Link string
	Min         int
}

// The set-password page's link text travels in the query string (t),
// which the request log never writes; the page tells the browser not to
// send it on as a referrer.
func (s *Server) welcomePage(c echo.Context) error {
	c.Response().Header().Set("Referrer-Policy", "no-referrer")
	u, err := s.Users.LinkUser(ctx(c), c.QueryParam("t"))
	if err != nil {
		return s.fail(c, err)
	}
	return s.render(c, http.StatusOK, "welcome", view{Title: "Set your password", Data: welcomeData{Email: u.Email, Link: c.QueryParam("t"), Min: auth.MinPassword}})
}

func (s *Server) setPassword(c echo.Context) error {
	c.Response().Header().Set("Referrer-Policy", "no-referrer")
	link, password, again := c.FormValue("t"), c.FormValue("password"), c.FormValue("again")
	u, err := s.Users.LinkUser(ctx(c), link)
	if err != nil {
		return s.fail(c, err)
	}
	v := view{Title: "Set your password", Data: welcomeData{Email: u.Email, Link: link, Min: auth.MinPassword}, Form: map[string][]string{}}
	if password != again {
		return s.formError(c, "welcome", v, "again", errcode.New(errcode.Invalid, "the two passwords differ; type the same password twice"))
	}
	if _, err := s.Users.SetPassword(ctx(c), link, password); err != nil {
		return s.formError(c, "welcome", v, "password", err)
	}
	s.clearCookie(c, sessionCookie, "/")
	return redirect(c, "/signin", donePassword)
}
