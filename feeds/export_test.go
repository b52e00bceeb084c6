package feeds

// VTimezone is vtimezone, for the tests of the zone descriptions alone.
var VTimezone = vtimezone
