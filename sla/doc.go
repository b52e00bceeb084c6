// Package sla turns a support promise ("respond within 4 business hours,
// US Mountain") into an exact instant, and back.
//
// It owns business calendars ([Calendar]: an IANA time zone, a set of
// weekdays, an opening and a closing wall-clock time, and holidays),
// response targets ([Target]: "45m", "4h", "2bd", "next-business-day") and
// the interval arithmetic between them ([Due], [Elapsed], [Counted]).
// Everything here is pure: plain values in, plain values out, no database,
// no HTTP and no clock of its own, so every rule can be tested with frozen
// instants.
//
// The rules, exactly:
//
//   - Business time is every instant inside a business day's window. A
//     business day is a listed weekday whose local date is not a holiday;
//     its window is [open, close) built per local date with
//     time.Date(y, m, d, hh, mm, 0, 0, loc), so on DST days 09:00 is still
//     09:00 local. A close of "24:00" is the next local midnight.
//   - A clock opened outside business time starts counting at the next
//     opening. A clock that runs out exactly at closing time is due at that
//     closing time, not at the next opening.
//   - "Nm"/"Nh": that much business time. "Nbd": N times the calendar's
//     working-day length (close-open) in business time.
//     "next-business-day": the closing time of the first business day whose
//     local date is after the local date on which the clock opened.
//   - The built-in calendar [Always] counts absolute time: "Nm"/"Nh" as
//     written, "Nbd" as N×24h and "next-business-day" as 24h.
//
// Windows are computed once per calendar and year (with the holidays) and
// cached, so [Due] and [Elapsed] jump from window to window and cost well
// under a microsecond for everyday targets.
package sla
