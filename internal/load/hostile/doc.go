// Package hostile is "loadgen hostile": victims receiving events while one
// client floods frames and one address holds silent sockets and slow
// wrong-password logins, measured against the same victims without the
// attack. It tells whether one client or one address can take the service
// away from everybody else (issue 16): the victims' delivery latency and
// disconnects in both phases, legitimate logins made during each, and what
// the server did to the attacker.
package hostile
