package php

import "strings"

// The array functions the image's files use to turn a list in an
// environment variable into an array: explode, array_map('trim', ...),
// array_filter and array_values.

func runExplode(p *interp, name token, args []arg) (val, error) {
	sep, err := p.stringArg(name, args, 0)
	if err != nil {
		return val{}, err
	}
	s, err := p.stringArg(name, args, 1)
	if err != nil {
		return val{}, err
	}
	if sep == "" {
		return val{}, p.errorf(args[0].pos, "explode(): argument #1 ($separator) cannot be empty")
	}
	parts := strings.Split(s, sep)
	if err := p.spend(name.pos, len(parts), 0); err != nil {
		return val{}, err
	}
	out := NewArray()
	for _, part := range parts {
		_ = out.Append(part) // a fresh list never runs out of keys
	}
	return val{v: out}, nil
}

// runArrayMap maps one array; keys are kept, as PHP does with one array.
func runArrayMap(p *interp, name token, args []arg) (val, error) {
	fn, err := p.callable(name, args[0])
	if err != nil {
		return val{}, err
	}
	in, err := p.arrayArg(name, args, 1)
	if err != nil {
		return val{}, err
	}
	if err := p.spend(name.pos, in.Len(), 0); err != nil {
		return val{}, err
	}
	out := NewArray()
	for i, k := range in.keys {
		v, err := fn(in.vals[i])
		if err != nil {
			return val{}, err
		}
		out.Set(k, v)
	}
	return val{v: out}, nil
}

// runArrayFilter keeps the elements that are truthy, or for which the
// callback returns something truthy; keys are kept.
func runArrayFilter(p *interp, name token, args []arg) (val, error) {
	in, err := p.arrayArg(name, args, 0)
	if err != nil {
		return val{}, err
	}
	keep := func(v Value) (Value, error) { return v, nil }
	if len(args) == 2 {
		if keep, err = p.callable(name, args[1]); err != nil {
			return val{}, err
		}
	}
	if err := p.spend(name.pos, in.Len(), 0); err != nil {
		return val{}, err
	}
	out := NewArray()
	for i, k := range in.keys {
		r, err := keep(in.vals[i])
		if err != nil {
			return val{}, err
		}
		if truthy(r) {
			out.setAt(k, in.vals[i], in.at[i])
		}
	}
	return val{v: out}, nil
}

func runArrayValues(p *interp, name token, args []arg) (val, error) {
	in, err := p.arrayArg(name, args, 0)
	if err != nil {
		return val{}, err
	}
	if err := p.spend(name.pos, in.Len(), 0); err != nil {
		return val{}, err
	}
	out := NewArray()
	for i, v := range in.vals {
		_ = out.appendAt(v, in.at[i]) // a fresh list never runs out of keys
	}
	return val{v: out}, nil
}

// callable turns a callback argument into a function: a closure, or the
// name of a one-argument function of the subset such as 'trim'.
func (p *interp) callable(name token, a arg) (func(Value) (Value, error), error) {
	switch cb := a.v.(type) {
	case *closure:
		return func(v Value) (Value, error) { return p.invoke(cb, v) }, nil
	case string:
		fn := strings.ToLower(strings.TrimPrefix(cb, `\`))
		b, ok := lookupBuiltin(fn)
		if !ok || b.min > 1 || b.max < 1 || b.callback >= 0 {
			return nil, p.unsupported(a.pos, "%s() callback %s: only closures and one-argument functions of the subset", lowerName(name), quoteSingle(cb))
		}
		self := token{kind: tName, pos: a.pos, text: fn}
		return func(v Value) (Value, error) {
			r, err := b.run(p, self, []arg{{v: v, pos: a.pos}})
			return r.v, err
		}, nil
	}
	return nil, p.errorf(a.pos, "%s(): the callback must be a closure or a function name, got %s", lowerName(name), TypeName(a.v))
}
