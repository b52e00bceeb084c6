package api

// ActionKey is the operation metadata key under which register puts the
// auth.Action an operation needs, for the external tests that walk the
// document (TestAPIEveryOperation) rather than repeat the string.
const ActionKey = actionKey
