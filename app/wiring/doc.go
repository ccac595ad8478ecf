// Package wiring joins the use cases of app to the adapters: one wire
// injector per deployment shape (wire.go, generated into wire_gen.go). It is
// the one room besides cmd/ that knows both sides.
package wiring
